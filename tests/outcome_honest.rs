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
