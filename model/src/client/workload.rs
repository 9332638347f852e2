//! The workload a client runs: SETs of unique keys and GETs at fixed rates, one operation at a
//! time, as a single-threaded application does.

use super::{Client, Pending, Stage};
use crate::observe::Op;
use crate::wire::{NodeCtx, Timer};
use sim::{Duration, Instant};

/// A workload: SETs of unique keys and GETs, at fixed rates, between `start` and `stop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// SETs per second.
    pub writes_per_sec: u32,
    /// GETs per second.
    pub reads_per_sec: u32,
    /// First operation.
    pub start: Instant,
    /// No operation starts at or after this.
    pub stop: Instant,
}

impl Client {
    pub(super) fn next_op(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(w) = self.workload else { return };
        if self.pending.is_some() {
            self.due = true;
            return;
        }
        if ctx.now() >= w.stop {
            return;
        }
        let total = u64::from(w.writes_per_sec) + u64::from(w.reads_per_sec);
        if total == 0 {
            return;
        }
        // Interleave reads and writes evenly: operation n is a write when the running share of
        // writes crosses an integer (a Bresenham line).
        let n = self.started_ops;
        let wps = u64::from(w.writes_per_sec);
        let is_write = (n + 1) * wps / total > n * wps / total;
        self.started_ops += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        let op = match (is_write, &self.last_written) {
            (false, Some(k)) => Op::Read { key: k.clone() },
            // A reader that has written nothing reads the key its first write would have.
            (false, None) => Op::Read { key: format!("{}:{:06}", self.name, 0) },
            (true, _) => {
                let key = format!("{}:{:06}", self.name, seq);
                self.last_written = Some(key.clone());
                Op::Write { value: format!("{}-v{}", self.name, seq).into(), key: key.into() }
            }
        };
        self.pending =
            Some(Pending { seq, op, invoked: ctx.now(), stage: Stage::Sent, node: None });
        let interval = Duration::from_micros(1_000_000 / total);
        ctx.set_timer(Timer::ClientNext, interval);
        self.begin(ctx);
    }
}
