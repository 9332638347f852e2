//! A run's outcome held against the scenario's `[expect]` table and invariants: each failure is
//! one line starting with the property it is about.

use crate::invariants::violation;
use crate::outcome::{Expectations, Outcome};
use crate::run::Deployment;
use crate::scenario::{LostWrites, Scenario};
use std::collections::BTreeSet;

/// The expectations of `scenario` held against this run.
pub fn check(scenario: &Scenario, d: &Deployment, out: &Outcome) -> Expectations {
    let read = |node: &str, key: &str| {
        let pid = d.redis.iter().copied().find(|&p| d.world.name(p) == node);
        let server = pid.and_then(|p| d.world.actor(p).as_server()).filter(|s| s.is_up());
        server.map(|s| s.get(key).map(str::to_string))
    };
    let e = &scenario.expect;
    let mut failures = of_outcome(scenario, out, &read);
    for inv in &e.invariants {
        failures.extend(violation(*inv, scenario, d, out));
    }
    for inv in &e.violates {
        if violation(*inv, scenario, d, out).is_none() {
            failures.push(format!("violates: `{}` held", inv.name()));
        }
    }
    Expectations { passed: failures.is_empty(), checked: count(e), failures }
}

/// The expectations of `scenario` that an outcome and a final read of the servers decide (all but
/// the invariants, which need the simulated deployment), held against a run observed from outside:
/// `read(node, key)` is `None` when the server is down, else its value of `key`.
pub fn observed(
    scenario: &Scenario,
    out: &Outcome,
    read: &dyn Fn(&str, &str) -> Option<Option<String>>,
) -> Expectations {
    let e = &scenario.expect;
    let failures = of_outcome(scenario, out, read);
    let checked = count(e) - (e.invariants.len() + e.violates.len()) as u64;
    Expectations { passed: failures.is_empty(), checked, failures }
}

fn of_outcome(
    scenario: &Scenario,
    out: &Outcome,
    read: &dyn Fn(&str, &str) -> Option<Option<String>>,
) -> Vec<String> {
    let e = &scenario.expect;
    let mut failures = Vec::new();
    let promoted: Vec<String> = out
        .promotions
        .iter()
        .map(|p| format!("{} at {}.{:03}s", p.node, p.at_ms / 1000, p.at_ms % 1000))
        .collect();
    if let Some(n) = e.promotions {
        if out.promotions.len() != n as usize {
            failures.push(format!(
                "promotions: expected {n}, got {} [{}]",
                out.promotions.len(),
                promoted.join(", ")
            ));
        }
    }
    if let Some(list) = &e.promoted {
        let got: Vec<&String> = out.promotions.iter().map(|p| &p.node).collect();
        if got.iter().map(|s| s.as_str()).ne(list.iter().map(|s| s.as_str())) {
            failures.push(format!(
                "promoted: expected [{}], got [{}]",
                list.join(", "),
                promoted.join(", ")
            ));
        }
    }
    if let Some(list) = &e.final_master {
        if !out.final_master.as_ref().is_some_and(|m| list.contains(m)) {
            failures.push(format!(
                "final-master: expected {}, got {}",
                list.join(" or "),
                out.final_master.as_deref().unwrap_or("none")
            ));
        }
    }
    for (name, list) in &e.final_master_of {
        let got = out.masters.get(name).and_then(|m| m.final_master.as_deref());
        if !got.is_some_and(|m| list.iter().any(|l| l == m)) {
            failures.push(format!(
                "final-master.{name}: expected {}, got {}",
                list.join(" or "),
                got.unwrap_or("none")
            ));
        }
    }
    for (node, role) in &e.final_roles {
        let got = out.final_roles.get(node);
        if got != Some(role) {
            failures.push(
                format!("final-roles: expected {node} to be {role:?}, it is {got:?}")
                    .to_lowercase(),
            );
        }
    }
    match &e.lost_writes {
        Some(LostWrites::Count(n)) if out.writes.lost != *n => failures.push(format!(
            "lost-writes: expected {n}, got {} [{}]",
            out.writes.lost,
            abridge(&out.writes.lost_keys)
        )),
        Some(LostWrites::Keys(keys)) => {
            let want: BTreeSet<&String> = keys.iter().collect();
            let got: BTreeSet<&String> = out.writes.lost_keys.iter().collect();
            if want != got {
                failures.push(format!(
                    "lost-writes: expected [{}], got [{}]",
                    keys.join(", "),
                    abridge(&out.writes.lost_keys)
                ));
            }
        }
        _ => {}
    }
    for key in &e.lost_keys_include {
        if !out.writes.lost_keys.contains(key) {
            failures.push(format!("lost-keys-include: `{key}` was not lost"));
        }
    }
    let in_order =
        |label: &str, wanted: &[String], on: Option<&str>, failures: &mut Vec<String>| {
            let mut it =
                out.sentinel_events.iter().filter(|ev| on.is_none_or(|s| ev.sentinel == s));
            for (i, want) in wanted.iter().enumerate() {
                if !it.any(|ev| ev.event == *want) {
                    let seen = wanted[..i].join(" ");
                    failures.push(if seen.is_empty() {
                        format!("{label}: `{want}` never happened")
                    } else {
                        format!("{label}: `{want}` did not happen after `{seen}`")
                    });
                    break;
                }
            }
        };
    in_order("events", &e.events, None, &mut failures);
    for (sentinel, wanted) in &e.events_on {
        in_order(&format!("events-on {sentinel}"), wanted, Some(sentinel), &mut failures);
    }
    for no in &e.no_events {
        if let Some(ev) = out.sentinel_events.iter().find(|ev| ev.event == *no) {
            failures.push(format!(
                "no-events: `{no}` happened on {} at {}.{:03}s ({})",
                ev.sentinel,
                ev.at_ms / 1000,
                ev.at_ms % 1000,
                ev.detail
            ));
        }
    }
    for g in &e.get {
        let node = match &g.on {
            Some(n) => Some(n.clone()),
            None => out.final_master.clone(),
        };
        let shown =
            |v: &Option<String>| v.as_ref().map_or("(nil)".to_string(), |s| format!("\"{s}\""));
        let Some(node) = node else {
            failures.push(format!("get {}: there is no final master", g.key));
            continue;
        };
        match read(&node, &g.key) {
            None => failures.push(format!("get {} on {node}: the server is down", g.key)),
            Some(got) => {
                if got != g.value {
                    failures.push(format!(
                        "get {} on {node}: expected {}, got {}",
                        g.key,
                        shown(&g.value),
                        shown(&got)
                    ));
                }
            }
        }
    }
    failures
}

/// How many expectations `e` states: one per key, one per entry of a list or table.
fn count(e: &crate::scenario::Expect) -> u64 {
    let ones = [
        e.promotions.is_some(),
        e.promoted.is_some(),
        e.final_master.is_some() || !e.final_master_of.is_empty(),
        e.lost_writes.is_some(),
        !e.events.is_empty(),
    ];
    let lists = [
        e.final_roles.len(),
        e.lost_keys_include.len(),
        e.events_on.len(),
        e.no_events.len(),
        e.get.len(),
        e.invariants.len(),
        e.violates.len(),
    ];
    (ones.iter().filter(|&&b| b).count() + lists.iter().sum::<usize>()) as u64
}

/// The property a failure line is about: its first word (`lost-writes`, `get`, `converges`, ...).
pub fn property(failure: &str) -> &str {
    failure.split([' ', ':']).next().unwrap_or(failure)
}

fn abridge(keys: &[String]) -> String {
    if keys.len() <= 8 {
        keys.join(", ")
    } else {
        format!("{}, ... {} more", keys[..8].join(", "), keys.len() - 8)
    }
}
