//! Built-in invariants: properties every Sentinel deployment should keep whatever the faults, checked
//! from outside the actors after a run (on every seed of `redsim explore`, and by `redsim run` when
//! `[expect]` lists them in `invariants`).
//!
//! - `one-leader-per-epoch`: at most one sentinel is elected leader in any epoch.
//! - `one-master-per-config-epoch`: every configuration epoch names one master address.
//! - `converges`: once the last fault is over, within [`convergence_bound`], every running sentinel
//!   names the same master, it runs as a master, and every other running server replicates from it
//!   with its link up. Checked at the end of the run when the run lasts that long.
//! - `no-lost-writes-without-master-fault`: a run in which no fault touched the master (its process,
//!   its host's filters, a cut or rule covering its host, a reconfiguration command, a forced
//!   failover) loses no acknowledged write.

use crate::outcome::Outcome;
use crate::run::{Deployment, Life};
use crate::scenario::Invariant;
use crate::scenario::{Action, ProcRef, Scenario};
use model::observe::Note;
use model::observe::ReplNote;
use model::observe::Why;
use sim::filter::FilterCommand;
use sim::{Duration, HostId, Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

/// The violation of `inv` in this run, as one line starting with the invariant's name, if any.
pub fn violation(
    inv: Invariant,
    scenario: &Scenario,
    d: &Deployment,
    out: &Outcome,
) -> Option<String> {
    let msg = match inv {
        Invariant::OneLeaderPerEpoch => one_per_epoch(d, Tally::Leaders),
        Invariant::OneMasterPerConfigEpoch => one_per_epoch(d, Tally::Configs),
        Invariant::Converges => converges(scenario, d),
        Invariant::NoLostWritesWithoutMasterFault => lost_without_master_fault(scenario, d, out),
    }?;
    let known = match inv {
        Invariant::OneMasterPerConfigEpoch | Invariant::Converges => stale_failover(d),
        _ => None,
    };
    Some(match known {
        Some(why) => format!("{}: {msg} [{KNOWN_REDIS_BEHAVIOUR}: {why}]", inv.name()),
        None => format!("{}: {msg}", inv.name()),
    })
}

/// Marks a violation that real Redis 7.0 commits too under the same schedule (the model is
/// faithful; the invariant is what Sentinel does not guarantee).
pub const KNOWN_REDIS_BEHAVIOUR: &str = "Redis 7.0 does this too";

/// A sentinel that adopted a newer config epoch for the address it was failing over, so that its
/// own older failover went on and advertised its promoted replica under the newer epoch.
fn stale_failover(d: &Deployment) -> Option<String> {
    let w = &d.world;
    w.notes().iter().find_map(|n| match &n.note {
        Note::Why(Why::StaleFailover { failover_epoch, config_epoch, master }) => Some(format!(
            "at {} {} adopted config epoch {config_epoch} for {master}, the master it was failing \
             over in epoch {failover_epoch}; sentinelProcessHelloMessage changes only the epoch \
             when the address is the same, so its failover went on and its promoted replica is \
             advertised under epoch {config_epoch}",
            n.at,
            w.name(n.pid)
        )),
        _ => None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tally {
    Leaders,
    Configs,
}

/// Leaders elected per epoch, or master addresses per configuration epoch: the first epoch with
/// two or more.
fn one_per_epoch(d: &Deployment, tally: Tally) -> Option<String> {
    let w = &d.world;
    let mut ids: BTreeMap<ProcessId, &str> = BTreeMap::new();
    let mut by_epoch: BTreeMap<(String, u64), BTreeSet<String>> = BTreeMap::new();
    // Epochs are per sentinel but votes and configurations per master: a note names its master
    // when its sentinel monitors several, else it is the sentinel's one master.
    let master = |pid: ProcessId, name: &Option<String>| -> String {
        name.clone()
            .or_else(|| {
                w.actor(pid).as_sentinel().and_then(|s| s.first_master().map(str::to_string))
            })
            .unwrap_or_default()
    };
    for n in w.notes() {
        match (&n.note, tally) {
            (Note::Why(Why::Identity { run_id }), _) => {
                ids.insert(n.pid, run_id);
            }
            (Note::Why(Why::Votes { epoch, winner: Some(winner), name, .. }), Tally::Leaders)
                if ids.get(&n.pid) == Some(&winner.as_str()) =>
            {
                let key = (master(n.pid, name), *epoch);
                by_epoch.entry(key).or_default().insert(w.name(n.pid).to_string());
            }
            (Note::Why(Why::Config { epoch, master: addr, name }), Tally::Configs) => {
                by_epoch.entry((master(n.pid, name), *epoch)).or_default().insert(addr.clone());
            }
            _ => {}
        }
    }
    let ((_, epoch), who) = by_epoch.iter().find(|(_, who)| who.len() > 1)?;
    let who: Vec<&str> = who.iter().map(String::as_str).collect();
    Some(match tally {
        Tally::Leaders => {
            format!("epoch {epoch} elected {} leaders: {}", who.len(), who.join(", "))
        }
        Tally::Configs => {
            format!("config epoch {epoch} names {} masters: {}", who.len(), who.join(", "))
        }
    })
}

/// When the last timeline event is over (a pause ends after its length), if there is one.
pub fn last_fault_end(scenario: &Scenario) -> Option<Instant> {
    scenario
        .events
        .iter()
        .map(|e| match e.action {
            Action::Pause(_, d) => e.at + d,
            _ => e.at,
        })
        .max()
}

/// How long after the last fault a deployment may take to agree on one master again, from its
/// configuration (`D` = the largest `down-after-milliseconds`, `F` = the largest
/// `failover-timeout` among the sentinels): `45 s + 3F + D`.
///
/// - 15 s for every sentinel to reach every instance again: a silent link is recycled once it is
///   15 s old, and the fresh connect gets through at once after the heal;
/// - 10 s for the next INFO that shows a stray master's role, 10 s more for the next one, when
///   the 8 s rule of `+convert-to-slave` holds, and 7 s for the full resynchronisation that
///   follows (the 5 s diskless delay, counted by a once-a-second cron, and the transfer);
/// - `3F` for the slow paths: a failover under way at the heal waits up to `F` for its promotion
///   and `F` for its replicas (`+failover-end-for-timeout`), and `+fix-slave-config` waits until a
///   replica's master address has been stable for `F`;
/// - `D` of margin (a sentinel restarted at the end of the faults marks instances down only `D`
///   after it starts).
///
/// Measured on `traces/explore-partition.toml` (D = 5 s, F = 10 s; bound 80 s): over 300 seeds
/// the deployment settled within 20 s of the last fault; with F = 60 s within 68 s (bound 230 s).
pub fn convergence_bound(scenario: &Scenario) -> Duration {
    let max = |f: fn(&model::sentinel::config::SentinelConfig) -> u64| {
        scenario.sentinels.iter().map(|s| f(&s.config)).max().unwrap_or(0)
    };
    let d = max(|c| c.max_over_masters(|m| m.down_after_ms));
    let f = max(|c| c.max_over_masters(|m| m.failover_timeout_ms));
    Duration::from_millis(45_000 + 3 * f + d)
}

fn converges(scenario: &Scenario, d: &Deployment) -> Option<String> {
    let w = &d.world;
    let end = w.now();
    let last = last_fault_end(scenario).unwrap_or(Instant::ZERO);
    if end < last + convergence_bound(scenario) {
        return None; // the run ends before the bound: nothing to check
    }
    if scenario.sentinels.iter().any(|s| s.config.masters.len() > 1) {
        return None; // one group of servers per master: not checked yet with several masters
    }
    let servers: Vec<(String, &model::server::Server)> = d
        .redis
        .iter()
        .filter_map(|&p| Some((w.name(p).to_string(), w.actor(p).as_server()?)))
        .filter(|(_, s)| s.is_up())
        .collect();
    let named: BTreeMap<String, Vec<&str>> =
        d.sentinels.iter().fold(BTreeMap::new(), |mut m, &p| {
            if let Some((h, port)) = w.actor(p).as_sentinel().and_then(|s| s.reported_master()) {
                m.entry(format!("{h}:{port}")).or_default().push(w.name(p));
            }
            m
        });
    let when = format!("at {end}, {} after the last fault", end - last);
    let master = match named.len() {
        0 => {
            let masters: Vec<&str> =
                servers.iter().filter(|(_, s)| s.is_master()).map(|(n, _)| n.as_str()).collect();
            if masters.len() != 1 {
                return Some(format!(
                    "{when}: {} servers are masters ({})",
                    masters.len(),
                    masters.join(", ")
                ));
            }
            masters[0].to_string()
        }
        1 => named.keys().next().expect("one").clone(),
        _ => {
            let views: Vec<String> =
                named.iter().map(|(m, who)| format!("{} name {m}", who.join(", "))).collect();
            return Some(format!("{when}: the sentinels disagree: {}", views.join("; ")));
        }
    };
    match servers.iter().find(|(n, _)| *n == master) {
        None => {
            return Some(format!(
                "{when}: the master the sentinels name, {master}, is not running"
            ));
        }
        Some((_, s)) if !s.is_master() => {
            return Some(format!("{when}: the sentinels name {master}, which is a replica"));
        }
        Some(_) => {}
    }
    // A replica follows the master when its chain of replication links, all up, leads there
    // (Sentinel only knows the replicas the master's INFO lists, so a replica of a replica stays
    // chained, as in Redis).
    let by_name = |n: &str| servers.iter().find(|(x, _)| x == n).map(|(_, s)| *s);
    let strays: Vec<String> = servers
        .iter()
        .filter(|(n, _)| *n != master)
        .filter_map(|(n, s)| {
            let mut chain = vec![n.as_str().to_string()];
            let mut at = *s;
            for _ in 0..servers.len() {
                let Some((h, p)) = at.master_addr() else { break };
                let next = format!("{h}:{p}");
                if !at.master_link_up() {
                    return Some(format!(
                        "{}'s link to {next} is down",
                        chain.last().expect("one")
                    ));
                }
                if next == master {
                    return None;
                }
                chain.push(next.clone());
                match by_name(&next) {
                    Some(up) => at = up,
                    None => break,
                }
            }
            Some(match chain.len() {
                1 => format!("{n} is a master"),
                _ => format!("{} does not lead to it", chain.join(" -> ")),
            })
        })
        .collect();
    (!strays.is_empty())
        .then(|| format!("{when}: the sentinels name {master}, but {}", strays.join(", ")))
}

/// The servers that were masters at each moment, from their notes and the runner's kills.
struct Roles {
    /// (time, server, is it a running master from then on).
    changes: Vec<(Instant, ProcessId, bool)>,
}

impl Roles {
    fn of(d: &Deployment) -> Roles {
        let redis: BTreeSet<ProcessId> = d.redis.iter().copied().collect();
        let mut changes: Vec<(Instant, ProcessId, bool)> = d
            .world
            .notes()
            .iter()
            .filter(|n| redis.contains(&n.pid))
            .filter_map(|n| match &n.note {
                Note::Repl(ReplNote::Started { master, .. } | ReplNote::Role { master, .. }) => {
                    Some((n.at, n.pid, master.is_none()))
                }
                _ => None,
            })
            .collect();
        changes.extend(
            d.lifecycle
                .iter()
                .filter(|(_, p, life)| redis.contains(p) && *life == Life::Down)
                .map(|&(t, p, _)| (t, p, false)),
        );
        changes.sort_by_key(|c| c.0);
        Roles { changes }
    }

    /// Servers that were masters at `t` (just before anything that happened at `t`).
    fn masters_at(&self, t: Instant) -> BTreeSet<ProcessId> {
        let mut now: BTreeMap<ProcessId, bool> = BTreeMap::new();
        for &(at, p, master) in self.changes.iter().take_while(|c| c.0 < t) {
            let _ = at;
            now.insert(p, master);
        }
        now.into_iter().filter(|(_, m)| *m).map(|(p, _)| p).collect()
    }
}

/// True when `action` touches the server `pid` on `host` (its process, its host's filters, a
/// rule or cut that covers its host, a link of its host) or reconfigures the deployment.
fn touches(d: &Deployment, action: &Action, pid: ProcessId, host: HostId) -> bool {
    let is = |p: &ProcRef| d.pid(*p) == pid;
    let covers = |set: &Option<Vec<HostId>>| set.as_ref().is_none_or(|s| s.contains(&host));
    match action {
        Action::Kill(p) | Action::Restart(p) | Action::Pause(p, _) | Action::ClockJump(p, _) => {
            is(p)
        }
        Action::Iptables { host: on, cmd } => match cmd {
            FilterCommand::Append(_, r) | FilterCommand::Insert(_, _, r) => {
                *on == host || covers(&r.rule.src) && covers(&r.rule.dst)
            }
            _ => false,
        },
        Action::Partition { groups, .. } => {
            groups.iter().any(|g| g.contains(&host))
                && groups.iter().filter(|g| !g.is_empty()).count() > 1
        }
        Action::Heal => false,
        Action::Crash { host: h, .. } => *h == host,
        Action::Latency { a, b, .. } => *a == host || *b == host,
        Action::Command { argv, .. } => {
            let cmd = argv.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
            matches!(
                cmd.as_str(),
                "REPLICAOF"
                    | "SLAVEOF"
                    | "SHUTDOWN"
                    | "DEBUG"
                    | "CONFIG"
                    | "FAILOVER"
                    | "CLIENT"
                    | "FLUSHALL"
                    | "FLUSHDB"
            )
        }
        Action::SentinelFailover(_) => true,
    }
}

fn lost_without_master_fault(scenario: &Scenario, d: &Deployment, out: &Outcome) -> Option<String> {
    if out.writes.lost == 0 {
        return None;
    }
    let roles = Roles::of(d);
    let touched = scenario.events.iter().any(|e| {
        roles.masters_at(e.at).into_iter().any(|m| touches(d, &e.action, m, d.world.addr(m).host))
    });
    (!touched).then(|| {
        format!(
            "{} acknowledged writes were lost although no fault touched the master ({})",
            out.writes.lost,
            out.writes.lost_keys.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )
    })
}
