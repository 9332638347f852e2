//! Lettuce clients through the issue's real-run failover (traces/failover-clients.toml's
//! deployment and manual `SENTINEL FAILOVER` at 20 s, 10 writes/s): with its defaults Lettuce
//! hears no `+switch-master`, keeps writing to the old master until Sentinel reconfigures it
//! (REPLICAOF and CLIENT KILL, about 10 s later), then its `ConnectionWatchdog` reconnects through
//! the sentinels within milliseconds and nothing fails; without `autoReconnect` every write after
//! the kill is rejected.

use lab::check;
use lab::outcome::Outcome;
use lab::run::Deployment;
use lab::scenario::Scenario;
use model::observe::{OpRecord, OpResult};

const SENTINELS: &str =
    r#"sentinels = ["10.162.29.33:27001", "10.162.29.36:27002", "10.162.29.37:27003"]"#;

/// failover-clients.toml with only a redis-py client and two Lettuce clients.
fn run() -> Outcome {
    let text = std::fs::read_to_string("traces/failover-clients.toml").unwrap();
    let head = &text[..text.find("[[client]]").unwrap()];
    let tail = &text[text.find("[[event]]").unwrap()..];
    let client = |name: &str, extra: &str| {
        format!(
            "[[client]]\nname = \"{name}\"\nhost = \"app\"\n{extra}{SENTINELS}\nservice = \"mymaster\"\nworkload = {{ writes-per-sec = 10, start = \"10s\" }}\n\n"
        )
    };
    let clients = [
        client("redis-py", "socket-timeout = \"100ms\"\n"),
        client("lettuce", "library = \"lettuce\"\n"),
        client("lettuce-once", "library = \"lettuce\"\nautoReconnect = false\n"),
    ]
    .concat();
    let s = Scenario::parse("lettuce.toml", &format!("{head}{clients}{tail}")).unwrap();
    let mut d = Deployment::build(&s, s.seed);
    d.run(&s);
    check::outcome(&s, s.seed, &d)
}

fn ops<'a>(o: &'a Outcome, client: &str) -> Vec<&'a OpRecord> {
    o.history.iter().filter(|op| &*op.client == client).collect()
}

fn lost(o: &Outcome, client: &str) -> usize {
    let prefix = format!("{client}:");
    o.writes.lost_keys.iter().filter(|k| k.starts_with(&prefix)).count()
}

#[test]
fn lettuce_loses_the_old_masters_window_and_reconnects_through_the_sentinels_at_once() {
    let o = run();
    assert!(o.expectations.passed, "{:?}", o.expectations.failures);
    let (py, lt) = (lost(&o, "redis-py"), lost(&o, "lettuce"));
    // Neither listens for +switch-master: both lose the ~10 s the old master stayed writable.
    assert!((90..=120).contains(&lt), "lettuce lost {lt}");
    assert!(lt.abs_diff(py) <= 3, "lettuce {lt}, redis-py {py}");
    let lettuce = ops(&o, "lettuce");
    assert!(
        lettuce.iter().all(|op| matches!(op.result, OpResult::Ok { .. })),
        "nothing fails: the command in flight at the kill is sent again after the reconnect"
    );
    let old = lettuce[0].node.clone();
    let last_old = lettuce.iter().rev().find(|op| op.node == old).unwrap();
    let first_new = lettuce.iter().find(|op| op.node != old).unwrap();
    assert!(last_old.completed_us > 28_000_000, "it wrote to the old master until it was killed");
    assert!(
        first_new.completed_us - last_old.completed_us < 300_000,
        "the watchdog's 1 ms delay and one lookup: {} us",
        first_new.completed_us - last_old.completed_us
    );
    assert!(o.clients["lettuce"].unavailable_ms < 1_000);
}

#[test]
fn without_auto_reconnect_every_write_after_the_kill_is_rejected() {
    let o = run();
    let once = ops(&o, "lettuce-once");
    let first_failed = once.iter().position(|op| !matches!(op.result, OpResult::Ok { .. }));
    let first_failed = first_failed.expect("the kill ends its connection");
    let error = "Currently not connected. Commands are rejected.";
    for op in &once[first_failed + 1..] {
        assert_eq!(op.result, OpResult::Error { error: error.to_string() });
    }
    assert!(once[first_failed].invoked_us > 28_000_000);
}
