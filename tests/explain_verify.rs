//! `redsim explain TRACE` (and `export TRACE`) believe a trace only once its replay matches it
//! line for line: every tampering `redsim replay` catches is refused with exit status 1 and the
//! first differing line as `replay` reports it; a file that is neither a trace nor a scenario is
//! named as such, with exit status 2.

mod common;
use common::{redsim, tmp};

/// A fresh trace of `scenario`, as its lines.
fn trace(scenario: &str, name: &str) -> Vec<String> {
    let file = tmp(name);
    let (code, _, err) = redsim(&["run", scenario, "--trace", &file]);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(&file).unwrap().lines().map(String::from).collect()
}

/// Writes `lines` as a trace file and returns its path.
fn write(name: &str, lines: &[String]) -> String {
    let file = tmp(name);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    file
}

/// `explain FILE` refuses the file: exit 1, nothing explained, the first differing line named as
/// `replay` names it (and `replay` agrees).
fn refused(file: &str) -> String {
    let (code, out, err) = redsim(&["explain", file]);
    assert_eq!(code, 1, "explain accepted a tampered trace:\n{out}");
    assert!(out.is_empty(), "explain said something about a tampered trace:\n{out}");
    let (rcode, rout, _) = redsim(&["replay", file]);
    assert_eq!(rcode, 1);
    let first = rout.lines().next().unwrap();
    assert!(err.contains(first), "explain's refusal\n{err}\ndoes not show replay's\n{rout}");
    assert!(err.contains("does not replay as it was recorded"), "{err}");
    err
}

#[test]
fn an_untouched_trace_is_explained() {
    let lines = trace("traces/blog-kill-master.toml", "kill1.jsonl");
    let file = write("kill-untouched.jsonl", &lines);
    let (code, out, err) = redsim(&["explain", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("What happened in blog-kill-master"), "{out}");
}

#[test]
fn a_flipped_byte_in_the_outcome_line_is_refused() {
    let mut lines = trace("traces/blog-kill-master.toml", "kill2.jsonl");
    let last = lines.len() - 1;
    assert!(lines[last].contains("\"lost\":0"), "{}", lines[last]);
    lines[last] = lines[last].replacen("\"lost\":0", "\"lost\":1", 1);
    let err = refused(&write("flipped.jsonl", &lines));
    assert!(err.contains(&format!("line {} differs", last + 1)), "{err}");
    assert!(!err.contains("1 acknowledged writes lost"));
}

#[test]
fn removed_duplicated_and_swapped_lines_are_refused() {
    let lines = trace("traces/blog-kill-master.toml", "kill3.jsonl");
    let mut removed = lines.clone();
    removed.remove(100);
    let err = refused(&write("removed.jsonl", &removed));
    assert!(err.contains("line 101 differs"), "{err}");

    let mut duplicated = lines.clone();
    duplicated.insert(100, lines[100].clone());
    let err = refused(&write("duplicated.jsonl", &duplicated));
    assert!(err.contains("line 102 differs"), "{err}");

    let mut swapped = lines.clone();
    let i = (50..lines.len() - 1).find(|&i| lines[i] != lines[i + 1]).unwrap();
    swapped.swap(i, i + 1);
    let err = refused(&write("swapped.jsonl", &swapped));
    assert!(err.contains(&format!("line {} differs", i + 1)), "{err}");

    let mut cut = lines.clone();
    cut.truncate(lines.len() - 1);
    let err = refused(&write("cut.jsonl", &cut));
    assert!(err.contains("(the recording ends here)"), "{err}");
}

#[test]
fn a_changed_header_seed_is_refused() {
    let mut lines = trace("traces/blog-kill-master.toml", "kill4.jsonl");
    assert!(lines[0].contains("\"seed\":1,"), "{}", lines[0]);
    lines[0] = lines[0].replacen("\"seed\":1,", "\"seed\":2,", 1);
    refused(&write("seed.jsonl", &lines));
}

#[test]
fn one_scenarios_header_on_anothers_body_is_refused() {
    let kill = trace("traces/blog-kill-master.toml", "kill5.jsonl");
    let mut partition = trace("traces/blog-partition.toml", "partition.jsonl");
    partition[0] = kill[0].clone();
    refused(&write("mixed.jsonl", &partition));
}

/// `export` reads traces through the same check.
#[test]
fn export_refuses_a_tampered_trace_too() {
    let mut lines = trace("traces/blog-kill-master.toml", "kill6.jsonl");
    let last = lines.len() - 1;
    lines[last] = lines[last].replacen("\"lost\":0", "\"lost\":1", 1);
    let file = write("export-flipped.jsonl", &lines);
    let (code, out, err) = redsim(&["export", &file, "--format", "mermaid"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty() && err.contains(&format!("line {} differs", last + 1)), "{err}");
}

#[test]
fn a_file_that_is_neither_a_trace_nor_a_scenario_is_named_as_such() {
    let json = tmp("not-a-trace.json");
    std::fs::write(&json, "{\"hello\": [1, 2, 3]}\n").unwrap();
    let binary = tmp("binary.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 255, 10]).unwrap();
    for file in [&json, &binary] {
        let (code, out, err) = redsim(&["explain", file]);
        assert_eq!(code, 2, "{out}");
        assert!(
            err.contains("is neither a trace written by `redsim run --trace`")
                && err.contains("nor a scenario file (TOML"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line, no TOML caret: {err}");
    }
    // A TOML file that is not a valid scenario keeps the scenario's own error.
    let (code, _, err) = redsim(&["explain", "tests/bad/iptables-token.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("iptables: unsupported option `-i`"), "{err}");
}
