//! A run as the views need it (explanation, timeline, exports): the scenario, the processes, every
//! note in time order, and the outcome. Built from a finished run, or read back from a trace
//! file, so every view works on both.

use crate::check::Outcome;
use crate::client::OpRecord;
use crate::node::Note;
use crate::replay::{ReplayError, embedded_scenario};
use crate::run::Deployment;
use crate::scenario::Scenario;
use sim::Instant;
use std::io::BufRead;

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
        Record { scenario: scenario.clone(), seed, processes, entries, outcome: outcome.clone() }
    }

    /// Reads a trace written by `redsim run --trace` (any level).
    pub fn from_trace(path: &str) -> Result<Record, RecordError> {
        let (scenario, header) = embedded_scenario(path)?;
        let processes = header
            .processes
            .iter()
            .map(|p| Proc {
                name: p.name.clone(),
                host: header.hosts.get(p.host.0 as usize).cloned().unwrap_or_default(),
                kind: kind_of(&scenario, &p.name),
            })
            .collect();
        let file = std::fs::File::open(path)
            .map_err(|e| ReplayError::Read { path: path.to_string(), source: e.into() })?;
        let bad = |line: usize, message: String| RecordError::Line {
            path: path.to_string(),
            line,
            message,
        };
        let mut entries = Vec::new();
        let mut outcome: Option<Outcome> = None;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate().skip(1) {
            let line = line.map_err(|e| bad(i + 1, e.to_string()))?;
            let v: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| bad(i + 1, e.to_string()))?;
            match v["ev"].as_str() {
                Some("note") => {
                    let note: Note = serde_json::from_value(v["note"].clone())
                        .map_err(|e| bad(i + 1, e.to_string()))?;
                    let at = Instant::from_micros(v["t"].as_u64().unwrap_or(0));
                    entries.push(Entry { at, pid: v["pid"].as_u64().unwrap_or(0) as usize, note });
                }
                Some("extra") if v["name"] == "outcome" => {
                    outcome = Some(
                        serde_json::from_value(v["data"].clone())
                            .map_err(|e| bad(i + 1, e.to_string()))?,
                    );
                }
                _ => {}
            }
        }
        let mut outcome =
            outcome.ok_or_else(|| RecordError::NoOutcome { path: path.to_string() })?;
        outcome.history = history(&entries);
        Ok(Record { scenario, seed: header.seed, processes, entries, outcome })
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
