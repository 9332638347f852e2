//! The observation contract: every record an actor emits for the outside world. Checks,
//! explanations, traces and timelines read these and nothing else of an actor's insides.
//!
//! - [`Note`]: what an actor notes, with its payloads: log lines in Redis's words ([`Level`]),
//!   replication facts ([`ReplNote`]), client operations ([`OpRecord`]), beliefs ([`Belief`]) and
//!   retries ([`RetryNote`]),
//!   and the numbers behind a sentinel's decisions ([`Why`]).
//! - Redis's time formats for log lines ([`log_time`], [`ctime`]).

use crate::resp::{Command, SetCond, Text};
use serde::{Deserialize, Serialize};
use sim::Ctx;

/// A log line's level, with Redis's marks: `.` debug, `-` verbose, `*` notice, `#` warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    Repl(ReplNote),
    /// A client operation completed.
    Op(OpRecord),
    /// A client changed the master it believes in.
    Believe(Belief),
    /// A client library's retry caught a failure and will try again.
    Retry(RetryNote),
    /// A client library did something that decides where its commands go, in its own words.
    Library(LibraryNote),
    /// Why a sentinel did something: the numbers behind an event.
    Why(Why),
}

/// A replication fact, noted when it changes (for checks, explanations and timelines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "repl", rename_all = "kebab-case")]
pub enum ReplNote {
    /// The process (re)started with this dataset and role.
    Started { keys: usize, master: Option<String>, replid: String, loaded_from: String },
    /// The role changed: `master` is `None` for a master, the address followed otherwise.
    Role { master: Option<String>, replid: String, offset: i64 },
    /// `master_link_status` changed.
    Link { up: bool, offset: i64 },
    /// A full resynchronisation replaced the dataset.
    FullSync { from: String, flushed_keys: usize, loaded_keys: usize, replid: String, offset: i64 },
    /// A partial resynchronisation continued the history.
    PartialSync { from: String, offset: i64 },
    /// `REPLICAOF NO ONE` turned this replica into a master, at the request of `client` (its
    /// `CLIENT SETNAME`, empty if none) connected from `from_host`.
    Promoted {
        replid: String,
        replid2: String,
        second_offset: i64,
        client: String,
        from_host: String,
    },
    /// Whether this server would accept a client's write now (master, and not refusing with
    /// NOREPLICAS).
    Writable { writable: bool },
}

/// What an operation was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case")]
pub enum Op {
    /// `SET key value` (shared with the command and every dataset that stores it).
    Write { key: Text, value: Text },
    /// `GET key` (the key shared with the write that chose it).
    Read { key: Text },
    /// Any other command (from a `command` event).
    Command { argv: Vec<String> },
}

impl Op {
    /// The command sent.
    pub fn command(&self) -> Command {
        match self {
            Op::Write { key, value } => Command::Set {
                key: key.clone(),
                value: value.clone(),
                cond: SetCond::Always,
                get: false,
            },
            Op::Read { key } => Command::from_strs(&["GET", key]),
            Op::Command { argv } => Command::parse(argv),
        }
    }

    /// The key and value of a write (a SET from a workload or from a `command` event).
    pub fn written(&self) -> Option<(&str, &str)> {
        match self {
            Op::Write { key, value } => Some((key, value)),
            Op::Command { argv } if argv.len() >= 3 && argv[0].eq_ignore_ascii_case("set") => {
                Some((&argv[1], &argv[2]))
            }
            _ => None,
        }
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum OpResult {
    /// A reply that is not an error.
    Ok {
        /// The reply's value (`OK` shared by all of a client's records).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<Text>,
    },
    /// An error: the command was not applied (error reply, or never sent).
    Error { error: String },
    /// No reply within the socket timeout: indeterminate.
    Timeout,
    /// The connection dropped with the command in flight (or the run ended): indeterminate.
    Lost { error: String },
}

impl OpResult {
    /// True when the command may or may not have been applied.
    pub fn indeterminate(&self) -> bool {
        matches!(self, OpResult::Timeout | OpResult::Lost { .. })
    }
}

/// One operation in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// The client's name (one allocation shared by all its records).
    pub client: Text,
    /// Per-client sequence number.
    pub seq: u64,
    /// What was asked.
    pub op: Op,
    /// When the application called (virtual µs).
    pub invoked_us: u64,
    /// When the call returned (virtual µs).
    pub completed_us: u64,
    /// `host:port` the command was sent to (none if it never was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Text>,
    /// The outcome.
    #[serde(flatten)]
    pub result: OpResult,
}

/// A client's belief about the master changed (after a discovery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Belief {
    /// The client.
    pub client: String,
    /// The master it will use (`None`: no sentinel named one).
    pub master: Option<String>,
    /// The sentinel that answered, or why none did.
    pub via: String,
}

/// What a client library did (ioredis: its failover detector fired, its ready check found a
/// replica, `maxRetriesPerRequest` failed the queue), in the library's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryNote {
    /// The client.
    pub client: String,
    /// What happened.
    pub text: String,
}

/// A failure a client library's retry caught (redis-py's `Retry.call_with_retry`), and the wait
/// before it tries again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryNote {
    /// The client.
    pub client: String,
    /// What is tried again: `SENTINEL MASTERS`, `SET app1:000012`.
    pub command: String,
    /// Where it failed, `host:port`.
    pub node: String,
    /// The loop that caught it: `command` (around the command) or `connect` (around a connect).
    pub caught_by: String,
    /// That loop's failure count so far.
    pub failure: u32,
    /// The failure, in the library's words.
    pub error: String,
    /// The backoff before the next attempt, in microseconds.
    pub backoff_us: u64,
}

/// One replica as the leader weighed it for promotion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// `ip:port`.
    pub name: String,
    /// `slave_priority` from its last INFO.
    pub priority: u32,
    /// `slave_repl_offset` from its last INFO.
    pub offset: i64,
    /// Its run id (empty if unknown).
    pub run_id: String,
    /// Why it could not be chosen, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// Why a sentinel did something: the numbers behind an event, for explanations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Why {
    /// The sentinel's id, noted at start (`Sentinel ID is ...`).
    Identity { run_id: String },
    /// `+sdown`: how long the instance had been silent, against `down-after-milliseconds`, or
    /// the other trigger.
    Sdown { instance: String, silent_ms: i64, down_after_ms: i64, cause: String },
    /// `+odown`: the sentinels (itself included) that reported the master down.
    Odown { master: String, agreeing: Vec<String>, quorum: u32 },
    /// The votes counted for an election round.
    Votes {
        epoch: u64,
        votes: Vec<(String, String)>,
        winner: Option<String>,
        needed: u64,
        sentinels: u64,
        /// The master's name, given when the sentinel monitors several.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The replicas weighed for promotion, best first, and those excluded.
    Selection { candidates: Vec<Candidate>, chosen: Option<String> },
    /// The leader sent `SLAVEOF NO ONE` to `replica` in failover epoch `epoch`.
    SentPromotion { replica: String, epoch: u64 },
    /// `+convert-to-slave`/`+fix-slave-config`: the instance and the master it was pointed at.
    Reconfigured { instance: String, master: String, reported_role_for_ms: i64 },
    /// The configuration this sentinel advertises is now `master` at config epoch `epoch` (set by
    /// the leader at promotion, adopted by the others from hellos).
    /// `name` is the master's name, given when the sentinel monitors several.
    Config {
        epoch: u64,
        master: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A hello brought config epoch `config_epoch` for the very address this sentinel is failing
    /// over in epoch `failover_epoch`: Redis adopts the epoch and keeps the address, so its own
    /// failover goes on and its promoted replica ends up advertised under the newer epoch
    /// (`sentinelProcessHelloMessage`).
    StaleFailover { failover_epoch: u64, config_epoch: u64, master: String },
    /// `+tilt`: the clock moved by this much between two ticks.
    Tilt { delta_ms: i64 },
}

/// Writes a log note.
pub fn log<M, T>(ctx: &mut Ctx<'_, M, T, Note>, level: Level, role: char, text: impl Into<String>) {
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
