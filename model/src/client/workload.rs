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

/// `<name>:<seq, six digits at least>`, the key of write `seq` (`format!("{name}:{seq:06}")`).
fn key_of(name: &str, seq: u64) -> Text {
    joined(name, ":", seq, 6)
}

/// `<name>-v<seq>`, the value of write `seq` (`format!("{name}-v{seq}")`).
fn value_of(name: &str, seq: u64) -> Text {
    joined(name, "-v", seq, 1)
}

/// `<head><sep><n>`, `n` in decimal with at least `width` digits (zero-padded), built without
/// the formatting machinery: on the stack when short, so the text's own is the one allocation.
fn joined(head: &str, sep: &str, n: u64, width: usize) -> Text {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let tail = &digits[i.min(digits.len() - width)..];
    let parts = [head.as_bytes(), sep.as_bytes(), tail];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut buf = [0u8; 96];
    if len > buf.len() {
        let text: Vec<u8> = parts.concat();
        return Text::from(std::str::from_utf8(&text).expect("strs and ASCII digits"));
    }
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    Text::from(std::str::from_utf8(&buf[..len]).expect("strs and ASCII digits"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_and_values_are_the_formatted_ones() {
        let long = "n".repeat(90);
        for name in ["c1", "writer-é", "", long.as_str()] {
            for seq in [0, 7, 42, 999_999, 1_000_000, u64::MAX] {
                assert_eq!(&*super::key_of(name, seq), format!("{name}:{seq:06}"));
                assert_eq!(&*super::value_of(name, seq), format!("{name}-v{seq}"));
            }
        }
    }
}
