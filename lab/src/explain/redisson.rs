//! A Redisson client's part of the story, in Redisson's terms: what its `Config` decides, and
//! why it moved to the new master (a `scheduleChangeCheck` round asked a sentinel
//! `GET-MASTER-ADDR-BY-NAME` and `changeMaster` set up the new master's entry).

use super::t;
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::redisson::settings::REDISSON_RELEASE;
use model::client::{Library, Redisson};
use model::observe::Note;

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, rd: &Redisson) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(format!(
            "no +switch-master subscription: every scanInterval ({}) scheduleChangeCheck shuffles the sentinels and asks the first that connects SENTINEL GET-MASTER-ADDR-BY-NAME, taking its answer unverified (a different address calls changeMaster)",
            rd.scan_interval
        ));
    }
    let delay = rd.retry_interval.map_or_else(
        || "retryDelay EqualJitterDelay(1s, 2s)".to_string(),
        |i| format!("retryInterval {i}"),
    );
    parts.push(format!(
        "timeout {}, connectTimeout {}; a late reply, a refused connect, a reset or a READONLY/LOADING/NOREPLICAS reply sends the command again after {delay}, up to retryAttempts {} times, to the master of that moment",
        rd.timeout, rd.connect_timeout, rd.retry_attempts
    ));
    let changed = rd.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("Redisson {REDISSON_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a Redisson client moved to another master before `before_us` (when it started its
/// first write there): the round that named it and the entry change that followed; and how
/// often later rounds moved it back to the master it had left.
pub(super) fn trigger(r: &Record, c: &ClientSpec, before_us: u64) -> Option<String> {
    if !matches!(c.library, Library::Redisson(_)) {
        return None;
    }
    let notes: Vec<(u64, &str)> = r
        .entries
        .iter()
        .filter_map(|e| match &e.note {
            Note::Library(n) if n.client == c.name => Some((e.at.as_micros(), n.text.as_str())),
            _ => None,
        })
        .collect();
    let changed = notes
        .iter()
        .rposition(|&(at, text)| at <= before_us && text.contains(" has been changed to "));
    let Some(i) = changed else { return Some("Redisson changed its master entry".to_string()) };
    let asked = notes[..i].iter().rev().find(|(_, text)| text.starts_with("scheduleChangeCheck"));
    let (at, text) = notes[i];
    let mut story = match asked {
        Some((a, q)) => format!("at {} Redisson's {q}, and at {} {text}", t(*a), t(at)),
        None => format!("at {} Redisson's {text}", t(at)),
    };
    let left = text.strip_prefix("master ").and_then(|x| x.split(' ').next()).unwrap_or("");
    let back: Vec<u64> = notes[i + 1..]
        .iter()
        .filter(|(_, x)| !left.is_empty() && x.ends_with(&format!(" has been changed to {left}")))
        .map(|&(at, _)| at)
        .collect();
    if let Some(last) = back.last() {
        story.push_str(&format!(
            "; {} later round(s) asked a sentinel that still named {left} and moved it back there (the last at {}), each until the next round named the new master",
            back.len(),
            t(*last)
        ));
    }
    Some(story)
}
