//! What many seeds add up to: distributions of the outcome measures, the failed properties with
//! their seeds, and the merge of result files written by shards.

use super::SeedResult;
use crate::expectations::property;
use crate::limits::{CappedLines, RESULT_LINE_MAX_BYTES};
use crate::text::secs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::BufRead;

/// Minimum, median, 99th percentile and maximum (nearest rank) of a measure over seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// Seeds the measure exists for.
    pub n: usize,
    /// Smallest.
    pub min: u64,
    /// Median.
    pub median: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl Distribution {
    /// The distribution of `values`.
    pub fn of(mut values: Vec<u64>) -> Distribution {
        values.sort_unstable();
        let n = values.len();
        if n == 0 {
            return Distribution::default();
        }
        let rank = |q: usize| values[(n * q).div_ceil(100).clamp(1, n) - 1];
        Distribution { n, min: values[0], median: rank(50), p99: rank(99), max: values[n - 1] }
    }
}

/// The summary of an exploration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Seeds run.
    pub seeds: usize,
    /// Seeds whose expectations and invariants all held.
    pub passed: usize,
    /// Seeds with at least one failure.
    pub failed: usize,
    /// Lost acknowledged writes per seed.
    pub lost_writes: Distribution,
    /// The longest lost-write window per seed (ms).
    pub lost_window_ms: Distribution,
    /// Split-brain time per seed (ms).
    pub split_brain_ms: Distribution,
    /// From the first fault to the first `+switch-master` (ms), over seeds that switched.
    pub switch_ms: Distribution,
    /// Unavailability as the clients saw it (ms).
    pub unavailable_ms: Distribution,
    /// Promotions per seed.
    pub promotions: Distribution,
    /// Each failed property and the seeds that fail it, ascending.
    pub failures: BTreeMap<String, Vec<u64>>,
    /// Seeds per second of wall time (absent for merged results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_per_sec: Option<f64>,
    /// Seeds per second per thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_per_sec_per_core: Option<f64>,
}

impl Summary {
    /// The summary of `results`.
    pub fn of(results: &[SeedResult]) -> Summary {
        let dist = |f: &dyn Fn(&SeedResult) -> Option<u64>| {
            Distribution::of(results.iter().filter_map(f).collect())
        };
        let mut failures: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for r in results {
            let mut props: Vec<&str> = r.failures.iter().map(|f| property(f)).collect();
            props.dedup();
            for p in props {
                failures.entry(p.to_string()).or_default().push(r.seed);
            }
        }
        for seeds in failures.values_mut() {
            seeds.sort_unstable();
            seeds.dedup();
        }
        let failed = results.iter().filter(|r| !r.passed).count();
        Summary {
            seeds: results.len(),
            passed: results.len() - failed,
            failed,
            lost_writes: dist(&|r| Some(r.writes.lost)),
            lost_window_ms: dist(&|r| Some(r.lost_window_ms)),
            split_brain_ms: dist(&|r| Some(r.split_brain_ms)),
            switch_ms: dist(&|r| r.switch_ms),
            unavailable_ms: dist(&|r| Some(r.unavailable_ms)),
            promotions: dist(&|r| Some(r.promotions)),
            failures,
            seeds_per_sec: None,
            seeds_per_sec_per_core: None,
        }
    }

    /// The summary as people read it; `reproduce` gives the command for a seed.
    pub fn render(&self, results: &[SeedResult], reproduce: &dyn Fn(u64) -> String) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{} seeds: {} passed, {} failed", self.seeds, self.passed, self.failed);
        let _ = writeln!(s, "{:<34} {:>9} {:>9} {:>9} {:>9}", "", "min", "median", "p99", "max");
        // (label, distribution, in milliseconds shown as seconds)
        let rows = [
            ("lost writes", &self.lost_writes, false),
            ("lost-write window", &self.lost_window_ms, true),
            ("split brain", &self.split_brain_ms, true),
            ("fault -> +switch-master", &self.switch_ms, true),
            ("unavailable (clients)", &self.unavailable_ms, true),
            ("promotions", &self.promotions, false),
        ];
        for (label, d, time) in rows {
            let f = |v: u64| if time { secs(v) } else { v.to_string() };
            let label = if d.n == self.seeds {
                label.to_string()
            } else {
                format!("{label} ({} seeds)", d.n)
            };
            if d.n == 0 {
                let _ = writeln!(s, "{label:<34} {:>9}", "-");
            } else {
                let _ = writeln!(
                    s,
                    "{label:<34} {:>9} {:>9} {:>9} {:>9}",
                    f(d.min),
                    f(d.median),
                    f(d.p99),
                    f(d.max)
                );
            }
        }
        if self.failures.is_empty() {
            let _ = writeln!(s, "every expectation and invariant held on every seed");
        } else {
            let _ = writeln!(s, "failed:");
            for (prop, seeds) in &self.failures {
                let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
                let more = if seeds.len() > 10 {
                    format!(" ... {} more", seeds.len() - 10)
                } else {
                    String::new()
                };
                let _ = writeln!(s, "  {prop}: {} seeds: {}{more}", seeds.len(), shown.join(", "));
            }
            let _ = writeln!(s, "failing seeds:");
            for r in results.iter().filter(|r| !r.passed) {
                let _ = writeln!(s, "  seed {}: {}", r.seed, r.failures.join("; "));
                let _ = writeln!(s, "    reproduce: {}", reproduce(r.seed));
            }
        }
        s
    }
}

/// Why result files could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read { path: String, source: std::io::Error },
    /// A line is neither a seed result nor a summary.
    #[error("{path}:{line}: not a line of `redsim explore --json`: {message}")]
    Line { path: String, line: usize, message: String },
    /// Two files hold the same seed with different results.
    #[error("seed {seed} appears twice with different results ({path})")]
    Conflict { seed: u64, path: String },
}

/// The seed results of `redsim explore --json` files (their summaries are recomputed), by seed;
/// each file is read line by line, a line at most [`RESULT_LINE_MAX_BYTES`].
pub fn merge(paths: &[String]) -> Result<Vec<SeedResult>, MergeError> {
    let mut by_seed: BTreeMap<u64, SeedResult> = BTreeMap::new();
    for path in paths {
        let read = |source| MergeError::Read { path: path.clone(), source };
        let file = std::fs::File::open(path).map_err(read)?;
        // Streamed, each line capped: a result file can be larger than memory, not one line.
        let input = CappedLines::new(std::io::BufReader::new(file), RESULT_LINE_MAX_BYTES);
        for (i, line) in input.lines().enumerate() {
            let line = line.map_err(read)?;
            if line.trim().is_empty() {
                continue;
            }
            let line = line.as_str();
            let bad = |e: serde_json::Error| MergeError::Line {
                path: path.clone(),
                line: i + 1,
                message: e.to_string(),
            };
            let v: serde_json::Value = serde_json::from_str(line).map_err(bad)?;
            if v.get("summary").is_some() {
                continue;
            }
            let r: SeedResult = serde_json::from_value(v).map_err(bad)?;
            match by_seed.get(&r.seed) {
                Some(old) if *old != r => {
                    return Err(MergeError::Conflict { seed: r.seed, path: path.clone() });
                }
                _ => {
                    by_seed.insert(r.seed, r);
                }
            }
        }
    }
    Ok(by_seed.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d = Distribution::of((1..=100).collect());
        assert_eq!((d.min, d.median, d.p99, d.max), (1, 50, 99, 100));
        let d = Distribution::of(vec![7]);
        assert_eq!((d.min, d.median, d.p99, d.max, d.n), (7, 7, 7, 7, 1));
        assert_eq!(Distribution::of(vec![]).n, 0);
        let d = Distribution::of(vec![5, 1, 3]);
        assert_eq!((d.median, d.p99), (3, 5));
    }
}
