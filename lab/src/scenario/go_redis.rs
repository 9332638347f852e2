//! A go-redis `[[client]]`: its `library-version` and settings (`FailoverOptions` fields:
//! `MaxRetries`, `MinRetryBackoff`, `MaxRetryBackoff`, `DialTimeout`, `ReadTimeout`,
//! `DialerRetries`, `DialerRetryTimeout`), each checked at its `file:line:col`; the other
//! libraries' settings are refused, naming go-redis' own, and so is `RouteByLatency` (with
//! which `NewFailoverClient` panics) and a replica client (`ReplicaOnly` is not modelled).

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::GoRedis;
use model::client::go_redis::settings::{GO_REDIS_RELEASE, GO_REDIS_SETTINGS, GO_REDIS_VERSIONS};
use std::ops::Range;

impl Ctx<'_> {
    /// A go-redis client's settings; `foreign` are the other libraries' settings it sets.
    pub(super) fn go_redis(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<GoRedis, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        if let Some((key, span)) = foreign.into_iter().chain(socket).next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a go-redis setting; a go-redis client takes: {}",
                    GO_REDIS_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(r) = c.route_by_latency.as_ref().filter(|r| *r.get_ref()) {
            return self.err(
                r.span(),
                "`RouteByLatency = true`: go-redis' NewFailoverClient panics (\"to route commands by latency, use NewFailoverClusterClient\"), which is not modelled",
            );
        }
        if let Some(r) = c.role.as_ref().filter(|r| r.get_ref() != "master") {
            return self.err(
                r.span(),
                "a go-redis replica client (`ReplicaOnly`) is not modelled: give role \"master\"",
            );
        }
        if let Some(v) = &c.library_version {
            if !GO_REDIS_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "go-redis `{}` is not supported: the model follows go-redis {GO_REDIS_RELEASE} (write \"9.x\", \"9.22\" or \"v9.22.0\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = GoRedis::default();
        // Options.init: a zero duration is the default.
        let duration = |t: &Option<toml::Spanned<String>>, default| {
            t.as_ref().map_or(Ok(default), |t| {
                self.duration(t).map(|v| if v == sim::Duration::ZERO { default } else { v })
            })
        };
        let max_retries = match &c.max_retries {
            None => d.max_retries,
            Some(n) => GoRedis::max_retries_from(*n.get_ref()).map_or_else(
                || {
                    self.err(
                        n.span(),
                        "`MaxRetries` below -1: give -1 (no retry), 0 (the default, 3) or a count",
                    )
                },
                Ok,
            )?,
        };
        let dialer_retries = match &c.dialer_retries {
            None => d.dialer_retries,
            // dialConn: zero or less is the default.
            Some(n) => {
                u32::try_from(*n.get_ref()).ok().filter(|&n| n > 0).unwrap_or(d.dialer_retries)
            }
        };
        Ok(GoRedis {
            max_retries,
            min_retry_backoff: duration(&c.min_retry_backoff, d.min_retry_backoff)?,
            max_retry_backoff: duration(&c.max_retry_backoff, d.max_retry_backoff)?,
            dial_timeout: duration(&c.dial_timeout, d.dial_timeout)?,
            read_timeout: duration(&c.read_timeout, d.read_timeout)?,
            dialer_retries,
            dialer_retry_timeout: duration(&c.dialer_retry_timeout, d.dialer_retry_timeout)?,
        })
    }
}

/// The go-redis settings a client sets, with where.
pub(super) fn go_redis_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    let s = |k, v: &Option<toml::Spanned<String>>| v.as_ref().map(|v| (k, v.span()));
    let n = |k, v: &Option<toml::Spanned<i64>>| v.as_ref().map(|v| (k, v.span()));
    [
        n("MaxRetries", &c.max_retries),
        s("MinRetryBackoff", &c.min_retry_backoff),
        s("MaxRetryBackoff", &c.max_retry_backoff),
        s("DialTimeout", &c.dial_timeout),
        s("ReadTimeout", &c.read_timeout),
        n("DialerRetries", &c.dialer_retries),
        s("DialerRetryTimeout", &c.dialer_retry_timeout),
        c.route_by_latency.as_ref().map(|v| ("RouteByLatency", v.span())),
    ]
    .into_iter()
    .flatten()
    .collect()
}
