//! Availability as the application feels it, per client, from its history alone.
//!
//! A write is *served* when it is acknowledged (OK) within [`SERVED_WITHIN_US`] of being sent. A
//! client is unavailable from the sending of a write that is not served (refused, timed out, cut
//! off, or acknowledged later than that) until the acknowledgement of its next served write, or
//! the end of the run; its `unavailable_ms` is the total of those intervals. So a write that
//! waits 15 s for a paused master counts 15 s, although nothing failed. Latency is measured on
//! the acknowledged writes, as nearest-rank percentiles, each rounded up to a whole millisecond
//! (a reply in 300 µs counts 1 ms, so a reported bound is never below the truth). All integer µs.

use crate::outcome::{ClientOutcome, Latency};
use model::observe::{OpRecord, OpResult};

/// A write acknowledged later than this after it was sent is not served (1 s).
pub const SERVED_WITHIN_US: u64 = 1_000_000;

fn acked(op: &OpRecord) -> bool {
    matches!(op.result, OpResult::Ok { .. })
}

fn latency_us(op: &OpRecord) -> u64 {
    op.completed_us.saturating_sub(op.invoked_us)
}

/// True when `op` was acknowledged within [`SERVED_WITHIN_US`].
pub fn served(op: &OpRecord) -> bool {
    acked(op) && latency_us(op) <= SERVED_WITHIN_US
}

/// The total unavailability (µs) of one client's writes, in the order they were sent, up to
/// `end_us`.
pub fn unavailable_us<'a>(writes: impl IntoIterator<Item = &'a OpRecord>, end_us: u64) -> u64 {
    let mut total = 0u64;
    let mut down_since: Option<u64> = None;
    for op in writes {
        match (served(op), down_since) {
            (true, Some(since)) => {
                total += op.completed_us.saturating_sub(since);
                down_since = None;
            }
            (false, None) => down_since = Some(op.invoked_us),
            _ => {}
        }
    }
    if let Some(since) = down_since {
        total += end_us.saturating_sub(since);
    }
    total
}

/// The `p`-th percentile (0 < p ≤ 100) of sorted values, by nearest rank.
fn percentile(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

fn ms_up(us: u64) -> u64 {
    us.div_ceil(1000)
}

/// The latency of the acknowledged writes among `writes`; `None` when none was acknowledged.
pub fn latency<'a>(writes: impl IntoIterator<Item = &'a OpRecord>) -> Option<Latency> {
    let mut us: Vec<u64> = writes.into_iter().filter(|o| acked(o)).map(latency_us).collect();
    if us.is_empty() {
        return None;
    }
    us.sort_unstable();
    Some(Latency {
        p50: ms_up(percentile(&us, 50)),
        p99: ms_up(percentile(&us, 99)),
        max: ms_up(us[us.len() - 1]),
    })
}

/// One client's availability and latency, from its writes in the order they were sent.
pub fn client(writes: &[&OpRecord], end_us: u64) -> ClientOutcome {
    ClientOutcome {
        unavailable_ms: unavailable_us(writes.iter().copied(), end_us) / 1000,
        latency_ms: latency(writes.iter().copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::observe::Op;

    fn w(invoked_ms: u64, completed_ms: u64, ok: bool) -> OpRecord {
        OpRecord {
            client: "c".into(),
            seq: invoked_ms,
            op: Op::Write { key: "k".into(), value: "v".into() },
            invoked_us: invoked_ms * 1000,
            completed_us: completed_ms * 1000,
            node: None,
            result: if ok { OpResult::Ok { value: None } } else { OpResult::Timeout },
        }
    }

    #[test]
    fn a_slow_acknowledgement_is_unavailability() {
        let h = [w(0, 1, true), w(20_000, 35_000, true), w(35_050, 35_051, true)];
        assert_eq!(unavailable_us(&h, 50_000_000), 15_051_000);
        let l = latency(&h).unwrap();
        assert_eq!((l.p50, l.p99, l.max), (1, 15_000, 15_000));
    }

    #[test]
    fn failures_count_until_the_next_served_write_or_the_end() {
        let h = [w(0, 1, false), w(100, 200, false), w(300, 301, true), w(400, 500, false)];
        assert_eq!(unavailable_us(&h, 1_000_000), 301_000 + 600_000);
        assert_eq!(unavailable_us(&[], 10), 0);
        assert!(latency(&[w(0, 1, false)]).is_none());
    }

    #[test]
    fn percentiles_are_nearest_rank_rounded_up() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&sorted, 50), percentile(&sorted, 99)), (50, 99));
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!((ms_up(0), ms_up(1), ms_up(1000), ms_up(1001)), (0, 1, 1, 2));
    }
}
