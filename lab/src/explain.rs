//! `redsim explain`: the story of a run for a person learning Sentinel, in the order things
//! happened, with the numbers that made each step happen, what each client saw, what was lost and
//! why, and the field report's two questions answered for this run.

use crate::record::{Entry, Record};
use crate::scenario::{Action, ClientMode, CommandTarget, ProcRef, Scenario};
use crate::text::secs;
use model::observe::ReplNote;
use model::observe::Why;
use model::observe::{Level, Note};
use model::observe::{Op, OpRecord, OpResult};
use std::collections::BTreeMap;
use std::fmt::Write;

fn t(us: u64) -> String {
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
    let _ = writeln!(out, "The deployment");
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
        let c = &first.config;
        let names: Vec<String> = s
            .sentinels
            .iter()
            .map(|x| format!("{}:{}", s.hosts[x.addr.host.0 as usize], x.addr.port))
            .collect();
        let _ = writeln!(
            out,
            "  Sentinels {} watch {} at {}:{}: quorum {}, down-after-milliseconds {}, failover-timeout {}.",
            names.join(", "),
            c.master_name,
            c.master_host,
            c.master_port,
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
    }
    for c in &s.clients {
        let how = match &c.mode {
            ClientMode::Sentinel { sentinels, service, replica } => {
                let list: Vec<String> = sentinels
                    .iter()
                    .map(|a| format!("{}:{}", s.hosts[a.host.0 as usize], a.port))
                    .collect();
                format!(
                    "a redis-py Sentinel client ({}) asking [{}] for {service}",
                    if *replica { "slave_for" } else { "master_for" },
                    list.join(", ")
                )
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
        let _ = writeln!(
            out,
            "  Client {} on {}: {how}, socket-timeout {}{work}.",
            c.name, s.hosts[c.host.0 as usize], c.socket_timeout
        );
    }
}

/// The `Why` noted by the same process at the same instant as `e`, if any.
fn why_for<'a>(r: &'a Record, e: &Entry, pick: impl Fn(&Why) -> bool) -> Option<&'a Why> {
    r.entries.iter().filter(|x| x.pid == e.pid && x.at == e.at).find_map(|x| match &x.note {
        Note::Why(w) if pick(w) => Some(w),
        _ => None,
    })
}

fn sentinel_ids(r: &Record) -> BTreeMap<String, String> {
    r.entries
        .iter()
        .filter_map(|e| match &e.note {
            Note::Why(Why::Identity { run_id }) => {
                Some((run_id.clone(), r.name(e.pid).to_string()))
            }
            _ => None,
        })
        .collect()
}

/// True when the sentinel of `e` has its master SDOWN at that moment (its last `+sdown master` /
/// `-sdown master` up to then was a `+sdown`).
fn sees_master_down(r: &Record, e: &Entry) -> bool {
    r.entries
        .iter()
        .take_while(|x| x.at <= e.at)
        .filter(|x| x.pid == e.pid)
        .filter_map(|x| match &x.note {
            Note::Log { event: Some(ev), text, .. } if text.starts_with("master ") => {
                match ev.as_str() {
                    "+sdown" => Some(true),
                    "-sdown" | "+switch-master" => Some(false),
                    _ => None,
                }
            }
            Note::Log { event: Some(ev), .. } if ev == "+switch-master" => Some(false),
            _ => None,
        })
        .last()
        .unwrap_or(false)
}

/// Why a sentinel left ODOWN: its own SDOWN ended in the same tick (the master answers again), or
/// too few others still report the master down, which is what happens when they have already
/// switched to a new master and no longer know the old address.
fn odown_ended(r: &Record, e: &Entry) -> String {
    let same_tick_sdown_end = r.entries.iter().any(|x| {
        x.pid == e.pid
            && x.at == e.at
            && matches!(&x.note, Note::Log { event: Some(ev), text, .. } if ev == "-sdown" && text.starts_with("master "))
    });
    let others_switched = r.entries.iter().any(|x| {
        x.pid != e.pid
            && x.at <= e.at
            && matches!(&x.note, Note::Log { event: Some(ev), .. } if ev == "+switch-master")
    });
    if same_tick_sdown_end {
        "its own SDOWN ended: the master answers again".to_string()
    } else if others_switched {
        "fewer than the quorum report the master down now (sentinels that switched no longer know the old address, and answer 0)".to_string()
    } else {
        "fewer than the quorum report the master down now (the others' answers changed or are more than 5 s old)".to_string()
    }
}

/// Why a sentinel event happened, in words.
fn reason(
    r: &Record,
    e: &Entry,
    event: &str,
    text: &str,
    ids: &BTreeMap<String, String>,
) -> Option<String> {
    let who = |id: &str| ids.get(id).cloned().unwrap_or_else(|| id.chars().take(8).collect());
    Some(match event {
        "+sdown" => match why_for(r, e, |w| matches!(w, Why::Sdown { .. }))? {
            Why::Sdown { silent_ms, down_after_ms, cause, .. } if cause == "no valid reply" => {
                format!("no valid reply for {silent_ms} ms, more than down-after-milliseconds ({down_after_ms})")
            }
            Why::Sdown { cause, .. } => cause.clone(),
            _ => return None,
        },
        "-sdown" => "it answers again".to_string(),
        "+odown" => match why_for(r, e, |w| matches!(w, Why::Odown { .. }))? {
            Why::Odown { agreeing, quorum, .. } => {
                format!("{} of quorum {quorum} report the master down: {}", agreeing.len(), agreeing.join(", "))
            }
            _ => return None,
        },
        "-odown" => odown_ended(r, e),
        "+try-failover" => "it reached ODOWN first: it starts an attempt in a new epoch and asks every sentinel for its vote".to_string(),
        "+vote-for-leader" => {
            let mut it = text.split_whitespace();
            let (id, epoch) = (it.next()?, it.next()?);
            if ids.get(id).map(String::as_str) == Some(r.name(e.pid)) {
                format!("it votes for itself in epoch {epoch}")
            } else if sees_master_down(r, e) {
                format!("its vote in epoch {epoch} goes to the first sentinel that asked, {}", who(id))
            } else {
                format!(
                    "its vote in epoch {epoch} goes to the first sentinel that asked, {}, although it does not see the master down itself: a vote does not depend on the voter's view",
                    who(id)
                )
            }
        }
        "+elected-leader" | "-failover-abort-not-elected" => match why_for(r, e, |w| matches!(w, Why::Votes { .. }))? {
            Why::Votes { epoch, votes, needed, sentinels, .. } => {
                let list: Vec<String> = votes.iter().map(|(voter, v)| format!("{voter} -> {}", who(v))).collect();
                let mine = votes.iter().filter(|(_, v)| ids.get(v).map(String::as_str) == Some(r.name(e.pid))).count();
                format!("{mine} of {sentinels} sentinels voted for it in epoch {epoch} ({}); it needs {needed}", list.join(", "))
            }
            _ => return None,
        },
        "+selected-slave" | "-failover-abort-no-good-slave" => match why_for(r, e, |w| matches!(w, Why::Selection { .. }))? {
            Why::Selection { candidates, .. } => {
                let mut s = "replicas weighed (lower priority first, then higher offset, then smaller run id):".to_string();
                for c in candidates {
                    let id: String = c.run_id.chars().take(8).collect();
                    match &c.excluded {
                        None => {
                            let _ = write!(s, "\n             {} priority {} offset {} run id {id}", c.name, c.priority, c.offset);
                        }
                        Some(why) => {
                            let _ = write!(s, "\n             {} excluded: {why}", c.name);
                        }
                    }
                }
                s
            }
            _ => return None,
        },
        "+failover-state-wait-promotion" => {
            "sent MULTI, SLAVEOF NO ONE, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC".to_string()
        }
        "+promoted-slave" => "its INFO now says role:master; the new configuration gets this failover's epoch".to_string(),
        "+config-update-from" => "a hello carried a higher config epoch than its own".to_string(),
        "+switch-master" => "its table now names the new master; the old one becomes a replica entry".to_string(),
        "+convert-to-slave" | "+fix-slave-config" => match why_for(r, e, |w| matches!(w, Why::Reconfigured { .. }))? {
            Why::Reconfigured { master, reported_role_for_ms, .. } if event == "+convert-to-slave" => format!(
                "it has reported role:master for {reported_role_for_ms} ms (> 8000) while {master} is the sane master: SLAVEOF {master}, and CLIENT KILL closes its clients' connections"
            ),
            Why::Reconfigured { master, reported_role_for_ms, .. } => format!(
                "it replicates from another address, unchanged for {reported_role_for_ms} ms (> failover-timeout): SLAVEOF {master}"
            ),
            _ => return None,
        },
        "+tilt" => match why_for(r, e, |w| matches!(w, Why::Tilt { .. }))? {
            Why::Tilt { delta_ms } => format!("its clock moved {delta_ms} ms between two timer runs (normal: 52-100): for 30 s it acts on nothing"),
            _ => return None,
        },
        "-tilt" => "30 s after the last trigger".to_string(),
        "+failover-end" => "every other replica is reconfigured (or down)".to_string(),
        _ => return None,
    })
}

/// Events that only add noise to a narrative (discovery, config saving).
fn noisy(event: &str) -> bool {
    matches!(
        event,
        "+monitor"
            | "+slave"
            | "+sentinel"
            | "+failover-state-select-slave"
            | "+failover-state-reconf-slaves"
    )
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
    let _ = writeln!(out, "\nTimeline");
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

fn error_text(op: &OpRecord) -> String {
    match &op.result {
        OpResult::Error { error } | OpResult::Lost { error } => error.clone(),
        OpResult::Timeout => "Timeout reading from socket".to_string(),
        OpResult::Ok { .. } => String::new(),
    }
}

fn clients(r: &Record, out: &mut String) {
    let _ = writeln!(out, "\nWhat the clients saw");
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
                OpResult::Ok { value } => value.clone().unwrap_or_else(|| "(nil)".to_string()),
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
    let _ = writeln!(out, "\nWhat was lost");
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

fn questions(r: &Record, out: &mut String) {
    let _ = writeln!(out, "\nThe field report's questions, for this run");
    let s = &r.scenario;
    let sentinel_clients: Vec<&str> = s
        .clients
        .iter()
        .filter(|c| matches!(c.mode, ClientMode::Sentinel { .. }))
        .map(|c| c.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "  1. How does the application find the master, and where does its traffic go?"
    );
    if sentinel_clients.is_empty() {
        let _ =
            writeln!(out, "     Its clients connect to a fixed address: no sentinel is involved.");
    } else {
        let _ = writeln!(
            out,
            "     Only discovery goes to the sentinels. When redis-py opens a connection it asks them in turn\n     (SENTINEL MASTERS), skips any that flags the master down, and connects to the address named:\n     the data goes straight to Redis, never through a sentinel."
        );
        for e in &r.entries {
            if let Note::Believe(b) = &e.note {
                if let Some(m) = &b.master {
                    let _ = writeln!(out, "     {:>9}  {} -> {m} ({})", at(e), b.client, b.via);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "  2. When the master becomes unreachable, how does it find the new one, and what about its writes?"
    );
    let first_fault = s
        .events
        .iter()
        .find(|e| !matches!(e.action, Action::Command { .. }))
        .map(|e| e.at.as_micros());
    let Some(fault) = first_fault else {
        let _ = writeln!(out, "     This run has no fault.");
        return;
    };
    for c in &s.clients {
        let ops: Vec<&OpRecord> = r
            .outcome
            .history
            .iter()
            .filter(|o| *o.client == *c.name && o.op.written().is_some())
            .collect();
        let before = ops
            .iter()
            .rev()
            .find(|o| o.completed_us <= fault && matches!(o.result, OpResult::Ok { .. }));
        let old = before.and_then(|o| o.node.clone());
        let switch = ops.iter().find(|o| {
            o.invoked_us > fault && matches!(o.result, OpResult::Ok { .. }) && o.node != old
        });
        let on_old: Vec<&&OpRecord> = ops
            .iter()
            .filter(|o| {
                o.invoked_us >= fault && matches!(o.result, OpResult::Ok { .. }) && o.node == old
            })
            .collect();
        let lost_on_old = on_old
            .iter()
            .filter(|o| {
                o.op.written()
                    .is_some_and(|(k, _)| r.outcome.writes.lost_keys.iter().any(|l| l == k))
            })
            .count();
        let old_name = old.as_deref().unwrap_or("no master");
        let last_old = on_old.last().map(|o| t(o.completed_us)).unwrap_or_else(|| t(fault));
        match switch {
            Some(sw) => {
                let failure = ops.iter().rev().find(|o| {
                    o.invoked_us < sw.invoked_us
                        && o.invoked_us >= fault
                        && !matches!(o.result, OpResult::Ok { .. })
                });
                let trigger = match failure {
                    Some(o) => format!("its writes failed (last: `{}` at {}), and each new connection asked the sentinels again", error_text(o), t(o.completed_us)),
                    None => "no write failed: the server closed its idle pooled connection (Sentinel's CLIENT KILL when it reconfigures a server), and redis-py asked the sentinels again for the next one".to_string(),
                };
                let _ = writeln!(
                    out,
                    "     {}: the fault came at {}; it wrote to {old_name} until {last_old}, then to {} from {}: {trigger}.",
                    c.name,
                    t(fault),
                    sw.node.as_deref().unwrap_or("?"),
                    t(sw.invoked_us)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "     {}: the fault came at {}; it kept writing to {old_name}: it never switched.",
                    c.name,
                    t(fault)
                );
            }
        }
        if !on_old.is_empty() {
            let _ = writeln!(
                out,
                "     {} of its writes after the fault were acknowledged by {old_name}; {lost_on_old} of them are lost.",
                on_old.len()
            );
        }
    }
    let lost_cli: Vec<&OpRecord> = r
        .outcome
        .history
        .iter()
        .filter(|o| o.client.starts_with("redis-cli@"))
        .filter(|o| {
            o.op.written().is_some_and(|(k, _)| r.outcome.writes.lost_keys.iter().any(|l| l == k))
        })
        .collect();
    for o in lost_cli {
        let (k, v) = o.op.written().expect("a write");
        let _ = writeln!(
            out,
            "     SET {k} {v}, acknowledged by {} at {}, is gone: {}.",
            o.node.as_deref().unwrap_or("?"),
            t(o.completed_us),
            r.discarded_by(o.node.as_deref().unwrap_or(""), o.completed_us)
        );
    }
    let _ = writeln!(
        out,
        "     In all: {} acknowledged writes lost, {} failed, {} indeterminate; two masters accepted writes for {}.",
        r.outcome.writes.lost,
        r.outcome.writes.failed,
        r.outcome.writes.indeterminate,
        secs(r.outcome.split_brain_ms)
    );
}

/// The whole explanation.
pub fn explain(r: &Record) -> String {
    let s = &r.scenario;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What happened in {} (seed {}, {} of virtual time)",
        s.name, r.seed, s.duration
    );
    if !s.description.is_empty() {
        for l in s.description.trim().lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    let _ = writeln!(out);
    deployment(r, &mut out);
    timeline(r, &mut out);
    clients(r, &mut out);
    lost(r, &mut out);
    questions(r, &mut out);
    let _ = writeln!(out, "\nReproduce: redsim run {} --seed {}", s.file_name(), r.seed);
    out
}
