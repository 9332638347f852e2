//! A Redisson `[[client]]`: its `library-version` and settings (`timeout`, `connectTimeout`,
//! `retryAttempts`, `retryInterval`, `scanInterval`, `checkSentinelsList`), each checked at its
//! `file:line:col`; the other libraries' settings are refused, naming Redisson's own.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::Redisson;
use model::client::redisson::settings::{REDISSON_RELEASE, REDISSON_SETTINGS, REDISSON_VERSIONS};
use std::ops::Range;

impl Ctx<'_> {
    /// A Redisson client's settings; `foreign` are the other libraries' settings it sets
    /// (`connectTimeout` and `scanInterval`, which Redisson takes too, are its own).
    pub(super) fn redisson(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<Redisson, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        let mut other = foreign
            .into_iter()
            .filter(|(k, _)| !matches!(*k, "connectTimeout" | "scanInterval"))
            .chain(socket);
        if let Some((key, span)) = other.next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a Redisson setting; a Redisson client takes: {}",
                    REDISSON_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(v) = &c.library_version {
            if !REDISSON_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "Redisson `{}` is not supported: the model follows Redisson {REDISSON_RELEASE} (write \"4.x\", \"4.7\" or \"4.7.0\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = Redisson::default();
        let duration = |t: &Option<toml::Spanned<String>>, default| {
            t.as_ref().map_or(Ok(default), |t| self.duration(t))
        };
        Ok(Redisson {
            timeout: duration(&c.timeout, d.timeout)?,
            connect_timeout: duration(&c.connect_timeout, d.connect_timeout)?,
            retry_attempts: c.retry_attempts.as_ref().map_or(d.retry_attempts, |v| *v.get_ref()),
            retry_interval: c.retry_interval.as_ref().map(|t| self.duration(t)).transpose()?,
            scan_interval: duration(&c.scan_interval, d.scan_interval)?,
            check_sentinels_list: c
                .check_sentinels_list
                .as_ref()
                .map_or(d.check_sentinels_list, |v| *v.get_ref()),
        })
    }
}

/// The settings a client sets that only Redisson takes, with where.
pub(super) fn redisson_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    [
        c.timeout.as_ref().map(|v| ("timeout", v.span())),
        c.retry_attempts.as_ref().map(|v| ("retryAttempts", v.span())),
        c.retry_interval.as_ref().map(|v| ("retryInterval", v.span())),
        c.check_sentinels_list.as_ref().map(|v| ("checkSentinelsList", v.span())),
    ]
    .into_iter()
    .flatten()
    .collect()
}
