//! A `[[client]]`'s library: `library`, `library-version` and the library's own settings, each
//! checked at its `file:line:col`. Only redis-py is modelled; any other library of
//! [`model::client::library::LIBRARIES`] is refused by name, never run as redis-py.

use super::ScenarioError;
use super::context::Ctx;
use super::raw;
use model::client::RedisPy;
use model::client::library::{LIBRARIES, MODELLED, REDIS_PY_SETTINGS, RedisPyVersion};

impl Ctx<'_> {
    /// The library a client is, with its version and settings.
    pub fn library(&self, c: &raw::Client) -> Result<RedisPy, ScenarioError> {
        if let Some(l) = &c.library {
            let name = l.get_ref().as_str();
            if !LIBRARIES.contains(&name) {
                return self.err(
                    l.span(),
                    format!("unknown library `{name}` (known: {})", LIBRARIES.join(", ")),
                );
            }
            if !MODELLED.contains(&name) {
                return self.err(
                    l.span(),
                    format!(
                        "library `{name}` is not modelled yet; modelled: {}",
                        MODELLED.join(", ")
                    ),
                );
            }
        }
        let version = match &c.library_version {
            Some(v) => {
                RedisPyVersion::parse(v.get_ref()).or_else(|e| self.err(v.span(), e.to_string()))?
            }
            None => RedisPyVersion::default(),
        };
        let socket_connect_timeout =
            c.socket_connect_timeout.as_ref().map(|t| self.duration(t)).transpose()?;
        Ok(RedisPy {
            version,
            socket_connect_timeout,
            retry_on_timeout: c.retry_on_timeout.as_ref().is_some_and(|r| *r.get_ref()),
        })
    }
}

/// serde's message for an unknown `[[client]]` key, in the format's words: the client's own
/// keys, then each modelled library's settings. Other messages are returned as they are.
pub(super) fn unknown_client_key(message: String) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else { return message };
    let Some((key, expected)) = rest.split_once('`') else { return message };
    if !expected.contains("`library-version`") {
        return message;
    }
    let own: Vec<&str> = super::keys::tables()
        .into_iter()
        .find(|t| t.heading == "`[[client]]`")
        .map(|t| t.keys.iter().copied().filter(|k| !REDIS_PY_SETTINGS.contains(k)).collect())
        .unwrap_or_default();
    format!(
        "unknown [[client]] key `{key}`: not a client key ({}) nor a redis-py setting ({})",
        own.join(", "),
        REDIS_PY_SETTINGS.join(", ")
    )
}
