//! `redsim explain`: the story of a run for a person learning Sentinel, in the order things
//! happened, with the numbers that made each step happen, what each client saw, what was lost and
//! why, and the field report's two questions answered for this run.

use crate::record::{Entry, Record};
use crate::scenario::{Action, ClientMode, CommandTarget, ProcRef, Scenario};
use crate::text::secs;
use model::observe::ReplNote;
use model::observe::{Level, Note};
use model::observe::{Op, OpRecord, OpResult};
use std::collections::BTreeMap;
use std::fmt::Write;

mod answers;
mod go_redis;
mod ioredis;
mod jedis;
mod lettuce;
mod library;
mod node_redis;
mod redis_rs;
mod redisson;
mod retries;
mod stackexchange;
mod stops;
mod why;
use why::{noisy, reason, sentinel_ids};

pub(super) fn t(us: u64) -> String {
    secs(us / 1000)
}

fn at(e: &Entry) -> String {
    t(e.at.as_micros())
}

/// The text of one scenario action.
fn action(s: &Scenario, a: &Action) -> String {
    let host = |h: sim::HostId| s.hosts[h.0 as usize].clone();
    match a {
        Action::Kill(p) => format!("{} is killed (SIGKILL)", s.name_of(*p)),
        Action::Restart(p) => format!("{} is started again", s.name_of(*p)),
        Action::Pause(p, d) => format!("{} is stopped (SIGSTOP) for {d}", s.name_of(*p)),
        Action::Crash { host: h, restart_after } => {
            let back =
                restart_after.map_or(String::new(), |d| format!("; it boots again after {d}"));
            format!(
                "the host {} loses power: every process on it dies at once, with no FIN and no RST, so peers hear silence, not refusals; only what was fsynced survives{back}",
                host(*h)
            )
        }
        Action::ClockJump(p, us) => {
            format!("the wall clock of {} jumps by {} ms", s.name_of(*p), us / 1000)
        }
        Action::Iptables { host: h, cmd } => format!("on {}: iptables {cmd}", host(*h)),
        Action::Partition { groups, oneway } => {
            let g: Vec<String> = groups
                .iter()
                .map(|g| g.iter().map(|&h| host(h)).collect::<Vec<_>>().join(", "))
                .collect();
            if *oneway {
                format!(
                    "one-way partition: traffic from [{}] to [{}] is dropped",
                    g[0],
                    g[1..].join("] and [")
                )
            } else {
                format!("partition: [{}] can no longer talk to each other", g.join("] / ["))
            }
        }
        Action::Heal => "every iptables rule is removed: the network heals".to_string(),
        Action::Latency { a, b, range } => {
            format!("the latency between {} and {} becomes {range}", host(*a), host(*b))
        }
        Action::Command { argv, on, from } => {
            let target = match on {
                CommandTarget::Node(p) => s.name_of(*p),
                CommandTarget::Master { ask: None } => "the master a sentinel names".to_string(),
                CommandTarget::Master { ask: Some(i) } => {
                    format!("the master {} names", s.name_of(ProcRef::Sentinel(*i)))
                }
            };
            format!("redis-cli on {}: {} to {target}", host(*from), argv.join(" "))
        }
        Action::SentinelFailover(i) => {
            format!("SENTINEL FAILOVER sent to {}", s.name_of(ProcRef::Sentinel(*i)))
        }
    }
}

fn deployment(r: &Record, out: &mut String) {
    let s = &r.scenario;
    for spec in &s.redis {
        let name = format!("{}:{}", s.hosts[spec.addr.host.0 as usize], spec.addr.port);
        let c = &spec.config;
        let mut notes = Vec::new();
        match &c.replicaof {
            Some((h, p)) => notes.push(format!("replicates from {h}:{p}")),
            None => notes.push("master".to_string()),
        }
        if c.replica_priority != 100 {
            notes.push(format!("replica-priority {}", c.replica_priority));
        }
        if c.min_replicas_to_write > 0 {
            notes.push(format!(
                "min-replicas-to-write {} / min-replicas-max-lag {}",
                c.min_replicas_to_write, c.min_replicas_max_lag
            ));
        }
        if c.no_persistence() {
            notes.push("no persistence".to_string());
        } else if c.appendonly {
            notes.push("appendonly yes".to_string());
        }
        let _ = writeln!(out, "  Redis {name}: {}", notes.join(", "));
    }
    if let Some(first) = s.sentinels.first() {
        let names: Vec<String> = s
            .sentinels
            .iter()
            .map(|x| format!("{}:{}", s.hosts[x.addr.host.0 as usize], x.addr.port))
            .collect();
        for c in &first.config.masters {
            let _ = writeln!(
                out,
                "  Sentinels {} watch {} at {}:{}: quorum {}, down-after-milliseconds {}, failover-timeout {}.",
                names.join(", "),
                c.name,
                c.host,
                c.port,
                c.quorum,
                c.down_after_ms,
                c.failover_timeout_ms
            );
            let n = s.sentinels.len();
            let _ = writeln!(
                out,
                "  A failover needs {} sentinels to agree the master is down (the quorum) and a leader elected by {} of the {n} (a majority, at least the quorum).",
                c.quorum,
                (n / 2 + 1).max(c.quorum as usize)
            );
            runtime_changes(r, &c.name, out);
        }
    }
    for c in &s.clients {
        let how = match &c.mode {
            ClientMode::Sentinel { sentinels, service, replica } => {
                let list: Vec<String> = sentinels
                    .iter()
                    .map(|a| format!("{}:{}", s.hosts[a.host.0 as usize], a.port))
                    .collect();
                match &c.library {
                    model::client::Library::Ioredis(_) => format!(
                        "an ioredis Sentinel client (role {}) asking [{}] for {service}",
                        if *replica { "slave" } else { "master" },
                        list.join(", ")
                    ),
                    model::client::Library::NodeRedis(_) => format!(
                        "a node-redis createSentinel client asking [{}] for {service}",
                        list.join(", ")
                    ),
                    model::client::Library::RedisRs(_) => format!(
                        "a redis-rs SentinelClient ({}) asking [{}] for {service}",
                        if *replica { "Replica" } else { "Master" },
                        list.join(", ")
                    ),
                    model::client::Library::Jedis(_) => {
                        let names: Vec<(&str, u16)> = sentinels
                            .iter()
                            .map(|a| (s.hosts[a.host.0 as usize].as_str(), a.port))
                            .collect();
                        let order = model::client::jedis::order::hash_set_order(&names);
                        let walked: Vec<&str> = order.iter().map(|&i| list[i].as_str()).collect();
                        format!(
                            "a Jedis client (JedisSentineled) of [{}] for {service}, which its HashSet walks as [{}]",
                            list.join(", "),
                            walked.join(", ")
                        )
                    }
                    model::client::Library::GoRedis(_) => format!(
                        "a go-redis NewFailoverClient asking [{}] for {service}",
                        list.join(", ")
                    ),
                    model::client::Library::Lettuce(_) => format!(
                        "a Lettuce RedisClient.connect of a sentinel RedisURI asking [{}] for {service}",
                        list.join(", ")
                    ),
                    model::client::Library::Redisson(_) => format!(
                        "a Redisson client (useSentinelServers) of [{}] for {service}, which polls them in shuffled order",
                        list.join(", ")
                    ),
                    model::client::Library::StackExchange(_) => format!(
                        "a StackExchange.Redis ConnectionMultiplexer (serviceName={service}) of [{}]",
                        list.join(", ")
                    ),
                    model::client::Library::RedisPy(_) => format!(
                        "a redis-py Sentinel client ({}) asking [{}] for {service}",
                        if *replica { "slave_for" } else { "master_for" },
                        list.join(", ")
                    ),
                }
            }
            ClientMode::Plain(a) => {
                format!("a client of {}:{}", s.hosts[a.host.0 as usize], a.port)
            }
        };
        let work = c.workload.map_or(String::new(), |w| {
            format!(
                ", {} writes/s and {} reads/s from {}",
                w.writes_per_sec, w.reads_per_sec, w.start
            )
        });
        let timeout = match &c.library {
            model::client::Library::Ioredis(_)
            | model::client::Library::NodeRedis(_)
            | model::client::Library::RedisRs(_)
            | model::client::Library::Jedis(_)
            | model::client::Library::GoRedis(_)
            | model::client::Library::Lettuce(_)
            | model::client::Library::Redisson(_)
            | model::client::Library::StackExchange(_) => String::new(),
            model::client::Library::RedisPy(_) => format!(", socket-timeout {}", c.socket_timeout),
        };
        let _ = writeln!(
            out,
            "  Client {} on {}: {how}{timeout}{work}.",
            c.name, s.hosts[c.host.0 as usize]
        );
        if retries::libraries_matter(s) {
            let _ = writeln!(out, "    {}.", retries::rules(c));
        }
    }
}

/// The settings of master `name` that `SENTINEL SET` changed during the run (its `+set`
/// events), each with when (the first of a round within a second) and on which sentinels: what the paragraph above no longer says.
fn runtime_changes(r: &Record, name: &str, out: &mut String) {
    let mut changes: Vec<(u64, &str, Vec<&str>)> = Vec::new();
    for e in &r.entries {
        let Note::Log { event: Some(ev), text, .. } = &e.note else { continue };
        let mut words = text.splitn(5, ' ');
        let (Some("master"), Some(master)) = (words.next(), words.next()) else { continue };
        let Some(setting) = words.nth(2).filter(|_| ev == "+set" && master == name) else {
            continue;
        };
        let at = e.at.as_micros();
        // One operator's round of SENTINEL SET: the same setting within a second.
        match changes.iter_mut().find(|(t, s, _)| at - *t < 1_000_000 && *s == setting) {
            Some(c) => c.2.push(r.name(e.pid)),
            None => changes.push((at, setting, vec![r.name(e.pid)])),
        }
    }
    for (at, setting, sentinels) in changes {
        let _ = writeln!(
            out,
            "  At {} SENTINEL SET made it {setting} on {}.",
            t(at),
            sentinels.join(", ")
        );
    }
}

/// True for a process's first start: the deployment coming up, not part of the story.
fn first_start(r: &Record, e: &Entry) -> bool {
    let started =
        |x: &&Entry| x.pid == e.pid && matches!(x.note, Note::Repl(ReplNote::Started { .. }));
    r.entries.iter().find(started).is_some_and(|first| first.at == e.at)
}

fn repl_line(r: &Record, e: &Entry, n: &ReplNote) -> Option<String> {
    let who = r.name(e.pid);
    Some(match n {
        ReplNote::Started { keys, master, loaded_from, .. } if !first_start(r, e) => {
            let role = master
                .as_ref()
                .map_or("as a master".to_string(), |m| format!("as a replica of {m}"));
            format!(
                "{who} starts {role} with {keys} keys (loaded from {loaded_from}) and a new replication id"
            )
        }
        ReplNote::Promoted { replid2, second_offset, .. } => format!(
            "{who} is a master now: master_replid2 = the old id {}..., valid up to second_repl_offset {second_offset}",
            &replid2[..8]
        ),
        ReplNote::FullSync { from, flushed_keys, loaded_keys, .. } if *flushed_keys > 0 => {
            format!(
                "{who} full-resyncs from {from}: flushes its {flushed_keys} keys and loads {loaded_keys}"
            )
        }
        ReplNote::PartialSync { from, .. } if e.at.as_micros() > 1_000_000 => {
            format!("{who} continues from {from} with a partial resync")
        }
        ReplNote::Role { master: Some(m), .. } => format!("{who} becomes a replica of {m}"),
        _ => return None,
    })
}

fn timeline(r: &Record, out: &mut String) {
    let ids = sentinel_ids(r);
    let mut lines: Vec<(u64, usize, String)> = Vec::new();
    for (i, ev) in r.scenario.events.iter().enumerate() {
        lines.push((
            ev.at.as_micros(),
            i,
            format!(
                "{:>9}  fault/command: {}",
                t(ev.at.as_micros()),
                action(&r.scenario, &ev.action)
            ),
        ));
    }
    for (from, to, pid) in stops::intervals(r) {
        let Some(to) = to else { continue };
        lines.push((
            to,
            lines.len(),
            format!(
                "{:>9}  {} continues (SIGCONT) after {} stopped: it now handles what queued up in its sockets meanwhile",
                t(to),
                r.name(pid),
                crate::text::ms((to - from) / 1000)
            ),
        ));
    }
    let base = lines.len();
    for (i, e) in r.entries.iter().enumerate() {
        let text = match &e.note {
            Note::Log { event: Some(ev), text, level, .. }
                if *level >= Level::Notice && !noisy(ev) =>
            {
                let mut s = format!("{:>9}  {} {ev} {text}", at(e), r.name(e.pid));
                if let Some(why) = reason(r, e, ev, text, &ids) {
                    let _ = write!(s, "\n           why: {why}");
                }
                s
            }
            Note::Repl(n) => match repl_line(r, e, n) {
                Some(l) => format!("{:>9}  {l}", at(e)),
                None => continue,
            },
            _ => continue,
        };
        lines.push((e.at.as_micros(), base + i, text));
    }
    lines.sort_by_key(|l| (l.0, l.1));
    for (_, _, l) in lines {
        let _ = writeln!(out, "{l}");
    }
}

/// A category of an operation's result, for grouping runs of operations.
fn category(op: &OpRecord) -> &'static str {
    match op.result {
        OpResult::Ok { .. } => "acknowledged",
        OpResult::Error { .. } => "failed",
        OpResult::Timeout | OpResult::Lost { .. } => "indeterminate",
    }
}

pub(super) fn error_text(op: &OpRecord) -> String {
    match &op.result {
        OpResult::Error { error } | OpResult::Lost { error } => error.clone(),
        OpResult::Timeout => "Timeout reading from socket".to_string(),
        OpResult::Ok { .. } => String::new(),
    }
}

fn clients(r: &Record, out: &mut String) {
    let history = &r.outcome.history;
    for c in &r.scenario.clients {
        let _ = writeln!(out, "  {}:", c.name);
        let mut lines: Vec<(u64, String)> = Vec::new();
        for e in &r.entries {
            if let Note::Believe(b) = &e.note {
                if b.client == c.name {
                    let what = match &b.master {
                        Some(m) => format!("believes the master is {m} ({})", b.via),
                        None => format!("finds no master: {}", b.via),
                    };
                    lines.push((e.at.as_micros(), format!("{:>9}  {what}", at(e))));
                }
            }
        }
        lines.extend(library::lines(r, c));
        for run in retries::runs(r, &c.name) {
            let line = format!("{:>9}  {}", t(run.at_us), run.describe(&library::library(c)));
            lines.push((run.at_us, line));
        }
        let ops: Vec<&OpRecord> = history.iter().filter(|o| *o.client == *c.name).collect();
        let mut i = 0;
        while i < ops.len() {
            let (cat, node) = (category(ops[i]), ops[i].node.clone());
            let mut j = i;
            while j < ops.len()
                && category(ops[j]) == cat
                && (cat != "acknowledged" || ops[j].node == node)
            {
                j += 1;
            }
            let run = &ops[i..j];
            let until = t(run[run.len() - 1].completed_us);
            let what = if cat == "acknowledged" {
                format!(
                    "{} operations acknowledged by {} (until {until})",
                    run.len(),
                    node.as_deref().unwrap_or("?")
                )
            } else {
                let mut errors: BTreeMap<String, usize> = BTreeMap::new();
                for o in run {
                    *errors.entry(error_text(o)).or_default() += 1;
                }
                let list: Vec<String> =
                    errors.into_iter().map(|(e, n)| format!("{n} x {e}")).collect();
                format!("{} operations {cat} (until {until}): {}", run.len(), list.join("; "))
            };
            lines.push((run[0].invoked_us, format!("{:>9}  {what}", t(run[0].invoked_us))));
            i = j;
        }
        lines.sort_by_key(|l| l.0);
        for (_, l) in lines {
            let _ = writeln!(out, "  {l}");
        }
    }
    let cli: Vec<&OpRecord> =
        history.iter().filter(|o| o.client.starts_with("redis-cli@")).collect();
    if !cli.is_empty() {
        let _ = writeln!(out, "  redis-cli:");
        for o in cli {
            let Op::Command { argv } = &o.op else { continue };
            let result = match &o.result {
                OpResult::Ok { value } => value.as_deref().unwrap_or("(nil)").to_string(),
                other => format!(
                    "{} ({})",
                    error_text(o),
                    if other.indeterminate() { "indeterminate" } else { "not applied" }
                ),
            };
            let _ = writeln!(
                out,
                "  {:>9}  from {}: {} -> {} -> {result}",
                t(o.invoked_us),
                o.client.trim_start_matches("redis-cli@"),
                argv.join(" "),
                o.node.as_deref().unwrap_or("(not sent)")
            );
        }
    }
}

fn lost(r: &Record, out: &mut String) {
    let o = &r.outcome;
    if o.writes.lost == 0 {
        let _ = writeln!(out, "  Nothing: every acknowledged write is on the final master.");
        return;
    }
    let target = o.final_master.as_deref().unwrap_or("any running node");
    let _ = writeln!(out, "  {} acknowledged writes are not on {target}:", o.writes.lost);
    let mut by_node: BTreeMap<(String, String), Vec<&OpRecord>> = BTreeMap::new();
    for key in &o.writes.lost_keys {
        if let Some(op) = o.history.iter().find(|op| {
            op.op.written().is_some_and(|(k, _)| k == key)
                && matches!(op.result, OpResult::Ok { .. })
        }) {
            by_node
                .entry((op.node.as_deref().unwrap_or_default().to_string(), op.client.to_string()))
                .or_default()
                .push(op);
        }
    }
    for ((node, client), ops) in by_node {
        let keys: Vec<&str> = ops.iter().filter_map(|o| o.op.written().map(|(k, _)| k)).collect();
        let shown = if keys.len() <= 6 {
            keys.join(", ")
        } else {
            format!("{}, ... {}", keys[..3].join(", "), keys[keys.len() - 2..].join(", "))
        };
        let first = ops.iter().map(|o| o.completed_us).min().unwrap_or(0);
        let last = ops.iter().map(|o| o.completed_us).max().unwrap_or(0);
        let when = if first == last {
            format!("at {}", t(first))
        } else {
            format!("between {} and {}", t(first), t(last))
        };
        let _ = writeln!(
            out,
            "  - {} write(s) by {client}, acknowledged by {node} {when}: {shown}",
            keys.len()
        );
        let _ = writeln!(out, "    {}", r.discarded_by(&node, last));
    }
}

/// One part of an explanation: its title and its lines, as the text prints them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Section {
    /// `Timeline`, `What was lost`, ...
    pub title: String,
    /// Its lines, without the trailing newline.
    pub lines: Vec<String>,
}

fn section(title: &str, r: &Record, write: fn(&Record, &mut String)) -> Section {
    let mut body = String::new();
    write(r, &mut body);
    Section { title: title.to_string(), lines: body.lines().map(str::to_string).collect() }
}

/// An explanation: the text `redsim explain` prints and the object `explain --json` prints are
/// two renderings of this.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Explanation {
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Virtual time simulated.
    pub duration_ms: u64,
    /// The scenario's description, line by line.
    pub description: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// The numbers the sections tell: writes and their fates, what each client felt.
    pub writes: crate::outcome::Writes,
    /// Per client, unavailability and write latency.
    pub clients: BTreeMap<String, crate::outcome::ClientOutcome>,
    /// Every stop (SIGSTOP) of a Redis process and what happened to the writes sent to it.
    pub stops: Vec<stops::Stop>,
    /// The command that reproduces the run.
    pub reproduce: String,
}

/// The explanation of a run.
pub fn explanation(r: &Record) -> Explanation {
    let s = &r.scenario;
    let answers_title =
        if s.field_report { "The field report's questions, for this run" } else { "In short" };
    let mut sections = vec![
        section("The deployment", r, deployment),
        section("Timeline", r, timeline),
        section("What the clients saw", r, clients),
    ];
    let stops = stops::stops(r);
    if !stops.is_empty() {
        sections.push(Section {
            title: "While a server was stopped".to_string(),
            lines: stops.iter().flat_map(|x| x.lines.iter().cloned()).collect(),
        });
    }
    sections.push(section("What was lost", r, lost));
    sections.push(section(answers_title, r, answers::answers));
    Explanation {
        scenario: s.name.clone(),
        seed: r.seed,
        duration_ms: s.duration.as_millis(),
        description: s.description.trim().lines().map(str::to_string).collect(),
        sections,
        writes: r.outcome.writes.clone(),
        clients: r.outcome.clients.clone(),
        stops,
        reproduce: format!("redsim run {} --seed {}", s.file_name(), r.seed),
    }
}

/// The whole explanation, as text.
pub fn explain(r: &Record) -> String {
    let e = explanation(r);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What happened in {} (seed {}, {} of virtual time)",
        e.scenario, e.seed, r.scenario.duration
    );
    for l in &e.description {
        let _ = writeln!(out, "  {l}");
    }
    for sec in &e.sections {
        let _ = writeln!(out, "\n{}", sec.title);
        for l in &sec.lines {
            let _ = writeln!(out, "{l}");
        }
    }
    let _ = writeln!(out, "\nReproduce: {}", e.reproduce);
    out
}

/// The explanation as one JSON object (`redsim explain --json`).
pub fn explain_json(r: &Record) -> String {
    serde_json::to_string(&explanation(r)).expect("the explanation serialises")
}
