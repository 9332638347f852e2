//! Hello messages (`sentinelSendHello`, `sentinelProcessHelloMessage`): every 2 s each sentinel
//! publishes `<ip>,<port>,<runid>,<current_epoch>,<master>,<master-ip>,<master-port>,<config_epoch>`
//! on `__sentinel__:hello` through every master, replica and sentinel it is connected to. From
//! them sentinels discover each other, adopt higher epochs, and switch to a configuration with a
//! higher config epoch (`+config-update-from`, `+switch-master`): the last failover wins wherever
//! it propagates. The switch itself (`sentinelResetMasterAndChangeAddress`) is here too.

use super::hello_read::{Fields, read};
use super::instance::{FailoverState, Flags, Instance, Kind, Role};
use super::{HELLO_CHANNEL, Sentinel, Slot, mstime};
use crate::observe::Level;
use crate::resp::{Command, Text};
use crate::wire::NodeCtx;

/// The hello this sentinel last built, shared by every link it is sent on until one of the
/// fields that can change does.
pub(crate) struct HelloCache {
    /// (current epoch, config epoch, master port) it was built from.
    key: (u64, u64, u16),
    /// The master host it was built from.
    master_host: String,
    payload: Text,
    channel: Text,
}

impl Sentinel {
    /// `sentinelSendHello` to the instance in `slot`. Only the reply moves `last_pub_time`.
    pub(crate) fn send_hello(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        if self.rt().inst(slot).link.disconnected {
            return;
        }
        let port = self.port;
        let rt = self.rt.as_ref().expect("running");
        let (mhost, mport) = self.current_master_addr(rt);
        let key = (rt.current_epoch, rt.m.ms.config_epoch, mport);
        // The address, id and master name never change while the process runs; the epochs and
        // the master address do, and only then is the text built again.
        let fresh = rt.m.hello.as_ref().is_some_and(|h| h.key == key && h.master_host == mhost);
        if !fresh {
            let ip = match &self.config.announce_ip {
                Some(ip) => ip.as_str(),
                None => self.dir.name(ctx.addr().host),
            };
            let payload = format!(
                "{ip},{port},{},{},{},{mhost},{mport},{}",
                rt.my_id, rt.current_epoch, rt.m.master.name, rt.m.ms.config_epoch
            );
            let master_host = mhost.to_string();
            let channel =
                rt.m.hello.as_ref().map_or_else(|| HELLO_CHANNEL.into(), |h| h.channel.clone());
            self.rt().m.hello =
                Some(HelloCache { key, master_host, payload: payload.into(), channel });
        }
        let hello = self.rt().m.hello.as_ref().expect("built above");
        let cmd =
            Command::Publish { channel: hello.channel.clone(), message: hello.payload.clone() };
        self.send_cmd(ctx, slot, cmd, super::instance::Callback::Publish);
    }

    /// `sentinelForceHelloUpdateForMaster`: make every link due for a hello on the next tick.
    pub(crate) fn force_hello_update(&mut self) {
        let publish = self.config.publish_period_ms as i64;
        let rt = self.rt();
        for s in rt.slots() {
            let inst = rt.inst_mut(s);
            if inst.last_pub_time > publish {
                inst.last_pub_time -= publish + 1;
            }
        }
    }

    /// A hello on a pub/sub link (`sentinelReceiveHelloMessages`): processed unless it contains
    /// this sentinel's own id (`strstr(r->element[2]->str, sentinel.myid)`).
    pub(crate) fn hello_from_link(&mut self, ctx: &mut NodeCtx<'_>, hello: &Text) {
        let rt = self.rt();
        if let Some(r) = rt.seen.read(hello, &rt.my_id) {
            self.process_fields(ctx, r.fields(hello));
        }
    }

    /// `sentinelProcessHelloMessage`.
    pub(crate) fn process_hello(&mut self, ctx: &mut NodeCtx<'_>, hello: &str) {
        if let Some(r) = read(hello, None) {
            self.process_fields(ctx, r.fields(hello));
        }
    }

    /// `sentinelProcessHelloMessage` on a hello's fields.
    fn process_fields(&mut self, ctx: &mut NodeCtx<'_>, f: Fields<'_>) {
        // `sentinelGetMasterByName(token[4])`: the hello is about that master, if monitored.
        if !self.rt().focus(f.master) {
            return;
        }
        let now = mstime(ctx);
        let Fields { ip, port, runid, current_epoch, master_ip, master_port, config_epoch, .. } = f;
        let find =
            |s: &Instance| s.host == ip && s.port == port && s.runid.as_deref() == Some(runid);
        let mut si = self.rt().m.sentinels.iter().position(find);
        if si.is_none() {
            let removed = self.drop_sentinels(ctx, |s| s.runid.as_deref() == Some(runid));
            if removed {
                self.event(
                    ctx,
                    Level::Notice,
                    "+sentinel-address-switch",
                    Some(Slot::Master),
                    &format!("ip {ip} port {port} for {runid}"),
                );
            } else if let Some(other) =
                self.rt().m.sentinels.iter().position(|s| s.host == ip && s.port == port)
            {
                self.event(
                    ctx,
                    Level::Notice,
                    "+sentinel-invalid-addr",
                    Some(Slot::Sentinel(other)),
                    "",
                );
                let obsolete = self.rt().m.sentinels[other].runid.clone();
                self.drop_sentinels(ctx, |s| s.runid == obsolete);
            }
            let rt = self.rt();
            let id = rt.new_id();
            let mut s =
                Instance::new(id, Kind::Sentinel, runid.to_string(), ip.to_string(), port, now);
            s.runid = Some(runid.to_string());
            rt.m.sentinels.push(s);
            rt.flush = true;
            let i = rt.m.sentinels.len() - 1;
            if !removed {
                self.event(ctx, Level::Notice, "+sentinel", Some(Slot::Sentinel(i)), "");
            }
            si = Some(i);
        }
        let rt = self.rt();
        if current_epoch > rt.current_epoch {
            rt.current_epoch = current_epoch;
            rt.flush = true;
            self.event(ctx, Level::Warning, "+new-epoch", None, &current_epoch.to_string());
        }
        let rt = self.rt();
        if let Some(i) = si {
            if rt.m.ms.config_epoch < config_epoch {
                rt.m.ms.config_epoch = config_epoch;
                let same = master_port == rt.m.master.port && master_ip == rt.m.master.host;
                if same && rt.m.master.flags.failover_in_progress {
                    let failover_epoch = rt.m.ms.failover_epoch;
                    ctx.note(crate::observe::Note::Why(crate::observe::Why::StaleFailover {
                        failover_epoch,
                        config_epoch,
                        master: format!("{master_ip}:{master_port}"),
                    }));
                }
                if !same {
                    let (name, old_ip, old_port) =
                        (rt.m.master.name.clone(), rt.m.master.host.clone(), rt.m.master.port);
                    self.event(
                        ctx,
                        Level::Warning,
                        "+config-update-from",
                        Some(Slot::Sentinel(i)),
                        "",
                    );
                    self.event(
                        ctx,
                        Level::Warning,
                        "+switch-master",
                        None,
                        &format!("{name} {old_ip} {old_port} {master_ip} {master_port}"),
                    );
                    self.reset_and_change_address(ctx, master_ip, master_port);
                }
            }
            // The switch keeps sentinel entries, so `i` still names the sender.
            self.rt().m.sentinels[i].last_hello_time = now;
        }
    }

    /// Forgets the sentinel entries matching `which`, closing their connections; true if any.
    fn drop_sentinels(&mut self, ctx: &mut NodeCtx<'_>, which: impl Fn(&Instance) -> bool) -> bool {
        let rt = self.rt();
        let before = rt.m.sentinels.len();
        for s in rt.m.sentinels.iter().filter(|s| which(s)) {
            if let Some(cc) = &s.link.cc {
                ctx.close(cc.id);
            }
        }
        rt.m.sentinels.retain(|s| !which(s));
        rt.m.sentinels.len() != before
    }

    /// `sentinelFailoverSwitchToPromotedSlave`: the leader's switch after `+failover-end`.
    pub(crate) fn switch_to_promoted(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt();
        let (to_host, to_port) = match rt.promoted() {
            Some(p) => (rt.m.replicas[p].host.clone(), rt.m.replicas[p].port),
            None => (rt.m.master.host.clone(), rt.m.master.port),
        };
        let m = &rt.m.master;
        let text = format!("{} {} {} {to_host} {to_port}", m.name, m.host, m.port);
        self.event(ctx, Level::Warning, "+switch-master", None, &text);
        self.reset_and_change_address(ctx, &to_host, to_port);
    }

    /// `sentinelResetMaster`: drop the replica entries (and the sentinel entries unless
    /// `keep_sentinels`), close the master's links, clear its flags (SDOWN/ODOWN vanish without
    /// events), run id, vote and failover state, and restart its link timestamps.
    pub(crate) fn reset_master(&mut self, ctx: &mut NodeCtx<'_>, keep_sentinels: bool) {
        let now = mstime(ctx);
        let rt = self.rt();
        let mut dropped: Vec<&Instance> = rt.m.replicas.iter().collect();
        if !keep_sentinels {
            dropped.extend(rt.m.sentinels.iter());
        }
        for conn in dropped.iter().flat_map(|r| [&r.link.cc, &r.link.pc]).flatten() {
            ctx.close(conn.id);
        }
        rt.m.replicas.clear();
        if !keep_sentinels {
            rt.m.sentinels.clear();
        }
        self.close_link(ctx, Slot::Master, false);
        self.close_link(ctx, Slot::Master, true);
        let rt = self.rt();
        let m = &mut rt.m.master;
        m.flags = Flags::default();
        m.runid = None;
        m.slave_master_host = None;
        m.link.act_ping_time = now;
        m.link.last_ping_time = 0;
        m.link.last_avail_time = now;
        m.link.last_pong_time = now;
        m.role_reported_time = now;
        m.role_reported = Role::Master;
        rt.m.ms.leader = None;
        rt.m.ms.failover_state = FailoverState::None;
        rt.m.ms.failover_state_change_time = 0;
        rt.m.ms.failover_start_time = 0;
        rt.m.ms.promoted = None;
    }

    /// `sentinelResetMasterAndChangeAddress`: remember the replicas (not the new master) and the
    /// old master, reset the master entry keeping the sentinels, move it to the new address, and
    /// re-create the replicas (`+slave` each), old replicas by address, the old master last.
    pub(crate) fn reset_and_change_address(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        host: &str,
        port: u16,
    ) {
        let now = mstime(ctx);
        let rt = self.rt();
        let mut keep: Vec<(String, u16)> =
            rt.m.replicas
                .iter()
                .filter(|r| !(r.host == host && r.port == port))
                .map(|r| (r.host.clone(), r.port))
                .collect();
        keep.sort();
        if !(rt.m.master.host == host && rt.m.master.port == port) {
            keep.push((rt.m.master.host.clone(), rt.m.master.port));
        }
        self.reset_master(ctx, true);
        let rt = self.rt();
        let m = &mut rt.m.master;
        m.host = host.to_string();
        m.port = port;
        m.o_down_since_time = 0;
        m.s_down_since_time = 0;
        for (h, p) in keep {
            let id = rt.new_id();
            rt.m.replicas.push(Instance::new(id, Kind::Replica, format!("{h}:{p}"), h, p, now));
        }
        rt.flush = true;
        for i in 0..self.rt().m.replicas.len() {
            self.event(ctx, Level::Notice, "+slave", Some(Slot::Replica(i)), "");
        }
    }
}
