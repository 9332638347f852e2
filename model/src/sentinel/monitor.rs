//! Monitoring: links to every instance (`sentinelReconnectInstance`), the periodic PING, INFO and
//! hello (`sentinelSendPeriodicCommands`), replies (`sentinelPingReplyCallback`, ...), SDOWN and
//! link recycling (`sentinelCheckSubjectivelyDown`), and what an INFO reply tells and triggers
//! (`sentinelRefreshInstanceInfo`).
//!
//! Commands are pipelined on a connection and replies come back in order, so each connection
//! keeps the callbacks of its commands in flight, as hiredis does. While an instance is silent
//! INFO and hello are re-sent every tick (only a reply moves their timestamps), up to 100
//! pending commands.

use super::instance::{Callback, Conn, Kind, Role};
use super::{HELLO_CHANNEL, Sentinel, Slot, mstime};
use crate::info::ServerInfo;
use crate::observe::Why;
use crate::observe::{Level, Note};
use crate::resp::{ClientType, Command, ReplicaOf, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx};
use sim::{Addr, ConnId};

/// `SENTINEL_MAX_PENDING_COMMANDS`.
const MAX_PENDING: u32 = 100;

impl Sentinel {
    /// Sends `cmd` on the command connection of `slot`; false when there is none.
    pub(crate) fn send_cmd(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        slot: Slot,
        cmd: Command,
        cb: Callback,
    ) -> bool {
        let link = &mut self.rt().inst_mut(slot).link;
        let Some(cc) = &mut link.cc else { return false };
        cc.callbacks.push_back(cb);
        link.pending_commands += 1;
        ctx.send(cc.id, Msg::Cmd(cmd));
        true
    }

    /// `sentinelSendPing`.
    fn send_ping(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        if self.send_cmd(ctx, slot, Command::Ping(None), Callback::Ping) {
            let now = mstime(ctx);
            let link = &mut self.rt().inst_mut(slot).link;
            link.last_ping_time = now;
            if link.act_ping_time == 0 {
                link.act_ping_time = now;
            }
        }
    }

    /// `sentinelReconnectInstance`: at most once a second, open whichever connection is missing.
    /// A connect counts as present as soon as it is issued.
    pub(crate) fn reconnect(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        let now = mstime(ctx);
        let ping_period = self.config.ping_period_ms as i64;
        let inst = self.rt().inst_mut(slot);
        if !inst.link.disconnected || now - inst.link.last_reconn_time < ping_period {
            return;
        }
        let dir = self.dir.clone();
        let rt = self.rt();
        let id8 = rt.my_id[..8].to_string();
        let inst = rt.inst_mut(slot);
        inst.link.last_reconn_time = now;
        let Some(host) = dir.resolve(&inst.host) else { return };
        let addr = Addr::new(host, inst.port);
        if inst.link.cc.is_none() {
            let id = ctx.connect(addr);
            inst.link.cc = Some(Conn::new(id));
            inst.link.pending_commands = 0;
            inst.link.cc_conn_time = now;
            self.send_cmd(
                ctx,
                slot,
                Command::ClientSetName(format!("sentinel-{id8}-cmd")),
                Callback::Discard,
            );
            self.send_ping(ctx, slot);
        }
        let inst = self.rt().inst_mut(slot);
        if inst.kind != Kind::Sentinel && inst.link.pc.is_none() {
            let id = ctx.connect(addr);
            let mut pc = Conn::new(id);
            pc.callbacks.push_back(Callback::Discard);
            ctx.send(id, Msg::Cmd(Command::ClientSetName(format!("sentinel-{id8}-pubsub"))));
            ctx.send(id, Msg::Cmd(Command::Subscribe(vec![HELLO_CHANNEL.to_string()])));
            inst.link.pc = Some(pc);
            inst.link.pc_conn_time = now;
            inst.link.pending_commands += 1;
        }
        let inst = self.rt().inst_mut(slot);
        if inst.link.cc.is_some() && (inst.kind == Kind::Sentinel || inst.link.pc.is_some()) {
            inst.link.disconnected = false;
        }
    }

    /// `sentinelSendPeriodicCommands`.
    pub(crate) fn send_periodic(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        let now = mstime(ctx);
        let cfg = &self.config;
        let (info_period_cfg, ping_cfg, publish) =
            (cfg.info_period_ms as i64, cfg.ping_period_ms as i64, cfg.publish_period_ms as i64);
        let down_after = self.mc().down_after_ms as i64;
        let rt = self.rt();
        let master_busy = rt.m.master.flags.o_down || rt.m.master.flags.failover_in_progress;
        let inst = rt.inst(slot);
        if inst.link.disconnected || inst.link.pending_commands >= MAX_PENDING {
            return;
        }
        let info_period =
            if inst.kind == Kind::Replica && (master_busy || inst.master_link_down_time != 0) {
                1000
            } else {
                info_period_cfg
            };
        let ping_period = down_after.min(ping_cfg);
        let wants_info = inst.kind != Kind::Sentinel
            && (inst.info_refresh == 0 || now - inst.info_refresh > info_period);
        let wants_ping = now - inst.link.last_pong_time > ping_period
            && now - inst.link.last_ping_time > ping_period / 2;
        let wants_hello = now - inst.last_pub_time > publish;
        if wants_info {
            self.send_cmd(ctx, slot, Command::Info(Vec::new()), Callback::Info);
        }
        if wants_ping {
            self.send_ping(ctx, slot);
        }
        if wants_hello {
            self.send_hello(ctx, slot);
        }
    }

    /// The connection `conn` of some instance, and whether it is the pub/sub one.
    fn slot_of(&mut self, conn: ConnId) -> Option<(Slot, bool)> {
        let rt = self.rt();
        if rt.several() {
            rt.focus_where(|e| e.owns(conn));
        }
        rt.slots().find_map(|s| {
            let l = &rt.inst(s).link;
            if l.cc.as_ref().is_some_and(|c| c.id == conn) {
                Some((s, false))
            } else if l.pc.as_ref().is_some_and(|c| c.id == conn) {
                Some((s, true))
            } else {
                None
            }
        })
    }

    /// A connection to an instance failed or closed (`instanceLinkConnectionError`).
    pub(crate) fn link_error(&mut self, conn: ConnId) {
        let Some((slot, pubsub)) = self.slot_of(conn) else { return };
        let link = &mut self.rt().inst_mut(slot).link;
        if pubsub {
            link.pc = None;
        } else {
            link.cc = None;
        }
        link.disconnected = true;
    }

    /// Closes one of an instance's connections (`instanceLinkCloseConnection`).
    pub(crate) fn close_link(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot, pubsub: bool) {
        let link = &mut self.rt().inst_mut(slot).link;
        let conn = if pubsub { link.pc.take() } else { link.cc.take() };
        if let Some(c) = conn {
            ctx.close(c.id);
            if !pubsub {
                link.pending_commands = 0;
            }
            link.disconnected = true;
        }
    }

    /// A reply or a pub/sub message from an instance.
    pub(crate) fn link_message(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, msg: Msg) {
        let Some((slot, pubsub)) = self.slot_of(conn) else { return };
        let now = mstime(ctx);
        if pubsub {
            let link = &mut self.rt().inst_mut(slot).link;
            link.pc_last_activity = now;
            match msg {
                Msg::Reply(_) => {
                    if let Some(Callback::Discard) =
                        link.pc.as_mut().and_then(|c| c.callbacks.pop_front())
                    {
                        link.pending_commands = link.pending_commands.saturating_sub(1);
                    }
                }
                Msg::Push { channel, message } if *channel == *HELLO_CHANNEL => {
                    self.hello_from_link(ctx, &message);
                }
                _ => {}
            }
            return;
        }
        let Msg::Reply(reply) = msg else { return };
        let link = &mut self.rt().inst_mut(slot).link;
        let Some(cb) = link.cc.as_mut().and_then(|c| c.callbacks.pop_front()) else { return };
        link.pending_commands = link.pending_commands.saturating_sub(1);
        match cb {
            Callback::Ping => self.ping_reply(slot, &reply, now),
            Callback::Info => {
                if let Reply::Info(info) = reply {
                    if let crate::info::Info::Server(si) = *info {
                        self.refresh_info(ctx, slot, &si);
                    }
                }
            }
            Callback::Publish => {
                if !matches!(reply, Reply::Error(_)) {
                    self.rt().inst_mut(slot).last_pub_time = now;
                }
            }
            Callback::IsMasterDown => self.is_master_down_reply(ctx, slot, &reply),
            Callback::Discard => {}
        }
    }

    /// `sentinelPingReplyCallback`: PONG, LOADING and MASTERDOWN are valid replies.
    fn ping_reply(&mut self, slot: Slot, reply: &Reply, now: i64) {
        let inst = self.rt().inst_mut(slot);
        let text = match reply {
            Reply::Status(s) => Some(s.as_str()),
            Reply::Error(e) => Some(e.as_str()),
            _ => None,
        };
        if let Some(t) = text {
            if t.starts_with("PONG") || t.starts_with("LOADING") || t.starts_with("MASTERDOWN") {
                inst.link.last_avail_time = now;
                inst.link.act_ping_time = 0;
                if t.starts_with("PONG") {
                    inst.flags.master_reboot = false;
                }
            }
        }
        inst.link.last_pong_time = now;
    }

    /// `sentinelCheckSubjectivelyDown`: how long since the instance was last known good (read
    /// first), link recycling, then SDOWN.
    pub(crate) fn check_sdown(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        let now = mstime(ctx);
        let cfg = &self.config;
        let (min_reconnect, publish, info_period) = (
            cfg.min_link_reconnect_period_ms as i64,
            cfg.publish_period_ms as i64,
            cfg.info_period_ms as i64,
        );
        let (down_after, reboot_after) =
            (self.mc().down_after_ms as i64, self.mc().master_reboot_down_after_ms as i64);
        let rt = self.rt();
        let inst = rt.inst(slot);
        let l = &inst.link;
        let elapsed = if l.act_ping_time != 0 {
            now - l.act_ping_time
        } else if l.disconnected {
            now - l.last_avail_time
        } else {
            0
        };
        let recycle_cc = l.cc.is_some()
            && now - l.cc_conn_time > min_reconnect
            && l.act_ping_time != 0
            && now - l.act_ping_time > down_after / 2
            && now - l.last_pong_time > down_after / 2;
        let recycle_pc = l.pc.is_some()
            && now - l.pc_conn_time > min_reconnect
            && now - l.pc_last_activity > publish * 3;
        let claims_replica = inst.kind == Kind::Master
            && inst.role_reported == Role::Slave
            && now - inst.role_reported_time > down_after + info_period * 2;
        let rebooted =
            inst.flags.master_reboot && now - inst.master_reboot_since_time > reboot_after;
        if recycle_cc {
            self.close_link(ctx, slot, false);
        }
        if recycle_pc {
            self.close_link(ctx, slot, true);
        }
        let rt = self.rt();
        let inst = rt.inst(slot);
        if elapsed > down_after || claims_replica || rebooted {
            if !inst.flags.s_down {
                let cause = if elapsed > down_after {
                    "no valid reply".to_string()
                } else if claims_replica {
                    "the master reports role:slave".to_string()
                } else {
                    "rebooted and not answering PONG".to_string()
                };
                let who = inst.addr();
                let inst = rt.inst_mut(slot);
                inst.s_down_since_time = now;
                inst.flags.s_down = true;
                ctx.note(Note::Why(Why::Sdown {
                    instance: who,
                    silent_ms: elapsed,
                    down_after_ms: down_after,
                    cause,
                }));
                self.event(ctx, Level::Warning, "+sdown", Some(slot), "");
            }
        } else if inst.flags.s_down {
            rt.inst_mut(slot).flags.s_down = false;
            self.event(ctx, Level::Warning, "-sdown", Some(slot), "");
        }
    }

    /// `sentinelMasterLooksSane`.
    fn master_looks_sane(&mut self, now: i64) -> bool {
        let info_period = self.config.info_period_ms as i64;
        let m = &self.rt().m.master;
        m.role_reported == Role::Master
            && !m.flags.s_down
            && !m.flags.o_down
            && now - m.info_refresh < info_period * 2
    }

    /// `sentinelRefreshInstanceInfo`: record what INFO says, then act on it (outside TILT).
    fn refresh_info(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot, info: &ServerInfo) {
        let now = mstime(ctx);
        let reboot_period = self.mc().master_reboot_down_after_ms as i64;
        let inst = self.rt().inst_mut(slot);
        inst.master_link_down_time = 0;
        let mut rebooted = false;
        match &inst.runid {
            None => inst.runid = Some(info.run_id.clone()),
            Some(old) if *old != info.run_id => {
                rebooted = true;
                if inst.kind == Kind::Master && reboot_period != 0 {
                    inst.flags.master_reboot = true;
                    inst.master_reboot_since_time = now;
                }
                inst.runid = Some(info.run_id.clone());
            }
            Some(_) => {}
        }
        if rebooted {
            self.event(ctx, Level::Notice, "+reboot", Some(slot), "");
        }
        if slot == Slot::Master {
            for line in &info.slaves {
                let name = format!("{}:{}", line.ip, line.port);
                if !self.rt().m.replicas.iter().any(|r| r.name == name) {
                    let rt = self.rt();
                    let id = rt.new_id();
                    rt.m.replicas.push(super::Instance::new(
                        id,
                        Kind::Replica,
                        name,
                        line.ip.clone(),
                        line.port,
                        now,
                    ));
                    rt.flush = true;
                    let i = rt.m.replicas.len() - 1;
                    self.event(ctx, Level::Notice, "+slave", Some(Slot::Replica(i)), "");
                }
            }
        }
        let inst = self.rt().inst_mut(slot);
        let role = if info.replica.is_some() { Role::Slave } else { Role::Master };
        if let Some(r) = &info.replica {
            inst.master_link_down_time = r.link_down_since_seconds.map_or(0, |s| s * 1000);
            if inst
                .slave_master_host
                .as_deref()
                .is_none_or(|h| !h.eq_ignore_ascii_case(&r.master_host))
            {
                inst.slave_master_host = Some(r.master_host.clone());
                inst.slave_conf_change_time = now;
            }
            if inst.slave_master_port != r.master_port {
                inst.slave_master_port = r.master_port;
                inst.slave_conf_change_time = now;
            }
            inst.slave_master_link_up = r.link_up;
            inst.slave_priority = r.priority;
            inst.slave_repl_offset = r.repl_offset;
            inst.replica_announced = r.announced;
        }
        inst.info_refresh = now;

        // The acting half.
        if role != inst.role_reported {
            inst.role_reported_time = now;
            inst.role_reported = role;
            if role == Role::Slave {
                inst.slave_conf_change_time = now;
            }
            let coherent = (inst.kind == Kind::Master) == (role == Role::Master);
            let name = if role == Role::Master { "master" } else { "slave" };
            let ev = if coherent { "+role-change" } else { "-role-change" };
            self.event(
                ctx,
                Level::Verbose,
                ev,
                Some(slot),
                &format!("new reported role is {name}"),
            );
        }
        if self.rt().tilt {
            return;
        }
        let Slot::Replica(ri) = slot else { return };
        if role == Role::Master {
            self.replica_reports_master(ctx, ri, now);
        } else {
            self.replica_reports_slave(ctx, ri, now);
        }
    }

    /// A replica in our table says it is a master: our promotion took effect, or it must be
    /// converted back (`+convert-to-slave`).
    fn replica_reports_master(&mut self, ctx: &mut NodeCtx<'_>, ri: usize, now: i64) {
        let wait = self.config.publish_period_ms as i64 * 4;
        let rt = self.rt();
        let inst = &rt.m.replicas[ri];
        if inst.flags.promoted
            && rt.m.master.flags.failover_in_progress
            && rt.m.ms.failover_state == super::FailoverState::WaitPromotion
        {
            rt.m.ms.config_epoch = rt.m.ms.failover_epoch;
            rt.m.ms.failover_state = super::FailoverState::ReconfSlaves;
            rt.m.ms.failover_state_change_time = now;
            rt.flush = true;
            self.event(ctx, Level::Warning, "+promoted-slave", Some(Slot::Replica(ri)), "");
            self.event(
                ctx,
                Level::Warning,
                "+failover-state-reconf-slaves",
                Some(Slot::Master),
                "",
            );
            self.force_hello_update();
            return;
        }
        let (promoted, no_down, reported_for) =
            (inst.flags.promoted, inst.no_down_for(wait, now), now - inst.role_reported_time);
        if !promoted && self.master_looks_sane(now) && no_down && reported_for > wait {
            let m = &self.rt().m.master;
            let (host, port) = (m.host.clone(), m.port);
            if self.send_slaveof(ctx, Slot::Replica(ri), Some((host.clone(), port))) {
                let instance = self.rt().m.replicas[ri].addr();
                ctx.note(Note::Why(Why::Reconfigured {
                    instance,
                    master: format!("{host}:{port}"),
                    reported_role_for_ms: reported_for,
                }));
                self.event(ctx, Level::Notice, "+convert-to-slave", Some(Slot::Replica(ri)), "");
            }
        }
    }

    /// A replica in our table says it is a replica: of the wrong master (`+fix-slave-config`), or
    /// progressing in a reconfiguration we asked for (`+slave-reconf-inprog`, `-done`).
    fn replica_reports_slave(&mut self, ctx: &mut NodeCtx<'_>, ri: usize, now: i64) {
        let wait = self.mc().failover_timeout_ms as i64;
        let rt = self.rt();
        let (mhost, mport) = (rt.m.master.host.clone(), rt.m.master.port);
        let inst = &rt.m.replicas[ri];
        let wrong_master = inst.slave_master_port != mport
            || !inst.slave_master_host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&mhost));
        if wrong_master {
            let (no_down, changed_for) =
                (inst.no_down_for(wait, now), now - inst.slave_conf_change_time);
            if self.master_looks_sane(now)
                && no_down
                && changed_for > wait
                && self.send_slaveof(ctx, Slot::Replica(ri), Some((mhost.clone(), mport)))
            {
                let instance = self.rt().m.replicas[ri].addr();
                ctx.note(Note::Why(Why::Reconfigured {
                    instance,
                    master: format!("{mhost}:{mport}"),
                    reported_role_for_ms: changed_for,
                }));
                self.event(ctx, Level::Notice, "+fix-slave-config", Some(Slot::Replica(ri)), "");
            }
        }
        let rt = self.rt();
        let promoted =
            rt.promoted().map(|p| (rt.m.replicas[p].host.clone(), rt.m.replicas[p].port));
        let inst = &mut rt.m.replicas[ri];
        if !(inst.flags.reconf_sent || inst.flags.reconf_inprog) {
            return;
        }
        let follows_promoted = promoted.as_ref().is_some_and(|(h, p)| {
            inst.slave_master_host.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(h))
                && inst.slave_master_port == *p
        });
        if inst.flags.reconf_sent && follows_promoted {
            inst.flags.reconf_sent = false;
            inst.flags.reconf_inprog = true;
            self.event(ctx, Level::Notice, "+slave-reconf-inprog", Some(Slot::Replica(ri)), "");
        }
        let inst = &mut self.rt().m.replicas[ri];
        if inst.flags.reconf_inprog && inst.slave_master_link_up {
            inst.flags.reconf_inprog = false;
            inst.flags.reconf_done = true;
            self.event(ctx, Level::Notice, "+slave-reconf-done", Some(Slot::Replica(ri)), "");
        }
    }

    /// `sentinelSendSlaveOf`: one pipelined transaction: MULTI, SLAVEOF, CONFIG REWRITE, CLIENT
    /// KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC. Replies are discarded; INFO shows the
    /// effect.
    pub(crate) fn send_slaveof(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        slot: Slot,
        master: Option<(String, u16)>,
    ) -> bool {
        if self.rt().inst(slot).link.cc.is_none() {
            return false;
        }
        let target = match master {
            Some((h, p)) => ReplicaOf::Master(h, p),
            None => ReplicaOf::NoOne,
        };
        for cmd in [
            Command::Multi,
            Command::ReplicaOf(target),
            Command::ConfigRewrite,
            Command::ClientKill(ClientType::Normal),
            Command::ClientKill(ClientType::Pubsub),
            Command::Exec,
        ] {
            self.send_cmd(ctx, slot, cmd, Callback::Discard);
        }
        true
    }

    /// `SENTINEL is-master-down-by-addr` for our master, to sentinel `slot`.
    pub(crate) fn send_is_master_down(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        let rt = self.rt();
        let runid = if rt.m.ms.failover_state > super::FailoverState::None {
            rt.my_id.clone()
        } else {
            "*".to_string()
        };
        let cmd = Command::Sentinel(SentinelCmd::IsMasterDownByAddr {
            ip: rt.m.master.host.clone(),
            port: rt.m.master.port,
            epoch: rt.current_epoch,
            runid,
        });
        self.send_cmd(ctx, slot, cmd, Callback::IsMasterDown);
    }
}
