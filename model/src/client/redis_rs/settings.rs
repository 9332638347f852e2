//! redis-rs' settings that decide a failover's outcome, spelled as the `redis` crate (1.8.2)
//! spells them: `AsyncConnectionConfig`'s `connection_timeout` and `response_timeout`
//! (`redis/src/client.rs`, `DEFAULT_CONNECTION_TIMEOUT`, `DEFAULT_RESPONSE_TIMEOUT`), and the
//! application's pattern, `reuse-connection`.

use sim::Duration;

/// The `redis` crate release the model follows (the newest stable on crates.io).
pub const REDIS_RS_RELEASE: &str = "1.8.2";

/// The `library-version`s a redis-rs client accepts: all name [`REDIS_RS_RELEASE`].
pub const REDIS_RS_VERSIONS: [&str; 4] = ["1.x", "1", "1.8", "1.8.2"];

/// The settings a redis-rs client takes.
pub const REDIS_RS_SETTINGS: [&str; 3] =
    ["connection_timeout", "response_timeout", "reuse-connection"];

/// A redis-rs client: `SentinelClient::get_async_connection_with_config` with these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisRs {
    /// `connection_timeout` (1 s) of the data connection's `AsyncConnectionConfig`.
    pub connection_timeout: Duration,
    /// `response_timeout` (500 ms) of the data connection's `AsyncConnectionConfig`.
    pub response_timeout: Duration,
    /// `reuse-connection` (true): the application keeps the `MultiplexedConnection` it got and
    /// asks the `SentinelClient` for a new one only after an error; false: it calls
    /// `get_async_connection` for every operation.
    pub reuse_connection: bool,
}

impl RedisRs {
    /// The timeouts of the connections the crate opens itself (to the sentinels, and to a
    /// named master for its `ROLE` check): `get_multiplexed_async_connection()`'s defaults.
    pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
    /// `DEFAULT_RESPONSE_TIMEOUT`.
    pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = RedisRs::default();
        let mut out = Vec::new();
        if self.connection_timeout != d.connection_timeout {
            out.push(format!("connection_timeout = {}", self.connection_timeout));
        }
        if self.response_timeout != d.response_timeout {
            out.push(format!("response_timeout = {}", self.response_timeout));
        }
        if self.reuse_connection != d.reuse_connection {
            out.push(format!("reuse-connection = {}", self.reuse_connection));
        }
        out
    }
}

impl Default for RedisRs {
    fn default() -> Self {
        RedisRs {
            connection_timeout: RedisRs::DEFAULT_CONNECTION_TIMEOUT,
            response_timeout: RedisRs::DEFAULT_RESPONSE_TIMEOUT,
            reuse_connection: true,
        }
    }
}
