//! ioredis' options that decide a failover's outcome, spelled and defaulted as
//! `lib/redis/RedisOptions.ts` (`DEFAULT_REDIS_OPTIONS`, ioredis 5.11.1) has them.

use sim::Duration;

/// The ioredis release the model follows (the newest 5.x on npm).
pub const IOREDIS_RELEASE: &str = "5.11.1";

/// The `library-version`s an ioredis client accepts: all name [`IOREDIS_RELEASE`].
pub const IOREDIS_VERSIONS: [&str; 4] = ["5.x", "5", "5.11", "5.11.1"];

/// The settings an ioredis client takes, as ioredis spells them.
pub const IOREDIS_SETTINGS: [&str; 8] = [
    "failoverDetector",
    "enableOfflineQueue",
    "maxRetriesPerRequest",
    "commandTimeout",
    "connectTimeout",
    "reconnectOnError",
    "autoResendUnfulfilledCommands",
    "enableReadyCheck",
];

/// What `reconnectOnError` returns for an error reply (a scenario cannot hold a function).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconnectOnError {
    /// `null`, the default: an error reply is only the caller's error.
    Never,
    /// `(err) => err.message.startsWith("READONLY")`: true (reconnect, and the command fails).
    ReadOnly,
}

/// An ioredis client's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ioredis {
    /// `failoverDetector` (false): subscribe to `+switch-master` on the sentinels.
    pub failover_detector: bool,
    /// `enableOfflineQueue` (true): commands issued while not ready wait in a queue.
    pub enable_offline_queue: bool,
    /// `maxRetriesPerRequest` (20): the queues are failed every `n + 1` reconnects; `None`
    /// (a negative number, which ioredis ignores, or its `null`) never.
    pub max_retries_per_request: Option<u32>,
    /// `commandTimeout` (none): a command not answered in time fails ("Command timed out");
    /// the connection stays.
    pub command_timeout: Option<Duration>,
    /// `connectTimeout` (10 s), for the data and the sentinel connections.
    pub connect_timeout: Duration,
    /// `reconnectOnError` (null).
    pub reconnect_on_error: ReconnectOnError,
    /// `autoResendUnfulfilledCommands` (true): commands in flight when the connection closed
    /// are sent again once it is ready.
    pub auto_resend_unfulfilled_commands: bool,
    /// `enableReadyCheck` (true): `INFO` after connecting, and the role it reports checked.
    pub enable_ready_check: bool,
}

impl Default for Ioredis {
    fn default() -> Self {
        Ioredis {
            failover_detector: false,
            enable_offline_queue: true,
            max_retries_per_request: Some(20),
            command_timeout: None,
            connect_timeout: Duration::from_secs(10),
            reconnect_on_error: ReconnectOnError::Never,
            auto_resend_unfulfilled_commands: true,
            enable_ready_check: true,
        }
    }
}

impl Ioredis {
    /// `retryStrategy`'s default: `Math.min(times * 50, 2000)` ms before reconnect `times`.
    pub fn retry_delay(times: u32) -> Duration {
        Duration::from_millis(u64::from(times).saturating_mul(50).min(2000))
    }

    /// `sentinelRetryStrategy`'s default: `Math.min(times * 10, 1000)` ms before asking every
    /// sentinel again, the `times`-th time in one connect.
    pub fn sentinel_retry_delay(times: u32) -> Duration {
        Duration::from_millis(u64::from(times).saturating_mul(10).min(1000))
    }

    /// `sentinelReconnectStrategy`'s default: a failover detector's sentinel connection that
    /// closed is opened again after a minute.
    pub const SENTINEL_RECONNECT: Duration = Duration::from_secs(60);

    /// `sentinelMaxConnections`' default: the failover detector subscribes on at most this
    /// many sentinels.
    pub const SENTINEL_MAX_CONNECTIONS: usize = 10;

    /// True if `reconnectOnError` asks for a reconnect on error reply `e`.
    pub fn reconnects_on(&self, e: &str) -> bool {
        self.reconnect_on_error == ReconnectOnError::ReadOnly && e.starts_with("READONLY")
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = Ioredis::default();
        let mut out = Vec::new();
        if self.failover_detector != d.failover_detector {
            out.push(format!("failoverDetector = {}", self.failover_detector));
        }
        if self.enable_offline_queue != d.enable_offline_queue {
            out.push(format!("enableOfflineQueue = {}", self.enable_offline_queue));
        }
        if self.max_retries_per_request != d.max_retries_per_request {
            let n = self.max_retries_per_request.map_or("null".to_string(), |n| n.to_string());
            out.push(format!("maxRetriesPerRequest = {n}"));
        }
        if let Some(t) = self.command_timeout {
            out.push(format!("commandTimeout = {t}"));
        }
        if self.connect_timeout != d.connect_timeout {
            out.push(format!("connectTimeout = {}", self.connect_timeout));
        }
        if self.reconnect_on_error != d.reconnect_on_error {
            out.push("reconnectOnError = READONLY".to_string());
        }
        if self.auto_resend_unfulfilled_commands != d.auto_resend_unfulfilled_commands {
            out.push(format!(
                "autoResendUnfulfilledCommands = {}",
                self.auto_resend_unfulfilled_commands
            ));
        }
        if self.enable_ready_check != d.enable_ready_check {
            out.push(format!("enableReadyCheck = {}", self.enable_ready_check));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_strategies_follow_their_formulas() {
        let ms = |d: Duration| d.as_micros() / 1000;
        assert_eq!([1, 2, 40, 41].map(|n| ms(Ioredis::retry_delay(n))), [50, 100, 2000, 2000]);
        assert_eq!([1, 100, 101].map(|n| ms(Ioredis::sentinel_retry_delay(n))), [10, 1000, 1000]);
        let d = Ioredis::default();
        assert!(d.changed().is_empty());
        assert!(!d.reconnects_on("READONLY You can't write against a read only replica."));
        let r = Ioredis { reconnect_on_error: ReconnectOnError::ReadOnly, ..d };
        assert!(r.reconnects_on("READONLY You can't write against a read only replica."));
        assert!(!r.reconnects_on("NOREPLICAS Not enough good replicas to write."));
    }
}
