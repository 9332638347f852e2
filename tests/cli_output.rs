//! What `redsim run` prints by default (the summary alone), with `--events` and `--quiet`, and
//! where colour may appear: only when asked for or on a terminal, never in a pipe, a file,
//! `--json`, or with `NO_COLOR`.

mod common;
use common::{redsim, redsim_env, tmp};

const ESC: &str = "\x1b[";

#[test]
fn run_prints_the_summary_alone_and_the_events_only_when_asked() {
    let (code, plain, _) = redsim(&["run", "traces/blog-kill-master.toml"]);
    assert_eq!(code, 0);
    assert!(!plain.contains("sentinel events:"), "{plain}");
    assert!(plain.lines().last().unwrap().starts_with("expectations:"), "{plain}");
    assert!(plain.lines().count() < 20, "{plain}");

    let (code, with, _) = redsim(&["run", "traces/blog-kill-master.toml", "--events"]);
    assert_eq!(code, 0);
    let (summary, events) = with.split_once("sentinel events:\n").expect("an event list");
    assert_eq!(summary, plain, "the summary comes first, unchanged");
    assert!(events.contains("+switch-master mymaster"), "{events}");
}

#[test]
fn quiet_prints_nothing_and_the_status_tells() {
    let (code, out, err) = redsim(&["run", "traces/blog-kill-master.toml", "--quiet"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = redsim(&["run", "traces/explore-weak.toml", "--seed", "0", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (1, "", ""));
    let (code, out, err) = redsim(&["run", "tests/bad/iptables-token.toml", "-q"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("error: "), "{err}");
    // Files asked for are still written.
    let trace = tmp("quiet.jsonl");
    let (code, out, _) = redsim(&["run", "traces/manual-failover.toml", "-q", "--trace", &trace]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(std::fs::read_to_string(&trace).unwrap().starts_with('{'));
    let _ = std::fs::remove_file(&trace);
    // Quiet and another output are refused.
    let (code, _, err) = redsim(&["run", "traces/manual-failover.toml", "-q", "--json"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn colour_marks_lost_writes_and_expectations_only_when_asked() {
    let file = "traces/manual-failover.toml";
    let (_, always, _) = redsim(&["run", file, "--color", "always"]);
    assert!(always.contains("\x1b[31m220 lost\x1b[0m"), "{always}");
    assert!(always.contains("\x1b[32mall 7 hold\x1b[0m"), "{always}");
    // The same text once the codes are taken out.
    let (_, plain, _) = redsim(&["run", file]);
    assert_eq!(
        always.replace("\x1b[31m", "").replace("\x1b[32m", "").replace("\x1b[0m", ""),
        plain
    );
    // Piped (as here), never, NO_COLOR: plain.
    assert!(!plain.contains(ESC));
    let (_, never, _) = redsim(&["run", file, "--color", "never"]);
    assert_eq!(never, plain);
    let (_, no_color, _) = redsim_env(&["run", file, "--color", "auto"], &[("NO_COLOR", "1")]);
    assert_eq!(no_color, plain);
    // Never in JSON, explain, or a file, even with always.
    for args in [["--json"], ["--explain"]] {
        let (_, out, _) = redsim(&[&["run", file, "--color", "always"][..], &args].concat());
        assert!(!out.contains(ESC), "{args:?}: {out}");
    }
    let (_, out, _) =
        redsim(&["run", "traces/blog-kill-master.toml", "--events", "--color", "always"]);
    assert!(!out.split_once("sentinel events:").unwrap().1.contains(ESC), "{out}");
    let html = tmp("colour.html");
    redsim(&["run", file, "--color", "always", "--html", &html]);
    assert!(!std::fs::read_to_string(&html).unwrap().contains("\x1b"));
    let _ = std::fs::remove_file(&html);
}

#[test]
fn explore_colours_the_failing_seeds_only_when_asked() {
    let args = ["explore", "traces/explore-weak.toml", "--seeds", "2", "-j", "1"];
    let (code, plain, _) = redsim(&args);
    assert_eq!(code, 1);
    assert!(!plain.contains(ESC), "{plain}");
    let (code, always, _) = redsim(&[&args[..], &["--color", "always"]].concat());
    assert_eq!(code, 1);
    assert!(always.contains("\x1b[31m2 failed\x1b[0m"), "{always}");
    assert!(always.contains("\x1b[31mseed 0\x1b[0m:"), "{always}");
    let (_, json, _) = redsim(&[&args[..], &["--color", "always", "--json"]].concat());
    assert!(!json.contains(ESC), "{json}");
}

#[test]
fn completions_name_every_verb() {
    let (code, bash, _) = redsim(&["completions", "bash"]);
    assert_eq!(code, 0);
    for verb in ["run", "explain", "export", "replay", "explore", "shrink", "bench", "man"] {
        assert!(bash.contains(verb), "bash completions lack {verb}");
    }
    assert!(bash.contains("--events") && bash.contains("--color"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, script, _) = redsim(&["completions", shell]);
        assert!(code == 0 && script.contains("explore"), "{shell}");
    }
    let (code, _, err) = redsim(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn man_pages_are_roff_with_a_title_line_first() {
    for (args, title) in [(&["man"][..], ".TH redsim 1 "), (&["man", "run"], ".TH redsim-run 1 ")] {
        let (code, page, _) = redsim(args);
        assert_eq!(code, 0);
        // Before the title only the quote-string definition roff generators open with.
        let first = page.lines().find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "));
        assert!(first.is_some_and(|l| l.starts_with(title)), "{args:?}: {page}");
        assert!(page.contains(".SH OPTIONS"));
    }
    let (_, top, _) = redsim(&["man"]);
    assert!(top.contains("redsim\\-explore(1)"), "the verbs' pages are named");
    let (_, run, _) = redsim(&["man", "run"]);
    assert!(run.contains("Exit status") && run.contains("\\-\\-quiet"));
    let (code, out, err) = redsim(&["man", "nope"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("one of: run, explain"), "{err}");
}

#[test]
fn every_verb_help_gives_examples_and_exit_status() {
    let verbs = ["run", "explain", "export", "replay", "explore", "shrink", "bench"];
    for verb in verbs.iter().chain(&["completions", "man"]) {
        let (code, help, _) = redsim(&[verb, "--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("Example"), "{verb} --help has no example");
        assert!(help.contains("Exit status: 0"), "{verb} --help has no exit status");
    }
    let (_, top, _) = redsim(&["--help"]);
    assert!(top.contains("Examples:") && top.contains("Exit status: 0"), "{top}");
}
