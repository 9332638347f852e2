//! A `[[client]]`'s library: `library`, `library-version` and the library's own settings, each
//! checked at its `file:line:col`. redis-py, valkey-py (redis-py 5.x's rules), ioredis and
//! node-redis (`super::node_redis`), redis-rs (`super::redis_rs`) and go-redis
//! (`super::go_redis`) are modelled; any other
//! library of [`model::client::library::LIBRARIES`] is refused by name,
//! never run as redis-py. A setting of the other library is an error too, naming the ones this
//! library takes.

use super::ScenarioError;
use super::context::Ctx;
use super::go_redis::go_redis_keys;
use super::node_redis::node_redis_keys;
use super::raw;
use super::redis_rs::redis_rs_keys;
use super::stackexchange::stackexchange_keys;
use model::client::go_redis::settings::GO_REDIS_SETTINGS;
use model::client::ioredis::settings::{
    IOREDIS_RELEASE, IOREDIS_SETTINGS, IOREDIS_VERSIONS, ReconnectOnError,
};
use model::client::library::{
    LIBRARIES, MODELLED, REDIS_PY_SETTINGS, RedisPyVersion, ValkeyPyVersion,
};
use model::client::node_redis::settings::NODE_REDIS_SETTINGS;
use model::client::redis_rs::settings::REDIS_RS_SETTINGS;
use model::client::stackexchange::settings::STACKEXCHANGE_SETTINGS;
use model::client::{Ioredis, Library, RedisPy};
use std::ops::Range;

impl Ctx<'_> {
    /// The library a client is, with its version and settings.
    pub fn library(&self, c: &raw::Client) -> Result<Library, ScenarioError> {
        let name = c.library.as_ref().map_or("redis-py", |l| l.get_ref().as_str());
        if let Some(l) = &c.library {
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
        if name == "stackexchange" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            foreign.extend(go_redis_keys(c));
            return self.stackexchange(c, foreign).map(Library::StackExchange);
        }
        if let Some((key, span)) = stackexchange_keys(c).into_iter().next() {
            return self.err(
                span,
                format!("`{key}` is a StackExchange.Redis setting, not one of {name}'s"),
            );
        }
        if name == "go-redis" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            return self.go_redis(c, foreign).map(Library::GoRedis);
        }
        if let Some((key, span)) = go_redis_keys(c).into_iter().next() {
            return self.err(span, format!("`{key}` is a go-redis setting, not one of {name}'s"));
        }
        if name == "redis-rs" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            return self.redis_rs(c, foreign).map(Library::RedisRs);
        }
        if let Some((key, span)) = redis_rs_keys(c).into_iter().next() {
            return self.err(span, format!("`{key}` is a redis-rs setting, not one of {name}'s"));
        }
        if name == "node-redis" {
            return self.node_redis(c, ioredis_keys(c)).map(Library::NodeRedis);
        }
        if let Some((key, span)) = node_redis_keys(c).into_iter().next() {
            let own = if name == "ioredis" {
                IOREDIS_SETTINGS.join(", ")
            } else {
                REDIS_PY_SETTINGS.join(", ")
            };
            return self.err(
                span,
                format!(
                    "`{key}` is a node-redis setting; {} {name} client takes: {own}",
                    if name == "ioredis" { "an" } else { "a" }
                ),
            );
        }
        if name == "ioredis" {
            return self.ioredis(c).map(Library::Ioredis);
        }
        if let Some((key, span)) = ioredis_keys(c).into_iter().next() {
            return self.err(
                span,
                format!(
                    "`{key}` is an ioredis setting; a {name} client takes: {}",
                    REDIS_PY_SETTINGS.join(", ")
                ),
            );
        }
        let mut py = if name == "valkey-py" {
            let version = match &c.library_version {
                Some(v) => {
                    ValkeyPyVersion::parse(v.get_ref()).or_else(|e| self.err(v.span(), e))?
                }
                None => ValkeyPyVersion::default(),
            };
            RedisPy::valkey_py(version)
        } else {
            let version = match &c.library_version {
                Some(v) => RedisPyVersion::parse(v.get_ref())
                    .or_else(|e| self.err(v.span(), e.to_string()))?,
                None => RedisPyVersion::default(),
            };
            RedisPy { version, ..RedisPy::default() }
        };
        py.socket_connect_timeout =
            c.socket_connect_timeout.as_ref().map(|t| self.duration(t)).transpose()?;
        py.retry_on_timeout = c.retry_on_timeout.as_ref().is_some_and(|r| *r.get_ref());
        Ok(Library::RedisPy(py))
    }

    /// An ioredis client's settings.
    fn ioredis(&self, c: &raw::Client) -> Result<Ioredis, ScenarioError> {
        if let Some((key, span)) = py_keys(c).into_iter().next() {
            return self.err(
                span,
                format!(
                    "`{key}` is a redis-py setting; an ioredis client takes: {}",
                    IOREDIS_SETTINGS.join(", ")
                ),
            );
        }
        if let Some(t) = &c.socket_timeout {
            return self.err(
                t.span(),
                "`socket-timeout` is redis-py's socket_timeout; ioredis has no socket timeout by default (`commandTimeout` fails a command without closing its connection)",
            );
        }
        if let Some(v) = &c.library_version {
            if !IOREDIS_VERSIONS.contains(&v.get_ref().as_str()) {
                return self.err(
                    v.span(),
                    format!(
                        "ioredis `{}` is not supported: the model follows ioredis {IOREDIS_RELEASE} (write \"5.x\", \"5.11\" or \"5.11.1\")",
                        v.get_ref()
                    ),
                );
            }
        }
        let d = Ioredis::default();
        let flag = |f: &Option<toml::Spanned<bool>>, default: bool| {
            f.as_ref().map_or(default, |v| *v.get_ref())
        };
        let reconnect_on_error = match &c.reconnect_on_error {
            None => ReconnectOnError::Never,
            Some(r) if r.get_ref() == "READONLY" => ReconnectOnError::ReadOnly,
            Some(r) => {
                return self.err(
                    r.span(),
                    format!(
                        "reconnectOnError `{}`: a scenario cannot hold a function; \"READONLY\" stands for the function that returns true for errors starting with READONLY",
                        r.get_ref()
                    ),
                );
            }
        };
        Ok(Ioredis {
            failover_detector: flag(&c.failover_detector, d.failover_detector),
            enable_offline_queue: flag(&c.enable_offline_queue, d.enable_offline_queue),
            max_retries_per_request: match &c.max_retries_per_request {
                None => d.max_retries_per_request,
                // ioredis ignores a negative number: the queue is never failed.
                Some(n) => u32::try_from(*n.get_ref()).ok(),
            },
            command_timeout: c.command_timeout.as_ref().map(|t| self.duration(t)).transpose()?,
            connect_timeout: match &c.connect_timeout {
                Some(t) => self.duration(t)?,
                None => d.connect_timeout,
            },
            reconnect_on_error,
            auto_resend_unfulfilled_commands: flag(
                &c.auto_resend_unfulfilled_commands,
                d.auto_resend_unfulfilled_commands,
            ),
            enable_ready_check: flag(&c.enable_ready_check, d.enable_ready_check),
        })
    }
}

/// The redis-py settings a client sets, with where.
fn py_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    [
        c.socket_connect_timeout.as_ref().map(|v| ("socket_connect_timeout", v.span())),
        c.retry_on_timeout.as_ref().map(|v| ("retry_on_timeout", v.span())),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The ioredis settings a client sets, with where.
fn ioredis_keys(c: &raw::Client) -> Vec<(&'static str, Range<usize>)> {
    let b = |k, v: &Option<toml::Spanned<bool>>| v.as_ref().map(|v| (k, v.span()));
    let s = |k, v: &Option<toml::Spanned<String>>| v.as_ref().map(|v| (k, v.span()));
    [
        b("failoverDetector", &c.failover_detector),
        b("enableOfflineQueue", &c.enable_offline_queue),
        c.max_retries_per_request.as_ref().map(|v| ("maxRetriesPerRequest", v.span())),
        s("commandTimeout", &c.command_timeout),
        s("connectTimeout", &c.connect_timeout),
        s("reconnectOnError", &c.reconnect_on_error),
        b("autoResendUnfulfilledCommands", &c.auto_resend_unfulfilled_commands),
        b("enableReadyCheck", &c.enable_ready_check),
    ]
    .into_iter()
    .flatten()
    .collect()
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
        .map(|t| {
            let setting = |k: &&str| {
                REDIS_PY_SETTINGS.contains(k)
                    || IOREDIS_SETTINGS.contains(k)
                    || NODE_REDIS_SETTINGS.contains(k)
                    || REDIS_RS_SETTINGS.contains(k)
                    || GO_REDIS_SETTINGS.contains(k)
                    || STACKEXCHANGE_SETTINGS.contains(k)
            };
            t.keys.iter().copied().filter(|k| !setting(k)).collect()
        })
        .unwrap_or_default();
    format!(
        "unknown [[client]] key `{key}`: not a client key ({}), a redis-py setting ({}), an ioredis setting ({}), a node-redis setting ({}), a redis-rs setting ({}), a go-redis setting ({}) nor a StackExchange.Redis setting ({})",
        own.join(", "),
        REDIS_PY_SETTINGS.join(", "),
        IOREDIS_SETTINGS.join(", "),
        NODE_REDIS_SETTINGS.join(", "),
        REDIS_RS_SETTINGS.join(", "),
        GO_REDIS_SETTINGS.join(", "),
        STACKEXCHANGE_SETTINGS.join(", ")
    )
}
