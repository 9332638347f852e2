//! A Redis 7.0 server (or the build [`crate::build::ServerBuild`] names): the process, its clients and its lifecycle (`mod.rs`), command processing
//! in `processCommand`'s order (`commands.rs`), replication (`replication.rs`: state and the
//! stream; `master.rs` and `replica.rs`: each side; `backlog.rs`), persistence across restarts
//! (`persist.rs`) and config directives (`config.rs`). The keyspace is `crate::dataset`.
//!
//! Modelled as in Redis 7.0: the checks before a command runs (NOREPLICAS, READONLY, pub/sub
//! context, MASTERDOWN), MULTI/EXEC, PUBLISH/SUBSCRIBE, CLIENT KILL TYPE (skipping the caller),
//! CONFIG REWRITE, WAIT, ROLE, INFO. Left out: other data types, expiry, AUTH/ACL, scripting,
//! LOADING windows (loading is instantaneous), Redis Cluster. `serverCron`'s once-a-second work
//! runs on a 1 s timer; the 100 ms parts it skips do nothing the model observes.

mod backlog;
mod commands;
pub mod config;
pub mod fsync;
mod master;
pub mod obuf;
mod persist;
mod replica;
mod replication;
mod volume;

#[cfg(test)]
mod tests;

use crate::build::ServerBuild;
pub use crate::dataset::{Dataset, Mass, Snapshot};
use crate::info::Info;
use crate::observe::{Level, Note, ReplNote, log};
use crate::resp::{ClientType, Command, Reply};
use crate::wire::{Directory, Msg, NodeCtx, Timer};
use config::ServerConfig;
pub use persist::Disk;
pub(crate) use replication::{Repl, ReplicaPeer};
use sim::{Addr, CloseReason, ConnId, Duration, Input};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Connection kinds as `CLIENT KILL TYPE` sees them.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub addr: Addr,
    pub name: String,
    pub subs: Vec<String>,
    /// Commands queued by MULTI; `true` once a queued command was rejected.
    pub multi: Option<(Vec<Command>, bool)>,
    /// Set once this connection asked for replication.
    pub replica: Option<ReplicaPeer>,
    /// Replication offset right after this client's last write (for WAIT).
    pub woff: i64,
    /// A WAIT this client is blocked in: (replicas wanted, target offset).
    pub waiting: Option<(i64, i64)>,
}

impl Peer {
    fn kind(&self) -> ClientType {
        if self.replica.is_some() {
            ClientType::Replica
        } else if !self.subs.is_empty() {
            ClientType::Pubsub
        } else {
            ClientType::Normal
        }
    }
}

/// Everything a server holds in memory: lost when the process dies.
pub(crate) struct Runtime {
    pub run_id: String,
    pub pid: u32,
    pub started: sim::Instant,
    /// The running configuration (REPLICAOF changes it; CONFIG REWRITE saves it).
    pub cfg: ServerConfig,
    pub data: Dataset,
    /// The preloaded mass next to `data` (zero unless the scenario gives a `dataset`).
    pub mass: Mass,
    /// Loading the RDB of a full sync since then: commands get `-LOADING`.
    pub loading: Option<sim::Instant>,
    pub repl: Repl,
    pub clients: BTreeMap<ConnId, Peer>,
    pub dirty: u64,
    pub last_save_unix: u64,
    pub cron_loops: u64,
    pub writable_noted: Option<bool>,
}

/// A Redis server process.
pub struct Server {
    dir: Arc<Directory>,
    port: u16,
    /// The build this process runs.
    build: ServerBuild,
    /// The config file: the scenario's directives plus whatever CONFIG REWRITE saved.
    conf: ServerConfig,
    disk: Disk,
    rt: Option<Box<Runtime>>,
}

/// Seconds of this process's wall clock (Redis's `server.unixtime`).
pub(crate) fn unixtime(ctx: &NodeCtx<'_>) -> u64 {
    ctx.wall_us() / 1_000_000
}

impl Server {
    /// A server of `build` listening on `port` with configuration file `conf`; nothing on disk
    /// yet.
    pub fn new(dir: Arc<Directory>, port: u16, conf: ServerConfig, build: ServerBuild) -> Self {
        Server { dir, port, build, conf, disk: Disk::default(), rt: None }
    }

    /// Puts a preloaded dataset of `mass` on the disk as `dump.rdb` of history `replid` at
    /// offset 0, as a deployment already in service has: servers preloaded with the same id start
    /// in sync (a replica continues the master's history with a partial resync).
    pub fn preload(&mut self, mass: Mass, replid: String) {
        self.disk.rdb = Some(Snapshot { data: Dataset::new(), mass, replid, offset: 0 });
    }

    // ---------------------------------------------------------------- observers

    /// True while the process runs.
    pub fn is_up(&self) -> bool {
        self.rt.is_some()
    }

    /// `role:master` (and running).
    pub fn is_master(&self) -> bool {
        self.rt.as_ref().is_some_and(|rt| rt.repl.link.is_none())
    }

    /// The address this server replicates from, if it is a replica.
    pub fn master_addr(&self) -> Option<(String, u16)> {
        self.rt.as_ref()?.repl.link.as_ref().map(|l| (l.host.clone(), l.port))
    }

    /// `master_link_status:up`: a running replica whose link to its master is connected.
    pub fn master_link_up(&self) -> bool {
        self.rt.as_ref().and_then(|rt| rt.repl.link.as_ref()).is_some_and(|l| l.is_up())
    }

    /// The value of `key`, if running and present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.rt.as_ref()?.data.get(key).map(|v| &**v)
    }

    /// The dataset (empty when down).
    pub fn data(&self) -> Option<&Dataset> {
        self.rt.as_ref().map(|rt| &rt.data)
    }

    /// The run id of the running process.
    pub fn run_id(&self) -> Option<&str> {
        self.rt.as_ref().map(|rt| rt.run_id.as_str())
    }

    /// The configuration file as it stands (scenario directives + CONFIG REWRITE).
    pub fn config_file(&self) -> &ServerConfig {
        &self.conf
    }

    /// `INFO` as this server would answer it now (`None` when down).
    pub fn info(&self, ctx_unixtime: u64, now: sim::Instant) -> Option<Info> {
        let rt = self.rt.as_deref()?;
        Some(Info::Server(self.server_info(rt, ctx_unixtime, now)))
    }

    // ---------------------------------------------------------------- lifecycle

    /// The process starts: read the config file, load what persistence kept, start the crons.
    pub fn start(&mut self, ctx: &mut NodeCtx<'_>) {
        let run_id = ctx.rng().hex40();
        let pid = 1000 + ctx.rng().below(60_000) as u32;
        let cfg = self.conf.clone();
        let (data, mut repl, loaded_from) = persist::load(&self.disk, &cfg, self.build, ctx.rng());
        self.disk.aof_sync.started(ctx.wall_us());
        // `initServer`: no replicas since now (the backlog's time to live counts from here).
        repl.no_slaves_since_unix = unixtime(ctx);
        // The mass lives in RDB files only (an AOF holds the commands of clients).
        let mass =
            self.disk.rdb.as_ref().filter(|_| !cfg.appendonly).map_or(Mass::default(), |r| r.mass);
        let keys = data.len() + mass.keys as usize;
        let rt = Runtime {
            run_id,
            pid,
            started: ctx.now(),
            cfg,
            data,
            mass,
            loading: None,
            repl,
            clients: BTreeMap::new(),
            dirty: 0,
            last_save_unix: unixtime(ctx),
            cron_loops: 0,
            writable_noted: None,
        };
        let replid = rt.repl.replid.clone();
        let master = rt.repl.link.as_ref().map(|l| format!("{}:{}", l.host, l.port));
        self.rt = Some(Box::new(rt));
        let (product, version) = (self.build.product(), self.build.version());
        self.log(ctx, Level::Warning, format!("oO0OoO0OoO0Oo {product} is starting oO0OoO0OoO0Oo"));
        self.log(ctx, Level::Warning, format!("{product} version={version}, bits=64, commit=00000000, modified=0, pid={pid}, just started"));
        self.log(ctx, Level::Notice, format!("Running mode=standalone, port={}.", self.port));
        self.log(ctx, Level::Warning, "Server initialized");
        if keys > 0 {
            self.log(ctx, Level::Notice, format!("DB loaded from {loaded_from}: {keys} keys"));
        }
        self.log(ctx, Level::Notice, "Ready to accept connections");
        ctx.note(Note::Repl(ReplNote::Started { keys, master, replid, loaded_from }));
        self.note_writable(ctx);
        // serverCron first runs 1 ms after start; its once-a-second part runs then.
        ctx.set_timer(Timer::ServerCron, Duration::from_millis(1));
    }

    /// The process dies: memory is gone, the disk stays.
    pub fn crash(&mut self) {
        self.rt = None;
    }

    /// The host loses power at `now` (wall clock `wall_us`): memory is gone, and so is whatever
    /// of the files had not reached the disk (see [`fsync`]). The RDB file and the config file are
    /// fsynced before they replace the old ones (`rdbSave`, `rewriteConfig`), so they stay whole.
    pub fn power_loss(&mut self, now: sim::Instant, wall_us: u64) {
        if let Some(rt) = &self.rt {
            let policy = fsync::Policy::of(&rt.cfg.appendfsync);
            self.disk.power_loss(policy, now, wall_us);
        }
        self.crash();
    }

    /// One input.
    pub fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ServerCron) => {
                self.cron(ctx);
                ctx.set_timer(Timer::ServerCron, Duration::from_secs(1));
            }
            Input::Timer(Timer::WaitTimeout(conn)) => self.wait_timeout(ctx, conn),
            Input::Timer(Timer::RdbLoaded) => self.finish_loading(ctx),
            Input::Timer(_) => {}
            Input::Accepted(conn, addr) => {
                let rt = self.rt.as_mut().expect("running");
                rt.clients.insert(
                    conn,
                    Peer {
                        addr,
                        name: String::new(),
                        subs: Vec::new(),
                        multi: None,
                        replica: None,
                        woff: 0,
                        waiting: None,
                    },
                );
            }
            Input::Message(conn, Msg::Cmd(cmd)) => {
                if self.rt.as_ref().expect("running").clients.contains_key(&conn) {
                    self.command(ctx, conn, cmd);
                } else if self.is_master_link(conn) {
                    // REPLCONF GETACK and friends arrive as stream items, never as commands.
                }
            }
            Input::Message(conn, Msg::Newline) => self.replica_newline(ctx, conn),
            Input::Message(conn, msg) => self.on_master_stream(ctx, conn, msg),
            Input::Connected(conn) => self.master_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => self.master_connect_failed(ctx, conn, e),
            Input::Closed(conn, reason) => self.closed(ctx, conn, reason),
        }
        self.note_writable(ctx);
    }

    fn closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, reason: CloseReason) {
        let rt = self.rt.as_mut().expect("running");
        if let Some(peer) = rt.clients.remove(&conn) {
            if peer.replica.is_some() {
                self.replica_gone(ctx, conn, &peer, reason);
            }
            return;
        }
        if self.is_master_link(conn) {
            self.master_link_lost(ctx);
        }
    }

    // ---------------------------------------------------------------- helpers

    pub(crate) fn rt(&mut self) -> &mut Runtime {
        self.rt.as_mut().expect("the process is running")
    }

    /// The role mark Redis prints in logs.
    fn role_mark(&self) -> char {
        if self.is_master() { 'M' } else { 'S' }
    }

    /// Logs a line given in Redis 7.0's words and level, as this server's build writes it.
    pub(crate) fn log(&self, ctx: &mut NodeCtx<'_>, level: Level, text: impl Into<String>) {
        let text = self.build.words(text.into());
        let level = if self.build.notice(&text) { Level::Notice } else { level };
        log(ctx, level, self.role_mark(), text);
    }

    /// Notes a change of writability (master, up, not refusing with NOREPLICAS).
    fn note_writable(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt.as_mut().expect("running");
        let writable = rt.repl.link.is_none() && rt.good_replicas_ok();
        if rt.writable_noted != Some(writable) {
            rt.writable_noted = Some(writable);
            ctx.note(Note::Repl(ReplNote::Writable { writable }));
        }
    }

    fn reply(ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        ctx.send(conn, Msg::Reply(r));
    }

    /// `serverCron`'s once-a-second work: replication, then persistence.
    fn cron(&mut self, ctx: &mut NodeCtx<'_>) {
        self.replication_cron(ctx);
        persist::cron(self, ctx);
        self.rt().cron_loops += 1;
    }
}

impl Runtime {
    /// `checkGoodReplicasStatus`: true unless min-replicas-to-write is on, this is a master, and
    /// too few replicas acknowledged recently (as last counted).
    pub fn good_replicas_ok(&self) -> bool {
        self.repl.link.is_some()
            || self.cfg.min_replicas_to_write == 0
            || self.cfg.min_replicas_max_lag == 0
            || self.repl.good >= self.cfg.min_replicas_to_write
    }

    /// The replica connections, in attach order, with their replication state.
    pub fn replica_peers(&self) -> impl Iterator<Item = (ConnId, &ReplicaPeer)> + '_ {
        self.repl
            .replicas
            .iter()
            .filter_map(|&c| Some((c, self.clients.get(&c)?.replica.as_ref()?)))
    }

    /// The replica connections whose replication state satisfies `keep`.
    pub fn replicas_where(&self, keep: impl Fn(&ReplicaPeer) -> bool) -> Vec<ConnId> {
        self.replica_peers().filter(|(_, r)| keep(r)).map(|(c, _)| c).collect()
    }

    /// Replicas whose acknowledged offset is at least `target`.
    pub fn replicas_acked(&self, target: i64) -> i64 {
        self.replica_peers().filter(|(_, r)| r.is_online() && r.ack_off >= target).count() as i64
    }
}
