//! The answers at the end of an explanation: the field report's two questions for the scenarios
//! that replay its tests (`field-report = true`), and for any scenario what each client went
//! through in short.

use super::{error_text, t};
use crate::record::Record;
use crate::scenario::{Action, ClientMode};
use crate::text::secs;
use model::observe::{Note, OpRecord, OpResult};
use std::fmt::Write;

/// The answers: for a scenario of the field report, its two questions; for any other, what
/// each client went through, in short.
pub(super) fn answers(r: &Record, out: &mut String) {
    let s = &r.scenario;
    let blog = s.field_report;
    if !blog {
        return in_short(r, out);
    }
    let _ = writeln!(
        out,
        "  1. How does the application find the master, and where does its traffic go?"
    );
    let libraries = sentinel_libraries(s);
    if libraries.is_empty() {
        let _ =
            writeln!(out, "     Its clients connect to a fixed address: no sentinel is involved.");
    } else {
        match &libraries[..] {
            [(name, _, _)] if *name == "redis-py" => {
                let _ = writeln!(
                    out,
                    "     Only discovery goes to the sentinels. When redis-py opens a connection it asks them in turn\n     (SENTINEL MASTERS), skips any that flags the master down, and connects to the address named:\n     the data goes straight to Redis, never through a sentinel."
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "     Only discovery goes to the sentinels; the data goes straight to Redis, never through a sentinel."
                );
                for (name, how, clients) in &libraries {
                    let _ = writeln!(out, "     {name} ({}): {how}.", clients.join(", "));
                }
            }
        }
        for e in &r.entries {
            if let Note::Believe(b) = &e.note {
                if let Some(m) = &b.master {
                    let _ = writeln!(
                        out,
                        "     {:>9}  {} -> {m} ({})",
                        t(e.at.as_micros()),
                        b.client,
                        b.via
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "  2. When the master becomes unreachable, how does it find the new one, and what about its writes?"
    );
    in_short(r, out);
}

/// The libraries the sentinel clients run, in the order they first appear, each with how it
/// finds the master and the clients running it.
fn sentinel_libraries(
    s: &crate::scenario::Scenario,
) -> Vec<(&'static str, &'static str, Vec<&str>)> {
    let mut out: Vec<(&'static str, &'static str, Vec<&str>)> = Vec::new();
    for c in s.clients.iter().filter(|c| matches!(c.mode, ClientMode::Sentinel { .. })) {
        let name = super::library::library_name(c);
        match out.iter_mut().find(|l| l.0 == name) {
            Some(l) => l.2.push(&c.name),
            None => out.push((name, super::library::discovery(c), vec![&c.name])),
        }
    }
    out
}

/// Per client: where it wrote before and after the first fault, what made it switch, what of it
/// is lost; then the totals.
fn in_short(r: &Record, out: &mut String) {
    let s = &r.scenario;
    let first_fault = s
        .events
        .iter()
        .find(|e| !matches!(e.action, Action::Command { .. }))
        .map(|e| e.at.as_micros());
    let Some(fault) = first_fault else {
        let _ = writeln!(out, "     This run has no fault.");
        return;
    };
    for c in &s.clients {
        let ops: Vec<&OpRecord> = r
            .outcome
            .history
            .iter()
            .filter(|o| *o.client == *c.name && o.op.written().is_some())
            .collect();
        let before = ops
            .iter()
            .rev()
            .find(|o| o.completed_us <= fault && matches!(o.result, OpResult::Ok { .. }));
        let old = before.and_then(|o| o.node.clone());
        let switch = ops.iter().find(|o| {
            o.invoked_us > fault && matches!(o.result, OpResult::Ok { .. }) && o.node != old
        });
        let on_old: Vec<&&OpRecord> = ops
            .iter()
            .filter(|o| {
                o.invoked_us >= fault && matches!(o.result, OpResult::Ok { .. }) && o.node == old
            })
            .collect();
        let lost_on_old = on_old
            .iter()
            .filter(|o| {
                o.op.written()
                    .is_some_and(|(k, _)| r.outcome.writes.lost_keys.iter().any(|l| l == k))
            })
            .count();
        let old_name = old.as_deref().unwrap_or("no master");
        let retries: Vec<super::retries::Run> =
            super::retries::runs(r, &c.name).into_iter().filter(|run| run.at_us >= fault).collect();
        let last_old = on_old.last().map(|o| t(o.completed_us)).unwrap_or_else(|| t(fault));
        match switch {
            Some(sw) => {
                let failure = ops.iter().rev().find(|o| {
                    o.invoked_us < sw.invoked_us
                        && o.invoked_us >= fault
                        && !matches!(o.result, OpResult::Ok { .. })
                });
                let ioredis = super::ioredis::trigger(r, c, sw.invoked_us)
                    .or_else(|| super::node_redis::trigger(r, c, sw.completed_us))
                    .or_else(|| super::jedis::trigger(r, c, sw.invoked_us))
                    .or_else(|| super::lettuce::trigger(r, c, sw))
                    .or_else(|| super::redisson::trigger(r, c, sw.invoked_us))
                    .or_else(|| super::redis_rs::trigger(c, failure.copied()))
                    .or_else(|| super::go_redis::trigger(r, c, sw.invoked_us, failure.copied()))
                    .or_else(|| super::stackexchange::trigger(r, c, sw.invoked_us));
                let trigger = match failure {
                    _ if ioredis.is_some() => ioredis.unwrap_or_default(),
                    Some(o) => format!("its writes failed (last: `{}` at {}), and each new connection asked the sentinels again", error_text(o), t(o.completed_us)),
                    None => "no write failed: the server closed its idle pooled connection (Sentinel's CLIENT KILL when it reconfigures a server), and redis-py asked the sentinels again for the next one".to_string(),
                };
                let _ = writeln!(
                    out,
                    "     {}: the fault came at {}; it wrote to {old_name} until {last_old}, then to {} from {}: {trigger}.",
                    c.name,
                    t(fault),
                    sw.node.as_deref().unwrap_or("?"),
                    t(sw.invoked_us)
                );
            }
            None if on_old.is_empty() && !retries.is_empty() => {
                let told: Vec<String> =
                    retries.iter().map(|run| run.describe(&super::library::library(c))).collect();
                let _ = writeln!(
                    out,
                    "     {}: the fault came at {}; it acknowledged no write after it: {}.",
                    c.name,
                    t(fault),
                    told.join("; then ")
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "     {}: the fault came at {}; it kept writing to {old_name}: it never switched.",
                    c.name,
                    t(fault)
                );
            }
        }
        if !on_old.is_empty() {
            let _ = writeln!(
                out,
                "     {} of its writes after the fault were acknowledged by {old_name}; {lost_on_old} of them are lost.",
                on_old.len()
            );
        }
    }
    let lost_cli: Vec<&OpRecord> = r
        .outcome
        .history
        .iter()
        .filter(|o| o.client.starts_with("redis-cli@"))
        .filter(|o| {
            o.op.written().is_some_and(|(k, _)| r.outcome.writes.lost_keys.iter().any(|l| l == k))
        })
        .collect();
    for o in lost_cli {
        let (k, v) = o.op.written().expect("a write");
        let _ = writeln!(
            out,
            "     SET {k} {v}, acknowledged by {} at {}, is gone: {}.",
            o.node.as_deref().unwrap_or("?"),
            t(o.completed_us),
            r.discarded_by(o.node.as_deref().unwrap_or(""), o.completed_us)
        );
    }
    let _ = writeln!(
        out,
        "     In all: {} acknowledged writes lost, {} failed, {} indeterminate; two masters accepted writes for {}.",
        r.outcome.writes.lost,
        r.outcome.writes.failed,
        r.outcome.writes.indeterminate,
        secs(r.outcome.split_brain_ms)
    );
}
