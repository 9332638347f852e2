//! redis.conf directives the model implements, by their real names and with Redis 7.0 defaults
//! (another build's are [`ServerConfig::defaults`]). Any other directive is an error that names
//! it: a silent no-op would mislead.

use super::obuf::ObufLimit;
use crate::build::ServerBuild;
use std::fmt;

/// A directive that could not be accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DirectiveError {
    /// The directive's name as written.
    pub directive: String,
    /// What is wrong.
    pub message: String,
}

impl DirectiveError {
    pub(crate) fn new(directive: &str, message: impl Into<String>) -> Self {
        DirectiveError { directive: directive.to_string(), message: message.into() }
    }
}

/// An RDB save point: snapshot when `changes` writes happened within `seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save.
    pub seconds: u64,
    /// Writes since the last save.
    pub changes: u64,
}

/// The configuration of one Redis server, as its config file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// `replicaof <host> <port>`.
    pub replicaof: Option<(String, u16)>,
    /// `replica-priority` (0 = never promoted).
    pub replica_priority: u32,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: u32,
    /// `min-replicas-max-lag` (seconds).
    pub min_replicas_max_lag: u32,
    /// `repl-backlog-size` (bytes).
    pub repl_backlog_size: u64,
    /// `repl-backlog-ttl` (seconds; 0 = never free).
    pub repl_backlog_ttl: u64,
    /// `repl-timeout` (seconds).
    pub repl_timeout: u64,
    /// `repl-ping-replica-period` (seconds).
    pub repl_ping_replica_period: u64,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `replica-announced`.
    pub replica_announced: bool,
    /// `repl-diskless-sync`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay` (seconds).
    pub repl_diskless_sync_delay: u64,
    /// `repl-diskless-sync-max-replicas`.
    pub repl_diskless_sync_max_replicas: u32,
    /// `save`: RDB save points (empty = RDB persistence off).
    pub save: Vec<SavePoint>,
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfsync` (`always`, `everysec`, `no`).
    pub appendfsync: String,
    /// `client-output-buffer-limit replica <hard> <soft> <soft-seconds>`.
    pub replica_obuf_limit: ObufLimit,
}

impl Default for ServerConfig {
    /// Redis 7.0's built-in defaults (what a server runs with when redis.conf says nothing).
    fn default() -> Self {
        ServerConfig {
            replicaof: None,
            replica_priority: 100,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            repl_backlog_size: 1024 * 1024,
            repl_backlog_ttl: 3600,
            repl_timeout: 60,
            repl_ping_replica_period: 10,
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_announced: true,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            save: vec![
                SavePoint { seconds: 3600, changes: 1 },
                SavePoint { seconds: 300, changes: 100 },
                SavePoint { seconds: 60, changes: 10000 },
            ],
            appendonly: false,
            appendfsync: "everysec".to_string(),
            replica_obuf_limit: ObufLimit::REPLICA_DEFAULT,
        }
    }
}

/// Every directive name accepted (aliases included), for error messages and the README.
pub const DIRECTIVES: &[&str] = &[
    "replicaof",
    "slaveof",
    "replica-priority",
    "slave-priority",
    "min-replicas-to-write",
    "min-slaves-to-write",
    "min-replicas-max-lag",
    "min-slaves-max-lag",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-timeout",
    "repl-ping-replica-period",
    "repl-ping-slave-period",
    "replica-read-only",
    "slave-read-only",
    "replica-serve-stale-data",
    "slave-serve-stale-data",
    "replica-announced",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas",
    "save",
    "appendonly",
    "appendfsync",
    "client-output-buffer-limit",
];

fn yes_no(d: &str, v: &str) -> Result<bool, DirectiveError> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(DirectiveError::new(d, format!("argument must be 'yes' or 'no', not `{v}`"))),
    }
}

fn number<T: std::str::FromStr>(d: &str, v: &str) -> Result<T, DirectiveError> {
    v.trim().parse().map_err(|_| {
        DirectiveError::new(d, format!("argument must be a non-negative integer, not `{v}`"))
    })
}

/// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`, one or more groups: the
/// `replica` class (`slave` is its old name) is modelled; `normal` and `pubsub` are not.
fn obuf_limit(d: &str, v: &str) -> Result<ObufLimit, DirectiveError> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || words.len() % 4 != 0 {
        return Err(DirectiveError::new(
            d,
            format!(
                "expected `<class> <hard> <soft> <soft-seconds>` (`replica 256mb 64mb 60`), not `{v}`"
            ),
        ));
    }
    let mut limit = None;
    for g in words.chunks(4) {
        match g[0].to_ascii_lowercase().as_str() {
            "replica" | "slave" => {
                limit = Some(ObufLimit {
                    hard: memory(d, g[1])?,
                    soft: memory(d, g[2])?,
                    soft_seconds: number(d, g[3])?,
                })
            }
            "normal" | "pubsub" => {
                return Err(DirectiveError::new(
                    d,
                    format!("only the `replica` class is modelled, not `{}`", g[0]),
                ));
            }
            other => {
                return Err(DirectiveError::new(
                    d,
                    format!("Invalid client class specified: {other}"),
                ));
            }
        }
    }
    limit.ok_or_else(|| DirectiveError::new(d, "no `replica` class given"))
}

/// `1mb`, `10kb`, `1gb`, `1048576`: Redis's memory units (k = 1000, kb = 1024, ...).
pub fn memory(d: &str, v: &str) -> Result<u64, DirectiveError> {
    let s = v.trim().to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => {
            return Err(DirectiveError::new(
                d,
                format!("argument must be a memory value, not `{v}`"),
            ));
        }
    };
    let n: u64 = n.parse().map_err(|_| {
        DirectiveError::new(d, format!("argument must be a memory value, not `{v}`"))
    })?;
    n.checked_mul(mul).ok_or_else(|| DirectiveError::new(d, format!("`{v}` is too large")))
}

impl ServerConfig {
    /// The built-in defaults of `build` where they differ from 7.0's, for what the model
    /// implements (`CONFIG GET *` of 6.2.14 and 9.1.2 against 7.0.15): Redis 6.2 syncs through
    /// disk (`repl-diskless-sync no`), Valkey keeps a 10 MB backlog.
    pub fn defaults(build: ServerBuild) -> Self {
        let base = ServerConfig::default();
        match build {
            ServerBuild::Redis70 => base,
            ServerBuild::Redis62 => ServerConfig { repl_diskless_sync: false, ..base },
            ServerBuild::Valkey91 => ServerConfig { repl_backlog_size: 10 * 1024 * 1024, ..base },
        }
    }

    /// Applies one directive.
    pub fn set(&mut self, directive: &str, value: &str) -> Result<(), DirectiveError> {
        let d = directive;
        match directive.to_ascii_lowercase().as_str() {
            "replicaof" | "slaveof" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                match parts.as_slice() {
                    [no, one]
                        if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") =>
                    {
                        self.replicaof = None
                    }
                    [host, port] => self.replicaof = Some((host.to_string(), number(d, port)?)),
                    _ => {
                        return Err(DirectiveError::new(
                            d,
                            format!("expected `<host> <port>`, not `{value}`"),
                        ));
                    }
                }
            }
            "replica-priority" | "slave-priority" => self.replica_priority = number(d, value)?,
            "min-replicas-to-write" | "min-slaves-to-write" => {
                self.min_replicas_to_write = number(d, value)?
            }
            "min-replicas-max-lag" | "min-slaves-max-lag" => {
                self.min_replicas_max_lag = number(d, value)?
            }
            "repl-backlog-size" => {
                let n = memory(d, value)?;
                if n == 0 {
                    return Err(DirectiveError::new(d, "argument must be greater than 0"));
                }
                self.repl_backlog_size = n;
            }
            "repl-backlog-ttl" => self.repl_backlog_ttl = number(d, value)?,
            "client-output-buffer-limit" => self.replica_obuf_limit = obuf_limit(d, value)?,
            "repl-timeout" => {
                self.repl_timeout = number(d, value)?;
                if self.repl_timeout == 0 {
                    return Err(DirectiveError::new(d, "argument must be greater than 0"));
                }
            }
            "repl-ping-replica-period" | "repl-ping-slave-period" => {
                self.repl_ping_replica_period = number(d, value)?;
                if self.repl_ping_replica_period == 0 {
                    return Err(DirectiveError::new(d, "argument must be greater than 0"));
                }
            }
            "replica-read-only" | "slave-read-only" => self.replica_read_only = yes_no(d, value)?,
            "replica-serve-stale-data" | "slave-serve-stale-data" => {
                self.replica_serve_stale_data = yes_no(d, value)?
            }
            "replica-announced" => self.replica_announced = yes_no(d, value)?,
            "repl-diskless-sync" => self.repl_diskless_sync = yes_no(d, value)?,
            "repl-diskless-sync-delay" => self.repl_diskless_sync_delay = number(d, value)?,
            "repl-diskless-sync-max-replicas" => {
                self.repl_diskless_sync_max_replicas = number(d, value)?
            }
            "save" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if parts.len() % 2 != 0 {
                    return Err(DirectiveError::new(
                        d,
                        "expected pairs of `<seconds> <changes>`, or \"\"",
                    ));
                }
                self.save = parts
                    .chunks(2)
                    .map(|p| Ok(SavePoint { seconds: number(d, p[0])?, changes: number(d, p[1])? }))
                    .collect::<Result<_, DirectiveError>>()?;
            }
            "appendonly" => self.appendonly = yes_no(d, value)?,
            "appendfsync" => match value.to_ascii_lowercase().as_str() {
                v @ ("always" | "everysec" | "no") => self.appendfsync = v.to_string(),
                _ => {
                    return Err(DirectiveError::new(
                        d,
                        "argument must be one of always, everysec, no",
                    ));
                }
            },
            _ => {
                return Err(DirectiveError::new(
                    d,
                    format!("not implemented by the model (it knows: {})", DIRECTIVES.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// `CONFIG GET` for one parameter: the value as Redis prints it.
    pub fn get(&self, param: &str) -> Option<String> {
        let b = |v: bool| if v { "yes" } else { "no" }.to_string();
        Some(match param {
            "replicaof" | "slaveof" => {
                self.replicaof.as_ref().map(|(h, p)| format!("{h} {p}")).unwrap_or_default()
            }
            "replica-priority" | "slave-priority" => self.replica_priority.to_string(),
            "min-replicas-to-write" | "min-slaves-to-write" => {
                self.min_replicas_to_write.to_string()
            }
            "min-replicas-max-lag" | "min-slaves-max-lag" => self.min_replicas_max_lag.to_string(),
            "repl-backlog-size" => self.repl_backlog_size.to_string(),
            "repl-backlog-ttl" => self.repl_backlog_ttl.to_string(),
            "client-output-buffer-limit" => {
                let l = self.replica_obuf_limit;
                format!(
                    "normal 0 0 0 slave {} {} {} pubsub 33554432 8388608 60",
                    l.hard, l.soft, l.soft_seconds
                )
            }
            "repl-timeout" => self.repl_timeout.to_string(),
            "repl-ping-replica-period" | "repl-ping-slave-period" => {
                self.repl_ping_replica_period.to_string()
            }
            "replica-read-only" | "slave-read-only" => b(self.replica_read_only),
            "replica-serve-stale-data" | "slave-serve-stale-data" => {
                b(self.replica_serve_stale_data)
            }
            "replica-announced" => b(self.replica_announced),
            "repl-diskless-sync" => b(self.repl_diskless_sync),
            "repl-diskless-sync-delay" => self.repl_diskless_sync_delay.to_string(),
            "repl-diskless-sync-max-replicas" => self.repl_diskless_sync_max_replicas.to_string(),
            "save" => self
                .save
                .iter()
                .map(|s| format!("{} {}", s.seconds, s.changes))
                .collect::<Vec<_>>()
                .join(" "),
            "appendonly" => b(self.appendonly),
            "appendfsync" => self.appendfsync.clone(),
            _ => return None,
        })
    }

    /// True when neither RDB nor AOF persistence is on: a restart comes back empty.
    pub fn no_persistence(&self) -> bool {
        self.save.is_empty() && !self.appendonly
    }
}

impl fmt::Display for SavePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seconds, self.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_redis_7() {
        let c = ServerConfig::default();
        assert_eq!(c.get("save").unwrap(), "3600 1 300 100 60 10000");
        assert_eq!(c.get("repl-backlog-size").unwrap(), "1048576");
        assert_eq!(c.get("min-replicas-max-lag").unwrap(), "10");
        assert!(!c.no_persistence());
    }

    #[test]
    fn each_build_has_its_own_defaults() {
        let get = |b, d| ServerConfig::defaults(b).get(d).unwrap();
        assert_eq!(ServerConfig::defaults(ServerBuild::Redis70), ServerConfig::default());
        assert_eq!(get(ServerBuild::Redis62, "repl-diskless-sync"), "no");
        assert_eq!(get(ServerBuild::Redis70, "repl-diskless-sync"), "yes");
        assert_eq!(get(ServerBuild::Valkey91, "repl-backlog-size"), "10485760");
        assert_eq!(get(ServerBuild::Valkey91, "repl-diskless-sync"), "yes");
    }

    #[test]
    fn directives_parse_and_errors_name_them() {
        let mut c = ServerConfig::default();
        c.set("replicaof", "10.162.29.33 6371").unwrap();
        c.set("save", "").unwrap();
        c.set("repl-backlog-size", "10kb").unwrap();
        c.set("replica-priority", "0").unwrap();
        assert_eq!(c.replicaof, Some(("10.162.29.33".into(), 6371)));
        assert!(c.no_persistence());
        assert_eq!(c.repl_backlog_size, 10 * 1024);
        assert_eq!(c.set("maxmemory", "1gb").unwrap_err().directive, "maxmemory");
        assert!(c.set("replica-read-only", "maybe").is_err());
        assert!(c.set("replicaof", "host").is_err());
        assert!(c.set("save", "60").is_err());
    }

    #[test]
    fn the_replica_output_buffer_limit_parses_as_redis_writes_it() {
        let mut c = ServerConfig::default();
        assert_eq!(c.replica_obuf_limit, ObufLimit::REPLICA_DEFAULT);
        assert_eq!(
            c.get("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        c.set("client-output-buffer-limit", "slave 1mb 512kb 10").unwrap();
        assert_eq!(
            c.replica_obuf_limit,
            ObufLimit { hard: 1 << 20, soft: 512 << 10, soft_seconds: 10 }
        );
        c.set("client-output-buffer-limit", "replica 0 0 0").unwrap();
        assert_eq!(c.replica_obuf_limit.hard, 0);
        for bad in ["replica 1mb", "normal 0 0 0", "bogus 1 1 1", "replica x 1 1", ""] {
            assert!(c.set("client-output-buffer-limit", bad).is_err(), "{bad}");
        }
    }
}
