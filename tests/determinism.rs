//! Same scenario, same seed: the same trace, byte for byte, in separate processes. Other seeds
//! draw other latencies but tell the same story. A tampered recording is caught at its line.

mod common;
use common::{redsim, tmp};

#[test]
fn two_processes_with_the_same_seed_write_identical_traces() {
    let (a, b) = (tmp("a.jsonl"), tmp("b.jsonl"));
    for (file, level) in [(&a, "events"), (&b, "events")] {
        let (code, _, _) = redsim(&[
            "run",
            "traces/blog-partition.toml",
            "--seed",
            "7",
            "--trace",
            file,
            "--trace-level",
            level,
        ]);
        assert_eq!(code, 0);
    }
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x.len() > 10_000);
    assert!(x == y, "the two traces differ");
    // Message level too.
    let (c, d) = (tmp("c.jsonl"), tmp("d.jsonl"));
    for file in [&c, &d] {
        redsim(&[
            "run",
            "traces/blog-kill-master.toml",
            "--trace",
            file,
            "--trace-level",
            "messages",
        ]);
    }
    assert!(std::fs::read(&c).unwrap() == std::fs::read(&d).unwrap());
}

#[test]
fn other_seeds_change_timings_but_not_the_blog_outcomes() {
    let mut traces = Vec::new();
    for seed in ["1", "2", "3"] {
        let (code, json, _) =
            redsim(&["run", "traces/blog-partition.toml", "--seed", seed, "--json"]);
        assert_eq!(code, 0, "seed {seed}: {json}");
        let o: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(o["promotions"].as_array().unwrap().len(), 1, "seed {seed}");
        assert!(
            o["writes"]["lost_keys"].as_array().unwrap().iter().any(|k| k == "iwas"),
            "seed {seed}"
        );
        let (code, json, _) =
            redsim(&["run", "traces/blog-kill-master.toml", "--seed", seed, "--json"]);
        assert_eq!(code, 0, "seed {seed}: {json}");
        let o: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(o["writes"]["lost"], 0, "seed {seed}");
        let file = tmp(&format!("seed{seed}.jsonl"));
        redsim(&["run", "traces/blog-partition.toml", "--seed", seed, "--trace", &file]);
        traces.push(std::fs::read(&file).unwrap());
    }
    assert!(traces[0] != traces[1] && traces[1] != traces[2], "different seeds, different traces");
}

#[test]
fn replay_reports_the_first_tampered_line() {
    let file = tmp("replay.jsonl");
    let (code, _, _) = redsim(&["run", "traces/blog-partition.toml", "--trace", &file]);
    assert_eq!(code, 0);
    let (code, out, _) = redsim(&["replay", &file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("identical"));
    // Change one value on line 120.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let before = lines[119].clone();
    let t = before.find("\"t\":").unwrap() + 4;
    lines[119] = format!("{}9{}", &before[..t], &before[t..]);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (code, out, _) = redsim(&["replay", &file]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("line 120 differs"), "{out}");
    assert!(out.contains(&format!("recorded: {}", lines[119])), "{out}");
    assert!(out.contains(&format!("replayed: {before}")), "{out}");
}

#[test]
fn a_trace_of_another_format_version_is_refused() {
    let file = tmp("old.jsonl");
    std::fs::write(&file, "{\"redsim_trace\":0,\"seed\":1}\n").unwrap();
    let (code, _, err) = redsim(&["replay", &file]);
    assert_eq!(code, 2);
    assert!(err.contains("trace format 0") && err.contains("reads format 1"), "{err}");
}

/// A trace is a function of the scenario and the seed: run from two working directories (the
/// scenario named by two different paths), the bytes are the same, and the trace replays and
/// explains from a third directory.
#[test]
fn the_working_directory_does_not_reach_the_trace() {
    use std::process::Command;
    let root = std::env::current_dir().unwrap();
    let (a, b) = (tmp("cwd-a.jsonl"), tmp("cwd-b.jsonl"));
    let run = |cwd: &std::path::Path, path: &str, out: &str| {
        let st = Command::new(env!("CARGO_BIN_EXE_redsim"))
            .current_dir(cwd)
            .args(["run", path, "--trace", out])
            .output()
            .unwrap();
        assert_eq!(st.status.code(), Some(0), "{}", String::from_utf8_lossy(&st.stderr));
    };
    run(&root, "traces/manual-failover.toml", &a);
    run(&root.join("traces"), "manual-failover.toml", &b);
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x == y, "the traces differ by working directory");
    let header = String::from_utf8_lossy(&x).lines().next().unwrap().to_string();
    assert!(header.contains("\"path\":\"manual-failover.toml\""), "{header}");
    let elsewhere = std::env::temp_dir();
    for verb in ["replay", "explain"] {
        let st = Command::new(env!("CARGO_BIN_EXE_redsim"))
            .current_dir(&elsewhere)
            .args([verb, &a])
            .output()
            .unwrap();
        assert_eq!(st.status.code(), Some(0), "{verb}: {}", String::from_utf8_lossy(&st.stderr));
    }
}
