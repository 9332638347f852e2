//! What every picture of a run shares, derived once from a [`Record`]: lanes (one per process,
//! grouped by host), each Redis server's role over time, sentinel states and events, packet-filter
//! bands, split-brain windows, and the fate of every client write. The formats only lay these out.
//!
//! Times are virtual microseconds. At equal times a kernel change (start, kill, filter command)
//! applies before the notes of that instant, as it did in the run.

use crate::record::{Change, ProcKind, Record};
use model::observe::OpResult;
use model::observe::ReplNote;
use model::observe::{Level, Note};
use sim::filter::{FilterTable, parse_command};

/// One process's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Index into the record's processes.
    pub pid: usize,
    /// Index into the scenario's hosts.
    pub host: usize,
}

/// What a Redis server is during a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Not running (never started, or killed).
    Down,
    /// A master.
    Master,
    /// A replica of `host:port`.
    Replica(String),
}

/// A stretch of time during which nothing shown about a Redis server changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSpan {
    /// The server.
    pub pid: usize,
    /// Start (µs).
    pub from_us: u64,
    /// End (µs).
    pub to_us: u64,
    /// Its role.
    pub role: Role,
    /// Stopped (SIGSTOP): alive but processing nothing.
    pub paused: bool,
    /// `master_link_status:up` (replicas only).
    pub link_up: bool,
    /// The last replication offset noted (at a link change, a sync or a role change).
    pub offset: i64,
    /// It would accept a client's write (a master not refusing with NOREPLICAS).
    pub writable: bool,
}

/// What a sentinel is in during a state span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentinelState {
    /// The failover state machine, in Redis's state names (`wait_start`, `select_slave`,
    /// `send_slaveof_noone`, `wait_promotion`, `reconf_slaves`).
    Failover(&'static str),
    /// It considers the master subjectively down.
    Sdown,
    /// It considers the master objectively down.
    Odown,
    /// TILT mode.
    Tilt,
}

impl SentinelState {
    /// A short label: `failover: wait_promotion`, `sdown`, `odown`, `TILT`.
    pub fn label(&self) -> String {
        match self {
            SentinelState::Failover(s) => format!("failover: {s}"),
            SentinelState::Sdown => "master sdown".to_string(),
            SentinelState::Odown => "master odown".to_string(),
            SentinelState::Tilt => "TILT".to_string(),
        }
    }
}

/// A span of one sentinel state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSpan {
    /// The sentinel.
    pub pid: usize,
    /// Start (µs).
    pub from_us: u64,
    /// End (µs).
    pub to_us: u64,
    /// Which state.
    pub state: SentinelState,
}

/// One sentinel event (a log line with an event token, at the default `loglevel notice`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The sentinel.
    pub pid: usize,
    /// When (µs).
    pub at_us: u64,
    /// Index of the note in the record's entries.
    pub entry: usize,
    /// `+sdown`.
    pub event: String,
    /// The rest of the line.
    pub text: String,
}

impl Mark {
    /// True for the events a person follows a failover by (not discovery or config chatter).
    pub fn key(&self) -> bool {
        !matches!(
            self.event.as_str(),
            "+monitor"
                | "+slave"
                | "+sentinel"
                | "+reboot"
                | "+role-change"
                | "-role-change"
                | "+new-epoch"
                | "+failover-state-select-slave"
                | "+failover-state-reconf-slaves"
                | "+slave-reconf-inprog"
                | "+sentinel-address-switch"
                | "+cmd"
        ) && (!self.event.ends_with("sdown") || !self.text.starts_with("sentinel "))
    }
}

/// A packet-filter rule installed on a host for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    /// The host whose table holds the rule (index into the scenario's hosts).
    pub host: usize,
    /// The command that installed it, as written: `-A INPUT -s 10.162.29.33 -j DROP`.
    pub rule: String,
    /// Installed (µs).
    pub from_us: u64,
    /// Removed, or the end of the run (µs).
    pub to_us: u64,
}

/// A time two or more servers were running, masters, and accepting writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Start (µs).
    pub from_us: u64,
    /// End (µs).
    pub to_us: u64,
    /// The writable masters meanwhile.
    pub masters: Vec<usize>,
}

/// What became of a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
    /// Acknowledged and on the final master.
    Kept,
    /// Acknowledged and absent from the final master.
    Lost,
    /// Refused (an error reply) or never sent: not applied.
    Refused,
    /// Timed out or cut off: may or may not have been applied.
    Indeterminate,
}

impl Fate {
    /// `kept`, `lost`, `refused`, `indeterminate`.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Kept => "kept",
            Fate::Lost => "lost",
            Fate::Refused => "refused",
            Fate::Indeterminate => "indeterminate",
        }
    }
}

/// One client write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteMark {
    /// The client's lane (its process).
    pub pid: usize,
    /// Index into the outcome's history.
    pub op: usize,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// What became of it.
    pub fate: Fate,
    /// For a lost write: what discarded it (`discarded at 75.001s when ... full-resynced ...`).
    pub discarded: Option<String>,
    /// It was outstanding (sent, no reply yet) longer than
    /// [`SERVED_WITHIN_US`](crate::availability::SERVED_WITHIN_US): the application stalled on
    /// it (a paused master, a long socket timeout), which a picture must not show as a gap.
    pub stalled: bool,
}

impl WriteMark {
    /// For a lost write, its story: who acknowledged it, when, and what discarded it.
    pub fn story(&self, r: &Record) -> Option<String> {
        let op = &r.outcome.history[self.op];
        Some(format!(
            "SET {} {} by {}: acknowledged by {} at {}; {}",
            self.key,
            self.value,
            op.client,
            op.node.as_deref().unwrap_or("?"),
            crate::text::secs(op.completed_us / 1000),
            self.discarded.as_deref()?
        ))
    }
}

/// A kernel change shown as a marker on a process's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The process.
    pub pid: usize,
    /// When (µs).
    pub at_us: u64,
    /// `SIGKILL`, `power loss` (its host lost power), `started`, `SIGSTOP`, `SIGCONT`,
    /// `clock +30000 ms`.
    pub label: String,
}

/// Everything the pictures of a run show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The end of the run (µs).
    pub end_us: u64,
    /// Lanes, host by host in the scenario's order, processes in record order within a host.
    pub lanes: Vec<Lane>,
    /// Each Redis server's spans, in time order.
    pub roles: Vec<RoleSpan>,
    /// Sentinel states.
    pub states: Vec<StateSpan>,
    /// Sentinel events.
    pub marks: Vec<Mark>,
    /// Filter rules over time.
    pub bands: Vec<Band>,
    /// Split-brain windows, in time order. With several monitored masters, each master's servers
    /// are counted apart: two masters of different services are not a split brain.
    pub split_brain: Vec<Window>,
    /// The split-brain time of the worst master (µs): the outcome's `split_brain_ms`.
    split_brain_us: u64,
    /// Client writes, in history order.
    pub writes: Vec<WriteMark>,
    /// Kills, starts after the first, pauses, resumes and clock jumps.
    pub faults: Vec<Fault>,
}

/// A moment of the run: a kernel change, or a note of process `pid` (entry `i`).
enum Step<'a> {
    Kernel(&'a Change),
    Note { pid: usize, note: &'a Note },
}

/// Every kernel change and note in time order, kernel changes first at equal times.
fn steps(r: &Record) -> Vec<(u64, Step<'_>)> {
    let mut out: Vec<(u64, u8, usize, Step<'_>)> = Vec::new();
    for (i, k) in r.kernel.iter().enumerate() {
        out.push((k.at.as_micros(), 0, i, Step::Kernel(&k.change)));
    }
    for (i, e) in r.entries.iter().enumerate() {
        out.push((e.at.as_micros(), 1, i, Step::Note { pid: e.pid, note: &e.note }));
    }
    out.sort_by_key(|s| (s.0, s.1, s.2));
    out.into_iter().map(|(t, _, _, s)| (t, s)).collect()
}

/// The process a kernel change is about, if any.
pub(crate) fn change_pid(c: &Change) -> Option<usize> {
    match c {
        Change::Start { pid }
        | Change::Kill { pid, .. }
        | Change::Pause { pid }
        | Change::Resume { pid }
        | Change::ClockJump { pid, .. } => Some(*pid),
        _ => None,
    }
}

impl Timeline {
    /// Derives the timeline of `r`.
    pub fn of(r: &Record) -> Timeline {
        let end_us = r.scenario.duration.as_micros();
        let steps = steps(r);
        let mut roles = Vec::new();
        let mut states = Vec::new();
        for (pid, p) in r.processes.iter().enumerate() {
            match p.kind {
                ProcKind::Redis => roles.extend(role_spans(&steps, pid, end_us)),
                ProcKind::Sentinel => states.extend(state_spans(&steps, pid, end_us)),
                ProcKind::Client | ProcKind::Cli => {}
            }
        }
        let (split_brain, split_brain_us) = split_brain_by_master(r, &roles);
        Timeline {
            end_us,
            lanes: lanes(r),
            roles,
            states,
            marks: marks(r),
            bands: bands(r, end_us),
            split_brain,
            split_brain_us,
            writes: writes(r),
            faults: faults(r),
        }
    }

    /// Split-brain time (µs): the total, or with several masters the worst master's total, as
    /// the outcome counts it.
    pub fn split_brain_us(&self) -> u64 {
        self.split_brain_us
    }
}

fn lanes(r: &Record) -> Vec<Lane> {
    let host_of = |name: &str| r.scenario.hosts.iter().position(|h| h == name);
    let mut lanes: Vec<Lane> = r
        .processes
        .iter()
        .enumerate()
        .map(|(pid, p)| Lane { pid, host: host_of(&p.host).unwrap_or(0) })
        .collect();
    let rank = |k: ProcKind| match k {
        ProcKind::Redis => 0,
        ProcKind::Sentinel => 1,
        ProcKind::Client => 2,
        ProcKind::Cli => 3,
    };
    lanes.sort_by_key(|l| (l.host, rank(r.processes[l.pid].kind), l.pid));
    lanes
}

/// Appends `span` ending at `to_us`, unless it would be empty.
fn close(out: &mut Vec<RoleSpan>, mut span: RoleSpan, to_us: u64) {
    span.to_us = to_us;
    if span.to_us > span.from_us {
        out.push(span);
    }
}

/// The spans of Redis server `pid`.
fn role_spans(steps: &[(u64, Step<'_>)], pid: usize, end_us: u64) -> Vec<RoleSpan> {
    let mut out: Vec<RoleSpan> = Vec::new();
    let mut cur = RoleSpan {
        pid,
        from_us: 0,
        to_us: 0,
        role: Role::Down,
        paused: false,
        link_up: false,
        offset: 0,
        writable: false,
    };
    for (t, step) in steps {
        let mut next = cur.clone();
        match step {
            Step::Kernel(c) if change_pid(c) == Some(pid) => match c {
                Change::Start { .. } => {
                    (next.role, next.paused, next.link_up, next.writable) =
                        (Role::Master, false, false, false)
                }
                Change::Kill { .. } => {
                    (next.role, next.paused, next.link_up, next.writable) =
                        (Role::Down, false, false, false)
                }
                Change::Pause { .. } => next.paused = true,
                Change::Resume { .. } => next.paused = false,
                _ => continue,
            },
            Step::Note { pid: p, note: Note::Repl(n) } if *p == pid => match n {
                ReplNote::Started { master, .. } => {
                    next.role = master.clone().map_or(Role::Master, Role::Replica);
                    (next.link_up, next.offset) = (false, 0);
                }
                ReplNote::Role { master, offset, .. } => {
                    next.role = master.clone().map_or(Role::Master, Role::Replica);
                    (next.link_up, next.offset) = (false, *offset);
                }
                ReplNote::Link { up, offset } => (next.link_up, next.offset) = (*up, *offset),
                ReplNote::FullSync { offset, .. } | ReplNote::PartialSync { offset, .. } => {
                    next.offset = *offset
                }
                ReplNote::Promoted { .. } => (next.role, next.link_up) = (Role::Master, false),
                ReplNote::Writable { writable } => next.writable = *writable,
            },
            _ => continue,
        }
        if next != cur {
            close(&mut out, cur, *t);
            next.from_us = *t;
            cur = next;
        }
    }
    close(&mut out, cur, end_us);
    out
}

/// The failover state a sentinel event moves to (`Some(None)`: the failover ends).
fn failover_step(event: &str) -> Option<Option<&'static str>> {
    Some(Some(match event {
        "+try-failover" => "wait_start",
        "+failover-state-select-slave" => "select_slave",
        "+failover-state-send-slaveof-noone" => "send_slaveof_noone",
        "+failover-state-wait-promotion" => "wait_promotion",
        "+failover-state-reconf-slaves" => "reconf_slaves",
        "+failover-end" => return Some(None),
        e if e.starts_with("-failover-abort") => return Some(None),
        _ => return None,
    }))
}

/// The state spans of sentinel `pid`: failover states, master sdown and odown, TILT.
fn state_spans(steps: &[(u64, Step<'_>)], pid: usize, end_us: u64) -> Vec<StateSpan> {
    // Open spans by kind: failover, sdown, odown, tilt.
    let mut open: [Option<(u64, SentinelState)>; 4] = [None, None, None, None];
    let mut out: Vec<StateSpan> = Vec::new();
    let end = |out: &mut Vec<StateSpan>, slot: &mut Option<(u64, SentinelState)>, t: u64| {
        if let Some((from, state)) = slot.take() {
            if t > from {
                out.push(StateSpan { pid, from_us: from, to_us: t, state });
            }
        }
    };
    for (t, step) in steps {
        match step {
            Step::Kernel(Change::Kill { pid: p, .. }) if *p == pid => {
                for slot in &mut open {
                    end(&mut out, slot, *t);
                }
            }
            Step::Note { pid: p, note: Note::Log { event: Some(ev), text, .. } } if *p == pid => {
                let about_master = text.starts_with("master ");
                let (slot, next) = match ev.as_str() {
                    "+sdown" if about_master => (1, Some(SentinelState::Sdown)),
                    "-sdown" if about_master => (1, None),
                    "+odown" => (2, Some(SentinelState::Odown)),
                    "-odown" => (2, None),
                    "+tilt" => (3, Some(SentinelState::Tilt)),
                    "-tilt" => (3, None),
                    // A new master address ends what was about the old one.
                    "+switch-master" | "+reset-master" => {
                        end(&mut out, &mut open[1], *t);
                        end(&mut out, &mut open[2], *t);
                        continue;
                    }
                    e => match failover_step(e) {
                        Some(state) => (0, state.map(SentinelState::Failover)),
                        None => continue,
                    },
                };
                if open[slot].as_ref().map(|o| &o.1) == next.as_ref() {
                    continue;
                }
                end(&mut out, &mut open[slot], *t);
                open[slot] = next.map(|s| (*t, s));
            }
            _ => {}
        }
    }
    for slot in &mut open {
        end(&mut out, slot, end_us);
    }
    out.sort_by_key(|s| (s.from_us, s.to_us));
    out
}

fn marks(r: &Record) -> Vec<Mark> {
    r.entries
        .iter()
        .enumerate()
        .filter(|(_, e)| r.processes[e.pid].kind == ProcKind::Sentinel)
        .filter_map(|(i, e)| match &e.note {
            Note::Log { event: Some(ev), text, level, .. } if *level >= Level::Notice => {
                Some(Mark {
                    pid: e.pid,
                    at_us: e.at.as_micros(),
                    entry: i,
                    event: ev.clone(),
                    text: text.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// Filter rules over time: each host's table is replayed command by command with the kernel's own
/// parser and table, so `-D`, `-I` and `-F` end and start exactly the rules they did in the run.
fn bands(r: &Record, end_us: u64) -> Vec<Band> {
    let hosts = &r.scenario.hosts;
    let resolve = |name: &str| hosts.iter().position(|h| h == name).map(|i| sim::HostId(i as u32));
    let mut tables: Vec<FilterTable> = vec![FilterTable::default(); hosts.len()];
    // Per host, the rules installed now: (chain, spec) -> (command as written, since).
    let mut live: Vec<Vec<(String, String, u64)>> = vec![Vec::new(); hosts.len()];
    let mut out = Vec::new();
    let installed = |t: &FilterTable| -> Vec<String> {
        [sim::filter::Chain::Input, sim::filter::Chain::Output]
            .iter()
            .flat_map(|&c| t.chain(c).iter().map(move |r| format!("{c} {}", r.spec)))
            .collect()
    };
    for k in &r.kernel {
        let at = k.at.as_micros();
        let touched: Vec<(usize, Option<String>)> = match &k.change {
            Change::Filter { host, cmd } if *host < hosts.len() => {
                let Ok(parsed) = parse_command(cmd, &resolve) else { continue };
                if tables[*host].apply(&parsed).is_err() {
                    continue;
                }
                vec![(*host, Some(cmd.clone()))]
            }
            Change::Heal => {
                for t in &mut tables {
                    *t = FilterTable::default();
                }
                (0..hosts.len()).map(|h| (h, None)).collect()
            }
            _ => continue,
        };
        for (host, cmd) in touched {
            let now = installed(&tables[host]);
            let mut kept = Vec::new();
            // Each installed rule keeps its band while the same rule stays installed.
            let mut remaining = now.clone();
            for (key, written, since) in std::mem::take(&mut live[host]) {
                if let Some(i) = remaining.iter().position(|k| *k == key) {
                    remaining.remove(i);
                    kept.push((key, written, since));
                } else {
                    out.push(Band { host, rule: written, from_us: since, to_us: at });
                }
            }
            for key in remaining {
                let written = cmd.clone().unwrap_or_else(|| format!("-A {key}"));
                kept.push((key, written, at));
            }
            live[host] = kept;
        }
    }
    for (host, rules) in live.into_iter().enumerate() {
        for (_, written, since) in rules {
            out.push(Band { host, rule: written, from_us: since, to_us: end_us });
        }
    }
    out.sort_by_key(|b| (b.from_us, b.host, b.to_us));
    out
}

/// The split-brain windows of each monitored master's servers (all servers when one master is
/// monitored), merged in time order, and the worst master's total time (µs).
fn split_brain_by_master(r: &Record, roles: &[RoleSpan]) -> (Vec<Window>, u64) {
    let s = &r.scenario;
    if !crate::masters::several(s) {
        let windows = split_brain(roles);
        let total = windows.iter().map(|w| w.to_us - w.from_us).sum();
        return (windows, total);
    }
    let pid_of = |i: usize| r.pid(&s.name_of(crate::scenario::ProcRef::Redis(i)));
    let mut all = Vec::new();
    let mut worst = 0;
    for members in crate::masters::groups(s).values() {
        let pids: Vec<usize> = members.iter().filter_map(|&i| pid_of(i)).collect();
        let own: Vec<RoleSpan> = roles.iter().filter(|x| pids.contains(&x.pid)).cloned().collect();
        let windows = split_brain(&own);
        worst = worst.max(windows.iter().map(|w| w.to_us - w.from_us).sum());
        all.extend(windows);
    }
    all.sort_by(|a, b| (a.from_us, a.to_us, &a.masters).cmp(&(b.from_us, b.to_us, &b.masters)));
    (all, worst)
}

/// Windows with two or more writable masters, from the role spans.
fn split_brain(roles: &[RoleSpan]) -> Vec<Window> {
    let mut cuts: Vec<u64> = roles.iter().flat_map(|s| [s.from_us, s.to_us]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Window> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let masters: Vec<usize> = roles
            .iter()
            .filter(|s| s.from_us <= a && s.to_us >= b)
            .filter(|s| s.role == Role::Master && s.writable && !s.paused)
            .map(|s| s.pid)
            .collect();
        if masters.len() < 2 {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.to_us == a && last.masters == masters => last.to_us = b,
            _ => out.push(Window { from_us: a, to_us: b, masters }),
        }
    }
    out
}

/// The reply of an operation as the client saw it: `OK` (or the value), the error, or redis-py's
/// timeout text.
pub(crate) fn reply_text(result: &OpResult) -> String {
    match result {
        OpResult::Ok { value } => value.as_deref().unwrap_or("OK").to_string(),
        OpResult::Error { error } | OpResult::Lost { error } => error.clone(),
        OpResult::Timeout => "Timeout reading from socket".to_string(),
    }
}

/// The process of a history's client name (`app1` or `redis-cli@app`).
pub(crate) fn client_pid(r: &Record, client: &str) -> Option<usize> {
    r.pid(&format!("client/{client}")).or_else(|| r.pid(client))
}

fn writes(r: &Record) -> Vec<WriteMark> {
    let o = &r.outcome;
    o.history
        .iter()
        .enumerate()
        .filter_map(|(i, op)| {
            let (key, value) = op.op.written()?;
            let lost = o.writes.lost_keys.iter().any(|k| k == key);
            let fate = match op.result {
                OpResult::Ok { .. } if lost => Fate::Lost,
                OpResult::Ok { .. } => Fate::Kept,
                OpResult::Error { .. } => Fate::Refused,
                OpResult::Timeout | OpResult::Lost { .. } => Fate::Indeterminate,
            };
            let discarded = (fate == Fate::Lost)
                .then(|| r.discarded_by(op.node.as_deref().unwrap_or(""), op.completed_us));
            let waited_us = op.completed_us.saturating_sub(op.invoked_us);
            Some(WriteMark {
                pid: client_pid(r, &op.client)?,
                op: i,
                key: key.to_string(),
                value: value.to_string(),
                fate,
                discarded,
                stalled: waited_us > crate::availability::SERVED_WITHIN_US,
            })
        })
        .collect()
}

fn faults(r: &Record) -> Vec<Fault> {
    // A process's first start is the deployment coming up, not a fault.
    let mut started = std::collections::BTreeSet::new();
    r.kernel
        .iter()
        .filter_map(|k| {
            let label = match &k.change {
                Change::Start { .. } if started.insert(change_pid(&k.change)?) => return None,
                Change::Start { .. } => "started".to_string(),
                Change::Kill { power_loss: false, .. } => "SIGKILL".to_string(),
                Change::Kill { power_loss: true, .. } => "power loss".to_string(),
                Change::Pause { .. } => "SIGSTOP".to_string(),
                Change::Resume { .. } => "SIGCONT".to_string(),
                Change::ClockJump { by_us, .. } => format!("clock {:+} ms", by_us / 1000),
                _ => return None,
            };
            Some(Fault { pid: change_pid(&k.change)?, at_us: k.at.as_micros(), label })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(pid: usize, from_us: u64, to_us: u64, role: Role, writable: bool) -> RoleSpan {
        RoleSpan { pid, from_us, to_us, role, paused: false, link_up: false, offset: 0, writable }
    }

    #[test]
    fn split_brain_needs_two_writable_running_masters() {
        let roles = [
            span(0, 0, 50, Role::Master, true),
            span(0, 50, 100, Role::Replica("b".into()), false),
            span(1, 0, 20, Role::Replica("a".into()), false),
            span(1, 20, 30, Role::Master, false), // refusing writes
            span(1, 30, 100, Role::Master, true),
            RoleSpan { paused: true, ..span(2, 0, 100, Role::Master, true) },
        ];
        assert_eq!(split_brain(&roles), [Window { from_us: 30, to_us: 50, masters: vec![0, 1] }]);
    }

    #[test]
    fn failover_states_follow_the_events() {
        assert_eq!(failover_step("+try-failover"), Some(Some("wait_start")));
        assert_eq!(failover_step("-failover-abort-not-elected"), Some(None));
        assert_eq!(failover_step("+failover-end"), Some(None));
        assert_eq!(failover_step("+sdown"), None);
    }
}
