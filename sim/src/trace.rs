//! Traces: every message sent, delivered, held or discarded, every connection event, timer, fault
//! and actor note, as JSON Lines. The first line is a [`TraceHeader`] (format version, seed, a digest
//! of the configuration); each following line is one [`TraceEvent`].
//!
//! The writer streams: a long run is never held in memory. With no tracer attached the kernel pays
//! one branch per event. [`CompareWriter`] checks a run against a recorded trace while it is being
//! produced and remembers the first line that differs, which is how replay works.

use crate::actor::{CloseReason, ConnectError};
use crate::ids::{ConnId, HostId, ProcessId};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};

/// Version of the trace format. A reader refuses any other version rather than misread it.
pub const TRACE_FORMAT: u32 = 1;

/// How much a trace records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TraceLevel {
    /// Faults, process lifecycle, filter changes and actor notes (log lines, state changes).
    #[default]
    Events,
    /// Everything in `Events`, plus every message, connection event and timer.
    Messages,
}

/// A process as the header lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceProcess {
    /// Its name (`10.162.29.33:6371`).
    pub name: String,
    /// The host it lives on.
    pub host: HostId,
}

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Format version; always [`TRACE_FORMAT`] when written by this build.
    pub redsim_trace: u32,
    /// The simulation seed.
    pub seed: u64,
    /// A digest of the configuration that produced the trace.
    pub digest: String,
    /// What the trace records.
    pub level: TraceLevel,
    /// Host names, indexed by `HostId`.
    pub hosts: Vec<String>,
    /// Processes, indexed by `ProcessId`.
    pub processes: Vec<TraceProcess>,
    /// Whatever the embedding model needs to re-run the trace (for redsim: the scenario).
    #[serde(default)]
    pub meta: serde_json::Value,
}

/// One line of a trace after the header. `t` is virtual time in microseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "kebab-case")]
pub enum TraceEvent<M, T, N> {
    /// A process started.
    Start { t: u64, pid: ProcessId },
    /// A process was killed; `power_loss`: because its host lost power (see [`TraceEvent::PowerLoss`]).
    Kill {
        t: u64,
        pid: ProcessId,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        power_loss: bool,
    },
    /// A host lost power: its processes die (each gets a `kill` line with `power_loss`), its
    /// sockets vanish without FIN or RST, and nothing reaches it until it is powered on.
    PowerLoss { t: u64, host: HostId },
    /// A host that lost power boots again; its processes start (each gets a `start` line).
    PowerOn { t: u64, host: HostId },
    /// A process was stopped (SIGSTOP).
    Pause { t: u64, pid: ProcessId },
    /// A paused process continues; what queued meanwhile arrives now.
    Resume { t: u64, pid: ProcessId },
    /// A process's wall clock moved by `by_us`.
    ClockJump { t: u64, pid: ProcessId, by_us: i64 },
    /// An iptables command was applied to a host.
    Filter { t: u64, host: HostId, cmd: String },
    /// Every rule on every host was removed.
    Heal { t: u64 },
    /// A link's latency range changed.
    Latency { t: u64, a: HostId, b: HostId, range: String },
    /// A process opened a connection.
    Connect { t: u64, conn: ConnId, pid: ProcessId, host: HostId, port: u16 },
    /// A SYN (or its answer) was dropped; the kernel will retransmit it.
    SynDropped { t: u64, conn: ConnId },
    /// A process accepted a connection.
    Accept { t: u64, conn: ConnId, pid: ProcessId },
    /// The connecting side learned the connection is up.
    Established { t: u64, conn: ConnId },
    /// A connect failed.
    ConnectFailed { t: u64, conn: ConnId, error: ConnectError },
    /// A message left `conn` (the sending end). `held`: it waits at the sender for the path to heal.
    Send {
        t: u64,
        conn: ConnId,
        n: u32,
        msg: M,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        held: bool,
    },
    /// Message `n` sent from `conn` arrived at the other end.
    Recv { t: u64, conn: ConnId, n: u32 },
    /// Message `n` sent from `conn` reached a socket that no longer exists and was discarded.
    Discard { t: u64, conn: ConnId, n: u32 },
    /// Held messages of `conn` were retransmitted after the path healed.
    Release { t: u64, conn: ConnId, count: u32 },
    /// An end of a connection was closed, locally or by the peer.
    Closed { t: u64, conn: ConnId, reason: CloseReason },
    /// A named timer fired.
    Timer { t: u64, pid: ProcessId, timer: T },
    /// An actor's note (log line, observation, state change).
    Note { t: u64, pid: ProcessId, note: N },
    /// Something the embedding model records about the run as a whole (for redsim: the outcome,
    /// last).
    Extra { t: u64, name: String, data: serde_json::Value },
}

impl<M, T, N> TraceEvent<M, T, N> {
    /// True for the events recorded at [`TraceLevel::Events`].
    pub fn is_event_level(&self) -> bool {
        matches!(
            self,
            TraceEvent::Start { .. }
                | TraceEvent::Kill { .. }
                | TraceEvent::PowerLoss { .. }
                | TraceEvent::PowerOn { .. }
                | TraceEvent::Pause { .. }
                | TraceEvent::Resume { .. }
                | TraceEvent::ClockJump { .. }
                | TraceEvent::Filter { .. }
                | TraceEvent::Heal { .. }
                | TraceEvent::Latency { .. }
                | TraceEvent::Note { .. }
                | TraceEvent::Extra { .. }
        )
    }
}

/// A streaming JSON Lines writer. The first I/O error stops writing and is kept for
/// [`Tracer::finish`].
pub struct Tracer {
    out: Box<dyn Write>,
    level: TraceLevel,
    error: Option<io::Error>,
    lines: u64,
}

impl Tracer {
    /// Writes `header` and returns a tracer for the events that follow.
    pub fn new(mut out: Box<dyn Write>, header: &TraceHeader) -> io::Result<Self> {
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        Ok(Tracer { out, level: header.level, error: None, lines: 1 })
    }

    /// The level this tracer records.
    #[inline]
    pub fn level(&self) -> TraceLevel {
        self.level
    }

    /// Writes one event (the caller has checked the level).
    pub fn write<E: Serialize>(&mut self, event: &E) {
        if self.error.is_some() {
            return;
        }
        let r = serde_json::to_writer(&mut self.out, event)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        match r {
            Ok(()) => self.lines += 1,
            Err(e) => self.error = Some(e),
        }
    }

    /// Lines written so far, the header included.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes, and reports the first error met while writing.
    pub fn finish(mut self) -> io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.lines)
    }
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceReadError {
    /// The file could not be read.
    #[error("cannot read the trace: {0}")]
    Io(#[from] io::Error),
    /// The file is empty.
    #[error("the trace is empty: no header line")]
    Empty,
    /// The first line is not a header.
    #[error("line 1 is not a redsim trace header: {0}")]
    BadHeader(String),
    /// The header names another format version.
    #[error(
        "this trace was written in trace format {found}; this build of redsim reads format {expected} only. Re-record it with this build (`redsim run SCENARIO --trace FILE`) or replay it with the redsim version that wrote it"
    )]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
}

/// Reads the header line of a trace and checks its format version.
pub fn read_header(input: &mut impl BufRead) -> Result<TraceHeader, TraceReadError> {
    let mut first = String::new();
    if input.read_line(&mut first)? == 0 {
        return Err(TraceReadError::Empty);
    }
    let value: serde_json::Value =
        serde_json::from_str(&first).map_err(|e| TraceReadError::BadHeader(e.to_string()))?;
    let Some(found) = value.get("redsim_trace").and_then(|v| v.as_u64()) else {
        return Err(TraceReadError::BadHeader("no `redsim_trace` format field".to_string()));
    };
    if found != u64::from(TRACE_FORMAT) {
        return Err(TraceReadError::Version { found: found as u32, expected: TRACE_FORMAT });
    }
    serde_json::from_value(value).map_err(|e| TraceReadError::BadHeader(e.to_string()))
}

/// The first line where two traces differ. Lines are numbered from 1, the header being line 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// 1-based line number in the recorded trace.
    pub line: u64,
    /// The recorded line (`None`: the recording ended first).
    pub recorded: Option<String>,
    /// The line produced now (`None`: the new run ended first).
    pub replayed: Option<String>,
}

/// Compares two complete traces line by line.
pub fn first_divergence(
    recorded: impl BufRead,
    replayed: impl BufRead,
) -> io::Result<Option<Divergence>> {
    let mut w = CompareWriter::new(recorded);
    let mut replayed = replayed;
    io::copy(&mut replayed, &mut w)?;
    w.finish()
}

/// A `Write` sink that compares what is written, line by line, against a recorded trace, keeping
/// only the current line in memory. Attach it as a tracer's output to replay a run.
pub struct CompareWriter<R> {
    recorded: R,
    pending: Vec<u8>,
    line: u64,
    divergence: Option<Divergence>,
    scratch: String,
}

impl<R: BufRead> CompareWriter<R> {
    /// A comparer against `recorded`.
    pub fn new(recorded: R) -> Self {
        CompareWriter {
            recorded,
            pending: Vec::new(),
            line: 0,
            divergence: None,
            scratch: String::new(),
        }
    }

    fn next_recorded(&mut self) -> io::Result<Option<String>> {
        self.scratch.clear();
        if self.recorded.read_line(&mut self.scratch)? == 0 {
            return Ok(None);
        }
        let s = self.scratch.strip_suffix('\n').unwrap_or(&self.scratch);
        Ok(Some(s.strip_suffix('\r').unwrap_or(s).to_string()))
    }

    fn compare_line(&mut self, produced: &[u8]) -> io::Result<()> {
        self.line += 1;
        let produced = String::from_utf8_lossy(produced).into_owned();
        let recorded = self.next_recorded()?;
        if recorded.as_deref() != Some(produced.as_str()) {
            self.divergence =
                Some(Divergence { line: self.line, recorded, replayed: Some(produced) });
        }
        Ok(())
    }

    /// The first divergence, once the producing run has finished.
    pub fn finish(mut self) -> io::Result<Option<Divergence>> {
        if self.divergence.is_none() && !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.compare_line(&rest)?;
        }
        if self.divergence.is_none() {
            if let Some(extra) = self.next_recorded()? {
                self.divergence =
                    Some(Divergence { line: self.line + 1, recorded: Some(extra), replayed: None });
            }
        }
        Ok(self.divergence)
    }

    /// True once a difference was found (the rest of the run need not be produced).
    pub fn diverged(&self) -> bool {
        self.divergence.is_some()
    }
}

impl<R: BufRead> Write for CompareWriter<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.divergence.is_some() {
            return Ok(buf.len());
        }
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..i]);
            let line = std::mem::take(&mut self.pending);
            self.compare_line(&line)?;
            self.pending = line;
            self.pending.clear();
            if self.divergence.is_some() {
                return Ok(buf.len());
            }
            rest = &rest[i + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_traces_do_not_diverge() {
        let a = "h\nx\ny\n";
        assert_eq!(first_divergence(a.as_bytes(), a.as_bytes()).unwrap(), None);
    }

    #[test]
    fn reports_the_first_differing_line() {
        let d = first_divergence("h\nx\ny\nz\n".as_bytes(), "h\nx\nY\nz\n".as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(
            d,
            Divergence { line: 3, recorded: Some("y".into()), replayed: Some("Y".into()) }
        );
    }

    #[test]
    fn reports_a_trace_that_ends_early() {
        let d = first_divergence("h\nx\n".as_bytes(), "h\nx\ny\n".as_bytes()).unwrap().unwrap();
        assert_eq!((d.line, d.recorded, d.replayed), (3, None, Some("y".into())));
        let d = first_divergence("h\nx\ny\n".as_bytes(), "h\nx\n".as_bytes()).unwrap().unwrap();
        assert_eq!((d.line, d.recorded, d.replayed), (3, Some("y".into()), None));
    }

    #[test]
    fn compare_writer_handles_split_writes() {
        let mut w = CompareWriter::new("abc\ndef\n".as_bytes());
        for chunk in ["a", "bc\nd", "e", "f\n"] {
            w.write_all(chunk.as_bytes()).unwrap();
        }
        assert_eq!(w.finish().unwrap(), None);
    }

    #[test]
    fn header_version_is_checked() {
        let old = r#"{"redsim_trace":0,"seed":1}"#;
        let e = read_header(&mut old.as_bytes()).unwrap_err();
        assert!(matches!(e, TraceReadError::Version { found: 0, expected: TRACE_FORMAT }), "{e}");
        assert!(matches!(read_header(&mut "".as_bytes()), Err(TraceReadError::Empty)));
        assert!(matches!(read_header(&mut "{}".as_bytes()), Err(TraceReadError::BadHeader(_))));
        assert!(matches!(read_header(&mut "nope".as_bytes()), Err(TraceReadError::BadHeader(_))));
    }

    #[test]
    fn events_round_trip_through_json() {
        let ev: TraceEvent<String, String, String> =
            TraceEvent::Send { t: 5, conn: ConnId(3), n: 1, msg: "PING".into(), held: false };
        let line = serde_json::to_string(&ev).unwrap();
        assert_eq!(line, r#"{"ev":"send","t":5,"conn":3,"n":1,"msg":"PING"}"#);
        assert_eq!(serde_json::from_str::<TraceEvent<String, String, String>>(&line).unwrap(), ev);
    }
}
