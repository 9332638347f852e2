//! A Jedis client through a failover: its SentinelListeners hear `+switch-master` and the next
//! write goes to the new master; what the old master acknowledged before that is lost, and
//! `explain` says so in Jedis' terms.

mod common;

use lab::check;
use lab::run::Deployment;
use lab::scenario::Scenario;
use model::observe::OpResult;

/// The master's host (h1) is cut off from the other two at 20 s; the app still reaches it.
const SCENARIO: &str = r#"name = "jedis-partition"
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
name = "jedis"
host = "app"
library = "jedis"
library-version = "7.5"
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
fn jedis_moves_on_switch_master_and_loses_the_writes_before_it() {
    let path = common::tmp("jedis-partition.toml");
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
    // Its first write to the new master starts right after the first +switch-master.
    let first_new = o
        .history
        .iter()
        .find(|op| op.node.as_deref() == Some(new.as_str()))
        .expect("it moved to the new master");
    assert!(
        first_new.invoked_us >= switch_us && first_new.invoked_us <= switch_us + 200_000,
        "moved at {} us, +switch-master at {switch_us} us",
        first_new.invoked_us
    );
    // Every lost write was acknowledged by h1 between the cut and the switch: about 10 a second
    // (a few of the first reach the replicas anyway: the cut drops only what h1 receives, and
    // h1's replication stream goes on until its unacknowledged window is full).
    assert!(!o.writes.lost_keys.is_empty());
    for key in &o.writes.lost_keys {
        let op = o.history.iter().find(|op| op.op.written().is_some_and(|(k, _)| k == key));
        let op = op.expect("a write of the client");
        assert_eq!(op.node.as_deref(), Some("h1:6379"), "{key}");
        assert!(matches!(op.result, OpResult::Ok { .. }));
        assert!(op.invoked_us >= CUT_US - 2_000 && op.completed_us <= switch_us, "{key}");
    }
    let window_s = (switch_us - CUT_US) as f64 / 1e6;
    let lost = o.writes.lost as f64;
    assert!((lost - window_s * 10.0).abs() <= 4.0, "{lost} lost in a {window_s} s window");
    // No write failed: the pool was replaced between two writes.
    assert_eq!(o.writes.failed, 0);

    let (code, out, _) = common::redsim(&["explain", &path]);
    assert_eq!(code, 0);
    assert!(out.contains("Jedis 7.5.3: initSentinels asks the sentinels in its HashSet's order"));
    assert!(
        out.contains("Jedis' SentinelListener on ")
            && out.contains(" received +switch-master mymaster h1 6379 ")
            && out.contains(&format!("and created a connection pool to master at {new}")),
        "{out}"
    );
}
