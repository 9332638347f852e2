//! A node-redis client's part of the story, in node-redis' terms: what its options decide and
//! why it moved to the new master (its sentinel client's pattern subscription, a READONLY
//! reply, a master client that closed, `scanInterval`).

use super::t;
use crate::record::Record;
use crate::scenario::ClientSpec;
use model::client::NodeRedis;
use model::client::node_redis::settings::NODE_REDIS_RELEASE;
use model::observe::Note;

/// What the client's options decide, one sentence.
pub(super) fn rules(nr: &NodeRedis) -> String {
    let mut parts = vec![
        "each rediscovery asks the first sentinel of its list that answers SENTINEL SENTINELS, MASTER and REPLICAS, and refuses a master flagged s_down, disconnected or failover_in_progress (then waits 1s and asks again)".to_string(),
        format!(
            "its sentinel client PSUBSCRIBEs to {} and rediscovers on any message (`switch-master` has no `+`: it is the other events that move it)",
            NodeRedis::PATTERNS.join(" ")
        ),
        format!(
            "a READONLY reply or a master client that is not ready rediscovers and resends the command, up to {} times",
            nr.max_command_rediscovers
        ),
    ];
    parts.push(match nr.command_timeout {
        Some(d) => format!("commandOptions.timeout {d} (fails a command, keeps the connection)"),
        None => "no command timeout".to_string(),
    });
    if let Some(d) = nr.scan_interval {
        parts.push(format!("scanInterval {d}: it also rediscovers on that timer"));
    }
    let changed = nr.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("node-redis {NODE_REDIS_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a node-redis client moved to another master before `before_us` (when its first write
/// there completed: it waited for the rediscovery): what started the rediscovery that opened
/// the new master clients.
pub(super) fn trigger(r: &Record, c: &ClientSpec, before_us: u64) -> Option<String> {
    if !matches!(c.library, model::client::Library::NodeRedis(_)) {
        return None;
    }
    let notes: Vec<(u64, &str)> = r
        .entries
        .iter()
        .filter_map(|e| match &e.note {
            Note::Library(n) if n.client == c.name && e.at.as_micros() < before_us => {
                Some((e.at.as_micros(), n.text.as_str()))
            }
            _ => None,
        })
        .collect();
    // The last opening of master clients, and the first note since the one before it.
    let opens = |n: &&(u64, &str)| n.1.contains("new master client");
    let idx = notes.iter().rposition(|n| opens(&n));
    let opened = idx.map(|i| notes[i]);
    let prev = idx.and_then(|i| notes[..i].iter().rposition(|n| opens(&n)));
    let cause = match (prev, idx) {
        (Some(p), Some(i)) if p + 1 < i => Some(notes[p + 1]),
        (None, Some(i)) if i > 0 => Some(notes[0]),
        _ => None,
    };
    Some(match (cause, opened) {
        (Some((at, cause)), Some((then, opened))) => {
            format!("at {} node-redis' {cause}; at {} its {opened}", t(at), t(then))
        }
        (None, Some((then, opened))) => format!("at {} node-redis' {opened}", t(then)),
        _ => "node-redis rediscovered through the sentinels".to_string(),
    })
}
