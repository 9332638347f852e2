//! Outcomes, computed from outside the actors: from the history the clients recorded, the notes
//! the servers and sentinels wrote, the faults the runner applied, and the final datasets.
//! Definitions follow `reference/scenario-format.md` ("The outcome report").

use crate::outcome::{ClientOutcome, Expectations, Outcome, Promotion, SentinelEvent, Writes};
use crate::run::{Deployment, Life};
use crate::scenario::{Role, Scenario};
use model::observe::Note;
use model::observe::ReplNote;
use model::observe::Why;
use model::observe::{OpRecord, OpResult};
use sim::{Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

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
    sort_history(&mut history);

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
    let groups = crate::masters::groups(scenario);
    let final_master = if groups.len() > 1 { None } else { final_master(d, &final_roles, None) };

    // Writes.
    let master_data = final_master
        .as_ref()
        .and_then(|m| d.redis.iter().find(|&&p| name(p) == *m).and_then(|&p| server(p).data()));
    let writes = count_writes(&history, |key| match master_data {
        Some(data) => data.contains_key(key),
        None => d.redis.iter().any(|&p| server(p).get(key).is_some()),
    });

    let sentinel_set: BTreeSet<ProcessId> = d.sentinels.iter().copied().collect();
    let sentinel_events: Vec<SentinelEvent> = w
        .notes()
        .iter()
        .filter(|n| sentinel_set.contains(&n.pid))
        .filter_map(|n| match &n.note {
            // The default `loglevel notice` does not write verbose events (`+role-change`).
            Note::Log { event: Some(e), text, level, .. }
                if *level >= model::observe::Level::Notice =>
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
    let all: BTreeSet<ProcessId> = d.redis.iter().copied().collect();
    let split_brain_ms = split_brain(d, &all, end);
    let clients = clients(d, &history, end);
    let unavailable_ms = clients.values().map(|c| c.unavailable_ms).max().unwrap_or(0);

    let masters = if groups.len() > 1 {
        crate::masters::outcomes(scenario, d, &final_roles, &history, &promotions, &clients, end)
    } else {
        BTreeMap::new()
    };
    // With several masters, the writes are each master's, counted against its own final master.
    let writes = if masters.is_empty() { writes } else { crate::masters::total(&masters) };
    let split_brain_ms = masters.values().map(|m| m.split_brain_ms).max().unwrap_or(split_brain_ms);
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
        clients,
        masters,
        sentinel_events,
        expectations: Expectations::default(),
        warnings: d.warnings.clone(),
        faults: scenario.schedule.iter().map(|f| crate::scenario::describe(scenario, f)).collect(),
        history,
    };
    out.expectations = crate::expectations::check(scenario, d, &out);
    out
}

/// The history's order: by invocation time, then client name and sequence number.
pub fn sort_history(history: &mut [OpRecord]) {
    history.sort_by(|a, b| (a.invoked_us, &a.client, a.seq).cmp(&(b.invoked_us, &b.client, b.seq)));
}

/// The writes of `history` counted by their fate; `present(key)` says whether an acknowledged
/// write's key survived (on the final master, or on some live node when there is none).
pub fn count_writes(history: &[OpRecord], present: impl Fn(&str) -> bool) -> Writes {
    let mut writes = Writes::default();
    // Lost keys in the order first seen; the set only answers "seen already?".
    let mut lost_seen: BTreeSet<&str> = BTreeSet::new();
    for op in history {
        let Some((key, _)) = op.op.written() else { continue };
        match &op.result {
            OpResult::Ok { .. } => {
                writes.acked += 1;
                if !present(key) && lost_seen.insert(key) {
                    writes.lost_keys.push(key.to_string());
                }
            }
            OpResult::Error { .. } => writes.failed += 1,
            OpResult::Timeout | OpResult::Lost { .. } => writes.indeterminate += 1,
        }
    }
    writes.lost = writes.lost_keys.len() as u64;
    writes
}

/// "The node that most sentinels name as master at the end (ties: the highest config epoch); with
/// no sentinels, the only node whose role is master." `views` holds each sentinel's
/// (master address, config epoch), for those that name one.
pub fn most_named(
    sentinels: usize,
    views: impl IntoIterator<Item = (String, u64)>,
    roles: &BTreeMap<String, Role>,
) -> Option<String> {
    if sentinels == 0 {
        let masters: Vec<&String> =
            roles.iter().filter(|(_, r)| **r == Role::Master).map(|(n, _)| n).collect();
        return (masters.len() == 1).then(|| masters[0].clone());
    }
    let mut votes: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for (addr, config_epoch) in views {
        let e = votes.entry(addr).or_insert((0, 0));
        e.0 += 1;
        e.1 = e.1.max(config_epoch);
    }
    votes
        .into_iter()
        .max_by_key(|(addr, (n, epoch))| (*n, *epoch, std::cmp::Reverse(addr.clone())))
        .map(|(a, _)| a)
}

/// The final master of the master named `name` (`None`: the sentinels' only one); `roles` are
/// the servers of that master's group.
pub(crate) fn final_master(
    d: &Deployment,
    roles: &BTreeMap<String, Role>,
    name: Option<&str>,
) -> Option<String> {
    let views = d.sentinels.iter().filter_map(|&pid| {
        let s = d.world.actor(pid).as_sentinel()?;
        let v = match name {
            Some(n) => s.master_view_of(n),
            None => s.master_view(),
        };
        v.map(|v| (v.addr, v.config_epoch))
    });
    most_named(d.sentinels.len(), views, roles)
}

pub(crate) fn promotions(d: &Deployment) -> Vec<Promotion> {
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

/// Total time during which two or more servers of `redis` were up, masters, and accepting writes.
pub(crate) fn split_brain(d: &Deployment, redis: &BTreeSet<ProcessId>, end: Instant) -> u64 {
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

/// Per workload client, its unavailability and write latency ([`crate::availability`]).
fn clients(d: &Deployment, history: &[OpRecord], end: Instant) -> BTreeMap<String, ClientOutcome> {
    let w = &d.world;
    d.clients
        .iter()
        .filter_map(|&pid| w.actor(pid).as_client())
        .map(|c| {
            let writes: Vec<&OpRecord> = history
                .iter()
                .filter(|o| *o.client == *c.name() && o.op.written().is_some())
                .collect();
            (c.name().to_string(), crate::availability::client(&writes, end.as_micros()))
        })
        .collect()
}
