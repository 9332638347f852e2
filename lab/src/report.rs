//! The outcome as people read it (`redsim run`: the summary, and with `--events` the sentinel
//! events after it) and as tools read it (`--json`).

use crate::outcome::{ClientOutcome, Outcome};
use crate::paint::Paint;
use crate::scenario::Role;
use crate::text::{self, secs};
use std::fmt::Write;

/// The `redsim run --json` report, one object on one line: the outcome's fields, then
/// `trace_digest` ([`crate::digest`]).
pub fn json(o: &Outcome, trace_digest: &str) -> String {
    #[derive(serde::Serialize)]
    struct Report<'a> {
        #[serde(flatten)]
        outcome: &'a Outcome,
        trace_digest: &'a str,
    }
    serde_json::to_string(&Report { outcome: o, trace_digest }).expect("the outcome serialises")
}

/// A client's write latency in words: `write latency p50 1ms, p99 2ms, max 15.000s`.
pub fn latency(c: &ClientOutcome) -> String {
    match c.latency_ms {
        Some(l) => format!(
            "write latency p50 {}, p99 {}, max {}",
            text::ms(l.p50),
            text::ms(l.p99),
            text::ms(l.max)
        ),
        None => "no acknowledged write".to_string(),
    }
}

/// The human-readable summary, without colour (as files and the timeline page carry it).
pub fn summary(o: &Outcome) -> String {
    painted_summary(o, Paint::PLAIN)
}

/// The human-readable summary; `paint` marks lost writes and the expectations' verdict.
pub fn painted_summary(o: &Outcome, paint: Paint) -> String {
    let mut s = String::new();
    let _ =
        writeln!(s, "scenario {} (seed {}): {} simulated", o.scenario, o.seed, secs(o.duration_ms));
    for (i, f) in o.faults.iter().enumerate() {
        let head = if i == 0 { "faults drawn: " } else { "              " };
        let _ = writeln!(s, "{head}{f}");
    }
    if o.promotions.is_empty() {
        let _ = writeln!(s, "promotions:    none");
    }
    for (i, p) in o.promotions.iter().enumerate() {
        let head = if i == 0 { "promotions:   " } else { "              " };
        let epoch = p.epoch.map(|e| format!(", epoch {e}")).unwrap_or_default();
        let _ = writeln!(s, "{head} {} at {}{epoch}, by {}", p.node, secs(p.at_ms), p.by);
    }
    let roles: Vec<String> = o
        .final_roles
        .iter()
        .map(|(n, r)| {
            let r = match r {
                Role::Master => "master",
                Role::Replica => "replica",
                Role::Down => "down",
            };
            format!("{n} {r}")
        })
        .collect();
    let roles = if roles.is_empty() { "none".to_string() } else { roles.join(", ") };
    let _ = writeln!(s, "final roles:   {roles}");
    let finals: Vec<String> = o
        .masters
        .iter()
        .map(|(n, m)| format!("{n} {}", m.final_master.as_deref().unwrap_or("none")))
        .collect();
    let fm = if finals.is_empty() {
        o.final_master.as_deref().unwrap_or("none").to_string()
    } else {
        finals.join(", ")
    };
    let _ = writeln!(s, "final master:  {fm}");
    for (i, (n, m)) in o.masters.iter().enumerate() {
        let head = if i == 0 { "masters:      " } else { "              " };
        let _ = writeln!(
            s,
            "{head} {n}: {} promotion(s), {} lost of {} acknowledged, split brain {}, unavailable {}",
            m.promotions.len(),
            paint.bad_if(m.writes.lost > 0, &m.writes.lost.to_string()),
            m.writes.acked,
            secs(m.split_brain_ms),
            secs(m.unavailable_ms)
        );
    }
    let w = &o.writes;
    let _ = writeln!(
        s,
        "writes:        {} acknowledged, {} failed, {} indeterminate, {}",
        w.acked,
        w.failed,
        w.indeterminate,
        paint.bad_if(w.lost > 0, &format!("{} lost", w.lost))
    );
    if !w.lost_keys.is_empty() {
        let shown: Vec<&str> = w.lost_keys.iter().take(10).map(String::as_str).collect();
        let more = if w.lost_keys.len() > 10 {
            format!(" ... and {} more", w.lost_keys.len() - 10)
        } else {
            String::new()
        };
        let _ = writeln!(s, "lost keys:     {}{more}", shown.join(", "));
    }
    let _ = writeln!(s, "split brain:   {} (two or more writable masters)", secs(o.split_brain_ms));
    let _ = writeln!(
        s,
        "unavailable:   {} (the most a client felt; a write counts when acknowledged within 1s)",
        secs(o.unavailable_ms)
    );
    for (i, (name, c)) in o.clients.iter().enumerate() {
        let head = if i == 0 { "clients:      " } else { "              " };
        let _ =
            writeln!(s, "{head} {name}: unavailable {}, {}", secs(c.unavailable_ms), latency(c));
    }
    for warning in &o.warnings {
        let _ = writeln!(s, "warning: {warning}");
    }
    let x = &o.expectations;
    let verdict = match (x.passed, x.checked) {
        (false, _) => paint.bad(&x.verdict()),
        (true, 0) => x.verdict(),
        (true, _) => paint.good(&x.verdict()),
    };
    let _ = writeln!(s, "expectations:  {verdict}");
    for f in &o.expectations.failures {
        let _ = writeln!(s, "  - {f}");
    }
    s
}

/// The sentinel events of the run, one a line (`redsim run --events`); empty when there are
/// none.
pub fn events(o: &Outcome) -> String {
    let mut s = String::new();
    if !o.sentinel_events.is_empty() {
        let _ = writeln!(s, "sentinel events:");
        for e in &o.sentinel_events {
            let _ = writeln!(s, "  {:>9}  {}  {} {}", secs(e.at_ms), e.sentinel, e.event, e.detail);
        }
    }
    s
}
