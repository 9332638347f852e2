//! The human-readable parts of the two blog scenarios, reviewed as snapshots: the summary, the
//! sentinel log, and the explanation. Accept an intended change with `cargo insta review`.

use lab::explain::explain;
use lab::record::Record;
use lab::report;
use lab::scenario::Scenario;
use lab::text::secs;

fn record(path: &str) -> Record {
    let s = Scenario::load(path).unwrap();
    let (s, d, o) = lab::simulate::simulate(&s, s.seed);
    Record::from_run(&s, s.seed, &d, &o)
}

fn sentinel_log(r: &Record) -> String {
    r.outcome
        .sentinel_events
        .iter()
        .map(|e| format!("{:>9}  {:<19} {} {}\n", secs(e.at_ms), e.sentinel, e.event, e.detail))
        .collect()
}

#[test]
fn blog_kill_master() {
    let r = record("traces/blog-kill-master.toml");
    insta::assert_snapshot!("blog_kill_master_summary", report::summary(&r.outcome));
    insta::assert_snapshot!("blog_kill_master_sentinel_log", sentinel_log(&r));
    insta::assert_snapshot!("blog_kill_master_explain", explain(&r));
}

#[test]
fn blog_partition() {
    let r = record("traces/blog-partition.toml");
    insta::assert_snapshot!("blog_partition_summary", report::summary(&r.outcome));
    insta::assert_snapshot!("blog_partition_sentinel_log", sentinel_log(&r));
    insta::assert_snapshot!("blog_partition_explain", explain(&r));
}

/// The explanation reads the same from a trace as from the run itself.
#[test]
fn explain_from_a_trace_matches_explain_from_the_run() {
    let r = record("traces/blog-partition.toml");
    let from_trace = Record::from_trace("traces/blog-partition.trace.jsonl").unwrap();
    assert_eq!(explain(&from_trace), explain(&r));
}
