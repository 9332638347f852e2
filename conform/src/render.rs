//! The configuration files of the real processes, rendered from the scenario's `config` tables
//! with the real directive names, plus what the run itself needs (port, bind address, directory,
//! log file). Host names become addresses wherever a directive names a host.

use crate::plan::{Kind, Plan, Proc};
use std::path::Path;

/// What the server build accepts, where builds differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Build {
    /// `bind-source-addr` (Redis 7.0 and later; Redis 6.2 sends from its first `bind` address).
    pub bind_source_addr: bool,
}

impl Build {
    /// What a build of this version (`7.0.15`, `6.2.14`, Valkey `9.1.2`) accepts.
    pub fn of_version(major: u32) -> Build {
        Build { bind_source_addr: major >= 7 }
    }
}

/// The periods Sentinel takes only from `SENTINEL DEBUG` at run time, never from its file.
const DEBUG_PERIODS: &[&str] = &[
    "info-period",
    "ping-period",
    "ask-period",
    "publish-period",
    "tilt-trigger",
    "tilt-period",
    "slave-reconf-timeout",
    "min-link-reconnect-period",
    "election-timeout",
];

/// A process's configuration file, and the `SENTINEL DEBUG <param> <value>` pairs to send it once
/// it is up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The file's text.
    pub text: String,
    /// `SENTINEL DEBUG` pairs (sentinels only).
    pub debug: Vec<(String, String)>,
}

/// Renders process `i` of `plan`, whose files live in `dir`.
pub fn render(plan: &Plan, i: usize, dir: &Path, build: Build) -> Rendered {
    let p = &plan.procs[i];
    let ip = plan.hosts[p.host].ip;
    let mut text = format!(
        "# {} ({}), written by redsim conform\nport {}\nbind {ip}\n",
        p.name,
        match p.kind {
            Kind::Redis => "redis-server",
            Kind::Sentinel => "sentinel",
        },
        p.port
    );
    if build.bind_source_addr && p.kind == Kind::Redis {
        text.push_str(&format!("bind-source-addr {ip}\n"));
    }
    text.push_str(&format!(
        "protected-mode no\ndaemonize no\ndir {}\nlogfile {}\nunixsocket {}\nunixsocketperm 700\n",
        dir.display(),
        dir.join(log_name(p.kind)).display(),
        observe_socket(dir).display()
    ));
    let mut debug = Vec::new();
    for (name, value) in &p.directives {
        let value = addresses(plan, value);
        let quoted = if value.is_empty() { "\"\"".to_string() } else { value };
        match p.kind {
            Kind::Redis => text.push_str(&format!("{name} {quoted}\n")),
            Kind::Sentinel => {
                let lower = name.to_ascii_lowercase();
                let bare = lower.strip_prefix("sentinel ").unwrap_or(&lower).trim();
                if DEBUG_PERIODS.contains(&bare) {
                    debug.push((bare.to_string(), quoted));
                } else {
                    text.push_str(&sentinel_line(p, bare, &lower, &quoted));
                    text.push('\n');
                }
            }
        }
    }
    Rendered { text, debug }
}

/// The Unix socket conform's observers read a process through (its probe, its end state): no
/// filter rule of the scenario sees it, so what the observers see is never cut by the faults.
pub fn observe_socket(dir: &Path) -> std::path::PathBuf {
    dir.join("observe.sock")
}

/// The log file's name in a process's directory.
pub fn log_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Redis => "redis.log",
        Kind::Sentinel => "sentinel.log",
    }
}

/// One sentinel directive in full: `sentinel <name> [<master>] <value>`.
fn sentinel_line(p: &Proc, bare: &str, lower: &str, value: &str) -> String {
    let global = matches!(
        bare,
        "monitor" | "announce-ip" | "announce-port" | "announce-hostnames" | "resolve-hostnames"
    );
    if global || lower.starts_with("sentinel ") {
        // Written in full already (`sentinel failover-timeout mymaster 20000`), or global.
        format!("sentinel {bare} {value}")
    } else {
        let master = p.service.as_deref().unwrap_or("mymaster");
        format!("sentinel {bare} {master} {value}")
    }
}

/// `value` with every word that is a scenario host name replaced by the host's address.
fn addresses(plan: &Plan, value: &str) -> String {
    value
        .split(' ')
        .map(|w| {
            plan.hosts
                .iter()
                .find(|h| h.name == w)
                .map_or_else(|| w.to_string(), |h| h.ip.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::scenario::Scenario;

    const TEXT: &str = r#"
name = "t"
duration = "10s"
[[host]]
name = "10.162.29.33"
[[host]]
name = "db2"
[[redis]]
host = "10.162.29.33"
port = 6371
config = { save = "", appendonly = "no" }
[[redis]]
host = "db2"
port = 6371
config = { replicaof = "10.162.29.33 6371", replica-priority = 0 }
[[sentinel]]
host = "db2"
port = 27001
config = { "sentinel monitor" = "mymaster 10.162.29.33 6371 2", down-after-milliseconds = 5000, "sentinel failover-timeout" = "mymaster 60000", info-period = 1000 }
"#;

    fn rendered(i: usize, build: Build) -> Rendered {
        let s = Scenario::from_bytes("t.toml", TEXT.as_bytes()).unwrap();
        render(&Plan::new(&s), i, Path::new("/run/x"), build)
    }

    #[test]
    fn redis_conf_has_the_scenario_directives_and_the_run_settings() {
        let r = rendered(0, Build::of_version(7));
        assert_eq!(
            r.text,
            "# 10.162.29.33:6371 (redis-server), written by redsim conform\nport 6371\nbind 10.162.29.33\n\
             bind-source-addr 10.162.29.33\nprotected-mode no\ndaemonize no\ndir /run/x\nlogfile /run/x/redis.log\n\
             unixsocket /run/x/observe.sock\nunixsocketperm 700\n\
             appendonly no\nsave \"\"\n"
        );
        let r = rendered(1, Build::of_version(6));
        assert!(!r.text.contains("bind-source-addr"), "Redis 6.2 has no bind-source-addr");
        assert!(r.text.contains("bind 10.255.0.1\n"));
        assert!(r.text.contains("replica-priority 0\nreplicaof 10.162.29.33 6371\n"), "{}", r.text);
    }

    #[test]
    fn sentinel_conf_names_the_master_and_leaves_debug_periods_for_later() {
        let r = rendered(2, Build::of_version(7));
        let lines: Vec<&str> = r.text.lines().skip(9).collect();
        assert_eq!(
            lines,
            [
                "sentinel monitor mymaster 10.162.29.33 6371 2",
                "sentinel down-after-milliseconds mymaster 5000",
                "sentinel failover-timeout mymaster 60000",
            ]
        );
        assert_eq!(r.debug, [("info-period".to_string(), "1000".to_string())]);
    }
}
