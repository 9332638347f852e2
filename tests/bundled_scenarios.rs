//! Every scenario in `traces/` runs and its `[expect]` holds.

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
        let (_, _, o) = model::run::simulate(&s, s.seed);
        if !o.expectations.passed {
            failed.push(format!("{path}: {:?}", o.expectations.failures));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
