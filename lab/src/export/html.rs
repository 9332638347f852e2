//! `redsim run --html` / `redsim export --format html`: one self-contained page (inline SVG, CSS
//! and script; no network, opens from disk) with one lane per process grouped by host, each
//! Redis server coloured by role over time, packet-filter rules as bands over their host's lanes,
//! sentinel events and states on the sentinel lanes, the split-brain window, and every client
//! write as a tick (aggregated into stacked columns when dense) whose story a click shows.
//!
//! The page is the run's data (JSON, derived by [`Timeline`]) plus a fixed script that draws it,
//! so it zooms without a server; the header (summary, seed, the command that reproduces the run)
//! is plain HTML.

use super::logs;
use super::timeline::{Role, SentinelState, Timeline, reply_text};
use crate::record::{ProcKind, Record};
use crate::{report, text};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The page's style sheet.
pub const CSS: &str = include_str!("html/timeline.css");
/// The script that draws a run's data (`redsimTimeline(data)`; on the page, `#run-data`'s).
pub const JS: &str = include_str!("html/timeline.js");

/// A lane as the script draws it.
#[derive(Serialize)]
struct LaneJ {
    /// The process name (`10.162.29.37:6371`, `client/app1`).
    id: String,
    /// Index into `hosts`.
    host: usize,
    /// `redis`, `sentinel`, `client`, `cli`.
    kind: &'static str,
    /// What the lane's label says.
    label: String,
}

/// lane, from, to, role (`master`, `replica`, `down`), replica of, paused, link up, offset,
/// writable.
type RoleRow = (usize, u64, u64, &'static str, String, bool, bool, i64, bool);

/// lane, invoked, completed, key, value, fate, node, index into `discards`, reply.
type WriteRow = (usize, u64, u64, String, String, &'static str, String, Option<usize>, String);

/// Everything the script draws. Rows are arrays to keep dense runs small; times are µs.
#[derive(Serialize)]
struct Data<'a> {
    end: u64,
    hosts: &'a [String],
    lanes: Vec<LaneJ>,
    roles: Vec<RoleRow>,
    /// lane, from, to, kind (`failover`, `sdown`, `odown`, `tilt`), label.
    states: Vec<(usize, u64, u64, &'static str, String)>,
    /// lane, at, event, rest of the line, log line, key event.
    marks: Vec<(usize, u64, String, String, String, bool)>,
    /// host, rule as written, from, to.
    bands: Vec<(usize, String, u64, u64)>,
    /// from, to, writable masters.
    split: Vec<(u64, u64, Vec<String>)>,
    writes: Vec<WriteRow>,
    /// The writes (indices into `writes`) outstanding longer than 1 s: drawn as stall bars.
    stalls: Vec<usize>,
    /// What discarded lost writes (shared by many writes).
    discards: Vec<String>,
    /// lane, at, label.
    faults: Vec<(usize, u64, String)>,
    /// lane, at, by, epoch.
    promotions: Vec<(usize, u64, String, Option<u64>)>,
    /// lane, at, what the client now believes.
    beliefs: Vec<(usize, u64, String)>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn data<'a>(r: &'a Record, t: &Timeline) -> Data<'a> {
    let lane_of: BTreeMap<usize, usize> =
        t.lanes.iter().enumerate().map(|(i, l)| (l.pid, i)).collect();
    let lane = |pid: usize| lane_of.get(&pid).copied().unwrap_or(0);
    let lanes = t
        .lanes
        .iter()
        .map(|l| {
            let p = &r.processes[l.pid];
            let port = p.name.rsplit_once(':').map_or("", |(_, port)| port);
            let (kind, label) = match p.kind {
                ProcKind::Redis => ("redis", format!("redis :{port}")),
                ProcKind::Sentinel => ("sentinel", format!("sentinel :{port}")),
                ProcKind::Client => {
                    ("client", format!("client {}", p.name.trim_start_matches("client/")))
                }
                ProcKind::Cli => ("cli", "redis-cli".to_string()),
            };
            LaneJ { id: p.name.clone(), host: l.host, kind, label }
        })
        .collect();
    let roles = t
        .roles
        .iter()
        .map(|s| {
            let (role, of) = match &s.role {
                Role::Master => ("master", String::new()),
                Role::Replica(of) => ("replica", of.clone()),
                Role::Down => ("down", String::new()),
            };
            (lane(s.pid), s.from_us, s.to_us, role, of, s.paused, s.link_up, s.offset, s.writable)
        })
        .collect();
    let states = t
        .states
        .iter()
        .map(|s| {
            let kind = match s.state {
                SentinelState::Failover(_) => "failover",
                SentinelState::Sdown => "sdown",
                SentinelState::Odown => "odown",
                SentinelState::Tilt => "tilt",
            };
            (lane(s.pid), s.from_us, s.to_us, kind, s.state.label())
        })
        .collect();
    let lines = logs::lines(r);
    let marks = t
        .marks
        .iter()
        .map(|m| {
            let line = lines[m.entry].clone().unwrap_or_default();
            (lane(m.pid), m.at_us, m.event.clone(), m.text.clone(), line, m.key())
        })
        .collect();
    let mut discards: Vec<String> = Vec::new();
    let mut discard_index: BTreeMap<String, usize> = BTreeMap::new();
    let writes = t
        .writes
        .iter()
        .map(|w| {
            let op = &r.outcome.history[w.op];
            let discard = w.discarded.as_ref().map(|d| {
                *discard_index.entry(d.clone()).or_insert_with(|| {
                    discards.push(d.clone());
                    discards.len() - 1
                })
            });
            let reply = reply_text(&op.result);
            (
                lane(w.pid),
                op.invoked_us,
                op.completed_us,
                w.key.clone(),
                w.value.clone(),
                w.fate.name(),
                op.node.as_deref().unwrap_or_default().to_string(),
                discard,
                reply,
            )
        })
        .collect();
    let promotions = r
        .outcome
        .promotions
        .iter()
        .filter_map(|p| Some((lane(r.pid(&p.node)?), p.at_ms * 1000, p.by.clone(), p.epoch)))
        .collect();
    let beliefs = r
        .entries
        .iter()
        .filter_map(|e| match &e.note {
            model::observe::Note::Believe(b) => {
                let what = match &b.master {
                    Some(m) => format!("uses master {m} (told by {})", b.via),
                    None => format!("finds no master: {}", b.via),
                };
                Some((lane(e.pid), e.at.as_micros(), what))
            }
            _ => None,
        })
        .collect();
    Data {
        end: t.end_us,
        hosts: &r.scenario.hosts,
        lanes,
        roles,
        states,
        marks,
        bands: t.bands.iter().map(|b| (b.host, b.rule.clone(), b.from_us, b.to_us)).collect(),
        split: t
            .split_brain
            .iter()
            .map(|w| {
                (w.from_us, w.to_us, w.masters.iter().map(|&p| r.name(p).to_string()).collect())
            })
            .collect(),
        writes,
        stalls: t.writes.iter().enumerate().filter(|(_, w)| w.stalled).map(|(i, _)| i).collect(),
        discards,
        faults: t.faults.iter().map(|f| (lane(f.pid), f.at_us, f.label.clone())).collect(),
        promotions,
        beliefs,
    }
}

/// The header: what the run is, its numbers, and how to reproduce it.
fn header(r: &Record) -> String {
    let o = &r.outcome;
    let s = &r.scenario;
    let mut h = String::new();
    let _ =
        write!(h, "<header><h1>{} <span class=\"seed\">seed {}</span></h1>", esc(&s.name), r.seed);
    let desc = s.description.trim();
    // A long description folds behind its first sentence, so the lanes stay in view.
    match desc.split_once(". ").filter(|_| desc.len() > 240) {
        Some((first, rest)) => {
            let _ = write!(
                h,
                "<details class=\"desc\"><summary>{}.</summary>{}</details>",
                esc(first),
                esc(rest)
            );
        }
        None if !desc.is_empty() => {
            let _ = write!(h, "<p class=\"desc\">{}</p>", esc(desc));
        }
        None => {}
    }
    let promoted = if o.promotions.is_empty() {
        "none".to_string()
    } else {
        o.promotions
            .iter()
            .map(|p| format!("{} at {}", p.node, text::secs(p.at_ms)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cards = [
        ("simulated", text::secs(o.duration_ms), ""),
        ("promotions", promoted, ""),
        ("final master", o.final_master.clone().unwrap_or_else(|| "none".into()), ""),
        ("acknowledged writes", o.writes.acked.to_string(), ""),
        ("lost writes", o.writes.lost.to_string(), if o.writes.lost > 0 { "bad" } else { "" }),
        ("failed / indeterminate", format!("{} / {}", o.writes.failed, o.writes.indeterminate), ""),
        (
            "split brain",
            text::secs(o.split_brain_ms),
            if o.split_brain_ms > 0 { "bad" } else { "" },
        ),
        ("longest unavailability", text::secs(o.unavailable_ms), ""),
        (
            "write latency p50 / p99 / max",
            o.clients
                .iter()
                .map(|(name, c)| match c.latency_ms {
                    Some(l) => format!(
                        "{name} {} / {} / {}",
                        text::ms(l.p50),
                        text::ms(l.p99),
                        text::ms(l.max)
                    ),
                    None => format!("{name} none acknowledged"),
                })
                .collect::<Vec<_>>()
                .join("; "),
            "",
        ),
        (
            "expectations",
            match (&o.expectations, o.expectations.checked) {
                (e, _) if !e.passed => format!("{} failed", e.failures.len()),
                (_, 0) => "none checked".into(),
                (_, n) => format!("all {n} hold"),
            },
            match (o.expectations.passed, o.expectations.checked) {
                (false, _) => "bad",
                (true, 0) => "",
                (true, _) => "good",
            },
        ),
    ];
    h.push_str("<div class=\"cards\">");
    for (label, value, class) in cards {
        let _ = write!(
            h,
            "<div class=\"card {class}\"><div class=\"k\">{label}</div><div class=\"v\">{}</div></div>",
            esc(&value)
        );
    }
    h.push_str("</div>");
    let _ = write!(
        h,
        "<p class=\"repro\">Reproduce: <code id=\"repro\">redsim run {} --seed {}</code></p>",
        esc(s.file_name()),
        r.seed
    );
    let _ = write!(
        h,
        "<details><summary>Summary as <code>redsim run</code> prints it</summary><pre>{}</pre></details></header>",
        esc(&report::summary(o))
    );
    h
}

/// The data the script draws (JSON), safe inside `<script>`: `<` is written `\u003c`.
pub fn data_json(r: &Record) -> String {
    let t = Timeline::of(r);
    let json = serde_json::to_string(&data(r, &t)).expect("the page data serialises");
    json.replace('<', "\\u003c")
}

/// The page.
pub fn page(r: &Record) -> String {
    let json = data_json(r);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{} (seed {}): redsim timeline</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n{}\n{}\n<script type=\"application/json\" id=\"run-data\">{json}</script>\n<script>\n{JS}</script>\n</body>\n</html>\n",
        esc(&r.scenario.name),
        r.seed,
        header(r),
        BODY
    )
}

/// The page's fixed parts the script fills: legend, controls, the plot, the story panel.
pub const BODY: &str = r#"<section class="legend" aria-label="legend">
<span><i class="sw master"></i>master</span>
<span><i class="sw replica"></i>replica, link up</span>
<span><i class="sw replica-down"></i>replica, link down</span>
<span><i class="sw down"></i>not running</span>
<span><i class="sw paused"></i>paused</span>
<span><i class="sw noreplicas"></i>master refusing writes (NOREPLICAS)</span>
<span><i class="sw band"></i>packet-filter rule</span>
<span><i class="sw split"></i>split brain</span>
<span><i class="dot sdown"></i>sdown</span>
<span><i class="dot odown"></i>odown</span>
<span><i class="dot vote"></i>election</span>
<span><i class="dot switch"></i>promotion / switch</span>
<span><i class="dot convert"></i>reconfigure</span>
<span><i class="tick kept"></i>write kept</span>
<span><i class="tick lost"></i>write lost</span>
<span><i class="tick refused"></i>refused</span>
<span><i class="tick indeterminate"></i>indeterminate</span>
<span><i class="sw stall"></i>stall: a write waiting over 1 s for its reply</span>
<span>a client lane has one row per server written to</span>
</section>
<nav class="controls">
<button type="button" id="zoom-in" title="zoom in (+)">+</button>
<button type="button" id="zoom-out" title="zoom out (-)">&minus;</button>
<button type="button" id="zoom-fit" title="whole run (0)">whole run</button>
<span id="moments"></span>
<span id="range"></span>
<span class="hint">wheel to zoom, drag to pan, click a red tick</span>
</nav>
<main id="timeline"><svg id="plot" role="img" aria-label="timeline of the run"></svg></main>
<div id="tip" hidden></div>
<section id="story"><h2>Lost writes</h2><p>Click a red tick (a write that was acknowledged and then lost) to see its story.</p></section>"#;
