//! `redsim export --format perfetto`: the run as Chrome trace-event JSON (the "Trace Event
//! Format"), which ui.perfetto.dev and chrome://tracing open.
//!
//! A host is a process (`pid`), each Redis server, sentinel and client a thread (`tid`) in it,
//! plus an `iptables` thread per host and a `run` process for the run as a whole (split brain,
//! the scenario's faults). Duration events: each server's role spans, each sentinel's failover
//! states, split-brain windows, each workload client's operations. Async slices: packet-filter
//! rules, a sentinel's master sdown/odown and TILT, redis-cli commands (they may overlap). Instant
//! events: every log line at `loglevel notice` (the line in `args.line`), kills, starts, pauses,
//! clock jumps, filter commands, client beliefs. Flow events (arrows from sender to receiver)
//! exist only for traces recorded with `--trace-level messages`: each message is a 1 µs slice on
//! both ends joined by a flow; an events-level trace has no messages, so no flows.

use super::logs;
use super::timeline::{Fate, Role, SentinelState, Timeline, client_pid, reply_text};
use crate::record::{Change, ProcKind, Record};
use model::observe::Op;
use model::observe::{Level, Note};
use serde_json::{Value, json};

/// The thread id of process `pid`.
fn tid(pid: usize) -> usize {
    pid + 1
}

/// Builds the event list.
struct Out {
    events: Vec<Value>,
    next_id: u64,
}

impl Out {
    fn push(&mut self, v: Value) {
        self.events.push(v);
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("0x{:x}", self.next_id)
    }

    fn complete(
        &mut self,
        cat: &str,
        name: &str,
        (pid, tid): (usize, usize),
        from: u64,
        to: u64,
        args: Value,
    ) {
        self.push(json!({"name": name, "cat": cat, "ph": "X", "ts": from, "dur": to.saturating_sub(from), "pid": pid, "tid": tid, "args": args}));
    }

    fn async_span(
        &mut self,
        cat: &str,
        name: &str,
        (pid, tid): (usize, usize),
        from: u64,
        to: u64,
        args: Value,
    ) {
        let id = self.id();
        self.push(json!({"name": name, "cat": cat, "ph": "b", "ts": from, "pid": pid, "tid": tid, "id": id, "args": args}));
        self.push(json!({"name": name, "cat": cat, "ph": "e", "ts": to, "pid": pid, "tid": tid, "id": id}));
    }

    fn instant(&mut self, cat: &str, name: &str, (pid, tid): (usize, usize), at: u64, args: Value) {
        self.push(json!({"name": name, "cat": cat, "ph": "i", "s": "t", "ts": at, "pid": pid, "tid": tid, "args": args}));
    }
}

fn role_name(role: &Role, paused: bool) -> String {
    let r = match role {
        Role::Down => "down".to_string(),
        Role::Master => "master".to_string(),
        Role::Replica(of) => format!("replica of {of}"),
    };
    if paused { format!("{r} (paused)") } else { r }
}

/// The trace-event JSON of `r`: one object, one event per line.
pub fn perfetto(r: &Record) -> String {
    let t = Timeline::of(r);
    let hosts = &r.scenario.hosts;
    let n = r.processes.len();
    // pid 0 is the run; host h is pid h + 1.
    let host_pid = |h: usize| h + 1;
    let at = |pid: usize| {
        (t.lanes.iter().find(|l| l.pid == pid).map_or(0, |l| host_pid(l.host)), tid(pid))
    };
    let run_tid = n + 1;
    let iptables_tid = |h: usize| n + 2 + h;
    let mut out = Out { events: Vec::new(), next_id: 0 };

    let title = format!("run: {} (seed {})", r.scenario.name, r.seed);
    out.push(
        json!({"name": "process_name", "ph": "M", "pid": 0, "tid": 0, "args": {"name": title}}),
    );
    out.push(json!({"name": "process_sort_index", "ph": "M", "pid": 0, "tid": 0, "args": {"sort_index": 0}}));
    out.push(json!({"name": "thread_name", "ph": "M", "pid": 0, "tid": run_tid, "args": {"name": "split brain and faults"}}));
    for (h, name) in hosts.iter().enumerate() {
        let pid = host_pid(h);
        out.push(json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": format!("host {name}")}}));
        out.push(json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}}));
        out.push(json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": iptables_tid(h), "args": {"name": "iptables"}}));
        out.push(json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": iptables_tid(h), "args": {"sort_index": 0}}));
    }
    for (i, lane) in t.lanes.iter().enumerate() {
        let p = &r.processes[lane.pid];
        let kind = match p.kind {
            ProcKind::Redis => "redis",
            ProcKind::Sentinel => "sentinel",
            ProcKind::Client | ProcKind::Cli => "client",
        };
        let (pid, tid) = at(lane.pid);
        out.push(json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": format!("{kind} {}", p.name.trim_start_matches("client/"))}}));
        out.push(json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid, "args": {"sort_index": i + 1}}));
    }

    for s in &t.roles {
        let mut args = json!({"offset": s.offset, "writable": s.writable});
        if matches!(s.role, Role::Replica(_)) {
            args["master_link_status"] = json!(if s.link_up { "up" } else { "down" });
        }
        out.complete("role", &role_name(&s.role, s.paused), at(s.pid), s.from_us, s.to_us, args);
    }
    for s in &t.states {
        match s.state {
            SentinelState::Failover(_) => {
                out.complete("failover", &s.state.label(), at(s.pid), s.from_us, s.to_us, json!({}))
            }
            _ => out.async_span(
                "sentinel",
                &s.state.label(),
                at(s.pid),
                s.from_us,
                s.to_us,
                json!({}),
            ),
        }
    }
    for w in &t.split_brain {
        let masters: Vec<&str> = w.masters.iter().map(|&p| r.name(p)).collect();
        out.complete(
            "split-brain",
            "split brain",
            (0, run_tid),
            w.from_us,
            w.to_us,
            json!({"writable_masters": masters}),
        );
    }
    for b in &t.bands {
        let place = (host_pid(b.host), iptables_tid(b.host));
        out.async_span(
            "iptables",
            &b.rule,
            place,
            b.from_us,
            b.to_us,
            json!({"host": hosts[b.host]}),
        );
    }
    for k in &r.kernel {
        let ts = k.at.as_micros();
        match &k.change {
            Change::Filter { host, cmd } if *host < hosts.len() => out.instant(
                "iptables",
                &format!("iptables {cmd}"),
                (host_pid(*host), iptables_tid(*host)),
                ts,
                json!({}),
            ),
            Change::Heal => {
                out.instant("fault", "heal: every rule removed", (0, run_tid), ts, json!({}))
            }
            Change::Latency { a, b, range } => {
                let (a, b) = (
                    hosts.get(*a).map_or("?", String::as_str),
                    hosts.get(*b).map_or("?", String::as_str),
                );
                out.instant(
                    "fault",
                    &format!("latency {a} <-> {b}: {range}"),
                    (0, run_tid),
                    ts,
                    json!({}),
                )
            }
            _ => {}
        }
    }
    for f in &t.faults {
        out.instant("fault", &f.label, at(f.pid), f.at_us, json!({}));
    }
    let lines = logs::lines(r);
    for (e, line) in r.entries.iter().zip(&lines) {
        let ts = e.at.as_micros();
        match &e.note {
            Note::Log { level, event, text, .. } if *level >= Level::Notice => {
                let name = event.clone().unwrap_or_else(|| text.chars().take(60).collect());
                out.instant("log", &name, at(e.pid), ts, json!({"line": line}));
            }
            Note::Believe(b) => {
                let name = match &b.master {
                    Some(m) => format!("uses master {m}"),
                    None => "finds no master".to_string(),
                };
                out.instant("client", &name, at(e.pid), ts, json!({"via": b.via}));
            }
            _ => {}
        }
    }
    ops(r, &t, &mut out, &at);
    flows(r, &mut out, &at);
    let events: Vec<String> = out.events.iter().map(Value::to_string).collect();
    format!(
        "{{\"displayTimeUnit\":\"ms\",\"otherData\":{},\"traceEvents\":[\n{}\n]}}\n",
        json!({"scenario": r.scenario.name, "seed": r.seed, "reproduce": format!("redsim run {} --seed {}", r.scenario.file_name(), r.seed)}),
        events.join(",\n")
    )
}

/// Client operations: workload operations are one at a time, so duration events on the client's
/// thread; redis-cli commands may overlap, so async slices.
fn ops(r: &Record, t: &Timeline, out: &mut Out, at: &dyn Fn(usize) -> (usize, usize)) {
    let fates: std::collections::BTreeMap<usize, Fate> =
        t.writes.iter().map(|w| (w.op, w.fate)).collect();
    for (i, op) in r.outcome.history.iter().enumerate() {
        let Some(pid) = client_pid(r, &op.client) else { continue };
        let name = match &op.op {
            Op::Write { key, value } => format!("SET {key} {value}"),
            Op::Read { key } => format!("GET {key}"),
            Op::Command { argv } => argv.join(" "),
        };
        let mut args = json!({"result": reply_text(&op.result), "node": op.node});
        if let Some(f) = fates.get(&i) {
            args["fate"] = json!(f.name());
        }
        if r.processes[pid].kind == ProcKind::Cli {
            out.async_span("op", &name, at(pid), op.invoked_us, op.completed_us, args);
        } else {
            out.complete("op", &name, at(pid), op.invoked_us, op.completed_us, args);
        }
    }
}

/// Messages (traces at level `messages` only): a 1 µs slice at each end, and a flow between.
fn flows(r: &Record, out: &mut Out, at: &dyn Fn(usize) -> (usize, usize)) {
    for m in &r.messages {
        let sent = m.sent.as_micros();
        out.complete("msg", &m.label, at(m.from), sent, sent + 1, json!({}));
        let (Some(to), Some(arrived)) = (m.to, m.arrived) else { continue };
        let arrived = arrived.as_micros();
        out.complete("msg", &m.label, at(to), arrived, arrived + 1, json!({}));
        let id = out.id();
        let (fp, ft) = at(m.from);
        let (tp, tt) = at(to);
        out.push(json!({"name": m.label, "cat": "msg", "ph": "s", "ts": sent, "pid": fp, "tid": ft, "id": id}));
        out.push(json!({"name": m.label, "cat": "msg", "ph": "f", "bp": "e", "ts": arrived, "pid": tp, "tid": tt, "id": id}));
    }
}
