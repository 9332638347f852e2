//! A Redisson client through a partition: it does not subscribe to `+switch-master`; its
//! `scheduleChangeCheck` rounds find the new master within a few scan intervals, and a round
//! that asks the cut-off sentinel (which still names the old master) moves it back, so it goes
//! on losing writes to the old master until the end; `explain` says so in Redisson's terms.

mod common;

use lab::check;
use lab::run::Deployment;
use lab::scenario::Scenario;
use model::observe::OpResult;

/// The master's host (h1) is cut off from the other two at 20 s; the app still reaches it.
const SCENARIO: &str = r#"name = "redisson-partition"
seed = 3
field-report = true
duration = "60s"
[[host]]
name = "h1"
[[host]]
name = "h2"
[[host]]
name = "h3"
[[host]]
name = "app"
[[redis]]
host = "h1"
port = 6379
[[redis]]
host = "h2"
port = 6379
config = { replicaof = "h1 6379" }
[[redis]]
host = "h3"
port = 6379
config = { replicaof = "h1 6379" }
[[sentinel]]
host = "h1"
port = 26379
config = { "sentinel monitor" = "mymaster h1 6379 2", down-after-milliseconds = 5000 }
[[sentinel]]
host = "h2"
port = 26379
config = { "sentinel monitor" = "mymaster h1 6379 2", down-after-milliseconds = 5000 }
[[sentinel]]
host = "h3"
port = 26379
config = { "sentinel monitor" = "mymaster h1 6379 2", down-after-milliseconds = 5000 }
[[client]]
name = "redisson"
host = "app"
library = "redisson"
library-version = "4.7"
sentinels = ["h1:26379", "h2:26379", "h3:26379"]
service = "mymaster"
workload = { writes-per-sec = 10, start = "5s" }
[[event]]
at = "20s"
iptables = "-A INPUT -s h2 -j DROP"
on = "h1"
[[event]]
at = "20s"
iptables = "-A INPUT -s h3 -j DROP"
on = "h1"
"#;

const CUT_US: u64 = 20_000_000;

#[test]
fn redisson_finds_the_new_master_by_polling_and_a_cut_off_sentinel_moves_it_back() {
    let path = common::tmp("redisson-partition.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let s = Scenario::load(&path).unwrap();
    let mut d = Deployment::build(&s, s.seed);
    d.run(&s);
    let o = check::outcome(&s, s.seed, &d);
    let new = o.promotions.first().expect("a promotion").node.clone();
    let switch = o
        .sentinel_events
        .iter()
        .find(|e| e.event == "+switch-master")
        .expect("a sentinel published +switch-master");
    let switch_us = switch.at_ms * 1000;
    // No subscription: the first write to the new master waits for a round (every scanInterval,
    // 1 s) that asks a sentinel of the majority, and for the new pool's connect.
    let first_new = o
        .history
        .iter()
        .find(|op| op.node.as_deref() == Some(new.as_str()))
        .expect("it moved to the new master");
    assert!(
        first_new.invoked_us >= switch_us && first_new.invoked_us <= switch_us + 6_000_000,
        "moved at {} us, +switch-master at {switch_us} us",
        first_new.invoked_us
    );
    // The cut-off sentinel on h1 still names h1: a round that shuffles it first moves the
    // client back, and its writes go to h1 again.
    let back = o
        .history
        .iter()
        .find(|op| op.invoked_us > first_new.invoked_us && op.node.as_deref() == Some("h1:6379"));
    assert!(back.is_some(), "a round asked h1's sentinel and moved the client back");
    // Every lost write was acknowledged by h1 after the cut.
    assert!(!o.writes.lost_keys.is_empty());
    for key in &o.writes.lost_keys {
        let op = o.history.iter().find(|op| op.op.written().is_some_and(|(k, _)| k == key));
        let op = op.expect("a write of the client");
        assert_eq!(op.node.as_deref(), Some("h1:6379"), "{key}");
        assert!(matches!(op.result, OpResult::Ok { .. }));
        assert!(op.invoked_us >= CUT_US - 2_000, "{key}");
    }
    assert!(o.writes.lost > (switch_us - CUT_US) / 100_000 - 4, "{} lost", o.writes.lost);

    let (code, out, _) = common::redsim(&["explain", &path]);
    assert_eq!(code, 0);
    assert!(out.contains("Redisson 4.7.0: no +switch-master subscription"), "{out}");
    assert!(
        out.contains("Redisson's scheduleChangeCheck asked ")
            && out.contains(&format!("master at {new}"))
            && out.contains(&format!("has been changed to {new}")),
        "{out}"
    );
}
