//! The browser playground computes what the CLI computes: `playground::run::run`, the function
//! the wasm export `pg_run` wraps, gives the same outcome and `trace_digest` as `redsim run
//! --json` for the same scenario text, file name and seed; the digest is the trace file's.

mod common;
use common::{redsim, tmp};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn the_playground_run_matches_the_cli() {
    for (path, seed) in [("traces/blog-partition.toml", 1), ("traces/blog-kill-master.toml", 7)] {
        let seed = seed.to_string();
        let (code, out, err) = redsim(&["run", path, "--seed", &seed, "--json"]);
        assert!(code == 0 || code == 1, "{err}");
        let cli = json(&out);
        let name = path.trim_start_matches("traces/");
        let text = std::fs::read_to_string(path).unwrap();
        let page = json(&playground::run::run(name, &text, Some(seed.parse().unwrap())));
        assert_eq!(page["ok"], true, "{page}");
        assert_eq!(page["outcome"], cli, "{path} seed {seed}: the outcomes differ");
        assert_eq!(page["trace_digest"], cli["trace_digest"]);
        assert!(page["timeline"]["lanes"].as_array().is_some_and(|l| !l.is_empty()));
        assert!(page["explanation"].as_str().is_some_and(|e| e.contains("promot")));
    }
}

#[test]
fn the_digest_is_fnv1a_of_the_trace_file() {
    let file = tmp("digest.jsonl");
    let (code, out, _) =
        redsim(&["run", "traces/blog-partition.toml", "--seed", "3", "--json", "--trace", &file]);
    assert_eq!(code, 0);
    let h = sim::rng::fnv1a64(&std::fs::read(&file).unwrap());
    assert_eq!(json(&out)["trace_digest"], format!("fnv1a64:{h:016x}"));
    // Another seed, another trace.
    let (_, other, _) = redsim(&["run", "traces/blog-partition.toml", "--seed", "4", "--json"]);
    assert_ne!(json(&other)["trace_digest"], json(&out)["trace_digest"]);
}

#[test]
fn every_lesson_runs_a_bundled_scenario() {
    let lessons = playground::lessons::lessons().unwrap();
    assert_eq!(lessons.len(), 5);
    assert_eq!((lessons[0].scenario.as_str(), lessons[0].seed), ("blog-partition.toml", 1));
    for l in &lessons {
        let path = format!("traces/{}", l.scenario);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let page = json(&playground::run::run(&l.scenario, &text, Some(l.seed)));
        assert_eq!(page["ok"], true, "{}: {page}", l.title);
    }
}
