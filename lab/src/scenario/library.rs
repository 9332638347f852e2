//! A `[[client]]`'s library: `library`, `library-version` and the library's own settings, each
//! checked at its `file:line:col`. Every library of [`model::client::library::LIBRARIES`] is
//! modelled: redis-py and valkey-py (redis-py 5.x's rules) here, the others in their own modules
//! (ioredis' settings here too; `super::node_redis`, `super::redis_rs`, `super::jedis`,
//! `super::go_redis`, `super::lettuce`, `super::redisson`, `super::stackexchange`); any other name
//! is refused, never run as redis-py. A setting only another library takes is an error too,
//! naming the ones this library takes.

use super::ScenarioError;
use super::context::Ctx;
use super::go_redis::go_redis_keys;
use super::jedis::jedis_keys;
use super::lettuce::lettuce_keys;
use super::node_redis::node_redis_keys;
use super::raw;
use super::redis_rs::redis_rs_keys;
use super::redisson::redisson_keys;
use super::stackexchange::stackexchange_keys;
use model::client::go_redis::settings::GO_REDIS_SETTINGS;
use model::client::ioredis::settings::{
    IOREDIS_RELEASE, IOREDIS_SETTINGS, IOREDIS_VERSIONS, ReconnectOnError,
};
use model::client::jedis::settings::JEDIS_SETTINGS;
use model::client::lettuce::settings::LETTUCE_SETTINGS;
use model::client::library::{
    LIBRARIES, MODELLED, REDIS_PY_SETTINGS, RedisPyVersion, ValkeyPyVersion,
};
use model::client::node_redis::settings::NODE_REDIS_SETTINGS;
use model::client::redis_rs::settings::REDIS_RS_SETTINGS;
use model::client::redisson::settings::REDISSON_SETTINGS;
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
        }
        if name == "stackexchange" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            foreign.extend(jedis_keys(c));
            foreign.extend(go_redis_keys(c));
            foreign.extend(lettuce_keys(c));
            foreign.extend(redisson_keys(c));
            return self.stackexchange(c, not_own(name, foreign)).map(Library::StackExchange);
        }
        if let Some((key, span)) = first_foreign(name, stackexchange_keys(c)) {
            return self.err(
                span,
                format!("`{key}` is a StackExchange.Redis setting, not one of {name}'s"),
            );
        }
        if name == "redisson" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            foreign.extend(jedis_keys(c));
            foreign.extend(go_redis_keys(c));
            foreign.extend(lettuce_keys(c));
            return self.redisson(c, not_own(name, foreign)).map(Library::Redisson);
        }
        if let Some((key, span)) = first_foreign(name, redisson_keys(c)) {
            return self.err(span, format!("`{key}` is a Redisson setting, not one of {name}'s"));
        }
        if name == "lettuce" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c).into_iter().filter(|(k, _)| *k != "connectTimeout"));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            foreign.extend(jedis_keys(c));
            foreign.extend(go_redis_keys(c));
            return self.lettuce(c, not_own(name, foreign)).map(Library::Lettuce);
        }
        if let Some((key, span)) = first_foreign(name, lettuce_keys(c)) {
            return self.err(span, format!("`{key}` is a Lettuce setting, not one of {name}'s"));
        }
        if name == "go-redis" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            foreign.extend(jedis_keys(c));
            return self.go_redis(c, not_own(name, foreign)).map(Library::GoRedis);
        }
        if let Some((key, span)) = first_foreign(name, go_redis_keys(c)) {
            return self.err(span, format!("`{key}` is a go-redis setting, not one of {name}'s"));
        }
        if name == "jedis" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            foreign.extend(redis_rs_keys(c));
            return self.jedis(c, not_own(name, foreign)).map(Library::Jedis);
        }
        if let Some((key, span)) = first_foreign(name, jedis_keys(c)) {
            return self.err(span, format!("`{key}` is a Jedis setting, not one of {name}'s"));
        }
        if name == "redis-rs" {
            let mut foreign = py_keys(c);
            foreign.extend(ioredis_keys(c));
            foreign.extend(node_redis_keys(c));
            return self.redis_rs(c, not_own(name, foreign)).map(Library::RedisRs);
        }
        if let Some((key, span)) = first_foreign(name, redis_rs_keys(c)) {
            return self.err(span, format!("`{key}` is a redis-rs setting, not one of {name}'s"));
        }
        if name == "node-redis" {
            return self.node_redis(c, ioredis_keys(c)).map(Library::NodeRedis);
        }
        if let Some((key, span)) = first_foreign(name, node_redis_keys(c)) {
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
        if let Some((key, span)) = first_foreign(name, ioredis_keys(c)) {
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

/// Each modelled library with the `[[client]]` keys only its clients take (every other client
/// key is any library's): what the playground keeps and drops when it switches a client's
/// library.
pub fn library_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    let py = || ["socket-timeout"].into_iter().chain(REDIS_PY_SETTINGS).collect::<Vec<_>>();
    MODELLED
        .iter()
        .map(|&name| {
            let keys = match name {
                "ioredis" => IOREDIS_SETTINGS.to_vec(),
                "node-redis" => NODE_REDIS_SETTINGS.to_vec(),
                "redis-rs" => REDIS_RS_SETTINGS.to_vec(),
                "jedis" => JEDIS_SETTINGS.to_vec(),
                "go-redis" => GO_REDIS_SETTINGS.to_vec(),
                "lettuce" => LETTUCE_SETTINGS.to_vec(),
                "redisson" => REDISSON_SETTINGS.to_vec(),
                "stackexchange" => STACKEXCHANGE_SETTINGS.to_vec(),
                _ => py(),
            };
            (name, keys)
        })
        .collect()
}

/// True if a client of `library` takes `key` as a setting of its own (some keys, such as
/// `connectTimeout` or `timeout`, are several libraries').
fn takes(library: &str, key: &str) -> bool {
    library_keys().iter().any(|(n, keys)| *n == library && keys.contains(&key))
}

/// The settings of `set` that a client of `library` does not take.
fn not_own(
    library: &str,
    set: Vec<(&'static str, Range<usize>)>,
) -> Vec<(&'static str, Range<usize>)> {
    set.into_iter().filter(|(k, _)| !takes(library, k)).collect()
}

/// The first setting of `set` that a client of `library` does not take.
fn first_foreign(
    library: &str,
    set: Vec<(&'static str, Range<usize>)>,
) -> Option<(&'static str, Range<usize>)> {
    not_own(library, set).into_iter().next()
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
                    || JEDIS_SETTINGS.contains(k)
                    || GO_REDIS_SETTINGS.contains(k)
                    || LETTUCE_SETTINGS.contains(k)
                    || REDISSON_SETTINGS.contains(k)
                    || STACKEXCHANGE_SETTINGS.contains(k)
            };
            t.keys.iter().copied().filter(|k| !setting(k)).collect()
        })
        .unwrap_or_default();
    format!(
        "unknown [[client]] key `{key}`: not a client key ({}), a redis-py setting ({}), an ioredis setting ({}), a node-redis setting ({}), a redis-rs setting ({}), a Jedis setting ({}), a go-redis setting ({}), a Lettuce setting ({}) a Redisson setting ({}) nor a StackExchange.Redis setting ({})",
        own.join(", "),
        REDIS_PY_SETTINGS.join(", "),
        IOREDIS_SETTINGS.join(", "),
        NODE_REDIS_SETTINGS.join(", "),
        REDIS_RS_SETTINGS.join(", "),
        JEDIS_SETTINGS.join(", "),
        GO_REDIS_SETTINGS.join(", "),
        LETTUCE_SETTINGS.join(", "),
        REDISSON_SETTINGS.join(", "),
        STACKEXCHANGE_SETTINGS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::library_keys;
    use crate::scenario::Scenario;

    /// A one-server scenario whose sentinel client runs `library` with `line` among its keys.
    fn client_with(library: &str, line: &str) -> Result<Scenario, String> {
        let text = format!(
            "name = \"t\"\nduration = \"10s\"\n[[host]]\nname = \"h\"\n[[redis]]\nhost = \"h\"\nport = 6379\n[[sentinel]]\nhost = \"h\"\nport = 26379\nconfig = {{ \"sentinel monitor\" = \"m h 6379 1\" }}\n[[client]]\nname = \"c\"\nhost = \"h\"\nlibrary = \"{library}\"\nsentinels = [\"h:26379\"]\nservice = \"m\"\n{line}\n"
        );
        Scenario::from_bytes("t.toml", text.as_bytes()).map_err(|e| e.to_string())
    }

    /// A value of `key` its own library takes: the first of a few shapes that parses.
    fn accepted(library: &str, key: &str) -> String {
        ["\"1s\"", "true", "false", "3", "\"READONLY\"", "\"DEFAULT\""]
            .iter()
            .map(|v| format!("\"{key}\" = {v}"))
            .find(|line| client_with(library, line).is_ok())
            .unwrap_or_else(|| panic!("no value of `{key}` parses for {library}"))
    }

    #[test]
    fn each_librarys_keys_are_its_own_and_refused_by_the_others() {
        let table = library_keys();
        for (name, keys) in &table {
            for key in keys {
                let line = accepted(name, key);
                for (other, own) in &table {
                    if own.contains(key) {
                        continue;
                    }
                    let err = client_with(other, &line).expect_err(&line);
                    assert!(err.contains(&format!("`{key}`")), "{other} with {line}: {err}");
                }
            }
        }
    }
}
