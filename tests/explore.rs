//! `redsim explore` and `redsim shrink` on the bundled explorations: the lost-write distribution
//! over 2,000 seeds, the bound min-replicas-to-write puts on it, a weak configuration's failures
//! and their shrunk schedules, and results that do not depend on threads or shards.

mod common;
use common::{redsim_env as redsim, tmp};

use lab::explore::{SeedResult, run_seeds};
use lab::scenario::Scenario;

/// The per-seed lines and the summary of `--json` output.
fn lines(json: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut seeds = Vec::new();
    let mut summary = serde_json::Value::Null;
    for l in json.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v.get("summary").is_some() {
            summary = v["summary"].clone();
        } else {
            seeds.push(v);
        }
    }
    (seeds, summary)
}

fn results(path: &str, seeds: std::ops::Range<u64>) -> Vec<SeedResult> {
    let s = Scenario::load(path).unwrap();
    run_seeds(&s, &seeds.collect::<Vec<_>>(), 2, &|_| {})
}

#[test]
fn explore_partition_over_2000_seeds_reports_the_lost_write_distribution() {
    let (code, out, err) =
        redsim(&["explore", "traces/explore-partition.toml", "--seeds", "0..2000", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let (seeds, summary) = lines(&out);
    assert_eq!(seeds.len(), 2000);
    assert_eq!(summary["seeds"], 2000);
    assert_eq!(summary["failed"], 0, "every invariant holds: {}", summary["failures"]);
    assert_eq!(summary["lost_writes"]["n"], 2000);
    assert!(summary["lost_writes"]["max"].as_u64().unwrap() > 100, "some faults lose writes");
    assert_eq!(summary["lost_writes"]["min"], 0, "some faults lose none");
    assert!(summary["switch_ms"]["n"].as_u64().unwrap() > 200, "failovers happen");
    // Wall-clock speed is on stderr, never in the summary (which must be the same on every run).
    assert!(summary.get("seeds_per_sec").is_none(), "{summary}");
    assert!(err.contains(" seeds/s on "), "{err}");
}

/// With `min-replicas-max-lag 10`, an isolated master refuses writes once its replicas' last
/// acknowledgement is more than 10 whole seconds old, checked once a second: up to 12 s after
/// that last ACK. Under a one-way cut the replicas' ACKs may still arrive for up to two
/// retransmission timeouts (0.4 s) after it, so the writes it acknowledges alone span at most
/// 12.4 s. A single fault can only isolate; with several, a lagging replica can be promoted while
/// another kept the master writable (see the README).
#[test]
fn min_replicas_bounds_the_lost_write_window_of_an_isolated_master() {
    let bound_ms = (10 + 2) * 1000 + 400;
    let plain = results("traces/explore-partition.toml", 0..300);
    let guarded = results("traces/explore-partition-min-replicas.toml", 0..300);
    let mut single = 0;
    for (p, g) in plain.iter().zip(&guarded) {
        assert_eq!(p.faults, g.faults, "seed {}: the same schedule", p.seed);
        if g.faults.len() == 1 {
            single += 1;
            assert!(
                g.lost_window_ms <= bound_ms,
                "seed {}: {} ms of lost writes ({:?})",
                g.seed,
                g.lost_window_ms,
                g.faults
            );
        }
    }
    assert!(single >= 50, "{single} single-fault seeds");
    let worst = |rs: &[SeedResult]| {
        rs.iter().filter(|r| r.faults.len() == 1).map(|r| r.lost_window_ms).max().unwrap()
    };
    assert!(worst(&plain) > bound_ms, "without min-replicas the window is longer");
    assert!(worst(&guarded) > 8_000, "the bound is nearly reached: {}", worst(&guarded));
}

#[test]
fn a_weak_configuration_loses_writes_and_shrinks_to_at_most_two_faults() {
    let weak = Scenario::load("traces/explore-weak.toml").unwrap();
    let rs = results("traces/explore-weak.toml", 0..100);
    let failing: Vec<&SeedResult> = rs.iter().filter(|r| !r.passed).collect();
    assert!(failing.len() >= 10, "only {} of 100 seeds fail", failing.len());
    for r in failing.iter().take(3) {
        let shrunk = lab::shrink::shrink(&weak, r.seed, None).unwrap();
        assert_eq!(shrunk.property, "lost-writes");
        assert!(shrunk.faults.len() <= 2, "seed {}: {:?}", r.seed, shrunk.faults);
        assert!(shrunk.faults.len() <= shrunk.original.len());
        let out = tmp(&format!("weak-{}.toml", r.seed));
        let (code, _, err) = redsim(
            &["shrink", "traces/explore-weak.toml", "--seed", &r.seed.to_string(), "-o", &out],
            &[],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), shrunk.text);
        let (code, json, _) = redsim(&["run", &out, "--json"], &[]);
        assert_eq!(code, 1, "the shrunk scenario fails on its own");
        let o: serde_json::Value = serde_json::from_str(&json).unwrap();
        let failures = o["expectations"]["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1);
        assert!(failures[0].as_str().unwrap().starts_with("lost-writes:"), "{failures:?}");
    }
}

/// The text lists the first five failing seeds with their reproduce lines, the count, and the
/// next step; `--json` gives every failing seed its reproduce line.
#[test]
fn failing_seeds_print_the_command_that_reproduces_them_and_the_next_step() {
    let (code, out, _) = redsim(&["explore", "traces/explore-weak.toml", "--seeds", "40"], &[]);
    assert_eq!(code, 1);
    let (_, json, _) =
        redsim(&["explore", "traces/explore-weak.toml", "--seeds", "0..40", "--json"], &[]);
    let (seeds, _) = lines(&json);
    let failing: Vec<&serde_json::Value> = seeds.iter().filter(|s| s["passed"] == false).collect();
    assert!(failing.len() > 5, "{} failing seeds", failing.len());
    assert!(out.contains(&format!("failing seeds (first 5 of {}):", failing.len())), "{out}");
    assert!(out.contains(&format!("  ... {} more (--json lists every seed)", failing.len() - 5)));
    assert_eq!(out.matches("reproduce: ").count(), 5, "{out}");
    for (k, s) in failing.iter().enumerate() {
        let cmd = format!("redsim run traces/explore-weak.toml --seed {}", s["seed"]);
        assert_eq!(out.contains(&format!("reproduce: {cmd}\n")), k < 5, "{cmd}");
        assert_eq!(s["reproduce"], cmd.as_str());
    }
    let first = &failing[0]["seed"];
    let next =
        format!("next: redsim shrink traces/explore-weak.toml --seed {first} -o seed-{first}.toml");
    assert!(out.contains(&next), "{out}");
    // The command does reproduce the seed: same failures, same counts.
    let s = failing[0];
    let (code, json, _) = redsim(
        &["run", "traces/explore-weak.toml", "--seed", &s["seed"].to_string(), "--json"],
        &[],
    );
    assert_eq!(code, 1);
    let o: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(o["expectations"]["failures"], s["failures"]);
    assert_eq!(o["writes"]["lost"], s["writes"]["lost"]);
    assert_eq!(o["faults"], s["faults"]);
}

#[test]
fn threads_and_shards_do_not_change_results() {
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args =
            vec!["explore", "traces/explore-partition.toml", "--seeds", "0..60", "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = redsim(&args, env);
        assert_eq!(code, 0, "{err}");
        out
    };
    let one = run(&["--jobs", "1"], &[]);
    let two = run(&["--jobs", "2"], &[]);
    assert_eq!(lines(&one).0, lines(&two).0, "--jobs 1 and --jobs 2 give the same seeds");

    let files: Vec<String> = [
        ("shard0.jsonl", run(&["--shard", "0/3"], &[])),
        (
            "shard1.jsonl",
            run(&[], &[("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")]),
        ),
        ("shard2.jsonl", run(&[], &[("JOB_COMPLETION_INDEX", "2"), ("REDSIM_SHARD_COUNT", "3")])),
    ]
    .into_iter()
    .map(|(name, out)| {
        let (seeds, _) = lines(&out);
        assert_eq!(seeds.len(), 20, "{name}");
        let path = tmp(name);
        std::fs::write(&path, out).unwrap();
        path
    })
    .collect();
    let mut args = vec!["explore", "--json", "--merge"];
    args.extend(files.iter().map(String::as_str));
    let (code, merged, err) = redsim(&args, &[]);
    assert_eq!(code, 0, "{err}");
    // Byte for byte: the seed lines, the summary and the shard line of the whole range.
    assert_eq!(merged, one);
}

#[test]
fn bad_explore_arguments_exit_2() {
    for args in [
        vec!["explore", "traces/explore-partition.toml", "--seeds", "ten"],
        vec!["explore", "traces/explore-partition.toml", "--seeds", "5..5"],
        vec!["explore", "traces/explore-partition.toml", "--shard", "3/3"],
        vec!["explore", "traces/explore-partition.toml", "--seeds", "0..1000000000"],
        vec!["explore", "tests/bad/explore-kind.toml"],
        vec!["shrink", "traces/blog-partition.toml", "--seed", "1", "-o", "/dev/null"],
        vec!["shrink", "traces/explore-partition.toml", "--seed", "0", "-o", "/dev/null"],
    ] {
        let (code, _, err) = redsim(&args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let (_, _, err) = redsim(&["run", "tests/bad/explore-kind.toml"], &[]);
    assert!(
        err.starts_with("error: tests/bad/explore-kind.toml:14:18: unknown fault kind `flood`"),
        "{err}"
    );
}

/// The kind `crash`: each seed takes the power from a host of `hosts` for the fault's length;
/// under `appendfsync everysec` what is lost is at most the writes of about one second (50/s
/// here), under `always` nothing.
#[test]
fn the_crash_kind_loses_at_most_a_second_under_everysec_and_nothing_under_always() {
    let space = "\n[explore]\nfaults = 1\nwindow = \"8s..30s\"\nlength = \"1s..15s\"\nkinds = [\"crash\"]\nhosts = [\"10.0.0.1\"]\n";
    let lost = |file: &str| -> Vec<(u64, Vec<String>)> {
        let text = std::fs::read_to_string(file).unwrap();
        // The exploration replaces the scenario's own fault and expectations.
        let text = text[..text.find("[[event]]").unwrap()].to_string() + space;
        let s = Scenario::from_bytes(file, text.as_bytes()).unwrap();
        run_seeds(&s, &(0..40).collect::<Vec<_>>(), 2, &|_| {})
            .into_iter()
            .map(|r| (r.writes.lost, r.faults))
            .collect()
    };
    let everysec = lost("traces/host-crash-fsync.toml");
    assert!(everysec.iter().all(|(_, f)| f.len() == 1 && f[0].contains(" crash 10.0.0.1 for ")));
    assert!(everysec.iter().all(|(n, f)| *n <= 51 && !f.is_empty()), "{everysec:?}");
    assert!(everysec.iter().any(|(n, _)| *n > 0), "some power losses take writes: {everysec:?}");
    let always = lost("traces/host-crash-fsync-always.toml");
    assert!(always.iter().all(|(n, _)| *n == 0), "{always:?}");
}
