//! Why a directive of a real config file is not carried into the scenario: one line for each
//! kind, so that the list at the top of an imported scenario says what the simulation leaves
//! out and why, rather than dropping it silently.

/// A directive the import read and did not carry over, with its place and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// `file:line`, or the address a live value came from.
    pub place: String,
    /// The directive as written (`maxmemory 256mb`).
    pub text: String,
    /// Why, in one line.
    pub reason: &'static str,
}

/// Why a redis.conf directive (lower case) or, for `sentinel <sub>`, a sentinel.conf one is not
/// imported.
pub fn reason(directive: &str, sentinel_sub: Option<&str>) -> &'static str {
    if let Some(sub) = sentinel_sub {
        return sentinel_reason(sub);
    }
    let d = directive;
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| d.starts_with(p));
    match d {
        "replica-announce-port" | "slave-announce-port" | "bind-source-addr" => {
            "addresses are the scenario's host names; the model announces and connects from them"
        }
        "requirepass"
        | "masterauth"
        | "masteruser"
        | "user"
        | "aclfile"
        | "protected-mode"
        | "rename-command"
        | "acl-pubsub-default"
        | "enable-debug-command"
        | "enable-module-command"
        | "enable-protected-configs" => {
            "authentication and access control: the model's processes accept every client"
        }
        "daemonize"
        | "supervised"
        | "pidfile"
        | "logfile"
        | "loglevel"
        | "dir"
        | "dbfilename"
        | "appendfilename"
        | "appenddirname"
        | "always-show-logo"
        | "set-proc-title"
        | "proc-title-template"
        | "unixsocket"
        | "unixsocketperm"
        | "databases"
        | "crash-log-enabled"
        | "crash-memcheck-enabled"
        | "oom-score-adj"
        | "oom-score-adj-values"
        | "disable-thp"
        | "locale-collate" => {
            "process housekeeping (files, logs, daemon): it does not change what a failover does"
        }
        _ if starts(&["syslog-", "tls-"]) => {
            "process housekeeping (files, logs, daemon): it does not change what a failover does"
        }
        _ if starts(&["maxmemory", "lazyfree-", "active-defrag", "activedefrag", "lfu-"]) => {
            "memory limits and eviction: the model's datasets are small and never evicted"
        }
        "rdbcompression"
        | "rdbchecksum"
        | "rdb-del-sync-files"
        | "stop-writes-on-bgsave-error"
        | "sanitize-dump-payload"
        | "no-appendfsync-on-rewrite"
        | "auto-aof-rewrite-percentage"
        | "auto-aof-rewrite-min-size"
        | "aof-load-truncated"
        | "aof-use-rdb-preamble"
        | "aof-timestamp-enabled"
        | "aof-rewrite-incremental-fsync"
        | "rdb-save-incremental-fsync"
        | "rdb-key-save-delay"
        | "repl-diskless-load"
        | "repl-disable-tcp-nodelay"
        | "replica-ignore-maxmemory"
        | "slave-ignore-maxmemory"
        | "replica-lazy-flush"
        | "slave-lazy-flush" => {
            "persistence and sync detail: the model keeps whether RDB and AOF are on, appendfsync, and how a sync goes, not file formats or rewrites"
        }
        _ if starts(&["cluster-"]) => "Redis Cluster: the model simulates Sentinel deployments",
        _ if starts(&["client-output-buffer-limit", "client-query-buffer-limit", "maxclients"]) => {
            "client limits: the model's connections are never cut for their buffers or count"
        }
        "timeout"
        | "tcp-keepalive"
        | "tcp-backlog"
        | "hz"
        | "dynamic-hz"
        | "io-threads"
        | "io-threads-do-reads"
        | "busy-reply-threshold"
        | "lua-time-limit"
        | "jemalloc-bg-thread"
        | "activerehashing"
        | "latency-monitor-threshold"
        | "latency-tracking"
        | "latency-tracking-info-percentiles"
        | "slowlog-log-slower-than"
        | "slowlog-max-len"
        | "notify-keyspace-events"
        | "lua-replicate-commands"
        | "shutdown-timeout"
        | "shutdown-on-sigterm"
        | "shutdown-on-sigint"
        | "replica-announced-ignore"
        | "min-slaves-max-lag-ignore"
        | "tracking-table-max-keys"
        | "loadmodule" => {
            "server tuning or features the model does not simulate (CPU, timing of idle clients, modules, monitoring)"
        }
        _ if d.ends_with("-entries") || d.ends_with("-value") || d.ends_with("-size") => {
            "data-structure encoding: the model does not simulate memory or CPU costs"
        }
        _ => "not implemented by the model",
    }
}

/// The directives of `skipped` with their reasons, one line each (`maxmemory (2: a.conf:3,
/// b.conf:3): memory limits ...`), in the order first met.
pub fn grouped(skipped: &[Skipped]) -> Vec<String> {
    let key = |s: &Skipped| {
        let words: Vec<String> =
            s.text.split_whitespace().take(2).map(|w| w.to_ascii_lowercase()).collect();
        match words.as_slice() {
            [first, sub] if first == "sentinel" => format!("sentinel {sub}"),
            [first, ..] => first.clone(),
            [] => String::new(),
        }
    };
    let mut groups: Vec<(String, &'static str, Vec<&str>)> = Vec::new();
    for s in skipped {
        let k = key(s);
        match groups.iter_mut().find(|(g, _, _)| *g == k) {
            Some((_, _, places)) if !places.contains(&s.place.as_str()) => places.push(&s.place),
            Some(_) => {}
            None => groups.push((k, s.reason, vec![&s.place])),
        }
    }
    groups
        .into_iter()
        .map(|(k, reason, places)| format!("{k} ({}): {reason}", places.join(", ")))
        .collect()
}

fn sentinel_reason(sub: &str) -> &'static str {
    match sub {
        "myid" | "current-epoch" | "config-epoch" | "leader-epoch" => {
            "state Sentinel saved about its past (its id, epochs): the simulated sentinels start afresh at epoch 0, with the topology these files name"
        }
        "known-replica" | "known-slave" | "known-sentinel" => {
            "state Sentinel saved: read to check the topology; the simulated sentinels discover replicas and each other as Sentinel does"
        }
        "resolve-hostnames" | "announce-hostnames" => {
            "hosts keep the names the files write (addresses or host names): there is nothing to resolve"
        }
        "announce-port" => "the model's sentinels announce the port they listen on",
        "notification-script" | "client-reconfig-script" | "deny-scripts-reconfig" => {
            "scripts: the model runs no external program"
        }
        "auth-pass" | "auth-user" | "sentinel-user" | "sentinel-pass" | "rename-command" => {
            "authentication and access control: the model's processes accept every client"
        }
        "monitor" => {
            "another master: the model's sentinels monitor one master (choose with --master)"
        }
        _ => "not implemented by the model",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_reason() {
        assert!(reason("maxmemory-policy", None).starts_with("memory"));
        assert!(reason("requirepass", None).starts_with("authentication"));
        assert!(reason("hash-max-listpack-entries", None).starts_with("data-structure"));
        assert!(reason("sentinel", Some("config-epoch")).contains("epoch 0"));
        assert_eq!(reason("no-such-directive", None), "not implemented by the model");
    }
}
