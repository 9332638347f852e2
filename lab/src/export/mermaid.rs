//! `redsim export --format mermaid`: a Mermaid `sequenceDiagram` of what changed state, for docs
//! and blog posts: the votes, the promotion, the `SLAVEOF` commands, hellos that carry a new
//! configuration, resyncs, what clients were told and where their writes went. No PING, INFO or
//! hello chatter. Sentinel states (sdown, odown, TILT), promotions, kills and filter commands are
//! `Note over`; the time packet filters were installed is a `rect`.
//!
//! Everything comes from the record's notes and kernel changes, so a trace at level `events`
//! draws the same diagram as one at level `messages`. Consecutive writes of one client to one
//! server with one outcome are one arrow, with their count and time span.

use super::timeline::{Fate, Timeline, client_pid};
use crate::record::{Change, ProcKind, Record};
use crate::text::secs;
use model::observe::ReplNote;
use model::observe::Why;
use model::observe::{Level, Note};
use model::observe::{OpRecord, OpResult};
use std::collections::BTreeMap;
use std::fmt::Write;

fn t(us: u64) -> String {
    secs(us / 1000)
}

/// Text safe in a Mermaid message or note: no statement separators or entity marks.
fn clean(s: &str) -> String {
    s.replace(['\n', ';'], " ").replace('#', "")
}

/// One line of the diagram, or a write to fold into a run.
enum Item {
    Line(String),
    Op(usize),
}

struct Diagram<'a> {
    r: &'a Record,
    /// Participant alias per process (`R1`, `S2`, `C1`, `CLI1`), for those in the diagram.
    alias: BTreeMap<usize, String>,
    fates: BTreeMap<usize, Fate>,
}

impl Diagram<'_> {
    fn a(&self, pid: usize) -> &str {
        self.alias.get(&pid).map_or("?", String::as_str)
    }

    /// The participant of a `host:port` or `ip port` mention.
    fn by_addr(&self, addr: &str) -> Option<&str> {
        let name = addr.trim().replacen(' ', ":", 1);
        self.r.pid(&name).and_then(|p| self.alias.get(&p)).map(String::as_str)
    }

    /// `Note over` every participant of host `h`.
    fn over_host(&self, host: &str) -> Option<String> {
        let on: Vec<&str> = self
            .alias
            .iter()
            .filter(|(p, _)| self.r.processes[**p].host == host)
            .map(|(_, a)| a.as_str())
            .collect();
        Some(match on.as_slice() {
            [] => return None,
            [one] => one.to_string(),
            [first, .., last] => format!("{first},{last}"),
        })
    }
}

/// The `@ <master> <ip> <port>` or last `<ip> <port>` of a sentinel event's text.
fn at_master(text: &str) -> Option<String> {
    let tail = text.rsplit_once(" @ ").map_or(text, |(_, t)| t);
    let w: Vec<&str> = tail.split_whitespace().collect();
    (w.len() >= 2).then(|| format!("{}:{}", w[w.len() - 2], w[w.len() - 1]))
}

fn sentinel_line(
    d: &Diagram<'_>,
    pid: usize,
    at: u64,
    ev: &str,
    text: &str,
    state: &mut BTreeMap<usize, String>,
) -> Option<String> {
    let me = d.a(pid);
    let r = d.r;
    let first_instance = || text.split_whitespace().nth(1).map(str::to_string);
    Some(match ev {
        "+sdown" | "-sdown" | "+odown" | "-odown" if text.starts_with("master ") => {
            let rest = text.split_whitespace().skip(4).collect::<Vec<_>>().join(" ");
            format!("Note over {me}: {} {ev} master {}", t(at), clean(&rest)).trim_end().to_string()
        }
        "+try-failover" | "+elected-leader" | "+failover-end" | "+tilt" | "-tilt" => {
            format!("Note over {me}: {} {ev}", t(at))
        }
        e if e.starts_with("-failover-abort") => format!("Note over {me}: {} {ev}", t(at)),
        "+vote-for-leader" => {
            let mut w = text.split_whitespace();
            let (id, epoch) = (w.next()?, w.next()?);
            let candidate = r.entries.iter().find_map(|e| match &e.note {
                Note::Why(Why::Identity { run_id }) if run_id == id => d.alias.get(&e.pid),
                _ => None,
            })?;
            if candidate == me {
                format!("Note over {me}: {} votes for itself in epoch {epoch}", t(at))
            } else {
                format!(
                    "{candidate}->>{me}: is-master-down-by-addr, epoch {epoch}\n{me}-->>{candidate}: {} vote for {candidate} in epoch {epoch}",
                    t(at)
                )
            }
        }
        "+selected-slave" => {
            let chosen = first_instance()?;
            state.insert(pid, chosen.clone());
            format!("Note over {me}: {} selects {chosen}", t(at))
        }
        "+failover-state-send-slaveof-noone" => {
            let target = d.by_addr(&first_instance()?)?.to_string();
            format!("{me}->>{target}: {} SLAVEOF NO ONE", t(at))
        }
        "+promoted-slave" => {
            let target = d.by_addr(&first_instance()?)?.to_string();
            format!("{target}-->>{me}: {} INFO says role:master", t(at))
        }
        "+slave-reconf-sent" => {
            let target = d.by_addr(&first_instance()?)?.to_string();
            let new = state.get(&pid).cloned().unwrap_or_default();
            format!("{me}->>{target}: {} SLAVEOF {}", t(at), new.replace(':', " "))
        }
        "+convert-to-slave" | "+fix-slave-config" => {
            let target = d.by_addr(&first_instance()?)?.to_string();
            let master = at_master(text)?;
            format!("{me}->>{target}: {} {ev}: SLAVEOF {}", t(at), master.replace(':', " "))
        }
        "+config-update-from" => {
            // `sentinel <id> <ip> <port> @ ...`: the hello's sender.
            let w: Vec<&str> = text.split_whitespace().collect();
            let from = d.by_addr(&format!("{}:{}", w.get(2)?, w.get(3)?))?.to_string();
            format!("{from}-){me}: {} hello with a newer config epoch", t(at))
        }
        "+switch-master" => {
            let w: Vec<&str> = text.split_whitespace().collect();
            format!("Note over {me}: {} +switch-master to {}:{}", t(at), w.get(3)?, w.get(4)?)
        }
        _ => return None,
    })
}

fn repl_line(d: &Diagram<'_>, pid: usize, at: u64, n: &ReplNote) -> Option<String> {
    let me = d.a(pid);
    Some(match n {
        ReplNote::FullSync { from, flushed_keys, loaded_keys, .. } => format!(
            "{}-->>{me}: {} full resync: {me} flushes {flushed_keys} keys, loads {loaded_keys}",
            d.by_addr(from)?,
            t(at)
        ),
        ReplNote::PartialSync { from, .. } => {
            format!("{}-->>{me}: {} +CONTINUE: partial resync", d.by_addr(from)?, t(at))
        }
        ReplNote::Promoted { .. } => {
            format!("Note over {me}: {} REPLICAOF NO ONE: master now", t(at))
        }
        _ => return None,
    })
}

fn kernel_line(d: &Diagram<'_>, at: u64, c: &Change) -> Option<String> {
    let hosts = &d.r.scenario.hosts;
    Some(match c {
        Change::Kill { pid, power_loss: false } => {
            format!("Note over {}: {} SIGKILL", d.alias.get(pid)?, t(at))
        }
        Change::Kill { pid, power_loss: true } => {
            format!("Note over {}: {} dies with its host", d.alias.get(pid)?, t(at))
        }
        Change::PowerLoss { host } => {
            let h = hosts.get(*host)?;
            format!("Note over {}: {} {h} loses power (no FIN, no RST)", d.over_host(h)?, t(at))
        }
        Change::PowerOn { host } => {
            let h = hosts.get(*host)?;
            format!("Note over {}: {} {h} powers on", d.over_host(h)?, t(at))
        }
        Change::Start { pid } => {
            format!("Note over {}: {} started again", d.alias.get(pid)?, t(at))
        }
        Change::Pause { pid } => format!("Note over {}: {} SIGSTOP", d.alias.get(pid)?, t(at)),
        Change::Resume { pid } => format!("Note over {}: {} SIGCONT", d.alias.get(pid)?, t(at)),
        Change::ClockJump { pid, by_us } => {
            format!("Note over {}: {} clock jumps {:+} ms", d.alias.get(pid)?, t(at), by_us / 1000)
        }
        Change::Filter { host, cmd } => {
            let h = hosts.get(*host)?;
            format!("Note over {}: {} on {h}: iptables {}", d.over_host(h)?, t(at), clean(cmd))
        }
        Change::Heal => {
            let (first, last) = (d.alias.values().next()?, d.alias.values().last()?);
            format!("Note over {first},{last}: {} heal: every rule removed", t(at))
        }
        _ => return None,
    })
}

/// The category a run of writes is folded by.
fn op_class(d: &Diagram<'_>, i: usize, op: &OpRecord) -> (Option<String>, String) {
    let fate = d.fates.get(&i).copied();
    let what = match (&op.result, fate) {
        (OpResult::Ok { .. }, Some(Fate::Lost)) => "OK, lost later".to_string(),
        (OpResult::Ok { .. }, _) => "OK".to_string(),
        (OpResult::Error { error }, _) => format!("error: {error}"),
        (OpResult::Timeout, _) => "timeout (indeterminate)".to_string(),
        (OpResult::Lost { error }, _) => format!("{error} (indeterminate)"),
    };
    (op.node.as_deref().map(str::to_string), clean(&what))
}

/// Lines for a run of consecutive operations of one client with one class.
fn op_run(d: &Diagram<'_>, ops: &[usize]) -> String {
    let h = &d.r.outcome.history;
    let (first, last) = (&h[ops[0]], &h[ops[ops.len() - 1]]);
    let Some(me) = client_pid(d.r, &first.client).and_then(|p| d.alias.get(&p)) else {
        return String::new();
    };
    let (node, what) = op_class(d, ops[0], first);
    let command =
        |o: &OpRecord| o.op.written().map_or(String::new(), |(k, v)| format!("SET {k} {v}"));
    let (ask, span) = if ops.len() == 1 {
        (command(first), t(first.invoked_us))
    } else {
        let key = |o: &OpRecord| o.op.written().map_or(String::new(), |(k, _)| k.to_string());
        (
            format!("{} × SET {}..{}", ops.len(), key(first), key(last)),
            format!("{}-{}", t(first.invoked_us), t(last.completed_us)),
        )
    };
    match node.as_deref().and_then(|n| d.by_addr(n)) {
        Some(server) => {
            format!("{me}->>{server}: {span} {}\n{server}-->>{me}: {what}", clean(&ask))
        }
        None => format!("Note over {me}: {span} {}: {what}", clean(&ask)),
    }
}

/// The participants a diagram line names before its `:` (both ends of a `Note over A,B` range,
/// and every participant between them, are taken as named).
fn involved(line: &str) -> Vec<String> {
    line.lines()
        .flat_map(|l| {
            let head = l.split(':').next().unwrap_or("");
            let head = head.trim().trim_start_matches("Note over ");
            head.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The diagram of `r`.
pub fn mermaid(r: &Record) -> String {
    let tl = Timeline::of(r);
    let mut alias = BTreeMap::new();
    let mut counts = [0usize; 4];
    let has_ops = |name: &str| {
        let client = name.strip_prefix("client/").unwrap_or(name);
        r.outcome.history.iter().any(|o| *o.client == *client)
    };
    for lane in &tl.lanes {
        let p = &r.processes[lane.pid];
        let (i, prefix) = match p.kind {
            ProcKind::Redis => (0, "R"),
            ProcKind::Sentinel => (1, "S"),
            ProcKind::Client if has_ops(&p.name) => (2, "C"),
            ProcKind::Cli if has_ops(&p.name) => (3, "CLI"),
            ProcKind::Client | ProcKind::Cli => continue,
        };
        counts[i] += 1;
        alias.insert(lane.pid, format!("{prefix}{}", counts[i]));
    }
    let d = Diagram { r, alias, fates: tl.writes.iter().map(|w| (w.op, w.fate)).collect() };

    let mut out = String::from("sequenceDiagram\n");
    let mut host: Option<&str> = None;
    for lane in &tl.lanes {
        let Some(a) = d.alias.get(&lane.pid) else { continue };
        let p = &r.processes[lane.pid];
        if host != Some(p.host.as_str()) {
            if host.is_some() {
                out.push_str("    end\n");
            }
            let _ = writeln!(out, "    box host {}", p.host);
            host = Some(&p.host);
        }
        let kind = match p.kind {
            ProcKind::Redis => "redis",
            ProcKind::Sentinel => "sentinel",
            ProcKind::Client | ProcKind::Cli => "client",
        };
        let _ = writeln!(
            out,
            "        participant {a} as {kind} {}",
            p.name.trim_start_matches("client/")
        );
    }
    if host.is_some() {
        out.push_str("    end\n");
    }

    // Every item with its time; kernel changes first at equal times, then notes in order.
    let mut items: Vec<(u64, usize, Item)> = Vec::new();
    // A process's first start is the deployment coming up, not an event of the story.
    let mut started = std::collections::BTreeSet::new();
    for k in &r.kernel {
        if let Change::Start { pid } = k.change {
            if started.insert(pid) {
                continue;
            }
        }
        if let Some(l) = kernel_line(&d, k.at.as_micros(), &k.change) {
            items.push((k.at.as_micros(), items.len(), Item::Line(l)));
        }
    }
    let mut promoted: BTreeMap<usize, String> = BTreeMap::new();
    for e in &r.entries {
        let at = e.at.as_micros();
        let line = match &e.note {
            Note::Log { event: Some(ev), text, level, .. }
                if *level >= Level::Notice
                    && d.alias.contains_key(&e.pid)
                    && r.processes[e.pid].kind == ProcKind::Sentinel =>
            {
                sentinel_line(&d, e.pid, at, ev, text, &mut promoted)
            }
            Note::Repl(n) if d.alias.contains_key(&e.pid) => repl_line(&d, e.pid, at, n),
            Note::Believe(b) => {
                let me = client_pid(d.r, &b.client).and_then(|p| d.alias.get(&p));
                match (me, &b.master, d.by_addr(&b.via)) {
                    (Some(me), Some(m), Some(s)) => {
                        Some(format!("{s}-->>{me}: {} SENTINEL MASTERS: master is {m}", t(at)))
                    }
                    (Some(me), Some(m), None) => {
                        Some(format!("Note over {me}: {} uses master {m}", t(at)))
                    }
                    (Some(me), None, _) => {
                        Some(format!("Note over {me}: {} no master: {}", t(at), clean(&b.via)))
                    }
                    (None, _, _) => None,
                }
            }
            _ => None,
        };
        if let Some(l) = line {
            items.push((at, items.len(), Item::Line(l)));
        }
    }
    for (i, op) in r.outcome.history.iter().enumerate() {
        if op.op.written().is_none() {
            continue;
        }
        // An operator's command is a moment of its own; workload writes fold into runs.
        let item = if op.client.starts_with("redis-cli@") {
            Item::Line(op_run(&d, &[i]))
        } else {
            Item::Op(i)
        };
        items.push((op.invoked_us, items.len(), item));
    }
    // Kernel items were pushed first, so sorting by (time, push order) keeps them first.
    items.sort_by_key(|i| (i.0, i.1));

    // The windows during which some packet-filter rule was installed.
    let mut windows: Vec<(u64, u64)> = Vec::new();
    for b in &tl.bands {
        match windows.last_mut() {
            Some(w) if b.from_us <= w.1 => w.1 = w.1.max(b.to_us),
            _ => windows.push((b.from_us, b.to_us)),
        }
    }
    let mut body = Body { d: &d, text: String::new(), runs: BTreeMap::new(), rect_until: None };
    for (at, _, item) in items {
        if body.rect_until.is_some_and(|end| at >= end) {
            body.flush(|_| true);
            body.text.push_str("    end\n");
            body.rect_until = None;
        }
        if body.rect_until.is_none() {
            if let Some(w) = windows.iter().find(|w| w.0 <= at && at < w.1) {
                body.flush(|_| true);
                body.text.push_str("    rect rgba(255, 99, 71, 0.12)\n");
                body.rect_until = Some(w.1);
            }
        }
        match item {
            Item::Line(l) => {
                // A line about a writing client or the server it writes to ends that run first;
                // lines about others (sentinels' states) leave it open.
                let about = involved(&l);
                body.flush(|run| run.names.iter().any(|n| about.contains(n)));
                body.line(&l);
            }
            Item::Op(i) => body.op(i),
        }
    }
    body.flush(|_| true);
    if body.rect_until.is_some() {
        body.text.push_str("    end\n");
    }
    out.push_str(&body.text);
    out
}

/// Consecutive writes of one client folded into one arrow.
struct Run {
    ops: Vec<usize>,
    class: (Option<String>, String),
    /// The participants it involves: the client and the server.
    names: Vec<String>,
}

/// The diagram's body as it is written: lines, the open runs of writes, the open `rect`.
struct Body<'a> {
    d: &'a Diagram<'a>,
    text: String,
    runs: BTreeMap<String, Run>,
    rect_until: Option<u64>,
}

impl Body<'_> {
    fn line(&mut self, l: &str) {
        let indent = if self.rect_until.is_some() { "        " } else { "    " };
        for l in l.lines() {
            let _ = writeln!(self.text, "{indent}{l}");
        }
    }

    /// Writes out the runs `done` picks, in the order they started.
    fn flush(&mut self, done: impl Fn(&Run) -> bool) {
        let keys: Vec<String> =
            self.runs.iter().filter(|(_, r)| done(r)).map(|(k, _)| k.clone()).collect();
        let mut ended: Vec<Run> = keys.iter().filter_map(|k| self.runs.remove(k)).collect();
        ended.sort_by_key(|r| r.ops[0]);
        for run in ended {
            let l = op_run(self.d, &run.ops);
            self.line(&l);
        }
    }

    fn op(&mut self, i: usize) {
        let d = self.d;
        let op = &d.r.outcome.history[i];
        let class = op_class(d, i, op);
        if let Some(run) = self.runs.get_mut(&*op.client).filter(|r| r.class == class) {
            run.ops.push(i);
            return;
        }
        let client = op.client.clone();
        self.flush(|r| d.r.outcome.history[r.ops[0]].client == client);
        let me = client_pid(d.r, &client).and_then(|p| d.alias.get(&p)).cloned();
        let server = class.0.as_deref().and_then(|n| d.by_addr(n)).map(str::to_string);
        let names = me.into_iter().chain(server).collect();
        self.runs.insert(client.to_string(), Run { ops: vec![i], class, names });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_made_safe_for_mermaid() {
        assert_eq!(clean("+odown master #quorum 2/2"), "+odown master quorum 2/2");
        assert_eq!(clean("a;b\nc"), "a b c");
    }

    #[test]
    fn the_master_of_an_event_is_after_the_at() {
        let text = "slave 10.162.29.37:6371 10.162.29.37 6371 @ mymaster 10.162.29.36 6371";
        assert_eq!(at_master(text).as_deref(), Some("10.162.29.36:6371"));
        assert_eq!(at_master("x").as_deref(), None);
    }

    #[test]
    fn lines_name_their_participants() {
        assert_eq!(involved("C1->>R3: 20.000s SET a b: c"), ["C1", "R3"]);
        assert_eq!(involved("Note over R3,CLI1: 20.000s iptables"), ["R3", "CLI1"]);
    }
}
