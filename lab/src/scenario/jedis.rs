//! A Jedis `[[client]]`: its `library-version` and settings (`connectionTimeout`, `soTimeout`,
//! `sentinelConnectionTimeout`, `sentinelSoTimeout`, `sentinelReconnectDelay`), each checked at
//! its `file:line:col`; the other libraries' settings are refused, naming Jedis' own.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::Jedis;
use model::client::jedis::settings::{JEDIS_RELEASE, JEDIS_SETTINGS, JEDIS_VERSIONS};
use std::ops::Range;

impl Ctx<'_> {
    /// A Jedis client's settings; `foreign` are the other libraries' settings it sets.
    pub(super) fn jedis(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<Jedis, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        if let Some((key, span)) = foreign.into_iter().chain(socket).next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a Jedis setting; a Jedis client takes: {}",
                    JEDIS_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(v) = &c.library_version {
            if !JEDIS_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "Jedis `{}` is not supported: the model follows Jedis {JEDIS_RELEASE} (write \"7.x\", \"7.5\" or \"7.5.3\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = Jedis::default();
        let duration = |t: &Option<toml::Spanned<String>>, default| {
            t.as_ref().map_or(Ok(default), |t| self.duration(t))
        };
        // Java's 0 is no timeout at all (`Socket.setSoTimeout(0)`, `connect(addr, 0)`).
        let timeout = |key: &str, t: &Option<toml::Spanned<String>>, default| {
            let d = duration(t, default)?;
            match t {
                Some(t) if d.as_micros() == 0 => self.err(
                    t.span(),
                    format!(
                        "`{key}` of 0 is Java's \"no timeout\"; the model needs one above zero"
                    ),
                ),
                _ => Ok(d),
            }
        };
        Ok(Jedis {
            connection_timeout: timeout(
                "connectionTimeout",
                &c.jedis_connection_timeout,
                d.connection_timeout,
            )?,
            so_timeout: timeout("soTimeout", &c.so_timeout, d.so_timeout)?,
            sentinel_connection_timeout: timeout(
                "sentinelConnectionTimeout",
                &c.sentinel_connection_timeout,
                d.sentinel_connection_timeout,
            )?,
            sentinel_so_timeout: timeout(
                "sentinelSoTimeout",
                &c.sentinel_so_timeout,
                d.sentinel_so_timeout,
            )?,
            sentinel_reconnect_delay: duration(
                &c.sentinel_reconnect_delay,
                d.sentinel_reconnect_delay,
            )?,
        })
    }
}

/// The Jedis settings a client sets, with where.
pub(super) fn jedis_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    [
        ("connectionTimeout", &c.jedis_connection_timeout),
        ("soTimeout", &c.so_timeout),
        ("sentinelConnectionTimeout", &c.sentinel_connection_timeout),
        ("sentinelSoTimeout", &c.sentinel_so_timeout),
        ("sentinelReconnectDelay", &c.sentinel_reconnect_delay),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.span())))
    .collect()
}
