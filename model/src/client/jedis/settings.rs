//! Jedis' settings that decide a failover's outcome, spelled as Jedis (7.5.3) spells them: the
//! master's and the sentinels' `DefaultJedisClientConfig` (`connectionTimeoutMillis`,
//! `socketTimeoutMillis`, both `Protocol.DEFAULT_TIMEOUT`, 2000 ms; the `JedisSentinelPool`
//! constructors call them `connectionTimeout`, `soTimeout`, `sentinelConnectionTimeout`,
//! `sentinelSoTimeout`) and `SentinelClientBuilder.sentinelReconnectDelay`
//! (`SentineledConnectionProvider.DEFAULT_RESUBSCRIBE_DELAY`, a constant 5000 ms).

use sim::Duration;

/// The Jedis release the model follows (the newest release tag of redis/jedis).
pub const JEDIS_RELEASE: &str = "7.5.3";

/// The `library-version`s a Jedis client accepts: all name [`JEDIS_RELEASE`].
pub const JEDIS_VERSIONS: [&str; 4] = ["7.x", "7", "7.5", "7.5.3"];

/// The settings a Jedis client takes.
pub const JEDIS_SETTINGS: [&str; 5] = [
    "connectionTimeout",
    "soTimeout",
    "sentinelConnectionTimeout",
    "sentinelSoTimeout",
    "sentinelReconnectDelay",
];

/// A Jedis client: a `JedisSentineled` (`SentineledConnectionProvider`) with these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jedis {
    /// `connectionTimeout` (2 s): connecting to the master.
    pub connection_timeout: Duration,
    /// `soTimeout` (2 s): waiting for a command's reply.
    pub so_timeout: Duration,
    /// `sentinelConnectionTimeout` (2 s): connecting to a sentinel.
    pub sentinel_connection_timeout: Duration,
    /// `sentinelSoTimeout` (2 s): waiting for `SENTINEL GET-MASTER-ADDR-BY-NAME`'s reply (the
    /// subscription itself waits forever: `setTimeoutInfinite`).
    pub sentinel_so_timeout: Duration,
    /// `sentinelReconnectDelay` (5 s): a sentinel listener's sleep after it lost its sentinel.
    pub sentinel_reconnect_delay: Duration,
}

impl Jedis {
    /// `Protocol.DEFAULT_TIMEOUT`.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);
    /// `DEFAULT_SUBSCRIBE_RETRY_WAIT_TIME_MILLIS`.
    pub const DEFAULT_RESUBSCRIBE_DELAY: Duration = Duration::from_millis(5000);

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = Jedis::default();
        [
            ("connectionTimeout", self.connection_timeout, d.connection_timeout),
            ("soTimeout", self.so_timeout, d.so_timeout),
            (
                "sentinelConnectionTimeout",
                self.sentinel_connection_timeout,
                d.sentinel_connection_timeout,
            ),
            ("sentinelSoTimeout", self.sentinel_so_timeout, d.sentinel_so_timeout),
            ("sentinelReconnectDelay", self.sentinel_reconnect_delay, d.sentinel_reconnect_delay),
        ]
        .into_iter()
        .filter(|(_, v, d)| v != d)
        .map(|(k, v, _)| format!("{k} = {v}"))
        .collect()
    }
}

impl Default for Jedis {
    fn default() -> Self {
        Jedis {
            connection_timeout: Jedis::DEFAULT_TIMEOUT,
            so_timeout: Jedis::DEFAULT_TIMEOUT,
            sentinel_connection_timeout: Jedis::DEFAULT_TIMEOUT,
            sentinel_so_timeout: Jedis::DEFAULT_TIMEOUT,
            sentinel_reconnect_delay: Jedis::DEFAULT_RESUBSCRIBE_DELAY,
        }
    }
}
