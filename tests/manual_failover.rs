//! The three issue-4 scenarios (no sentinels: failover by hand, and the persistence hazard),
//! checked beyond their `[expect]` with the history's timestamps.

use lab::check::{self};

use lab::outcome::Outcome;
use lab::run::Deployment;
use lab::scenario::Scenario;
use model::observe::OpResult;

fn run(path: &str) -> Outcome {
    let s = Scenario::load(path).unwrap();
    let mut d = Deployment::build(&s, s.seed);
    d.run(&s);
    check::outcome(&s, s.seed, &d)
}

const CUT_US: u64 = 10_000_000;

/// Master cut off at 10 s, replica promoted by hand at 20 s, old master re-pointed at 32 s.
#[test]
fn manual_failover_loses_what_the_cut_off_master_acknowledged() {
    let o = run("traces/manual-failover.toml");
    assert!(o.expectations.passed, "{:?}", o.expectations.failures);
    assert!(o.writes.lost > 0);
    for key in &o.writes.lost_keys {
        let op =
            o.history.iter().find(|op| op.op.written().is_some_and(|(k, _)| k == key)).unwrap();
        assert_eq!(
            op.node.as_deref(),
            Some("10.0.0.1:6379"),
            "{key} was acknowledged by the old master"
        );
        assert!(matches!(op.result, OpResult::Ok { .. }));
        assert!(
            op.invoked_us >= CUT_US - 2_000,
            "{key} was written during the cut (at {} us)",
            op.invoked_us
        );
        assert!(
            op.completed_us <= 32_000_000,
            "{key} was acknowledged before the old master was re-pointed"
        );
    }
    // Every write acknowledged before the cut survived.
    let before: Vec<_> = o.history.iter().filter(|op| op.completed_us < CUT_US - 5_000).collect();
    assert!(before.len() >= 15);
    assert!(
        before
            .iter()
            .all(|op| !o.writes.lost_keys.contains(&op.op.written().unwrap().0.to_string()))
    );
    assert_eq!(o.split_brain_ms, 12_000, "from the promotion at 20 s to the re-pointing at 32 s");
}

/// With min-replicas-to-write 1 / max-lag 10, the old master refuses writes 10-12 s after the
/// cut; only what it acknowledged before that is lost.
#[test]
fn min_replicas_bounds_the_loss_to_the_lag_window() {
    let o = run("traces/manual-failover-min-replicas.toml");
    assert!(o.expectations.passed, "{:?}", o.expectations.failures);
    assert!(o.writes.lost > 0);
    let first_refusal = o
        .history
        .iter()
        .filter(|op| matches!(&op.result, OpResult::Error { error } if error == "NOREPLICAS Not enough good replicas to write."))
        .map(|op| op.invoked_us)
        .find(|&t| t > CUT_US)
        .expect("writes are refused with NOREPLICAS");
    assert!(
        (CUT_US + 10_000_000..=CUT_US + 12_000_000).contains(&first_refusal),
        "first NOREPLICAS at {first_refusal} us"
    );
    for key in &o.writes.lost_keys {
        let op =
            o.history.iter().find(|op| op.op.written().is_some_and(|(k, _)| k == key)).unwrap();
        assert!(
            op.invoked_us < CUT_US + 12_000_000,
            "{key} lost outside the window (invoked at {} us)",
            op.invoked_us
        );
    }
    // The old master refuses writes 10-12 s after the cut, the promotion comes 10 s after it: the
    // two overlap by at most the 2 s of the refresh and rounding.
    assert!(o.split_brain_ms <= 2_000, "split brain {} ms", o.split_brain_ms);
}

/// A master without persistence restarted before anyone fails over wipes its replicas.
#[test]
fn restart_without_persistence_wipes_the_replicas() {
    let o = run("traces/restart-without-persistence.toml");
    assert!(o.expectations.passed, "{:?}", o.expectations.failures);
    let acked_before_kill = o
        .history
        .iter()
        .filter(|op| op.completed_us < 20_000_000 && matches!(op.result, OpResult::Ok { .. }))
        .count() as u64;
    assert_eq!(o.writes.lost, acked_before_kill);
    assert!(acked_before_kill > 50);
}
