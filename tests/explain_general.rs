//! `explain` is not written around the blog alone: the field report's questions only for its
//! scenarios (`field-report = true`), a line for a stop and a resume, what became of the writes
//! sent to a stopped server, and `--json` with the same findings.

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
