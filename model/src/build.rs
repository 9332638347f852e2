//! Which server build a process runs: Redis 7.0 (the default), Redis 6.2 or Valkey 9.1. Each
//! build brings its own defaults ([`crate::server::config::ServerConfig::defaults`]), the
//! directives it knows, the few replication behaviours that differ, and its own words in the log.
//! Sentinel behaves the same on all three (real runs of the bundled sentinel scenarios on each
//! build gave the same failovers, the same promoted replica and the same events), so a sentinel's
//! build only changes what its `INFO` says it is.
//!
//! What differs, and where the model does it:
//! - Redis 6.2 defaults to `repl-diskless-sync no` (`config.c`), so a full sync forks a disk
//!   BGSAVE at once (`syncCommand`, `startBgsaveForReplication`) and leaves `dump.rdb` behind,
//!   which a restart loads even with `save ""` (`loadDataFromDisk` loads whatever file is
//!   there); a 6.2 master loading an RDB starts a fresh history, without the RDB's id as its
//!   `master_replid2` (that is 7.0's `loadDataFromDisk`). 6.2 has no
//!   `repl-diskless-sync-max-replicas` and no sentinel `master-reboot-down-after-period`.
//! - Valkey 9.1 defaults to a 10 MB backlog; a replica downloads a full sync's RDB in a
//!   background thread and its main thread loads it at the next `replicationCron` run (measured
//!   0.04-0.83 s later on 9.1.2, in step with the replica's once-a-second cron); it writes PRIMARY
//!   and primary where Redis writes MASTER and master.

use std::fmt;
use std::str::FromStr;

/// A server build: what `server = "..."` in a scenario names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerBuild {
    /// Redis 7.0 (7.0.15, Debian's build): the model's reference.
    #[default]
    Redis70,
    /// Redis 6.2 (6.2.14).
    Redis62,
    /// Valkey 9.1 (9.1.2).
    Valkey91,
}

/// A name that is no server build.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown server `{0}`: expected \"redis-7.0\", \"redis-6.2\" or \"valkey-9.1\"")]
pub struct UnknownBuild(pub String);

impl ServerBuild {
    /// Every build, the default first.
    pub const ALL: [ServerBuild; 3] =
        [ServerBuild::Redis70, ServerBuild::Redis62, ServerBuild::Valkey91];

    /// The name a scenario uses: `redis-7.0`, `redis-6.2`, `valkey-9.1`.
    pub fn name(self) -> &'static str {
        match self {
            ServerBuild::Redis70 => "redis-7.0",
            ServerBuild::Redis62 => "redis-6.2",
            ServerBuild::Valkey91 => "valkey-9.1",
        }
    }

    /// Parses a name as [`ServerBuild::name`] gives it.
    pub fn parse(name: &str) -> Result<ServerBuild, UnknownBuild> {
        ServerBuild::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| UnknownBuild(name.to_string()))
    }

    /// The product, as its log and `INFO` name it.
    pub fn product(self) -> &'static str {
        match self {
            ServerBuild::Redis70 | ServerBuild::Redis62 => "Redis",
            ServerBuild::Valkey91 => "Valkey",
        }
    }

    /// The version the model stands for.
    pub fn version(self) -> &'static str {
        match self {
            ServerBuild::Redis70 => "7.0.15",
            ServerBuild::Redis62 => "6.2.14",
            ServerBuild::Valkey91 => "9.1.2",
        }
    }

    /// Why a directive this build does not know is refused (`None`: it knows it). `directive`
    /// is a redis.conf or sentinel.conf name, in any case, with or without `sentinel `.
    pub fn lacks(self, directive: &str) -> Option<String> {
        let d = directive.trim().to_ascii_lowercase();
        let d = d.strip_prefix("sentinel ").unwrap_or(&d).trim();
        let added_in_7 =
            matches!(d, "repl-diskless-sync-max-replicas" | "master-reboot-down-after-period");
        (self == ServerBuild::Redis62 && added_in_7)
            .then(|| format!("{} has no such directive (it came with Redis 7.0)", self.name()))
    }

    /// A full sync's RDB is loaded by the replica's main thread at its next replication cron
    /// run, after a background thread downloaded it (Valkey), not as it arrives.
    pub fn loads_rdb_in_background(self) -> bool {
        self == ServerBuild::Valkey91
    }

    /// A master restarted from an RDB keeps the RDB's history as `master_replid2` (7.0's
    /// `loadDataFromDisk`; 6.2 starts a fresh one).
    pub fn master_resumes_rdb_history(self) -> bool {
        self != ServerBuild::Redis62
    }

    /// A replica's output-buffer hard limit is never below `repl-backlog-size`: the buffer
    /// shares the backlog's memory (7.0's `checkClientOutputBufferLimits`; not in 6.2).
    pub fn replica_hard_limit_floors_at_backlog(self) -> bool {
        self != ServerBuild::Redis62
    }

    /// A server log line the model writes in Redis 7.0's words, in this build's words.
    pub(crate) fn words(self, text: String) -> String {
        if self != ServerBuild::Valkey91 {
            return text;
        }
        VALKEY_WORDS.iter().fold(text, |t, (redis, valkey)| {
            if t.contains(redis) { t.replacen(redis, valkey, 1) } else { t }
        })
    }

    /// True for a line (in this build's words) that this build logs at notice level where Redis
    /// 7.0 logs a warning.
    pub(crate) fn notice(self, text: &str) -> bool {
        self == ServerBuild::Valkey91 && VALKEY_NOTICES.iter().any(|n| text.starts_with(n))
    }
}

/// Valkey's words for Redis's in the lines the model writes, most specific first (each applied
/// once), as valkey-server 9.1.2 logs them.
const VALKEY_WORDS: &[(&str, &str)] = &[
    (
        "MASTER <-> REPLICA sync: receiving",
        "Replica bio thread: PRIMARY <-> REPLICA sync: receiving",
    ),
    (
        "MASTER <-> REPLICA sync: Flushing old data",
        "RDB signature and version check passed. Flushing old data",
    ),
    ("MASTER <-> REPLICA", "PRIMARY <-> REPLICA"),
    ("MASTER MODE", "PRIMARY MODE"),
    ("MASTER timeout", "PRIMARY timeout"),
    ("to MASTER", "to PRIMARY"),
    ("the MASTER", "the PRIMARY"),
    ("from MASTER", "from PRIMARY"),
    ("redis.conf", "valkey.conf"),
    ("Master ", "Primary "),
    (" master", " primary"),
    ("target: replicas sockets", "target: replicas sockets using: normal sync"),
    ("target: disk", "target: disk using: normal sync"),
    ("Ready to accept connections", "Ready to accept connections tcp"),
];

/// Lines Valkey logs at notice level where Redis logs a warning.
const VALKEY_NOTICES: &[&str] =
    &["oO0OoO0OoO0Oo", "Valkey version=", "Server initialized", "Connection with primary lost."];

impl FromStr for ServerBuild {
    type Err = UnknownBuild;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServerBuild::parse(s)
    }
}

impl fmt::Display for ServerBuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_three() {
        for b in ServerBuild::ALL {
            assert_eq!(ServerBuild::parse(b.name()), Ok(b));
        }
        assert_eq!(ServerBuild::default(), ServerBuild::Redis70);
        let e = ServerBuild::parse("redis-7.2").unwrap_err().to_string();
        assert!(e.contains("redis-7.0") && e.contains("redis-6.2") && e.contains("valkey-9.1"));
    }

    #[test]
    fn only_6_2_lacks_the_7_0_directives() {
        assert!(ServerBuild::Redis62.lacks("repl-diskless-sync-max-replicas").is_some());
        assert!(ServerBuild::Redis62.lacks("sentinel master-reboot-down-after-period").is_some());
        assert!(ServerBuild::Redis62.lacks("repl-diskless-sync").is_none());
        assert!(ServerBuild::Redis70.lacks("repl-diskless-sync-max-replicas").is_none());
        assert!(ServerBuild::Valkey91.lacks("master-reboot-down-after-period").is_none());
    }

    #[test]
    fn valkey_writes_primary() {
        let v = |t: &str| ServerBuild::Valkey91.words(t.to_string());
        assert_eq!(v("MASTER <-> REPLICA sync started"), "PRIMARY <-> REPLICA sync started");
        assert_eq!(v("Connection with master lost."), "Connection with primary lost.");
        assert!(ServerBuild::Valkey91.notice("Connection with primary lost."));
        assert!(!ServerBuild::Redis70.notice("Connection with master lost."));
        assert_eq!(
            v("Master replied to PING, replication can continue..."),
            "Primary replied to PING, replication can continue..."
        );
        assert_eq!(
            v("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"),
            "Replica bio thread: PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to disk"
        );
        assert_eq!(v("Connecting to MASTER 10.0.0.1:6379"), "Connecting to PRIMARY 10.0.0.1:6379");
        let same = ServerBuild::Redis62.words("Connection with master lost.".into());
        assert_eq!(same, "Connection with master lost.");
    }
}
