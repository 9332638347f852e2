//! A StackExchange.Redis client's part of the story, in its terms: what the connection
//! string's settings decide, and why it moved to the new master (`SwitchPrimary` after a
//! `+switch-master` its sentinel multiplexer heard, or after `OnManagedConnectionFailed`).

use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::stackexchange::settings::STACKEXCHANGE_RELEASE;
use model::client::{Library, StackExchange};
use model::observe::Note;

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, se: &StackExchange) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push("GetConfiguredPrimaryForService asks every sentinel SENTINEL GET-MASTER-ADDR-BY-NAME at once (the first address wins, twice if none; no flag check), the primary is verified with ROLE".to_string());
        parts.push("a +switch-master, or a lost primary connection (SwitchPrimary at once then every 1s), asks again and reconfigures to the named primary; a READONLY reply only fails the command".to_string());
    }
    parts.push(format!(
        "commands wait in the backlog while disconnected and time out after syncTimeout {} (the connection kept); connectTimeout {}",
        se.sync_timeout, se.connect_timeout
    ));
    let changed = se.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("StackExchange.Redis {STACKEXCHANGE_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a StackExchange.Redis client moved to another master before `before_us` (its first
/// write there): its last `SwitchPrimary` note before it.
pub(super) fn trigger(r: &Record, c: &ClientSpec, before_us: u64) -> Option<String> {
    if !matches!(c.library, Library::StackExchange(_)) {
        return None;
    }
    let notes = |prefix: &'static str| {
        r.entries.iter().filter_map(move |e| match &e.note {
            Note::Library(n)
                if n.client == c.name
                    && e.at.as_micros() <= before_us
                    && n.text.starts_with(prefix) =>
            {
                Some((e.at.as_micros(), n.text.as_str()))
            }
            _ => None,
        })
    };
    let switch = notes("SwitchPrimary (").next_back();
    let unheeded = notes("SwitchPrimary after ")
        .next()
        .map(|(at, text)| format!(" (at {} it had run {text})", super::t(at)));
    Some(match switch {
        Some((at, text)) => format!(
            "at {} StackExchange.Redis ran {text}{}",
            super::t(at),
            unheeded.unwrap_or_default()
        ),
        None => {
            "its sentinel multiplexer's GetConfiguredPrimaryForService named it when it connected"
                .to_string()
        }
    })
}
