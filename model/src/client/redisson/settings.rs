//! Redisson's settings that decide a failover's outcome, spelled as Redisson (4.7.0) spells
//! them in its `Config`: `BaseConfig`'s `timeout` (3000 ms), `connectTimeout` (10000 ms),
//! `retryAttempts` (4) and `retryDelay` (`EqualJitterDelay(1 s, 2 s)`; the deprecated
//! `retryInterval` replaces it with a `ConstantDelay`), and `SentinelServersConfig`'s
//! `scanInterval` (1000 ms) and `checkSentinelsList` (true).

use sim::Duration;

/// The Redisson release the model follows (the newest release tag of redisson/redisson).
pub const REDISSON_RELEASE: &str = "4.7.0";

/// The `library-version`s a Redisson client accepts: all name [`REDISSON_RELEASE`].
pub const REDISSON_VERSIONS: [&str; 4] = ["4.x", "4", "4.7", "4.7.0"];

/// The settings a Redisson client takes.
pub const REDISSON_SETTINGS: [&str; 6] = [
    "timeout",
    "connectTimeout",
    "retryAttempts",
    "retryInterval",
    "scanInterval",
    "checkSentinelsList",
];

/// A Redisson client: `Redisson.create(config)` with `useSentinelServers()` and these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redisson {
    /// `timeout` (3 s): waiting for a reply, a command's or a sentinel's.
    pub timeout: Duration,
    /// `connectTimeout` (10 s): connecting to a server or a sentinel.
    pub connect_timeout: Duration,
    /// `retryAttempts` (4): how many times a failed command is sent again.
    pub retry_attempts: u32,
    /// `retryInterval` (none: `retryDelay`'s `EqualJitterDelay(1 s, 2 s)`): a constant delay
    /// between a command's attempts instead.
    pub retry_interval: Option<Duration>,
    /// `scanInterval` (1 s): the wait between two rounds of asking a sentinel.
    pub scan_interval: Duration,
    /// `checkSentinelsList` (true): startup fails unless at least two sentinels are known.
    pub check_sentinels_list: bool,
}

impl Redisson {
    /// `BaseConfig.timeout`.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);
    /// `BaseConfig.connectTimeout`.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(10_000);
    /// `BaseConfig.retryAttempts`.
    pub const DEFAULT_RETRY_ATTEMPTS: u32 = 4;
    /// `SentinelServersConfig.scanInterval`.
    pub const DEFAULT_SCAN_INTERVAL: Duration = Duration::from_millis(1000);

    /// `retryDelay.calcDelay(attempt)` in milliseconds: `EqualJitterDelay(1000, 2000)` takes
    /// `min(1000 << attempt, 2000)`, halves it and adds a uniform draw of up to that half (so
    /// 500-1000 ms after the first attempt, 1000-2000 ms after the others); a `retryInterval`
    /// is constant.
    pub fn retry_delay(&self, attempt: u32, rng: &mut sim::Rng) -> Duration {
        if let Some(d) = self.retry_interval {
            return d;
        }
        let exponential = if attempt >= 1 { 2000 } else { 1000 };
        let half = exponential / 2;
        Duration::from_millis(half + rng.between(0, half))
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = Redisson::default();
        let mut out: Vec<String> = [
            ("timeout", self.timeout, d.timeout),
            ("connectTimeout", self.connect_timeout, d.connect_timeout),
            ("scanInterval", self.scan_interval, d.scan_interval),
        ]
        .into_iter()
        .filter(|(_, v, d)| v != d)
        .map(|(k, v, _)| format!("{k} = {v}"))
        .collect();
        if self.retry_attempts != d.retry_attempts {
            out.push(format!("retryAttempts = {}", self.retry_attempts));
        }
        if let Some(i) = self.retry_interval {
            out.push(format!("retryInterval = {i}"));
        }
        if !self.check_sentinels_list {
            out.push("checkSentinelsList = false".to_string());
        }
        out
    }
}

impl Default for Redisson {
    fn default() -> Self {
        Redisson {
            timeout: Redisson::DEFAULT_TIMEOUT,
            connect_timeout: Redisson::DEFAULT_CONNECT_TIMEOUT,
            retry_attempts: Redisson::DEFAULT_RETRY_ATTEMPTS,
            retry_interval: None,
            scan_interval: Redisson::DEFAULT_SCAN_INTERVAL,
            check_sentinels_list: true,
        }
    }
}
