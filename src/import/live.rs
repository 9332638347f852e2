//! A deployment read from its running sentinels: `SENTINEL MASTERS`, `REPLICAS`, `SENTINELS`,
//! `MYID` and `CONFIG GET *` from each sentinel asked (and from those they know), then from each
//! server they name `CONFIG GET` of every directive the model implements and `INFO
//! replication`. Only [`super::resp::READ_ONLY`] commands are sent.

use super::files::{SENTINEL_PER_MASTER, canonical};
use super::resp::{Conn, Reply};
use super::shape::{Imported, Proc};
use super::skipped::{Skipped, reason};
use model::server::config::{DIRECTIVES, ServerConfig};
use std::time::Duration;

/// How long a connect or a reply may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Credentials for `AUTH` (the same for sentinels and servers).
#[derive(Clone, Debug, Default)]
pub struct Login {
    /// `--user`.
    pub user: Option<String>,
    /// `--password`.
    pub password: Option<String>,
}

/// A flat field list as Redis replies it (`SENTINEL MASTERS`' entries, `CONFIG GET`).
type Fields = Vec<(String, String)>;

/// What one sentinel said.
struct View {
    /// The address it was reached at.
    asked: String,
    myid: Option<String>,
    master: Vec<(String, String)>,
    replicas: Vec<Vec<(String, String)>>,
    sentinels: Vec<Vec<(String, String)>>,
    config: Vec<(String, String)>,
}

fn field<'a>(m: &'a [(String, String)], k: &str) -> Option<&'a str> {
    m.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str())
}

/// An open, authenticated connection.
fn connect(addr: &str, login: &Login) -> Result<Conn, String> {
    let mut c = Conn::open(addr, TIMEOUT)?;
    if let Some(p) = &login.password {
        let reply = match &login.user {
            Some(u) => c.call(&["AUTH", u, p])?,
            None => c.call(&["AUTH", p])?,
        };
        if let Reply::Error(e) = reply {
            return Err(format!("{addr}: AUTH: {e}"));
        }
    }
    Ok(c)
}

/// A reply that must not be an error.
fn ok(c: &mut Conn, argv: &[&str]) -> Result<Reply, String> {
    match c.call(argv)? {
        Reply::Error(e) => Err(format!("{}: `{}`: {e}", c.addr, argv.join(" "))),
        r => Ok(r),
    }
}

/// The masters a sentinel monitors, each as its field list.
fn masters(c: &mut Conn) -> Result<Vec<Vec<(String, String)>>, String> {
    Ok(ok(c, &["SENTINEL", "MASTERS"])?.items().iter().map(Reply::pairs).collect())
}

/// Everything one sentinel says about `name`.
fn view(addr: &str, name: &str, login: &Login, notes: &mut Vec<String>) -> Result<View, String> {
    let mut c = connect(addr, login)?;
    let master = masters(&mut c)?
        .into_iter()
        .find(|m| field(m, "name") == Some(name))
        .ok_or_else(|| format!("{addr}: this sentinel does not monitor `{name}`"))?;
    let list = |c: &mut Conn, sub: &str| -> Result<Vec<Vec<(String, String)>>, String> {
        Ok(ok(c, &["SENTINEL", sub, name])?.items().iter().map(Reply::pairs).collect())
    };
    let replicas = list(&mut c, "REPLICAS")?;
    let sentinels = list(&mut c, "SENTINELS")?;
    let myid = c.call(&["SENTINEL", "MYID"])?.text().map(str::to_string);
    let config = match c.call(&["SENTINEL", "CONFIG", "GET", "*"])? {
        Reply::Error(e) => {
            notes.push(format!("{addr}: SENTINEL CONFIG GET * answered `{e}` (before Redis 7.0): its announce-ip is not known"));
            Vec::new()
        }
        r => r.pairs(),
    };
    Ok(View { asked: addr.to_string(), myid, master, replicas, sentinels, config })
}

/// Reads the deployment the sentinels at `asked` monitor (`master`: which one, when several).
pub fn import(asked: &[String], master: Option<&str>, login: &Login) -> Result<Imported, String> {
    let mut imp = Imported {
        sources: asked.iter().map(|a| format!("the sentinel at {a}")).collect(),
        ..Imported::default()
    };
    let first = asked.first().ok_or("name a sentinel with --from-sentinel HOST:PORT")?;
    let names: Vec<String> = {
        let mut c = connect(first, login)?;
        masters(&mut c)?.iter().filter_map(|m| field(m, "name").map(str::to_string)).collect()
    };
    imp.master = match master {
        Some(m) => m.to_string(),
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(format!(
                "{first} monitors {} masters ({}): the model's sentinels monitor one; choose it with --master NAME",
                names.len(),
                names.join(", ")
            ));
        }
    };
    let mut views = Vec::new();
    for a in asked {
        views.push(view(a, &imp.master, login, &mut imp.notes)?);
    }
    // The sentinels they know and were not asked: asked too, when they answer.
    let mut i = 0;
    while i < views.len() {
        let known: Vec<(String, Option<String>)> = views[i]
            .sentinels
            .iter()
            .filter_map(|s| {
                Some((
                    format!("{}:{}", field(s, "ip")?, field(s, "port")?),
                    field(s, "runid").map(str::to_string),
                ))
            })
            .collect();
        for (addr, runid) in known {
            let seen =
                views.iter().any(|v| v.asked == addr || (runid.is_some() && v.myid == runid));
            if seen || imp.notes.iter().any(|n| n.starts_with(&addr)) {
                continue;
            }
            match view(&addr, &imp.master, login, &mut imp.notes) {
                Ok(v) => views.push(v),
                Err(e) => imp.notes.push(format!(
                    "{addr} did not answer ({e}): that sentinel is imported with the settings of {}",
                    views[i].asked
                )),
            }
        }
        i += 1;
    }
    views[asked.len()..].sort_by(|a, b| a.asked.cmp(&b.asked));
    imp.sentinels = sentinels(&views, &imp.master, &mut imp.skipped, &imp.notes);
    imp.redis = servers(&views, login, &mut imp.notes);
    // Sentinel lists replicas and sentinels in its dictionaries' order: sorted, the same
    // deployment gives the same file. The master and the sentinels asked stay first.
    let by_addr = |a: &Proc, b: &Proc| (&a.host, a.port).cmp(&(&b.host, b.port));
    if imp.redis.len() > 1 {
        imp.redis[1..].sort_by(by_addr);
    }
    let asked_n = asked.len().min(imp.sentinels.len());
    imp.sentinels[asked_n..].sort_by(by_addr);
    imp.notes.push("only the directives the model implements were asked of each server (CONFIG GET); those at Redis 7.0's defaults are left out".to_string());
    super::files::check_unique(&imp)?;
    Ok(imp)
}

/// Where a sentinel is: how the others know it (by its id), else its announce-ip, else the
/// address it was asked at.
fn sentinel_addr(v: &View, views: &[View]) -> (String, u16) {
    let by_others = views
        .iter()
        .flat_map(|o| &o.sentinels)
        .find(|s| v.myid.is_some() && field(s, "runid") == v.myid.as_deref());
    if let Some(s) = by_others {
        if let (Some(ip), Some(Ok(port))) = (field(s, "ip"), field(s, "port").map(str::parse)) {
            return (ip.to_string(), port);
        }
    }
    let (host, port) = v.asked.rsplit_once(':').unwrap_or((&v.asked, "26379"));
    let host = field(&v.config, "announce-ip").filter(|a| !a.is_empty()).unwrap_or(host);
    (host.to_string(), port.parse().unwrap_or(26379))
}

/// A sentinel's directives from what it says of the master.
fn sentinel_config(
    name: &str,
    master: &[(String, String)],
    announce: Option<&str>,
) -> Vec<(String, String)> {
    let get = |k| field(master, k).unwrap_or("");
    let mut config = vec![(
        "sentinel monitor".to_string(),
        format!("{name} {} {} {}", get("ip"), get("port"), get("quorum")),
    )];
    for k in SENTINEL_PER_MASTER {
        if let Some(v) = field(master, k) {
            config.push((k.to_string(), v.to_string()));
        }
    }
    if let Some(a) = announce.filter(|a| !a.is_empty()) {
        config.push(("announce-ip".to_string(), a.to_string()));
    }
    config
}

fn sentinels(
    views: &[View],
    name: &str,
    skipped: &mut Vec<Skipped>,
    notes: &[String],
) -> Vec<Proc> {
    let mut out = Vec::new();
    for v in views {
        let (host, port) = sentinel_addr(v, views);
        for (k, val) in &v.config {
            if matches!(k.as_str(), "resolve-hostnames" | "announce-hostnames" | "announce-port") {
                skipped.push(Skipped {
                    place: v.asked.clone(),
                    text: format!("sentinel {k} {val}"),
                    reason: reason("sentinel", Some(k)),
                });
            }
        }
        let config = sentinel_config(name, &v.master, field(&v.config, "announce-ip"));
        out.push(Proc { origin: format!("the sentinel at {}", v.asked), host, port, config });
    }
    // Those that did not answer, with the settings of the first view.
    for s in views.iter().flat_map(|v| &v.sentinels) {
        let (Some(ip), Some(Ok(port))) = (field(s, "ip"), field(s, "port").map(str::parse::<u16>))
        else {
            continue;
        };
        let addr = format!("{ip}:{port}");
        if out.iter().any(|p: &Proc| p.host == ip && p.port == port)
            || !notes.iter().any(|n| n.starts_with(&addr))
        {
            continue;
        }
        let config = sentinel_config(name, &views[0].master, None);
        out.push(Proc {
            origin: format!("the sentinel {addr}, as {} knows it", views[0].asked),
            host: ip.to_string(),
            port,
            config,
        });
    }
    out
}

/// The master and every replica the sentinels name, each read from itself when it answers.
fn servers(views: &[View], login: &Login, notes: &mut Vec<String>) -> Vec<Proc> {
    let mut addrs: Vec<(String, u16, Option<String>)> = Vec::new();
    let m = &views[0].master;
    if let (Some(ip), Some(Ok(port))) = (field(m, "ip"), field(m, "port").map(str::parse)) {
        addrs.push((ip.to_string(), port, None));
    }
    for r in views.iter().flat_map(|v| &v.replicas) {
        if let (Some(ip), Some(Ok(port))) =
            (field(r, "ip"), field(r, "port").map(str::parse::<u16>))
        {
            if !addrs.iter().any(|(h, p, _)| h == ip && *p == port) {
                let of = match (field(r, "master-host"), field(r, "master-port")) {
                    (Some(h), Some(p)) if h != "?" => Some(format!("{h} {p}")),
                    _ => None,
                };
                addrs.push((ip.to_string(), port, of));
            }
        }
    }
    let defaults = ServerConfig::default();
    let params: Vec<&str> = DIRECTIVES
        .iter()
        .copied()
        .filter(|d| canonical(d) == Some(*d) && *d != "replicaof")
        .collect();
    let mut out = Vec::new();
    for (host, port, sentinel_says) in addrs {
        let addr = format!("{host}:{port}");
        let mut config = Vec::new();
        match read_server(&addr, &params, login) {
            Ok((values, replicaof)) => {
                if let Some(r) = replicaof {
                    config.push(("replicaof".to_string(), r));
                }
                for (k, v) in values {
                    if defaults.get(&k).as_deref() != Some(v.as_str()) {
                        config.push((k, v));
                    }
                }
            }
            Err(e) => {
                notes.push(format!("{e}: the server {addr} is imported as the sentinels see it, with Redis 7.0's defaults"));
                if let Some(r) = sentinel_says {
                    config.push(("replicaof".to_string(), r));
                }
            }
        }
        out.push(Proc { origin: format!("the server at {addr}"), host, port, config });
    }
    out
}

/// A server's values of `params` and, for a replica, its `replicaof` (from `INFO replication`).
fn read_server(
    addr: &str,
    params: &[&str],
    login: &Login,
) -> Result<(Fields, Option<String>), String> {
    let mut c = connect(addr, login)?;
    let mut values = Vec::new();
    for p in params {
        if let Some((k, v)) = ok(&mut c, &["CONFIG", "GET", p])?.pairs().into_iter().next() {
            values.push((k, v));
        }
    }
    let info = ok(&mut c, &["INFO", "replication"])?;
    let info = info.text().unwrap_or("");
    let get = |k: &str| {
        info.lines().find_map(|l| l.trim().strip_prefix(k)?.strip_prefix(':').map(str::to_string))
    };
    let replicaof = match (get("role").as_deref(), get("master_host"), get("master_port")) {
        (Some("slave"), Some(h), Some(p)) => Some(format!("{h} {p}")),
        _ => None,
    };
    Ok((values, replicaof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<Vec<String>>>>;

    fn bulk(s: &str) -> String {
        format!("${}\r\n{s}\r\n", s.len())
    }

    fn array(items: &[String]) -> String {
        format!("*{}\r\n{}", items.len(), items.concat())
    }

    /// A fake server on a free loopback port answering with `reply`, logging every command.
    fn fake(log: Log, reply: impl Fn(&[String]) -> String + Send + 'static) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in l.incoming() {
                let Ok(mut s) = stream else { return };
                let mut r = BufReader::new(s.try_clone().unwrap());
                while let Ok(cmd) = super::super::resp::read_reply(&mut r, 0) {
                    let argv: Vec<String> =
                        cmd.items().iter().filter_map(|a| a.text().map(str::to_string)).collect();
                    log.lock().unwrap().push(argv.clone());
                    if s.write_all(reply(&argv).as_bytes()).is_err() {
                        break;
                    }
                }
            }
        });
        port
    }

    #[test]
    fn a_live_import_sends_only_reading_commands() {
        let log: Log = Arc::default();
        let redis = fake(log.clone(), |argv| match argv[0].to_ascii_uppercase().as_str() {
            "CONFIG" if argv[2] == "min-replicas-to-write" => array(&[bulk(&argv[2]), bulk("1")]),
            "CONFIG" => {
                array(&[bulk(&argv[2]), bulk(&ServerConfig::default().get(&argv[2]).unwrap())])
            }
            "INFO" => bulk("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"),
            "AUTH" => "+OK\r\n".to_string(),
            _ => "-ERR unknown\r\n".to_string(),
        });
        let master = move || {
            let f = [
                ("name", "mymaster".to_string()),
                ("ip", "127.0.0.1".into()),
                ("port", redis.to_string()),
                ("quorum", "2".into()),
                ("down-after-milliseconds", "5000".into()),
                ("failover-timeout", "60000".into()),
                ("parallel-syncs", "1".into()),
            ];
            array(&f.iter().flat_map(|(k, v)| [bulk(k), bulk(v)]).collect::<Vec<_>>())
        };
        let sentinel = fake(log.clone(), move |argv| {
            match argv.get(1).map(|s| s.to_ascii_uppercase()).as_deref() {
                _ if argv[0] == "AUTH" => "+OK\r\n".to_string(),
                Some("MASTERS") => array(&[master()]),
                Some("REPLICAS") | Some("SENTINELS") => array(&[]),
                Some("MYID") => bulk("0123456789012345678901234567890123456789"),
                Some("CONFIG") => {
                    array(&[bulk("announce-ip"), bulk(""), bulk("resolve-hostnames"), bulk("no")])
                }
                _ => "-ERR unknown\r\n".to_string(),
            }
        });
        let imp = import(
            &[format!("127.0.0.1:{sentinel}")],
            None,
            &Login { user: None, password: Some("pw".into()) },
        )
        .unwrap();
        assert_eq!(imp.master, "mymaster");
        assert_eq!(imp.redis.len(), 1);
        assert_eq!(imp.redis[0].config, [("min-replicas-to-write".to_string(), "1".to_string())]);
        assert_eq!(imp.sentinels[0].port, sentinel);
        assert_eq!(imp.sentinels[0].config[0].1, format!("mymaster 127.0.0.1 {redis} 2"));
        let log = log.lock().unwrap();
        assert!(log.iter().any(|c| c[0] == "AUTH" && c[1] == "pw"));
        assert!(log.iter().any(|c| c.join(" ") == "INFO replication"));
        assert!(log.iter().any(|c| c.join(" ") == "SENTINEL CONFIG GET *"));
        for c in log.iter() {
            let argv: Vec<&str> = c.iter().map(String::as_str).collect();
            assert!(super::super::resp::allowed(&argv), "sent {argv:?}");
        }
    }

    #[test]
    fn an_address_that_does_not_answer_is_named() {
        // A port just released: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let e = import(&[format!("127.0.0.1:{port}")], None, &Login::default()).err().unwrap();
        assert!(e.contains(&format!("127.0.0.1:{port} did not answer")), "{e}");
    }
}
