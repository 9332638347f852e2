//! What many seeds add up to: distributions of the outcome measures and the failed properties
//! with their seeds. A summary is a function of the seed results alone (no wall clock, no thread
//! count), so a merge of shards has the same summary as one run of the whole range.

use super::SeedResult;
use crate::expectations::property;
use crate::paint::Paint;
use crate::text::secs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

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

/// Failing seeds the text summary lists (`--json` lists them all).
const FAILING_SHOWN: usize = 5;

/// What a partial merge lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// Seeds of the range in no file.
    pub missing: u64,
    /// Seeds in the range.
    pub of: u64,
    /// The first few missing seeds.
    pub first_missing: Vec<u64>,
}

/// The summary of an exploration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Set only by a partial merge: the seeds of the range that no file held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
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
            partial: None,
        }
    }

    /// The summary as people read it; `reproduce` gives the command that reruns a seed,
    /// `shrink` the one that shrinks it; `paint` marks the failed count and the failing seeds.
    pub fn render(
        &self,
        results: &[SeedResult],
        reproduce: &dyn Fn(u64) -> String,
        shrink: &dyn Fn(u64) -> String,
        paint: Paint,
    ) -> String {
        let mut s = String::new();
        if let Some(p) = &self.partial {
            let first: Vec<String> = p.first_missing.iter().map(u64::to_string).collect();
            let _ = writeln!(
                s,
                "PARTIAL: {} of {} seeds missing (first: {}); this is not the whole range's answer",
                p.missing,
                p.of,
                first.join(", ")
            );
        }
        let failed = paint.bad_if(self.failed > 0, &format!("{} failed", self.failed));
        let _ = writeln!(s, "{} seeds: {} passed, {failed}", self.seeds, self.passed);
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
            let _ =
                writeln!(s, "{}", paint.good("every expectation and invariant held on every seed"));
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
            let failing: Vec<&SeedResult> = results.iter().filter(|r| !r.passed).collect();
            let shown = failing.len().min(FAILING_SHOWN);
            let _ = writeln!(s, "failing seeds (first {shown} of {}):", failing.len());
            for r in &failing[..shown] {
                let seed = paint.bad(&format!("seed {}", r.seed));
                let _ = writeln!(s, "  {seed}: {}", r.failures.join("; "));
                let _ = writeln!(s, "    reproduce: {}", reproduce(r.seed));
            }
            if failing.len() > shown {
                let _ =
                    writeln!(s, "  ... {} more (--json lists every seed)", failing.len() - shown);
            }
            if let Some(r) = failing.first() {
                let _ = writeln!(
                    s,
                    "next: {} reduces seed {}'s faults to the fewest that still fail",
                    shrink(r.seed),
                    r.seed
                );
            }
        }
        s
    }
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
