//! Connections as Linux TCP behaves under packet filters (see the README's fidelity section and
//! `reference/tcp-under-filters.md`). This module holds the per-connection state; the world
//! schedules the events it asks for.
//!
//! The model, per direction of a connection:
//! - with no filter rule anywhere and nothing outstanding, a message arrives after a latency draw,
//!   never before an earlier message of the same direction (FIFO even with random latency);
//! - a message whose data path is dropped is *held* at the sender and the oldest unacknowledged
//!   time starts the retransmission clock: retransmissions at +200 ms, doubling, capped at 120 s;
//! - when only the acknowledgement path is dropped, messages sent within one retransmission
//!   timeout of the oldest unacknowledged one still arrive; later ones are held. When that
//!   oldest message was alone in flight for a whole timeout, the tail loss probe (whose timeout
//!   for a single segment includes the 200 ms delayed-ACK allowance) carries new data and re-arms
//!   the retransmission timer, so sending goes on for a second timeout;
//! - held messages flow again, in order and once, at the first retransmission at which both paths
//!   pass; after `tcp_retries2` (15) retransmissions the sender's socket fails with a timeout;
//! - a SYN that is dropped is retried on the kernel's schedule ([`SynSchedule`]).

use crate::ids::{Addr, ProcessId};
use crate::time::{Duration, Instant};
use std::collections::VecDeque;

/// Linux's `tcp_retries2`: retransmissions of data before the connection is aborted.
pub const TCP_RETRIES2: u8 = 15;
/// Linux's `TCP_RTO_MAX`.
pub const RTO_MAX: Duration = Duration::from_secs(120);

/// When the kernel retransmits a SYN that got no answer, and when it gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynSchedule {
    /// Retransmission times, measured from the first SYN.
    pub retries: Vec<Duration>,
    /// When `connect` fails with `Connection timed out`, measured from the first SYN.
    pub give_up: Duration,
}

impl SynSchedule {
    /// Linux's schedule for `tcp_syn_retries = 6` with `tcp_syn_linear_timeouts = linear`: the
    /// first `linear` retransmissions one second apart, then exponential back-off. With 4 (Linux
    /// 6.5 and later): 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, failure at 131 s. With 0 (older kernels):
    /// 1, 3, 7, 15, 31, 63 s, failure at 127 s.
    pub fn linux(linear: u32) -> Self {
        // Interval i (0-based) is one second for the first `linear + 1` intervals, then doubles.
        let interval = |i: u32| if i <= linear { 1 } else { 1u64 << (i - linear) };
        let mut at = 0u64;
        let retries = (0..6 + linear)
            .map(|i| {
                at += interval(i);
                Duration::from_secs(at)
            })
            .collect();
        SynSchedule { retries, give_up: Duration::from_secs(at + interval(6 + linear)) }
    }
}

/// What travels in one direction of a connection.
#[derive(Clone, Debug)]
pub(crate) enum Payload<M> {
    Data(M),
    /// The sender closed (or its process died): end-of-file.
    Fin,
    /// A reset.
    Rst,
}

/// The sending state of one direction.
#[derive(Debug)]
pub(crate) struct Flow<M> {
    /// When the last message of this direction arrives (or arrived): FIFO clamp.
    pub last_arrival: Instant,
    /// Messages sent so far (numbers them in traces).
    pub sent: u32,
    /// Time of the oldest message whose acknowledgement has not come back.
    pub unacked_since: Option<Instant>,
    /// When the next message after that one left ([`Instant::MAX`]: not yet, it is alone in
    /// flight).
    pub joined_at: Instant,
    /// Messages waiting at the sender for the path to heal.
    pub held: VecDeque<(u32, Payload<M>)>,
    /// Generation of the retransmission timer; stale timer events carry an older one.
    pub rto_gen: u32,
}

impl<M> Default for Flow<M> {
    fn default() -> Self {
        Flow {
            last_arrival: Instant::ZERO,
            sent: 0,
            unacked_since: None,
            joined_at: Instant::MAX,
            held: VecDeque::new(),
            rto_gen: 0,
        }
    }
}

impl<M> Flow<M> {
    /// True when nothing is held or outstanding: the fast path may be used.
    #[inline]
    pub fn is_clear(&self) -> bool {
        self.unacked_since.is_none() && self.held.is_empty()
    }

    /// Everything sent has been acknowledged: the retransmission clock stops.
    pub fn acknowledged(&mut self) {
        self.unacked_since = None;
        self.joined_at = Instant::MAX;
        self.rto_gen = self.rto_gen.wrapping_add(1);
    }

    /// Whether a message sent `now` still leaves while acknowledgements are not coming back:
    /// within one retransmission timeout of the oldest unacknowledged message, or two when that
    /// message was alone in flight for the whole first one (the tail loss probe's extra wait).
    pub fn still_sends(&self, oldest: Instant, now: Instant, rto: Duration) -> bool {
        let alone_for_a_timeout = self.joined_at > oldest + rto;
        now <= oldest + rto || (alone_for_a_timeout && now <= oldest + rto + rto)
    }
}

/// One end of a connection.
#[derive(Debug)]
pub(crate) struct End<M> {
    /// Owning process (for the accepting end, set when it accepts).
    pub pid: ProcessId,
    /// Local address: the listening port for the acceptor, an ephemeral port for the connector.
    pub addr: Addr,
    /// The socket exists (not closed locally, by the peer, or by the process dying).
    pub open: bool,
    /// The direction this end sends in.
    pub flow: Flow<M>,
}

/// The handshake state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handshake {
    /// SYNs in progress since `started`.
    Connecting { started: Instant },
    /// The acceptor has the connection; the SYN-ACK is on its way to the connector.
    Accepted,
    /// Both sides know the connection.
    Established,
    /// Refused or timed out.
    Failed,
}

/// A connection: two ends and the handshake.
#[derive(Debug)]
pub(crate) struct Connection<M> {
    /// The link between the two hosts (`None`: there is none, every packet is dropped).
    pub link: Option<crate::net::LinkId>,
    pub ends: [End<M>; 2],
    pub handshake: Handshake,
    /// Messages the connector sent before the connection was established.
    pub early: Vec<M>,
}

/// Back-off before retransmission number `k + 1` (`k` = 0 is the first retransmission timeout).
pub(crate) fn rto_backoff(k: u8) -> Duration {
    let base = crate::net::RTO_MIN.as_micros();
    Duration::from_micros(base.saturating_mul(1u64 << k.min(20)).min(RTO_MAX.as_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(v: &[Duration]) -> Vec<u64> {
        v.iter().map(|d| d.as_secs()).collect()
    }

    #[test]
    fn syn_schedules_match_linux() {
        let now = SynSchedule::linux(4);
        assert_eq!(secs(&now.retries), [1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
        assert_eq!(now.give_up.as_secs(), 131);
        let old = SynSchedule::linux(0);
        assert_eq!(secs(&old.retries), [1, 3, 7, 15, 31, 63]);
        assert_eq!(old.give_up.as_secs(), 127);
    }

    #[test]
    fn retransmission_backoff_doubles_to_the_cap() {
        assert_eq!(rto_backoff(0), Duration::from_millis(200));
        assert_eq!(rto_backoff(1), Duration::from_millis(400));
        assert_eq!(rto_backoff(9), Duration::from_millis(102_400));
        assert_eq!(rto_backoff(10), RTO_MAX);
        assert_eq!(rto_backoff(14), RTO_MAX);
    }
}
