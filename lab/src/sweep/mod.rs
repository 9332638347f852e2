//! `redsim sweep`: the whole fault space of a deployment instead of random schedules. [`space`]
//! enumerates the faults, durations and phases and numbers the cells (one run each); [`cell`]
//! makes a cell's scenario (and its standalone file); each cell runs in its own world on the
//! threads of [`crate::explore::run_parallel`] and is measured as an explore seed is
//! ([`crate::explore::seed_result`]). [`lines`] writes the `--json` lines and shard line that
//! `explore`'s merge checks; [`table`] and [`thresholds`] are the output for people,
//! [`compare`] puts two deployments side by side.

pub mod cell;
pub mod compare;
pub mod heatmap;
pub mod lines;
pub mod space;
pub mod table;
pub mod thresholds;

use crate::check;
use crate::explore::merge::ShardItem;
use crate::explore::seed_result;
use crate::outcome::Outcome;
use crate::run::Deployment;
use crate::scenario::{Invariant, Scenario};
use serde::{Deserialize, Serialize};
use space::{Cell, Space};
use std::collections::BTreeMap;

/// What one cell did: one line of `redsim sweep --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellResult {
    /// The cell's number.
    pub cell: u64,
    /// Its family (`kill`, `pause`, `isolate`, `partition`, `oneway`, or `pair`).
    pub family: String,
    /// The fault without its time: `isolate 10.162.29.37 (master's host)`; a pair: `A, then B`.
    pub fault: String,
    /// How long each fault lasts.
    pub duration_ms: u64,
    /// The start phase (index).
    pub phase: usize,
    /// The phase's seed.
    pub seed: u64,
    /// When the (first) fault starts.
    pub start_ms: u64,
    /// Promotions (replicas that ran `REPLICAOF NO ONE`).
    pub failovers: u64,
    /// Acknowledged writes absent from the final master.
    pub lost: u64,
    /// Acknowledged writes.
    pub acked: u64,
    /// The longest stretch over which one server acknowledged only writes that were lost.
    pub lost_window_ms: u64,
    /// Time with two or more writable masters.
    pub split_brain_ms: u64,
    /// The longest unavailability a client saw.
    pub unavailable_ms: u64,
    /// Each workload client's unavailability, by name.
    pub unavailable_per_client: BTreeMap<String, u64>,
    /// The `converges` invariant held.
    pub converged: bool,
    /// The built-in invariants that failed, one line each.
    pub failures: Vec<String>,
    /// The master most sentinels name at the end.
    pub final_master: Option<String>,
    /// The command that reproduces this cell (a `redsim run` of its scenario).
    pub reproduce: String,
}

impl CellResult {
    /// A failover happened.
    pub fn failed_over(&self) -> bool {
        self.failovers > 0
    }
}

/// A cell's place and names, known before it runs.
fn label(space: &Space, cell: &Cell) -> (String, String) {
    let names: Vec<&str> = cell.faults.iter().map(|&f| space.faults[f].name.as_str()).collect();
    match names.as_slice() {
        [one] => (space.faults[cell.faults[0]].kind.name().to_string(), one.to_string()),
        _ => ("pair".to_string(), format!("{}, then {} after {}", names[0], names[1], cell.offset)),
    }
}

/// Runs `cell` of `space` on `s`; `reproduce` is the command line that reruns it.
pub fn run_cell(s: &Scenario, space: &Space, cell: &Cell, reproduce: String) -> CellResult {
    run_cell_then(s, space, cell, reproduce, &|_, _, _| ()).0
}

/// [`run_cell`], and `then` of the finished run (its scenario, deployment and outcome).
pub fn run_cell_then<T>(
    s: &Scenario,
    space: &Space,
    cell: &Cell,
    reproduce: String,
    then: &dyn Fn(&Scenario, &Deployment, &Outcome) -> T,
) -> (CellResult, T) {
    let run = cell::cell_scenario(s, space, cell);
    let mut d = Deployment::build(&run, run.seed);
    d.run(&run);
    let out = check::outcome(&run, run.seed, &d);
    let extra = then(&run, &d, &out);
    let r = seed_result(run.seed, &run, &out);
    let (family, fault) = label(space, cell);
    let converges = Invariant::Converges.name();
    let result = CellResult {
        cell: cell.id,
        family,
        fault,
        duration_ms: space.durations[cell.duration].length.as_millis(),
        phase: cell.phase,
        seed: run.seed,
        start_ms: space.phases[cell.phase].start.as_millis(),
        failovers: r.promotions,
        lost: r.writes.lost,
        acked: r.writes.acked,
        lost_window_ms: r.lost_window_ms,
        split_brain_ms: r.split_brain_ms,
        unavailable_ms: r.unavailable_ms,
        unavailable_per_client: out
            .clients
            .iter()
            .map(|(name, c)| (name.clone(), c.unavailable_ms))
            .collect(),
        converged: !r.failures.iter().any(|f| crate::expectations::property(f) == converges),
        failures: r.failures,
        final_master: r.final_master,
        reproduce,
    };
    (result, extra)
}

/// Distributions and counts over a sweep's cells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// Cells run.
    pub cells: usize,
    /// Cells with a failover.
    pub failed_over: usize,
    /// Cells that lost acknowledged writes.
    pub lost_writes: usize,
    /// Cells with split brain.
    pub split_brain: usize,
    /// Cells whose deployment did not converge.
    pub not_converged: usize,
    /// Lost writes per cell.
    pub lost: crate::explore::summary::Distribution,
    /// Unavailability per cell (ms).
    pub unavailable_ms: crate::explore::summary::Distribution,
    /// Each failed invariant and the cells that fail it.
    pub failures: BTreeMap<String, Vec<u64>>,
    /// The cell that lost the most writes (the first such), if one lost any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<u64>,
}

impl SweepSummary {
    /// The summary of `cells`.
    pub fn of(cells: &[CellResult]) -> SweepSummary {
        use crate::explore::summary::Distribution;
        let count = |f: &dyn Fn(&CellResult) -> bool| cells.iter().filter(|c| f(c)).count();
        let mut failures: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for c in cells {
            let mut props: Vec<&str> =
                c.failures.iter().map(|f| crate::expectations::property(f)).collect();
            props.dedup();
            for p in props {
                failures.entry(p.to_string()).or_default().push(c.cell);
            }
        }
        let worst = cells.iter().filter(|c| c.lost > 0).max_by_key(|c| (c.lost, u64::MAX - c.cell));
        SweepSummary {
            cells: cells.len(),
            failed_over: count(&|c| c.failed_over()),
            lost_writes: count(&|c| c.lost > 0),
            split_brain: count(&|c| c.split_brain_ms > 0),
            not_converged: count(&|c| !c.converged),
            lost: Distribution::of(cells.iter().map(|c| c.lost).collect()),
            unavailable_ms: Distribution::of(cells.iter().map(|c| c.unavailable_ms).collect()),
            failures,
            worst: worst.map(|c| c.cell),
        }
    }
}

impl ShardItem for CellResult {
    const COMMAND: &'static str = "redsim sweep --json";
    fn key(&self) -> u64 {
        self.cell
    }
    fn summary(items: &[Self]) -> serde_json::Value {
        serde_json::to_value(SweepSummary::of(items)).expect("a summary serialises")
    }
}
