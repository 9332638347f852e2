//! One run as the page asks for it: a scenario's text (named as its file), a seed, and back one
//! JSON object with everything the page shows. The wasm export is a thin wrapper of [`run`], so a
//! native test of [`run`] is a test of what the browser computes.

use lab::record::Record;
use lab::scenario::Scenario;
use lab::{explain, export, report};
use serde_json::json;

/// Runs the scenario `text`, named `name` (its file name: the trace header carries it, so the
/// digest matches `redsim run NAME --json` only under the same name), with `seed` (default: the
/// scenario's). Returns one JSON object:
/// - on success `{"ok": true, "seed", "outcome" (as `redsim run --json` prints it, with
///   `trace_digest`), "trace_digest", "summary" (as `redsim run` prints it), "explanation" (as
///   `redsim explain`), "timeline" (the data the timeline page draws)}`;
/// - for a scenario that does not parse `{"ok": false, "error": {"message" (the CLI's
///   `file:line:col: ...` text, with the line and its caret), "line", "col"}}` (line 0: no
///   position).
pub fn run(name: &str, text: &str, seed: Option<u64>) -> String {
    let scenario = match Scenario::read(name, text.as_bytes()) {
        Ok(s) => s,
        Err(e) => {
            let error = json!({ "message": e.to_string(), "line": e.line, "col": e.col });
            return json!({ "ok": false, "error": error }).to_string();
        }
    };
    let seed = seed.unwrap_or(scenario.seed);
    let (seeded, d, outcome, digest) = lab::simulate::simulate_digested(&scenario, seed);
    let record = Record::from_run(&seeded, seed, &d, &outcome);
    // The outcome and the timeline are JSON already: spliced in as they are.
    format!(
        "{{\"ok\":true,\"seed\":{seed},\"trace_digest\":{},\"outcome\":{},\"summary\":{},\"explanation\":{},\"timeline\":{}}}",
        json!(digest),
        report::json(&outcome, &digest),
        json!(report::summary(&outcome)),
        json!(explain::explain(&record)),
        export::html::data_json(&record),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_scenario_names_its_line_and_column() {
        let v: serde_json::Value =
            serde_json::from_str(&run("x.toml", "name = \"x\"\nduration = 5\n", None)).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["line"], 2, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().starts_with("x.toml:2:"), "{v}");
    }
}
