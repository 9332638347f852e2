//! Validation: a raw TOML scenario checked and turned into a [`Scenario`], every error with the
//! `file:line:col` of the value it is about.

use super::context::{Ctx, inside_string};
use super::*;
use raw::{CountOrKeys, FinalMaster, OneOrMany, StrOrFalse, Value};
use sim::filter::parse_command;
use std::collections::BTreeSet;
use toml::Spanned;

impl Scenario {
    /// Parses and validates a scenario. `path` only labels messages.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let raw: raw::Scenario = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = super::library::unknown_client_key(e.message().trim().replace('\n', " "));
            ScenarioError::at(path, text, offset, message)
        })?;
        let mut cx = Ctx::new(path, text);
        for h in &raw.host {
            if cx.host_id(h.name.get_ref()).is_some() {
                return cx
                    .err(h.name.span(), format!("host `{}` is declared twice", h.name.get_ref()));
            }
            if h.name.get_ref().is_empty() || h.name.get_ref().contains([':', ',', ' ']) {
                return cx.err(
                    h.name.span(),
                    format!(
                        "`{}` is not a usable host name (no `:`, `,` or spaces)",
                        h.name.get_ref()
                    ),
                );
            }
            cx.declare_host(h.name.get_ref());
        }
        let duration = cx.duration(&raw.duration)?;
        if duration == Duration::ZERO {
            return cx.err(raw.duration.span(), "duration must be longer than 0s");
        }
        let net = &raw.network;
        let latency = match &net.latency {
            Some(l) => cx.range(l)?,
            None => "200us..1ms".parse().expect("a valid default"),
        };
        let loopback_latency = match &net.loopback_latency {
            Some(l) => cx.range(l)?,
            None => "20us..50us".parse().expect("a valid default"),
        };
        let loss = match &net.loss {
            Some(p) => cx.probability(p)?,
            None => Probability::NEVER,
        };
        let syn_linear_timeouts = match &net.tcp_syn_linear_timeouts {
            Some(v) if *v.get_ref() > 10 => {
                return cx.err(v.span(), "tcp-syn-linear-timeouts must be at most 10");
            }
            Some(v) => *v.get_ref(),
            None => 4,
        };
        let bandwidth = net.bandwidth.as_ref().map(|b| cx.bandwidth(b)).transpose()?;
        let mut link_bandwidths = Vec::new();
        let mut links = Vec::new();
        for l in &raw.link {
            let ends: Vec<HostId> =
                l.between.get_ref().iter().map(|h| cx.host(h)).collect::<Result<_, _>>()?;
            let [a, b] = ends[..] else {
                return cx.err(l.between.span(), "`between` names exactly two hosts");
            };
            let lat = match &l.latency {
                Some(x) => cx.range(x)?,
                None => latency,
            };
            let lo = match &l.loss {
                Some(p) => cx.probability(p)?,
                None => loss,
            };
            links.push((a, b, lat, lo));
            if let Some(bw) = l.bandwidth.as_ref().map(|b| cx.bandwidth(b)).transpose()? {
                link_bandwidths.push((a, b, bw));
            }
        }
        let server = cx.server(raw.server.as_ref(), ServerBuild::default())?;
        let mut taken: BTreeSet<Addr> = BTreeSet::new();
        let mut redis = Vec::new();
        for p in &raw.redis {
            let addr = cx.listen(p, &mut taken)?;
            let build = cx.server(p.server.as_ref(), server)?;
            let mut config = ServerConfig::defaults(build);
            let mut directives = Vec::new();
            for (k, v) in &p.config {
                cx.directive_known(build, "redis", k)?;
                if let Value::List(_) = v.get_ref() {
                    return cx.err(
                        v.span(),
                        format!("redis directive `{}`: a list of values is accepted by sentinel directives only", k.get_ref()),
                    );
                }
                directives.push((k.get_ref().trim().to_string(), v.get_ref().text()));
                config.set(k.get_ref(), &v.get_ref().text()).or_else(|e| {
                    let span =
                        if e.message.starts_with("not implemented") { k.span() } else { v.span() };
                    cx.err(span, format!("redis directive `{}`: {}", k.get_ref(), e.message))
                })?;
                // Directive names are case-insensitive, in the model as in Redis.
                let name = k.get_ref().trim().to_ascii_lowercase();
                if let (Some((h, _)), true) =
                    (&config.replicaof, matches!(name.as_str(), "replicaof" | "slaveof"))
                {
                    if cx.host_id(h).is_none() {
                        return cx.err(
                            v.span(),
                            format!(
                                "unknown host `{h}` in replicaof (declared hosts: {})",
                                cx.declared()
                            ),
                        );
                    }
                }
            }
            let start = cx.start(p.start.as_ref(), REDIS_START, duration)?;
            let dataset = p.dataset.as_ref().map(|d| cx.dataset(d)).transpose()?;
            if let (Some(d), true) = (&p.dataset, config.appendonly) {
                return cx.err(
                    d.span(),
                    "`dataset` with `appendonly yes` is not modelled (the append-only file would not hold the preloaded keys): drop one of them",
                );
            }
            redis.push(RedisSpec { addr, server: build, config, directives, start, dataset });
        }
        let mut sentinels = Vec::new();
        for p in &raw.sentinel {
            let addr = cx.listen(p, &mut taken)?;
            let build = cx.server(p.server.as_ref(), server)?;
            if let Some(d) = &p.dataset {
                return cx
                    .err(d.span(), "a sentinel holds no dataset: `dataset` is for a [[redis]]");
            }
            let mut config = SentinelConfig::empty();
            // `sentinel monitor` first, so per-master directives can check the name.
            let mut entries: Vec<_> = p.config.iter().collect();
            let monitor = |k: &str| k.trim().to_ascii_lowercase().ends_with("monitor");
            entries.sort_by_key(|(k, _)| !monitor(k.get_ref()));
            let directives: Vec<(String, String)> = entries
                .iter()
                .flat_map(|(k, v)| {
                    let k = k.get_ref().trim().to_string();
                    v.get_ref().lines().into_iter().map(move |line| (k.clone(), line))
                })
                .collect();
            for (k, v) in entries {
                cx.directive_known(build, "sentinel", k)?;
                config.set(k.get_ref(), &v.get_ref().text()).or_else(|e| {
                    let span =
                        if e.message.starts_with("not implemented") { k.span() } else { v.span() };
                    cx.err(span, format!("sentinel directive `{}`: {}", k.get_ref(), e.message))
                })?;
                for m in config.masters.iter().filter(|_| monitor(k.get_ref())) {
                    let monitored = Spanned::new(v.span(), format!("{}:{}", m.host, m.port));
                    let a = cx.addr(&monitored)?;
                    if !redis.iter().any(|r| r.addr == a) {
                        return cx.err(
                            v.span(),
                            format!(
                                "`{}` monitors {}, which is no [[redis]] of this scenario",
                                p.host.get_ref(),
                                monitored.get_ref()
                            ),
                        );
                    }
                }
            }
            if !config.has_master() {
                return cx.err(
                    p.host.span(),
                    "this sentinel has no `sentinel monitor` directive in its config",
                );
            }
            let start = cx.start(p.start.as_ref(), SENTINEL_START, duration)?;
            sentinels.push(SentinelSpec { addr, server: build, config, directives, start });
        }
        let find = |a: Addr| -> Option<ProcRef> {
            redis
                .iter()
                .position(|r| r.addr == a)
                .map(ProcRef::Redis)
                .or_else(|| sentinels.iter().position(|s| s.addr == a).map(ProcRef::Sentinel))
        };
        let process = |s: &Spanned<String>| -> Result<ProcRef, ScenarioError> {
            let a = cx.addr(s)?;
            find(a).map_or_else(
                || cx.err(s.span(), format!("no redis or sentinel listens on `{}`", s.get_ref())),
                Ok,
            )
        };
        let sentinel_index = |s: &Spanned<String>| -> Result<usize, ScenarioError> {
            match process(s)? {
                ProcRef::Sentinel(i) => Ok(i),
                ProcRef::Redis(_) => {
                    cx.err(s.span(), format!("`{}` is a redis, not a sentinel", s.get_ref()))
                }
            }
        };
        let mut clients: Vec<ClientSpec> = Vec::new();
        let mut client_names = BTreeSet::new();
        for c in &raw.client {
            if !client_names.insert(c.name.get_ref().as_str()) || c.name.get_ref().is_empty() {
                return cx.err(
                    c.name.span(),
                    format!("client name `{}` is empty or used twice", c.name.get_ref()),
                );
            }
            let host = cx.host(&c.host)?;
            let mode = match (&c.sentinels, &c.service, &c.connect) {
                (Some(list), Some(service), None) => {
                    let sentinels = list
                        .iter()
                        .map(|s| {
                            sentinel_index(s)?;
                            cx.addr(s)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if sentinels.is_empty() {
                        return cx.err(c.name.span(), "`sentinels` is empty");
                    }
                    let replica = match c.role.as_ref().map(|r| r.get_ref().as_str()) {
                        None | Some("master") => false,
                        Some("replica") | Some("slave") => true,
                        Some(other) => {
                            let r = c.role.as_ref().expect("matched");
                            return cx.err(
                                r.span(),
                                format!("role `{other}`: expected \"master\" or \"replica\""),
                            );
                        }
                    };
                    ClientMode::Sentinel { sentinels, service: service.get_ref().clone(), replica }
                }
                (None, None, Some(addr)) => ClientMode::Plain(cx.addr(addr)?),
                _ => {
                    return cx.err(
                        c.name.span(),
                        "a client has either `sentinels` and `service`, or `connect`",
                    );
                }
            };
            let socket_timeout = match &c.socket_timeout {
                Some(t) => cx.duration(t)?,
                None => Duration::from_millis(100),
            };
            let workload = match &c.workload {
                Some(w) => {
                    let (start, stop) = cx.workload_window(w.get_ref(), duration)?;
                    let wl = w.get_ref();
                    if wl.writes_per_sec.unwrap_or(0) + wl.reads_per_sec.unwrap_or(0) > 1_000_000 {
                        return cx.err(w.span(), "at most 1,000,000 operations per second");
                    }
                    Some(Workload {
                        writes_per_sec: wl.writes_per_sec.unwrap_or(0),
                        reads_per_sec: wl.reads_per_sec.unwrap_or(0),
                        start,
                        stop,
                    })
                }
                None => None,
            };
            let library = cx.library(c)?;
            clients.push(ClientSpec {
                name: c.name.get_ref().clone(),
                host,
                mode,
                socket_timeout,
                library,
                workload,
            });
        }
        let mut events = Vec::new();
        for ev in &raw.event {
            let line = ScenarioError::span(path, text, ev.span(), "").line;
            let e = ev.get_ref();
            let at = Instant::ZERO + cx.duration(&e.at)?;
            if at > Instant::ZERO + duration {
                return cx.err(
                    e.at.span(),
                    format!(
                        "`at = \"{}\"` is after the end of the run ({})",
                        e.at.get_ref(),
                        duration
                    ),
                );
            }
            let actions = [
                e.kill.is_some(),
                e.restart.is_some(),
                e.pause.is_some(),
                e.crash.is_some(),
                e.iptables.is_some(),
                e.partition.is_some(),
                e.heal.is_some(),
                e.clock_jump.is_some(),
                e.latency.is_some(),
                e.command.is_some(),
                e.sentinel_failover.is_some(),
            ];
            match actions.iter().filter(|a| **a).count() {
                1 => {}
                0 => return cx.err(ev.span(), "this event has no action (kill, restart, pause, crash, iptables, partition, heal, clock-jump, latency, command or sentinel-failover)"),
                _ => return cx.err(ev.span(), "this event has more than one action: write one [[event]] per action"),
            }
            let unexpected = |key: &str, present: bool| -> Result<(), ScenarioError> {
                if present {
                    cx.err(ev.span(), format!("`{key}` does not belong to this kind of event"))
                } else {
                    Ok(())
                }
            };
            let action = if let Some(p) = &e.kill {
                Action::Kill(process(p)?)
            } else if let Some(p) = &e.restart {
                Action::Restart(process(p)?)
            } else if let Some(p) = &e.pause {
                let Some(f) = &e.for_ else {
                    return cx.err(p.span(), "`pause` needs `for = \"<time>\"`");
                };
                let length = cx.duration(f)?;
                // The resume is a timeline moment too: like an event, not after the end.
                if at + length > Instant::ZERO + duration {
                    return cx.err(
                        f.span(),
                        format!(
                            "`for = \"{}\"` resumes the process at {}, after the end of the run ({duration})",
                            f.get_ref(),
                            at + length
                        ),
                    );
                }
                Action::Pause(process(p)?, length)
            } else if let Some(h) = &e.crash {
                let restart_after = match &e.restart_after {
                    Some(r) => {
                        let d = cx.duration(r)?;
                        if at + d > Instant::ZERO + duration {
                            return cx.err(
                                r.span(),
                                format!(
                                    "`restart-after = \"{}\"` powers the host on at {}, after the end of the run ({duration})",
                                    r.get_ref(),
                                    at + d
                                ),
                            );
                        }
                        Some(d)
                    }
                    None => None,
                };
                Action::Crash { host: cx.host(h)?, restart_after }
            } else if let Some(rule) = &e.iptables {
                let Some(on) = &e.on else {
                    return cx.err(rule.span(), "`iptables` needs `on = \"<host>\"`");
                };
                let host = cx.host(on)?;
                let resolve = |n: &str| cx.host_id(n);
                let cmd = parse_command(rule.get_ref(), &resolve).map_err(|fe| {
                    let at = inside_string(&rule.span(), fe.offset);
                    let token = if fe.token.is_empty() {
                        String::new()
                    } else {
                        format!(" `{}`", fe.token)
                    };
                    ScenarioError::at(path, text, at, format!("iptables: {}{token}", fe.message))
                })?;
                Action::Iptables { host, cmd }
            } else if let Some(groups) = &e.partition {
                let mut seen = BTreeSet::new();
                let mut gs = Vec::new();
                for g in groups.get_ref() {
                    let mut hs = Vec::new();
                    for h in g {
                        let id = cx.host(h)?;
                        if !seen.insert(id) {
                            return cx
                                .err(h.span(), format!("host `{}` is in two groups", h.get_ref()));
                        }
                        hs.push(id);
                    }
                    gs.push(hs);
                }
                if gs.len() < 2 {
                    return cx.err(groups.span(), "a partition needs at least two groups");
                }
                Action::Partition { groups: gs, oneway: e.oneway.unwrap_or(false) }
            } else if let Some(h) = &e.heal {
                if !h.get_ref() {
                    return cx.err(h.span(), "`heal = false` does nothing: remove the event");
                }
                Action::Heal
            } else if let Some(p) = &e.clock_jump {
                let Some(by) = &e.by else {
                    return cx.err(p.span(), "`clock-jump` needs `by = \"<time>\"`");
                };
                let (neg, mag) = match by.get_ref().strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, by.get_ref().as_str()),
                };
                let d = cx.duration(&Spanned::new(by.span(), mag.to_string()))?;
                let us = d.as_micros() as i64;
                Action::ClockJump(process(p)?, if neg { -us } else { us })
            } else if let Some(r) = &e.latency {
                let Some(between) = &e.between else {
                    return cx.err(r.span(), "`latency` needs `between = [\"h1\", \"h2\"]`");
                };
                let ends: Vec<HostId> =
                    between.get_ref().iter().map(|h| cx.host(h)).collect::<Result<_, _>>()?;
                let [a, b] = ends[..] else {
                    return cx.err(between.span(), "`between` names exactly two hosts");
                };
                Action::Latency { a, b, range: cx.range(r)? }
            } else if let Some(argv) = &e.command {
                if argv.get_ref().is_empty() {
                    return cx.err(argv.span(), "`command` is empty");
                }
                let Some(on) = &e.on else {
                    return cx.err(
                        argv.span(),
                        "`command` needs `on = \"<host:port>\"` (or \"master\")",
                    );
                };
                let is_master = on.get_ref() == "master" || on.get_ref().starts_with("master@");
                if let Some(names) = several_masters(&sentinels).filter(|_| is_master) {
                    return cx.err(
                        on.span(),
                        format!(
                            "`on = \"{}\"` is ambiguous: the sentinels monitor several masters \
                             ({names}); name the server (`on = \"<host:port>\"`)",
                            on.get_ref()
                        ),
                    );
                }
                let target = if on.get_ref() == "master" {
                    if sentinels.is_empty() {
                        return cx.err(
                            on.span(),
                            "`on = \"master\"` asks a sentinel, and this scenario has none",
                        );
                    }
                    CommandTarget::Master { ask: None }
                } else if let Some(s) = on.get_ref().strip_prefix("master@") {
                    CommandTarget::Master {
                        ask: Some(sentinel_index(&Spanned::new(on.span(), s.to_string()))?),
                    }
                } else {
                    CommandTarget::Node(process(on)?)
                };
                let from = match &e.from {
                    Some(f) => cx.host(f)?,
                    None => match &target {
                        CommandTarget::Node(ProcRef::Redis(i)) => redis[*i].addr.host,
                        CommandTarget::Node(ProcRef::Sentinel(i)) => sentinels[*i].addr.host,
                        CommandTarget::Master { .. } => {
                            return cx.err(on.span(), "`on = \"master\"` needs `from = \"<host>\"`: the host redis-cli runs on");
                        }
                    },
                };
                let to_sentinel = matches!(target, CommandTarget::Node(ProcRef::Sentinel(_)));
                if let Some(what) =
                    unmodelled_sentinel_command(argv.get_ref()).filter(|_| to_sentinel)
                {
                    return cx
                        .err(argv.span(), format!("`{what}` is not modelled: {}", UNMODELLED_WHY));
                }
                Action::Command { argv: argv.get_ref().clone(), on: target, from }
            } else if let Some(s) = &e.sentinel_failover {
                let i = sentinel_index(s)?;
                if sentinels[i].config.masters.len() > 1 {
                    let names: Vec<&str> =
                        sentinels[i].config.masters.iter().map(|m| m.name.as_str()).collect();
                    return cx.err(
                        s.span(),
                        format!(
                            "`sentinel-failover`: `{}` monitors several masters ({}); send \
                             `command = [\"SENTINEL\", \"FAILOVER\", \"<name>\"]` with `on = \"{}\"`",
                            s.get_ref(),
                            names.join(", "),
                            s.get_ref()
                        ),
                    );
                }
                Action::SentinelFailover(i)
            } else {
                unreachable!("exactly one action was found above")
            };
            unexpected("for", e.for_.is_some() && e.pause.is_none())?;
            unexpected("on", e.on.is_some() && e.iptables.is_none() && e.command.is_none())?;
            unexpected("oneway", e.oneway.is_some() && e.partition.is_none())?;
            unexpected("by", e.by.is_some() && e.clock_jump.is_none())?;
            unexpected("between", e.between.is_some() && e.latency.is_none())?;
            unexpected("from", e.from.is_some() && e.command.is_none())?;
            unexpected("restart-after", e.restart_after.is_some() && e.crash.is_none())?;
            events.push(Timed { at, action, line });
        }
        events.sort_by_key(|t| t.at);
        let expect = Self::expect(&cx, raw.expect.as_ref(), &redis, &sentinels)?;
        let processes_of: Vec<(ProcRef, String, HostId)> = (redis.iter().map(|r| r.addr))
            .enumerate()
            .map(|(i, a)| (ProcRef::Redis(i), a))
            .chain(sentinels.iter().enumerate().map(|(i, s)| (ProcRef::Sentinel(i), s.addr)))
            .map(|(p, a)| (p, format!("{}:{}", cx.hosts[a.host.0 as usize], a.port), a.host))
            .collect();
        let explore =
            raw.explore.as_ref().map(|e| cx.explore(e, &processes_of, duration)).transpose()?;
        Ok(Scenario {
            path: path.to_string(),
            source: text.to_string(),
            name: raw.name.unwrap_or_else(|| {
                std::path::Path::new(path)
                    .file_stem()
                    .map_or("scenario".into(), |s| s.to_string_lossy().into_owned())
            }),
            description: raw.description.unwrap_or_default(),
            field_report: raw.field_report.unwrap_or(false),
            seed: raw.seed.unwrap_or(1),
            duration,
            latency,
            loss,
            loopback_latency,
            syn_linear_timeouts,
            hosts: cx.hosts,
            links,
            bandwidth,
            link_bandwidths,
            redis,
            sentinels,
            clients,
            events,
            expect,
            explore,
            schedule: Vec::new(),
        })
    }

    fn expect(
        cx: &Ctx<'_>,
        e: Option<&raw::Expect>,
        redis: &[RedisSpec],
        sentinels: &[SentinelSpec],
    ) -> Result<Expect, ScenarioError> {
        let Some(e) = e else { return Ok(Expect::default()) };
        let redis_name = |s: &Spanned<String>| -> Result<String, ScenarioError> {
            let a = cx.addr(s)?;
            if !redis.iter().any(|r| r.addr == a) {
                return cx.err(s.span(), format!("no redis listens on `{}`", s.get_ref()));
            }
            Ok(s.get_ref().clone())
        };
        let known_event = |s: &Spanned<String>| -> Result<String, ScenarioError> {
            if !model::sentinel::EVENTS.contains(&s.get_ref().as_str()) {
                return cx.err(
                    s.span(),
                    format!(
                        "`{}` is not a Sentinel 7.0 event (known: {})",
                        s.get_ref(),
                        model::sentinel::EVENTS.join(", ")
                    ),
                );
            }
            Ok(s.get_ref().clone())
        };
        let nodes = |span: std::ops::Range<usize>,
                     any: &OneOrMany|
         -> Result<Vec<String>, ScenarioError> {
            let names: Vec<&String> = match any {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v.iter().collect(),
            };
            names.into_iter().map(|s| redis_name(&Spanned::new(span.clone(), s.clone()))).collect()
        };
        Ok(Expect {
            promotions: e.promotions,
            promoted: e
                .promoted
                .as_ref()
                .map(|v| v.iter().map(redis_name).collect())
                .transpose()?,
            final_master: match e.final_master.as_ref().map(|fm| (fm, fm.get_ref())) {
                Some((fm, FinalMaster::Any(_))) if several_masters(sentinels).is_some() => {
                    let names = several_masters(sentinels).unwrap_or_default();
                    return cx.err(
                        fm.span(),
                        format!(
                            "final-master: the sentinels monitor several masters ({names}): \
                             name each, as a table (`final-master = {{ <name> = \"<host:port>\" }}`)"
                        ),
                    );
                }
                Some((fm, FinalMaster::Any(any))) => Some(nodes(fm.span(), any)?),
                _ => None,
            },
            final_master_of: match e.final_master.as_ref().map(|fm| (fm, fm.get_ref())) {
                Some((fm, FinalMaster::ByMaster(by))) => by
                    .iter()
                    .map(|(name, any)| {
                        if !sentinels.iter().any(|s| s.config.master_named(name).is_some()) {
                            return cx.err(
                                fm.span(),
                                format!(
                                    "final-master: `{name}` is no master the sentinels monitor"
                                ),
                            );
                        }
                        Ok((name.clone(), nodes(fm.span(), any)?))
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            },
            final_roles: match &e.final_roles {
                None => Vec::new(),
                Some(m) => m
                    .iter()
                    .map(|(k, v)| {
                        let role = match v.get_ref().as_str() {
                            "master" => Role::Master,
                            "replica" | "slave" => Role::Replica,
                            "down" => Role::Down,
                            other => {
                                return cx.err(
                                    v.span(),
                                    format!("role `{other}`: expected master, replica or down"),
                                );
                            }
                        };
                        Ok((redis_name(k)?, role))
                    })
                    .collect::<Result<_, _>>()?,
            },
            lost_writes: e.lost_writes.as_ref().map(|l| match l {
                CountOrKeys::Count(n) => LostWrites::Count(*n),
                CountOrKeys::Keys(k) => LostWrites::Keys(k.clone()),
            }),
            lost_keys_include: e.lost_keys_include.clone().unwrap_or_default(),
            events: e.events.iter().flatten().map(known_event).collect::<Result<_, _>>()?,
            no_events: e.no_events.iter().flatten().map(known_event).collect::<Result<_, _>>()?,
            events_on: match &e.events_on {
                None => Vec::new(),
                Some(m) => m
                    .iter()
                    .map(|(k, v)| {
                        let a = cx.addr(k)?;
                        if !sentinels.iter().any(|s| s.addr == a) {
                            return cx.err(
                                k.span(),
                                format!("no sentinel listens on `{}`", k.get_ref()),
                            );
                        }
                        Ok((
                            k.get_ref().clone(),
                            v.iter().map(known_event).collect::<Result<_, _>>()?,
                        ))
                    })
                    .collect::<Result<_, ScenarioError>>()?,
            },
            get: e
                .get
                .iter()
                .flatten()
                .map(|g| {
                    if let Some(names) =
                        several_masters(sentinels).filter(|_| g.on.get_ref() == "master")
                    {
                        return cx.err(
                            g.on.span(),
                            format!(
                                "`on = \"master\"` is ambiguous: the sentinels monitor several \
                                 masters ({names}); name the server (`on = \"<host:port>\"`)"
                            ),
                        );
                    }
                    Ok(GetExpect {
                        on: if g.on.get_ref() == "master" {
                            None
                        } else {
                            Some(redis_name(&g.on)?)
                        },
                        key: g.key.clone(),
                        value: match &g.value {
                            StrOrFalse::Str(s) => Some(s.clone()),
                            StrOrFalse::Bool(false) => None,
                            StrOrFalse::Bool(true) => {
                                return cx.err(
                                    g.on.span(),
                                    "`value = true` is not a value: use a string, or false for nil",
                                );
                            }
                        },
                    })
                })
                .collect::<Result<_, ScenarioError>>()?,
            invariants: match &e.invariants {
                Some(list) => cx.invariants(list)?,
                None => Vec::new(),
            },
            violates: match &e.violates {
                Some(list) => cx.invariants(list)?,
                None => Vec::new(),
            },
        })
    }
}

/// With several monitored masters, their names joined for a message; `None` with one. A step
/// meaning "the master" is ambiguous then.
fn several_masters(sentinels: &[SentinelSpec]) -> Option<String> {
    let names: Vec<&str> = super::monitored(sentinels).collect();
    (names.len() > 1).then(|| names.join(", "))
}

/// Why [`unmodelled_sentinel_command`] refuses a command, and what the model does take.
const UNMODELLED_WHY: &str = "the model's sentinels take SENTINEL MASTERS, MASTER, REPLICAS, \
     SENTINELS, GET-MASTER-ADDR-BY-NAME, CKQUORUM, FAILOVER, RESET, MYID, FLUSHCONFIG and SET \
     (down-after-milliseconds, failover-timeout, parallel-syncs, quorum, \
     master-reboot-down-after-period, and the script paths, which Sentinel denies by default); \
     they have no AUTH and no renamed commands";

/// The Sentinel command a `command` event sends that real Sentinel would carry out and the
/// model would not (it would answer as if unknown): `SENTINEL MONITOR`, `SENTINEL SET auth-pass`.
fn unmodelled_sentinel_command(argv: &[String]) -> Option<String> {
    let word = |i: usize| argv.get(i).map(|a| a.to_ascii_uppercase());
    if word(0).as_deref() != Some("SENTINEL") {
        return None;
    }
    let sub = word(1)?;
    match sub.as_str() {
        "MONITOR"
        | "REMOVE"
        | "CONFIG"
        | "SIMULATE-FAILURE"
        | "DEBUG"
        | "INFO-CACHE"
        | "PENDING-SCRIPTS"
        | "IS-MASTER-DOWN-BY-ADDR" => Some(format!("SENTINEL {sub}")),
        "SET" => argv
            .iter()
            .skip(3)
            .step_by(2)
            .map(|o| o.to_ascii_lowercase())
            .find(|o| matches!(o.as_str(), "auth-pass" | "auth-user" | "rename-command"))
            .map(|o| format!("SENTINEL SET {o}")),
        _ => None,
    }
}
