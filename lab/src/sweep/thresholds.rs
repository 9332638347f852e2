//! Thresholds in words: for each single fault whose failover changes along the duration grid
//! (no phase fails over up to one grid duration, some phase does at the next), the length at
//! which each phase starts to fail over, found by bisecting between those two grid durations to
//! [`PRECISION_MS`], and the most writes lost from there on.

use super::CellResult;
use super::space::{Cell, GridDuration, Space};
use super::table::Over;
use crate::scenario::Scenario;
use sim::Duration;
use std::collections::BTreeMap;

/// How close the bisection gets to the threshold.
pub const PRECISION_MS: u64 = 100;

/// A bisection to run: a fault, a phase, and the grid durations around the change.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    fault: usize,
    phase: usize,
    lo_ms: u64,
    hi_ms: u64,
}

/// Where failover changes on the grid: one task per (fault, phase) whose phase does not fail
/// over at the shortest grid durations and does at a longer one (`over` selects the faults whose
/// shortest duration fails over in no phase).
pub fn tasks(
    space: &Space,
    over: &[Vec<Over>],
    cells: &[Cell],
    results: &[CellResult],
) -> Vec<Task> {
    let mut failed: BTreeMap<(usize, usize), Vec<(u64, bool)>> = BTreeMap::new();
    for (c, r) in cells.iter().zip(results) {
        if let [f] = c.faults.as_slice() {
            let d = space.durations[c.duration].length.as_millis();
            failed.entry((*f, c.phase)).or_default().push((d, r.failed_over()));
        }
    }
    let mut out = Vec::new();
    for ((fault, phase), mut row) in failed {
        if over[fault].first().is_none_or(|o| o.failed_over > 0 || o.runs == 0) {
            continue;
        }
        row.sort_unstable();
        if let Some(k) = row.iter().position(|p| p.1)
            && k > 0
            && row.len() == space.durations.len()
        {
            out.push(Task { fault, phase, lo_ms: row[k - 1].0, hi_ms: row[k].0 });
        }
    }
    out
}

/// The cell of `task` with length `ms`, as a one-duration space.
fn probe(s: &Scenario, space: &Space, task: &Task, ms: u64) -> CellResult {
    let one = Space {
        durations: vec![GridDuration { length: Duration::from_millis(ms), from: "bisect".into() }],
        ..space.clone()
    };
    let cell = Cell {
        id: 0,
        faults: vec![task.fault],
        offset: Duration::ZERO,
        duration: 0,
        phase: task.phase,
    };
    super::run_cell(s, &one, &cell, String::new())
}

/// What one bisection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// The longest length tried that did not fail over.
    pub lo_ms: u64,
    /// The shortest length tried that failed over.
    pub hi_ms: u64,
    /// Writes lost by the run at `hi_ms` (0 when that was the grid's own run).
    pub lost: u64,
    /// Runs made.
    pub runs: usize,
}

/// Bisects one task down to [`PRECISION_MS`].
pub fn bisect(s: &Scenario, space: &Space, task: &Task) -> Found {
    let (mut lo, mut hi) = (task.lo_ms, task.hi_ms);
    let mut lost = 0;
    let mut runs = 0;
    while hi - lo > PRECISION_MS {
        let mid = (lo + (hi - lo) / 2) / PRECISION_MS * PRECISION_MS;
        let mid = mid.clamp(lo + 1, hi - 1);
        let r = probe(s, space, task, mid);
        runs += 1;
        if r.failed_over() {
            hi = mid;
            lost = r.lost;
        } else {
            lo = mid;
        }
    }
    Found { lo_ms: lo, hi_ms: hi, lost, runs }
}

/// One fault's threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Index into the space's faults.
    pub fault: usize,
    /// No phase failed over at this length or shorter (on the grid and in the bisection).
    pub never_up_to_ms: u64,
    /// Every phase that fails over on the grid failed over at this length (in the bisection).
    pub from_ms: u64,
    /// Phases that started failing over (the others never did on the grid).
    pub phases: usize,
    /// Every longer grid duration failed over in every phase too.
    pub every_longer: bool,
    /// The most acknowledged writes lost by a run that failed over, from the threshold on.
    pub lost: u64,
}

/// The thresholds from the bisections (`found[i]` is the [`bisect`] of `tasks[i]`) and the grid.
pub fn thresholds(
    space: &Space,
    over: &[Vec<Over>],
    tasks: &[Task],
    found: &[Found],
) -> Vec<Threshold> {
    let mut out: Vec<Threshold> = Vec::new();
    for (t, f) in tasks.iter().zip(found) {
        let row = &over[t.fault];
        let after: Vec<&Over> = space
            .durations
            .iter()
            .zip(row)
            .filter(|(d, _)| d.length.as_millis() >= t.hi_ms)
            .map(|(_, o)| o)
            .collect();
        let grid_lost = after.iter().filter(|o| o.failed_over > 0).map(|o| o.lost).max();
        match out.last_mut() {
            Some(th) if th.fault == t.fault => {
                th.never_up_to_ms = th.never_up_to_ms.min(f.lo_ms);
                th.from_ms = th.from_ms.max(f.hi_ms);
                th.lost = th.lost.max(f.lost);
                th.phases += 1;
            }
            _ => out.push(Threshold {
                fault: t.fault,
                never_up_to_ms: f.lo_ms,
                from_ms: f.hi_ms,
                phases: 1,
                every_longer: after.iter().all(|o| o.failed_over == o.runs),
                lost: f.lost.max(grid_lost.unwrap_or(0)),
            }),
        }
    }
    out
}

/// `isolate 10.162.29.37 (master's host): up to 5.1s it never fails over; from 5.2s it does in
/// every phase (and at every longer duration); failing over, it loses up to 12 acknowledged
/// writes.`
pub fn sentence(space: &Space, t: &Threshold) -> String {
    let name = &space.faults[t.fault].name;
    let which = if t.phases == space.phases.len() {
        "every phase".to_string()
    } else {
        format!("{} of the {} phases (the others never do)", t.phases, space.phases.len())
    };
    let every = if t.every_longer { " (and at every longer duration)" } else { "" };
    let lost = match t.lost {
        0 => "no acknowledged write".to_string(),
        1 => "up to 1 acknowledged write".to_string(),
        n => format!("up to {n} acknowledged writes"),
    };
    format!(
        "{name}: up to {} it never fails over; from {} it does in {which}{every}; failing over, \
         it loses {lost}",
        Duration::from_millis(t.never_up_to_ms),
        Duration::from_millis(t.from_ms)
    )
}
