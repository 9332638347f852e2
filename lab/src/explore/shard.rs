//! Which seeds a run covers, and the self-describing output that lets shards be merged safely.
//!
//! A seed range is `A..B` (B excluded) or a bare `N`, meaning `0..N`. Shard `i` of `n` runs the
//! seeds whose position in the range is `i` modulo `n`. `redsim explore --json` writes one line
//! per seed, then one [`ShardInfo`] line: `{"shard": {...}, "summary": {...}}`. The shard part
//! names the scenario (its name and the digest of its text), the range, `i/n`, how many seed
//! lines precede it and a digest of their bytes, so [`super::merge`] can refuse a shard of
//! another scenario or range, a shard given twice, a missing one, and a file whose lines were
//! cut, deleted or edited. Nothing in it depends on the wall clock, the number of threads or the
//! path the scenario was given by.

use super::SeedResult;
use super::summary::Summary;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Seeds one invocation runs at most (ask for more through shards).
pub const MAX_SEEDS: u64 = 10_000_000;

/// The version of the shard line; a merge refuses any other.
pub const FORMAT: u32 = 1;

/// `A..B` (B excluded) or `N` (meaning `0..N`): the seed syntax of `explore` and `bench`.
pub fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("`{s}`: write A..B (B excluded), or N for 0..N");
    let num = |v: &str| v.trim().parse::<u64>().map_err(|_| bad());
    let range = match s.split_once("..") {
        Some((a, b)) => num(a)?..num(b)?,
        None => 0..num(s)?,
    };
    if range.start >= range.end {
        return Err(format!("`{s}` holds no seed"));
    }
    Ok(range)
}

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards the range is split into.
    pub count: u64,
}

impl Shard {
    /// The whole range as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`, if the index is below the count.
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: the index must be below the count"));
        }
        Ok(Shard { index, count })
    }

    /// The shard a Slurm array task runs: task `id` of an array whose ids run from `min` to
    /// `max` in steps of `step` (`--array=min-max:step`, `count` tasks) is shard
    /// `(id - min) / step` of `count`. An array whose ids are not such a range (`--array=1,3,8`)
    /// is refused: its tasks cannot be numbered without gaps.
    pub fn of_slurm(
        id: u64,
        min: u64,
        max: Option<u64>,
        step: u64,
        count: u64,
    ) -> Result<Shard, String> {
        let array = format!(
            "Slurm array task {id} (min {min}, max {}, step {step}, count {count})",
            max.map_or("unset".to_string(), |m| m.to_string())
        );
        let uneven = || {
            format!(
                "{array}: the task ids are not an evenly stepped range; submit --array=A-B or \
                 --array=A-B:S, or pass --shard i/n"
            )
        };
        if step == 0 || id < min || (id - min) % step != 0 {
            return Err(uneven());
        }
        if let Some(max) = max
            && (max < min || (max - min) / step + 1 != count || (max - min) % step != 0)
        {
            return Err(uneven());
        }
        Shard::new((id - min) / step, count).map_err(|e| format!("{array}: {e}"))
    }

    /// The seeds of `range` this shard runs, ascending, at most [`MAX_SEEDS`].
    pub fn seeds(self, range: &Range<u64>) -> Result<Vec<u64>, String> {
        let count = self.seed_count(range);
        if count > MAX_SEEDS {
            return Err(format!(
                "{count} seeds in one run: at most {MAX_SEEDS}; split the range with --shard"
            ));
        }
        Ok(self.iter(range).collect())
    }

    /// How many seeds of `range` this shard runs.
    pub fn seed_count(self, range: &Range<u64>) -> u64 {
        (range.end - range.start).saturating_sub(self.index).div_ceil(self.count)
    }

    /// The seeds of `range` this shard runs, ascending.
    pub fn iter(self, range: &Range<u64>) -> impl Iterator<Item = u64> + use<> {
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        (range.start.saturating_add(self.index)..range.end).step_by(step)
    }

    /// Whether `seed` is one of this shard's seeds of `range`.
    pub fn holds(self, range: &Range<u64>, seed: u64) -> bool {
        self.count != 0 && range.contains(&seed) && (seed - range.start) % self.count == self.index
    }
}

/// The digest of a file's seed lines: FNV-1a over their bytes, each followed by a newline. It
/// catches accidental damage and mix-ups (a cut, a deleted or edited line), not a forger.
#[derive(Clone, Copy, Debug)]
pub struct LinesDigest(u64);

impl Default for LinesDigest {
    fn default() -> Self {
        LinesDigest(sim::rng::FNV1A64_START)
    }
}

impl LinesDigest {
    /// Adds one line (without its newline).
    pub fn add(&mut self, line: &str) {
        self.0 = sim::rng::fnv1a64_update(self.0, line.as_bytes());
        self.0 = sim::rng::fnv1a64_update(self.0, b"\n");
    }

    /// The digest as written in the shard line.
    pub fn hex(&self) -> String {
        crate::digest::hex(self.0)
    }
}

/// What the last line of `redsim explore --json` says about the seed lines before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// The version of this line ([`FORMAT`]).
    pub format: u32,
    /// The scenario's `name`.
    pub scenario: String,
    /// The digest of the scenario's text (as in a trace header).
    pub scenario_digest: String,
    /// The seed range that was split into shards.
    pub seeds: Range<u64>,
    /// This shard's index.
    pub index: u64,
    /// The number of shards.
    pub count: u64,
    /// Seed lines before this one.
    pub seed_count: u64,
    /// The [`LinesDigest`] of those lines.
    pub lines_digest: String,
    /// Set by `explore --merge --partial`: some of the shard's seeds are missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// `redsim sweep` only: the fault grid its cells (numbered by `seeds`) are of, in words;
    /// shards of different grids are foreign to each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<String>,
}

impl ShardInfo {
    /// The shard this file says it is.
    pub fn shard(&self) -> Shard {
        Shard { index: self.index, count: self.count }
    }

    /// `i/n of A..B`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "shard {}/{} of seeds {}..{}",
            self.index, self.count, self.seeds.start, self.seeds.end
        )
    }
}

/// The `--json` line of one seed; `reproduce` is added when it failed.
pub fn seed_line(r: &SeedResult, reproduce: &dyn Fn(u64) -> String) -> String {
    let mut v = serde_json::to_value(r).expect("a seed result serialises");
    if !r.passed {
        v["reproduce"] = serde_json::Value::String(reproduce(r.seed));
    }
    v.to_string()
}

/// The last `--json` line: the shard and the summary of its seeds.
pub fn shard_line(info: &ShardInfo, summary: &impl Serialize) -> String {
    serde_json::json!({ "shard": info, "summary": summary }).to_string()
}

/// The seed lines and the shard line of a whole run, in order: what `redsim explore --json`
/// prints for `results` of `shard` of `seeds`.
pub fn json_lines(
    scenario: &crate::scenario::Scenario,
    seeds: Range<u64>,
    shard: Shard,
    results: &[SeedResult],
    reproduce: &dyn Fn(u64) -> String,
) -> Vec<String> {
    let mut digest = LinesDigest::default();
    let mut lines: Vec<String> = results.iter().map(|r| seed_line(r, reproduce)).collect();
    lines.iter().for_each(|l| digest.add(l));
    let info = ShardInfo {
        format: FORMAT,
        scenario: scenario.name.clone(),
        scenario_digest: scenario.digest(),
        seeds,
        index: shard.index,
        count: shard.count,
        seed_count: results.len() as u64,
        lines_digest: digest.hex(),
        partial: false,
        grid: None,
    };
    lines.push(shard_line(&info, &Summary::of(results)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_a_range_or_a_count_from_zero() {
        assert_eq!(parse_seeds("3..7"), Ok(3..7));
        assert_eq!(parse_seeds("400"), Ok(0..400));
        assert_eq!(parse_seeds(" 5 .. 6 "), Ok(5..6));
        for bad in ["0", "5..5", "7..3", "ten", "1..", "-1", "1..2..3"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_split_a_range_without_gaps_or_overlap() {
        let range = 10..21;
        let mut all: Vec<u64> =
            (0..4).flat_map(|i| Shard { index: i, count: 4 }.iter(&range)).collect();
        all.sort_unstable();
        assert_eq!(all, range.clone().collect::<Vec<_>>());
        for i in 0..4 {
            let s = Shard::new(i, 4).unwrap();
            assert_eq!(s.seed_count(&range), s.iter(&range).count() as u64);
            assert!(s.iter(&range).all(|seed| s.holds(&range, seed)));
        }
        assert_eq!(Shard { index: 5, count: 8 }.seeds(&(0..3)), Ok(vec![]));
        assert!(Shard::new(3, 3).is_err());
        assert!(Shard::new(0, 0).is_err());
    }

    /// `--array=0-6:2` runs tasks 0, 2, 4, 6 with `SLURM_ARRAY_TASK_STEP=2`, count 4.
    #[test]
    fn a_stepped_slurm_array_maps_to_consecutive_shards() {
        let shards: Vec<Shard> =
            [0, 2, 4, 6].map(|id| Shard::of_slurm(id, 0, Some(6), 2, 4).unwrap()).to_vec();
        assert_eq!(shards, (0..4).map(|i| Shard::new(i, 4).unwrap()).collect::<Vec<_>>());
        // --array=3-9:3: tasks 3, 6, 9.
        assert_eq!(Shard::of_slurm(9, 3, Some(9), 3, 3), Ok(Shard { index: 2, count: 3 }));
        // Without MAX (older Slurm, hand-set variables), the same rule.
        assert_eq!(Shard::of_slurm(4, 0, None, 2, 4), Ok(Shard { index: 2, count: 4 }));
        // --array=1,3,8: Slurm says step 1, count 3, max 8; ids cannot be numbered 0..3.
        assert!(Shard::of_slurm(3, 1, Some(8), 1, 3).unwrap_err().contains("evenly stepped"));
        assert!(Shard::of_slurm(3, 0, None, 2, 4).is_err(), "an id off the step");
        assert!(Shard::of_slurm(8, 0, None, 2, 4).is_err(), "past the count");
        assert!(Shard::of_slurm(0, 1, None, 1, 4).is_err(), "below the minimum");
        assert!(Shard::of_slurm(0, 0, None, 0, 4).is_err(), "step 0");
    }

    #[test]
    fn the_lines_digest_is_fnv1a_of_the_lines_with_newlines() {
        let mut d = LinesDigest::default();
        d.add("a");
        d.add("bc");
        assert_eq!(d.hex(), format!("fnv1a64:{:016x}", sim::rng::fnv1a64(b"a\nbc\n")));
    }
}
