//! The views of a run: derived the same from a trace as from the run, snapshots of each export of
//! the two blog scenarios (summarised where the full output is long), and each export read back by
//! a real parser: serde_json against the Trace Event Format's required fields, an EDN reader
//! (clojure-reader) for the Jepsen history. Mermaid is rendered by mermaid-cli in `.ci/run`.

use clojure_reader::edn::{self, Edn};
use lab::check;
use lab::export::timeline::{Fate, Timeline};
use lab::export::{Format, html, jepsen, logs, mermaid, perfetto, render};
use lab::record::Record;
use lab::run::Deployment;
use lab::scenario::Scenario;
use serde_json::Value;
use sim::TraceLevel;
use std::collections::{BTreeMap, BTreeSet};

const BLOGS: [(&str, &str); 2] =
    [("blog_kill_master", "traces/blog-kill-master"), ("blog_partition", "traces/blog-partition")];

fn record(path: &str) -> Record {
    let s = Scenario::load(path).unwrap();
    let (s, d, o) = lab::simulate::simulate(&s, s.seed);
    Record::from_run(&s, s.seed, &d, &o)
}

/// Runs `scenario` with a trace at `level` into a temporary file and reads it back.
fn traced(scenario: &str, level: TraceLevel, file: &str) -> Record {
    let s = Scenario::load(scenario).unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
    let out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut d = Deployment::build(&s, s.seed);
    d.trace_to(&s, Box::new(out), level).unwrap();
    d.run(&s);
    let o = check::outcome(&s, s.seed, &d);
    d.finish_trace(&o).unwrap();
    Record::from_trace(path.to_str().unwrap()).unwrap()
}

const FORMATS: [Format; 6] = [
    Format::Perfetto,
    Format::Mermaid,
    Format::Edn,
    Format::JepsenJson,
    Format::Logs,
    Format::Html,
];

/// A trace read back is the run it recorded: same processes, notes, kernel changes, outcome.
#[test]
fn record_from_a_trace_matches_record_from_the_run() {
    for (_, base) in BLOGS {
        let run = record(&format!("{base}.toml"));
        let trace = Record::from_trace(&format!("{base}.trace.jsonl")).unwrap();
        assert_eq!(trace.processes, run.processes);
        assert_eq!(trace.entries, run.entries);
        assert_eq!(trace.kernel, run.kernel);
        assert_eq!(trace.outcome, run.outcome);
        assert_eq!((trace.level, trace.messages.len()), (TraceLevel::Events, 0));
        assert!(!run.kernel.is_empty());
    }
}

/// Every export of a committed trace is byte-identical to the export of the run itself.
#[test]
fn exports_from_a_trace_match_exports_from_the_run() {
    for (_, base) in BLOGS {
        let run = record(&format!("{base}.toml"));
        let trace = Record::from_trace(&format!("{base}.trace.jsonl")).unwrap();
        for f in FORMATS {
            assert_eq!(render(&trace, f), render(&run, f), "{base}: {f:?}");
        }
    }
}

/// The timeline's split-brain windows add up to the outcome's split-brain time, in every bundled
/// scenario (two derivations, one from the record, one from the deployment).
#[test]
fn split_brain_windows_add_up_to_the_outcome() {
    for entry in std::fs::read_dir("traces").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let r = record(path.to_str().unwrap());
            let t = Timeline::of(&r);
            assert_eq!(t.split_brain_us() / 1000, r.outcome.split_brain_ms, "{}", path.display());
        }
    }
}

/// Blog test 2: the partition rules are bands on the master's host, and `iwas` is a lost write
/// with its story.
#[test]
fn blog_partition_timeline_shows_the_bands_and_iwas() {
    let r = record("traces/blog-partition.toml");
    let t = Timeline::of(&r);
    let rules: Vec<(&str, u64, u64)> =
        t.bands.iter().map(|b| (b.rule.as_str(), b.from_us / 1000, b.to_us / 1000)).collect();
    assert_eq!(
        rules,
        [
            ("-A INPUT -s 10.162.29.33 -j DROP", 20_000, 60_000),
            ("-A INPUT -s 10.162.29.36 -j DROP", 20_000, 60_000),
            ("-A INPUT -p tcp --sport 27001 -j DROP", 40_000, 60_000),
            ("-A INPUT -p tcp --sport 27002 -j DROP", 40_000, 60_000),
            ("-A INPUT -p tcp --sport 27003 -j DROP", 40_000, 60_000),
        ]
    );
    let iwas = t.writes.iter().find(|w| w.key == "iwas").unwrap();
    assert_eq!(iwas.fate, Fate::Lost);
    let story = iwas.story(&r).unwrap();
    assert!(story.contains("acknowledged by 10.162.29.37:6371 at 50.000s"), "{story}");
    assert!(story.contains("full-resynced from 10.162.29.36:6371"), "{story}");
    let lost = t.writes.iter().filter(|w| w.fate == Fate::Lost).count() as u64;
    assert!(lost >= r.outcome.writes.lost);
}

// ------------------------------------------------------------------ snapshots

/// The first `n` lines, then how many more.
fn head(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut s: String = lines.iter().take(n).map(|l| format!("{l}\n")).collect();
    if lines.len() > n {
        s.push_str(&format!("... {} more lines\n", lines.len() - n));
    }
    s
}

fn clip(line: &str) -> String {
    if line.chars().count() > 200 {
        format!("{}... ({} chars)", line.chars().take(200).collect::<String>(), line.len())
    } else {
        line.to_string()
    }
}

/// The Perfetto export without its many op, log and message events (counted instead).
fn perfetto_summary(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut shown = String::new();
    for e in v["traceEvents"].as_array().unwrap() {
        let cat = e["cat"].as_str().unwrap_or("-");
        *counts.entry(format!("{} {cat}", e["ph"].as_str().unwrap())).or_default() += 1;
        if !matches!(cat, "op" | "log" | "msg" | "client") {
            shown.push_str(&format!("{e}\n"));
        }
    }
    let mut s = format!("otherData: {}\ncounts (ph cat):\n", v["otherData"]);
    for (k, n) in counts {
        s.push_str(&format!("  {k}: {n}\n"));
    }
    s + &shown
}

/// A Jepsen history: its first lines, its counts by type, and its last lines, clipped.
fn history_summary(text: &str, kinds: &[&str]) -> String {
    let mut s = head(text, 12);
    for k in kinds {
        s.push_str(&format!("{k}: {}\n", text.lines().filter(|l| l.contains(k)).count()));
    }
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines[lines.len().saturating_sub(2)..] {
        s.push_str(&clip(l));
        s.push('\n');
    }
    s
}

fn logs_summary(files: &[(String, String)]) -> String {
    let mut s = String::new();
    for (name, text) in files {
        s.push_str(&format!("==> {name} ({} lines) <==\n", text.lines().count()));
        let lines: Vec<&str> = text.lines().collect();
        for l in lines.iter().take(6) {
            s.push_str(&format!("{l}\n"));
        }
        // The events an operator greps for.
        for l in lines.iter().skip(6).filter(|l| l.contains(" # ")).take(24) {
            s.push_str(&format!("{l}\n"));
        }
    }
    s
}

#[test]
fn snapshots_of_the_blog_exports() {
    for (name, base) in BLOGS {
        let r = Record::from_trace(&format!("{base}.trace.jsonl")).unwrap();
        insta::assert_snapshot!(format!("{name}_mermaid"), mermaid::mermaid(&r));
        insta::assert_snapshot!(
            format!("{name}_perfetto"),
            perfetto_summary(&perfetto::perfetto(&r))
        );
        insta::assert_snapshot!(
            format!("{name}_edn"),
            history_summary(
                &jepsen::edn(&r),
                &[":type :invoke", ":type :ok", ":type :fail", ":type :info"]
            )
        );
        insta::assert_snapshot!(
            format!("{name}_jepsen_json"),
            history_summary(&jepsen::json(&r), &["\"invoke\"", "\"ok\"", "\"fail\"", "\"info\""])
        );
        insta::assert_snapshot!(format!("{name}_logs"), logs_summary(&logs::files(&r)));
    }
}

// ------------------------------------------------------------------ real parsers

/// Checks a Chrome trace-event document against the format's required fields, nesting of
/// duration events per thread, and pairing of async and flow events. Returns the flow count.
fn check_trace_events(text: &str) -> usize {
    let v: Value = serde_json::from_str(text).expect("valid JSON");
    let events = v["traceEvents"].as_array().expect("traceEvents is an array");
    let mut spans: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    let mut open_async: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut flows: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let int =
        |e: &Value, k: &str| e[k].as_u64().unwrap_or_else(|| panic!("`{k}` not an integer: {e}"));
    for e in events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph: {e}"));
        assert!(e["name"].is_string(), "no name: {e}");
        let (pid, tid) = (int(e, "pid"), int(e, "tid"));
        if ph == "M" {
            assert!(e["args"].is_object(), "metadata without args: {e}");
            continue;
        }
        let ts = int(e, "ts");
        assert!(e["cat"].is_string(), "no cat: {e}");
        match ph {
            "X" => spans.entry((pid, tid)).or_default().push((ts, ts + int(e, "dur"))),
            "i" => assert!(matches!(e["s"].as_str(), Some("g" | "p" | "t")), "instant scope: {e}"),
            "b" | "e" => {
                let key = (e["cat"].to_string(), e["id"].as_str().expect("async id").to_string());
                *open_async.entry(key).or_default() += if ph == "b" { 1 } else { -1 };
            }
            "s" | "f" => {
                let f = flows.entry(e["id"].as_str().expect("flow id").to_string()).or_default();
                if ph == "s" { f.0 += 1 } else { f.1 += 1 }
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    for ((pid, tid), mut s) in spans {
        // Complete events on one thread must nest: sort by start, longest first.
        s.sort_by_key(|&(a, b)| (a, std::cmp::Reverse(b)));
        let mut stack: Vec<u64> = Vec::new();
        for (a, b) in s {
            while stack.last().is_some_and(|&end| end <= a) {
                stack.pop();
            }
            if let Some(&end) = stack.last() {
                assert!(
                    b <= end,
                    "thread {pid}/{tid}: [{a}, {b}) overlaps a slice ending at {end}"
                );
            }
            stack.push(b);
        }
    }
    assert!(open_async.values().all(|&n| n == 0), "unbalanced async events");
    assert!(flows.values().all(|&(s, f)| s == 1 && f == 1), "unpaired flow events");
    flows.len()
}

#[test]
fn perfetto_exports_follow_the_trace_event_format() {
    for (_, base) in BLOGS {
        let r = Record::from_trace(&format!("{base}.trace.jsonl")).unwrap();
        assert_eq!(check_trace_events(&perfetto::perfetto(&r)), 0, "events-level: no flows");
    }
    // At level `messages` every delivered message is a flow.
    let r =
        traced("traces/blog-partition.toml", TraceLevel::Messages, "redsim-exports-messages.jsonl");
    let delivered = r.messages.iter().filter(|m| m.to.is_some() && m.arrived.is_some()).count();
    assert!(delivered > 1000);
    assert_eq!(check_trace_events(&perfetto::perfetto(&r)), delivered);
}

fn kw(s: &str) -> Edn<'static> {
    Edn::Key(s.to_string().into())
}

/// Reads the EDN history back and checks it is a well-formed Jepsen history: indices in order,
/// a process never invokes twice without completing, completions match invocations.
fn read_edn(text: &str) -> Vec<BTreeMap<Edn<'_>, Edn<'_>>> {
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parsed = edn::read_string(line).unwrap_or_else(|e| panic!("line {}: {e:?}", i + 1));
        let Edn::Map(m) = &parsed else { panic!("line {} is not a map", i + 1) };
        let m = m.clone();
        assert_eq!(m.get(&kw("index")), Some(&Edn::Int(i as i64)));
        assert_eq!(m.get(&kw("f")), Some(&kw("txn")));
        assert!(matches!(m.get(&kw("value")), Some(Edn::Vector(_))));
        assert!(matches!(m.get(&kw("time")), Some(Edn::Int(_))));
        ops.push(m);
    }
    let mut pending: BTreeMap<i64, Edn<'_>> = BTreeMap::new();
    for m in &ops {
        let Some(Edn::Int(p)) = m.get(&kw("process")) else { panic!("no process") };
        let Some(Edn::Key(t)) = m.get(&kw("type")) else { panic!("no type") };
        let value = m[&kw("value")].clone();
        match t.as_ref() {
            "invoke" => assert!(pending.insert(*p, value).is_none(), "process {p} invoked twice"),
            "ok" | "fail" | "info" => {
                let inv = pending.remove(p).unwrap_or_else(|| panic!("{p}: no invocation"));
                let (Edn::Vector(inv), Edn::Vector(done)) = (&inv, &value) else { panic!() };
                assert_eq!(inv.len(), done.len());
            }
            other => panic!("type {other}"),
        }
    }
    assert!(pending.is_empty(), "invocations without completion");
    ops
}

#[test]
fn jepsen_histories_read_back_and_show_the_lost_writes() {
    for (_, base) in BLOGS {
        let r = Record::from_trace(&format!("{base}.trace.jsonl")).unwrap();
        let text = jepsen::edn(&r);
        let ops = read_edn(&text);
        // The final read: every lost key reads nil, and each was acknowledged (`:ok`) before.
        let last = ops.last().unwrap();
        assert_eq!(last.get(&kw("type")), Some(&kw("ok")));
        let Some(Edn::Vector(reads)) = last.get(&kw("value")) else { panic!() };
        let nil_keys: BTreeSet<String> = reads
            .iter()
            .filter_map(|m| match m {
                Edn::Vector(v) if v[0] == kw("r") && v[2] == Edn::Nil => match &v[1] {
                    Edn::Str(k) => Some(k.to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let acked: BTreeSet<String> = ops
            .iter()
            .filter(|m| m.get(&kw("type")) == Some(&kw("ok")))
            .filter_map(|m| match m.get(&kw("value")) {
                Some(Edn::Vector(v)) => match v.first() {
                    Some(Edn::Vector(w)) if w[0] == kw("w") => match &w[1] {
                        Edn::Str(k) => Some(k.to_string()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let lost: BTreeSet<String> = r.outcome.writes.lost_keys.iter().cloned().collect();
        assert_eq!(nil_keys.intersection(&acked).cloned().collect::<BTreeSet<_>>(), lost, "{base}");
        // The JSON history is the same history.
        let json: Value = serde_json::from_str(&jepsen::json(&r)).unwrap();
        let json = json.as_array().unwrap();
        assert_eq!(json.len(), ops.len());
        for (j, m) in json.iter().zip(&ops) {
            assert_eq!(Some(&kw(j["type"].as_str().unwrap())), m.get(&kw("type")));
            assert_eq!(Some(&Edn::Int(j["process"].as_i64().unwrap())), m.get(&kw("process")));
            assert_eq!(Some(&Edn::Int(j["time"].as_i64().unwrap())), m.get(&kw("time")));
        }
    }
}

/// Every log line has Redis's shape: `<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <text>`.
#[test]
fn log_files_have_redis_line_format() {
    let r = Record::from_trace("traces/blog-partition.trace.jsonl").unwrap();
    let files = logs::files(&r);
    assert_eq!(files.len(), 6, "three servers and three sentinels");
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    for (name, text) in &files {
        for line in text.lines() {
            let w: Vec<&str> = line.splitn(7, ' ').collect();
            let (pid, role) = w[0].split_once(':').unwrap();
            assert!(
                pid.parse::<u32>().is_ok() && matches!(role, "M" | "S" | "X"),
                "{name}: {line}"
            );
            assert!(w[1].parse::<u32>().is_ok() && MONTHS.contains(&w[2]), "{name}: {line}");
            assert!(
                w[3] == "2026" && w[4].len() == 12 && matches!(w[5], "*" | "#"),
                "{name}: {line}"
            );
        }
    }
    let sentinel = &files.iter().find(|(n, _)| n == "sentinel-10.162.29.36-27002.log").unwrap().1;
    assert!(sentinel.contains(" # +switch-master mymaster 10.162.29.37 6371 10.162.29.36 6371\n"));
}

// ------------------------------------------------------------------ the page

/// The page needs nothing from the network: no external URL, script or stylesheet.
#[test]
fn the_page_is_self_contained() {
    let r = Record::from_trace("traces/blog-partition.trace.jsonl").unwrap();
    let page = html::page(&r);
    for needle in ["http:", "https:", "src=", "@import", "url(http", "//cdn"] {
        assert!(!page.contains(needle), "the page contains {needle}");
    }
    assert_eq!(page.matches("<link").count(), 1, "only the empty data: icon");
    assert!(page.contains(r#"<link rel="icon" href="data:,">"#));
    assert!(
        page.contains("redsim run blog-partition.toml --seed 1"),
        "the command that reproduces it"
    );
}

/// A ten-minute run at 20 writes/s: every write is in the page, which stays small enough to open
/// at once (the script aggregates dense ticks as it draws; `.ci/run` checks that in chromium).
#[test]
fn a_ten_minute_run_makes_a_page_of_reasonable_size() {
    let r = record("tests/dense-10min.toml");
    let writes = r.outcome.history.iter().filter(|o| o.op.written().is_some()).count();
    assert!(writes > 11_000, "{writes} writes");
    let page = html::page(&r);
    assert!(page.len() < 2_500_000, "{} bytes", page.len());
    let v = page_data(&page);
    assert_eq!(v["writes"].as_array().unwrap().len(), writes);
    assert!(r.outcome.writes.lost > 0 && !v["split"].as_array().unwrap().is_empty());
}

/// The run's data embedded in a page.
fn page_data(page: &str) -> Value {
    let data = page.split("id=\"run-data\">").nth(1).unwrap().split("</script>").next().unwrap();
    serde_json::from_str(data).unwrap()
}

/// A master stopped 15 s under a client with a minute's socket timeout: the write sent at the
/// stop is a stall (a bar from its sending to its OK at the resume), not a gap; the blog runs,
/// whose every write is answered within 1 s, have none.
#[test]
fn a_paused_master_is_drawn_as_a_stall() {
    let r = record("tests/paused-master.toml");
    let t = Timeline::of(&r);
    let stalled: Vec<usize> =
        t.writes.iter().enumerate().filter(|(_, w)| w.stalled).map(|(i, _)| i).collect();
    assert_eq!(stalled.len(), 1, "{stalled:?}");
    let op = &r.outcome.history[t.writes[stalled[0]].op];
    assert_eq!((op.invoked_us / 1000, op.completed_us / 1000), (20_000, 35_000));
    assert_eq!(t.writes[stalled[0]].fate, Fate::Kept);
    let v = page_data(&html::page(&r));
    assert_eq!(v["stalls"], serde_json::json!(stalled));
    for (_, path) in BLOGS {
        let v = page_data(&html::page(&record(&format!("{path}.toml"))));
        assert_eq!(v["stalls"], serde_json::json!([]), "{path}");
    }
}

/// Each write in the page names the server it was sent to (empty when none was known), as the
/// history has it: the page lays a client's lane out in one row per server from this.
#[test]
fn every_write_in_the_page_names_its_server() {
    for (_, path) in BLOGS {
        let r = record(&format!("{path}.toml"));
        let v = page_data(&html::page(&r));
        let sent: Vec<String> = v["writes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w[6].as_str().unwrap().to_string())
            .collect();
        let history: Vec<String> = Timeline::of(&r)
            .writes
            .iter()
            .map(|w| r.outcome.history[w.op].node.as_deref().unwrap_or_default().to_string())
            .collect();
        assert_eq!(sent, history, "{path}");
        let servers: BTreeSet<&str> = sent.iter().map(String::as_str).collect();
        assert!(servers.len() >= 2, "{path}: the failover moves the writes: {servers:?}");
    }
}
