//! What survives a kill: the config file, the RDB snapshot and the append-only file.
//!
//! - No persistence (`save ""`, `appendonly no`): a restart comes back empty with a new history.
//! - RDB (`save` points, default `3600 1 300 100 60 10000`): the last snapshot, taken when a save
//!   point is reached (checked once a second, `serverCron`), by a disk-based full sync, or received
//!   by a replica in a full sync (disk loading writes the payload to `dump.rdb`). A start loads
//!   whatever `dump.rdb` is there, `save ""` or not (`loadDataFromDisk`), so a master that synced
//!   its replicas through disk comes back with that sync's snapshot. A replica restarted from an
//!   RDB keeps its replication id and offset (it may partially resync); a master starts a new
//!   history, with the RDB's id as `master_replid2` on 7.0 and Valkey, without it on 6.2.
//! - AOF (`appendonly yes`): every write, appended before the reply is sent, so a killed process
//!   loses nothing (the write is in the kernel's page cache). A host that loses power keeps only
//!   what `appendfsync` had synced ([`super::fsync`]). No replication id: a new history.
//! - Power loss: the RDB file is written to a temporary file, fsynced, renamed and its directory
//!   fsynced (`rdbSave`; a replica's received payload likewise, `readSyncBulkPayload`), so the last
//!   completed save survives whole; the AOF is cut back to its synced part.

use super::backlog::Backlog;
use super::fsync::{AofSync, Policy};
use super::replication::{MasterLink, Repl};
use super::{Server, config::ServerConfig, unixtime};
use crate::build::ServerBuild;
use crate::dataset::{Dataset, Snapshot, apply};
use crate::observe::Level;
use crate::resp::Command;
use crate::wire::NodeCtx;
use sim::{Instant, Rng};

/// A server's disk.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// `dump.rdb`.
    pub rdb: Option<Snapshot>,
    /// `appendonly.aof`, as the commands it holds.
    pub aof: Option<Vec<Command>>,
    /// How much of `aof` is on the disk rather than only in the page cache.
    pub aof_sync: AofSync,
}

impl Disk {
    /// The host loses power at `now`: the AOF keeps only its synced head.
    pub fn power_loss(&mut self, policy: Policy, now: Instant, wall_us: u64) {
        let Some(aof) = &mut self.aof else { return };
        self.aof_sync.catch_up(policy, aof.len(), now, wall_us);
        aof.truncate(self.aof_sync.synced);
    }
}

/// What a starting server of `build` loads: its dataset, replication state, and where the data
/// came from.
pub(crate) fn load(
    disk: &Disk,
    cfg: &ServerConfig,
    build: ServerBuild,
    rng: &mut Rng,
) -> (Dataset, Repl, String) {
    let link = cfg.replicaof.as_ref().map(|(h, p)| MasterLink::new(h.clone(), *p));
    let fresh = rng.hex40();
    if cfg.appendonly {
        let mut data = Dataset::new();
        for cmd in disk.aof.iter().flatten() {
            apply(&mut data, cmd);
        }
        return (data, Repl::fresh(fresh, link, 0), "append only file".to_string());
    }
    let Some(rdb) = disk.rdb.as_ref() else {
        return (Dataset::new(), Repl::fresh(fresh, link, 0), "nothing".to_string());
    };
    let mut repl = Repl::fresh(fresh, link, 0);
    if repl.link.is_some() {
        // A replica resumes the RDB's history and can ask for a partial resync.
        repl.replid = rdb.replid.clone();
        repl.offset = rdb.offset;
        repl.can_psync = true;
    } else if build.master_resumes_rdb_history() {
        // A master starts a new history; the RDB's id stays valid as id2 up to its offset.
        repl.replid2 = rdb.replid.clone();
        repl.second_offset = rdb.offset + 1;
        repl.offset = rdb.offset;
        repl.backlog = Some(Backlog::new(rdb.offset, cfg.repl_backlog_size));
    }
    (rdb.data.clone(), repl, "disk".to_string())
}

impl Server {
    /// A write reached the dataset: count it for the save points and append it to the AOF.
    pub(crate) fn persist_write(&mut self, ctx: &NodeCtx<'_>, cmd: &Command) {
        let rt = self.rt.as_mut().expect("running");
        rt.dirty += 1;
        if rt.cfg.appendonly {
            let aof = self.disk.aof.get_or_insert_with(Vec::new);
            aof.push(cmd.clone());
            let policy = Policy::of(&rt.cfg.appendfsync);
            self.disk.aof_sync.written(policy, aof.len(), ctx.now(), ctx.wall_us());
        }
    }

    /// A full sync replaced the dataset: the payload is on disk (disk loading), and an AOF is
    /// rewritten from the new dataset.
    pub(crate) fn persist_full_sync(&mut self, snap: Snapshot) {
        let rt = self.rt.as_ref().expect("running");
        if rt.cfg.appendonly {
            let cmds = snap
                .data
                .iter()
                .map(|(k, v)| Command::Set {
                    key: k.clone(),
                    value: v.clone(),
                    cond: crate::resp::SetCond::Always,
                    get: false,
                })
                .collect::<Vec<_>>();
            self.disk.aof_sync.all_synced(cmds.len());
            self.disk.aof = Some(cmds);
        }
        self.disk.rdb = Some(snap);
    }
}

/// The persistence part of `serverCron`: BGSAVE when a save point is reached.
pub(crate) fn cron(server: &mut Server, ctx: &mut NodeCtx<'_>) {
    let unix = unixtime(ctx);
    let rt = server.rt.as_mut().expect("running");
    let since = unix.saturating_sub(rt.last_save_unix);
    let Some(sp) =
        rt.cfg.save.iter().find(|sp| rt.dirty >= sp.changes && since > sp.seconds).copied()
    else {
        return;
    };
    let snap = Snapshot {
        data: rt.data.clone(),
        mass: rt.mass,
        replid: rt.repl.replid.clone(),
        offset: rt.repl.offset,
    };
    rt.dirty = 0;
    rt.last_save_unix = unix;
    let pid = rt.pid + 1;
    server.disk.rdb = Some(snap);
    server.log(
        ctx,
        Level::Notice,
        format!("{} changes in {} seconds. Saving...", sp.changes, sp.seconds),
    );
    server.log(ctx, Level::Notice, format!("Background saving started by pid {pid}"));
    server.log(ctx, Level::Notice, "Background saving terminated with success");
}
