//! What a sentinel answers (`sentinelCommand`, `sentinelInfoCommand`, `sentinelRoleCommand`,
//! `sentinelPublishCommand`): the SENTINEL subcommands clients and other sentinels use, INFO with
//! the `master0:` line, ROLE, PING, PUBLISH of hellos, SUBSCRIBE and PSUBSCRIBE to event channels.

use super::instance::{Instance, Kind, Role};
use super::masters::MasterEntry;
use super::{HELLO_CHANNEL, Sentinel, Slot, mstime};
use crate::info::{Info, SentinelInfo, SentinelMasterLine};
use crate::observe::Level;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx};
use sim::ConnId;

/// `addReplySentinelRedisInstance`: the field/value map of one entry.
fn instance_map(e: &MasterEntry, inst: &Instance, now: i64) -> Reply {
    let cfg = &e.conf;
    let mut kv: Vec<(String, String)> = vec![
        ("name".into(), inst.name.clone()),
        ("ip".into(), inst.host.clone()),
        ("port".into(), inst.port.to_string()),
        ("runid".into(), inst.runid.clone().unwrap_or_default()),
        ("flags".into(), inst.flags_str()),
        ("link-pending-commands".into(), inst.link.pending_commands.to_string()),
        ("link-refcount".into(), "1".into()),
    ];
    if inst.kind == Kind::Master && inst.flags.failover_in_progress {
        kv.push(("failover-state".into(), e.ms.failover_state.as_str().into()));
    }
    let l = &inst.link;
    kv.push((
        "last-ping-sent".into(),
        if l.act_ping_time != 0 { now - l.act_ping_time } else { 0 }.to_string(),
    ));
    kv.push(("last-ok-ping-reply".into(), (now - l.last_avail_time).to_string()));
    kv.push(("last-ping-reply".into(), (now - l.last_pong_time).to_string()));
    if inst.flags.s_down {
        kv.push(("s-down-time".into(), (now - inst.s_down_since_time).to_string()));
    }
    if inst.flags.o_down {
        kv.push(("o-down-time".into(), (now - inst.o_down_since_time).to_string()));
    }
    kv.push(("down-after-milliseconds".into(), cfg.down_after_ms.to_string()));
    if inst.kind != Kind::Sentinel {
        kv.push((
            "info-refresh".into(),
            if inst.info_refresh != 0 { now - inst.info_refresh } else { 0 }.to_string(),
        ));
        let role = if inst.role_reported == Role::Master { "master" } else { "slave" };
        kv.push(("role-reported".into(), role.into()));
        kv.push(("role-reported-time".into(), (now - inst.role_reported_time).to_string()));
    }
    match inst.kind {
        Kind::Master => {
            kv.push(("config-epoch".into(), e.ms.config_epoch.to_string()));
            kv.push(("num-slaves".into(), e.replicas.len().to_string()));
            kv.push(("num-other-sentinels".into(), e.sentinels.len().to_string()));
            kv.push(("quorum".into(), cfg.quorum.to_string()));
            kv.push(("failover-timeout".into(), cfg.failover_timeout_ms.to_string()));
            kv.push(("parallel-syncs".into(), cfg.parallel_syncs.to_string()));
        }
        Kind::Replica => {
            kv.push(("master-link-down-time".into(), inst.master_link_down_time.to_string()));
            kv.push((
                "master-link-status".into(),
                if inst.slave_master_link_up { "ok" } else { "err" }.into(),
            ));
            kv.push((
                "master-host".into(),
                inst.slave_master_host.clone().unwrap_or_else(|| "?".into()),
            ));
            kv.push(("master-port".into(), inst.slave_master_port.to_string()));
            kv.push(("slave-priority".into(), inst.slave_priority.to_string()));
            kv.push(("slave-repl-offset".into(), inst.slave_repl_offset.to_string()));
            kv.push(("replica-announced".into(), u8::from(inst.replica_announced).to_string()));
        }
        Kind::Sentinel => {
            kv.push(("last-hello-message".into(), (now - inst.last_hello_time).to_string()));
            kv.push(("voted-leader".into(), inst.leader.clone().unwrap_or_else(|| "?".into())));
            kv.push(("voted-leader-epoch".into(), inst.leader_epoch.to_string()));
        }
    }
    Reply::strings(kv.into_iter().flat_map(|(k, v)| [k, v]))
}

impl Sentinel {
    /// A command from a client of this sentinel.
    pub(crate) fn command(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, cmd: Command) {
        let reply = match cmd {
            Command::Ping(None) => Reply::Status("PONG".into()),
            Command::Ping(Some(m)) => Reply::bulk(m),
            Command::Publish { channel, message } => {
                if *channel != *HELLO_CHANNEL {
                    Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.")
                } else {
                    self.process_hello(ctx, &message);
                    Reply::Int(1)
                }
            }
            Command::Subscribe(channels) => return self.subscribe(ctx, conn, channels, false),
            Command::PSubscribe(patterns) => return self.subscribe(ctx, conn, patterns, true),
            Command::Info(_) => Reply::Info(Box::new(self.info(ctx))),
            Command::Role => {
                let names = self.rt().entries().map(|e| e.conf.name.clone());
                Reply::Array(Some(vec![Reply::bulk("sentinel"), Reply::strings(names)]))
            }
            Command::ClientSetName(_) => Reply::Ok,
            Command::Sentinel(sub) => self.sentinel_command(ctx, sub),
            Command::Invalid { error, .. } => Reply::err(error),
            other => {
                let argv = other.argv();
                let args: String = argv[1..].iter().map(|a| format!("'{a}' ")).collect();
                Reply::err(format!(
                    "ERR unknown command '{}', with args beginning with: {args}",
                    argv[0]
                ))
            }
        };
        ctx.send(conn, Msg::Reply(reply));
    }

    /// `INFO` as a sentinel answers it.
    fn info(&mut self, ctx: &NodeCtx<'_>) -> Info {
        let now = mstime(ctx);
        let (port, build) = (self.port, self.build);
        let rt = self.rt();
        let masters = rt
            .entries()
            .map(|e| {
                let m = &e.master;
                let status = if m.flags.o_down {
                    "odown"
                } else if m.flags.s_down {
                    "sdown"
                } else {
                    "ok"
                };
                SentinelMasterLine {
                    name: m.name.clone(),
                    status,
                    address: m.addr(),
                    slaves: e.replicas.len(),
                    sentinels: e.sentinels.len() + 1,
                }
            })
            .collect();
        Info::Sentinel(SentinelInfo {
            build,
            run_id: rt.my_id.clone(),
            tcp_port: port,
            uptime_in_seconds: (ctx.now() - rt.started).as_secs(),
            tilt: rt.tilt,
            tilt_since_seconds: if rt.tilt { (now - rt.tilt_start_time) / 1000 } else { -1 },
            masters,
        })
    }

    fn sentinel_command(&mut self, ctx: &mut NodeCtx<'_>, sub: SentinelCmd) -> Reply {
        let now = mstime(ctx);
        let no_such = || Reply::err("ERR No such master with that name");
        // The subcommands naming a master work on that one (`sentinelGetMasterByName`).
        if let SentinelCmd::Master(n)
        | SentinelCmd::Replicas(n)
        | SentinelCmd::Sentinels(n)
        | SentinelCmd::GetMasterAddrByName(n)
        | SentinelCmd::CkQuorum(n)
        | SentinelCmd::Failover(n)
        | SentinelCmd::Set { name: n, .. } = &sub
        {
            self.rt().focus(n);
        }
        let name = self.rt().m.master.name.clone();
        match sub {
            SentinelCmd::Masters => {
                let rt = self.rt.as_ref().expect("running");
                let all = rt.entries().map(|e| instance_map(e, &e.master, now)).collect();
                Reply::Array(Some(all))
            }
            SentinelCmd::Master(n) if n == name => {
                let rt = self.rt.as_ref().expect("running");
                instance_map(&rt.m, &rt.m.master, now)
            }
            SentinelCmd::Replicas(n) if n == name => {
                let rt = self.rt.as_ref().expect("running");
                Reply::Array(Some(
                    rt.m.replicas
                        .iter()
                        .filter(|r| r.replica_announced)
                        .map(|r| instance_map(&rt.m, r, now))
                        .collect(),
                ))
            }
            SentinelCmd::Sentinels(n) if n == name => {
                let rt = self.rt.as_ref().expect("running");
                Reply::Array(Some(
                    rt.m.sentinels.iter().map(|s| instance_map(&rt.m, s, now)).collect(),
                ))
            }
            SentinelCmd::Master(_) | SentinelCmd::Replicas(_) | SentinelCmd::Sentinels(_) => {
                no_such()
            }
            SentinelCmd::GetMasterAddrByName(n) if n == name => {
                let rt = self.rt.as_ref().expect("running");
                let (h, p) = self.current_master_addr(rt);
                Reply::strings([h.to_string(), p.to_string()])
            }
            SentinelCmd::GetMasterAddrByName(_) => Reply::Array(None),
            SentinelCmd::IsMasterDownByAddr { ip, port, epoch, runid } => {
                let rt = self.rt();
                // `getSentinelRedisInstanceByAddrAndRunID(sentinel.masters, ip, port, NULL)`.
                let known = rt.focus_where(|e| e.master.host == ip && e.master.port == port);
                let down = known && !rt.tilt && rt.m.master.flags.s_down;
                let (leader, leader_epoch) = if known && runid != "*" {
                    self.vote_leader(ctx, epoch, &runid)
                } else {
                    (None, 0)
                };
                Reply::Array(Some(vec![
                    Reply::Int(i64::from(down)),
                    Reply::bulk(leader.unwrap_or_else(|| "*".to_string())),
                    Reply::Int(leader_epoch as i64),
                ]))
            }
            SentinelCmd::CkQuorum(n) if n == name => {
                let quorum = self.mc().quorum as usize;
                let rt = self.rt();
                let usable = 1 + rt
                    .m
                    .sentinels
                    .iter()
                    .filter(|s| !s.flags.s_down && !s.flags.o_down)
                    .count();
                let voters = rt.m.sentinels.len() + 1;
                let no_quorum = usable < quorum;
                let no_auth = usable < voters / 2 + 1;
                if !no_quorum && !no_auth {
                    Reply::Status(format!(
                        "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
                    ))
                } else {
                    let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
                    if no_quorum {
                        e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
                    }
                    if no_auth {
                        if no_quorum {
                            e.push_str(". ");
                        }
                        e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
                    }
                    Reply::err(e)
                }
            }
            SentinelCmd::Failover(n) if n == name => {
                if self.rt().m.master.flags.failover_in_progress {
                    return Reply::err("INPROG Failover already in progress");
                }
                if self.pick_replica(now).0.is_none() {
                    return Reply::err("NOGOODSLAVE No suitable replica to promote");
                }
                self.log(
                    ctx,
                    crate::observe::Level::Warning,
                    format!("Executing user requested FAILOVER of '{name}'"),
                );
                self.start_failover(ctx);
                self.rt().m.master.flags.force_failover = true;
                Reply::Ok
            }
            SentinelCmd::CkQuorum(_) | SentinelCmd::Failover(_) => no_such(),
            SentinelCmd::Reset(pattern) => {
                let mut reset = 0;
                for n in self.rt().names() {
                    if glob(&pattern, &n) {
                        self.rt().focus(&n);
                        self.reset(ctx);
                        reset += 1;
                    }
                }
                Reply::Int(reset)
            }
            SentinelCmd::MyId => Reply::bulk(self.rt().my_id.clone()),
            SentinelCmd::Set { name: n, args } if n == name => self.sentinel_set(ctx, &args),
            SentinelCmd::Set { .. } => no_such(),
            SentinelCmd::FlushConfig => {
                self.rt().flush = true;
                Reply::Ok
            }
        }
    }

    /// `sentinelSetCommand` on the master in hand: each option and value in turn, logged as
    /// `+set`; an error stops the walk with the options before it kept; whatever changed is
    /// written to the config file (`sentinelFlushConfig`), so a restart keeps it.
    fn sentinel_set(&mut self, ctx: &mut NodeCtx<'_>, args: &[String]) -> Reply {
        let mut changes = false;
        let mut j = 0;
        let reply = loop {
            let Some(option) = args.get(j) else { break Reply::Ok };
            let value = args.get(j + 1);
            let lower = option.to_ascii_lowercase();
            let floor = match lower.as_str() {
                "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum" => 1,
                "master-reboot-down-after-period" => 0,
                "notification-script" | "client-reconfig-script" if value.is_some() => {
                    // `sentinel deny-scripts-reconfig yes`, the default.
                    break Reply::err(
                        "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
                    );
                }
                _ => 2,
            };
            let Some(value) = value.filter(|_| floor < 2) else {
                break Reply::err(format!(
                    "ERR Unknown option or number of arguments for SENTINEL SET '{option}'"
                ));
            };
            // `string2ll`: digits with an optional `-`, no `+`, no spaces.
            let fits = !value.starts_with('+') && value.parse::<i64>().is_ok_and(|v| v >= floor);
            if !fits || self.rt().m.conf.set_option(&lower, value).is_err() {
                break Reply::err(format!(
                    "ERR Invalid argument '{value}' for SENTINEL SET '{option}'"
                ));
            }
            changes = true;
            self.event(
                ctx,
                Level::Warning,
                "+set",
                Some(Slot::Master),
                &format!("{option} {value}"),
            );
            j += 2;
        };
        if changes {
            self.rt().flush = true;
        }
        reply
    }

    /// `SENTINEL RESET`: forget the replicas and the other sentinels (re-learned from the
    /// master's INFO and from hellos) and reset the master's state (`sentinelResetMaster`).
    fn reset(&mut self, ctx: &mut NodeCtx<'_>) {
        self.reset_master(ctx, false);
        self.event(ctx, crate::observe::Level::Warning, "+reset-master", Some(Slot::Master), "");
    }
}

/// The event channels and channel patterns a client connection subscribed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscriptions {
    /// `SUBSCRIBE`d channels.
    pub channels: Vec<String>,
    /// `PSUBSCRIBE`d patterns.
    pub patterns: Vec<String>,
}

impl Subscriptions {
    /// True if an event published on `channel` reaches this connection (once, as Redis sends a
    /// `message` or a `pmessage` per match; the model's push carries the channel either way).
    pub fn hears(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c == channel) || self.patterns.iter().any(|p| glob(p, channel))
    }
}

impl Sentinel {
    /// `SUBSCRIBE` (or `PSUBSCRIBE`, `pattern`): one confirmation per channel, with the count.
    fn subscribe(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        names: Vec<String>,
        pattern: bool,
    ) {
        let subs = self.rt().clients.entry(conn).or_default();
        let kind = if pattern { "psubscribe" } else { "subscribe" };
        for name in names {
            let list = if pattern { &mut subs.patterns } else { &mut subs.channels };
            if !list.contains(&name) {
                list.push(name.clone());
            }
            let n = (subs.channels.len() + subs.patterns.len()) as i64;
            let confirm = vec![Reply::bulk(kind), Reply::bulk(name), Reply::Int(n)];
            ctx.send(conn, Msg::Reply(Reply::Array(Some(confirm))));
        }
    }
}

/// Redis's `stringmatch` for the patterns people use with SENTINEL RESET and PSUBSCRIBE: `*`,
/// `?`, `[...]` sets (with ranges) and literals.
fn glob(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(b'['), Some(&c)) => match p.iter().position(|&b| b == b']') {
                Some(end) if end > 1 => set_has(&p[1..end], c) && go(&p[end + 1..], &s[1..]),
                _ => c == b'[' && go(&p[1..], &s[1..]),
            },
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    /// `[abc]`, `[a-z]`, `[^a]`.
    fn set_has(set: &[u8], c: u8) -> bool {
        let (neg, set) = match set.split_first() {
            Some((b'^', rest)) if !rest.is_empty() => (true, rest),
            _ => (false, set),
        };
        let mut i = 0;
        let mut hit = false;
        while i < set.len() {
            if i + 2 < set.len() && set[i + 1] == b'-' {
                let (lo, hi) = (set[i].min(set[i + 2]), set[i].max(set[i + 2]));
                hit |= (lo..=hi).contains(&c);
                i += 3;
            } else {
                hit |= set[i] == c;
                i += 1;
            }
        }
        hit != neg
    }
    go(pattern.as_bytes(), s.as_bytes())
}

#[cfg(test)]
mod glob_tests {
    use super::glob;

    #[test]
    fn patterns_match_as_redis_stringmatch_does() {
        for ch in ["+sdown", "-sdown"] {
            assert!(glob("[-+]sdown", ch), "{ch}");
        }
        assert!(!glob("[-+]sdown", "+odown"));
        assert!(!glob("switch-master", "+switch-master"), "no wildcard: exact");
        assert!(glob("+slave", "+slave") && !glob("+slave", "+slave-reconf-done"));
        assert!(glob("*master", "+switch-master") && glob("mymaste?", "mymaster"));
        assert!(glob("[^a]x", "bx") && !glob("[^a]x", "ax") && glob("[a-c]", "b"));
    }
}
