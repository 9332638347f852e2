//! Replication, master side (`replication.c`): REPLCONF and PSYNC from replicas, the fork of a
//! full resynchronisation (disk or diskless, after `repl-diskless-sync-delay`), replicas timed out
//! after `repl-timeout`, the backlog's time to live, and `min-replicas-to-write`'s count of good
//! replicas (`refreshGoodSlavesCount`).

use super::backlog::Backlog;
use super::replication::{NO_REPLID, ReplicaPeer, ReplicaSync};
use super::{Peer, Runtime, Server, unixtime};
use crate::observe::Level;
use crate::resp::{ReplConf, Reply};
use crate::wire::{Msg, NodeCtx};
use sim::{CloseReason, ConnId};

impl Server {
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
                r.sync_buffer = None;
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
                sync_buffer: None,
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
            sync_buffer: None,
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
    /// `+FULLRESYNC <id> <offset>` and the payload. Streamed to the sockets (diskless), a replica
    /// goes online on its first ACK; through disk, the BGSAVE writes `dump.rdb` and a replica is
    /// online once the file is sent (`updateSlavesWaitingBgsave`, `putSlaveOnline`), with no ACK
    /// awaited.
    pub(super) fn fork(&mut self, ctx: &mut NodeCtx<'_>) {
        let unix = unixtime(ctx);
        let diskless = self.rt().cfg.repl_diskless_sync;
        let snap = {
            let rt = self.rt.as_ref().expect("running");
            super::Snapshot {
                data: rt.data.clone(),
                mass: rt.mass,
                replid: rt.repl.replid.clone(),
                offset: rt.repl.offset,
            }
        };
        let target = if diskless { "replicas sockets" } else { "disk" };
        self.fork_cost(ctx);
        self.log(ctx, Level::Notice, format!("Starting BGSAVE for SYNC with target: {target}"));
        if !diskless {
            let pid = self.rt().pid + 1;
            self.log(ctx, Level::Notice, format!("Background saving started by pid {pid}"));
            self.disk.rdb = Some(snap.clone());
            self.log(ctx, Level::Notice, "Background saving terminated with success");
        }
        // A disk-based RDB that fits the socket's buffers is sent at once (`sendBulkToSlave`
        // finishes in the same event loop); one carrying a mass is online when it has crossed.
        let bulk = !diskless && snap.mass_rdb_bytes() > 0;
        let rt = self.rt();
        let waiting = rt.replicas_where(|r| r.sync == ReplicaSync::WaitBgsaveStart);
        for &c in &waiting {
            let r = rt.clients.get_mut(&c).expect("listed").replica.as_mut().expect("a replica");
            r.sync_buffer = Some(super::obuf::SyncBuffer::default());
            r.sync = match (diskless, bulk) {
                (true, _) => ReplicaSync::WaitBgsaveEnd,
                (false, true) => ReplicaSync::SendBulk,
                (false, false) => ReplicaSync::Online,
            };
            r.ack_unix = unix;
            ctx.send(
                c,
                Msg::Reply(Reply::Status(format!("FULLRESYNC {} {}", snap.replid, snap.offset))),
            );
            Self::send_rdb_chunks(ctx, c, &snap, (!diskless).then(|| snap.rdb_bytes()));
            ctx.send(c, Msg::Rdb(Box::new(snap.clone())));
        }
        // The stream after a fork starts with a SELECT (replicationSetupSlaveForFullResync).
        rt.repl.seldb_fed = false;
        if bulk {
            return;
        }
        for c in waiting {
            let name = self.name_of(&self.rt.as_ref().expect("running").clients[&c]);
            let line = if diskless {
                format!(
                    "Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming"
                )
            } else {
                format!("Synchronization with replica {name} succeeded")
            };
            self.log(ctx, Level::Notice, line);
        }
        if !diskless {
            self.refresh_good(unix);
        }
    }

    /// A newline from a replica (`processInlineBuffer`) refreshes its `repl_ack_time`; the first
    /// after a disk-based RDB of a mass puts it online (`putSlaveOnline`).
    pub(crate) fn replica_newline(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let unix = unixtime(ctx);
        let rt = self.rt();
        let Some(r) = rt.clients.get_mut(&conn).and_then(|p| p.replica.as_mut()) else { return };
        r.ack_unix = unix;
        r.last_interaction_unix = unix;
        if r.sync == ReplicaSync::SendBulk {
            r.sync = ReplicaSync::Online;
            let name = self.name_of(&self.rt.as_ref().expect("running").clients[&conn]);
            self.log(ctx, Level::Notice, format!("Synchronization with replica {name} succeeded"));
            self.refresh_good(unix);
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
            .replica_peers()
            .filter(|(_, r)| r.is_online() && unix.saturating_sub(r.ack_unix) <= max_lag)
            .count() as u32;
    }

    /// Closes every replica connection (`disconnectSlaves`).
    pub(super) fn disconnect_replicas(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt();
        let conns = std::mem::take(&mut rt.repl.replicas);
        for c in conns {
            ctx.close(c);
            self.rt().clients.remove(&c);
        }
    }

    pub(super) fn timeout_replicas(&mut self, ctx: &mut NodeCtx<'_>, unix: u64) {
        let rt = self.rt();
        let timeout = rt.cfg.repl_timeout;
        let late =
            rt.replicas_where(|r| r.is_online() && unix.saturating_sub(r.ack_unix) > timeout);
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

    pub(super) fn backlog_ttl(&mut self, ctx: &mut NodeCtx<'_>, unix: u64) {
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
    pub(super) fn should_fork(&self, unix: u64) -> bool {
        let rt: &Runtime = self.rt.as_ref().expect("running");
        let waiting: Vec<u64> = rt
            .replica_peers()
            .filter(|(_, r)| r.sync == ReplicaSync::WaitBgsaveStart)
            .map(|(_, r)| unix.saturating_sub(r.last_interaction_unix))
            .collect();
        let Some(&max_idle) = waiting.iter().max() else { return false };
        let cfg = &rt.cfg;
        !cfg.repl_diskless_sync
            || (cfg.repl_diskless_sync_max_replicas > 0
                && waiting.len() as u32 >= cfg.repl_diskless_sync_max_replicas)
            || max_idle >= cfg.repl_diskless_sync_delay
    }
}
