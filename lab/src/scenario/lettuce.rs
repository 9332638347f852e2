//! A Lettuce `[[client]]`: its `library-version` and settings (`timeout`, `connectTimeout`,
//! `autoReconnect`, `disconnectedBehavior`, `requestQueueSize`, `reconnectDelay`), each checked
//! at its `file:line:col`; the other libraries' settings are refused, naming Lettuce's own.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::Lettuce;
use model::client::lettuce::settings::{
    DisconnectedBehavior, LETTUCE_RELEASE, LETTUCE_SETTINGS, LETTUCE_VERSIONS, ReconnectDelay,
};
use std::ops::Range;

impl Ctx<'_> {
    /// A Lettuce client's settings; `foreign` are the other libraries' settings it sets.
    pub(super) fn lettuce(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<Lettuce, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        if let Some((key, span)) = foreign.into_iter().chain(socket).next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a Lettuce setting; a Lettuce client takes: {}",
                    LETTUCE_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(r) = c.role.as_ref().filter(|r| r.get_ref() != "master") {
            return self.err(
                r.span(),
                "a Lettuce client is RedisClient.connect of a sentinel RedisURI, which reaches the master only (replica reads need MasterReplica, which the model does not follow)",
            );
        }
        if let Some(v) = &c.library_version {
            if !LETTUCE_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "Lettuce `{}` is not supported: the model follows Lettuce {LETTUCE_RELEASE} (write \"7.x\", \"7.7\", \"7.7.0\" or \"7.7.0.RELEASE\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = Lettuce::default();
        let duration = |t: &Option<toml::Spanned<String>>, default| {
            t.as_ref().map_or(Ok(default), |t| self.duration(t))
        };
        let disconnected_behavior = match &c.disconnected_behavior {
            None => d.disconnected_behavior,
            Some(b) => match DisconnectedBehavior::parse(b.get_ref()) {
                Some(b) => b,
                None => {
                    return self.err(
                        b.span(),
                        format!(
                            "disconnectedBehavior `{}`: one of DEFAULT, ACCEPT_COMMANDS, REJECT_COMMANDS",
                            b.get_ref()
                        ),
                    );
                }
            },
        };
        let request_queue_size = match &c.request_queue_size {
            None => d.request_queue_size,
            Some(n) => match u32::try_from(*n.get_ref()) {
                Ok(n) if n <= Lettuce::DEFAULT_REQUEST_QUEUE_SIZE => n,
                _ => {
                    return self.err(
                        n.span(),
                        "requestQueueSize is a Java int from 0 to 2147483647 (Integer.MAX_VALUE, the default: unbounded)",
                    );
                }
            },
        };
        let reconnect_delay = match &c.reconnect_delay {
            None => ReconnectDelay::Exponential,
            Some(r) if r.get_ref() == "exponential" => ReconnectDelay::Exponential,
            Some(r) => ReconnectDelay::Constant(self.duration(r)?),
        };
        Ok(Lettuce {
            timeout: duration(&c.timeout, d.timeout)?,
            connect_timeout: duration(&c.connect_timeout, d.connect_timeout)?,
            auto_reconnect: c.auto_reconnect.as_ref().map_or(d.auto_reconnect, |v| *v.get_ref()),
            disconnected_behavior,
            request_queue_size,
            reconnect_delay,
        })
    }
}

/// The settings only Lettuce takes that a client sets, with where (`connectTimeout`, which
/// ioredis and node-redis take too, is not among them).
pub(super) fn lettuce_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    [
        c.timeout.as_ref().map(|v| ("timeout", v.span())),
        c.auto_reconnect.as_ref().map(|v| ("autoReconnect", v.span())),
        c.disconnected_behavior.as_ref().map(|v| ("disconnectedBehavior", v.span())),
        c.request_queue_size.as_ref().map(|v| ("requestQueueSize", v.span())),
        c.reconnect_delay.as_ref().map(|v| ("reconnectDelay", v.span())),
    ]
    .into_iter()
    .flatten()
    .collect()
}
