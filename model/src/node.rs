//! The actor the kernel runs: one enum over every kind of process in a deployment, so the event
//! loop stays monomorphised. Also the types every actor shares: the host [`Directory`], the
//! wire [`Msg`], timer names ([`Timer`]) and notes ([`Note`]).

use crate::client::Client;
use crate::resp::{Command, Reply};
use crate::sentinel::Sentinel;
use crate::server::Server;
use serde::Serialize;
use sim::{Actor, Addr, ConnId, Ctx, HostId, Input};
use std::sync::Arc;

/// Host names by id, so actors can turn `REPLICAOF 10.162.29.36 6371` into an address and back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Directory {
    hosts: Vec<String>,
}

impl Directory {
    /// A directory of `hosts`, indexed by `HostId`.
    pub fn new(hosts: Vec<String>) -> Arc<Self> {
        Arc::new(Directory { hosts })
    }
    /// The host called `name`.
    pub fn resolve(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h == name).map(|i| HostId(i as u32))
    }
    /// The name of `host`.
    pub fn name(&self, host: HostId) -> &str {
        &self.hosts[host.0 as usize]
    }
    /// `host:port`.
    pub fn addr(&self, a: Addr) -> String {
        format!("{}:{}", self.name(a.host), a.port)
    }
}

/// What travels on a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A command (from a client, a sentinel, or a replica).
    Cmd(Command),
    /// The reply to a command.
    Reply(Reply),
    /// A message published on a channel this connection subscribed to.
    Push { channel: crate::resp::Text, message: crate::resp::Text },
    /// One item of a replication stream, master to replica.
    Stream(Command),
    /// A full resynchronisation payload (diskless RDB transfer).
    Rdb(Box<crate::server::Snapshot>),
}

impl Serialize for Msg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        match self {
            Msg::Cmd(c) => m.serialize_entry("cmd", c)?,
            Msg::Reply(r) => m.serialize_entry("reply", r)?,
            Msg::Push { channel, message } => m.serialize_entry("push", &[channel, message])?,
            Msg::Stream(c) => m.serialize_entry("stream", c)?,
            Msg::Rdb(snap) => m.serialize_entry(
                "rdb",
                &format!("{} keys @ {}:{}", snap.data.len(), snap.replid, snap.offset),
            )?,
        }
        m.end()
    }
}

/// Timer names of every actor kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timer {
    /// Redis `serverCron`'s once-a-second work (`replicationCron`, persistence).
    ServerCron,
    /// A `WAIT` blocked on this connection times out.
    WaitTimeout(ConnId),
    /// Sentinel's `sentinelTimer`.
    SentinelTick,
    /// A client's next operation is due.
    ClientNext,
    /// A client's socket timeout for operation number `n`.
    ClientTimeout(u64),
}

/// A log line's level, with Redis's marks: `.` debug, `-` verbose, `*` notice, `#` warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub enum Level {
    /// `.`
    #[serde(rename = ".")]
    Debug,
    /// `-`
    #[serde(rename = "-")]
    Verbose,
    /// `*`
    #[serde(rename = "*")]
    Notice,
    /// `#`
    #[serde(rename = "#")]
    Warning,
}

impl Level {
    /// The character Redis prints.
    pub fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

/// What actors record: log lines in Redis's words, and structured facts for checks, explanations
/// and timelines.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum Note {
    /// A log line. `role` is Redis's role mark (`M` master, `S` replica, `X` sentinel, `C` client).
    /// For sentinel events `event` is the token (`+sdown`) and `text` the rest of the line.
    Log {
        level: Level,
        role: char,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        text: String,
    },
    /// A Redis server's replication state changed (role, link, or a sync).
    Repl(crate::server::ReplNote),
    /// A client operation completed.
    Op(crate::client::OpRecord),
    /// A client changed the master it believes in.
    Believe(crate::client::Belief),
    /// Why a sentinel did something: the numbers behind an event.
    Why(crate::sentinel::Why),
}

/// A process of the deployment.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    /// A Redis server.
    Server(Box<Server>),
    /// A Sentinel.
    Sentinel(Box<Sentinel>),
    /// A client application (redis-py Sentinel client, plain client, or redis-cli).
    Client(Box<Client>),
}

/// The context every model actor writes into.
pub type NodeCtx<'a> = Ctx<'a, Msg, Timer, Note>;

impl Actor for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn start(&mut self, ctx: &mut NodeCtx<'_>) {
        match self {
            Node::Server(s) => s.start(ctx),
            Node::Sentinel(s) => s.start(ctx),
            Node::Client(c) => c.start(ctx),
        }
    }

    #[inline]
    fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match self {
            Node::Server(s) => s.handle(ctx, input),
            Node::Sentinel(s) => s.handle(ctx, input),
            Node::Client(c) => c.handle(ctx, input),
        }
    }

    fn crash(&mut self) {
        match self {
            Node::Server(s) => s.crash(),
            Node::Sentinel(s) => s.crash(),
            Node::Client(c) => c.crash(),
        }
    }
}

impl Node {
    /// The server, if this is one.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            Node::Server(s) => Some(s),
            _ => None,
        }
    }
    /// The sentinel, if this is one.
    pub fn as_sentinel(&self) -> Option<&Sentinel> {
        match self {
            Node::Sentinel(s) => Some(s),
            _ => None,
        }
    }
    /// The client, if this is one.
    pub fn as_client(&self) -> Option<&Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }
    /// The client, mutably (to hand it an operator's command).
    pub fn as_client_mut(&mut self) -> Option<&mut Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }
}

/// Writes a log note.
pub fn log(ctx: &mut NodeCtx<'_>, level: Level, role: char, text: impl Into<String>) {
    ctx.note(Note::Log { level, role, event: None, text: text.into() });
}

/// Formats a wall-clock time as Redis's log does: `24 Nov 2026 16:58:49.015`.
pub fn log_time(wall_us: u64) -> String {
    let (y, mo, d, h, mi, s, ms) = civil(wall_us);
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{d:02} {} {y} {h:02}:{mi:02}:{s:02}.{ms:03}", MONTHS[(mo - 1) as usize])
}

/// Formats a wall-clock time as C's `ctime()` without the newline: `Tue Nov 24 17:03:23 2026`.
pub fn ctime(wall_us: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(wall_us);
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let day = DAYS[((wall_us / 86_400_000_000) % 7) as usize];
    format!("{day} {} {d:2} {h:02}:{mi:02}:{s:02} {y}", MONTHS[(mo - 1) as usize])
}

/// (year, month, day, hour, minute, second, millisecond) of Unix microseconds, UTC
/// (Howard Hinnant's days-from-civil inverse).
fn civil(wall_us: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = (wall_us / 1_000_000) as i64;
    let ms = ((wall_us / 1000) % 1000) as u32;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60, ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_like_redis() {
        // 2026-11-24 16:58:49.015 UTC
        let us = 1_795_539_529_015_000;
        assert_eq!(log_time(us), "24 Nov 2026 16:58:49.015");
        assert_eq!(ctime(us), "Tue Nov 24 16:58:49 2026");
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
    }
}
