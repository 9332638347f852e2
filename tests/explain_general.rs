//! `explain` is not written around the blog alone: the field report's questions only for its
//! scenarios (`field-report = true`), a line for a stop and a resume, what became of the writes
//! sent to a stopped server, `--json` with the same findings, and the first question answered for
//! each library the clients run.

mod common;
use common::redsim;

#[test]
fn the_field_reports_questions_only_for_its_scenarios() {
    let (code, out, err) = redsim(&["explain", "traces/blog-kill-master.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("The field report's questions, for this run"), "{out}");
    let (code, out, err) = redsim(&["explain", "traces/manual-failover.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("field report"), "{out}");
    assert!(out.contains("\nIn short\n"), "{out}");
}

#[test]
fn a_stop_and_its_late_acknowledgement_are_explained() {
    let (code, out, err) = redsim(&["explain", "tests/paused-master.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("10.162.29.33:6371 continues (SIGCONT) after 15.000s stopped"), "{out}");
    assert!(out.contains("While a server was stopped"), "{out}");
    assert!(out.contains("were acknowledged only then (the slowest after 15.0"), "{out}");
}

#[test]
fn explain_json_holds_the_same_findings() {
    let (code, json, err) = redsim(&["explain", "tests/paused-master.toml", "--json"]);
    assert_eq!(code, 0, "{err}");
    let e: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(e["scenario"], "paused-master");
    let (_, text, _) = redsim(&["explain", "tests/paused-master.toml"]);
    for section in e["sections"].as_array().unwrap() {
        let title = section["title"].as_str().unwrap();
        assert!(text.contains(&format!("\n{title}\n")), "{title}");
        for line in section["lines"].as_array().unwrap() {
            assert!(text.contains(line.as_str().unwrap()), "{line}");
        }
    }
    let stop = &e["stops"][0];
    assert_eq!((stop["from_ms"].as_u64(), stop["to_ms"].as_u64()), (Some(20_000), Some(35_000)));
    assert_eq!(stop["acknowledged_late"], 1);
    assert!(e["clients"]["app1"]["unavailable_ms"].as_u64().unwrap() >= 14_950);
    assert_eq!(e["reproduce"], "redsim run paused-master.toml --seed 1");
}

#[test]
fn the_first_question_is_answered_for_each_library_the_clients_run() {
    let (code, out, err) = redsim(&["explain", "traces/blog-partition-clients.toml"]);
    assert_eq!(code, 0, "{err}");
    let q1 = out.split("  1. ").nth(1).and_then(|q| q.split("  2. ").next()).unwrap_or_default();
    assert!(!q1.contains("When redis-py opens a connection"), "{q1}");
    for line in [
        "redis-py (redis-py): when it opens a connection it asks them in turn (SENTINEL MASTERS)",
        "ioredis (ioredis, ioredis-detector): each (re)connect asks them in list order",
        "node-redis (node-redis): it asks the first sentinel that answers",
        "redis-rs (redis-rs): each connection it is asked for asks them in list order",
        "jedis (jedis): the pool asks them once, in the iteration order of the application's HashSet",
        "go-redis (go-redis): each new connection asks the sentinel it cached",
    ] {
        assert!(q1.contains(line), "{line}\n{q1}");
    }
    let (_, blog, _) = redsim(&["explain", "traces/blog-partition.toml"]);
    assert!(blog.contains("When redis-py opens a connection it asks them in turn"), "{blog}");
}
