//! A Lettuce client's part of the story, in Lettuce's terms: what its `RedisURI`,
//! `ClientOptions` and `ClientResources` decide, and why it moved to the new master (its
//! `ConnectionWatchdog` reconnected after the server closed the connection, and the reconnect
//! asked the sentinels again; nothing else does).

use super::t;
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::lettuce::settings::{LETTUCE_RELEASE, ReconnectDelay};
use model::client::{Lettuce, Library};
use model::observe::{Note, OpRecord};

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, lt: &Lettuce) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(
            "every connect and reconnect asks the first sentinel that connects, in list order, for SENTINEL GET-MASTER-ADDR-BY-NAME (no role check)".to_string(),
        );
        parts.push(
            "no +switch-master subscription, READONLY is only the caller's error".to_string(),
        );
    }
    parts.push(if lt.auto_reconnect {
        let delay = match lt.reconnect_delay {
            ReconnectDelay::Exponential => "1 ms doubling up to 30 s".to_string(),
            ReconnectDelay::Constant(d) => format!("every {d}"),
        };
        format!("autoReconnect: the ConnectionWatchdog reconnects after {delay}")
    } else {
        "autoReconnect false: a lost connection stays lost".to_string()
    });
    parts.push(if lt.rejects_while_disconnected() {
        "commands fail while disconnected".to_string()
    } else {
        "commands wait in the disconnected buffer (the one in flight is sent again) and are acknowledged once sent".to_string()
    });
    parts.push(format!("timeout {} per command", lt.timeout));
    let changed = lt.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("Lettuce {LETTUCE_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a Lettuce client moved to another master with `sw`, its first operation there: the
/// watchdog's reconnect and the sentinel's answer it got.
pub(super) fn trigger(r: &Record, c: &ClientSpec, sw: &OpRecord) -> Option<String> {
    if !matches!(c.library, Library::Lettuce(_)) {
        return None;
    }
    let last = |prefix: &str| {
        r.entries.iter().rev().find_map(|e| match &e.note {
            Note::Library(n)
                if n.client == c.name
                    && e.at.as_micros() <= sw.completed_us
                    && n.text.starts_with(prefix) =>
            {
                Some((e.at.as_micros(), n.text.clone()))
            }
            _ => None,
        })
    };
    let resolved = last("Resolved Master")
        .map_or(String::new(), |(at, text)| format!(", and at {} the lookup said: {text}", t(at)));
    Some(match last("Reconnecting") {
        Some((at, text)) => {
            let waited = if sw.invoked_us < at {
                "; the write waiting in its disconnected buffer was sent there"
            } else {
                ""
            };
            format!(
                "the server closed its connection (Sentinel's CLIENT KILL when it reconfigures a server); at {} Lettuce's ConnectionWatchdog logged \"{text}\" and re-resolved the master through the sentinels{resolved}{waited}",
                t(at)
            )
        }
        None => format!("Lettuce's ConnectionWatchdog reconnected through the sentinels{resolved}"),
    })
}
