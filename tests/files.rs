//! Files and streams that cannot be lost or damaged: a failed write to standard output is exit 2
//! with a message (a closed pipe is quiet), an output that is an input is refused and the input
//! left byte for byte, a failed file write leaves no partial file, oversized inputs are refused at
//! once, an echoed line is shortened, and `-` reads standard input or writes standard output.

mod common;
use common::{redsim, tmp};
use std::fs;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_redsim");
const SCENARIO: &str = "traces/blog-partition.toml";
const TRACE: &str = "traces/blog-partition.trace.jsonl";

/// Waits for `child` (reading its output) at most a minute: a generous bound, the refusals take
/// milliseconds.
fn bounded(child: std::process::Child) -> Output {
    let (done, timeout) = std::sync::mpsc::channel::<()>();
    let pid = child.id().to_string();
    let watchdog = std::thread::spawn(move || {
        if timeout.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            return true;
        }
        false
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    assert!(!watchdog.join().unwrap(), "still running after 60 s");
    out
}

/// `redsim ARGS` with standard output on `/dev/full`: (status, stderr).
fn to_dev_full(args: &[&str]) -> (i32, String) {
    let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = Command::new(BIN).args(args).stdout(full).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A fresh scratch directory `name`.
fn scratch(name: &str) -> String {
    let dir = tmp(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files in `dir`, sorted.
fn listing(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_full_standard_output_is_exit_2_with_a_message_for_every_verb() {
    let merged = tmp("full-merge.jsonl");
    let (code, stdout, _) =
        redsim(&["explore", "traces/explore-partition.toml", "--seeds", "0..2", "--json"]);
    assert_eq!(code, 0);
    fs::write(&merged, stdout).unwrap();
    let explore = ["explore", "traces/explore-partition.toml", "--seeds", "0..2", "--jobs", "1"];
    let explore_json = [&explore[..], &["--json"]].concat();
    let cases: [&[&str]; 11] = [
        &["run", SCENARIO],
        &["run", SCENARIO, "--json"],
        &["explain", SCENARIO],
        &["explain", TRACE],
        &["replay", TRACE],
        &explore,
        &explore_json,
        &["explore", "--merge", &merged],
        &["bench", "kernel", "--messages", "2000"],
        &["bench", "explore", "--seeds", "2", "--duration", "5s"],
        &["run", "--help"],
    ];
    for args in cases {
        let (code, stderr) = to_dev_full(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains("error: cannot write to standard output"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let cases: [&[&str]; 3] = [
        &["explore", "traces/explore-partition.toml", "--seeds", "0..20", "--json"],
        &["run", SCENARIO, "--trace", "-"],
        &["replay", TRACE],
    ];
    for args in cases {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let out = bounded(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("error") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = scratch("same-file");
    let input = format!("{dir}/x.toml");
    fs::copy(SCENARIO, &input).unwrap();
    let link = format!("{dir}/link.toml");
    fs::hard_link(&input, &link).unwrap();
    let symlink = format!("{dir}/sym.toml");
    std::os::unix::fs::symlink("x.toml", &symlink).unwrap();
    let dotted = format!("{dir}/./x.toml");
    let before = fs::read(&input).unwrap();
    for out in [&input, &dotted, &link, &symlink] {
        let cases: [&[&str]; 5] = [
            &["run", &input, "--trace", out],
            &["run", &input, "--html", out],
            &["export", &input, "--format", "mermaid", "-o", out],
            &["export", out, "--format", "html", "-o", &input],
            &["shrink", &input, "--seed", "1", "-o", out],
        ];
        for args in cases {
            let (code, _, stderr) = redsim(args);
            assert_eq!(code, 2, "{args:?}: {stderr}");
            assert!(stderr.contains("refusing to overwrite an input"), "{args:?}: {stderr}");
            assert_eq!(fs::read(&input).unwrap(), before, "{args:?} changed the input");
        }
    }
    let trace = format!("{dir}/t.jsonl");
    let (code, _, _) = redsim(&["run", &input, "--trace", &trace]);
    assert_eq!(code, 0);
    let kept = fs::read(&trace).unwrap();
    let (code, _, stderr) =
        redsim(&["export", &trace, "--format", "mermaid", "-o", &format!("{dir}/./t.jsonl")]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(fs::read(&trace).unwrap(), kept);
}

/// `redsim ARGS` with files limited to 4 KiB (`ulimit -f`, SIGXFSZ ignored so that the write
/// fails with EFBIG as a full disk fails with ENOSPC): (status, stderr).
fn with_small_files(args: &[&str]) -> (i32, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_failed_write_leaves_no_partial_file() {
    let dir = scratch("failed-write");
    let old = format!("{dir}/old.jsonl");
    fs::write(&old, "the previous trace\n").unwrap();
    let new = format!("{dir}/new.out");
    let cases: [&[&str]; 4] = [
        &["run", SCENARIO, "--trace", &old],
        &["run", SCENARIO, "--html", &new],
        &["export", TRACE, "--format", "html", "-o", &new],
        &["export", TRACE, "--format", "perfetto", "-o", &old],
    ];
    for args in cases {
        let (code, stderr) = with_small_files(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("error: ") && stderr.contains("File too large"), "{stderr}");
        assert_eq!(fs::read_to_string(&old).unwrap(), "the previous trace\n", "{args:?}");
        assert_eq!(listing(&dir), ["old.jsonl"], "{args:?}");
    }
}

#[test]
fn an_oversized_input_is_refused_at_once() {
    let big = tmp("big.toml");
    fs::write(&big, "#".repeat(5_000_000)).unwrap();
    let big_trace = tmp("big.jsonl");
    let line = format!("{{\"redsim_trace\":1,\"pad\":\"{}\"}}\n", "x".repeat(40 << 20));
    fs::write(&big_trace, line).unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["run", &big], "more than 4 MiB (the limit for a scenario)"),
        (&["run", "/dev/zero"], "more than 4 MiB (the limit for a scenario)"),
        (&["explore", "/dev/zero", "--seeds", "0..2"], "more than 4 MiB"),
        (&["explain", "/dev/zero"], "more than 4 MiB"),
        (&["replay", "/dev/zero"], "longer than 32 MiB"),
        (&["replay", &big_trace], "line 1 is longer than 32 MiB"),
        (
            &["explore", "--merge", "/dev/zero"],
            "/dev/zero:1: not a line of `redsim explore --json`: longer than 1 MiB",
        ),
    ];
    for (args, message) in cases {
        let mut command = Command::new(BIN);
        command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        let out = bounded(command.spawn().unwrap());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn replay_shortens_the_differing_line_it_echoes() {
    let text = fs::read_to_string(TRACE).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[5] = format!("{{\"ev\":\"extra\",\"pad\":\"{}\"}}", "y".repeat(300_000));
    let edited = tmp("long-line.jsonl");
    fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let (code, stdout, _) = redsim(&["replay", &edited]);
    assert_eq!(code, 1);
    assert!(stdout.contains("line 6 differs"), "{stdout}");
    let recorded = stdout.lines().find(|l| l.starts_with("  recorded: ")).unwrap();
    assert!(recorded.ends_with(&format!("… ({} bytes)", lines[5].len())), "{recorded}");
    assert!(recorded.chars().count() < 1100, "{recorded}");
}

/// `redsim ARGS` with `input` on standard input: (status, stdout, stderr).
fn with_stdin(args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = bounded(child);
    feeder.join().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_dash_is_standard_input_or_output() {
    let scenario = fs::read(SCENARIO).unwrap();
    let (_, from_file, _) = redsim(&["run", SCENARIO]);
    let (code, from_stdin, stderr) = with_stdin(&["run", "-"], &scenario);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(String::from_utf8(from_stdin).unwrap(), from_file);

    // `--trace -`: the trace on standard output, the summary on standard error.
    let (code, trace, stderr) = with_stdin(&["run", "-", "--trace", "-"], &scenario);
    assert_eq!(code, 0, "{stderr}");
    assert!(trace.starts_with(b"{\"redsim_trace\""));
    assert_eq!(stderr, from_file);
    let (code, stdout, stderr) = with_stdin(&["replay", "-"], &trace);
    assert_eq!(code, 0, "{stderr}");
    assert!(String::from_utf8(stdout).unwrap().contains("identical"));

    let (_, mermaid, _) = redsim(&["export", TRACE, "--format", "mermaid"]);
    let trace = fs::read(TRACE).unwrap();
    let (code, stdout, _) = with_stdin(&["export", "-", "--format", "mermaid", "-o", "-"], &trace);
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8(stdout).unwrap(), mermaid);
    let (code, stdout, _) = with_stdin(&["explain", "-"], &trace);
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8(stdout).unwrap(), redsim(&["explain", TRACE]).1);

    let (code, _, stderr) = redsim(&["run", SCENARIO, "--trace", "-", "--html", "-"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("only one output can be standard output"), "{stderr}");
}
