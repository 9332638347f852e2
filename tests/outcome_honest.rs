//! The outcome never claims more than the run showed: a scenario with nothing to check says so
//! (no green "all hold"), and unavailability is what the application felt, slow replies included.

mod common;
use common::{redsim, tmp};

/// A scenario with no `[expect]`, and an empty one, say "none" in the summary, `checked: 0` in
/// the JSON, and no green card on the timeline; `passed` stays true (nothing failed, exit 0).
#[test]
fn no_expectations_is_not_all_hold() {
    let empty = tmp("empty.toml");
    std::fs::write(&empty, "duration = \"1s\"\n").unwrap();
    // The first blog test with its `[expect]` table cut off.
    let text = std::fs::read_to_string("traces/blog-kill-master.toml").unwrap();
    let unchecked = tmp("unchecked.toml");
    std::fs::write(&unchecked, &text[..text.find("[expect]").unwrap()]).unwrap();
    for file in [&empty, &unchecked] {
        let (code, out, err) = redsim(&["run", file]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("expectations:  none (the scenario has no [expect]"), "{out}");
        assert!(!out.contains("all hold"), "{out}");
        let (_, json, _) = redsim(&["run", file, "--json"]);
        let o: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(o["expectations"]["checked"], 0, "{json}");
        assert_eq!(o["expectations"]["passed"], true, "{json}");
        let (_, page, _) = redsim(&["export", file, "--format", "html"]);
        assert!(page.contains("none checked"), "the card says nothing was checked");
        assert!(!page.contains("card good"), "no green card with nothing checked");
    }
    let (_, out, _) = redsim(&["run", "traces/blog-kill-master.toml"]);
    assert!(out.contains("expectations:  all 7 hold"), "{out}");
}

/// The master stops for 15 s (SIGSTOP, no failover: down-after-milliseconds is 30 s) and the
/// client's socket timeout is a minute: no write fails, yet the write sent at 20 s waits until
/// 35 s for its OK. The client was unavailable for the stall, and its worst latency shows it.
#[test]
fn a_paused_master_with_a_long_socket_timeout_is_unavailability() {
    let (code, json, err) = redsim(&["run", "tests/paused-master.toml", "--json"]);
    assert_eq!(code, 0, "{err}");
    let o: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(o["writes"]["failed"], 0);
    assert_eq!(o["writes"]["indeterminate"], 0);
    let app = &o["clients"]["app1"];
    let u = app["unavailable_ms"].as_u64().unwrap();
    // The stall is 15 s; the write waiting for it was sent at most one write interval (50 ms)
    // after the pause began, and the next one is acknowledged within a few ms of the resume.
    assert!((15_000 - 50..=15_000 + 50).contains(&u), "unavailable {u} ms, the stall 15000 ms");
    assert_eq!(o["unavailable_ms"].as_u64(), Some(u), "the top level is the maximum");
    let max = app["latency_ms"]["max"].as_u64().unwrap();
    assert!((15_000 - 50..=u).contains(&max), "the worst write waited out the stall: {max}");
    assert!(app["latency_ms"]["p50"].as_u64().unwrap() <= 2, "{app}");
    let (_, summary, _) = redsim(&["run", "tests/paused-master.toml"]);
    assert!(summary.contains("clients:       app1: unavailable 15.0"), "{summary}");
}

/// With several masters, a client connecting straight to a server (no Sentinel) is that
/// master's client: its writes count under `masters.<name>` and in the total, not nowhere.
#[test]
fn a_plain_client_counts_under_the_master_it_connects_to() {
    let text = std::fs::read_to_string("traces/two-masters.toml").unwrap();
    let text = text[..text.find("[expect]").unwrap_or(text.len())].replacen(
        "sentinels = [\"h1:26379\", \"h2:26379\", \"h3:26379\"]\nservice = \"sessions\"",
        "connect = \"h2:6380\"",
        1,
    );
    assert!(text.contains("connect = \"h2:6380\""), "the sessions client is plain");
    let file = tmp("two-masters-plain.toml");
    std::fs::write(&file, &text).unwrap();
    let (code, json, err) = redsim(&["run", &file, "--json"]);
    assert_eq!(code, 0, "{err}");
    let o: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acked = |v: &serde_json::Value| v["writes"]["acked"].as_u64().unwrap();
    let sessions = acked(&o["masters"]["sessions"]);
    assert!(sessions > 0, "{json}");
    assert_eq!(acked(&o), sessions + acked(&o["masters"]["cache"]), "{json}");
}

/// With several masters, the writes of a client that belongs to no master (its service is
/// monitored by no sentinel) still count in the total: failed, not vanished.
#[test]
fn a_client_of_no_master_counts_in_the_total() {
    let text = std::fs::read_to_string("traces/two-masters.toml").unwrap();
    let body = &text[..text.find("[[event]]").unwrap()];
    let rest = &text[text.find("[[event]]").unwrap()..];
    let stray = "[[client]]\nname = \"stray-app\"\nhost = \"app\"\nsentinels = [\"h1:26379\"]\nservice = \"nothing\"\nworkload = { writes-per-sec = 10, start = \"5s\" }\n\n";
    let file = tmp("two-masters-stray.toml");
    std::fs::write(&file, format!("{body}{stray}{rest}")).unwrap();
    let (_, json, err) = redsim(&["run", &file, "--json"]);
    let o: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let failed = |v: &serde_json::Value| v["writes"]["failed"].as_u64().unwrap();
    let of_masters = failed(&o["masters"]["cache"]) + failed(&o["masters"]["sessions"]);
    assert!(failed(&o) > of_masters, "{json}");
}
