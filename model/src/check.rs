//! Outcomes, computed from outside the actors: from the history the clients recorded, the notes
//! the servers and sentinels wrote, the faults the runner applied, and the final datasets.
//! Definitions follow `reference/scenario-format.md` ("The outcome report").

use crate::client::{OpRecord, OpResult};
use crate::node::Note;
use crate::run::{Deployment, Life};
use crate::scenario::{LostWrites, Role, Scenario};
use crate::sentinel::Why;
use crate::server::ReplNote;
use serde::{Deserialize, Serialize};
use sim::{Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

/// A replica executing `REPLICAOF NO ONE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// When (virtual ms).
    pub at_ms: u64,
    /// The promoted server.
    pub node: String,
    /// The failover epoch of the sentinel that promoted it (absent for a `command` event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// The sentinel's host:port, or `command`.
    pub by: String,
}

/// The client writes, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writes {
    /// Acknowledged with OK.
    pub acked: u64,
    /// Refused or never sent (not applied).
    pub failed: u64,
    /// Timed out or cut off (may or may not have been applied).
    pub indeterminate: u64,
    /// Acknowledged, and absent from the final master at the end.
    pub lost: u64,
    /// Their keys.
    pub lost_keys: Vec<String>,
}

/// One sentinel log event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentinelEvent {
    /// When (virtual ms).
    pub at_ms: u64,
    /// The sentinel's host:port.
    pub sentinel: String,
    /// The event token, `+sdown`.
    pub event: String,
    /// The rest of the line.
    pub detail: String,
}

/// Expectation results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectations {
    /// True when every expectation holds.
    pub passed: bool,
    /// One line per failed expectation.
    pub failures: Vec<String>,
}

/// What happened in a run: the `--json` report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Virtual time simulated.
    pub duration_ms: u64,
    /// Promotions in time order.
    pub promotions: Vec<Promotion>,
    /// Every Redis process: master, replica or down.
    pub final_roles: BTreeMap<String, Role>,
    /// The node most sentinels name as master at the end.
    pub final_master: Option<String>,
    /// Client writes.
    pub writes: Writes,
    /// Time with two or more writable masters.
    pub split_brain_ms: u64,
    /// The longest total unavailability any client saw.
    pub unavailable_ms: u64,
    /// Sentinel log events, in time order.
    pub sentinel_events: Vec<SentinelEvent>,
    /// The scenario's `[expect]`.
    pub expectations: Expectations,
    /// Timeline actions that could not be carried out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The faults this seed drew from the scenario's `[explore]` space, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Every client operation (not in the JSON report).
    #[serde(skip)]
    pub history: Vec<OpRecord>,
}

fn ms(t: Instant) -> u64 {
    t.as_millis()
}

/// Computes the outcome of a finished run.
pub fn outcome(scenario: &Scenario, seed: u64, d: &Deployment) -> Outcome {
    let w = &d.world;
    let name = |pid: ProcessId| w.name(pid).to_string();
    let end = w.now();
    let server = |pid: ProcessId| w.actor(pid).as_server().expect("a redis process");

    // The history: every operation (those in flight at the end were noted as indeterminate).
    let mut history: Vec<OpRecord> = w
        .notes()
        .iter()
        .filter_map(|n| match &n.note {
            Note::Op(op) => Some(op.clone()),
            _ => None,
        })
        .collect();
    history.sort_by(|a, b| (a.invoked_us, &a.client, a.seq).cmp(&(b.invoked_us, &b.client, b.seq)));

    let final_roles: BTreeMap<String, Role> = d
        .redis
        .iter()
        .map(|&pid| {
            let s = server(pid);
            let role = if !s.is_up() {
                Role::Down
            } else if s.is_master() {
                Role::Master
            } else {
                Role::Replica
            };
            (name(pid), role)
        })
        .collect();
    let final_master = final_master(d, &final_roles);

    // Writes.
    let mut writes = Writes::default();
    let master_data = final_master
        .as_ref()
        .and_then(|m| d.redis.iter().find(|&&p| name(p) == *m).and_then(|&p| server(p).data()));
    // Lost keys in the order first seen; the set only answers "seen already?".
    let mut lost_seen: BTreeSet<&str> = BTreeSet::new();
    for op in &history {
        let Some((key, _)) = op.op.written() else { continue };
        match &op.result {
            OpResult::Ok { .. } => {
                writes.acked += 1;
                let present = match master_data {
                    Some(data) => data.contains_key(key),
                    None => d.redis.iter().any(|&p| server(p).get(key).is_some()),
                };
                if !present && lost_seen.insert(key) {
                    writes.lost_keys.push(key.to_string());
                }
            }
            OpResult::Error { .. } => writes.failed += 1,
            OpResult::Timeout | OpResult::Lost { .. } => writes.indeterminate += 1,
        }
    }
    writes.lost = writes.lost_keys.len() as u64;

    let sentinel_set: BTreeSet<ProcessId> = d.sentinels.iter().copied().collect();
    let sentinel_events: Vec<SentinelEvent> = w
        .notes()
        .iter()
        .filter(|n| sentinel_set.contains(&n.pid))
        .filter_map(|n| match &n.note {
            // The default `loglevel notice` does not write verbose events (`+role-change`).
            Note::Log { event: Some(e), text, level, .. }
                if *level >= crate::node::Level::Notice =>
            {
                Some(SentinelEvent {
                    at_ms: ms(n.at),
                    sentinel: name(n.pid),
                    event: e.clone(),
                    detail: text.clone(),
                })
            }
            _ => None,
        })
        .collect();

    let promotions = promotions(d);
    let split_brain_ms = split_brain(d, end);
    let unavailable_ms = unavailable(d, &history, end);

    let mut out = Outcome {
        scenario: scenario.name.clone(),
        seed,
        duration_ms: scenario.duration.as_millis(),
        promotions,
        final_roles,
        final_master,
        writes,
        split_brain_ms,
        unavailable_ms,
        sentinel_events,
        expectations: Expectations::default(),
        warnings: d.warnings.clone(),
        faults: scenario.schedule.iter().map(|f| crate::explore::describe(scenario, f)).collect(),
        history,
    };
    out.expectations = check_expectations(scenario, d, &out);
    out
}

/// "The node that most sentinels name as master at the end (ties: the highest config epoch); with
/// no sentinels, the only node whose role is master."
fn final_master(d: &Deployment, roles: &BTreeMap<String, Role>) -> Option<String> {
    let w = &d.world;
    if d.sentinels.is_empty() {
        let masters: Vec<&String> =
            roles.iter().filter(|(_, r)| **r == Role::Master).map(|(n, _)| n).collect();
        return (masters.len() == 1).then(|| masters[0].clone());
    }
    let mut votes: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for &pid in &d.sentinels {
        if let Some(v) = w.actor(pid).as_sentinel().and_then(|s| s.master_view()) {
            let e = votes.entry(v.addr).or_insert((0, 0));
            e.0 += 1;
            e.1 = e.1.max(v.config_epoch);
        }
    }
    votes
        .into_iter()
        .max_by_key(|(addr, (n, epoch))| (*n, *epoch, std::cmp::Reverse(addr.clone())))
        .map(|(a, _)| a)
}

fn promotions(d: &Deployment) -> Vec<Promotion> {
    let w = &d.world;
    let redis: BTreeSet<ProcessId> = d.redis.iter().copied().collect();
    let mut out = Vec::new();
    for n in w.notes() {
        let Note::Repl(ReplNote::Promoted { client, .. }) = &n.note else { continue };
        if !redis.contains(&n.pid) {
            continue;
        }
        let node = w.name(n.pid).to_string();
        // Sentinel names its command connection `sentinel-<first 8 chars of its id>-cmd`.
        let sentinel = client.strip_prefix("sentinel-").and_then(|rest| rest.strip_suffix("-cmd")).and_then(|id8| {
            d.sentinels.iter().copied().find(|&s| {
                w.notes().iter().any(|m| {
                    m.pid == s && matches!(&m.note, Note::Why(Why::Identity { run_id }) if run_id.starts_with(id8))
                })
            })
        });
        let epoch = sentinel.and_then(|s| {
            w.notes().iter().filter(|m| m.pid == s && m.at <= n.at).rev().find_map(|m| {
                match &m.note {
                    Note::Why(Why::SentPromotion { replica, epoch }) if *replica == node => {
                        Some(*epoch)
                    }
                    _ => None,
                }
            })
        });
        out.push(Promotion {
            at_ms: ms(n.at),
            node,
            epoch,
            by: sentinel.map_or_else(|| "command".to_string(), |s| w.name(s).to_string()),
        });
    }
    out
}

/// Total time during which two or more servers were up, masters, and accepting writes.
fn split_brain(d: &Deployment, end: Instant) -> u64 {
    let w = &d.world;
    // (time, pid, change): notes say whether the server would accept a write; the runner's
    // lifecycle says whether it was running at all.
    #[derive(Clone, Copy)]
    enum Change {
        Writable(bool),
        Life(Life),
    }
    let mut changes: Vec<(Instant, usize, ProcessId, Change)> = Vec::new();
    for (i, n) in w.notes().iter().enumerate() {
        if let Note::Repl(ReplNote::Writable { writable }) = n.note {
            changes.push((n.at, i, n.pid, Change::Writable(writable)));
        }
    }
    for (i, &(t, pid, life)) in d.lifecycle.iter().enumerate() {
        // At equal times a lifecycle change applies before the notes its restart produces.
        changes.push((t, usize::MAX - d.lifecycle.len() + i, pid, Change::Life(life)));
    }
    changes.sort_by_key(|c| (c.0, if matches!(c.3, Change::Life(_)) { 0 } else { 1 }, c.1));
    let mut state: BTreeMap<ProcessId, (bool, bool, bool)> = BTreeMap::new(); // (alive, running, writable)
    let count = |s: &BTreeMap<ProcessId, (bool, bool, bool)>| {
        s.values().filter(|(a, r, wr)| *a && *r && *wr).count()
    };
    let mut total = 0u64;
    let mut last = Instant::ZERO;
    let redis: BTreeSet<ProcessId> = d.redis.iter().copied().collect();
    for (t, _, pid, change) in changes {
        if !redis.contains(&pid) || t > end {
            continue;
        }
        if count(&state) >= 2 {
            total += (t - last).as_micros();
        }
        last = t;
        let e = state.entry(pid).or_insert((false, true, false));
        match change {
            Change::Writable(v) => e.2 = v,
            Change::Life(Life::Up) => *e = (true, true, false),
            Change::Life(Life::Down) => *e = (false, true, false),
            Change::Life(Life::Paused) => e.1 = false,
            Change::Life(Life::Resumed) => e.1 = true,
        }
    }
    if count(&state) >= 2 {
        total += (end - last).as_micros();
    }
    total / 1000
}

/// For each workload client, the total time from a write that failed or timed out to its next
/// acknowledged write; the largest over clients.
fn unavailable(d: &Deployment, history: &[OpRecord], end: Instant) -> u64 {
    let w = &d.world;
    let mut worst = 0u64;
    for &pid in &d.clients {
        let Some(c) = w.actor(pid).as_client() else { continue };
        let mut total = 0u64;
        let mut down_since: Option<u64> = None;
        for op in history.iter().filter(|o| *o.client == *c.name() && o.op.written().is_some()) {
            match (&op.result, down_since) {
                (OpResult::Ok { .. }, Some(since)) => {
                    total += op.completed_us.saturating_sub(since);
                    down_since = None;
                }
                (OpResult::Ok { .. }, None) => {}
                (_, None) => down_since = Some(op.invoked_us),
                (_, Some(_)) => {}
            }
        }
        if let Some(since) = down_since {
            total += end.as_micros().saturating_sub(since);
        }
        worst = worst.max(total / 1000);
    }
    worst
}

fn check_expectations(scenario: &Scenario, d: &Deployment, out: &Outcome) -> Expectations {
    let e = &scenario.expect;
    let mut failures = Vec::new();
    let promoted: Vec<String> = out
        .promotions
        .iter()
        .map(|p| format!("{} at {}.{:03}s", p.node, p.at_ms / 1000, p.at_ms % 1000))
        .collect();
    if let Some(n) = e.promotions {
        if out.promotions.len() != n as usize {
            failures.push(format!(
                "promotions: expected {n}, got {} [{}]",
                out.promotions.len(),
                promoted.join(", ")
            ));
        }
    }
    if let Some(list) = &e.promoted {
        let got: Vec<&String> = out.promotions.iter().map(|p| &p.node).collect();
        if got.iter().map(|s| s.as_str()).ne(list.iter().map(|s| s.as_str())) {
            failures.push(format!(
                "promoted: expected [{}], got [{}]",
                list.join(", "),
                promoted.join(", ")
            ));
        }
    }
    if let Some(list) = &e.final_master {
        if !out.final_master.as_ref().is_some_and(|m| list.contains(m)) {
            failures.push(format!(
                "final-master: expected {}, got {}",
                list.join(" or "),
                out.final_master.as_deref().unwrap_or("none")
            ));
        }
    }
    for (node, role) in &e.final_roles {
        let got = out.final_roles.get(node);
        if got != Some(role) {
            failures.push(
                format!("final-roles: expected {node} to be {role:?}, it is {got:?}")
                    .to_lowercase(),
            );
        }
    }
    match &e.lost_writes {
        Some(LostWrites::Count(n)) if out.writes.lost != *n => failures.push(format!(
            "lost-writes: expected {n}, got {} [{}]",
            out.writes.lost,
            abridge(&out.writes.lost_keys)
        )),
        Some(LostWrites::Keys(keys)) => {
            let want: BTreeSet<&String> = keys.iter().collect();
            let got: BTreeSet<&String> = out.writes.lost_keys.iter().collect();
            if want != got {
                failures.push(format!(
                    "lost-writes: expected [{}], got [{}]",
                    keys.join(", "),
                    abridge(&out.writes.lost_keys)
                ));
            }
        }
        _ => {}
    }
    for key in &e.lost_keys_include {
        if !out.writes.lost_keys.contains(key) {
            failures.push(format!("lost-keys-include: `{key}` was not lost"));
        }
    }
    let in_order =
        |label: &str, wanted: &[String], on: Option<&str>, failures: &mut Vec<String>| {
            let mut it =
                out.sentinel_events.iter().filter(|ev| on.is_none_or(|s| ev.sentinel == s));
            for (i, want) in wanted.iter().enumerate() {
                if !it.any(|ev| ev.event == *want) {
                    let seen = wanted[..i].join(" ");
                    failures.push(if seen.is_empty() {
                        format!("{label}: `{want}` never happened")
                    } else {
                        format!("{label}: `{want}` did not happen after `{seen}`")
                    });
                    break;
                }
            }
        };
    in_order("events", &e.events, None, &mut failures);
    for (sentinel, wanted) in &e.events_on {
        in_order(&format!("events-on {sentinel}"), wanted, Some(sentinel), &mut failures);
    }
    for no in &e.no_events {
        if let Some(ev) = out.sentinel_events.iter().find(|ev| ev.event == *no) {
            failures.push(format!(
                "no-events: `{no}` happened on {} at {}.{:03}s ({})",
                ev.sentinel,
                ev.at_ms / 1000,
                ev.at_ms % 1000,
                ev.detail
            ));
        }
    }
    for g in &e.get {
        let node = match &g.on {
            Some(n) => Some(n.clone()),
            None => out.final_master.clone(),
        };
        let shown =
            |v: &Option<String>| v.as_ref().map_or("(nil)".to_string(), |s| format!("\"{s}\""));
        let Some(node) = node else {
            failures.push(format!("get {}: there is no final master", g.key));
            continue;
        };
        let pid = d.redis.iter().copied().find(|&p| d.world.name(p) == node);
        let server = pid.and_then(|p| d.world.actor(p).as_server());
        match server.filter(|s| s.is_up()) {
            None => failures.push(format!("get {} on {node}: the server is down", g.key)),
            Some(s) => {
                let got = s.get(&g.key).map(str::to_string);
                if got != g.value {
                    failures.push(format!(
                        "get {} on {node}: expected {}, got {}",
                        g.key,
                        shown(&g.value),
                        shown(&got)
                    ));
                }
            }
        }
    }
    for inv in &e.invariants {
        failures.extend(inv.violation(scenario, d, out));
    }
    for inv in &e.violates {
        if inv.violation(scenario, d, out).is_none() {
            failures.push(format!("violates: `{}` held", inv.name()));
        }
    }
    Expectations { passed: failures.is_empty(), failures }
}

/// The property a failure line is about: its first word (`lost-writes`, `get`, `converges`, ...).
pub fn property(failure: &str) -> &str {
    failure.split([' ', ':']).next().unwrap_or(failure)
}

fn abridge(keys: &[String]) -> String {
    if keys.len() <= 8 {
        keys.join(", ")
    } else {
        format!("{}, ... {} more", keys[..8].join(", "), keys.len() - 8)
    }
}
