//! Every scenario in `traces/` runs and its `[expect]` holds.

use model::check;
use model::run::Deployment;
use model::scenario::Scenario;

#[test]
fn every_bundled_scenario_meets_its_expectations() {
    let mut files: Vec<_> = std::fs::read_dir("traces")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 11, "the bundled scenarios are all here");
    let mut failed = Vec::new();
    for f in &files {
        let path = f.to_string_lossy().into_owned();
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let s = s.for_seed(s.seed);
        let mut d = Deployment::build(&s, s.seed);
        d.run(&s);
        let o = check::outcome(&s, s.seed, &d);
        if !o.expectations.passed {
            failed.push(format!("{path}: {:?}", o.expectations.failures));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
