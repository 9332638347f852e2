//! Replication, replica side (`replication.c` `syncWithMaster` and `readSyncBulkPayload`):
//! connect, PING, REPLCONF, PSYNC with the cached master's id and offset, load the RDB (flushing
//! the old dataset) or continue the stream, time the master out, reconnect when the link drops.
//! A Valkey replica downloads the RDB in a background thread and loads it at its next
//! replication cron run (measured on 9.1.2: "Replica main thread detected RDB download completion
//! in Bio thread" 0.04-0.83 s after "Done downloading RDB", in step with the cron).

use super::backlog::Backlog;
use super::replication::{LinkState, NO_REPLID};
use super::{Server, unixtime};
use crate::observe::{Level, Note, ReplNote};
use crate::resp::{Command, ReplConf, Reply};
use crate::wire::{Msg, NodeCtx};
use sim::{ConnId, ConnectError};

impl Server {
    /// `connectWithMaster`.
    pub(super) fn connect_master(&mut self, ctx: &mut NodeCtx<'_>) {
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
    pub(super) fn cancel_handshake(&mut self, ctx: &mut NodeCtx<'_>) {
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
        let in_transfer = matches!(link.state, LinkState::Transfer { .. });
        link.state = LinkState::Connect;
        if !was_up {
            if in_transfer {
                let line = "I/O error trying to sync with MASTER: connection lost";
                self.log(ctx, Level::Warning, line);
            }
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
        let link = self.rt().repl.link.as_mut().expect("a replica");
        if let LinkState::Downloaded { queued, .. } = &mut link.state {
            // Nothing more is read from the master until the download is loaded.
            if let Msg::Stream(cmd) = msg {
                queued.push(cmd);
            }
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
            (LinkState::Transfer { .. }, Msg::RdbChunk { bytes, size }) => {
                self.rdb_chunk(ctx, bytes, size)
            }
            (LinkState::Transfer { conn: c, replid, offset }, Msg::Rdb(rdb))
                if rdb.mass.keys > 0 && !self.build.loads_rdb_in_background() =>
            {
                self.start_loading(ctx, c, replid, offset, rdb);
            }
            (LinkState::Transfer { conn: c, replid, offset }, Msg::Rdb(rdb)) => {
                let keys = rdb.data.len();
                if self.build.loads_rdb_in_background() {
                    self.log(
                        ctx,
                        Level::Notice,
                        "Replica main thread creating Bio thread to save RDB to disk",
                    );
                }
                self.log(ctx, Level::Notice, format!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk ({keys} keys)"));
                if self.build.loads_rdb_in_background() {
                    self.log(ctx, Level::Notice, "Replica bio thread: Done downloading RDB");
                    // The master has the whole payload and puts the replica online, as Valkey's
                    // master logs before the replica loads.
                    ctx.send(c, Msg::Cmd(Command::ReplConf(ReplConf::Ack(offset))));
                    let queued = Vec::new();
                    let state = LinkState::Downloaded { conn: c, replid, offset, rdb, queued };
                    self.set_link_state(state, unix);
                } else {
                    self.load_rdb(ctx, c, replid, offset, *rdb, false);
                }
            }
            (LinkState::Connected(c), Msg::Stream(cmd)) => {
                self.rt().repl.link.as_mut().expect("a replica").last_io_unix = unix;
                self.apply_stream(ctx, c, cmd);
            }
            _ => {}
        }
    }

    pub(super) fn set_link_state(&mut self, state: LinkState, unix: u64) {
        let link = self.rt().repl.link.as_mut().expect("a replica");
        link.state = state;
        link.transfer_lastio_unix = unix;
        link.transfer_read = 0;
    }

    pub(super) fn psync_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply, unix: u64) {
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

    /// Valkey's main thread finds the background download complete and loads it, then reads what
    /// the master streamed meanwhile.
    pub(super) fn load_downloaded(&mut self, ctx: &mut NodeCtx<'_>) {
        let link = self.rt().repl.link.as_mut().expect("a replica");
        let LinkState::Downloaded { conn, replid, offset, rdb, queued } =
            std::mem::replace(&mut link.state, LinkState::Connect)
        else {
            unreachable!("called on a download")
        };
        self.log(
            ctx,
            Level::Notice,
            "Replica main thread detected RDB download completion in Bio thread",
        );
        self.log(ctx, Level::Notice, "Loading the RDB and finalizing primary-replica sync...");
        if rdb.mass.keys > 0 {
            let state = LinkState::Downloaded { conn, replid, offset, rdb, queued };
            self.timed_load(ctx, state);
            return;
        }
        self.load_rdb(ctx, conn, replid, offset, *rdb, false);
        for cmd in queued {
            self.apply_stream(ctx, conn, cmd);
        }
    }

    /// `readSyncBulkPayload`: flush the old dataset, load the master's, take its history.
    pub(super) fn load_rdb(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        replid: String,
        offset: i64,
        snap: super::Snapshot,
        loaded: bool,
    ) {
        let unix = unixtime(ctx);
        let keys = snap.data.len();
        self.disconnect_replicas(ctx);
        // Valkey checks the file before it flushes: its lines come the other way round.
        let valkey_order = self.build.loads_rdb_in_background();
        if valkey_order {
            self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        }
        if !loaded {
            self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Flushing old data");
        }
        let rt = self.rt();
        let flushed = rt.data.len();
        rt.data = snap.data.clone();
        rt.mass = snap.mass;
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
        if !valkey_order && !loaded {
            self.log(ctx, Level::Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        }
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
    pub(super) fn apply_stream(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, cmd: Command) {
        match &cmd {
            Command::Set { .. } | Command::Del(_) | Command::Incr(_) | Command::FlushAll => {
                if matches!(cmd, Command::FlushAll) {
                    self.rt().mass = crate::dataset::Mass::default();
                }
                crate::dataset::apply(&mut self.rt().data, &cmd);
                self.persist_write(ctx, &cmd);
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
}
