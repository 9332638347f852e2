//! Writing scenario files back: timeline events and expectations as TOML tables, and small edits
//! of a scenario's text (dropping tables, setting the seed) that keep the rest of it, comments
//! included, as the user wrote it. Used by `redsim shrink`.

use super::{Action, CommandTarget, Expect, LostWrites, ProcRef, Role, Scenario, Timed};
use sim::Duration;
use std::fmt::Write;

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// One `[[event]]` table.
pub fn event_table(scenario: &Scenario, ev: &Timed) -> String {
    let name = |p: &ProcRef| quote(&scenario.name_of(*p));
    let host = |h: &sim::HostId| quote(&scenario.hosts[h.0 as usize]);
    let at = Duration::from_micros(ev.at.as_micros());
    let body = match &ev.action {
        Action::Kill(p) => format!("kill = {}", name(p)),
        Action::Restart(p) => format!("restart = {}", name(p)),
        Action::Pause(p, d) => format!("pause = {}\nfor = \"{d}\"", name(p)),
        Action::Crash { host: h, restart_after: None } => format!("crash = {}", host(h)),
        Action::Crash { host: h, restart_after: Some(d) } => {
            format!("crash = {}\nrestart-after = \"{d}\"", host(h))
        }
        Action::ClockJump(p, us) => {
            let mag = Duration::from_micros(us.unsigned_abs());
            let sign = if *us < 0 { "-" } else { "" };
            format!("clock-jump = {}\nby = \"{sign}{mag}\"", name(p))
        }
        Action::Iptables { host: h, cmd } => {
            format!("iptables = {}\non = {}", quote(&cmd.to_string()), host(h))
        }
        Action::Partition { groups, oneway } => {
            let gs: Vec<String> = groups
                .iter()
                .map(|g| list(g.iter().map(|h| scenario.hosts[h.0 as usize].as_str())))
                .collect();
            let one = if *oneway { "\noneway = true" } else { "" };
            format!("partition = [{}]{one}", gs.join(", "))
        }
        Action::Heal => "heal = true".to_string(),
        Action::Latency { a, b, range } => {
            format!("latency = \"{range}\"\nbetween = [{}, {}]", host(a), host(b))
        }
        Action::Command { argv, on, from } => {
            let on = match on {
                CommandTarget::Node(p) => name(p),
                CommandTarget::Master { ask: None } => quote("master"),
                CommandTarget::Master { ask: Some(i) } => {
                    quote(&format!("master@{}", scenario.name_of(ProcRef::Sentinel(*i))))
                }
            };
            format!("command = {}\non = {on}\nfrom = {}", list(argv), host(from))
        }
        Action::SentinelFailover(i) => {
            format!("sentinel-failover = {}", name(&ProcRef::Sentinel(*i)))
        }
    };
    format!("[[event]]\nat = \"{at}\"\n{body}\n")
}

/// The `[expect]` keys of `e` for one property (`lost-writes`, `get`, ... or an invariant's
/// name), as the lines of an `[expect]` table; empty if `e` does not constrain it.
pub fn expect_lines(e: &Expect, property: &str) -> String {
    let role = |r: &Role| match r {
        Role::Master => "master",
        Role::Replica => "replica",
        Role::Down => "down",
    };
    match property {
        "promotions" => e.promotions.map(|n| format!("promotions = {n}\n")).unwrap_or_default(),
        "promoted" => {
            e.promoted.as_ref().map(|v| format!("promoted = {}\n", list(v))).unwrap_or_default()
        }
        "final-master" if !e.final_master_of.is_empty() => {
            let kv: Vec<String> = e
                .final_master_of
                .iter()
                .map(|(n, v)| format!("{} = {}", quote(n), list(v)))
                .collect();
            format!("final-master = {{ {} }}\n", kv.join(", "))
        }
        "final-master" => e
            .final_master
            .as_ref()
            .map(|v| format!("final-master = {}\n", list(v)))
            .unwrap_or_default(),
        "final-roles" if !e.final_roles.is_empty() => {
            let kv: Vec<String> = e
                .final_roles
                .iter()
                .map(|(n, r)| format!("{} = \"{}\"", quote(n), role(r)))
                .collect();
            format!("final-roles = {{ {} }}\n", kv.join(", "))
        }
        "lost-writes" => match &e.lost_writes {
            Some(LostWrites::Count(n)) => format!("lost-writes = {n}\n"),
            Some(LostWrites::Keys(k)) => format!("lost-writes = {}\n", list(k)),
            None => String::new(),
        },
        "lost-keys-include" if !e.lost_keys_include.is_empty() => {
            format!("lost-keys-include = {}\n", list(&e.lost_keys_include))
        }
        "events" if !e.events.is_empty() => format!("events = {}\n", list(&e.events)),
        "no-events" if !e.no_events.is_empty() => format!("no-events = {}\n", list(&e.no_events)),
        "events-on" if !e.events_on.is_empty() => {
            let kv: Vec<String> = e
                .events_on
                .iter()
                .map(|(s, evs)| format!("{} = {}", quote(s), list(evs)))
                .collect();
            format!("events-on = {{ {} }}\n", kv.join(", "))
        }
        "get" if !e.get.is_empty() => {
            let items: Vec<String> = e
                .get
                .iter()
                .map(|g| {
                    let on = g.on.as_deref().unwrap_or("master");
                    let value = g.value.as_deref().map_or("false".to_string(), quote);
                    format!(
                        "  {{ on = {}, key = {}, value = {value} }},\n",
                        quote(on),
                        quote(&g.key)
                    )
                })
                .collect();
            format!("get = [\n{}]\n", items.concat())
        }
        "violates" if !e.violates.is_empty() => {
            format!("violates = {}\n", list(e.violates.iter().map(|i| i.name())))
        }
        other => match super::Invariant::parse(other) {
            Some(i) => format!("invariants = [{}]\n", quote(i.name())),
            None => String::new(),
        },
    }
}

/// The name of the table a header line opens (`[expect]` -> `expect`, `[[explore.rules]]` ->
/// `explore.rules`), if the line is one.
fn header(line: &str) -> Option<&str> {
    let t = line.trim();
    let t = t.split_once(" #").map_or(t, |(h, _)| h).trim_end();
    let inner = t
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    let inner = inner.trim();
    let bare = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | ' ');
    (!inner.is_empty() && inner.chars().all(bare)).then_some(inner)
}

/// `text` without the tables called `names` (and their sub-tables), keeping everything else.
/// Multi-line strings are skipped over, so a `[` inside a description is not mistaken for a
/// header.
pub fn without_tables(text: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    let mut in_string = false;
    for line in text.split_inclusive('\n') {
        if !in_string {
            if let Some(name) = header(line) {
                skipping = names.iter().any(|n| name == *n || name.starts_with(&format!("{n}.")));
            }
        }
        if line.matches("\"\"\"").count() % 2 == 1 || line.matches("'''").count() % 2 == 1 {
            in_string = !in_string;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

/// `text` with its top-level `seed` set to `seed` (an existing single-line `seed = ...` before the
/// first table is replaced; otherwise the key is added at the top).
pub fn with_seed(text: &str, seed: u64) -> String {
    with_key(text, "seed", &seed.to_string())
}

/// `text` with its top-level `key` set to `value` (TOML as written: `42`, `"120s"`): an existing
/// single-line `key = ...` before the first table is replaced; otherwise the key is added at the
/// top.
pub fn with_key(text: &str, key: &str, value: &str) -> String {
    let mut out = format!("{key} = {value}\n");
    let mut in_tables = false;
    for line in text.split_inclusive('\n') {
        in_tables |= header(line).is_some();
        let is_key = !in_tables
            && line.trim_start().strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('='));
        if !is_key {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_and_strings_are_not() {
        assert_eq!(header("[expect]"), Some("expect"));
        assert_eq!(header("  [[explore.rules]]  # rules"), Some("explore.rules"));
        assert_eq!(header("  [\"a\", \"b\"],"), None);
        assert_eq!(header("x = [1]"), None);
    }

    #[test]
    fn tables_are_dropped_with_their_sub_tables() {
        let text = "seed = 3\nname = \"x\"\ndescription = \"\"\"\n[expect]\n\"\"\"\n[[host]]\nname = \"a\"\n[explore]\nkinds = [\n  \"kill\",\n]\n[[explore.rules]]\non = \"a\"\n[expect]\npromotions = 1\n[[event]]\nat = \"1s\"\n";
        let kept = without_tables(text, &["explore", "expect"]);
        assert_eq!(
            kept,
            "seed = 3\nname = \"x\"\ndescription = \"\"\"\n[expect]\n\"\"\"\n[[host]]\nname = \"a\"\n[[event]]\nat = \"1s\"\n"
        );
        assert_eq!(with_seed(&kept, 9).lines().filter(|l| l.starts_with("seed")).count(), 1);
        assert!(with_seed(&kept, 9).starts_with("seed = 9\n"));
    }

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
