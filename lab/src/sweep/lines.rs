//! `redsim sweep --json`: one line per cell, then the shard line of `explore` (its `seeds` range
//! numbers the cells, its `grid` names the fault grid), so `redsim sweep --merge` checks and
//! merges shards with `explore`'s merge.

use super::space::Space;
use super::{CellResult, SweepSummary};
use crate::explore::shard::{FORMAT, LinesDigest, Shard, ShardInfo, shard_line};
use crate::scenario::Scenario;

/// The cell ids shard `shard` of `space` runs, ascending.
pub fn shard_cells(space: &Space, shard: Shard) -> Vec<u64> {
    shard.iter(&(0..space.cell_count())).collect()
}

/// The cell lines and the shard line of a run of `shard` of `space` on `s`.
pub fn json_lines(
    s: &Scenario,
    space: &Space,
    shard: Shard,
    results: &[CellResult],
) -> Vec<String> {
    let mut digest = LinesDigest::default();
    let mut lines: Vec<String> = results
        .iter()
        .map(|r| serde_json::to_string(r).expect("a cell result serialises"))
        .collect();
    lines.iter().for_each(|l| digest.add(l));
    let info = ShardInfo {
        format: FORMAT,
        scenario: s.name.clone(),
        scenario_digest: s.digest(),
        seeds: 0..space.cell_count(),
        index: shard.index,
        count: shard.count,
        seed_count: results.len() as u64,
        lines_digest: digest.hex(),
        partial: false,
        grid: Some(space.describe()),
    };
    lines.push(shard_line(&info, &SweepSummary::of(results)));
    lines
}
