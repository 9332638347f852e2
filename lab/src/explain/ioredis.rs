//! An ioredis client's part of the story, in ioredis' terms: what its options decide, what it
//! did (its failover detector, its ready check, `reconnectOnError`, `maxRetriesPerRequest`), and
//! why it moved to the new master.

use super::t;
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::Ioredis;
use model::client::ioredis::settings::IOREDIS_RELEASE;
use model::observe::Note;

/// What the client's options decide, one sentence.
pub(super) fn rules(c: &ClientSpec, io: &Ioredis) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(
            "each (re)connect asks the sentinels for the master (SENTINEL GET-MASTER-ADDR-BY-NAME), starting after the one that answered last".to_string(),
        );
        parts.push(if io.failover_detector {
            "its failover detector subscribes to +switch-master and disconnects on it".to_string()
        } else {
            "no failover detector: only a closed connection makes it ask again".to_string()
        });
    }
    parts.push(match io.command_timeout {
        Some(d) => format!("commandTimeout {d} (fails a command, keeps the connection)"),
        None => "no commandTimeout: a command waits for its reply as long as the connection lives"
            .to_string(),
    });
    parts.push(if io.enable_offline_queue {
        let n = io
            .max_retries_per_request
            .map_or("never".to_string(), |n| format!("after {n} reconnects"));
        format!("commands wait in the offline queue while it reconnects (failed {n})")
    } else {
        "enableOfflineQueue false: commands fail while it is not ready".to_string()
    });
    let changed = io.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("ioredis {IOREDIS_RELEASE}{set}: {}", parts.join("; "))
}

/// The client's own notes (any library's, named by it), consecutive repeats folded:
/// `(time, line)`.
pub(super) fn lines(r: &Record, c: &ClientSpec) -> Vec<(u64, String)> {
    let (client, label) = (c.name.as_str(), super::retries::library_name(c));
    let mut out: Vec<(u64, String, u32, u64)> = Vec::new();
    for e in &r.entries {
        let Note::Library(n) = &e.note else { continue };
        if n.client != client {
            continue;
        }
        let at = e.at.as_micros();
        match out.last_mut() {
            Some(last) if last.1 == n.text => {
                last.2 += 1;
                last.3 = at;
            }
            _ => out.push((at, n.text.clone(), 1, at)),
        }
    }
    out.into_iter()
        .map(|(at, text, n, until)| {
            let times =
                if n > 1 { format!(" ({n} times, until {})", t(until)) } else { String::new() };
            (at, format!("{:>9}  {label}: {text}{times}", t(at)))
        })
        .collect()
}

/// Why an ioredis client moved to another master before `before_us`: the last thing it did
/// that closed its connection, or the server closing it.
pub(super) fn trigger(r: &Record, c: &ClientSpec, before_us: u64) -> Option<String> {
    if !matches!(c.library, model::client::Library::Ioredis(_)) {
        return None;
    }
    let acted = r.entries.iter().rev().find_map(|e| match &e.note {
        Note::Library(n)
            if n.client == c.name
                && e.at.as_micros() < before_us
                && (n.text.starts_with("failover detector")
                    || n.text.starts_with("reconnectOnError")
                    || n.text.contains("whose INFO says")) =>
        {
            Some((e.at.as_micros(), n.text.clone()))
        }
        _ => None,
    });
    Some(match acted {
        Some((at, text)) => format!("at {} ioredis' {text}, and reconnected through the sentinels", t(at)),
        None => "the server closed its connection (Sentinel's CLIENT KILL when it reconfigures a server) and ioredis reconnected through the sentinels; nothing else makes it ask them".to_string(),
    })
}
