//! A go-redis client's part of the story, in go-redis' terms: what `NewFailoverClient`'s
//! `FailoverOptions` decide, and why it moved to the new master (its sentinel listener heard
//! `+switch-master` and closed the pool's connections, or a failed command was retried on a
//! new connection, whose dial asked the sentinel).

use super::{error_text, t};
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec};
use model::client::go_redis::settings::GO_REDIS_RELEASE;
use model::client::{GoRedis, Library};
use model::observe::{Note, OpRecord, OpResult};

/// What the client's settings decide, one sentence.
pub(super) fn rules(c: &ClientSpec, go: &GoRedis) -> String {
    let mut parts = Vec::new();
    if matches!(c.mode, ClientMode::Sentinel { .. }) {
        parts.push(
            "every new connection asks its cached sentinel SENTINEL GET-MASTER-ADDR-BY-NAME (else all sentinels of its shuffled list at once, the first answer wins; no flag or ROLE check)".to_string(),
        );
        parts.push(
            "that sentinel's +switch-master closes the pool's connections to the old master"
                .to_string(),
        );
    }
    parts.push(format!(
        "a failed command (network error, timeout, READONLY, LOADING...) is retried up to MaxRetries {} times ({}..{} backoff); DialTimeout {} per dial attempt, {} attempts; ReadTimeout {}",
        go.max_retries,
        go.min_retry_backoff,
        go.max_retry_backoff,
        go.dial_timeout,
        go.dialer_retries,
        go.read_timeout
    ));
    let changed = go.changed();
    let set = if changed.is_empty() { String::new() } else { format!(" ({})", changed.join(", ")) };
    format!("go-redis {GO_REDIS_RELEASE}{set}: {}", parts.join("; "))
}

/// Why a go-redis client moved to another master before `before_us` (its first write there):
/// the listener's last `+switch-master` note before it, else `failure`, the last operation
/// that failed before it did.
pub(super) fn trigger(
    r: &Record,
    c: &ClientSpec,
    before_us: u64,
    failure: Option<&OpRecord>,
) -> Option<String> {
    if !matches!(c.library, Library::GoRedis(_)) {
        return None;
    }
    let heard = r.entries.iter().rev().find_map(|e| match &e.note {
        Note::Library(n)
            if n.client == c.name
                && e.at.as_micros() <= before_us
                && n.text.contains("received +switch-master") =>
        {
            Some((e.at.as_micros(), n.text.as_str()))
        }
        _ => None,
    });
    Some(match (heard, failure) {
        (Some((at, text)), _) => format!(
            "at {} go-redis' {text}, and the next dial asked that sentinel (GET-MASTER-ADDR-BY-NAME)",
            t(at)
        ),
        (None, Some(o)) => {
            let error = match o.result {
                OpResult::Timeout => "i/o timeout".to_string(),
                _ => error_text(o),
            };
            format!(
                "its write failed (`{error}` at {}): the pool removed the connection and the next dial asked the sentinel again (GET-MASTER-ADDR-BY-NAME)",
                t(o.completed_us)
            )
        }
        (None, None) => "the server closed its idle pooled connection, and the next dial asked the sentinel again (GET-MASTER-ADDR-BY-NAME)".to_string(),
    })
}
