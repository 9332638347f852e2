//! A redis-rs client's part of the story, in redis-rs' terms: what its `SentinelClient` and
//! `AsyncConnectionConfig` decide, and why it moved to the new master (an error made the
//! application drop its `MultiplexedConnection`; nothing else makes it ask the sentinels).

use super::{error_text, t};
use crate::scenario::{ClientMode, ClientSpec};
use model::client::redis_rs::settings::REDIS_RS_RELEASE;
use model::client::{Library, RedisRs};
use model::observe::{OpRecord, OpResult};

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, rs: &RedisRs) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(
            "get_async_connection asks the sentinels in list order (SENTINEL MASTERS, never reordered) and checks the named master with ROLE".to_string(),
        );
        parts.push("no +switch-master subscription".to_string());
        parts.push(if rs.reuse_connection {
            "the application keeps its MultiplexedConnection and asks again only after an error"
                .to_string()
        } else {
            "the application asks for a new connection for every operation".to_string()
        });
    }
    parts.push(format!(
        "connection_timeout {}, response_timeout {} (a timeout fails the request, no command is retried)",
        rs.connection_timeout, rs.response_timeout
    ));
    let changed = rs.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("redis-rs {REDIS_RS_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a redis-rs client moved to another master: `failure`, the last operation that failed
/// before it did, made the application drop its connection.
pub(super) fn trigger(c: &ClientSpec, failure: Option<&OpRecord>) -> Option<String> {
    let Library::RedisRs(rs) = &c.library else { return None };
    let why = match failure {
        Some(o) => {
            let error = match o.result {
                OpResult::Timeout => "timed out".to_string(),
                _ => error_text(o),
            };
            format!("its write failed (`{error}` at {}), the application dropped its MultiplexedConnection and get_async_connection asked the sentinels again (SENTINEL MASTERS, then ROLE on the master named)", t(o.completed_us))
        }
        None if !rs.reuse_connection => "the application asks the sentinels for every operation, and the next one named the new master".to_string(),
        None => "no write failed, yet it asked the sentinels again".to_string(),
    };
    Some(why)
}
