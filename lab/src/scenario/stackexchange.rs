//! A StackExchange.Redis `[[client]]`: its `library-version` and settings, spelled as its
//! connection string spells them (`syncTimeout`, `connectTimeout`), each checked at its
//! `file:line:col`; the other libraries' settings are refused, naming its own, and so is a
//! replica client (not modelled).

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::StackExchange;
use model::client::stackexchange::settings::{
    STACKEXCHANGE_RELEASE, STACKEXCHANGE_SETTINGS, STACKEXCHANGE_VERSIONS,
};
use std::ops::Range;

impl Ctx<'_> {
    /// A StackExchange.Redis client's settings; `foreign` are the other libraries' settings
    /// it sets.
    pub(super) fn stackexchange(
        &self,
        c: &raw::Client,
        foreign: Vec<(&'static str, Range<usize>)>,
    ) -> Result<StackExchange, ScenarioError> {
        let socket = c.socket_timeout.as_ref().map(|t| ("socket-timeout", t.span()));
        let foreign = foreign.into_iter().filter(|(k, _)| !STACKEXCHANGE_SETTINGS.contains(k));
        if let Some((key, span)) = foreign.chain(socket).next() {
            return self.err(
                span,
                format!(
                    "`{key}` is not a StackExchange.Redis setting; a stackexchange client takes: {}",
                    STACKEXCHANGE_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(r) = c.role.as_ref().filter(|r| r.get_ref() != "master") {
            return self.err(
                r.span(),
                "a StackExchange.Redis replica client is not modelled: give role \"master\"",
            );
        }
        if let Some(v) = &c.library_version {
            if !STACKEXCHANGE_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "StackExchange.Redis `{}` is not supported: the model follows StackExchange.Redis {STACKEXCHANGE_RELEASE} (write \"3.x\", \"3.1\" or \"3.1.31\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let positive = |t: &toml::Spanned<String>, key: &str| {
            let d = self.duration(t)?;
            if d == sim::Duration::ZERO {
                return self.err(t.span(), format!("`{key}` must be above zero"));
            }
            Ok(d)
        };
        let sync = match &c.sync_timeout {
            Some(t) => positive(t, "syncTimeout")?,
            None => StackExchange::default().sync_timeout,
        };
        let connect =
            c.connect_timeout.as_ref().map(|t| positive(t, "connectTimeout")).transpose()?;
        Ok(StackExchange::new(sync, connect))
    }
}

/// The StackExchange.Redis settings only it takes, with where (`connectTimeout` is ioredis'
/// too).
pub(super) fn stackexchange_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    c.sync_timeout.as_ref().map(|v| ("syncTimeout", v.span())).into_iter().collect()
}
