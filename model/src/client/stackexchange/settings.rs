//! StackExchange.Redis' settings that decide a failover's outcome, spelled as its connection
//! string spells them (`ConfigurationOptions.OptionKeys`: `syncTimeout`, `connectTimeout`),
//! with the defaults of `DefaultOptionsProvider` and `ConfigurationOptions` (3.1.31):
//! `SyncTimeout` 5 s, `ConnectTimeout` max(5 s, `SyncTimeout`).

use sim::Duration;

/// The StackExchange.Redis release the model follows (the newest release tag of
/// `StackExchange/StackExchange.Redis`).
pub const STACKEXCHANGE_RELEASE: &str = "3.1.31";

/// The `library-version`s a StackExchange.Redis client accepts: all name
/// [`STACKEXCHANGE_RELEASE`].
pub const STACKEXCHANGE_VERSIONS: [&str; 4] = ["3.x", "3", "3.1", "3.1.31"];

/// The settings a StackExchange.Redis client takes.
pub const STACKEXCHANGE_SETTINGS: [&str; 2] = ["syncTimeout", "connectTimeout"];

/// A StackExchange.Redis client: `ConnectionMultiplexer.Connect("...,serviceName=...")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackExchange {
    /// `syncTimeout` (5 s): how long a synchronous command waits for its reply, the time it
    /// spends in the backlog included.
    pub sync_timeout: Duration,
    /// `connectTimeout` (max(5 s, `syncTimeout`)): a connect, and how long
    /// `GetSentinelMasterConnection` keeps trying to reach a primary.
    pub connect_timeout: Duration,
}

impl StackExchange {
    /// `HeartbeatInterval` (1 s): the sentinel multiplexer's reconnect of a lost connection
    /// happens on its heartbeat.
    pub const HEARTBEAT: Duration = Duration::from_secs(1);
    /// `OnManagedConnectionFailed`'s timer: `SwitchPrimary` at once, then every second.
    pub const SWITCH_EVERY: Duration = Duration::from_secs(1);
    /// `GetSentinelMasterConnection`'s sleep between attempts.
    pub const CONNECT_RETRY: Duration = Duration::from_millis(100);

    /// The settings with `syncTimeout` and, if given, `connectTimeout`; `ConnectTimeout`'s
    /// default follows `syncTimeout`.
    pub fn new(sync_timeout: Duration, connect_timeout: Option<Duration>) -> Self {
        let connect_timeout =
            connect_timeout.unwrap_or_else(|| sync_timeout.max(Duration::from_secs(5)));
        StackExchange { sync_timeout, connect_timeout }
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = StackExchange::default();
        [("syncTimeout", self.sync_timeout, d.sync_timeout)]
            .into_iter()
            .chain([("connectTimeout", self.connect_timeout, d.connect_timeout)])
            .filter(|(_, v, dv)| v != dv)
            .map(|(k, v, _)| format!("{k} = \"{v}\""))
            .collect()
    }
}

impl Default for StackExchange {
    fn default() -> Self {
        StackExchange::new(Duration::from_secs(5), None)
    }
}
