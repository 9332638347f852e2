//! Command processing in `processCommand`'s order: the checks before a command runs (NOREPLICAS,
//! READONLY, pub/sub context, MASTERDOWN), then the command itself: strings, MULTI/EXEC,
//! PUBLISH/SUBSCRIBE, CLIENT KILL TYPE (skipping the caller), CONFIG, WAIT, ROLE, INFO, REPLICAOF.

use super::replication::LinkState;
use super::{Runtime, Server, unixtime};
use crate::info::{ReplicaFields, ServerInfo, SlaveLine};
use crate::observe::Level;
use crate::resp::{ClientType, Command, ReplicaOf, Reply, SetCond, Text};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{CloseReason, ConnId, Duration};

/// Commands with Redis's `stale` flag: a replica with its master link down and
/// `replica-serve-stale-data no` still runs them.
fn allowed_stale(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Info(_)
            | Command::Role
            | Command::ReplicaOf(_)
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
            | Command::Psync { .. }
    )
}

impl Server {
    /// `processCommand`: the checks, in Redis's order, then execution (or queueing in MULTI).
    pub(super) fn command(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, cmd: Command) {
        let in_multi = self.rt().clients[&conn].multi.is_some();
        let queues = in_multi && !matches!(cmd, Command::Exec | Command::Discard | Command::Multi);
        if let Some(r) = self.reject(conn, &cmd) {
            // `rejectCommand`: a refusal inside MULTI dooms the transaction; a refused EXEC
            // discards it (`flagTransaction`, `execCommandAbort`).
            let peer = self.rt().clients.get_mut(&conn).expect("a known client");
            let r = match (&mut peer.multi, &cmd) {
                (Some(_), Command::Exec) => {
                    peer.multi = None;
                    let e = match r {
                        Reply::Error(e) => e,
                        other => other.to_string(),
                    };
                    Reply::err(format!("EXECABORT Transaction discarded because of: {e}"))
                }
                (Some((_, aborted)), _) => {
                    *aborted = true;
                    r
                }
                (None, _) => r,
            };
            return Self::reply(ctx, conn, r);
        }
        if queues {
            let peer = self.rt().clients.get_mut(&conn).expect("a known client");
            peer.multi.as_mut().expect("in MULTI").0.push(cmd);
            return Self::reply(ctx, conn, Reply::Status("QUEUED".into()));
        }
        if let Some(r) = self.execute(ctx, conn, cmd) {
            Self::reply(ctx, conn, r);
        }
    }

    /// The checks `processCommand` makes before running (or queueing) a command. EXEC takes
    /// the flags of the commands it would run: a transaction with a write is a write.
    pub(super) fn reject(&mut self, conn: ConnId, cmd: &Command) -> Option<Reply> {
        let rt = self.rt();
        if let Command::Invalid { error, .. } = cmd {
            return Some(Reply::err(error.clone()));
        }
        let queued = match (cmd, &rt.clients[&conn].multi) {
            (Command::Exec, Some((queue, _))) => queue.as_slice(),
            _ => &[],
        };
        let write = cmd.is_write() || queued.iter().any(Command::is_write);
        let stale_ok = allowed_stale(cmd) && queued.iter().all(allowed_stale);
        let from_master = false;
        if write && !rt.good_replicas_ok() {
            return Some(Reply::err("NOREPLICAS Not enough good replicas to write."));
        }
        if rt.repl.link.is_some() && rt.cfg.replica_read_only && !from_master && write {
            return Some(Reply::err("READONLY You can't write against a read only replica."));
        }
        let peer = &rt.clients[&conn];
        if !peer.subs.is_empty() && !matches!(cmd, Command::Ping(_) | Command::Subscribe(_)) {
            let name = cmd.argv()[0].to_ascii_lowercase();
            return Some(Reply::err(format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )));
        }
        let link_down = rt.repl.link.as_ref().is_some_and(|l| !l.is_up());
        if link_down && !rt.cfg.replica_serve_stale_data && !stale_ok {
            return Some(Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        if rt.loading.is_some() && !super::volume::allowed_loading(cmd) {
            return Some(Reply::err(super::volume::LOADING_ERROR));
        }
        if peer.replica.is_some() && (write || matches!(cmd, Command::Get(_) | Command::Exists(_)))
        {
            return Some(Reply::err("ERR Replica can't interact with the keyspace"));
        }
        None
    }

    /// Runs a command; `None` when the reply is deferred (blocked WAIT, PSYNC) or already sent.
    pub(super) fn execute(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        cmd: Command,
    ) -> Option<Reply> {
        let write = cmd.is_write();
        let reply = match cmd {
            Command::Ping(None) => Reply::Status("PONG".into()),
            Command::Ping(Some(m)) | Command::Echo(m) => Reply::bulk(m),
            Command::Get(k) => Reply::Bulk(self.rt().data.get(k.as_str()).map(|v| v.to_string())),
            Command::Set { key, value, cond, get } => {
                let rt = self.rt();
                // A plain SET needs no lookup before its insert (one B-tree search, not two).
                let old = if get || cond != SetCond::Always {
                    rt.data.get(&*key).map(|v| v.to_string())
                } else {
                    None
                };
                let go = match cond {
                    SetCond::Always => true,
                    SetCond::IfAbsent => old.is_none(),
                    SetCond::IfPresent => old.is_some(),
                };
                if go {
                    rt.data.insert(key.clone(), value.clone());
                    self.propagate_write(
                        ctx,
                        conn,
                        Command::Set { key, value, cond: SetCond::Always, get: false },
                    );
                }
                match (get, go) {
                    (true, _) => Reply::Bulk(old),
                    (false, true) => Reply::Ok,
                    (false, false) => Reply::Bulk(None),
                }
            }
            Command::Del(keys) => {
                let rt = self.rt();
                let removed: Vec<String> =
                    keys.into_iter().filter(|k| rt.data.remove(k.as_str()).is_some()).collect();
                let n = removed.len() as i64;
                if n > 0 {
                    self.propagate_write(ctx, conn, Command::Del(removed));
                }
                Reply::Int(n)
            }
            Command::Incr(k) => {
                let rt = self.rt();
                let cur = rt.data.get(k.as_str()).map_or(Some(0), |v| v.parse::<i64>().ok());
                match cur.and_then(|v| v.checked_add(1)) {
                    Some(v) => {
                        rt.data.insert(Text::from(k.as_str()), Text::from(v.to_string()));
                        self.propagate_write(ctx, conn, Command::Incr(k));
                        Reply::Int(v)
                    }
                    None => Reply::err("ERR value is not an integer or out of range"),
                }
            }
            Command::Exists(keys) => {
                let rt = self.rt();
                Reply::Int(keys.iter().filter(|k| rt.data.contains_key(k.as_str())).count() as i64)
            }
            Command::DbSize => Reply::Int(self.rt().data.len() as i64),
            Command::FlushAll => {
                self.rt().data.clear();
                self.rt().mass = crate::dataset::Mass::default();
                self.propagate_write(ctx, conn, Command::FlushAll);
                Reply::Ok
            }
            Command::Select(0) => Reply::Ok,
            Command::Select(_) => Reply::err("ERR DB index is out of range"),
            Command::Role => self.role_reply(),
            Command::Info(_) => {
                Reply::Info(Box::new(self.info(unixtime(ctx), ctx.now()).expect("running")))
            }
            Command::ReplicaOf(target) => return Some(self.replicaof(ctx, conn, target)),
            Command::Wait { replicas, timeout_ms } => {
                return self.wait(ctx, conn, replicas, timeout_ms);
            }
            Command::ReplConf(rc) => return self.replconf(ctx, conn, rc),
            Command::Psync { replid, offset } => return self.psync(ctx, conn, replid, offset),
            Command::Publish { channel, message } => {
                let n = self.publish_local(ctx, &channel, &message);
                // Outside cluster mode every PUBLISH is propagated (pubsub.c publishCommand).
                self.propagate(ctx, Command::Publish { channel, message });
                Reply::Int(n)
            }
            Command::Subscribe(channels) => {
                let peer = self.rt().clients.get_mut(&conn).expect("known");
                for ch in channels {
                    if !peer.subs.contains(&ch) {
                        peer.subs.push(ch.clone());
                    }
                    let count = peer.subs.len() as i64;
                    ctx.send(
                        conn,
                        Msg::Reply(Reply::Array(Some(vec![
                            Reply::bulk("subscribe"),
                            Reply::bulk(ch),
                            Reply::Int(count),
                        ]))),
                    );
                }
                return None;
            }
            Command::Multi => {
                let peer = self.rt().clients.get_mut(&conn).expect("known");
                if peer.multi.is_some() {
                    Reply::err("ERR MULTI calls can not be nested")
                } else {
                    peer.multi = Some((Vec::new(), false));
                    Reply::Ok
                }
            }
            Command::Discard => match self.rt().clients.get_mut(&conn).expect("known").multi.take()
            {
                Some(_) => Reply::Ok,
                None => Reply::err("ERR DISCARD without MULTI"),
            },
            Command::Exec => return Some(self.exec(ctx, conn)),
            Command::ConfigRewrite => {
                self.conf = self.rt().cfg.clone();
                self.log(ctx, Level::Warning, "CONFIG REWRITE executed with success.");
                Reply::Ok
            }
            Command::ConfigGet(p) => match self.rt().cfg.get(&p) {
                Some(v) if self.build.lacks(&p).is_none() => Reply::strings([p, v]),
                _ => Reply::Array(Some(Vec::new())),
            },
            Command::ClientKill(kind) => Reply::Int(self.client_kill(ctx, conn, kind)),
            Command::ClientSetName(n) => {
                self.rt().clients.get_mut(&conn).expect("known").name = n;
                Reply::Ok
            }
            Command::Sentinel(_) => {
                Reply::err("ERR unknown command 'SENTINEL', with args beginning with: ".to_string())
            }
            // Only sentinels' event channels are pattern-subscribed to in the model.
            Command::PSubscribe(_) => Reply::err("ERR PSUBSCRIBE on a data server is not modelled"),
            Command::Invalid { error, .. } => Reply::err(error),
        };
        if write {
            let off = self.rt().repl.offset;
            if let Some(p) = self.rt().clients.get_mut(&conn) {
                p.woff = off;
            }
        }
        Some(reply)
    }

    pub(super) fn exec(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) -> Reply {
        let Some((queue, aborted)) = self.rt().clients.get_mut(&conn).expect("known").multi.take()
        else {
            return Reply::err("ERR EXEC without MULTI");
        };
        if aborted {
            return Reply::err("EXECABORT Transaction discarded because of previous errors.");
        }
        // The checks ran when each command was queued and for EXEC as a whole.
        let mut replies = Vec::with_capacity(queue.len());
        for cmd in queue {
            if !self.rt().clients.contains_key(&conn) {
                break;
            }
            replies.push(self.execute(ctx, conn, cmd).unwrap_or(Reply::Ok));
        }
        Reply::Array(Some(replies))
    }

    /// Delivers a message to this server's subscribers of `channel`; returns how many.
    pub(super) fn publish_local(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        channel: &Text,
        message: &Text,
    ) -> i64 {
        let mut n = 0;
        for (&c, peer) in &self.rt.as_ref().expect("running").clients {
            if peer.subs.iter().any(|s| **s == **channel) {
                ctx.send(c, Msg::Push { channel: channel.clone(), message: message.clone() });
                n += 1;
            }
        }
        n
    }

    /// `CLIENT KILL TYPE <kind>`, skipping the caller.
    pub(super) fn client_kill(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        caller: ConnId,
        kind: ClientType,
    ) -> i64 {
        if kind == ClientType::Master {
            return i64::from(self.kill_master_link(ctx));
        }
        let rt = self.rt();
        let victims: Vec<ConnId> = rt
            .clients
            .iter()
            .filter(|(c, p)| **c != caller && p.kind() == kind)
            .map(|(c, _)| *c)
            .collect();
        for &c in &victims {
            ctx.close(c);
            let peer = self.rt().clients.remove(&c).expect("listed");
            if peer.replica.is_some() {
                self.replica_gone(ctx, c, &peer, CloseReason::Eof);
            }
        }
        victims.len() as i64
    }

    pub(super) fn role_reply(&self) -> Reply {
        let rt = self.rt.as_ref().expect("running");
        match &rt.repl.link {
            None => {
                let mut replicas = Vec::new();
                for p in rt.clients.values() {
                    if let Some(r) = &p.replica {
                        if r.is_online() {
                            replicas.push(Reply::Array(Some(vec![
                                Reply::bulk(self.dir.name(p.addr.host)),
                                Reply::bulk(r.listening_port.to_string()),
                                Reply::bulk(r.ack_off.to_string()),
                            ])));
                        }
                    }
                }
                Reply::Array(Some(vec![
                    Reply::bulk("master"),
                    Reply::Int(rt.repl.offset),
                    Reply::Array(Some(replicas)),
                ]))
            }
            Some(l) => Reply::Array(Some(vec![
                Reply::bulk("slave"),
                Reply::bulk(l.host.clone()),
                Reply::Int(i64::from(l.port)),
                Reply::bulk(l.state.role_name()),
                Reply::Int(if l.is_up() { rt.repl.offset } else { -1 }),
            ])),
        }
    }

    pub(super) fn server_info(&self, rt: &Runtime, unix: u64, now: sim::Instant) -> ServerInfo {
        let repl = &rt.repl;
        let replica = repl.link.as_ref().map(|l| ReplicaFields {
            master_host: l.host.clone(),
            master_port: l.port,
            link_up: l.is_up(),
            last_io_seconds_ago: if l.is_up() {
                unix.saturating_sub(l.last_io_unix) as i64
            } else {
                -1
            },
            sync_in_progress: matches!(
                l.state,
                LinkState::Transfer { .. } | LinkState::Downloaded { .. }
            ),
            read_repl_offset: repl.offset,
            repl_offset: repl.offset,
            link_down_since_seconds: (!l.is_up())
                .then(|| l.down_since_unix.map_or(-1, |d| unix.saturating_sub(d) as i64)),
            priority: rt.cfg.replica_priority,
            read_only: rt.cfg.replica_read_only,
            announced: rt.cfg.replica_announced,
        });
        let slaves: Vec<SlaveLine> = repl
            .replicas
            .iter()
            .filter_map(|c| rt.clients.get(c))
            .filter_map(|p| {
                let r = p.replica.as_ref()?;
                Some(SlaveLine {
                    ip: self.dir.name(p.addr.host).to_string(),
                    port: r.listening_port,
                    state: r.state_name(),
                    offset: r.ack_off,
                    lag: if r.is_online() { unix.saturating_sub(r.ack_unix) as i64 } else { 0 },
                })
            })
            .collect();
        let min_on = rt.cfg.min_replicas_to_write > 0 && rt.cfg.min_replicas_max_lag > 0;
        ServerInfo {
            build: self.build,
            run_id: rt.run_id.clone(),
            tcp_port: self.port,
            uptime_in_seconds: (now - rt.started).as_secs(),
            replica,
            connected_slaves: slaves.len(),
            min_slaves_good_slaves: min_on.then_some(repl.good),
            slaves,
            master_replid: repl.replid.clone(),
            master_replid2: repl.replid2.clone(),
            master_repl_offset: repl.offset,
            second_repl_offset: repl.second_offset,
            backlog_active: repl.backlog.is_some(),
            backlog_size: rt.cfg.repl_backlog_size,
            backlog_first_byte_offset: repl.backlog.as_ref().map_or(0, |b| b.first_byte()),
            backlog_histlen: repl.backlog.as_ref().map_or(0, |b| b.histlen()),
            keys: rt.data.len() + rt.mass.keys as usize,
            used_memory: (rt.mass.keys > 0).then(|| {
                crate::info::BASELINE_USED_MEMORY + crate::dataset::data_memory(&rt.data, rt.mass)
            }),
            loading: rt.loading.is_some(),
        }
    }

    /// `WAIT numreplicas timeout`.
    pub(super) fn wait(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        replicas: i64,
        timeout_ms: i64,
    ) -> Option<Reply> {
        let rt = self.rt();
        if rt.repl.link.is_some() {
            return Some(Reply::err(
                "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
            ));
        }
        let target = rt.clients[&conn].woff;
        let acked = rt.replicas_acked(target);
        if acked >= replicas {
            return Some(Reply::Int(acked));
        }
        rt.clients.get_mut(&conn).expect("known").waiting = Some((replicas, target));
        if timeout_ms > 0 {
            ctx.set_timer(Timer::WaitTimeout(conn), Duration::from_millis(timeout_ms as u64));
        }
        // Ask the replicas for an acknowledgement now (REPLCONF GETACK goes through the stream).
        self.propagate(ctx, Command::ReplConf(crate::resp::ReplConf::GetAck));
        None
    }

    pub(super) fn wait_timeout(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let rt = self.rt();
        let Some(peer) = rt.clients.get_mut(&conn) else { return };
        let Some((_, target)) = peer.waiting.take() else { return };
        let acked = rt.replicas_acked(target);
        Self::reply(ctx, conn, Reply::Int(acked));
    }

    /// Replies to the WAITs that the latest acknowledgements satisfy.
    pub(super) fn wake_waiters(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt();
        let waiting: Vec<(ConnId, i64, i64)> =
            rt.clients.iter().filter_map(|(c, p)| p.waiting.map(|(n, t)| (*c, n, t))).collect();
        for (c, n, target) in waiting {
            let acked = rt.replicas_acked(target);
            if acked >= n {
                rt.clients.get_mut(&c).expect("listed").waiting = None;
                ctx.cancel_timer(Timer::WaitTimeout(c));
                Self::reply(ctx, c, Reply::Int(acked));
            }
        }
    }

    pub(super) fn replicaof(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        target: ReplicaOf,
    ) -> Reply {
        let who = self.client_info(conn);
        match target {
            ReplicaOf::NoOne => {
                if self.rt().repl.link.is_some() {
                    let peer = &self.rt.as_ref().expect("running").clients[&conn];
                    let by = (peer.name.clone(), self.dir.name(peer.addr.host).to_string());
                    self.unset_master(ctx, by);
                    self.log(
                        ctx,
                        Level::Notice,
                        format!("MASTER MODE enabled (user request from '{who}')"),
                    );
                }
                Reply::Ok
            }
            ReplicaOf::Master(host, port) => {
                if self.rt().clients[&conn].replica.is_some() {
                    return Reply::err("ERR Command is not valid when client is a replica.");
                }
                if self
                    .master_addr()
                    .is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && p == port)
                {
                    self.log(ctx, Level::Notice, "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
                    return Reply::Status("OK Already connected to specified master".into());
                }
                self.set_master(ctx, host.clone(), port);
                self.log(
                    ctx,
                    Level::Notice,
                    format!("REPLICAOF {host}:{port} enabled (user request from '{who}')"),
                );
                Reply::Ok
            }
        }
    }

    /// `catClientInfoString`, abridged: `id=.. addr=ip:port name=..`.
    pub(super) fn client_info(&self, conn: ConnId) -> String {
        let rt = self.rt.as_ref().expect("running");
        match rt.clients.get(&conn) {
            Some(p) => format!(
                "id={} addr={}:{} name={}",
                conn.0,
                self.dir.name(p.addr.host),
                p.addr.port,
                p.name
            ),
            None => format!("id={}", conn.0),
        }
    }
}
