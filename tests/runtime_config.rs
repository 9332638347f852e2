//! Sentinel reconfigured at run time by `command` events, as operators do it: `SENTINEL SET`
//! takes effect at once and survives a restart (the config file it rewrote); what the model's
//! sentinels would not carry out is refused at the event, never answered as unknown.

mod common;
use common::{redsim, tmp};

#[test]
fn sentinel_set_shortens_detection_and_a_restart_keeps_it() {
    let (code, json, err) = redsim(&["run", "tests/sentinel-set.toml", "--json"]);
    assert_eq!(code, 0, "{err}");
    let o: serde_json::Value = serde_json::from_str(&json).unwrap();
    let at = o["promotions"][0]["at_ms"].as_u64().unwrap();
    assert!((22_000..26_000).contains(&at), "promoted at {at} ms: down-after 2 s, not 30 s");
    let events = o["sentinel_events"].as_array().unwrap();
    let of = |ev: &str, sentinel: &str| {
        events.iter().find(|e| e["event"] == ev && e["sentinel"] == sentinel).cloned()
    };
    for s in ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"] {
        let set = of("+set", s).unwrap_or_else(|| panic!("no +set from {s}"));
        assert_eq!(set["detail"], "master mymaster 10.0.0.1 6379 down-after-milliseconds 2000");
    }
    // 10.0.0.2:26379 was killed at 15 s and restarted at 16 s: it read 2000 back from its file.
    let sdown = of("+sdown", "10.0.0.2:26379").expect("the restarted sentinel's +sdown");
    assert!(sdown["at_ms"].as_u64().unwrap() < 23_000, "{sdown}");
}

/// `tests/sentinel-set.toml` with its first `command` replaced by `argv`: the error's first line.
fn refused(argv: &str) -> String {
    let text = std::fs::read_to_string("tests/sentinel-set.toml").unwrap().replacen(
        r#"["SENTINEL", "SET", "mymaster", "down-after-milliseconds", "2000"]"#,
        argv,
        1,
    );
    let path = tmp(&format!("refused-{}.toml", argv.len()));
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = redsim(&["run", &path]);
    assert_eq!(code, 2, "{err}");
    err.lines().next().unwrap_or_default().to_string()
}

#[test]
fn what_the_models_sentinels_would_not_do_is_refused_at_the_event() {
    for (argv, what) in [
        (r#"["SENTINEL", "MONITOR", "other", "10.0.0.2", "6379", "2"]"#, "`SENTINEL MONITOR`"),
        (r#"["sentinel", "remove", "mymaster"]"#, "`SENTINEL REMOVE`"),
        (
            r#"["SENTINEL", "SET", "mymaster", "quorum", "2", "auth-pass", "x"]"#,
            "`SENTINEL SET auth-pass`",
        ),
    ] {
        let line = refused(argv);
        assert!(line.contains(":43:11:"), "{line}");
        assert!(line.contains(&format!("{what} is not modelled")), "{line}");
    }
}
