//! Outcomes, computed from outside the actors: from the history the clients recorded, the notes
//! the servers and sentinels wrote, the faults the runner applied, and the final datasets.
//! Definitions follow `reference/scenario-format.md` ("The outcome report").

use crate::outcome::{ClientOutcome, Expectations, Outcome, Promotion, SentinelEvent};
use crate::run::Deployment;
use crate::scenario::{Role, Scenario};
use model::observe::Note;
use model::observe::OpRecord;
use model::observe::ReplNote;
use model::observe::Why;
use sim::{Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::tally::{count_writes, most_named};
use crate::tally::{final_master, split_brain};

fn ms(t: Instant) -> u64 {
    t.as_millis()
}

/// Computes the outcome of a finished run (its history a copy of the records in the notes).
pub fn outcome(scenario: &Scenario, seed: u64, d: &Deployment) -> Outcome {
    let history = d
        .world
        .notes()
        .iter()
        .filter_map(|n| match &n.note {
            Note::Op(op) => Some(op.clone()),
            _ => None,
        })
        .collect();
    outcome_of(scenario, seed, d, history)
}

/// [`outcome`] for a run whose operation records nothing reads from the world's notes afterwards
/// (`explore`, `bench`, a `run` with no HTML or explanation): moves them out of the notes into the
/// outcome instead of copying them, so a long run holds its history once. The outcome is the same.
pub fn outcome_taking(scenario: &Scenario, seed: u64, d: &mut Deployment) -> Outcome {
    let history = d.world.take_notes_where(
        |note| matches!(note, Note::Op(_)),
        |note| match note {
            Note::Op(op) => Some(op),
            _ => None,
        },
    );
    outcome_of(scenario, seed, d, history)
}

/// The outcome of `d`, whose operations (those in flight at the end were noted as indeterminate)
/// are `history`, in the notes' order.
fn outcome_of(
    scenario: &Scenario,
    seed: u64,
    d: &Deployment,
    mut history: Vec<OpRecord>,
) -> Outcome {
    let w = &d.world;
    let name = |pid: ProcessId| w.name(pid).to_string();
    let end = w.now();
    let server = |pid: ProcessId| w.actor(pid).as_server().expect("a redis process");
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
    let several = crate::masters::several(scenario);
    let final_master = if several { None } else { final_master(d, &final_roles, None) };

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

    let masters = if several {
        crate::masters::outcomes(scenario, d, &final_roles, &history, &promotions, &clients, end)
    } else {
        BTreeMap::new()
    };
    // With several masters, the writes are each master's, counted against its own final master.
    let writes = if masters.is_empty() {
        writes
    } else {
        let rest = crate::masters::of_no_master(scenario, &history);
        let rest = count_writes(&rest, |key| d.redis.iter().any(|&p| server(p).get(key).is_some()));
        crate::masters::total(&masters, rest)
    };
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
/// Records arrive in completion order, which is already this order when no two operations
/// overlap (one client): then nothing is sorted, and no scratch half the history's size allocated.
pub fn sort_history(history: &mut [OpRecord]) {
    let order = |a: &OpRecord, b: &OpRecord| {
        (a.invoked_us, &a.client, a.seq).cmp(&(b.invoked_us, &b.client, b.seq))
    };
    if !history.is_sorted_by(|a, b| order(a, b).is_le()) {
        history.sort_by(order);
    }
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
