//! Bad input exits 2 with one line naming file:line:column and the offending key, host, token,
//! directive or time, then the line and a caret. Never a panic.

mod common;
use common::redsim;

/// Runs `tests/bad/<file>` and returns the error's first line.
fn first_line(file: &str) -> String {
    let path = format!("tests/bad/{file}");
    let (code, stdout, stderr) = redsim(&["run", &path]);
    assert_eq!(code, 2, "{file}: exit status; stderr:\n{stderr}");
    assert!(stdout.is_empty(), "{file}: nothing on stdout");
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    let line = stderr.lines().next().unwrap_or_default().to_string();
    assert!(line.starts_with(&format!("error: {path}:")), "{file}: {line}");
    line
}

#[test]
fn a_toml_syntax_error_names_its_position() {
    let line = first_line("syntax.toml");
    assert!(line.starts_with("error: tests/bad/syntax.toml:3:"), "{line}");
}

#[test]
fn an_unknown_key_is_named() {
    let line = first_line("unknown-key.toml");
    assert!(line.starts_with("error: tests/bad/unknown-key.toml:10:1:"), "{line}");
    assert!(line.contains("replicas"), "{line}");
}

#[test]
fn an_unknown_host_is_named() {
    let line = first_line("unknown-host.toml");
    assert!(line.starts_with("error: tests/bad/unknown-host.toml:10:24:"), "{line}");
    assert!(line.contains("10.0.0.9"), "{line}");
}

#[test]
fn an_unsupported_iptables_token_is_named_at_its_column() {
    let line = first_line("iptables-token.toml");
    // `-i` is the 10th character of the rule, whose opening quote is in column 12.
    assert!(line.starts_with("error: tests/bad/iptables-token.toml:15:22:"), "{line}");
    assert!(line.contains("`-i`"), "{line}");
}

#[test]
fn a_directive_the_model_does_not_implement_is_named() {
    let line = first_line("unknown-directive.toml");
    assert!(line.starts_with("error: tests/bad/unknown-directive.toml:10:12:"), "{line}");
    assert!(line.contains("maxmemory"), "{line}");
}

#[test]
fn a_bad_time_is_named() {
    let line = first_line("bad-time.toml");
    assert!(line.starts_with("error: tests/bad/bad-time.toml:2:12:"), "{line}");
    assert!(line.contains("10 seconds"), "{line}");
}

#[test]
fn a_missing_file_exits_2() {
    let (code, _, stderr) = redsim(&["run", "tests/bad/does-not-exist.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: tests/bad/does-not-exist.toml: cannot read the scenario"),
        "{stderr}"
    );
}

#[test]
fn the_error_shows_the_line_and_a_caret() {
    let (_, _, stderr) = redsim(&["run", "tests/bad/unknown-host.toml"]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[2], "10 | config = { replicaof = \"10.0.0.9 6379\" }");
    assert_eq!(lines[3], "   |                        ^");
}
