//! A node-redis `[[client]]`'s settings (`createSentinel`'s options), each checked at its
//! `file:line:col`; the settings of other libraries are refused, naming node-redis' own.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::NodeRedis;
use model::client::node_redis::settings::{
    NODE_REDIS_RELEASE, NODE_REDIS_SETTINGS, NODE_REDIS_VERSIONS, ReconnectStrategy,
};
use std::ops::Range;

impl Ctx<'_> {
    /// A node-redis client's settings.
    pub(super) fn node_redis(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<NodeRedis, ScenarioError> {
        let redis_py = [
            c.socket_connect_timeout.as_ref().map(|v| ("socket_connect_timeout", v.span())),
            c.retry_on_timeout.as_ref().map(|v| ("retry_on_timeout", v.span())),
            c.socket_timeout.as_ref().map(|v| ("socket-timeout", v.span())),
        ];
        let other = redis_py
            .into_iter()
            .flatten()
            .chain(foreign.into_iter().filter(|(k, _)| *k != "connectTimeout"));
        if let Some((key, span)) = other.into_iter().next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a node-redis setting; a node-redis client takes: {}",
                    NODE_REDIS_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(v) = &c.connect {
            return self.err(
                v.span(),
                "node-redis is modelled as createSentinel({ name, sentinelRootNodes }) only: give `sentinels` and `service`",
            );
        }
        if let Some(v) = &c.library_version {
            if !NODE_REDIS_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "node-redis `{}` is not supported: the model follows node-redis {NODE_REDIS_RELEASE} (write \"6.x\", \"6.2\" or \"6.2.1\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = NodeRedis::default();
        let ms =
            |t: &Option<toml::Spanned<String>>| t.as_ref().map(|t| self.duration(t)).transpose();
        // node-redis reads 0 as "none" for scanInterval and a command timeout.
        let nonzero = |t: Option<sim::Duration>| t.filter(|t| *t != sim::Duration::ZERO);
        let reconnect_strategy = match &c.reconnect_strategy {
            None => d.reconnect_strategy,
            Some(s) => match s.get_ref() {
                raw::Strategy::Flag(false) => ReconnectStrategy::Never,
                raw::Strategy::Flag(true) => {
                    return self.err(
                        s.span(),
                        "reconnectStrategy takes false, a number of milliseconds (\"500ms\") or a function; a scenario cannot hold a function: leave it out for the default",
                    );
                }
                raw::Strategy::Wait(w) => {
                    let at = toml::Spanned::new(s.span(), w.clone());
                    ReconnectStrategy::Fixed(self.duration(&at)?)
                }
            },
        };
        Ok(NodeRedis {
            scan_interval: nonzero(ms(&c.scan_interval)?),
            max_command_rediscovers: c
                .max_command_rediscovers
                .as_ref()
                .map_or(d.max_command_rediscovers, |n| *n.get_ref()),
            master_pool_size: match &c.master_pool_size {
                Some(n) if *n.get_ref() == 0 => {
                    return self.err(n.span(), "masterPoolSize must be at least 1");
                }
                Some(n) => *n.get_ref(),
                None => d.master_pool_size,
            },
            connect_timeout: ms(&c.connect_timeout)?.unwrap_or(d.connect_timeout),
            socket_timeout: nonzero(ms(&c.socket_timeout_ms)?),
            reconnect_strategy,
            command_timeout: match &c.command_options_timeout {
                Some(t) => nonzero(Some(self.duration(t)?)),
                None => d.command_timeout,
            },
        })
    }
}

/// The node-redis settings a client sets that no other library takes, with where.
pub(super) fn node_redis_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    let s = |k, v: &Option<toml::Spanned<String>>| v.as_ref().map(|v| (k, v.span()));
    let n = |k, v: &Option<toml::Spanned<u32>>| v.as_ref().map(|v| (k, v.span()));
    [
        s("scanInterval", &c.scan_interval),
        n("maxCommandRediscovers", &c.max_command_rediscovers),
        n("masterPoolSize", &c.master_pool_size),
        s("socketTimeout", &c.socket_timeout_ms),
        c.reconnect_strategy.as_ref().map(|v| ("reconnectStrategy", v.span())),
        s("commandOptions.timeout", &c.command_options_timeout),
    ]
    .into_iter()
    .flatten()
    .collect()
}
