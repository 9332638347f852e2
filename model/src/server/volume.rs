//! What a dataset's volume costs a full resynchronisation (Redis 7.0, `replication.c`,
//! `rdb.c`): the master's `fork()` takes time in proportion to its memory, the RDB crosses the
//! link in chunks at the link's bandwidth (so the replica's `repl-timeout` sees bytes arriving),
//! and the replica loads it while answering `-LOADING` to what it cannot serve. Only a server
//! holding a preloaded mass ([`Mass`]) pays: without one, a sync stays instantaneous as before.
//!
//! The constants are model choices, not measurements of this machine:
//! - [`FORK_US_PER_GB`]: Redis's latency documentation ("Fork time in different systems") reports
//!   9 to 13 ms per GB of RSS on physical machines and modern VMs, 239 ms per GB on old Xen EC2
//!   instances; the model takes 13 ms per GB.
//! - [`LOAD_BYTES_PER_SEC`]: an assumption of 300 MB/s for `rdbLoad` of small string values on
//!   one core (the real rate depends on value sizes and encodings).

use super::replication::LinkState;
use super::{Mass, Server, Snapshot, unixtime};
use crate::observe::Level;
use crate::resp::Command;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{ConnId, Duration};

/// `fork()` time per GB of the parent's memory, in microseconds.
pub const FORK_US_PER_GB: u64 = 13_000;
/// The replica's RDB load rate.
pub const LOAD_BYTES_PER_SEC: u64 = 300_000_000;
/// The size of the pieces the RDB of a mass travels in: small enough that the replica's
/// `repl_transfer_lastio` moves on a slow link about as often as on every `read()` in Redis.
pub const RDB_CHUNK_BYTES: u64 = 1 << 20;

/// How long `fork()` keeps a master of `memory` bytes blocked.
pub fn fork_time(memory: u64) -> Duration {
    Duration::from_micros(memory.saturating_mul(FORK_US_PER_GB) / 1_000_000_000)
}

/// How long a replica takes to load an RDB of `bytes`.
pub fn load_time(bytes: u64) -> Duration {
    Duration::from_micros(
        u64::try_from(u128::from(bytes) * 1_000_000 / u128::from(LOAD_BYTES_PER_SEC))
            .unwrap_or(u64::MAX),
    )
}

/// Commands with Redis's `loading` flag: a server loading its dataset still runs them; every
/// other command gets `-LOADING` (`processCommand`).
pub(super) fn allowed_loading(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Info(_)
            | Command::Role
            | Command::ConfigGet(_)
            | Command::ConfigRewrite
            | Command::ClientKill(_)
            | Command::ClientSetName(_)
            | Command::Subscribe(_)
            | Command::Publish { .. }
            | Command::Multi
            | Command::Exec
            | Command::Discard
            | Command::ReplConf(_)
    )
}

/// The `-LOADING` error.
pub(super) const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

impl Server {
    /// The master forks for a full sync: blocked for the fork's time when it holds a mass.
    pub(super) fn fork_cost(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt.as_ref().expect("running");
        if rt.mass.keys > 0 {
            let memory =
                crate::info::BASELINE_USED_MEMORY + crate::dataset::data_memory(&rt.data, rt.mass);
            ctx.busy(fork_time(memory));
        }
    }

    /// Sends the mass part of `snap` to `conn` in chunks, ahead of the payload's last message;
    /// `size` is what a disk-based transfer announces (`None`: diskless, EOF-marked).
    pub(super) fn send_rdb_chunks(
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        snap: &Snapshot,
        size: Option<u64>,
    ) {
        let mut left = snap.mass_rdb_bytes();
        while left > 0 {
            let n = left.min(RDB_CHUNK_BYTES);
            ctx.send(conn, Msg::RdbChunk { bytes: n, size });
            left -= n;
        }
    }

    /// A chunk of the RDB arrived: the transfer is alive (`repl_transfer_lastio`). The first
    /// logs what `readSyncBulkPayload` makes of the master's header.
    pub(super) fn rdb_chunk(&mut self, ctx: &mut NodeCtx<'_>, bytes: u64, size: Option<u64>) {
        let unix = unixtime(ctx);
        let link = self.rt().repl.link.as_mut().expect("a replica");
        if matches!(link.state, LinkState::Transfer { .. }) {
            if link.transfer_read == 0 {
                let line = match size {
                    Some(n) => format!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk"),
                    None => "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk".to_string(),
                };
                self.log(ctx, Level::Notice, line);
            }
            let link = self.rt().repl.link.as_mut().expect("a replica");
            link.transfer_read += bytes;
            link.transfer_lastio_unix = unix;
        }
    }

    /// The whole payload of a mass arrived: flush, then load it for [`load_time`], answering
    /// `-LOADING` meanwhile; what the master streams waits in the link's queue.
    pub(super) fn start_loading(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        replid: String,
        offset: i64,
        rdb: Box<Snapshot>,
    ) {
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Flushing old data");
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        let state = LinkState::Downloaded { conn, replid, offset, rdb, queued: Vec::new() };
        self.timed_load(ctx, state);
    }

    /// Loads the downloaded RDB of `state` (a [`LinkState::Downloaded`]) for [`load_time`] of
    /// its bytes: the old data is gone, the master gets a first newline, [`Timer::RdbLoaded`]
    /// ends it. Valkey's main thread does the same after its background download.
    pub(super) fn timed_load(&mut self, ctx: &mut NodeCtx<'_>, state: LinkState) {
        let LinkState::Downloaded { conn, rdb, .. } = &state else { return };
        let (conn, d) = (*conn, load_time(rdb.rdb_bytes()));
        self.log(
            ctx,
            Level::Notice,
            format!("Loading RDB produced by version {}", self.build.version()),
        );
        let rt = self.rt();
        rt.data.clear();
        rt.mass = Mass::default();
        rt.loading = Some(ctx.now());
        ctx.send(conn, Msg::Newline);
        let unix = unixtime(ctx);
        self.set_link_state(state, unix);
        ctx.set_timer(Timer::RdbLoaded, d);
    }

    /// The load is done: the dataset and history are the master's, then the queued stream runs.
    pub(super) fn finish_loading(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt();
        let Some(since) = rt.loading.take() else { return };
        let secs = ctx.now().saturating_since(since).as_millis() as f64 / 1000.0;
        let Some(link) = rt.repl.link.as_mut() else { return };
        if !matches!(link.state, LinkState::Downloaded { .. }) {
            return;
        }
        let LinkState::Downloaded { conn, replid, offset, rdb, queued } =
            std::mem::replace(&mut link.state, LinkState::Connect)
        else {
            return;
        };
        let keys = rdb.keys();
        self.log(
            ctx,
            Level::Notice,
            format!("Done loading RDB, keys loaded: {keys}, keys expired: 0."),
        );
        self.log(ctx, Level::Notice, format!("DB loaded from disk: {secs:.3} seconds"));
        self.load_rdb(ctx, conn, replid, offset, *rdb, true);
        for cmd in queued {
            self.apply_stream(ctx, conn, cmd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_scale_with_the_bytes() {
        assert_eq!(fork_time(10_000_000_000), Duration::from_millis(130));
        assert_eq!(load_time(3_000_000_000), Duration::from_secs(10));
        assert_eq!(load_time(0), Duration::ZERO);
    }
}
