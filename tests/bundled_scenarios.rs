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

/// The lean run (history moved out of the notes, as `explore`, `bench` and a plain `run` do) has
/// the same outcome, history included, as the run that copies it, and leaves every other note.
#[test]
fn moving_the_history_out_of_the_notes_changes_no_outcome() {
    use model::observe::Note;
    let mut records = 0;
    for path in &common::bundled_scenarios() {
        let s = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
        let (_, full, copied) = lab::simulate::simulate(&s, s.seed);
        let (_, lean, moved) = lab::simulate::simulate_lean(&s, s.seed);
        records += moved.history.len();
        assert_eq!(copied, moved, "{path}: the outcome, history included");
        let others: Vec<_> =
            full.world.notes().iter().filter(|n| !matches!(n.note, Note::Op(_))).collect();
        let kept: Vec<_> = lean.world.notes().iter().collect();
        assert_eq!(others.len(), kept.len(), "{path}: every other note kept");
        assert!(
            others
                .iter()
                .zip(&kept)
                .all(|(a, b)| a.at == b.at && a.pid == b.pid && a.note == b.note)
        );
    }
    assert!(records > 0, "the bundled scenarios moved some history");
}
