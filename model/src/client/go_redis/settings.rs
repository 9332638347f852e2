//! go-redis' settings that decide a failover's outcome, spelled as go-redis (v9.22.0) spells
//! its `FailoverOptions` fields, with the defaults `Options.init` (`options.go`) gives a zero
//! value: `MaxRetries` 3, `MinRetryBackoff` 10 ms, `MaxRetryBackoff` 1 s, `DialTimeout` 5 s,
//! `ReadTimeout` 5 s, `DialerRetries` 5 and `DialerRetryTimeout` 100 ms.

use sim::{Duration, Rng};

/// The go-redis release the model follows (the newest v9 release tag of `redis/go-redis`).
pub const GO_REDIS_RELEASE: &str = "v9.22.0";

/// The `library-version`s a go-redis client accepts: all name [`GO_REDIS_RELEASE`].
pub const GO_REDIS_VERSIONS: [&str; 6] = ["9.x", "9", "9.22", "9.22.0", "v9", "v9.22.0"];

/// The settings a go-redis client takes (`RouteByLatency` only as `false`: `NewFailoverClient`
/// panics with it).
pub const GO_REDIS_SETTINGS: [&str; 8] = [
    "MaxRetries",
    "MinRetryBackoff",
    "MaxRetryBackoff",
    "DialTimeout",
    "ReadTimeout",
    "DialerRetries",
    "DialerRetryTimeout",
    "RouteByLatency",
];

/// A go-redis client: `NewFailoverClient(&redis.FailoverOptions{...})` with these fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoRedis {
    /// `MaxRetries` (3): how many times `processWithRetry` runs a failed command again.
    pub max_retries: u32,
    /// `MinRetryBackoff` (10 ms).
    pub min_retry_backoff: Duration,
    /// `MaxRetryBackoff` (1 s).
    pub max_retry_backoff: Duration,
    /// `DialTimeout` (5 s): one dial attempt, its `MasterAddr` included.
    pub dial_timeout: Duration,
    /// `ReadTimeout` (5 s): how long a command waits for its reply.
    pub read_timeout: Duration,
    /// `DialerRetries` (5): dial attempts of one `dialConn`.
    pub dialer_retries: u32,
    /// `DialerRetryTimeout` (100 ms): the wait between them.
    pub dialer_retry_timeout: Duration,
}

impl GoRedis {
    /// How long the sentinel listener's `Receive` loop waits before it dials its sentinel
    /// again after a failed reconnect (`initMsgChan`'s 100 ms sleep).
    pub const RESUBSCRIBE: Duration = Duration::from_millis(100);

    /// `MaxRetries` as a scenario writes it, the way `Options.init` reads it: 0 is the
    /// default (3), -1 no retry; `None` for anything below -1.
    pub fn max_retries_from(n: i64) -> Option<u32> {
        match n {
            -1 => Some(0),
            0 => Some(GoRedis::default().max_retries),
            n => u32::try_from(n).ok(),
        }
    }

    /// `internal.RetryBackoff(attempt, MinRetryBackoff, MaxRetryBackoff)`: `min + rand(min <<
    /// attempt)`, capped at `max`.
    pub fn retry_backoff(&self, attempt: u32, rng: &mut Rng) -> Duration {
        let min = self.min_retry_backoff.as_micros();
        if min == 0 {
            return Duration::ZERO;
        }
        let Some(span) = min.checked_shl(attempt).filter(|s| s >> attempt == min) else {
            return self.max_retry_backoff;
        };
        let d = min.saturating_add(rng.between(0, span - 1));
        Duration::from_micros(d.min(self.max_retry_backoff.as_micros()))
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = GoRedis::default();
        let mut out = Vec::new();
        let mut num = |k: &str, v: u32, dv: u32| {
            if v != dv {
                out.push(format!("{k} = {v}"));
            }
        };
        num("MaxRetries", self.max_retries, d.max_retries);
        num("DialerRetries", self.dialer_retries, d.dialer_retries);
        let times = [
            ("MinRetryBackoff", self.min_retry_backoff, d.min_retry_backoff),
            ("MaxRetryBackoff", self.max_retry_backoff, d.max_retry_backoff),
            ("DialTimeout", self.dial_timeout, d.dial_timeout),
            ("ReadTimeout", self.read_timeout, d.read_timeout),
            ("DialerRetryTimeout", self.dialer_retry_timeout, d.dialer_retry_timeout),
        ];
        for (k, v, dv) in times {
            if v != dv {
                out.push(format!("{k} = \"{v}\""));
            }
        }
        out
    }
}

impl Default for GoRedis {
    fn default() -> Self {
        GoRedis {
            max_retries: 3,
            min_retry_backoff: Duration::from_millis(10),
            max_retry_backoff: Duration::from_secs(1),
            dial_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            dialer_retries: 5,
            dialer_retry_timeout: Duration::from_millis(100),
        }
    }
}
