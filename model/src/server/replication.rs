//! Replication, both sides, as Redis 7.0's `replication.c` does it.
//!
//! Master side: every write (and PUBLISH, the periodic PING, REPLCONF GETACK) is fed to the
//! backlog and the attached replicas, advancing `master_repl_offset` by its RESP length; PSYNC is
//! answered with `+CONTINUE` when the id and offset allow (`masterTryPartialResynchronization`),
//! otherwise with a full resync that waits for the diskless delay (`shouldStartChildReplication`);
//! replicas are timed out after `repl-timeout` without an ACK; `min-replicas-to-write` counts good
//! replicas once a second (`refreshGoodSlavesCount`).
//!
//! Replica side: connect, PING, REPLCONF, PSYNC with the cached master's id and offset
//! (`syncWithMaster`), load the RDB (flushing the old dataset) or continue the stream, ACK every
//! second, time the master out after `repl-timeout`, reconnect at once when the link drops.
//!
//! Promotion (`REPLICAOF NO ONE`) shifts the replication id (`shiftReplicationId`): the old id
//! becomes `master_replid2`, valid up to `second_repl_offset = master_repl_offset + 1`.

use super::{Peer, Runtime, Server, unixtime};

use crate::observe::ReplNote;
use crate::observe::{Level, Note};
use crate::resp::{Command, ReplConf, Reply};
use crate::wire::{Msg, NodeCtx};
use sim::{CloseReason, ConnId, ConnectError};
use std::collections::VecDeque;

/// The `master_replid2` of a server that has none.
pub(crate) const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// The replication backlog: the tail of the stream, for partial resynchronisations.
#[derive(Clone, Debug)]
pub(crate) struct Backlog {
    /// Offset of the first byte held (Redis's `repl_backlog->offset`).
    start: i64,
    /// Items with the offset of their first byte and their length.
    items: VecDeque<(i64, Command)>,
    histlen: i64,
    size: i64,
}

impl Backlog {
    /// An empty backlog whose next byte is `offset + 1`.
    pub fn new(offset: i64, size: u64) -> Self {
        Backlog { start: offset + 1, items: VecDeque::new(), histlen: 0, size: size as i64 }
    }

    pub fn first_byte(&self) -> i64 {
        self.start
    }

    pub fn histlen(&self) -> i64 {
        self.histlen
    }

    fn push(&mut self, first_byte: i64, len: i64, cmd: Command) {
        if self.items.is_empty() && self.histlen == 0 {
            self.start = first_byte;
        }
        self.items.push_back((first_byte, cmd));
        self.histlen += len;
        while self.histlen > self.size {
            let Some((_, front)) = self.items.pop_front() else { break };
            let flen = front.resp_len() as i64;
            self.start += flen;
            self.histlen -= flen;
        }
    }

    /// The items from byte `from` on, if the backlog holds them from an item boundary.
    fn since(&self, from: i64) -> Option<Vec<Command>> {
        if from < self.start || from > self.start + self.histlen {
            return None;
        }
        if from == self.start + self.histlen {
            return Some(Vec::new());
        }
        let i = self.items.iter().position(|(s, _)| *s == from)?;
        Some(self.items.iter().skip(i).map(|(_, c)| c.clone()).collect())
    }
}

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
    /// Streaming.
    Connected(ConnId),
}

impl LinkState {
    fn conn(&self) -> Option<ConnId> {
        match self {
            LinkState::Connect => None,
            LinkState::Connecting(c)
            | LinkState::AwaitPing(c)
            | LinkState::AwaitConf(c, _)
            | LinkState::AwaitPsync(c)
            | LinkState::Transfer { conn: c, .. }
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
            LinkState::Transfer { .. } => "sync",
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
}

impl ReplicaPeer {
    pub fn is_online(&self) -> bool {
        self.sync == ReplicaSync::Online
    }
    /// The `state=` of an INFO `slave<i>` line.
    pub fn state_name(&self) -> &'static str {
        match self.sync {
            ReplicaSync::WaitBgsaveStart | ReplicaSync::WaitBgsaveEnd => "wait_bgsave",
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

    fn name_of(&self, peer: &Peer) -> String {
        let port = peer.replica.as_ref().map_or(peer.addr.port, |r| r.listening_port);
        format!("{}:{}", self.dir.name(peer.addr.host), port)
    }

    // ---------------------------------------------------------------- feeding the stream

    /// A client's write: to the append-only file, the dirty counter, and the stream.
    pub(crate) fn propagate_write(&mut self, ctx: &mut NodeCtx<'_>, _conn: ConnId, cmd: Command) {
        self.persist_write(&cmd);
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
    fn feed(&mut self, ctx: &mut NodeCtx<'_>, cmd: Command) {
        let rt = self.rt();
        let len = cmd.resp_len() as i64;
        let first_byte = rt.repl.offset + 1;
        rt.repl.offset += len;
        for &c in &rt.repl.replicas {
            let waiting = rt
                .clients
                .get(&c)
                .and_then(|p| p.replica.as_ref())
                .is_some_and(|r| r.sync == ReplicaSync::WaitBgsaveStart);
            if !waiting {
                ctx.send(c, Msg::Stream(cmd.clone()));
            }
        }
        if let Some(b) = &mut rt.repl.backlog {
            b.push(first_byte, len, cmd);
        }
    }

    // ---------------------------------------------------------------- master side

    pub(crate) fn replconf(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        rc: ReplConf,
    ) -> Option<Reply> {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let peer = rt.clients.get_mut(&conn).expect("known");
        match rc {
            ReplConf::ListeningPort(p) => {
                peer.addr.port = p;
                Some(Reply::Ok)
            }
            ReplConf::Capa => Some(Reply::Ok),
            ReplConf::GetAck => None,
            ReplConf::Ack(off) => {
                let Some(r) = &mut peer.replica else { return None };
                r.ack_off = r.ack_off.max(off);
                r.ack_unix = unix;
                r.last_interaction_unix = unix;
                if r.sync == ReplicaSync::WaitBgsaveEnd {
                    r.sync = ReplicaSync::Online;
                    let name = self.name_of(&self.rt.as_ref().expect("running").clients[&conn]);
                    self.log(
                        ctx,
                        Level::Notice,
                        format!("Synchronization with replica {name} succeeded"),
                    );
                    self.refresh_good(unix);
                }
                self.wake_waiters(ctx);
                None
            }
        }
    }

    /// `syncCommand` for PSYNC.
    pub(crate) fn psync(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        replid: String,
        offset: i64,
    ) -> Option<Reply> {
        let unix = unixtime(ctx);
        let rt = self.rt();
        if rt.clients[&conn].replica.is_some() {
            return None;
        }
        if rt.repl.link.as_ref().is_some_and(|l| !l.is_up()) {
            return Some(Reply::err("NOMASTERLINK Can't SYNC while not connected with my master"));
        }
        let name = self.name_of(&self.rt.as_ref().expect("running").clients[&conn]);
        self.log(ctx, Level::Notice, format!("Replica {name} asks for synchronization"));
        let rt = self.rt();
        let ids_ok = replid.eq_ignore_ascii_case(&rt.repl.replid)
            || (replid.eq_ignore_ascii_case(&rt.repl.replid2) && offset <= rt.repl.second_offset);
        let items =
            if ids_ok { rt.repl.backlog.as_ref().and_then(|b| b.since(offset)) } else { None };
        let listening_port = rt.clients[&conn].addr.port;
        if let Some(items) = items {
            let peer = rt.clients.get_mut(&conn).expect("known");
            peer.replica = Some(ReplicaPeer {
                listening_port,
                sync: ReplicaSync::Online,
                ack_off: offset - 1,
                ack_unix: unix,
                last_interaction_unix: unix,
            });
            rt.repl.replicas.push(conn);
            let replid = rt.repl.replid.clone();
            let n = items.iter().map(|c| c.resp_len()).sum::<u64>();
            ctx.send(conn, Msg::Reply(Reply::Status(format!("CONTINUE {replid}"))));
            for c in items {
                ctx.send(conn, Msg::Stream(c));
            }
            self.log(ctx, Level::Notice, format!("Partial resynchronization request from {name} accepted. Sending {n} bytes of backlog starting from offset {offset}."));
            self.refresh_good(unix);
            return None;
        }
        let why = if replid == "?" {
            format!("Full resync requested by replica {name}")
        } else if !ids_ok && !replid.eq_ignore_ascii_case(&rt.repl.replid2) {
            format!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                rt.repl.replid, rt.repl.replid2
            )
        } else if !ids_ok {
            format!(
                "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {}",
                rt.repl.second_offset
            )
        } else {
            format!(
                "Unable to partial resync with replica {name} for lack of backlog (Replica request was: {offset})."
            )
        };
        self.log(ctx, Level::Notice, why);
        let rt = self.rt();
        rt.clients.get_mut(&conn).expect("known").replica = Some(ReplicaPeer {
            listening_port,
            sync: ReplicaSync::WaitBgsaveStart,
            ack_off: 0,
            ack_unix: unix,
            last_interaction_unix: unix,
        });
        rt.repl.replicas.push(conn);
        if rt.repl.replicas.len() == 1 && rt.repl.backlog.is_none() {
            // A backlog created from scratch always starts a new history (syncCommand).
            rt.repl.replid = ctx.rng().hex40();
            rt.repl.replid2 = NO_REPLID.to_string();
            rt.repl.second_offset = -1;
            rt.repl.backlog = Some(Backlog::new(rt.repl.offset, rt.cfg.repl_backlog_size));
            let (a, b) = (rt.repl.replid.clone(), rt.repl.replid2.clone());
            self.log(
                ctx,
                Level::Notice,
                format!("Replication backlog created, my new replication IDs are '{a}' and '{b}'"),
            );
        }
        if !self.rt().cfg.repl_diskless_sync {
            self.fork(ctx);
        }
        None
    }

    /// `startBgsaveForReplication`: snapshot now, answer every waiting replica with
    /// `+FULLRESYNC <id> <offset>` and the payload.
    fn fork(&mut self, ctx: &mut NodeCtx<'_>) {
        let diskless = self.rt().cfg.repl_diskless_sync;
        let snap = {
            let rt = self.rt.as_ref().expect("running");
            super::Snapshot {
                data: rt.data.clone(),
                replid: rt.repl.replid.clone(),
                offset: rt.repl.offset,
            }
        };
        let target = if diskless { "replicas sockets" } else { "disk" };
        self.log(ctx, Level::Notice, format!("Starting BGSAVE for SYNC with target: {target}"));
        if !diskless {
            self.disk.rdb = Some(snap.clone());
        }
        let rt = self.rt();
        let waiting: Vec<ConnId> = rt
            .repl
            .replicas
            .iter()
            .copied()
            .filter(|c| {
                rt.clients[c]
                    .replica
                    .as_ref()
                    .is_some_and(|r| r.sync == ReplicaSync::WaitBgsaveStart)
            })
            .collect();
        for &c in &waiting {
            rt.clients.get_mut(&c).expect("listed").replica.as_mut().expect("a replica").sync =
                ReplicaSync::WaitBgsaveEnd;
            ctx.send(
                c,
                Msg::Reply(Reply::Status(format!("FULLRESYNC {} {}", snap.replid, snap.offset))),
            );
            ctx.send(c, Msg::Rdb(Box::new(snap.clone())));
        }
        // The stream after a fork starts with a SELECT (replicationSetupSlaveForFullResync).
        rt.repl.seldb_fed = false;
        for c in waiting {
            let name = self.name_of(&self.rt.as_ref().expect("running").clients[&c]);
            self.log(ctx, Level::Notice, format!("Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming"));
        }
    }

    pub(crate) fn replica_gone(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        peer: &Peer,
        _reason: CloseReason,
    ) {
        let unix = unixtime(ctx);
        let name = self.name_of(peer);
        let rt = self.rt();
        rt.repl.replicas.retain(|&c| c != conn);
        if rt.repl.replicas.is_empty() {
            rt.repl.no_slaves_since_unix = unix;
        }
        self.log(ctx, Level::Warning, format!("Connection with replica {name} lost."));
        self.refresh_good(unix);
    }

    /// `refreshGoodSlavesCount`.
    pub(crate) fn refresh_good(&mut self, unix: u64) {
        let rt = self.rt();
        if rt.cfg.min_replicas_to_write == 0 || rt.cfg.min_replicas_max_lag == 0 {
            return;
        }
        let max_lag = u64::from(rt.cfg.min_replicas_max_lag);
        rt.repl.good = rt
            .repl
            .replicas
            .iter()
            .filter_map(|c| rt.clients.get(c)?.replica.as_ref())
            .filter(|r| r.is_online() && unix.saturating_sub(r.ack_unix) <= max_lag)
            .count() as u32;
    }

    /// Closes every replica connection (`disconnectSlaves`).
    fn disconnect_replicas(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt();
        let conns = std::mem::take(&mut rt.repl.replicas);
        for c in conns {
            ctx.close(c);
            self.rt().clients.remove(&c);
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

    /// `connectWithMaster`.
    fn connect_master(&mut self, ctx: &mut NodeCtx<'_>) {
        let unix = unixtime(ctx);
        let dir = self.dir.clone();
        let rt = self.rt();
        let link = rt.repl.link.as_mut().expect("a replica");
        let Some(host) = dir.resolve(&link.host) else {
            let h = link.host.clone();
            self.log(
                ctx,
                Level::Warning,
                format!("Unable to connect to MASTER: Name or service not known ({h})"),
            );
            return;
        };
        let conn = ctx.connect(sim::Addr::new(host, link.port));
        link.state = LinkState::Connecting(conn);
        link.transfer_lastio_unix = unix;
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync started");
    }

    // ---------------------------------------------------------------- replica side

    pub(crate) fn master_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let rt = self.rt();
        let Some(link) = rt.repl.link.as_mut() else { return };
        if link.state != LinkState::Connecting(conn) {
            return;
        }
        link.state = LinkState::AwaitPing(conn);
        ctx.send(conn, Msg::Cmd(Command::Ping(None)));
        self.log(ctx, Level::Notice, "Non blocking connect for SYNC fired the event.");
    }

    pub(crate) fn master_connect_failed(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        e: ConnectError,
    ) {
        let rt = self.rt();
        let Some(link) = rt.repl.link.as_mut() else { return };
        if link.state != LinkState::Connecting(conn) {
            return;
        }
        link.state = LinkState::Connect;
        let why = match e {
            ConnectError::Refused => "Connection refused",
            ConnectError::TimedOut => "Connection timed out",
        };
        self.log(ctx, Level::Warning, format!("Error condition on socket for SYNC: {why}"));
    }

    /// Gives up the current handshake (`cancelReplicationHandshake`).
    fn cancel_handshake(&mut self, ctx: &mut NodeCtx<'_>) {
        let link = self.rt().repl.link.as_mut().expect("a replica");
        if let Some(c) = link.state.conn() {
            ctx.close(c);
        }
        link.state = LinkState::Connect;
    }

    /// The established link to the master dropped (`replicationHandleMasterDisconnection`).
    pub(crate) fn master_link_lost(&mut self, ctx: &mut NodeCtx<'_>) {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let offset = rt.repl.offset;
        let link = rt.repl.link.as_mut().expect("a replica");
        let was_up = link.is_up();
        link.state = LinkState::Connect;
        if !was_up {
            return;
        }
        link.down_since_unix = Some(unix);
        rt.repl.can_psync = true;
        let (h, p) = (link.host.clone(), link.port);
        ctx.note(Note::Repl(ReplNote::Link { up: false, offset }));
        self.log(ctx, Level::Warning, "Connection with master lost.");
        self.log(ctx, Level::Notice, "Caching the disconnected master state.");
        self.log(ctx, Level::Notice, format!("Reconnecting to MASTER {h}:{p}"));
        self.connect_master(ctx);
    }

    /// `CLIENT KILL TYPE master`.
    pub(crate) fn kill_master_link(&mut self, ctx: &mut NodeCtx<'_>) -> bool {
        let Some(conn) = self.rt().repl.link.as_ref().and_then(|l| l.state.conn()) else {
            return false;
        };
        ctx.close(conn);
        self.master_link_lost(ctx);
        true
    }

    /// A message on the link to our master: handshake replies, the RDB, stream items.
    pub(crate) fn on_master_stream(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, msg: Msg) {
        if !self.is_master_link(conn) {
            return;
        }
        let unix = unixtime(ctx);
        let state = self.rt().repl.link.as_ref().expect("a replica").state.clone();
        match (state, msg) {
            (LinkState::AwaitPing(c), Msg::Reply(r)) => {
                if let Some(e) = r.error() {
                    if !(e.starts_with("NOAUTH")
                        || e.starts_with("NOPERM")
                        || e.starts_with("ERR operation not permitted"))
                    {
                        self.log(
                            ctx,
                            Level::Warning,
                            format!("Error reply to PING from master: '-{e}'"),
                        );
                        return self.cancel_handshake(ctx);
                    }
                }
                self.log(ctx, Level::Notice, "Master replied to PING, replication can continue...");
                let port = self.port;
                ctx.send(c, Msg::Cmd(Command::ReplConf(ReplConf::ListeningPort(port))));
                ctx.send(c, Msg::Cmd(Command::ReplConf(ReplConf::Capa)));
                self.set_link_state(LinkState::AwaitConf(c, 2), unix);
            }
            (LinkState::AwaitConf(c, left), Msg::Reply(_)) if left > 1 => {
                self.set_link_state(LinkState::AwaitConf(c, left - 1), unix);
            }
            (LinkState::AwaitConf(c, _), Msg::Reply(_)) => {
                let rt = self.rt();
                let (id, off) = if rt.repl.can_psync {
                    (rt.repl.replid.clone(), rt.repl.offset + 1)
                } else {
                    ("?".to_string(), -1)
                };
                if rt.repl.can_psync {
                    self.log(
                        ctx,
                        Level::Notice,
                        format!("Trying a partial resynchronization (request {id}:{off})."),
                    );
                } else {
                    self.log(
                        ctx,
                        Level::Notice,
                        "Partial resynchronization not possible (no cached master)",
                    );
                }
                ctx.send(c, Msg::Cmd(Command::Psync { replid: id, offset: off }));
                self.set_link_state(LinkState::AwaitPsync(c), unix);
            }
            (LinkState::AwaitPsync(c), Msg::Reply(r)) => self.psync_reply(ctx, c, r, unix),
            (LinkState::Transfer { conn: c, replid, offset }, Msg::Rdb(snap)) => {
                self.load_rdb(ctx, c, replid, offset, *snap, unix);
            }
            (LinkState::Connected(c), Msg::Stream(cmd)) => {
                self.rt().repl.link.as_mut().expect("a replica").last_io_unix = unix;
                self.apply_stream(ctx, c, cmd);
            }
            _ => {}
        }
    }

    fn set_link_state(&mut self, state: LinkState, unix: u64) {
        let link = self.rt().repl.link.as_mut().expect("a replica");
        link.state = state;
        link.transfer_lastio_unix = unix;
    }

    fn psync_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply, unix: u64) {
        let text = match &r {
            Reply::Status(s) => s.clone(),
            Reply::Error(e) => {
                let (level, msg) = if e.starts_with("NOMASTERLINK") || e.starts_with("LOADING") {
                    (
                        Level::Notice,
                        format!(
                            "Master is currently unable to PSYNC but should be in the future: -{e}"
                        ),
                    )
                } else {
                    (Level::Warning, format!("Unexpected reply to PSYNC from master: -{e}"))
                };
                self.log(ctx, level, msg);
                return self.cancel_handshake(ctx);
            }
            other => format!("{other}"),
        };
        let mut words = text.split_whitespace();
        match words.next() {
            Some("FULLRESYNC") => {
                let replid = words.next().unwrap_or_default().to_string();
                let offset = words.next().and_then(|o| o.parse().ok()).unwrap_or(0);
                self.log(ctx, Level::Notice, format!("Full resync from master: {replid}:{offset}"));
                self.set_link_state(LinkState::Transfer { conn, replid, offset }, unix);
            }
            Some("CONTINUE") => {
                let new_id = words.next().map(str::to_string);
                self.log(ctx, Level::Notice, "Successful partial resynchronization with master.");
                let rt = self.rt();
                if let Some(id) = new_id.filter(|id| *id != rt.repl.replid) {
                    let repl = &mut rt.repl;
                    repl.replid2 = std::mem::replace(&mut repl.replid, id.clone());
                    repl.second_offset = repl.offset + 1;
                    self.log(ctx, Level::Warning, format!("Master replication ID changed to {id}"));
                    self.disconnect_replicas(ctx);
                }
                self.log(
                    ctx,
                    Level::Notice,
                    "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
                );
                let rt = self.rt();
                let link = rt.repl.link.as_mut().expect("a replica");
                link.state = LinkState::Connected(conn);
                link.last_io_unix = unix;
                let from = format!("{}:{}", link.host, link.port);
                let offset = rt.repl.offset;
                if rt.repl.backlog.is_none() {
                    rt.repl.backlog = Some(Backlog::new(offset, rt.cfg.repl_backlog_size));
                }
                ctx.note(Note::Repl(ReplNote::PartialSync { from, offset }));
                ctx.note(Note::Repl(ReplNote::Link { up: true, offset }));
            }
            _ => {
                self.log(
                    ctx,
                    Level::Warning,
                    format!("Unexpected reply to PSYNC from master: {text}"),
                );
                self.cancel_handshake(ctx);
            }
        }
    }

    /// `readSyncBulkPayload`: flush the old dataset, load the master's, take its history.
    fn load_rdb(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        replid: String,
        offset: i64,
        snap: super::Snapshot,
        unix: u64,
    ) {
        let keys = snap.data.len();
        self.log(ctx, Level::Notice, format!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk ({keys} keys)"));
        self.disconnect_replicas(ctx);
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Flushing old data");
        let rt = self.rt();
        let flushed = rt.data.len();
        rt.data = snap.data.clone();
        rt.repl.replid = replid.clone();
        rt.repl.replid2 = NO_REPLID.to_string();
        rt.repl.second_offset = -1;
        rt.repl.offset = offset;
        rt.repl.backlog = Some(Backlog::new(offset, rt.cfg.repl_backlog_size));
        rt.repl.can_psync = true;
        let link = rt.repl.link.as_mut().expect("a replica");
        link.state = LinkState::Connected(conn);
        link.last_io_unix = unix;
        let from = format!("{}:{}", link.host, link.port);
        self.persist_full_sync(snap);
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Finished with success");
        ctx.send(conn, Msg::Cmd(Command::ReplConf(ReplConf::Ack(offset))));
        ctx.note(Note::Repl(ReplNote::FullSync {
            from,
            flushed_keys: flushed,
            loaded_keys: keys,
            replid,
            offset,
        }));
        ctx.note(Note::Repl(ReplNote::Link { up: true, offset }));
    }

    /// Applies one item of the master's stream, then proxies it to our own replicas.
    fn apply_stream(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, cmd: Command) {
        match &cmd {
            Command::Set { .. } | Command::Del(_) | Command::Incr(_) | Command::FlushAll => {
                crate::dataset::apply(&mut self.rt().data, &cmd);
                self.persist_write(&cmd);
            }
            Command::Publish { channel, message } => {
                self.publish_local(ctx, channel, message);
            }
            Command::ReplConf(ReplConf::GetAck) => {
                let off = self.rt().repl.offset;
                ctx.send(conn, Msg::Cmd(Command::ReplConf(ReplConf::Ack(off))));
            }
            _ => {}
        }
        self.feed(ctx, cmd);
    }

    // ---------------------------------------------------------------- cron

    /// `replicationCron`, once a second.
    pub(crate) fn replication_cron(&mut self, ctx: &mut NodeCtx<'_>) {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let timeout = rt.cfg.repl_timeout;
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

    fn timeout_replicas(&mut self, ctx: &mut NodeCtx<'_>, unix: u64) {
        let rt = self.rt();
        let timeout = rt.cfg.repl_timeout;
        let late: Vec<ConnId> = rt
            .repl
            .replicas
            .iter()
            .copied()
            .filter(|c| {
                rt.clients[c]
                    .replica
                    .as_ref()
                    .is_some_and(|r| r.is_online() && unix.saturating_sub(r.ack_unix) > timeout)
            })
            .collect();
        for c in late {
            let peer = self.rt().clients.remove(&c).expect("listed");
            let name = self.name_of(&peer);
            self.log(
                ctx,
                Level::Warning,
                format!("Disconnecting timedout replica (streaming sync): {name}"),
            );
            ctx.close(c);
            self.replica_gone(ctx, c, &peer, CloseReason::TimedOut);
        }
    }

    fn backlog_ttl(&mut self, ctx: &mut NodeCtx<'_>, unix: u64) {
        let rt = self.rt();
        let ttl = rt.cfg.repl_backlog_ttl;
        if rt.repl.replicas.is_empty()
            && ttl > 0
            && rt.repl.backlog.is_some()
            && rt.repl.link.is_none()
            && unix.saturating_sub(rt.repl.no_slaves_since_unix) > ttl
        {
            rt.repl.replid = ctx.rng().hex40();
            rt.repl.replid2 = NO_REPLID.to_string();
            rt.repl.second_offset = -1;
            rt.repl.backlog = None;
            self.log(
                ctx,
                Level::Notice,
                format!(
                    "Replication backlog freed after {ttl} seconds without connected replicas."
                ),
            );
        }
    }

    /// `shouldStartChildReplication`: replicas wait for the fork; with diskless sync the master
    /// waits until one of them has been idle `repl-diskless-sync-delay` whole seconds.
    fn should_fork(&self, unix: u64) -> bool {
        let rt: &Runtime = self.rt.as_ref().expect("running");
        let waiting: Vec<u64> = rt
            .repl
            .replicas
            .iter()
            .filter_map(|c| rt.clients.get(c)?.replica.as_ref())
            .filter(|r| r.sync == ReplicaSync::WaitBgsaveStart)
            .map(|r| unix.saturating_sub(r.last_interaction_unix))
            .collect();
        let Some(&max_idle) = waiting.iter().max() else { return false };
        let cfg = &rt.cfg;
        !cfg.repl_diskless_sync
            || (cfg.repl_diskless_sync_max_replicas > 0
                && waiting.len() as u32 >= cfg.repl_diskless_sync_max_replicas)
            || max_idle >= cfg.repl_diskless_sync_delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(k: &str) -> Command {
        Command::from_strs(&["SET", k, "v"])
    }

    #[test]
    fn backlog_serves_from_item_boundaries_and_trims() {
        let len = set("a").resp_len() as i64;
        let mut b = Backlog::new(0, 1_000_000);
        let mut off = 0;
        for k in ["a", "b", "c"] {
            b.push(off + 1, len, set(k));
            off += len;
        }
        assert_eq!(b.first_byte(), 1);
        assert_eq!(b.histlen(), 3 * len);
        assert_eq!(b.since(1).unwrap().len(), 3);
        assert_eq!(b.since(len + 1).unwrap(), vec![set("b"), set("c")]);
        assert_eq!(b.since(3 * len + 1).unwrap(), vec![]);
        assert!(b.since(3 * len + 2).is_none(), "beyond what was produced");
        assert!(b.since(2).is_none(), "not an item boundary");
        let mut small = Backlog::new(0, (2 * len) as u64);
        off = 0;
        for k in ["a", "b", "c"] {
            small.push(off + 1, len, set(k));
            off += len;
        }
        assert_eq!(small.first_byte(), len + 1);
        assert!(small.since(1).is_none(), "trimmed away");
    }
}
