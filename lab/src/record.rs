//! A run as the views need it (explanation, timeline, exports): the scenario, the processes, every
//! note in time order, what the kernel applied (starts, kills, pauses, filter commands, heals),
//! the messages when the trace recorded them, and the outcome. Built from a finished run, or read
//! back from a trace file, so every view works on both; for the same run both give the same
//! record, except that only a trace at level `messages` has messages.

use crate::limits::{CappedLines, TRACE_LINE_MAX_BYTES};
use crate::outcome::Outcome;
use crate::run::Deployment;
use crate::scenario::{Scenario, ScenarioError};
use crate::text::secs;
use model::observe::OpRecord;
use model::observe::{Note, ReplNote};
use sim::trace::{TraceReadError, read_header};
use sim::{Instant, TraceEvent, TraceLevel};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};

/// What a process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcKind {
    /// A Redis server.
    Redis,
    /// A sentinel.
    Sentinel,
    /// A workload client.
    Client,
    /// redis-cli running `command` events.
    Cli,
}

/// One process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// `host:port`, `client/<name>` or `redis-cli@<host>`.
    pub name: String,
    /// Its host.
    pub host: String,
    /// What it is.
    pub kind: ProcKind,
}

/// One note, with when and who (an index into `processes`).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When.
    pub at: Instant,
    /// Who.
    pub pid: usize,
    /// What.
    pub note: Note,
}

/// Something the kernel applied: a process's lifecycle, a fault, a network change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The process started (or restarted).
    Start { pid: usize },
    /// The process was killed; `power_loss`: because its host lost power.
    Kill { pid: usize, power_loss: bool },
    /// A host (an index into the scenario's hosts) lost power: no FIN, no RST, silence.
    PowerLoss { host: usize },
    /// A host that had lost power boots again.
    PowerOn { host: usize },
    /// The process was stopped (SIGSTOP).
    Pause { pid: usize },
    /// The process continued.
    Resume { pid: usize },
    /// The process's wall clock moved.
    ClockJump { pid: usize, by_us: i64 },
    /// An iptables command ran on a host (an index into the scenario's hosts), as written.
    Filter { host: usize, cmd: String },
    /// Every rule on every host was removed.
    Heal,
    /// A link's latency range changed.
    Latency { a: usize, b: usize, range: String },
}

/// One change, with when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelEntry {
    /// When.
    pub at: Instant,
    /// What.
    pub change: Change,
}

impl KernelEntry {
    /// The change a trace event records, if it is one.
    pub fn of<M, T, N>(e: &TraceEvent<M, T, N>) -> Option<KernelEntry> {
        let at = |t: u64| Instant::from_micros(t);
        let pid = |p: sim::ProcessId| p.0 as usize;
        let (t, change) = match e {
            TraceEvent::Start { t, pid: p } => (t, Change::Start { pid: pid(*p) }),
            TraceEvent::Kill { t, pid: p, power_loss } => {
                (t, Change::Kill { pid: pid(*p), power_loss: *power_loss })
            }
            TraceEvent::PowerLoss { t, host } => (t, Change::PowerLoss { host: host.0 as usize }),
            TraceEvent::PowerOn { t, host } => (t, Change::PowerOn { host: host.0 as usize }),
            TraceEvent::Pause { t, pid: p } => (t, Change::Pause { pid: pid(*p) }),
            TraceEvent::Resume { t, pid: p } => (t, Change::Resume { pid: pid(*p) }),
            TraceEvent::ClockJump { t, pid: p, by_us } => {
                (t, Change::ClockJump { pid: pid(*p), by_us: *by_us })
            }
            TraceEvent::Filter { t, host, cmd } => {
                (t, Change::Filter { host: host.0 as usize, cmd: cmd.clone() })
            }
            TraceEvent::Heal { t } => (t, Change::Heal),
            TraceEvent::Latency { t, a, b, range } => {
                (t, Change::Latency { a: a.0 as usize, b: b.0 as usize, range: range.clone() })
            }
            _ => return None,
        };
        Some(KernelEntry { at: at(*t), change })
    }
}

/// One message between two processes (only in traces recorded at level `messages`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// When it left the sender.
    pub sent: Instant,
    /// The sender (an index into `processes`).
    pub from: usize,
    /// The receiver, when the trace shows who accepted the connection.
    pub to: Option<usize>,
    /// When it arrived (`None`: discarded, or still held at the end).
    pub arrived: Option<Instant>,
    /// What it was, shortened: `PING`, `+OK`, `SET app1:000001 app1-v1`, `stream PING`.
    pub label: String,
}

/// A run.
#[derive(Clone, Debug)]
pub struct Record {
    /// The scenario.
    pub scenario: Scenario,
    /// The seed.
    pub seed: u64,
    /// Every process, indexed as in the trace.
    pub processes: Vec<Proc>,
    /// Every note, in time order.
    pub entries: Vec<Entry>,
    /// What the kernel applied, in order. At equal times a change precedes the notes (faults are
    /// applied before the actors' own events at that instant).
    pub kernel: Vec<KernelEntry>,
    /// What the trace recorded: `Events` for a record of a finished run.
    pub level: TraceLevel,
    /// Every message, in send order; empty unless `level` is `Messages`.
    pub messages: Vec<Message>,
    /// The outcome, with the history filled in.
    pub outcome: Outcome,
}

fn kind_of(scenario: &Scenario, name: &str) -> ProcKind {
    let is = |a: sim::Addr| format!("{}:{}", scenario.hosts[a.host.0 as usize], a.port) == name;
    if scenario.redis.iter().any(|r| is(r.addr)) {
        ProcKind::Redis
    } else if scenario.sentinels.iter().any(|s| is(s.addr)) {
        ProcKind::Sentinel
    } else if name.starts_with("redis-cli@") {
        ProcKind::Cli
    } else {
        ProcKind::Client
    }
}

/// Why a trace could not be read as a record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The header or the embedded scenario.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A line that is not a trace event.
    #[error("{path}: line {line}: {message}")]
    Line { path: String, line: usize, message: String },
    /// The trace ends without the outcome line (the run was cut short).
    #[error("{path}: no outcome line at the end: the trace is incomplete")]
    NoOutcome { path: String },
}

impl Record {
    /// The record of a finished run.
    pub fn from_run(scenario: &Scenario, seed: u64, d: &Deployment, outcome: &Outcome) -> Record {
        let w = &d.world;
        let processes = w
            .pids()
            .map(|p| {
                let name = w.name(p).to_string();
                Proc {
                    host: d.dir.name(w.addr(p).host).to_string(),
                    kind: kind_of(scenario, &name),
                    name,
                }
            })
            .collect();
        let entries = w
            .notes()
            .iter()
            .map(|n| Entry { at: n.at, pid: n.pid.0 as usize, note: n.note.clone() })
            .collect();
        let kernel = w.faults().iter().filter_map(KernelEntry::of).collect();
        Record {
            scenario: scenario.clone(),
            seed,
            processes,
            entries,
            kernel,
            level: TraceLevel::Events,
            messages: Vec::new(),
            outcome: outcome.clone(),
        }
    }

    /// Reads a trace written by `redsim run --trace` (any level).
    pub fn from_trace(path: &str) -> Result<Record, RecordError> {
        let file = File::open(path)
            .map_err(|e| ReplayError::Read { path: path.to_string(), source: e.into() })?;
        Record::read_trace(path, BufReader::new(file))
    }

    /// Reads a trace from `input` (a file, standard input), named `path` in errors, in one pass,
    /// each line at most [`TRACE_LINE_MAX_BYTES`].
    pub fn read_trace(path: &str, input: impl BufRead) -> Result<Record, RecordError> {
        let mut input = trace_lines(input);
        let (scenario, header, _) = read_embedded(path, &mut input)?;
        let bad = |line: usize, message: String| RecordError::Line {
            path: path.to_string(),
            line,
            message,
        };
        let hosts = scenario.hosts.len();
        let processes: Vec<Proc> = header
            .processes
            .iter()
            .map(|p| match scenario.hosts.get(p.host.0 as usize) {
                Some(host) => Ok(Proc {
                    name: p.name.clone(),
                    host: host.clone(),
                    kind: kind_of(&scenario, &p.name),
                }),
                None => Err(bad(
                    1,
                    format!(
                        "process {} is on host {}, which the scenario does not have",
                        p.name, p.host.0
                    ),
                )),
            })
            .collect::<Result<_, _>>()?;
        let n = processes.len();
        let mut entries = Vec::new();
        let mut kernel = Vec::new();
        let mut wire = Wire::default();
        let mut outcome: Option<Outcome> = None;
        // Line 1, the header, is read; `i + 1` is the line's number.
        for (i, line) in input.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            let line = line.map_err(|e| bad(i + 1, e.to_string()))?;
            let v: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| bad(i + 1, e.to_string()))?;
            let pid_ok = |p: usize| {
                if p < n { Ok(p) } else { Err(bad(i + 1, format!("no process {p} in the header"))) }
            };
            match v["ev"].as_str() {
                Some("note") => {
                    let note: Note = serde_json::from_value(v["note"].clone())
                        .map_err(|e| bad(i + 1, e.to_string()))?;
                    let at = Instant::from_micros(v["t"].as_u64().unwrap_or(0));
                    let pid = pid_ok(v["pid"].as_u64().unwrap_or(0) as usize)?;
                    entries.push(Entry { at, pid, note });
                }
                Some("extra") if v["name"] == "outcome" => {
                    outcome = Some(
                        serde_json::from_value(v["data"].clone())
                            .map_err(|e| bad(i + 1, e.to_string()))?,
                    );
                }
                Some("extra") => {}
                Some(_) => {
                    type Any = serde_json::Value;
                    let ev: TraceEvent<Any, Any, Any> =
                        serde_json::from_value(v).map_err(|e| bad(i + 1, e.to_string()))?;
                    if let Some(k) = KernelEntry::of(&ev) {
                        match k.change {
                            Change::Start { pid }
                            | Change::Kill { pid, .. }
                            | Change::Pause { pid }
                            | Change::Resume { pid }
                            | Change::ClockJump { pid, .. } => {
                                pid_ok(pid)?;
                            }
                            Change::Filter { host: h, .. }
                            | Change::Latency { a: h, b: _, .. }
                            | Change::PowerLoss { host: h }
                            | Change::PowerOn { host: h }
                                if h >= hosts =>
                            {
                                return Err(bad(i + 1, format!("no host {h} in the scenario")));
                            }
                            Change::Latency { b, .. } if b >= hosts => {
                                return Err(bad(i + 1, format!("no host {b} in the scenario")));
                            }
                            _ => {}
                        }
                        kernel.push(k);
                    } else {
                        wire.add(&ev, &pid_ok)?;
                    }
                }
                None => return Err(bad(i + 1, "no `ev` field".to_string())),
            }
        }
        let mut outcome =
            outcome.ok_or_else(|| RecordError::NoOutcome { path: path.to_string() })?;
        outcome.history = history(&entries);
        Ok(Record {
            scenario,
            seed: header.seed,
            processes,
            entries,
            kernel,
            level: header.level,
            messages: wire.finish(),
            outcome,
        })
    }

    /// The name of process `pid`.
    pub fn name(&self, pid: usize) -> &str {
        &self.processes[pid].name
    }

    /// The process called `name`.
    pub fn pid(&self, name: &str) -> Option<usize> {
        self.processes.iter().position(|p| p.name == name)
    }
}

/// Messages as a trace at level `messages` shows them: who owns each end of a connection, what
/// was sent, and when it arrived.
#[derive(Default)]
struct Wire {
    /// The process holding each connection end.
    owner: BTreeMap<u32, usize>,
    /// (sending end, message number) -> index into `messages`.
    pending: BTreeMap<(u32, u32), usize>,
    /// Messages, with the sending end in place of the receiver until `finish`.
    messages: Vec<(u32, Message)>,
}

impl Wire {
    fn add<E>(
        &mut self,
        ev: &TraceEvent<serde_json::Value, serde_json::Value, serde_json::Value>,
        pid_ok: &dyn Fn(usize) -> Result<usize, E>,
    ) -> Result<(), E> {
        match ev {
            TraceEvent::Connect { conn, pid, .. } | TraceEvent::Accept { conn, pid, .. } => {
                self.owner.insert(conn.0, pid_ok(pid.0 as usize)?);
            }
            TraceEvent::Send { t, conn, n, msg, .. } => {
                let from = self.owner.get(&conn.0).copied().unwrap_or(0);
                self.pending.insert((conn.0, *n), self.messages.len());
                let label = label(msg);
                let m = Message {
                    sent: Instant::from_micros(*t),
                    from,
                    to: None,
                    arrived: None,
                    label,
                };
                self.messages.push((conn.0, m));
            }
            TraceEvent::Recv { t, conn, n } => {
                if let Some(&i) = self.pending.get(&(conn.0, *n)) {
                    self.messages[i].1.arrived = Some(Instant::from_micros(*t));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Vec<Message> {
        let owner = self.owner;
        self.messages
            .into_iter()
            .map(|(conn, mut m)| {
                m.to = owner.get(&(conn ^ 1)).copied();
                m
            })
            .collect()
    }
}

/// A message as a short label: a command's words, a reply, a pushed channel, a stream item.
fn label(msg: &serde_json::Value) -> String {
    let words = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::Array(a) => a
                .iter()
                .map(|w| {
                    let s = w.as_str().map_or_else(|| w.to_string(), str::to_string);
                    if s.chars().count() > 24 {
                        format!("{}…", s.chars().take(23).collect::<String>())
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let Some((kind, v)) = msg.as_object().and_then(|o| o.iter().next()) else {
        return words(msg);
    };
    match kind.as_str() {
        "cmd" | "reply" => words(v),
        "push" => format!("message {}", v[0].as_str().unwrap_or("")),
        "stream" => format!("stream {}", words(v)),
        "rdb" => format!("RDB {}", words(v)),
        other => format!("{other} {}", words(v)),
    }
}

/// The client operations among `entries`, in invocation order.
pub fn history(entries: &[Entry]) -> Vec<OpRecord> {
    let mut h: Vec<OpRecord> = entries
        .iter()
        .filter_map(|e| match &e.note {
            Note::Op(op) => Some(op.clone()),
            _ => None,
        })
        .collect();
    h.sort_by_key(|o| (o.invoked_us, o.client.clone(), o.seq));
    h
}

/// Why a trace could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file or its header could not be read.
    #[error("{path}: {source}")]
    Read { path: String, source: TraceReadError },
    /// The header does not embed a scenario.
    #[error(
        "{path}: the header embeds no scenario (meta.scenario): this trace was not written by `redsim run --trace`"
    )]
    NoScenario { path: String },
    /// The embedded scenario does not parse.
    #[error("the scenario embedded in {path} is invalid: {source}")]
    Scenario { path: String, source: ScenarioError },
    /// The embedded scenario does not match the digest.
    #[error(
        "{path}: the embedded scenario's digest is {found}, the header says {expected}: the trace was edited"
    )]
    Digest { path: String, found: String, expected: String },
}

/// The scenario a trace embeds, as its seed runs it (with the faults an `[explore]` table
/// draws), and its header.
pub fn embedded_scenario(path: &str) -> Result<(Scenario, sim::TraceHeader), ReplayError> {
    let file = File::open(path)
        .map_err(|e| ReplayError::Read { path: path.to_string(), source: e.into() })?;
    let mut input = trace_lines(BufReader::new(file));
    read_embedded(path, &mut input).map(|(scenario, header, _)| (scenario, header))
}

/// `input` with the cap on a trace's lines ([`TRACE_LINE_MAX_BYTES`]).
pub fn trace_lines<R: BufRead>(input: R) -> CappedLines<R> {
    CappedLines::new(input, TRACE_LINE_MAX_BYTES)
}

/// Reads the header line of the trace `input` (named `path` in errors) and the scenario it
/// embeds, as [`embedded_scenario`]; returns the header line's bytes too, and leaves `input` at
/// the first line of the body.
pub fn read_embedded(
    path: &str,
    input: &mut impl BufRead,
) -> Result<(Scenario, sim::TraceHeader, Vec<u8>), ReplayError> {
    let read = |source| ReplayError::Read { path: path.to_string(), source };
    let mut line = Vec::new();
    input.read_until(b'\n', &mut line).map_err(|e| read(e.into()))?;
    let header = read_header(&mut line.as_slice()).map_err(read)?;
    let (Some(text), Some(spath)) =
        (header.meta["scenario"].as_str(), header.meta["path"].as_str())
    else {
        return Err(ReplayError::NoScenario { path: path.to_string() });
    };
    let scenario = Scenario::parse(spath, text)
        .map_err(|source| ReplayError::Scenario { path: path.to_string(), source })?;
    if scenario.digest() != header.digest {
        return Err(ReplayError::Digest {
            path: path.to_string(),
            found: scenario.digest(),
            expected: header.digest,
        });
    }
    Ok((scenario.for_seed(header.seed), header, line))
}

impl Record {
    /// What discarded writes that `node` acknowledged up to `last_ack_us`, in words.
    pub fn discarded_by(&self, node: &str, last_ack_us: u64) -> String {
        let r = self;
        let at = |e: &Entry| secs(e.at.as_micros() / 1000);
        let Some(pid) = r.pid(node) else { return String::new() };
        let later = r.entries.iter().filter(|e| e.pid == pid && e.at.as_micros() >= last_ack_us);
        for e in later {
            match &e.note {
                Note::Repl(ReplNote::FullSync { from, flushed_keys, .. }) => {
                    let cause = r
                        .entries
                        .iter()
                        .filter(|x| x.at <= e.at && x.at.as_micros() >= last_ack_us)
                        .rev()
                        .find_map(|x| match &x.note {
                            Note::Log { event: Some(ev), text, .. }
                                if ev == "+convert-to-slave" && text.contains(node) =>
                            {
                                Some(format!(
                                    " after {} sent +convert-to-slave at {}",
                                    r.name(x.pid),
                                    at(x)
                                ))
                            }
                            _ => None,
                        })
                        .unwrap_or_default();
                    return format!(
                        "discarded at {} when {node} full-resynced from {from}{cause}: a replica flushes its whole dataset (here {flushed_keys} keys) before loading the master's",
                        at(e)
                    );
                }
                Note::Repl(ReplNote::Started { keys, loaded_from, .. }) => {
                    return format!(
                        "discarded at {} when {node} restarted with {keys} keys (loaded from {loaded_from})",
                        at(e)
                    );
                }
                _ => {}
            }
        }
        format!("{node} never passed them to the final master")
    }
}
