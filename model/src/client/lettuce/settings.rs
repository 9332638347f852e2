//! Lettuce's settings that decide a failover's outcome, spelled as Lettuce (7.7.0.RELEASE) spells
//! them: `RedisURI`'s `timeout` (`DEFAULT_TIMEOUT`, 60 s: the command timeout through
//! `TimeoutOptions.enabled()`, the handshake's and the sentinel query's), `SocketOptions`'
//! `connectTimeout` (`DEFAULT_CONNECT_TIMEOUT`, 10 s), `ClientOptions`' `autoReconnect`,
//! `disconnectedBehavior` and `requestQueueSize`, and `ClientResources`' `reconnectDelay`
//! (`DEFAULT_RECONNECT_DELAY`, `Delay.exponential()`).

use sim::Duration;

/// The Lettuce release the model follows (the newest release tag of `redis/lettuce`).
pub const LETTUCE_RELEASE: &str = "7.7.0.RELEASE";

/// The `library-version`s a Lettuce client accepts: all name [`LETTUCE_RELEASE`].
pub const LETTUCE_VERSIONS: [&str; 5] = ["7.x", "7", "7.7", "7.7.0", "7.7.0.RELEASE"];

/// The settings a Lettuce client takes.
pub const LETTUCE_SETTINGS: [&str; 6] = [
    "timeout",
    "connectTimeout",
    "autoReconnect",
    "disconnectedBehavior",
    "requestQueueSize",
    "reconnectDelay",
];

/// `ClientOptions.DisconnectedBehavior`: what a command written while disconnected meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectedBehavior {
    /// `DEFAULT`: buffered when `autoReconnect` is on, rejected when it is off.
    Default,
    /// `ACCEPT_COMMANDS`: always buffered.
    AcceptCommands,
    /// `REJECT_COMMANDS`: always rejected.
    RejectCommands,
}

impl DisconnectedBehavior {
    /// The enum constant's name, as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            DisconnectedBehavior::Default => "DEFAULT",
            DisconnectedBehavior::AcceptCommands => "ACCEPT_COMMANDS",
            DisconnectedBehavior::RejectCommands => "REJECT_COMMANDS",
        }
    }

    /// The constant called `name`.
    pub fn parse(name: &str) -> Option<DisconnectedBehavior> {
        [Self::Default, Self::AcceptCommands, Self::RejectCommands]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

/// `ClientResources`' `reconnectDelay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconnectDelay {
    /// `Delay.exponential()`: `2^(attempt-1)` ms, bounded by 0 and 30 s (`ExponentialDelay`).
    Exponential,
    /// `Delay.constant(d)`.
    Constant(Duration),
}

impl ReconnectDelay {
    /// `createDelay(attempt)` (`attempt` from 1).
    pub fn delay(self, attempt: u32) -> Duration {
        match self {
            ReconnectDelay::Constant(d) => d,
            ReconnectDelay::Exponential => {
                // calculatePowerOfTwo, then applyBounds(0, 30 s).
                let ms = match attempt {
                    0 => 0,
                    n if n >= 63 => u64::MAX,
                    n => 1u64 << (n - 1),
                };
                Duration::from_millis(ms.min(30_000))
            }
        }
    }
}

/// A Lettuce client: `RedisClient.connect(RedisURI)` with these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lettuce {
    /// `timeout` (60 s): the command timeout, the handshake's, and the sentinel query's.
    pub timeout: Duration,
    /// `connectTimeout` (10 s) of every connect, to a sentinel or to the server.
    pub connect_timeout: Duration,
    /// `autoReconnect` (true): the `ConnectionWatchdog` reconnects a lost connection.
    pub auto_reconnect: bool,
    /// `disconnectedBehavior` (`DEFAULT`).
    pub disconnected_behavior: DisconnectedBehavior,
    /// `requestQueueSize` (`Integer.MAX_VALUE`: unbounded).
    pub request_queue_size: u32,
    /// `reconnectDelay` (`Delay.exponential()`).
    pub reconnect_delay: ReconnectDelay,
}

impl Lettuce {
    /// `DEFAULT_REQUEST_QUEUE_SIZE`, `Integer.MAX_VALUE`.
    pub const DEFAULT_REQUEST_QUEUE_SIZE: u32 = i32::MAX as u32;

    /// `isRejectCommandsWhileDisconnected()`: a command written while disconnected fails.
    pub fn rejects_while_disconnected(&self) -> bool {
        match self.disconnected_behavior {
            DisconnectedBehavior::Default => !self.auto_reconnect,
            DisconnectedBehavior::AcceptCommands => false,
            DisconnectedBehavior::RejectCommands => true,
        }
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = Lettuce::default();
        let mut out = Vec::new();
        if self.timeout != d.timeout {
            out.push(format!("timeout = {}", self.timeout));
        }
        if self.connect_timeout != d.connect_timeout {
            out.push(format!("connectTimeout = {}", self.connect_timeout));
        }
        if self.auto_reconnect != d.auto_reconnect {
            out.push(format!("autoReconnect = {}", self.auto_reconnect));
        }
        if self.disconnected_behavior != d.disconnected_behavior {
            out.push(format!("disconnectedBehavior = {}", self.disconnected_behavior.name()));
        }
        if self.request_queue_size != d.request_queue_size {
            out.push(format!("requestQueueSize = {}", self.request_queue_size));
        }
        if let ReconnectDelay::Constant(c) = self.reconnect_delay {
            out.push(format!("reconnectDelay = {c}"));
        }
        out
    }
}

impl Default for Lettuce {
    fn default() -> Self {
        Lettuce {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            auto_reconnect: true,
            disconnected_behavior: DisconnectedBehavior::Default,
            request_queue_size: Lettuce::DEFAULT_REQUEST_QUEUE_SIZE,
            reconnect_delay: ReconnectDelay::Exponential,
        }
    }
}

/// `ExceptionFactory.formatTimeout`: `1 minute(s)`, `10 second(s)`, `500 millisecond(s)`.
pub fn format_timeout(d: Duration) -> String {
    let us = d.as_micros();
    match us {
        0 => "no timeout".to_string(),
        _ if us % 60_000_000 == 0 => format!("{} minute(s)", us / 60_000_000),
        _ if us % 1_000_000 == 0 => format!("{} second(s)", us / 1_000_000),
        _ if us % 1_000 == 0 => format!("{} millisecond(s)", us / 1_000),
        _ => format!("{} ns", us * 1_000),
    }
}
