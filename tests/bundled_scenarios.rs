//! Every scenario in `traces/` runs and its `[expect]` holds.

mod common;

use lab::scenario::Scenario;

#[test]
fn every_bundled_scenario_meets_its_expectations() {
    let files = common::bundled_scenarios();
    assert!(files.len() >= 15, "the bundled scenarios are all here");
    let mut failed = Vec::new();
    for path in &files {
        let s = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
        let (_, _, o) = lab::simulate::simulate(&s, s.seed);
        if !o.expectations.passed {
            failed.push(format!("{path}: {:?}", o.expectations.failures));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
