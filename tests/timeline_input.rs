//! Inputs that are accepted, and what they mean: hours in times, and timeline actions that find
//! a process in another state than they expect (done as written where that has a meaning, and
//! said in the outcome's `warnings`).

mod common;
use common::redsim;

/// Runs a one-server scenario of `duration` with `extra` appended, `--json`; exit status and the
/// outcome.
fn run_json(name: &str, duration: &str, extra: &str) -> (i32, serde_json::Value) {
    let text = format!(
        "name = \"{name}\"\nduration = \"{duration}\"\n[[host]]\nname = \"10.0.0.1\"\n[[redis]]\nhost = \"10.0.0.1\"\nport = 6379\n{extra}"
    );
    let path = common::tmp(&format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let (code, stdout, stderr) = redsim(&["run", &path, "--json"]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let outcome = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (code, outcome)
}

fn warnings(o: &serde_json::Value) -> Vec<String> {
    o["warnings"].as_array().into_iter().flatten().map(|w| w.as_str().unwrap().into()).collect()
}

#[test]
fn hours_and_composed_times_are_times() {
    let (code, o) =
        run_json("hours", "1h30m", "[[event]]\nat = \"1h2m3s\"\nkill = \"10.0.0.1:6379\"\n");
    assert_eq!(code, 0);
    assert_eq!(o["duration_ms"], 5_400_000);
    assert_eq!(o["final_roles"]["10.0.0.1:6379"], "down");
}

#[test]
fn a_restart_of_a_running_process_kills_it_first_and_says_so() {
    let restart = "[[event]]\nat = \"5s\"\nrestart = \"10.0.0.1:6379\"\n";
    let (code, o) = run_json("restart-running", "10s", restart);
    assert_eq!(code, 0);
    assert_eq!(
        warnings(&o),
        ["5.000s: restart 10.0.0.1:6379: it was running: killed (SIGKILL) and started again"]
    );
    assert_eq!(o["final_roles"]["10.0.0.1:6379"], "master");
}

#[test]
fn a_restart_of_a_killed_process_is_no_warning() {
    let events = "[[event]]\nat = \"5s\"\nkill = \"10.0.0.1:6379\"\n[[event]]\nat = \"6s\"\nrestart = \"10.0.0.1:6379\"\n";
    let (_, o) = run_json("restart-killed", "10s", events);
    assert!(warnings(&o).is_empty(), "{o}");
}

#[test]
fn a_kill_or_pause_of_a_process_that_is_not_running_is_a_warning() {
    let events = "[[event]]\nat = \"3s\"\nkill = \"10.0.0.1:6379\"\n[[event]]\nat = \"4s\"\nkill = \"10.0.0.1:6379\"\n[[event]]\nat = \"5s\"\npause = \"10.0.0.1:6379\"\nfor = \"1s\"\n";
    let (_, o) = run_json("kill-twice", "10s", events);
    assert_eq!(
        warnings(&o),
        [
            "4.000s: kill 10.0.0.1:6379: it was not running: nothing to kill",
            "5.000s: pause 10.0.0.1:6379: it was not running: not paused",
        ]
    );
}
