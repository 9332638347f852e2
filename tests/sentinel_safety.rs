//! Sentinel safety over random deployments (3-5 sentinels, quorum 1..n) and random fault
//! schedules: no two sentinels are elected leader in the same epoch, and each config epoch names
//! one master. Failures shrink to a minimal schedule.

use model::node::Note;
use model::run::Deployment;
use model::scenario::Scenario;
use model::sentinel::Why;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Clone, Debug)]
enum Fault {
    KillRedis(usize),
    RestartRedis(usize),
    KillSentinel(usize),
    RestartSentinel(usize),
    Isolate(Vec<usize>),
    OneWay(Vec<usize>),
    PauseSentinel(usize, u64),
    Heal,
}

#[derive(Clone, Debug)]
struct Deploy {
    seed: u64,
    replicas: usize,
    sentinels: usize,
    quorum: usize,
    down_after_ms: u64,
    faults: Vec<(u64, Fault)>,
}

fn fault(redis: usize, sentinels: usize) -> impl Strategy<Value = Fault> {
    let hosts = redis + sentinels;
    let set = proptest::collection::btree_set(0..hosts, 1..=hosts.min(4))
        .prop_map(|s| s.into_iter().collect::<Vec<_>>());
    prop_oneof![
        (0..redis).prop_map(Fault::KillRedis),
        (0..redis).prop_map(Fault::RestartRedis),
        (0..sentinels).prop_map(Fault::KillSentinel),
        (0..sentinels).prop_map(Fault::RestartSentinel),
        set.clone().prop_map(Fault::Isolate),
        set.prop_map(Fault::OneWay),
        (0..sentinels, 1_000u64..8_000).prop_map(|(s, d)| Fault::PauseSentinel(s, d)),
        Just(Fault::Heal),
    ]
}

fn deploy() -> impl Strategy<Value = Deploy> {
    (1usize..=3, 3usize..=5).prop_flat_map(|(replicas, sentinels)| {
        let faults =
            proptest::collection::vec((5_000u64..45_000, fault(replicas + 1, sentinels)), 1..6);
        (
            any::<u64>(),
            Just(replicas),
            Just(sentinels),
            1..=sentinels,
            prop_oneof![Just(2_000u64), Just(5_000)],
            faults,
        )
            .prop_map(|(seed, replicas, sentinels, quorum, down_after_ms, mut faults)| {
                faults.sort_by_key(|f| f.0);
                Deploy { seed, replicas, sentinels, quorum, down_after_ms, faults }
            })
    })
}

/// The deployment as a scenario file: redis i on host `r<i>`, sentinel j on host `s<j>`.
fn scenario(d: &Deploy) -> String {
    let mut s = String::from("duration = \"70s\"\n");
    let redis = d.replicas + 1;
    let host = |i: usize| if i < redis { format!("r{i}") } else { format!("s{}", i - redis) };
    for i in 0..redis + d.sentinels {
        let _ = writeln!(s, "[[host]]\nname = \"{}\"", host(i));
    }
    for i in 0..redis {
        let _ = writeln!(s, "[[redis]]\nhost = \"r{i}\"\nport = 6379");
        if i > 0 {
            let _ = writeln!(s, "config = {{ replicaof = \"r0 6379\" }}");
        }
    }
    for j in 0..d.sentinels {
        let _ = writeln!(
            s,
            "[[sentinel]]\nhost = \"s{j}\"\nport = 26379\nconfig = {{ \"sentinel monitor\" = \"mymaster r0 6379 {}\", down-after-milliseconds = {}, failover-timeout = 10000 }}",
            d.quorum, d.down_after_ms
        );
    }
    for (at, f) in &d.faults {
        let _ = write!(s, "[[event]]\nat = \"{at}ms\"\n");
        let names = |v: &Vec<usize>| {
            v.iter().map(|&i| format!("\"{}\"", host(i))).collect::<Vec<_>>().join(", ")
        };
        let others = |v: &Vec<usize>| {
            (0..redis + d.sentinels)
                .filter(|i| !v.contains(i))
                .map(|i| format!("\"{}\"", host(i)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match f {
            Fault::KillRedis(i) => _ = writeln!(s, "kill = \"r{i}:6379\""),
            Fault::RestartRedis(i) => _ = writeln!(s, "restart = \"r{i}:6379\""),
            Fault::KillSentinel(j) => _ = writeln!(s, "kill = \"s{j}:26379\""),
            Fault::RestartSentinel(j) => _ = writeln!(s, "restart = \"s{j}:26379\""),
            Fault::PauseSentinel(j, ms) => {
                _ = writeln!(s, "pause = \"s{j}:26379\"\nfor = \"{ms}ms\"")
            }
            Fault::Isolate(v) | Fault::OneWay(v) if v.len() == redis + d.sentinels => {
                _ = writeln!(s, "heal = true")
            }
            Fault::Isolate(v) => _ = writeln!(s, "partition = [[{}], [{}]]", names(v), others(v)),
            Fault::OneWay(v) => {
                _ = writeln!(s, "partition = [[{}], [{}]]\noneway = true", names(v), others(v))
            }
            Fault::Heal => _ = writeln!(s, "heal = true"),
        }
    }
    s
}

/// Who or what, per epoch.
type ByEpoch = BTreeMap<u64, BTreeSet<String>>;

/// Runs the deployment; returns the leaders elected per epoch and the masters named per config
/// epoch, and the number of promotions.
fn run(d: &Deploy) -> (ByEpoch, ByEpoch, usize) {
    let text = scenario(d);
    let s = Scenario::parse("generated.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut dep = Deployment::build(&s, d.seed);
    dep.run(&s);
    let w = &dep.world;
    let mut ids: BTreeMap<sim::ProcessId, String> = BTreeMap::new();
    let mut leaders = ByEpoch::new();
    let mut configs = ByEpoch::new();
    let mut promotions = 0;
    for n in w.notes() {
        match &n.note {
            Note::Why(Why::Identity { run_id }) => {
                ids.insert(n.pid, run_id.clone());
            }
            Note::Why(Why::Votes { epoch, winner: Some(winner), .. })
                if ids.get(&n.pid) == Some(winner) =>
            {
                leaders.entry(*epoch).or_default().insert(w.name(n.pid).to_string());
            }
            Note::Why(Why::Config { epoch, master }) => {
                configs.entry(*epoch).or_default().insert(master.clone());
            }
            Note::Repl(model::server::ReplNote::Promoted { .. }) => promotions += 1,
            _ => {}
        }
    }
    (leaders, configs, promotions)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_leader_per_epoch_and_one_master_per_config_epoch(d in deploy()) {
        let (leaders, configs, _) = run(&d);
        for (epoch, who) in &leaders {
            prop_assert!(who.len() == 1, "epoch {} has leaders {:?}\n{}", epoch, who, scenario(&d));
        }
        for (epoch, masters) in &configs {
            prop_assert!(masters.len() == 1, "config epoch {} names {:?}\n{}", epoch, masters, scenario(&d));
        }
    }
}

/// A "sometimes" check: the random schedules above do exercise failovers (a sweep where nothing
/// ever failed over would pass the safety property vacuously).
#[test]
fn the_fault_space_does_produce_failovers() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = deploy();
    let mut with_promotion = 0;
    for _ in 0..24 {
        let d = strategy.new_tree(&mut runner).unwrap().current();
        if run(&d).2 > 0 {
            with_promotion += 1;
        }
    }
    assert!(with_promotion >= 3, "only {with_promotion} of 24 runs promoted a replica");
}
