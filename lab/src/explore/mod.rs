//! `redsim explore`: one scenario over many seeds. Each seed draws its own fault schedule from the
//! scenario's `[explore]` space ([`schedule`]), runs in its own single-threaded world, and is
//! checked against the scenario's expectations and the built-in invariants
//! ([`crate::invariants`]). Seeds run in parallel across threads; results are ordered by seed, so
//! they do not depend on the number of threads. [`summary`] turns the per-seed results into
//! distributions; [`shard`] splits a range over machines and describes each shard's output, and
//! [`merge`] checks and merges those outputs.

pub mod merge;
pub mod shard;
pub mod summary;

use crate::outcome::Outcome;
use crate::scenario::{Scenario, describe};
use model::observe::{OpRecord, OpResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The write counts of one seed (the run report's `writes`, without the keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteCounts {
    /// Acknowledged with OK.
    pub acked: u64,
    /// Refused or never sent.
    pub failed: u64,
    /// Timed out or cut off.
    pub indeterminate: u64,
    /// Acknowledged and absent from the final master.
    pub lost: u64,
}

/// What one seed did: one line of `redsim explore --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Every expectation and invariant held.
    pub passed: bool,
    /// The expectations and invariants that failed, one line each.
    pub failures: Vec<String>,
    /// The faults drawn, one line each (`20.512s isolate 10.162.29.37 for 7.250s`).
    pub faults: Vec<String>,
    /// Promotions (replicas that ran `REPLICAOF NO ONE`).
    pub promotions: u64,
    /// The final master.
    pub final_master: Option<String>,
    /// Client writes.
    pub writes: WriteCounts,
    /// The longest stretch of time over which one server acknowledged writes that were all lost
    /// (first to last acknowledgement of consecutive lost writes).
    pub lost_window_ms: u64,
    /// Time with two or more writable masters.
    pub split_brain_ms: u64,
    /// The longest total unavailability a client saw.
    pub unavailable_ms: u64,
    /// From the start of the first fault to the first `+switch-master` after it.
    pub switch_ms: Option<u64>,
}

/// The longest stretch over which one server acknowledged only writes that were then lost.
pub fn lost_window_ms(outcome: &Outcome) -> u64 {
    // No lost key: no stretch to measure (and no history to sort, the common case).
    if outcome.writes.lost_keys.is_empty() {
        return 0;
    }
    let lost: std::collections::BTreeSet<&str> =
        outcome.writes.lost_keys.iter().map(String::as_str).collect();
    let mut by_node: BTreeMap<&str, Vec<&OpRecord>> = BTreeMap::new();
    for op in &outcome.history {
        if let (Some(_), OpResult::Ok { .. }, Some(node)) = (op.op.written(), &op.result, &op.node)
        {
            by_node.entry(node).or_default().push(op);
        }
    }
    let mut worst = 0;
    for ops in by_node.values_mut() {
        ops.sort_by_key(|o| o.completed_us);
        let mut first: Option<u64> = None;
        for op in ops.iter() {
            let key = op.op.written().map(|(k, _)| k).unwrap_or_default();
            if lost.contains(key) {
                let start = *first.get_or_insert(op.completed_us);
                worst = worst.max((op.completed_us - start) / 1000);
            } else {
                first = None;
            }
        }
    }
    worst
}

/// Runs seed `seed` of `scenario` and checks it.
pub fn run_seed(scenario: &Scenario, seed: u64) -> SeedResult {
    let (seeded, _, out) = crate::simulate::simulate_lean(scenario, seed);
    seed_result(seed, &seeded, &out)
}

/// What the run of `seeded` (a scenario with its faults among its events) with `seed` did.
pub fn seed_result(seed: u64, seeded: &Scenario, out: &Outcome) -> SeedResult {
    let first_fault = seeded.events.first().map(|e| e.at.as_millis());
    let switch_ms = first_fault.and_then(|t0| {
        out.sentinel_events
            .iter()
            .find(|e| e.event == "+switch-master" && e.at_ms >= t0)
            .map(|e| e.at_ms - t0)
    });
    SeedResult {
        seed,
        passed: out.expectations.passed,
        failures: out.expectations.failures.clone(),
        faults: seeded.schedule.iter().map(|f| describe(seeded, f)).collect(),
        promotions: out.promotions.len() as u64,
        final_master: out.final_master.clone(),
        writes: WriteCounts {
            acked: out.writes.acked,
            failed: out.writes.failed,
            indeterminate: out.writes.indeterminate,
            lost: out.writes.lost,
        },
        lost_window_ms: lost_window_ms(out),
        split_brain_ms: out.split_brain_ms,
        unavailable_ms: out.unavailable_ms,
        switch_ms,
    }
}

/// Runs every seed of `seeds` on `jobs` threads (each world stays on one thread) and returns the
/// results in the order of `seeds`. `progress` is called with the number of seeds done so far.
pub fn run_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<SeedResult> {
    run_parallel(seeds, jobs, progress, &|&seed| run_seed(scenario, seed))
}

/// `run` on every item of `items`, on `jobs` threads (each call stays on one thread), the results
/// in the order of `items` whatever the number of threads. `progress` is called with the number of
/// items done so far.
pub fn run_parallel<T: Sync, R: Send + Clone>(
    items: &[T],
    jobs: usize,
    progress: &(dyn Fn(usize) + Sync),
    run: &(dyn Fn(&T) -> R + Sync),
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(vec![None; items.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = run(item);
                    results.lock().expect("no worker panicked")[i] = Some(r);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}
