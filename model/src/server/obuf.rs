//! `client-output-buffer-limit replica` (`networking.c`, `checkClientOutputBufferLimits`): what a
//! master streams to a replica during its full resynchronisation waits in the replica's output
//! buffer until the replica has loaded the RDB and reads again. A buffer at or over the hard limit,
//! or over the soft limit for more than the soft seconds, gets the replica disconnected; the
//! replica asks again and the sync starts over (the "sync loop" under heavy writes).
//!
//! In 7.0 the hard limit of a replica is at least `repl-backlog-size` (the buffer shares the
//! backlog's memory); 6.2 takes the configured one as it is.
//!
//! The model counts a replica's buffer as the stream bytes fed since its full sync's fork, until
//! its first `REPLCONF ACK` (the replica acks once the load is done); Redis checks the limits each
//! time it appends to the buffer, so does the model.

use super::{Server, unixtime};
use crate::observe::Level;
use crate::wire::NodeCtx;
use sim::CloseReason;

/// The limits of one client class: `<hard> <soft> <soft-seconds>` (0: no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimit {
    /// At or over this many bytes the client is closed at once.
    pub hard: u64,
    /// Over this many bytes for more than `soft_seconds` the client is closed.
    pub soft: u64,
    /// How long the soft limit may be exceeded, in seconds.
    pub soft_seconds: u64,
}

impl ObufLimit {
    /// Redis 7.0's default for replicas: `256mb 64mb 60`.
    pub const REPLICA_DEFAULT: ObufLimit =
        ObufLimit { hard: 256 << 20, soft: 64 << 20, soft_seconds: 60 };

    /// `checkClientOutputBufferLimits`: true when a buffer of `used` bytes must be closed at
    /// `unix`; `soft_since` is the client's `obuf_soft_limit_reached_time` (set the first time the
    /// soft limit is reached, cleared when the buffer is back under it).
    pub fn reached(&self, used: u64, unix: u64, soft_since: &mut Option<u64>) -> bool {
        let hard = self.hard > 0 && used >= self.hard;
        let mut soft = self.soft > 0 && used >= self.soft;
        if soft {
            match *soft_since {
                None => {
                    *soft_since = Some(unix);
                    soft = false;
                }
                Some(since) => soft = unix.saturating_sub(since) > self.soft_seconds,
            }
        } else {
            *soft_since = None;
        }
        hard || soft
    }

    /// These limits with a hard limit (when set) of at least `floor` bytes.
    pub fn with_hard_floor(self, floor: u64) -> ObufLimit {
        let hard = if self.hard > 0 { self.hard.max(floor) } else { 0 };
        ObufLimit { hard, ..self }
    }
}

/// A replica's output buffer during a full sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SyncBuffer {
    /// Bytes fed since the fork, not yet readable by the replica.
    pub used: u64,
    /// `obuf_soft_limit_reached_time`.
    pub soft_since: Option<u64>,
}

impl Server {
    /// Adds `len` bytes of stream to the buffer of every replica in a full sync and closes those
    /// over the limit (`closeClientOnOutputBufferLimitReached`).
    pub(super) fn grow_sync_buffers(&mut self, ctx: &mut NodeCtx<'_>, len: u64) {
        let unix = unixtime(ctx);
        let floors = self.build.replica_hard_limit_floors_at_backlog();
        let rt = self.rt();
        let mut limit = rt.cfg.replica_obuf_limit;
        if floors {
            limit = limit.with_hard_floor(rt.cfg.repl_backlog_size);
        }
        let mut over = Vec::new();
        for &c in &rt.repl.replicas {
            let Some(r) = rt.clients.get_mut(&c).and_then(|p| p.replica.as_mut()) else {
                continue;
            };
            if let Some(buf) = &mut r.sync_buffer {
                buf.used += len;
                if limit.reached(buf.used, unix, &mut buf.soft_since) {
                    over.push(c);
                }
            }
        }
        for c in over {
            let info = self.client_info(c);
            self.log(
                ctx,
                Level::Warning,
                format!(
                    "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
                ),
            );
            let peer = self.rt().clients.remove(&c).expect("listed");
            ctx.close(c);
            self.replica_gone(ctx, c, &peer, CloseReason::Eof);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hard_limit_closes_at_once_the_soft_one_after_its_seconds() {
        let l = ObufLimit { hard: 100, soft: 50, soft_seconds: 10 };
        let mut since = None;
        assert!(!l.reached(49, 0, &mut since));
        assert_eq!(since, None);
        // First seen over the soft limit: the clock starts, nothing closes.
        assert!(!l.reached(60, 5, &mut since));
        assert_eq!(since, Some(5));
        // Still over, within the soft seconds (elapsed <= 10 keeps it).
        assert!(!l.reached(70, 15, &mut since));
        assert!(l.reached(70, 16, &mut since));
        // Back under the soft limit: the clock is reset.
        assert!(!l.reached(10, 17, &mut since));
        assert_eq!(since, None);
        assert!(!l.reached(60, 30, &mut since));
        // The hard limit closes whatever the clock says.
        assert!(l.reached(100, 30, &mut since));
        let none = ObufLimit { hard: 0, soft: 0, soft_seconds: 0 };
        assert!(!none.reached(u64::MAX, 1000, &mut None));
    }

    #[test]
    fn the_backlog_size_floors_a_set_hard_limit_only() {
        let l = ObufLimit { hard: 256 << 10, soft: 64 << 10, soft_seconds: 10 };
        assert_eq!(l.with_hard_floor(1 << 20), ObufLimit { hard: 1 << 20, ..l });
        assert_eq!(l.with_hard_floor(1 << 10), l);
        let no_hard = ObufLimit { hard: 0, ..l };
        assert_eq!(no_hard.with_hard_floor(1 << 20), no_hard);
        assert!(!l.with_hard_floor(1 << 20).reached(512 << 10, 0, &mut Some(0)));
    }
}
