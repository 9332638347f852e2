//! A redis-rs `[[client]]`: its `library-version` and settings (`connection_timeout`,
//! `response_timeout`, `reuse-connection`), each checked at its `file:line:col`; the other
//! libraries' settings are refused, naming redis-rs' own.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::RedisRs;
use model::client::redis_rs::settings::{REDIS_RS_RELEASE, REDIS_RS_SETTINGS, REDIS_RS_VERSIONS};
use std::ops::Range;

impl Ctx<'_> {
    /// A redis-rs client's settings; `foreign` are the other libraries' settings it sets.
    pub(super) fn redis_rs(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<RedisRs, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        if let Some((key, span)) = foreign.into_iter().chain(socket).next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a redis-rs setting; a redis-rs client takes: {}",
                    REDIS_RS_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(v) = &c.library_version {
            if !REDIS_RS_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "redis-rs `{}` is not supported: the model follows the redis crate {REDIS_RS_RELEASE} (write \"1.x\", \"1.8\" or \"1.8.2\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = RedisRs::default();
        let duration = |t: &Option<toml::Spanned<String>>, default| {
            t.as_ref().map_or(Ok(default), |t| self.duration(t))
        };
        Ok(RedisRs {
            connection_timeout: duration(&c.connection_timeout, d.connection_timeout)?,
            response_timeout: duration(&c.response_timeout, d.response_timeout)?,
            reuse_connection: c
                .reuse_connection
                .as_ref()
                .map_or(d.reuse_connection, |v| *v.get_ref()),
        })
    }
}

/// The redis-rs settings a client sets, with where.
pub(super) fn redis_rs_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    [
        c.connection_timeout.as_ref().map(|v| ("connection_timeout", v.span())),
        c.response_timeout.as_ref().map(|v| ("response_timeout", v.span())),
        c.reuse_connection.as_ref().map(|v| ("reuse-connection", v.span())),
    ]
    .into_iter()
    .flatten()
    .collect()
}
