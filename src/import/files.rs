//! A deployment from its config files: each `redis.conf` and `sentinel.conf` read with its
//! includes ([`super::conf`]), its directives applied in order as Redis applies them (the last
//! of a repeated directive wins; `save` lines accumulate, the first one in a file dropping the
//! defaults and `save ""` what came before: config.c `setConfigSaveOption`), each process's
//! host found from its own file (`replica-announce-ip` or `sentinel announce-ip`, else its
//! first `bind` address) or, failing that, from how the other files name it (`replicaof`,
//! `sentinel monitor`, `known-replica`, `known-sentinel`).

use super::conf::{self, Line};
use super::shape::{Imported, Proc};
use super::skipped::{Skipped, reason};
use model::sentinel::config::SentinelConfig;
use model::server::config::ServerConfig;

/// The canonical name of a redis.conf directive the model implements (aliases folded), if it
/// is one.
pub fn canonical(d: &str) -> Option<&'static str> {
    let d = d.to_ascii_lowercase();
    let alias = match d.as_str() {
        "slaveof" => "replicaof",
        "slave-priority" => "replica-priority",
        "min-slaves-to-write" => "min-replicas-to-write",
        "min-slaves-max-lag" => "min-replicas-max-lag",
        "repl-ping-slave-period" => "repl-ping-replica-period",
        "slave-read-only" => "replica-read-only",
        "slave-serve-stale-data" => "replica-serve-stale-data",
        other => other,
    };
    model::server::config::DIRECTIVES.iter().copied().find(|k| *k == alias)
}

/// The per-master sentinel directives the model implements.
pub const SENTINEL_PER_MASTER: &[&str] = &[
    "down-after-milliseconds",
    "failover-timeout",
    "parallel-syncs",
    "master-reboot-down-after-period",
];

/// An address another file names, and where.
#[derive(Clone, Debug)]
struct Named {
    host: String,
    port: u16,
    line: Line,
}

/// One file read: the process and what its file says about the others.
struct Read {
    proc: Proc,
    /// The host its own file gives (announce address or bind), if any.
    own_host: Option<String>,
    /// Servers this file names (`replicaof`, `sentinel monitor`, `known-replica`).
    names_redis: Vec<Named>,
    /// Sentinels this file names (`known-sentinel`).
    names_sentinels: Vec<Named>,
    /// `sentinel monitor` of the chosen master, or `replicaof`.
    points_at: Option<Named>,
}

/// Reads the files (`--redis`, `--sentinel`) into a deployment; `master` chooses the master
/// when the sentinels monitor several.
pub fn import(
    redis: &[String],
    sentinels: &[String],
    master: Option<&str>,
) -> Result<Imported, String> {
    let mut imp = Imported {
        sources: redis.iter().chain(sentinels).cloned().collect(),
        ..Imported::default()
    };
    let read = |paths: &[String]| -> Result<Vec<(String, Vec<Line>)>, String> {
        paths.iter().map(|p| Ok((p.clone(), conf::read(p)?))).collect()
    };
    let redis_lines = read(redis)?;
    let sentinel_lines = read(sentinels)?;
    let mut reds = Vec::new();
    for (path, lines) in &redis_lines {
        reds.push(read_redis(path, lines, &mut imp.skipped)?);
    }
    imp.master = choose_master(&sentinel_lines, master)?;
    for (_, lines) in redis_lines.iter().chain(&sentinel_lines) {
        for l in lines {
            if !imp.read.contains(&l.file) {
                imp.read.push(l.file.clone());
            }
        }
    }
    let mut sents = Vec::new();
    for (path, lines) in &sentinel_lines {
        sents.push(read_sentinel(path, lines, &imp.master, &mut imp.skipped)?);
    }
    let named_redis: Vec<Named> =
        reds.iter().chain(&sents).flat_map(|r| r.names_redis.clone()).collect();
    let named_sentinels: Vec<Named> =
        sents.iter().flat_map(|r| r.names_sentinels.clone()).collect();
    place(
        &mut reds,
        &named_redis,
        "server",
        "`bind` address or `replica-announce-ip`",
        &mut imp.notes,
    )?;
    place(
        &mut sents,
        &named_sentinels,
        "sentinel",
        "`bind` address or `sentinel announce-ip`",
        &mut imp.notes,
    )?;
    imp.redis = reds.iter().map(|r| r.proc.clone()).collect();
    imp.sentinels = sents.iter().map(|r| r.proc.clone()).collect();
    check_unique(&imp)?;
    // What a file points at must be a server of the import.
    let known = |n: &Named| imp.redis.iter().any(|r| r.host == n.host && r.port == n.port);
    for r in reds.iter().chain(&sents) {
        if let Some(n) = r.points_at.as_ref().filter(|n| !known(n)) {
            return Err(n.line.error(format!(
                "no --redis file is the server at {}:{} (imported: {})",
                n.host,
                n.port,
                imp.redis.iter().map(Proc::addr).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for n in named_redis.iter().filter(|n| !known(n)) {
        imp.notes.push(format!(
            "{} names the server {}:{}, which no --redis file describes: it is not in the scenario",
            n.line.place(),
            n.host,
            n.port
        ));
    }
    for n in &named_sentinels {
        if !imp.sentinels.iter().any(|s| s.host == n.host && s.port == n.port) {
            imp.notes.push(format!(
                "{} names the sentinel {}:{}, which no --sentinel file describes: it is not in the scenario",
                n.line.place(),
                n.host,
                n.port
            ));
        }
    }
    Ok(imp)
}

/// Two processes on one address are refused.
pub fn check_unique(imp: &Imported) -> Result<(), String> {
    let all: Vec<&Proc> = imp.redis.iter().chain(&imp.sentinels).collect();
    for (i, p) in all.iter().enumerate() {
        if let Some(q) = all[..i].iter().find(|q| q.host == p.host && q.port == p.port) {
            return Err(format!("{} and {} both listen on {}", q.origin, p.origin, p.addr()));
        }
    }
    Ok(())
}

/// A port argument.
fn port(line: &Line, s: &str) -> Result<u16, String> {
    s.parse().map_err(|_| line.error(format!("`{s}` is not a port")))
}

/// The first address of a `bind` list a process can be told by (`-` marks an optional one;
/// wildcards name no host).
fn bind_host(args: &[String]) -> Option<String> {
    args.iter()
        .map(|a| a.trim_start_matches('-'))
        .find(|a| !matches!(*a, "*" | "0.0.0.0" | "::" | "::*" | ""))
        .map(str::to_string)
}

fn wrong_args(line: &Line) -> String {
    line.error("wrong number of arguments")
}

fn read_redis(path: &str, lines: &[Line], skipped: &mut Vec<Skipped>) -> Result<Read, String> {
    let mut p = 6379;
    let (mut bind, mut announce) = (None, None);
    let mut config: Vec<(String, String)> = Vec::new();
    let mut save: Option<Vec<String>> = None;
    let mut scratch = ServerConfig::default();
    let mut points_at = None;
    let set = |config: &mut Vec<(String, String)>, k: &str, v: String| match config
        .iter_mut()
        .find(|(n, _)| n == k)
    {
        Some(slot) => slot.1 = v,
        None => config.push((k.to_string(), v)),
    };
    for line in lines {
        let d = line.args[0].as_str();
        let argc = line.args.len();
        let skip = |skipped: &mut Vec<Skipped>| {
            skipped.push(Skipped {
                place: line.place(),
                text: line.text.clone(),
                reason: reason(d, None),
            })
        };
        match d {
            "port" if argc == 2 => p = port(line, &line.args[1])?,
            "bind" if argc >= 2 => bind = bind_host(&line.args[1..]),
            "replica-announce-ip" | "slave-announce-ip" if argc == 2 => {
                announce = Some(line.args[1].clone()).filter(|a| !a.is_empty())
            }
            "port" | "bind" | "replica-announce-ip" | "slave-announce-ip" => {
                return Err(wrong_args(line));
            }
            "sentinel" => {
                return Err(line.error(
                    "sentinel directive while not in sentinel mode: is this a sentinel.conf? (pass it with --sentinel)",
                ));
            }
            _ => match canonical(d) {
                Some("save") => {
                    if argc < 2 {
                        return Err(wrong_args(line));
                    }
                    // One argument holding the pairs (`save "60 100"`) is split, as Redis does
                    // for its multi-argument settings.
                    let args: Vec<String> = if argc == 2 {
                        line.args[1].split_whitespace().map(str::to_string).collect()
                    } else {
                        line.args[1..].to_vec()
                    };
                    let acc = save.get_or_insert_with(Vec::new);
                    if args.is_empty() {
                        acc.clear();
                    } else {
                        scratch.set("save", &args.join(" ")).map_err(|e| line.error(e))?;
                        acc.extend(args);
                    }
                    set(&mut config, "save", acc.join(" "));
                }
                Some("replicaof") => {
                    let [_, h, q] = line.args.as_slice() else { return Err(wrong_args(line)) };
                    if h.eq_ignore_ascii_case("no") && q.eq_ignore_ascii_case("one") {
                        config.retain(|(k, _)| k != "replicaof");
                        points_at = None;
                    } else {
                        points_at = Some(Named {
                            host: h.clone(),
                            port: port(line, q)?,
                            line: line.clone(),
                        });
                        set(&mut config, "replicaof", format!("{h} {q}"));
                    }
                }
                Some(c) => {
                    if argc != 2 {
                        return Err(wrong_args(line));
                    }
                    scratch.set(c, &line.args[1]).map_err(|e| line.error(format!("{c}: {e}")))?;
                    set(&mut config, c, line.args[1].clone());
                }
                None => skip(skipped),
            },
        }
    }
    let names_redis = points_at.iter().cloned().collect();
    Ok(Read {
        proc: Proc { origin: path.to_string(), host: String::new(), port: p, config },
        own_host: announce.or(bind),
        names_redis,
        names_sentinels: Vec::new(),
        points_at,
    })
}

/// The master the import follows: `wanted`, or the only one the sentinels monitor.
fn choose_master(files: &[(String, Vec<Line>)], wanted: Option<&str>) -> Result<String, String> {
    let mut names: Vec<String> = Vec::new();
    for (_, lines) in files {
        for l in lines {
            if l.args.len() == 6
                && l.args[0] == "sentinel"
                && l.args[1].eq_ignore_ascii_case("monitor")
                && !names.contains(&l.args[2])
            {
                names.push(l.args[2].clone());
            }
        }
    }
    match wanted {
        Some(w) if names.iter().any(|n| n == w) || files.is_empty() => Ok(w.to_string()),
        Some(w) => Err(format!(
            "no sentinel monitors a master called `{w}` (they monitor: {})",
            names.join(", ")
        )),
        None if names.len() <= 1 => Ok(names.pop().unwrap_or_else(|| "mymaster".to_string())),
        None => Err(format!(
            "the sentinels monitor {} masters ({}): the model's sentinels monitor one; choose it with --master NAME",
            names.len(),
            names.join(", ")
        )),
    }
}

fn read_sentinel(
    path: &str,
    lines: &[Line],
    master: &str,
    skipped: &mut Vec<Skipped>,
) -> Result<Read, String> {
    let mut p = 26379;
    let (mut bind, mut announce) = (None, None);
    let mut monitored: Vec<String> = Vec::new();
    let mut monitor: Option<(String, Named)> = None;
    let mut settings: Vec<(String, String)> = Vec::new();
    let (mut names_redis, mut names_sentinels) = (Vec::new(), Vec::new());
    let mut scratch = SentinelConfig::empty();
    for line in lines {
        let a = &line.args;
        let skip = |skipped: &mut Vec<Skipped>, sub: Option<&str>| {
            skipped.push(Skipped {
                place: line.place(),
                text: line.text.clone(),
                reason: reason(&a[0], sub),
            })
        };
        match a[0].as_str() {
            "port" if a.len() == 2 => p = port(line, &a[1])?,
            "bind" if a.len() >= 2 => bind = bind_host(&a[1..]),
            "port" | "bind" => return Err(wrong_args(line)),
            "sentinel" if a.len() >= 2 => {}
            _ => {
                skip(skipped, None);
                continue;
            }
        }
        if a[0] != "sentinel" {
            // `port` and `bind`: the process's address.
            continue;
        }
        let sub = a[1].to_ascii_lowercase();
        let rest = &a[2..];
        let unrecognised = || line.error("Unrecognized sentinel configuration statement.");
        // A per-master line must name a master monitored above it (Sentinel reads them in order).
        let of_master = |name: &str| -> Result<bool, String> {
            if !monitored.iter().any(|m| m == name) {
                return Err(line.error("No such master with specified name."));
            }
            Ok(name == master)
        };
        match sub.as_str() {
            "monitor" if rest.len() == 4 => {
                if monitored.contains(&rest[0]) {
                    return Err(line.error("Duplicate master name."));
                }
                monitored.push(rest[0].clone());
                let value = rest.join(" ");
                scratch.set("sentinel monitor", &value).map_err(|e| line.error(e))?;
                if rest[0] == master {
                    let at = Named {
                        host: rest[1].clone(),
                        port: port(line, &rest[2])?,
                        line: line.clone(),
                    };
                    names_redis.push(at.clone());
                    monitor = Some((value, at));
                } else {
                    skip(skipped, Some("monitor"));
                }
            }
            s if SENTINEL_PER_MASTER.contains(&s) && rest.len() == 2 => {
                if of_master(&rest[0])? {
                    scratch.set(s, &rest[1]).map_err(|e| line.error(e))?;
                    match settings.iter_mut().find(|(k, _)| k == s) {
                        Some(slot) => slot.1 = rest[1].clone(),
                        None => settings.push((s.to_string(), rest[1].clone())),
                    }
                } else {
                    skip(skipped, Some("monitor"));
                }
            }
            "known-replica" | "known-slave" if rest.len() == 3 => {
                if of_master(&rest[0])? {
                    names_redis.push(Named {
                        host: rest[1].clone(),
                        port: port(line, &rest[2])?,
                        line: line.clone(),
                    });
                }
                skip(skipped, Some(&sub));
            }
            "known-sentinel" if rest.len() == 3 || rest.len() == 4 => {
                if of_master(&rest[0])? {
                    names_sentinels.push(Named {
                        host: rest[1].clone(),
                        port: port(line, &rest[2])?,
                        line: line.clone(),
                    });
                }
                skip(skipped, Some(&sub));
            }
            "announce-ip" if rest.len() == 1 => {
                announce = Some(rest[0].clone()).filter(|a| !a.is_empty())
            }
            "config-epoch"
            | "leader-epoch"
            | "notification-script"
            | "client-reconfig-script"
            | "auth-pass"
            | "auth-user"
                if rest.len() == 2 =>
            {
                of_master(&rest[0])?;
                skip(skipped, Some(&sub));
            }
            "rename-command" if rest.len() == 3 => {
                of_master(&rest[0])?;
                skip(skipped, Some(&sub));
            }
            "myid"
            | "current-epoch"
            | "announce-port"
            | "deny-scripts-reconfig"
            | "sentinel-user"
            | "sentinel-pass"
            | "resolve-hostnames"
            | "announce-hostnames"
                if rest.len() == 1 =>
            {
                skip(skipped, Some(&sub))
            }
            _ => return Err(unrecognised()),
        }
    }
    let Some((value, at)) = monitor else {
        return Err(format!(
            "{path}: no `sentinel monitor {master} ...` line: this sentinel does not monitor `{master}`"
        ));
    };
    let mut config = vec![("sentinel monitor".to_string(), value)];
    config.extend(settings);
    if let Some(ip) = &announce {
        config.push(("announce-ip".to_string(), ip.clone()));
    }
    Ok(Read {
        proc: Proc { origin: path.to_string(), host: String::new(), port: p, config },
        own_host: announce.or(bind),
        names_redis,
        names_sentinels,
        points_at: Some(at),
    })
}

/// Gives each process its host: its own file's, else the one address with its port that the
/// other files name and no other process has.
fn place(
    reads: &mut [Read],
    named: &[Named],
    kind: &str,
    own: &str,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let claimed: Vec<(String, u16)> =
        reads.iter().filter_map(|r| Some((r.own_host.clone()?, r.proc.port))).collect();
    for r in reads.iter_mut() {
        if let Some(h) = &r.own_host {
            r.proc.host = h.clone();
            continue;
        }
        let mut options: Vec<&Named> = named
            .iter()
            .filter(|n| n.port == r.proc.port && !claimed.contains(&(n.host.clone(), n.port)))
            .collect();
        options.dedup_by(|a, b| a.host == b.host);
        let hosts: std::collections::BTreeSet<&str> =
            options.iter().map(|n| n.host.as_str()).collect();
        match (hosts.len(), options.first()) {
            (1, Some(n)) => {
                r.proc.host = n.host.clone();
                notes.push(format!(
                    "{}: no {own}; its host {} is how {} names it",
                    r.proc.origin,
                    n.host,
                    n.line.place()
                ));
            }
            _ => {
                return Err(format!(
                    "{}: cannot tell which host this {kind} runs on: its file has no {own}, and the other files name {} candidates with port {}{}",
                    r.proc.origin,
                    hosts.len(),
                    r.proc.port,
                    if hosts.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", hosts.into_iter().collect::<Vec<_>>().join(", "))
                    }
                ));
            }
        }
    }
    Ok(())
}
