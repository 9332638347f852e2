//! The workload a client runs: SETs of unique keys and GETs at fixed rates, one operation at a
//! time, as a single-threaded application does.

use super::{Client, Pending, Stage};
use crate::observe::Op;
use crate::resp::Text;
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
    /// No operation starts at or after this (`None`: operations go on until the run ends).
    pub stop: Option<Instant>,
}

impl Client {
    pub(super) fn next_op(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(w) = self.workload else { return };
        if self.pending.is_some() {
            self.due = true;
            return;
        }
        if w.stop.is_some_and(|stop| ctx.now() >= stop) {
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
            (false, None) => Op::Read { key: key_of(&self.name, 0) },
            (true, _) => {
                let key = key_of(&self.name, seq);
                self.last_written = Some(key.clone());
                Op::Write { value: value_of(&self.name, seq), key }
            }
        };
        let attempts = Default::default();
        self.pending =
            Some(Pending { seq, op, invoked: ctx.now(), stage: Stage::Sent, node: None, attempts });
        let interval = Duration::from_micros(1_000_000 / total);
        ctx.set_timer(Timer::ClientNext, interval);
        self.begin(ctx);
    }
}

/// `<name>:<seq, six digits at least>`, the key of write `seq` (`format!("{name}:{seq:06}")`
/// without the formatting machinery: one allocation).
fn key_of(name: &str, seq: u64) -> Text {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut n = seq;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(digits.len() - 6);
    let mut s = String::with_capacity(name.len() + 1 + digits.len() - start);
    s.push_str(name);
    s.push(':');
    s.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
    Text::from(s.as_str())
}

/// `<name>-v<seq>`, the value of write `seq`.
fn value_of(name: &str, seq: u64) -> Text {
    use std::fmt::Write;
    let mut s = String::with_capacity(name.len() + 22);
    let _ = write!(s, "{name}-v{seq}");
    Text::from(s.as_str())
}
