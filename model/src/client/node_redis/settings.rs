//! node-redis' options that decide a failover's outcome, spelled and defaulted as the `redis`
//! package (node-redis 6.2.1, `packages/client`) has them: `createSentinel`'s own options
//! (`lib/sentinel/index.ts`, `RedisSentinelInternal`'s constructor), the node clients'
//! `socket` options (`lib/client/socket.ts`, `RedisSocket`'s constructor and
//! `defaultReconnectStrategy`), and `commandOptions.timeout` (`DEFAULT_COMMAND_TIMEOUT`, `lib/defaults.ts`).

use sim::{Duration, Rng};

/// The node-redis release the model follows (the `redis` package on npm; `npm view redis
/// version` names 6.4.0, whose sentinel code the model has not been checked against).
pub const NODE_REDIS_RELEASE: &str = "6.2.1";

/// The `library-version`s a node-redis client accepts: all name [`NODE_REDIS_RELEASE`].
pub const NODE_REDIS_VERSIONS: [&str; 4] = ["6.x", "6", "6.2", "6.2.1"];

/// The settings a node-redis client takes, as node-redis spells them (a nested option by its
/// path: `commandOptions.timeout`; the `socket` options of `nodeClientOptions` by their own
/// names).
pub const NODE_REDIS_SETTINGS: [&str; 7] = [
    "scanInterval",
    "maxCommandRediscovers",
    "masterPoolSize",
    "connectTimeout",
    "socketTimeout",
    "reconnectStrategy",
    "commandOptions.timeout",
];

/// `socket.reconnectStrategy` of the master clients (a scenario cannot hold a function).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconnectStrategy {
    /// The default, `defaultReconnectStrategy`: `min(2^retries * 50, 2000)` ms plus a jitter
    /// of 0 to 200 ms, and no reconnect after a socket timeout.
    Default,
    /// A number: that many milliseconds before every reconnect.
    Fixed(Duration),
    /// `false`: never reconnect.
    Never,
}

/// A node-redis Sentinel client's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRedis {
    /// `scanInterval` (0, none): rediscover on a timer too. node-redis' doc comment says
    /// 10000, its constructor `options.scanInterval ?? 0`: the model follows the code.
    pub scan_interval: Option<Duration>,
    /// `maxCommandRediscovers` (16): how often a command is retried after a rediscovery, and
    /// how many failed rounds `#connect` makes before it gives up.
    pub max_command_rediscovers: u32,
    /// `masterPoolSize` (1): clients connected to the master. The workload runs one command
    /// at a time, so it leases the first and the others only connect.
    pub master_pool_size: u32,
    /// `socket.connectTimeout` (5 s), of the master and the sentinel clients.
    pub connect_timeout: Duration,
    /// `socket.socketTimeout` (none): an idle socket for this long is destroyed with a
    /// `SocketTimeoutError`, after which the default strategy does not reconnect.
    pub socket_timeout: Option<Duration>,
    /// `socket.reconnectStrategy` of the master clients.
    pub reconnect_strategy: ReconnectStrategy,
    /// `commandOptions.timeout` (5 s, `DEFAULT_COMMAND_TIMEOUT`; `None`: 0, no timeout): a
    /// command not answered in time fails with `TimeoutError`, its connection stays.
    pub command_timeout: Option<Duration>,
}

impl Default for NodeRedis {
    fn default() -> Self {
        NodeRedis {
            scan_interval: None,
            max_command_rediscovers: 16,
            master_pool_size: 1,
            connect_timeout: Duration::from_secs(5),
            socket_timeout: None,
            reconnect_strategy: ReconnectStrategy::Default,
            command_timeout: Some(Duration::from_secs(5)),
        }
    }
}

impl NodeRedis {
    /// `#connect`'s wait after a failed round (`setTimeout(1000)`).
    pub const REDISCOVER_WAIT: Duration = Duration::from_secs(1);

    /// The patterns `#createPubSub` subscribes to on the sentinel (`switch-master` has no
    /// `+`, so it matches no event Sentinel publishes; the others do).
    pub const PATTERNS: [&'static str; 6] =
        ["switch-master", "[-+]sdown", "+slave", "+sentinel", "[-+]odown", "+slave-reconf-done"];

    /// The wait before reconnect number `retries` (0 for the first) after `cause`, or `None`
    /// to give up; `timeout` says the socket timed out.
    pub fn reconnect_in(&self, retries: u32, timeout: bool, rng: &mut Rng) -> Option<Duration> {
        match self.reconnect_strategy {
            ReconnectStrategy::Never => None,
            ReconnectStrategy::Fixed(d) => Some(d),
            ReconnectStrategy::Default if timeout => None,
            ReconnectStrategy::Default => {
                let delay = (1u64 << retries.min(20)).saturating_mul(50).min(2000);
                Some(Duration::from_millis(delay + rng.below(200) as u64))
            }
        }
    }

    /// The settings that differ from the defaults, as a scenario writes them (for `explain`).
    pub fn changed(&self) -> Vec<String> {
        let d = NodeRedis::default();
        let ms = |t: Option<Duration>| t.map_or("0".to_string(), |t| t.to_string());
        let mut out = Vec::new();
        if self.scan_interval != d.scan_interval {
            out.push(format!("scanInterval = {}", ms(self.scan_interval)));
        }
        if self.max_command_rediscovers != d.max_command_rediscovers {
            out.push(format!("maxCommandRediscovers = {}", self.max_command_rediscovers));
        }
        if self.master_pool_size != d.master_pool_size {
            out.push(format!("masterPoolSize = {}", self.master_pool_size));
        }
        if self.connect_timeout != d.connect_timeout {
            out.push(format!("connectTimeout = {}", self.connect_timeout));
        }
        if let Some(t) = self.socket_timeout {
            out.push(format!("socketTimeout = {t}"));
        }
        match self.reconnect_strategy {
            ReconnectStrategy::Default => {}
            ReconnectStrategy::Fixed(t) => out.push(format!("reconnectStrategy = {t}")),
            ReconnectStrategy::Never => out.push("reconnectStrategy = false".to_string()),
        }
        if self.command_timeout != d.command_timeout {
            out.push(format!("commandOptions.timeout = {}", ms(self.command_timeout)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_reconnect_strategy_follows_its_formula() {
        let d = NodeRedis::default();
        let mut rng = Rng::stream(1, "t");
        let ms = |t: Duration| t.as_micros() / 1000;
        for (retries, base) in [(0, 50), (1, 100), (5, 1600), (6, 2000), (30, 2000)] {
            let t = ms(d.reconnect_in(retries, false, &mut rng).unwrap());
            assert!((base..base + 200).contains(&t), "{retries}: {t}");
        }
        assert_eq!(d.reconnect_in(0, true, &mut rng), None, "no reconnect after a socket timeout");
        let never = NodeRedis { reconnect_strategy: ReconnectStrategy::Never, ..d.clone() };
        assert_eq!(never.reconnect_in(0, false, &mut rng), None);
        assert!(d.changed().is_empty());
        let set =
            NodeRedis { command_timeout: None, scan_interval: Some(Duration::from_secs(10)), ..d };
        assert_eq!(set.changed(), ["scanInterval = 10s", "commandOptions.timeout = 0"]);
    }
}
