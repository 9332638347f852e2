//! `redsim shrink`: the smallest fault schedule that still fails the same property. Delta debugging
//! (Zeller's ddmin) over the seed's list of faults, then simplification of each remaining fault's
//! times (whole seconds, shorter lengths), every candidate run with the same seed. The result is
//! written as a standalone scenario: the original file without its `[explore]` table, the faults
//! as explicit `[[event]]` tables, and the violated property as its only `[expect]`.

use crate::check;
use crate::run::Deployment;
use crate::scenario::write::{event_table, expect_lines, with_seed, without_tables};
use crate::scenario::{Fault, draw};
use crate::scenario::{Scenario, ScenarioError};
use sim::{Duration, Instant};
use std::fmt::Write;

/// Why a seed could not be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The scenario has no fault space.
    #[error("{0} has no [explore] table: there is no schedule to shrink")]
    NoExplore(String),
    /// The seed passes.
    #[error("seed {seed} of {path} fails nothing: every expectation and invariant holds")]
    Passes { path: String, seed: u64 },
    /// The seed does not fail the property asked for.
    #[error("seed {seed} does not fail `{property}` (it fails: {failing})")]
    NotFailing { seed: u64, property: String, failing: String },
    /// The written scenario does not parse (a bug).
    #[error("the shrunk scenario does not parse: {0}")]
    Written(ScenarioError),
}

/// A shrunk schedule.
#[derive(Debug)]
pub struct Shrunk {
    /// The property that fails.
    pub property: String,
    /// The seed's schedule as drawn.
    pub original: Vec<Fault>,
    /// The smallest schedule found.
    pub faults: Vec<Fault>,
    /// The failure line of the smallest schedule's run.
    pub failure: String,
    /// Runs tried.
    pub runs: usize,
    /// The standalone scenario file.
    pub text: String,
}

/// Runs `faults` with `seed`; the failure line about `property`, if it fails.
fn failure_of(scenario: &Scenario, seed: u64, faults: &[Fault], property: &str) -> Option<String> {
    let s = scenario.with_faults(faults);
    let mut d = Deployment::build(&s, seed);
    d.run(&s);
    let out = check::outcome(&s, seed, &d);
    out.expectations.failures.into_iter().find(|f| crate::expectations::property(f) == property)
}

/// The search, counting the runs it makes.
struct Search<'a> {
    scenario: &'a Scenario,
    seed: u64,
    property: &'a str,
    runs: usize,
}

impl Search<'_> {
    fn fails(&mut self, faults: &[Fault]) -> bool {
        self.runs += 1;
        failure_of(self.scenario, self.seed, faults, self.property).is_some()
    }

    /// ddmin: a 1-minimal sub-list of `faults` that still fails.
    fn ddmin(&mut self, mut faults: Vec<Fault>) -> Vec<Fault> {
        if self.fails(&[]) {
            return Vec::new();
        }
        let mut n = 2;
        while faults.len() >= 2 {
            let chunk = faults.len().div_ceil(n);
            let parts: Vec<Vec<Fault>> = faults.chunks(chunk).map(<[Fault]>::to_vec).collect();
            let mut reduced = None;
            for (i, part) in parts.iter().enumerate() {
                if self.fails(part) {
                    reduced = Some((part.clone(), 2));
                    break;
                }
                let rest: Vec<Fault> = parts
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, p)| p.clone())
                    .collect();
                if parts.len() > 2 && self.fails(&rest) {
                    reduced = Some((rest, (n - 1).max(2)));
                    break;
                }
            }
            match reduced {
                Some((smaller, next_n)) => {
                    faults = smaller;
                    n = next_n;
                }
                None if n >= faults.len() => break,
                None => n = (n * 2).min(faults.len()),
            }
        }
        faults
    }

    /// Simpler times for each fault, one change at a time, kept when the run still fails: start
    /// and length in whole seconds, then the length halved while it still fails.
    fn simplify_times(&mut self, mut faults: Vec<Fault>) -> Vec<Fault> {
        for i in 0..faults.len() {
            let whole = |d: u64| d / 1_000_000 * 1_000_000;
            let candidates = [
                (Instant::from_micros(whole(faults[i].at.as_micros())), faults[i].length),
                (
                    faults[i].at,
                    Duration::from_micros(whole(faults[i].length.as_micros()).max(1_000_000)),
                ),
            ];
            for (at, length) in candidates {
                if (at, length) == (faults[i].at, faults[i].length) {
                    continue;
                }
                let mut trial = faults.clone();
                trial[i].at = at;
                trial[i].length = length;
                if self.fails(&trial) {
                    faults = trial;
                }
            }
            while faults[i].length >= Duration::from_secs(2) {
                let mut trial = faults.clone();
                trial[i].length = Duration::from_micros(whole(faults[i].length.as_micros() / 2));
                if !self.fails(&trial) {
                    break;
                }
                faults = trial;
            }
        }
        faults.sort_by_key(|f| f.at);
        faults
    }
}

/// Shrinks seed `seed` of `scenario`: the property is `property`, or the seed's first failure's.
pub fn shrink(
    scenario: &Scenario,
    seed: u64,
    property: Option<&str>,
) -> Result<Shrunk, ShrinkError> {
    let space =
        scenario.explore.as_ref().ok_or_else(|| ShrinkError::NoExplore(scenario.path.clone()))?;
    let original = draw(space, seed);
    let seeded = scenario.with_faults(&original);
    let mut d = Deployment::build(&seeded, seed);
    d.run(&seeded);
    let failures = check::outcome(&seeded, seed, &d).expectations.failures;
    let Some(first) = failures.first() else {
        return Err(ShrinkError::Passes { path: scenario.path.clone(), seed });
    };
    let property = property.unwrap_or_else(|| crate::expectations::property(first)).to_string();
    if !failures.iter().any(|f| crate::expectations::property(f) == property) {
        let failing: Vec<&str> =
            failures.iter().map(|f| crate::expectations::property(f)).collect();
        return Err(ShrinkError::NotFailing { seed, property, failing: failing.join(", ") });
    }
    let mut search = Search { scenario, seed, property: &property, runs: 1 };
    let fewest = search.ddmin(original.clone());
    let faults = search.simplify_times(fewest);
    let runs = search.runs + 1;
    let failure =
        failure_of(scenario, seed, &faults, &property).expect("the shrunk schedule fails");
    let text = write_scenario(scenario, seed, &original, &faults, &property, &failure)?;
    Ok(Shrunk { property, original, faults, failure, runs, text })
}

/// The standalone scenario of a shrunk schedule.
fn write_scenario(
    scenario: &Scenario,
    seed: u64,
    original: &[Fault],
    faults: &[Fault],
    property: &str,
    failure: &str,
) -> Result<String, ShrinkError> {
    let mut text = with_seed(&without_tables(&scenario.source, &["explore", "expect"]), seed);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let space = scenario.explore.as_ref().expect("checked by the caller");
    let _ = writeln!(
        text,
        "\n# Shrunk by `redsim shrink {} --seed {seed}`: {} of the seed's {} faults still fail `{property}`:\n#   {failure}",
        scenario.path,
        faults.len(),
        original.len()
    );
    for f in faults {
        let _ = writeln!(text, "# {}", crate::scenario::describe(scenario, f));
        for ev in crate::scenario::fault_events(scenario, space, f) {
            text.push_str(&event_table(scenario, &ev));
        }
    }
    let _ = write!(text, "\n[expect]\n{}", expect_lines(&scenario.expect, property));
    Scenario::parse(&scenario.path, &text).map_err(ShrinkError::Written)?;
    Ok(text)
}
