//! What an import found, whether from files or a live deployment, and the scenario written from
//! it: hosts, `[[redis]]` and `[[sentinel]]` with the directives the model implements, the
//! directives left out with their reasons in a comment at the top, and a client with a
//! workload the user is told to adjust.

use super::skipped::Skipped;
use lab::scenario::write::quote;
use std::fmt::Write;

/// One process of the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Where it was read from (a file, or the address asked).
    pub origin: String,
    /// Its host, as the deployment names it (an address or a host name).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The directives the model implements, in the scenario's spelling, in order.
    pub config: Vec<(String, String)>,
}

impl Proc {
    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// A deployment as imported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// What was read: the files, or `the sentinel at HOST:PORT`.
    pub sources: Vec<String>,
    /// The servers.
    pub redis: Vec<Proc>,
    /// The sentinels.
    pub sentinels: Vec<Proc>,
    /// The master's name (`sentinel monitor <name> ...`).
    pub master: String,
    /// What was not carried over, and why.
    pub skipped: Vec<Skipped>,
    /// Every file read, includes too (an output may be none of them).
    pub read: Vec<String>,
    /// Other things the user should know (a host inferred, a process that did not answer).
    pub notes: Vec<String>,
}

/// The defaults the import gives the client and its workload (the user is told to adjust them).
pub const CLIENT_NOTE: &str = "the [[client]] below (host `app`, 10 writes a second from 10s, redis-py 5.0 with a 100ms socket timeout) and the duration (2m) are defaults: adjust them to your application";

/// The scenario's text, named `name`.
pub fn scenario(imp: &Imported, name: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Imported by `redsim import` from {}.", imp.sources.join(", "));
    let _ = writeln!(t, "# ADJUST: {CLIENT_NOTE}.");
    for n in &imp.notes {
        let _ = writeln!(t, "# note: {n}");
    }
    if imp.skipped.is_empty() {
        t.push_str("# Every directive read is implemented by the model.\n");
    } else {
        t.push_str(
            "# Not imported: the directives the model does not implement (where), and why.\n",
        );
        for line in super::skipped::grouped(&imp.skipped) {
            let _ = writeln!(t, "#   {}", one_line(&line));
        }
    }
    let _ = writeln!(t, "\nname = {}", quote(name));
    let _ = writeln!(
        t,
        "description = {}",
        quote(&format!("The deployment read from {}.", imp.sources.join(", ")))
    );
    t.push_str("duration = \"2m\"\n");
    let hosts = hosts(imp);
    for h in &hosts {
        let _ = writeln!(t, "\n[[host]]\nname = {}", quote(h));
    }
    for (kind, procs) in [("redis", &imp.redis), ("sentinel", &imp.sentinels)] {
        for p in procs {
            let _ = writeln!(
                t,
                "\n# {}\n[[{kind}]]\nhost = {}\nport = {}",
                p.origin,
                quote(&p.host),
                p.port
            );
            if !p.config.is_empty() {
                let _ = writeln!(t, "[{kind}.config]");
                for (k, v) in &p.config {
                    let _ = writeln!(t, "{} = {}", key(k), value(v));
                }
            }
        }
    }
    let sentinels: Vec<String> = imp.sentinels.iter().map(|s| quote(&s.addr())).collect();
    let _ = writeln!(
        t,
        "\n# ADJUST: your application: where it runs, how it connects, how much it writes.\n[[client]]\nname = \"app1\"\nhost = {}",
        quote(hosts.last().map_or("app", String::as_str))
    );
    if sentinels.is_empty() {
        let master = imp.redis.iter().find(|r| !r.config.iter().any(|(k, _)| k == "replicaof"));
        let at = master.or(imp.redis.first()).map(Proc::addr).unwrap_or_default();
        let _ = writeln!(t, "connect = {}", quote(&at));
    } else {
        let _ =
            writeln!(t, "sentinels = [{}]\nservice = {}", sentinels.join(", "), quote(&imp.master));
    }
    t.push_str("socket-timeout = \"100ms\"\nworkload = { writes-per-sec = 10, start = \"10s\" }\n");
    t
}

/// The hosts in the order they first appear (servers, then sentinels), then the client's:
/// `app`, or the first of `app-2`, `app-3`, ... that no process runs on.
pub fn hosts(imp: &Imported) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in imp.redis.iter().chain(&imp.sentinels) {
        if !out.contains(&p.host) {
            out.push(p.host.clone());
        }
    }
    let mut app = "app".to_string();
    for n in 2.. {
        if !out.contains(&app) {
            break;
        }
        app = format!("app-{n}");
    }
    out.push(app);
    out
}

/// A config key: bare when TOML allows, quoted otherwise (`"sentinel monitor"`).
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A directive value: a whole number bare, anything else a string.
fn value(v: &str) -> String {
    let number = !v.is_empty() && v.len() < 16 && v.bytes().all(|b| b.is_ascii_digit());
    if number && !(v.len() > 1 && v.starts_with('0')) { v.to_string() } else { quote(v) }
}

/// Text for a comment line: no line breaks.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
