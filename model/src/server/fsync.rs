//! What of the append-only file has reached the disk, as `appendfsync` and the kernel's
//! write-back decide: a kill loses nothing that was written (the page cache survives the
//! process), a host power loss keeps only this synced part.
//!
//! Redis 7.0 (`flushAppendOnlyFile`, called from `beforeSleep` after every event-loop turn that
//! wrote, so before the replies leave):
//! - `always`: `write` then `fdatasync` in the main thread: every acknowledged write is on disk.
//! - `everysec`: after the `write`, a background fsync when `server.unixtime > aof_last_fsync`
//!   (whole seconds of the wall clock); with nothing new to write, the same check runs on every
//!   later turn of the loop (serverCron wakes it at least every 100 ms), so data written after the
//!   last fsync is fsynced in the next wall-clock second. The model's fsync takes no time, so the
//!   "fsync still in progress: postpone the write up to 2 s" rule never applies here.
//! - `no`: Redis never fsyncs; Linux writes dirty pages back once they are older than
//!   `vm.dirty_expire_centisecs` (3000: 30 s), checked by the flusher every
//!   `vm.dirty_writeback_centisecs` (500: 5 s). The model writes the whole file back at the first
//!   5 s tick (of virtual time) at least 30 s after it first became dirty.

use sim::Instant;

/// `vm.dirty_expire_centisecs` (default 3000).
const DIRTY_EXPIRE_US: u64 = 30_000_000;
/// `vm.dirty_writeback_centisecs` (default 500).
const DIRTY_WRITEBACK_US: u64 = 5_000_000;

/// An `appendfsync` policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `always`.
    Always,
    /// `everysec`.
    Everysec,
    /// `no`.
    No,
}

impl Policy {
    /// The policy of an `appendfsync` value (the config parser accepts only the three).
    pub fn of(value: &str) -> Policy {
        match value {
            "always" => Policy::Always,
            "no" => Policy::No,
            _ => Policy::Everysec,
        }
    }
}

/// How much of the AOF is on the disk, not just in the page cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AofSync {
    /// Commands at the head of the AOF that are on the disk.
    pub synced: usize,
    /// `aof_last_fsync`: the wall-clock second of the last fsync (`everysec`).
    last_fsync_unix: u64,
    /// When the page cache first held AOF data not yet on disk (`no`).
    dirty_since: Option<Instant>,
}

impl AofSync {
    /// The process starts: `aof_last_fsync = time(NULL)`.
    pub fn started(&mut self, wall_us: u64) {
        self.last_fsync_unix = wall_us / 1_000_000;
    }

    /// The whole file of `len` commands is on disk (a rewrite fsyncs its new file before using
    /// it).
    pub fn all_synced(&mut self, len: usize) {
        self.synced = len;
        self.dirty_since = None;
    }

    /// Catches up with what happened while nothing was written, until `now`: the idle fsync of
    /// `everysec`, the kernel's write-back under `no`. `len` is the AOF's length.
    pub fn catch_up(&mut self, policy: Policy, len: usize, now: Instant, wall_us: u64) {
        if self.synced >= len {
            return;
        }
        match policy {
            Policy::Always => self.synced = len,
            Policy::Everysec => {
                // The first loop turn in a later second than the last fsync.
                let next = self.last_fsync_unix + 1;
                if wall_us >= next * 1_000_000 {
                    self.synced = len;
                    self.last_fsync_unix = next;
                }
            }
            Policy::No => {
                let Some(t0) = self.dirty_since else { return };
                let expired = t0.as_micros() + DIRTY_EXPIRE_US;
                let flush = expired.div_ceil(DIRTY_WRITEBACK_US) * DIRTY_WRITEBACK_US;
                if now.as_micros() >= flush {
                    self.all_synced(len);
                }
            }
        }
    }

    /// One command was appended, making the AOF `len` long: what `flushAppendOnlyFile` does
    /// with it before the reply leaves.
    pub fn written(&mut self, policy: Policy, len: usize, now: Instant, wall_us: u64) {
        self.catch_up(policy, len - 1, now, wall_us);
        match policy {
            Policy::Always => self.synced = len,
            Policy::Everysec => {
                let unix = wall_us / 1_000_000;
                if unix > self.last_fsync_unix {
                    self.synced = len;
                    self.last_fsync_unix = unix;
                }
            }
            Policy::No => {
                self.dirty_since.get_or_insert(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::Duration;

    /// Writes one command every `every` from t = 0 (wall clock = virtual time + `base_us`), then
    /// loses power at `crash`: returns (written, synced).
    fn run(policy: Policy, every: Duration, crash: Instant, base_us: u64) -> (usize, usize) {
        let mut s = AofSync::default();
        s.started(base_us);
        let mut len = 0;
        let mut t = Instant::ZERO;
        while t < crash {
            len += 1;
            s.written(policy, len, t, base_us + t.as_micros());
            t += every;
        }
        s.catch_up(policy, len, crash, base_us + crash.as_micros());
        (len, s.synced)
    }

    const MS: Duration = Duration::from_millis(10);

    #[test]
    fn always_keeps_every_acknowledged_write() {
        let (written, synced) = run(Policy::Always, MS, Instant::ZERO + Duration::from_secs(7), 0);
        assert_eq!((written, synced), (700, 700));
    }

    #[test]
    fn everysec_loses_at_most_the_current_second() {
        // A write every 10 ms; the wall clock starts 0.3 s into a second. Whatever the moment of
        // the power loss, what is lost was written within the last wall-clock second.
        for crash_ms in [1_000u64, 1_250, 4_699, 4_700, 4_701, 9_990] {
            let crash = Instant::ZERO + Duration::from_millis(crash_ms);
            let (written, synced) = run(Policy::Everysec, MS, crash, 300_000);
            let lost = written - synced;
            assert!(lost <= 100, "at {crash_ms} ms: {lost} writes lost");
            // The write at x.000 s fsyncs everything before it; it and the later ones of the
            // current wall second wait for the next second.
            let into_second = (300 + crash_ms) % 1000;
            assert_eq!(lost as u64, into_second.div_ceil(10), "at {crash_ms}");
        }
    }

    #[test]
    fn everysec_fsyncs_an_idle_tail_in_the_next_second() {
        let mut s = AofSync::default();
        s.started(0);
        s.written(Policy::Everysec, 1, Instant::ZERO + Duration::from_millis(1_100), 1_100_000);
        s.written(Policy::Everysec, 2, Instant::ZERO + Duration::from_millis(1_200), 1_200_000);
        assert_eq!(s.synced, 1, "the second write waits for the next second");
        s.catch_up(Policy::Everysec, 2, Instant::ZERO + Duration::from_millis(1_999), 1_999_000);
        assert_eq!(s.synced, 1);
        s.catch_up(Policy::Everysec, 2, Instant::ZERO + Duration::from_millis(2_000), 2_000_000);
        assert_eq!(s.synced, 2);
    }

    #[test]
    fn everysec_stalls_while_the_wall_clock_is_behind() {
        // `server.unixtime > aof_last_fsync`: a clock set back does not fsync until it catches up.
        let mut s = AofSync::default();
        s.started(10_000_000);
        s.written(Policy::Everysec, 1, Instant::ZERO, 5_000_000);
        s.catch_up(Policy::Everysec, 1, Instant::ZERO, 9_999_999);
        assert_eq!(s.synced, 0);
    }

    #[test]
    fn no_keeps_what_the_kernel_wrote_back() {
        // Dirty since t = 0: written back at the first 5 s tick at least 30 s later (30 s).
        let (written, synced) = run(Policy::No, MS, Instant::ZERO + Duration::from_secs(29), 0);
        assert_eq!((written, synced), (2_900, 0), "nothing is on disk before 30 s");
        let (written, synced) = run(Policy::No, MS, Instant::ZERO + Duration::from_secs(45), 0);
        // Write-back at 30 s (everything to 29.99 s); dirty again at 30 s, next at 60 s.
        assert_eq!((written, synced), (4_500, 3_000));
        // Dirty since 1 s: expires at 31 s, written back at the 35 s tick.
        let mut s = AofSync::default();
        s.written(Policy::No, 1, Instant::ZERO + Duration::from_secs(1), 0);
        s.catch_up(Policy::No, 1, Instant::ZERO + Duration::from_millis(34_999), 0);
        assert_eq!(s.synced, 0);
        s.catch_up(Policy::No, 1, Instant::ZERO + Duration::from_secs(35), 0);
        assert_eq!(s.synced, 1);
    }
}
