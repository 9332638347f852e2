//! The one place where running and checking meet: a scenario run as one seed draws it, then
//! measured and held against its expectations.

use crate::check;
use crate::digest::Digesting;
use crate::outcome::Outcome;
use crate::run::Deployment;
use crate::scenario::Scenario;
use sim::TraceLevel;

/// Runs `scenario` as seed `seed` draws it ([`Scenario::for_seed`]) from start to end, with no
/// trace: the seeded scenario, the finished deployment and its outcome.
pub fn simulate(scenario: &Scenario, seed: u64) -> (Scenario, Deployment, Outcome) {
    let (seeded, d) = ran(scenario, seed);
    let outcome = check::outcome(&seeded, seed, &d);
    (seeded, d, outcome)
}

/// The seeded scenario and its deployment, run to the end with no trace.
fn ran(scenario: &Scenario, seed: u64) -> (Scenario, Deployment) {
    let seeded = scenario.for_seed(seed);
    let mut d = Deployment::build(&seeded, seed);
    d.run(&seeded);
    (seeded, d)
}

/// [`simulate`] for callers that read the outcome and the deployment's state but not its
/// operation notes (`explore`, `bench`, conformance): the history moves into the outcome
/// ([`check::outcome_taking`]) instead of being copied, so a long run holds it once.
pub fn simulate_lean(scenario: &Scenario, seed: u64) -> (Scenario, Deployment, Outcome) {
    let (seeded, mut d) = ran(scenario, seed);
    let outcome = check::outcome_taking(&seeded, seed, &mut d);
    (seeded, d, outcome)
}

/// [`simulate`], with the trace `redsim run --trace` would write (at `events` level) hashed as
/// it streams instead of written: also returns its `trace_digest` ([`crate::digest`]).
pub fn simulate_digested(
    scenario: &Scenario,
    seed: u64,
) -> (Scenario, Deployment, Outcome, String) {
    let seeded = scenario.for_seed(seed);
    let mut d = Deployment::build(&seeded, seed);
    let (sink, digest) = Digesting::new(Box::new(std::io::sink()));
    // Writing to `io::sink` cannot fail: the results say nothing the digest does not.
    let _ = d.trace_to(&seeded, Box::new(sink), TraceLevel::Events);
    d.run(&seeded);
    let outcome = check::outcome(&seeded, seed, &d);
    let _ = d.finish_trace(&outcome);
    (seeded, d, outcome, digest.hex())
}
