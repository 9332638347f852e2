//! Bandwidth: a link direction with a finite rate is a *pipe* shared by the connections that have
//! data on it, by processor sharing (each connection with bytes to send gets an equal share of the
//! rate at every instant, what TCP's congestion control converges to for flows with the same
//! round-trip time). Messages of one connection leave in order: only the oldest is on the wire, the
//! next starts when its last byte has left. A message arrives one latency draw after its last byte
//! left, so a transfer takes latency + size / share.
//!
//! Work is counted in micro-bytes (bytes × 10⁶) so that a rate in bytes per second drains a whole
//! number of micro-bytes per microsecond: integer arithmetic, the same on every machine.

use crate::ids::ConnId;
use crate::time::{Duration, Instant};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// A link's rate, in bytes per second. Scenarios write bits per second as `tc` does: `"1Gbit"`,
/// `"100Mbit"`, `"512Kbit"`, `"9600bit"` (decimal prefixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bandwidth(u64);

impl Bandwidth {
    /// `bits` bits per second (rounded down to whole bytes, at least one).
    pub fn from_bits_per_sec(bits: u64) -> Self {
        Bandwidth((bits / 8).max(1))
    }

    /// Bytes per second.
    pub fn bytes_per_sec(self) -> u64 {
        self.0
    }

    /// How long `bytes` take at the whole rate (rounded up to the microsecond).
    pub fn time_for(self, bytes: u64) -> Duration {
        let us = (u128::from(bytes) * 1_000_000).div_ceil(u128::from(self.0));
        Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.0 * 8;
        for (unit, scale) in [("Gbit", 1_000_000_000), ("Mbit", 1_000_000), ("Kbit", 1_000)] {
            if bits >= scale && bits % scale == 0 {
                return write!(f, "{}{unit}", bits / scale);
            }
        }
        write!(f, "{bits}bit")
    }
}

/// Why a bandwidth did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad bandwidth {0:?}: expected a number of bits per second such as \"1Gbit\", \"100Mbit\", \"512Kbit\" or \"9600bit\""
)]
pub struct BandwidthError(String);

impl FromStr for Bandwidth {
    type Err = BandwidthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BandwidthError(s.to_string());
        let t = s.trim();
        let digits = t.find(|c: char| !c.is_ascii_digit() && c != '_').unwrap_or(t.len());
        let n: u64 = t[..digits].replace('_', "").parse().map_err(|_| bad())?;
        let scale: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
            "bit" => 1,
            "kbit" => 1_000,
            "mbit" => 1_000_000,
            "gbit" => 1_000_000_000,
            _ => return Err(bad()),
        };
        let bits = n.checked_mul(scale).filter(|&b| b >= 8).ok_or_else(bad)?;
        Ok(Bandwidth::from_bits_per_sec(bits))
    }
}

const MICRO: u128 = 1_000_000;

/// One message on its way through a pipe.
#[derive(Debug)]
struct Queued<P> {
    n: u32,
    payload: P,
    /// Micro-bytes still to send (only the head of a flow is being sent).
    left: u128,
}

/// The messages one connection direction has queued on the pipe, oldest first.
#[derive(Debug)]
struct PipeFlow<P> {
    from: ConnId,
    queue: VecDeque<Queued<P>>,
}

/// One direction of a link with a finite rate, shared by processor sharing.
#[derive(Debug)]
pub(crate) struct Pipe<P> {
    rate: u64,
    /// Connections with bytes to send, in the order they became active.
    flows: Vec<PipeFlow<P>>,
    /// The instant up to which `left` is accounted.
    at: Instant,
    /// Bumped whenever the next completion moves; a stale wake-up carries an older one.
    pub generation: u32,
}

impl<P> Pipe<P> {
    /// An idle pipe of `rate`.
    pub fn new(rate: Bandwidth) -> Self {
        Pipe { rate: rate.0, flows: Vec::new(), at: Instant::ZERO, generation: 0 }
    }

    /// True when connection direction `from` has nothing queued (a payload may skip the pipe).
    pub fn idle_for(&self, from: ConnId) -> bool {
        !self.flows.iter().any(|f| f.from == from)
    }

    /// Drains the bytes sent since the last accounting, at each active flow's share.
    fn advance(&mut self, now: Instant) {
        let dt = u128::from(now.saturating_since(self.at).as_micros());
        self.at = now;
        let k = self.flows.len() as u128;
        if k == 0 || dt == 0 {
            return;
        }
        let sent = u128::from(self.rate) * dt / k;
        for f in &mut self.flows {
            if let Some(head) = f.queue.front_mut() {
                head.left = head.left.saturating_sub(sent);
            }
        }
    }

    /// Queues message `n` of `from` (`bytes` long) at `now`.
    pub fn push(&mut self, now: Instant, from: ConnId, n: u32, payload: P, bytes: u64) {
        self.advance(now);
        let q = Queued { n, payload, left: u128::from(bytes) * MICRO };
        match self.flows.iter_mut().find(|f| f.from == from) {
            Some(f) => f.queue.push_back(q),
            None => self.flows.push(PipeFlow { from, queue: VecDeque::from([q]) }),
        }
    }

    /// Takes, at `now`, every message whose last byte has left, in flow order, and starts the
    /// next message of each such flow.
    pub fn take_done(&mut self, now: Instant) -> Vec<(ConnId, u32, P)> {
        self.advance(now);
        let mut done = Vec::new();
        for f in &mut self.flows {
            while f.queue.front().is_some_and(|q| q.left == 0) {
                let q = f.queue.pop_front().expect("checked");
                done.push((f.from, q.n, q.payload));
            }
        }
        self.flows.retain(|f| !f.queue.is_empty());
        done
    }

    /// Drops everything `from` still has queued (its socket is gone).
    pub fn purge(&mut self, now: Instant, from: ConnId) {
        self.advance(now);
        self.flows.retain(|f| f.from != from);
    }

    /// When the next message's last byte leaves, if anything is queued: the smallest head at the
    /// current share, rounded up to the microsecond.
    pub fn next_done(&self) -> Option<Instant> {
        let k = self.flows.len() as u128;
        let least = self.flows.iter().filter_map(|f| f.queue.front()).map(|q| q.left).min()?;
        let us = (least * k).div_ceil(u128::from(self.rate));
        Some(self.at + Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbit() -> Bandwidth {
        "1Gbit".parse().unwrap()
    }

    /// Runs the pipe to completion: (connection, message, instant its last byte left).
    fn run(pipe: &mut Pipe<()>) -> Vec<(ConnId, u32, u64)> {
        let mut out = Vec::new();
        while let Some(at) = pipe.next_done() {
            for (c, n, ()) in pipe.take_done(at) {
                out.push((c, n, at.as_micros()));
            }
        }
        out
    }

    #[test]
    fn bandwidths_parse_in_bits_per_second() {
        assert_eq!(gbit().bytes_per_sec(), 125_000_000);
        assert_eq!("100Mbit".parse::<Bandwidth>().unwrap().bytes_per_sec(), 12_500_000);
        assert_eq!("512kbit".parse::<Bandwidth>().unwrap().bytes_per_sec(), 64_000);
        assert_eq!("1_000bit".parse::<Bandwidth>().unwrap().bytes_per_sec(), 125);
        assert_eq!(gbit().to_string(), "1Gbit");
        assert_eq!("1500Kbit".parse::<Bandwidth>().unwrap().to_string(), "1500Kbit");
        for bad in ["", "1GB", "fast", "0bit", "Gbit", "99999999999999999999Gbit"] {
            assert!(bad.parse::<Bandwidth>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_transfer_takes_its_size_over_the_rate() {
        // 10 GB on 1 Gbit/s: 80 s.
        assert_eq!(gbit().time_for(10_000_000_000), Duration::from_secs(80));
        let mut p = Pipe::new(gbit());
        let c = ConnId::connector(0);
        p.push(Instant::ZERO, c, 0, (), 125_000_000);
        p.push(Instant::ZERO, c, 1, (), 1_250);
        // One connection: the second message starts when the first has left.
        assert_eq!(run(&mut p), [(c, 0, 1_000_000), (c, 1, 1_000_010)]);
    }

    #[test]
    fn two_connections_share_the_rate() {
        let mut p = Pipe::new(gbit());
        let (a, b) = (ConnId::connector(0), ConnId::connector(1));
        // a starts alone with 250 MB; b joins after 1 s with 50 MB. a has sent 125 MB alone, then
        // both get half: b's 50 MB take 0.8 s, a's remaining 125 MB take 0.8 s at half and the
        // remaining 75 MB 0.6 s alone.
        p.push(Instant::ZERO, a, 0, (), 250_000_000);
        let one = Instant::ZERO + Duration::from_secs(1);
        assert_eq!(p.next_done(), Some(Instant::ZERO + Duration::from_secs(2)));
        assert!(p.take_done(one).is_empty());
        p.push(one, b, 0, (), 50_000_000);
        assert_eq!(run(&mut p), [(b, 0, 1_800_000), (a, 0, 2_400_000)]);
        assert!(p.idle_for(a) && p.idle_for(b));
    }

    #[test]
    fn a_purged_connection_frees_its_share() {
        let mut p = Pipe::new(gbit());
        let (a, b) = (ConnId::connector(0), ConnId::connector(1));
        p.push(Instant::ZERO, a, 0, (), 125_000_000);
        p.push(Instant::ZERO, b, 0, (), 125_000_000);
        // After 1 s each has sent half; b's socket goes, a sends its last half alone.
        p.purge(Instant::ZERO + Duration::from_secs(1), b);
        assert_eq!(run(&mut p), [(a, 0, 1_500_000)]);
    }
}
