//! A Jedis client's part of the story, in Jedis' terms: what its `JedisSentineled` and client
//! configs decide, and why it moved to the new master (a `SentinelListener` heard
//! `+switch-master`, or asked `GET-MASTER-ADDR-BY-NAME` after it reconnected, and `initMaster`
//! replaced the pool).

use super::t;
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::jedis::settings::JEDIS_RELEASE;
use model::client::{Jedis, Library};
use model::observe::Note;

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, jd: &Jedis) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(
            "initSentinels asks the sentinels in its HashSet's order (SENTINEL GET-MASTER-ADDR-BY-NAME, the answer unverified) once, when the client is built".to_string(),
        );
        parts.push(format!(
            "a SentinelListener per sentinel subscribes to +switch-master and replaces the pool when the master's address changes; one that loses its sentinel sleeps {} and asks again",
            jd.sentinel_reconnect_delay
        ));
    }
    parts.push(format!(
        "connectionTimeout {}, soTimeout {}; no command is retried (an error reply such as READONLY keeps the connection, a timeout or a reset destroys it)",
        jd.connection_timeout, jd.so_timeout
    ));
    let changed = jd.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("Jedis {JEDIS_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a Jedis client moved to another master before `before_us` (when it started its first
/// write there): the last `initMaster` that created a pool.
pub(super) fn trigger(r: &Record, c: &ClientSpec, before_us: u64) -> Option<String> {
    if !matches!(c.library, Library::Jedis(_)) {
        return None;
    }
    let pool = r.entries.iter().rev().find_map(|e| match &e.note {
        Note::Library(n)
            if n.client == c.name
                && e.at.as_micros() <= before_us
                && n.text.contains("created a connection pool to master at") =>
        {
            Some((e.at.as_micros(), n.text.as_str()))
        }
        _ => None,
    });
    Some(match pool {
        Some((at, text)) => format!("at {} Jedis' {text}", t(at)),
        None => "Jedis replaced its pool".to_string(),
    })
}
