//! `INFO replication` in Redis 7.0's exact format, for a master with two replicas and for one of
//! the replicas, after the replicas have synced and a client has written.

use lab::run::Deployment;
use lab::scenario::Scenario;
use model::info::Info;
use sim::Instant;

const SCENARIO: &str = r#"
duration = "20s"
[[host]]
name = "10.162.29.33"
[[host]]
name = "10.162.29.36"
[[host]]
name = "10.162.29.37"
[[redis]]
host = "10.162.29.33"
port = 6371
[[redis]]
host = "10.162.29.36"
port = 6371
config = { replicaof = "10.162.29.33 6371" }
[[redis]]
host = "10.162.29.37"
port = 6371
config = { replicaof = "10.162.29.33 6371", replica-priority = 50 }
[[event]]
at = "8s"
command = ["SET", "iam", "master"]
on = "10.162.29.33:6371"
"#;

fn info_after(seconds: u64, node: usize) -> String {
    let s = Scenario::parse("info.toml", SCENARIO).unwrap();
    let mut d = Deployment::build(&s, 1);
    d.run_until(&s, Instant::from_millis(seconds * 1000));
    let pid = d.redis[node];
    let unix = lab::run::WALL_CLOCK_BASE_US / 1_000_000 + seconds;
    let Some(Info::Server(info)) =
        d.world.actor(pid).as_server().unwrap().info(unix, d.world.now())
    else {
        panic!("a running server")
    };
    info.replication().replace("\r\n", "\n")
}

#[test]
fn info_replication_of_a_master_with_two_replicas() {
    insta::assert_snapshot!(info_after(12, 0));
}

#[test]
fn info_replication_of_a_replica() {
    insta::assert_snapshot!(info_after(12, 2));
}
