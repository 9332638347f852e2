//! The one place where running and checking meet: a scenario run as one seed draws it, then
//! measured and held against its expectations.

use crate::check;
use crate::outcome::Outcome;
use crate::run::Deployment;
use crate::scenario::Scenario;

/// Runs `scenario` as seed `seed` draws it ([`Scenario::for_seed`]) from start to end, with no
/// trace: the seeded scenario, the finished deployment and its outcome.
pub fn simulate(scenario: &Scenario, seed: u64) -> (Scenario, Deployment, Outcome) {
    let seeded = scenario.for_seed(seed);
    let mut d = Deployment::build(&seeded, seed);
    d.run(&seeded);
    let outcome = check::outcome(&seeded, seed, &d);
    (seeded, d, outcome)
}
