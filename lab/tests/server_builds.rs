//! `server = "redis-7.0" | "redis-6.2" | "valkey-9.1"`: each process's build, its defaults and
//! directives, and the fast restart of an empty master timed on each build as the real builds
//! timed it (replicas wiped 0.71 s after the restart on 6.2.14, 6.05 s on 7.0.15, 6.94 s on
//! Valkey 9.1.2, whose replicas load at their next cron after the download).

use lab::run::Deployment;
use lab::scenario::{Scenario, ServerBuild};
use model::info::Info;
use sim::Instant;

/// `traces/restart-without-persistence.toml` on `server`: killed at 20 s, restarted at 20.010 s.
fn fast_restart(server: &str) -> Scenario {
    let text = std::fs::read_to_string("../traces/restart-without-persistence.toml").unwrap();
    Scenario::parse("fast-restart.toml", &format!("server = \"{server}\"\n{text}")).unwrap()
}

/// When each replica no longer has the first write, in ms after the restart (checked every
/// 10 ms up to 10 s).
fn wiped_after_restart_ms(server: &str) -> Vec<u64> {
    let s = fast_restart(server);
    let mut d = Deployment::build(&s, s.seed);
    let mut wiped = vec![None; 2];
    for ms in (20_010..30_010).step_by(10) {
        d.run_until(&s, Instant::from_millis(ms));
        for (i, w) in wiped.iter_mut().enumerate() {
            let replica = d.world.actor(d.redis[i + 1]).as_server().unwrap();
            if w.is_none() && replica.get("app1:000000").is_none() {
                *w = Some(ms - 20_010);
            }
        }
    }
    wiped.into_iter().map(|w| w.expect("wiped within 10 s")).collect()
}

#[test]
fn a_fast_restart_wipes_the_replicas_within_a_second_on_6_2_and_after_the_delay_on_7_0() {
    for ms in wiped_after_restart_ms("redis-6.2") {
        assert!(ms <= 1_000, "6.2 forks a disk BGSAVE at the replica's reconnect: {ms} ms");
    }
    for ms in wiped_after_restart_ms("redis-7.0") {
        assert!((4_000..=6_100).contains(&ms), "7.0 waits for the diskless delay: {ms} ms");
    }
    let seven = wiped_after_restart_ms("redis-7.0");
    for (v, s) in wiped_after_restart_ms("valkey-9.1").into_iter().zip(seven) {
        assert!(v >= s && v <= s + 1_000, "Valkey loads at its next cron: {v} ms, 7.0 {s} ms");
    }
}

const TWO_BUILDS: &str = r#"
duration = "10s"
server = "redis-6.2"
[[host]]
name = "a"
[[host]]
name = "b"
[[redis]]
host = "a"
port = 6379
[[redis]]
host = "b"
port = 6379
server = "valkey-9.1"
config = { replicaof = "a 6379" }
[[sentinel]]
host = "a"
port = 26379
config = { "sentinel monitor" = "mymaster a 6379 1" }
"#;

#[test]
fn each_process_runs_its_own_build_or_the_scenario_s() {
    let s = Scenario::parse("builds.toml", TWO_BUILDS).unwrap();
    assert_eq!(s.redis[0].server, ServerBuild::Redis62);
    assert_eq!(s.redis[1].server, ServerBuild::Valkey91);
    assert_eq!(s.sentinels[0].server, ServerBuild::Redis62);
    assert!(!s.redis[0].config.repl_diskless_sync, "6.2 syncs through disk by default");
    assert!(s.redis[1].config.repl_diskless_sync);
    assert_eq!(s.redis[1].config.repl_backlog_size, 10 * 1024 * 1024);
    let plain = Scenario::parse("x.toml", &TWO_BUILDS.replace("server = ", "# ")).unwrap();
    assert_eq!(plain.redis[0].server, ServerBuild::Redis70);
}

#[test]
fn a_6_2_sentinel_refuses_a_7_0_directive_at_its_name() {
    let text = TWO_BUILDS.replace(
        r#"1" }"#,
        r#"1", "sentinel master-reboot-down-after-period" = "mymaster 1000" }"#,
    );
    let e = Scenario::parse("x.toml", &text).unwrap_err().to_string();
    assert!(e.starts_with("x.toml:19:54:"), "{e}");
    assert!(e.contains("master-reboot-down-after-period") && e.contains("redis-6.2"), "{e}");
}

#[test]
fn info_says_which_build_answers() {
    let s = Scenario::parse("builds.toml", TWO_BUILDS).unwrap();
    let mut d = Deployment::build(&s, 1);
    d.run_until(&s, Instant::from_millis(5_000));
    let info = |i: usize| {
        let server = d.world.actor(d.redis[i]).as_server().unwrap();
        let Some(Info::Server(info)) = server.info(0, d.world.now()) else { panic!("running") };
        Info::Server(info).render()
    };
    assert!(info(0).contains("redis_version:6.2.14\r\nredis_mode:standalone\r\n"));
    let valkey = info(1);
    assert!(valkey.contains("server_name:valkey\r\nvalkey_version:9.1.2\r\n"), "{valkey}");
    assert!(valkey.contains("replicas_repl_buffer_size:0\r\n"), "{valkey}");
}
