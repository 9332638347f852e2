//! Replication state and what both sides share (`replication.c`): the link to a master, the
//! attached replicas, the replication ids and offsets; every write (and PUBLISH, the periodic
//! PING, REPLCONF GETACK) fed to the backlog and the replicas, advancing `master_repl_offset` by
//! its RESP length; role changes; `replicationCron`. The master side is `master.rs`, the replica
//! side `replica.rs`, the backlog `backlog.rs`.
//!
//! Promotion (`REPLICAOF NO ONE`) shifts the replication id (`shiftReplicationId`): the old id
//! becomes `master_replid2`, valid up to `second_repl_offset = master_repl_offset + 1`.

use super::backlog::Backlog;
use super::obuf::SyncBuffer;
use super::{Peer, Server, Snapshot, unixtime};

use crate::observe::{Level, Note, ReplNote};
use crate::resp::{Command, ReplConf, Reply};
use crate::wire::{Msg, NodeCtx};
use sim::ConnId;

/// The `master_replid2` of a server that has none.
pub(crate) const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// Where this server's link to its master is (Redis's `repl_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Must connect (`REPL_STATE_CONNECT`): the next replication cron does.
    Connect,
    /// TCP connect in progress.
    Connecting(ConnId),
    /// PING sent, waiting for its reply.
    AwaitPing(ConnId),
    /// REPLCONF commands sent; this many replies still to come.
    AwaitConf(ConnId, u8),
    /// PSYNC sent.
    AwaitPsync(ConnId),
    /// `+FULLRESYNC` received: waiting for the RDB payload.
    Transfer { conn: ConnId, replid: String, offset: i64 },
    /// The payload is downloaded (by Valkey's background thread) and waits for the main thread
    /// to load it at its next replication cron run; what the master streams meanwhile is read
    /// after the load, in order.
    Downloaded {
        conn: ConnId,
        replid: String,
        offset: i64,
        rdb: Box<Snapshot>,
        queued: Vec<Command>,
    },
    /// Streaming.
    Connected(ConnId),
}

impl LinkState {
    pub(super) fn conn(&self) -> Option<ConnId> {
        match self {
            LinkState::Connect => None,
            LinkState::Connecting(c)
            | LinkState::AwaitPing(c)
            | LinkState::AwaitConf(c, _)
            | LinkState::AwaitPsync(c)
            | LinkState::Transfer { conn: c, .. }
            | LinkState::Downloaded { conn: c, .. }
            | LinkState::Connected(c) => Some(*c),
        }
    }

    /// The state as `ROLE` names it.
    pub fn role_name(&self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting(_) => "connecting",
            LinkState::AwaitPing(_) | LinkState::AwaitConf(..) | LinkState::AwaitPsync(_) => {
                "handshake"
            }
            LinkState::Transfer { .. } | LinkState::Downloaded { .. } => "sync",
            LinkState::Connected(_) => "connected",
        }
    }
}

/// This server's link to its master (it is a replica).
#[derive(Clone, Debug)]
pub(crate) struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    /// `repl_down_since` (None: never connected since becoming a replica, shown as -1).
    pub down_since_unix: Option<u64>,
    /// Last data or PING from the master (`master->lastinteraction`).
    pub last_io_unix: u64,
    /// Last progress of the handshake or transfer (`repl_transfer_lastio`).
    pub transfer_lastio_unix: u64,
    /// Bytes of the current RDB transfer read so far (`repl_transfer_read`).
    pub transfer_read: u64,
}

impl MasterLink {
    pub fn new(host: String, port: u16) -> Self {
        MasterLink {
            host,
            port,
            state: LinkState::Connect,
            down_since_unix: None,
            last_io_unix: 0,
            transfer_lastio_unix: 0,
            transfer_read: 0,
        }
    }

    /// `master_link_status:up`.
    pub fn is_up(&self) -> bool {
        matches!(self.state, LinkState::Connected(_))
    }
}

/// A replica attached to this server, as the master sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReplicaSync {
    /// Waiting for the fork of a full resync (`wait_bgsave`), since this unixtime.
    WaitBgsaveStart,
    /// RDB sent; waiting for its first ACK.
    WaitBgsaveEnd,
    /// A disk-based RDB of a mass still crossing the link (`SLAVE_STATE_SEND_BULK`): online at
    /// the replica's first newline, which it sends once the whole payload arrived.
    SendBulk,
    /// Streaming.
    Online,
}

/// Master-side state of one replica connection.
#[derive(Clone, Debug)]
pub(crate) struct ReplicaPeer {
    pub listening_port: u16,
    pub sync: ReplicaSync,
    pub ack_off: i64,
    pub ack_unix: u64,
    pub last_interaction_unix: u64,
    /// The output buffer of a full sync in progress (from the fork to the first ACK).
    pub sync_buffer: Option<SyncBuffer>,
}

impl ReplicaPeer {
    pub fn is_online(&self) -> bool {
        self.sync == ReplicaSync::Online
    }
    /// The `state=` of an INFO `slave<i>` line.
    pub fn state_name(&self) -> &'static str {
        match self.sync {
            ReplicaSync::WaitBgsaveStart | ReplicaSync::WaitBgsaveEnd => "wait_bgsave",
            ReplicaSync::SendBulk => "send_bulk",
            ReplicaSync::Online => "online",
        }
    }
}

/// Replication state of a running server.
#[derive(Clone, Debug)]
pub(crate) struct Repl {
    pub replid: String,
    pub replid2: String,
    pub offset: i64,
    pub second_offset: i64,
    pub backlog: Option<Backlog>,
    /// Set when this server is a replica.
    pub link: Option<MasterLink>,
    /// Replica connections in the order they attached.
    pub replicas: Vec<ConnId>,
    /// `repl_good_slaves_count`.
    pub good: u32,
    /// False until a SELECT has been fed since the last reset (`slaveseldb == -1`).
    pub seldb_fed: bool,
    pub no_slaves_since_unix: u64,
    /// A cached master exists: PSYNC may ask with our id and offset (else `PSYNC ? -1`).
    pub can_psync: bool,
}

impl Repl {
    /// A fresh history with id `replid`.
    pub fn fresh(replid: String, link: Option<MasterLink>, unix: u64) -> Self {
        Repl {
            replid,
            replid2: NO_REPLID.to_string(),
            offset: 0,
            second_offset: -1,
            backlog: None,
            link,
            replicas: Vec::new(),
            good: 0,
            seldb_fed: false,
            no_slaves_since_unix: unix,
            can_psync: false,
        }
    }
}

impl Server {
    pub(crate) fn is_master_link(&self, conn: ConnId) -> bool {
        self.rt.as_ref().and_then(|rt| rt.repl.link.as_ref()).and_then(|l| l.state.conn())
            == Some(conn)
    }

    pub(super) fn name_of(&self, peer: &Peer) -> String {
        let port = peer.replica.as_ref().map_or(peer.addr.port, |r| r.listening_port);
        format!("{}:{}", self.dir.name(peer.addr.host), port)
    }

    // ---------------------------------------------------------------- feeding the stream

    /// A client's write: to the append-only file, the dirty counter, and the stream.
    pub(crate) fn propagate_write(&mut self, ctx: &mut NodeCtx<'_>, _conn: ConnId, cmd: Command) {
        self.persist_write(ctx, &cmd);
        self.propagate(ctx, cmd);
    }

    /// `replicationFeedSlaves`: only a top-level master feeds; with no backlog and no replica
    /// nothing is recorded and the offset does not move.
    pub(crate) fn propagate(&mut self, ctx: &mut NodeCtx<'_>, cmd: Command) {
        let rt = self.rt();
        if rt.repl.link.is_some() || (rt.repl.backlog.is_none() && rt.repl.replicas.is_empty()) {
            return;
        }
        if !rt.repl.seldb_fed {
            rt.repl.seldb_fed = true;
            self.feed(ctx, Command::Select(0));
        }
        self.feed(ctx, cmd);
    }

    /// Appends one item to the offset, the backlog and every replica past the fork.
    pub(super) fn feed(&mut self, ctx: &mut NodeCtx<'_>, cmd: Command) {
        let rt = self.rt();
        let len = cmd.resp_len() as i64;
        let first_byte = rt.repl.offset + 1;
        rt.repl.offset += len;
        let mut syncing = false;
        for &c in &rt.repl.replicas {
            let r = rt.clients.get(&c).and_then(|p| p.replica.as_ref());
            syncing |= r.is_some_and(|r| r.sync_buffer.is_some());
            if !r.is_some_and(|r| r.sync == ReplicaSync::WaitBgsaveStart) {
                ctx.send(c, Msg::Stream(cmd.clone()));
            }
        }
        if let Some(b) = &mut rt.repl.backlog {
            b.push(first_byte, len, cmd);
        }
        if syncing {
            self.grow_sync_buffers(ctx, len as u64);
        }
    }

    // ---------------------------------------------------------------- role changes

    /// `replicationUnsetMaster` (REPLICAOF NO ONE).
    pub(crate) fn unset_master(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        (client, from_host): (String, String),
    ) {
        let unix = unixtime(ctx);
        let new_id = ctx.rng().hex40();
        let rt = self.rt();
        let Some(link) = rt.repl.link.take() else { return };
        if let Some(c) = link.state.conn() {
            ctx.close(c);
        }
        rt.cfg.replicaof = None;
        let repl = &mut rt.repl;
        repl.replid2 = std::mem::replace(&mut repl.replid, new_id);
        repl.second_offset = repl.offset + 1;
        repl.seldb_fed = false;
        repl.no_slaves_since_unix = unix;
        repl.can_psync = false;
        let (id, id2, second) = (repl.replid.clone(), repl.replid2.clone(), repl.second_offset);
        let offset = repl.offset;
        self.log(ctx, Level::Warning, format!("Setting secondary replication ID to {id2}, valid up to offset: {second}. New replication ID is {id}"));
        self.disconnect_replicas(ctx);
        if link.is_up() {
            ctx.note(Note::Repl(ReplNote::Link { up: false, offset }));
        }
        ctx.note(Note::Repl(ReplNote::Promoted {
            replid: id.clone(),
            replid2: id2,
            second_offset: second,
            client,
            from_host,
        }));
        ctx.note(Note::Repl(ReplNote::Role { master: None, replid: id, offset }));
        self.refresh_good(unix);
    }

    /// `replicationSetMaster` (REPLICAOF host port).
    pub(crate) fn set_master(&mut self, ctx: &mut NodeCtx<'_>, host: String, port: u16) {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let was_master = rt.repl.link.is_none();
        let mut down_since = None;
        if let Some(old) = rt.repl.link.take() {
            if let Some(c) = old.state.conn() {
                ctx.close(c);
            }
            if old.is_up() {
                down_since = Some(unix);
                ctx.note(Note::Repl(ReplNote::Link { up: false, offset: rt.repl.offset }));
            } else {
                down_since = old.down_since_unix;
            }
        }
        // Clients blocked in WAIT are released (disconnectAllBlockedClients).
        let blocked: Vec<ConnId> =
            rt.clients.iter().filter(|(_, p)| p.waiting.is_some()).map(|(c, _)| *c).collect();
        for c in blocked {
            rt.clients.get_mut(&c).expect("listed").waiting = None;
            ctx.cancel_timer(crate::wire::Timer::WaitTimeout(c));
            ctx.send(c, Msg::Reply(Reply::err("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")));
        }
        if was_master {
            // replicationCacheMasterUsingMyself: PSYNC later with our own id and offset.
            rt.repl.can_psync = true;
        }
        rt.cfg.replicaof = Some((host.clone(), port));
        let mut link = MasterLink::new(host.clone(), port);
        link.down_since_unix = down_since;
        rt.repl.link = Some(link);
        let (replid, offset) = (rt.repl.replid.clone(), rt.repl.offset);
        ctx.note(Note::Repl(ReplNote::Role {
            master: Some(format!("{host}:{port}")),
            replid,
            offset,
        }));
        self.log(ctx, Level::Notice, format!("Connecting to MASTER {host}:{port}"));
        self.connect_master(ctx);
    }

    // ---------------------------------------------------------------- cron

    /// `replicationCron`, once a second.
    pub(crate) fn replication_cron(&mut self, ctx: &mut NodeCtx<'_>) {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let timeout = rt.cfg.repl_timeout;
        let downloaded = match rt.repl.link.as_ref().map(|l| &l.state) {
            Some(LinkState::Downloaded { conn, .. }) => Some(*conn),
            _ => None,
        };
        // A load in progress (a preloaded mass) ends on its own timer, pinging the master back
        // with a newline once a second meanwhile (`rdbLoadProgressCallback`).
        match downloaded {
            Some(_) if rt.loading.is_none() => self.load_downloaded(ctx),
            Some(conn) => ctx.send(conn, Msg::Newline),
            None => {}
        }
        let rt = self.rt();
        if let Some(link) = &rt.repl.link {
            let stalled = unix.saturating_sub(link.transfer_lastio_unix) > timeout;
            match &link.state {
                LinkState::Connecting(_)
                | LinkState::AwaitPing(_)
                | LinkState::AwaitConf(..)
                | LinkState::AwaitPsync(_)
                    if stalled =>
                {
                    self.log(ctx, Level::Warning, "Timeout connecting to the MASTER...");
                    self.cancel_handshake(ctx);
                }
                LinkState::Transfer { .. } if stalled => {
                    self.log(ctx, Level::Warning, "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
                    self.cancel_handshake(ctx);
                }
                LinkState::Connected(c) if unix.saturating_sub(link.last_io_unix) > timeout => {
                    let c = *c;
                    self.log(ctx, Level::Warning, "MASTER timeout: no data nor PING received...");
                    ctx.close(c);
                    self.master_link_lost(ctx);
                }
                _ => {}
            }
            let rt = self.rt();
            let link = rt.repl.link.as_ref().expect("a replica");
            if link.state == LinkState::Connect {
                let (h, p) = (link.host.clone(), link.port);
                self.log(ctx, Level::Notice, format!("Connecting to MASTER {h}:{p}"));
                self.connect_master(ctx);
            }
            let rt = self.rt();
            if let Some(LinkState::Connected(c)) = rt.repl.link.as_ref().map(|l| &l.state) {
                ctx.send(*c, Msg::Cmd(Command::ReplConf(ReplConf::Ack(rt.repl.offset))));
            }
        }
        let rt = self.rt();
        let period = rt.cfg.repl_ping_replica_period.max(1);
        if rt.cron_loops % period == 0 && !rt.repl.replicas.is_empty() {
            self.propagate(ctx, Command::Ping(None));
        }
        self.timeout_replicas(ctx, unix);
        self.backlog_ttl(ctx, unix);
        if self.should_fork(unix) {
            self.fork(ctx);
        }
        self.refresh_good(unix);
    }
}
