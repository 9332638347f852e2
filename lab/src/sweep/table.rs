//! The sweep for people: one table per fault family (rows: faults, columns: durations; a cell:
//! the most acknowledged writes lost over the phases and whether it failed over), then the
//! totals and the worst cell with the command that reproduces it.

use super::space::{FAMILIES, Space};
use super::{CellResult, SweepSummary};
use crate::paint::Paint;
use crate::text::secs;
use std::fmt::Write;

/// What the cells of one (fault, duration) did over the phases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Over {
    /// Phases run.
    pub runs: usize,
    /// Phases that failed over.
    pub failed_over: usize,
    /// The most writes lost in one phase.
    pub lost: u64,
    /// Phases with an invariant failure.
    pub broken: usize,
}

impl Over {
    /// Adds one phase.
    pub fn add(&mut self, c: &CellResult) {
        self.runs += 1;
        self.failed_over += usize::from(c.failed_over());
        self.lost = self.lost.max(c.lost);
        self.broken += usize::from(!c.failures.is_empty());
    }

    /// `F12`, `f0`, `0`, `F3!`: F failed over in every phase, f in some; ! an invariant failed.
    pub fn text(&self) -> String {
        let mark = match self.failed_over {
            0 => "",
            n if n == self.runs => "F",
            _ => "f",
        };
        let bang = if self.broken > 0 { "!" } else { "" };
        format!("{mark}{}{bang}", self.lost)
    }
}

/// `over[fault][duration]`, over the phases of the single-fault cells in `results`.
pub fn grid(space: &Space, results: &[CellResult], cells: &[super::space::Cell]) -> Vec<Vec<Over>> {
    let mut over = vec![vec![Over::default(); space.durations.len()]; space.faults.len()];
    for (cell, r) in cells.iter().zip(results) {
        if let [f] = cell.faults.as_slice() {
            over[*f][cell.duration].add(r);
        }
    }
    over
}

/// One table per fault family with a row in `rows` (rows: faults; columns: the durations, each
/// `col` wide; a cell: `cell(fault, duration index)`, already padded to `col`).
pub(super) fn family_tables(
    space: &Space,
    col: usize,
    row: impl Fn(usize) -> bool,
    mut cell: impl FnMut(usize, usize) -> String,
) -> String {
    let mut s = String::new();
    let width = space.faults.iter().map(|f| f.name.len()).max().unwrap_or(5).max(5);
    for family in FAMILIES {
        let rows: Vec<usize> =
            (0..space.faults.len()).filter(|&f| space.faults[f].kind == family && row(f)).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{} ({} faults)", family.name(), rows.len());
        let _ = write!(s, "  {:<width$}", "");
        for d in &space.durations {
            let _ = write!(s, " {:>col$}", d.length.to_string());
        }
        let _ = writeln!(s);
        for f in rows {
            let _ = write!(s, "  {:<width$}", space.faults[f].name);
            for d in 0..space.durations.len() {
                let _ = write!(s, " {}", cell(f, d));
            }
            let _ = writeln!(s);
        }
    }
    s
}

/// The tables, one per family present in the results.
pub fn render_tables(space: &Space, over: &[Vec<Over>], paint: Paint) -> String {
    family_tables(
        space,
        7,
        |f| over[f].iter().any(|o| o.runs > 0),
        |f, d| {
            let o = &over[f][d];
            let t = format!("{:>7}", o.text());
            if o.lost > 0 || o.broken > 0 { paint.bad(&t) } else { t }
        },
    )
}

/// The totals and the worst cell.
pub fn render_summary(sum: &SweepSummary, results: &[CellResult], paint: Paint) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} cells: {} failed over, {} lost acknowledged writes (at most {}), {} split brain, {} \
         did not converge",
        sum.cells,
        sum.failed_over,
        paint.bad_if(sum.lost_writes > 0, &sum.lost_writes.to_string()),
        sum.lost.max,
        sum.split_brain,
        paint.bad_if(sum.not_converged > 0, &sum.not_converged.to_string())
    );
    let _ = writeln!(
        s,
        "unavailability per cell: median {}, max {}",
        secs(sum.unavailable_ms.median),
        secs(sum.unavailable_ms.max)
    );
    for (prop, cells) in &sum.failures {
        let shown: Vec<String> = cells.iter().take(8).map(u64::to_string).collect();
        let more = if cells.len() > 8 { " ..." } else { "" };
        let _ =
            writeln!(s, "{}: {} cells ({}{more})", paint.bad(prop), cells.len(), shown.join(", "));
    }
    if let Some(w) = sum.worst.and_then(|id| results.iter().find(|c| c.cell == id)) {
        let _ = writeln!(
            s,
            "worst: cell {}, {} for {} (phase {}): {} of {} acknowledged writes lost, lost-write \
             window {}, split brain {}\n  reproduce: {}",
            w.cell,
            w.fault,
            secs(w.duration_ms),
            w.phase,
            w.lost,
            w.acked,
            secs(w.lost_window_ms),
            secs(w.split_brain_ms),
            w.reproduce
        );
    }
    s
}
