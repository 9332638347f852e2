//! Every bundled scenario has a committed recording, `traces/<name>.trace.jsonl`, and replaying it
//! must reproduce it byte for byte: any change in behaviour shows up as a failing line here and as
//! a diff of the recording. To accept an intended change, re-record:
//!
//! ```sh
//! REDSIM_BLESS=1 cargo test --test golden_traces
//! ```

mod common;

use lab::check;
use lab::record::embedded_scenario;
use lab::replay::replay;
use lab::run::Deployment;
use lab::scenario::Scenario;
use sim::TraceLevel;

fn record(scenario_path: &str, golden: &str) {
    let s = Scenario::load(scenario_path).unwrap();
    let s = s.for_seed(s.seed);
    let mut d = Deployment::build(&s, s.seed);
    let out = std::io::BufWriter::new(std::fs::File::create(golden).unwrap());
    d.trace_to(&s, Box::new(out), TraceLevel::Events).unwrap();
    d.run(&s);
    let o = check::outcome(&s, s.seed, &d);
    d.finish_trace(&o).unwrap();
}

#[test]
fn every_golden_trace_replays_byte_for_byte() {
    let bless = std::env::var("REDSIM_BLESS").is_ok_and(|v| v == "1");
    let mut problems = Vec::new();
    for scenario in common::bundled_scenarios() {
        let golden = scenario.replace(".toml", ".trace.jsonl");
        if bless {
            record(&scenario, &golden);
        }
        if !std::path::Path::new(&golden).exists() {
            problems.push(format!("{scenario}: no recording {golden}; record it with REDSIM_BLESS=1 cargo test --test golden_traces"));
            continue;
        }
        let (embedded, _) = embedded_scenario(&golden).unwrap_or_else(|e| panic!("{e}"));
        if embedded.source != std::fs::read_to_string(&scenario).unwrap() {
            problems.push(format!("{scenario} changed since {golden} was recorded; re-record with REDSIM_BLESS=1 cargo test --test golden_traces"));
            continue;
        }
        let r = replay(&golden).unwrap_or_else(|e| panic!("{e}"));
        if let Some(d) = r.divergence {
            problems.push(format!(
                "{golden}: line {} differs\n  recorded: {}\n  replayed: {}",
                d.line,
                d.recorded.unwrap_or_default(),
                d.replayed.unwrap_or_default()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
