//! A scenario turned into what a real run does: an address per host, the processes with their
//! start times and configuration, the clients, and the timeline as real actions, with every part
//! of the scenario that cannot be reproduced on real processes named as a caveat.

use lab::scenario::{Action, ClientMode, CommandTarget, ProcRef, Scenario};
use model::client::Library;
use model::client::ioredis::settings::{IOREDIS_RELEASE, ReconnectOnError};
use model::client::node_redis::settings::{NODE_REDIS_RELEASE, ReconnectStrategy};
use model::client::redis_rs::settings::REDIS_RS_RELEASE;
use sim::filter::FilterCommand;
use sim::{Addr, DurationRange};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The range addresses are drawn from for hosts whose scenario name is not an IPv4 address (`app`),
/// lowest first, skipping the addresses other hosts already have. They exist only inside the run's
/// namespaces.
pub const ALLOCATED_RANGE: &str = "10.255.0.0/16";

/// A host of the scenario and the address it has in its namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// The scenario's name for it.
    pub name: String,
    /// Its address.
    pub ip: Ipv4Addr,
}

/// Redis or Sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `redis-server`.
    Redis,
    /// `redis-sentinel` (or `redis-server --sentinel`).
    Sentinel,
}

/// A server process of the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Redis or Sentinel.
    pub kind: Kind,
    /// Its host (index into [`Plan::hosts`]).
    pub host: usize,
    /// Its port.
    pub port: u16,
    /// Its scenario name, `host:port`.
    pub name: String,
    /// When it is first started (ms of the scenario clock).
    pub start_ms: u64,
    /// The scenario's `config` table, as written.
    pub directives: Vec<(String, String)>,
    /// The monitored master's name (sentinels only).
    pub service: Option<String>,
}

/// A client application of the deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    /// Its name.
    pub name: String,
    /// Its host.
    pub host: usize,
    /// The exact library release pip installs for its `library-version` (5.0: 5.0.8).
    pub release: String,
    /// The driver's spec (without `t0` and `end`, which the run adds).
    pub spec: serde_json::Value,
}

/// Why `library` cannot be installed and driven here, for the model-only libraries (for which
/// [`library_spec`] has no driver either); `None` for the runnable ones.
pub(crate) fn model_only(library: &Library) -> Option<&'static str> {
    match library {
        Library::Jedis(_) => Some("Jedis is Java; no Maven Central here"),
        Library::Lettuce(_) => Some("Lettuce is Java; no Maven Central here"),
        Library::GoRedis(_) => Some("go-redis needs the Go module proxy, out of reach here"),
        Library::Redisson(_) => Some("Redisson is Java; no Maven Central here"),
        Library::StackExchange(_) => Some("StackExchange.Redis is .NET; no NuGet here"),
        _ => None,
    }
}

/// The library's part of a client's spec; returns the release it installs (`5.0.8` for redis-py
/// 5.0, `valkey-6.1.1`, `ioredis-5.11.1`), or `None` for a model-only library
/// ([`model_only`]), which [`crate::conform`] leaves out of the real and the simulated runs.
fn library_spec(library: &Library, spec: &mut serde_json::Value) -> Option<String> {
    let ms = |d: sim::Duration| d.as_micros() / 1000;
    match library {
        Library::RedisPy(py) => {
            // The exact release pip installs for the scenario's `library-version` (5.0: 5.0.8,
            // `crate::REDIS_PY`).
            spec["socket_connect_timeout"] =
                py.socket_connect_timeout.map(|d| d.as_micros() as f64 / 1e6).into();
            spec["retry_on_timeout"] = py.retry_on_timeout.into();
            let release = match &py.valkey_py {
                Some(v) => {
                    spec["library"] = "valkey-py".into();
                    format!("valkey-{}", v.release())
                }
                None => py.version.release(),
            };
            spec["library_version"] = release.clone().into();
            Some(release)
        }
        Library::Ioredis(io) => {
            let release = format!("ioredis-{IOREDIS_RELEASE}");
            spec["library"] = "ioredis".into();
            spec["library_version"] = release.clone().into();
            spec["ioredis"] = serde_json::json!({
                "failoverDetector": io.failover_detector,
                "enableOfflineQueue": io.enable_offline_queue,
                // ioredis' `null`: never fail the queue.
                "maxRetriesPerRequest": io.max_retries_per_request,
                "commandTimeout_ms": io.command_timeout.map(ms),
                "connectTimeout_ms": ms(io.connect_timeout),
                "reconnectOnError": (io.reconnect_on_error == ReconnectOnError::ReadOnly).then_some("READONLY"),
                "autoResendUnfulfilledCommands": io.auto_resend_unfulfilled_commands,
                "enableReadyCheck": io.enable_ready_check,
            });
            Some(release)
        }
        Library::NodeRedis(nr) => {
            let release = format!("node-redis-{NODE_REDIS_RELEASE}");
            spec["library"] = "node-redis".into();
            spec["library_version"] = release.clone().into();
            let strategy = match nr.reconnect_strategy {
                ReconnectStrategy::Default => serde_json::Value::Null,
                ReconnectStrategy::Never => false.into(),
                ReconnectStrategy::Fixed(d) => ms(d).into(),
            };
            spec["node_redis"] = serde_json::json!({
                "scanInterval": nr.scan_interval.map_or(0, ms),
                "maxCommandRediscovers": nr.max_command_rediscovers,
                "masterPoolSize": nr.master_pool_size,
                "connectTimeout": ms(nr.connect_timeout),
                "socketTimeout": nr.socket_timeout.map(ms),
                "reconnectStrategy": strategy,
                "commandTimeout": nr.command_timeout.map_or(0, ms),
            });
            Some(release)
        }
        Library::RedisRs(rs) => {
            let release = format!("redis-rs-{REDIS_RS_RELEASE}");
            spec["library"] = "redis-rs".into();
            spec["library_version"] = release.clone().into();
            spec["redis_rs"] = serde_json::json!({
                "connection_timeout_ms": ms(rs.connection_timeout),
                "response_timeout_ms": ms(rs.response_timeout),
                "reuse_connection": rs.reuse_connection,
            });
            Some(release)
        }
        Library::Jedis(_)
        | Library::GoRedis(_)
        | Library::Lettuce(_)
        | Library::Redisson(_)
        | Library::StackExchange(_) => None,
    }
}

/// What a real run does at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// SIGKILL (index into [`Plan::procs`]).
    Kill(usize),
    /// Start again with the configuration file it last wrote (killing it first if running).
    Restart(usize),
    /// SIGSTOP, then SIGCONT after `ms`.
    Pause(usize, u64),
    /// SIGCONT (the end of a pause).
    Resume(usize),
    /// `iptables ARGS` on a host.
    Iptables { host: usize, args: Vec<String> },
    /// redis-cli from a host.
    Command { argv: Vec<String>, target: Target, from: usize },
}

/// Where a `command` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A process.
    Proc(usize),
    /// The master the first of these sentinels that answers names.
    Master(Vec<usize>),
}

/// A step at a moment of the scenario clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timed {
    /// When (ms).
    pub at_ms: u64,
    /// What.
    pub step: Step,
    /// How the scenario says it, for the progress line.
    pub label: String,
}

/// The scenario as a real run.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Hosts, indexed by the scenario's `HostId`.
    pub hosts: Vec<Host>,
    /// Redis servers, then sentinels, in scenario order.
    pub procs: Vec<Proc>,
    /// Clients with a workload.
    pub clients: Vec<Client>,
    /// The timeline, in time order.
    pub steps: Vec<Timed>,
    /// What the real run cannot reproduce, and what it does instead.
    pub caveats: Vec<String>,
    /// The scenario's duration (ms).
    pub duration_ms: u64,
}

impl Plan {
    /// The real run of `scenario`.
    pub fn new(scenario: &Scenario) -> Plan {
        let hosts = addresses(&scenario.hosts);
        let mut procs = Vec::new();
        let n = scenario.redis.len();
        for (i, r) in scenario.redis.iter().enumerate() {
            procs.push(proc(scenario, Kind::Redis, r.addr, &r.start, i, n, &r.directives, None));
        }
        let n = scenario.sentinels.len();
        for (i, s) in scenario.sentinels.iter().enumerate() {
            let service = Some(s.config.master().name.clone());
            procs.push(proc(
                scenario,
                Kind::Sentinel,
                s.addr,
                &s.start,
                i,
                n,
                &s.directives,
                service,
            ));
        }
        let mut plan = Plan {
            hosts,
            procs,
            clients: Vec::new(),
            steps: Vec::new(),
            caveats: Vec::new(),
            duration_ms: scenario.duration.as_millis(),
        };
        plan.clients = scenario.clients.iter().filter_map(|c| plan.client(c)).collect();
        plan.timeline(scenario);
        plan.network_caveats(scenario);
        plan
    }

    /// The index of a process.
    fn proc_index(&self, scenario: &Scenario, p: ProcRef) -> usize {
        match p {
            ProcRef::Redis(i) => i,
            ProcRef::Sentinel(i) => scenario.redis.len() + i,
        }
    }

    /// `ip:port` of an address.
    pub fn ip_port(&self, a: Addr) -> String {
        format!("{}:{}", self.hosts[a.host.0 as usize].ip, a.port)
    }

    /// `ip:port` of a process.
    pub fn proc_addr(&self, i: usize) -> String {
        let p = &self.procs[i];
        format!("{}:{}", self.hosts[p.host].ip, p.port)
    }

    /// The scenario name of the process at `ip:port`, if any.
    pub fn name_of(&self, ip_port: &str) -> Option<&str> {
        (0..self.procs.len()).find(|&i| self.proc_addr(i) == ip_port).map(|i| &*self.procs[i].name)
    }

    fn client(&self, c: &lab::scenario::ClientSpec) -> Option<Client> {
        let w = c.workload?;
        let pair =
            |a: Addr| serde_json::json!([self.hosts[a.host.0 as usize].ip.to_string(), a.port]);
        let mut spec = serde_json::json!({
            "name": c.name,
            "socket_timeout": c.socket_timeout.as_micros() as f64 / 1e6,
            "writes_per_sec": w.writes_per_sec,
            "reads_per_sec": w.reads_per_sec,
            "start": w.start.as_micros() as f64 / 1e6,
            "stop": w.stop.map(|s| s.as_micros() as f64 / 1e6),
        });
        match &c.mode {
            ClientMode::Sentinel { sentinels, service, replica } => {
                spec["sentinels"] = sentinels.iter().map(|&a| pair(a)).collect();
                spec["service"] = service.clone().into();
                spec["replica"] = (*replica).into();
            }
            ClientMode::Plain(a) => spec["plain"] = pair(*a),
        }
        let release = library_spec(&c.library, &mut spec)?;
        Some(Client { name: c.name.clone(), host: c.host.0 as usize, release, spec })
    }

    fn timeline(&mut self, scenario: &Scenario) {
        for t in &scenario.events {
            let at_ms = t.at.as_millis();
            let at = format!("{}.{:03}s", at_ms / 1000, at_ms % 1000);
            let push = |plan: &mut Plan, step: Step, label: String| {
                plan.steps.push(Timed { at_ms, step, label })
            };
            match &t.action {
                Action::Kill(p) => {
                    let i = self.proc_index(scenario, *p);
                    push(self, Step::Kill(i), format!("kill {}", self.procs[i].name));
                }
                Action::Restart(p) => {
                    let i = self.proc_index(scenario, *p);
                    push(self, Step::Restart(i), format!("restart {}", self.procs[i].name));
                }
                Action::Pause(p, d) => {
                    let i = self.proc_index(scenario, *p);
                    let ms = d.as_millis();
                    let name = self.procs[i].name.clone();
                    push(self, Step::Pause(i, ms), format!("pause {name} for {ms}ms"));
                    self.steps.push(Timed {
                        at_ms: at_ms + ms,
                        step: Step::Resume(i),
                        label: format!("resume {name}"),
                    });
                }
                Action::Crash { host, .. } => {
                    self.caveats.push(format!(
                        "event at line {} ({at}: crash {}): not conformable: a namespace cannot lose power (its processes' page cache would survive); not applied",
                        t.line,
                        self.hosts[host.0 as usize].name
                    ));
                }
                Action::ClockJump(p, us) => {
                    let i = self.proc_index(scenario, *p);
                    self.caveats.push(format!(
                        "event at line {} ({at}: clock-jump {} by {}ms): not conformable: Linux cannot move one process's wall clock alone; not applied",
                        t.line,
                        self.procs[i].name,
                        us / 1000
                    ));
                }
                Action::Iptables { host, cmd } => {
                    let args = self.iptables_args(scenario, cmd);
                    let host = host.0 as usize;
                    let label = format!("iptables {} on {}", cmd, self.hosts[host].name);
                    push(self, Step::Iptables { host, args }, label);
                }
                Action::Partition { groups, oneway } => {
                    for (host, sources) in sim::filter::partition_rules(groups, *oneway) {
                        let ips: Vec<String> =
                            sources.iter().map(|h| self.hosts[h.0 as usize].ip.to_string()).collect();
                        let args = ["-A", "INPUT", "-s", &ips.join(","), "-j", "DROP"]
                            .map(String::from)
                            .to_vec();
                        let host = host.0 as usize;
                        let label = format!("partition: iptables {} on {}", args.join(" "), self.hosts[host].name);
                        push(self, Step::Iptables { host, args }, label);
                    }
                }
                Action::Heal => {
                    for host in 0..self.hosts.len() {
                        let label = format!("heal: iptables -F on {}", self.hosts[host].name);
                        push(self, Step::Iptables { host, args: vec!["-F".into()] }, label);
                    }
                }
                Action::Latency { a, b, range } => self.caveats.push(format!(
                    "event at line {} ({at}: latency {} between {} and {}): not conformable: tc netem is per interface, not per link here; not applied, the link keeps its real latency",
                    t.line,
                    show_range(range),
                    scenario.hosts[a.0 as usize],
                    scenario.hosts[b.0 as usize]
                )),
                Action::Command { argv, on, from } => {
                    let target = match on {
                        CommandTarget::Node(p) => Target::Proc(self.proc_index(scenario, *p)),
                        CommandTarget::Master { ask } => Target::Master(match ask {
                            Some(i) => vec![scenario.redis.len() + i],
                            None => (0..scenario.sentinels.len()).map(|i| scenario.redis.len() + i).collect(),
                        }),
                    };
                    let label = format!("redis-cli {}", argv.join(" "));
                    push(self, Step::Command { argv: argv.clone(), target, from: from.0 as usize }, label);
                }
                Action::SentinelFailover(i) => {
                    let s = &scenario.sentinels[*i];
                    let argv = vec!["SENTINEL".into(), "FAILOVER".into(), s.config.master().name.clone()];
                    let target = Target::Proc(scenario.redis.len() + i);
                    let label = format!("redis-cli SENTINEL FAILOVER on {}", self.procs[scenario.redis.len() + i].name);
                    push(self, Step::Command { argv, target, from: s.addr.host.0 as usize }, label);
                }
            }
        }
        // Resumes land between the scenario's own events; keep file order among equal times.
        self.steps.sort_by_key(|t| t.at_ms);
    }

    /// An iptables command with host names replaced by their addresses.
    fn iptables_args(&self, scenario: &Scenario, cmd: &FilterCommand) -> Vec<String> {
        let ip = |name: &str| {
            scenario
                .hosts
                .iter()
                .position(|h| h == name)
                .map_or_else(|| name.to_string(), |i| self.hosts[i].ip.to_string())
        };
        let line = cmd.to_string();
        let mut args: Vec<String> = Vec::new();
        let mut addresses_next = false;
        for tok in line.split_whitespace() {
            if addresses_next {
                args.push(tok.split(',').map(ip).collect::<Vec<_>>().join(","));
            } else {
                args.push(tok.to_string());
            }
            addresses_next =
                matches!(tok, "-s" | "--source" | "--src" | "-d" | "--destination" | "--dst");
        }
        args
    }

    fn network_caveats(&mut self, scenario: &Scenario) {
        if !scenario.links.is_empty() {
            self.caveats.push(format!(
                "[[link]] overrides ({}): not conformable: tc netem is per interface, not per link here; the real links keep the run's latency",
                scenario.links.len()
            ));
        }
    }
}

/// Each host's address: its name when that is an IPv4 address, else the next free address of
/// [`ALLOCATED_RANGE`].
pub fn addresses(names: &[String]) -> Vec<Host> {
    let taken: BTreeSet<Ipv4Addr> = names.iter().filter_map(|n| n.parse().ok()).collect();
    let mut next = u32::from(Ipv4Addr::new(10, 255, 0, 1));
    names
        .iter()
        .map(|name| {
            let ip = name.parse().unwrap_or_else(|_| {
                loop {
                    let ip = Ipv4Addr::from(next);
                    next += 1;
                    if !taken.contains(&ip) {
                        break ip;
                    }
                }
            });
            Host { name: name.clone(), ip }
        })
        .collect()
}

/// Process `i` of `n` of its kind starts at its share of its start range: spread evenly inside it,
/// so their once-a-second crons do not tick in step (the simulator draws them from a seed).
fn start_ms(range: &DurationRange, i: usize, n: usize) -> u64 {
    let (lo, hi) = (range.lo.as_millis(), range.hi.as_millis());
    lo + (hi - lo) * (i as u64 + 1) / (n as u64 + 1)
}

#[allow(clippy::too_many_arguments)]
fn proc(
    scenario: &Scenario,
    kind: Kind,
    addr: Addr,
    start: &DurationRange,
    i: usize,
    n: usize,
    directives: &[(String, String)],
    service: Option<String>,
) -> Proc {
    Proc {
        kind,
        host: addr.host.0 as usize,
        port: addr.port,
        name: format!("{}:{}", scenario.hosts[addr.host.0 as usize], addr.port),
        start_ms: start_ms(start, i, n),
        directives: directives.to_vec(),
        service,
    }
}

fn show_range(r: &DurationRange) -> String {
    format!("{}..{}", r.lo, r.hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        Scenario::from_bytes("t.toml", text.as_bytes()).unwrap()
    }

    const BASE: &str = r#"
name = "t"
duration = "30s"
[[host]]
name = "10.255.0.1"
[[host]]
name = "app"
[[host]]
name = "10.0.0.2"
[[redis]]
host = "10.255.0.1"
port = 6379
[[redis]]
host = "10.0.0.2"
port = 6379
config = { replicaof = "10.255.0.1 6379" }
[[sentinel]]
host = "10.0.0.2"
port = 26379
config = { "sentinel monitor" = "m 10.255.0.1 6379 1" }
[[client]]
name = "c"
host = "app"
sentinels = ["10.0.0.2:26379"]
service = "m"
workload = { writes-per-sec = 10 }
"#;

    #[test]
    fn named_hosts_get_free_addresses_of_the_range() {
        let p = Plan::new(&scenario(BASE));
        let ips: Vec<String> = p.hosts.iter().map(|h| h.ip.to_string()).collect();
        assert_eq!(ips, ["10.255.0.1", "10.255.0.2", "10.0.0.2"]);
        assert_eq!(p.proc_addr(2), "10.0.0.2:26379");
        assert_eq!(p.name_of("10.0.0.2:6379"), Some("10.0.0.2:6379"));
        assert_eq!(p.clients[0].spec["sentinels"], serde_json::json!([["10.0.0.2", 26379]]));
        assert_eq!(p.clients[0].spec["library_version"], crate::REDIS_PY);
    }

    #[test]
    fn a_go_redis_client_is_model_only_and_gets_no_driver() {
        let text = BASE.replace("service = \"m\"\n", "service = \"m\"\nlibrary = \"go-redis\"\n");
        let s = scenario(&text);
        assert!(model_only(&s.clients[0].library).is_some());
        assert!(Plan::new(&s).clients.is_empty());
    }

    #[test]
    fn a_stackexchange_client_is_model_only_and_gets_no_driver() {
        let text =
            BASE.replace("service = \"m\"\n", "service = \"m\"\nlibrary = \"stackexchange\"\n");
        let s = scenario(&text);
        assert!(model_only(&s.clients[0].library).is_some());
        assert!(Plan::new(&s).clients.is_empty());
    }

    #[test]
    fn an_ioredis_client_carries_its_release_and_settings_as_ioredis_spells_them() {
        let text = BASE.replace(
            "service = \"m\"\n",
            "service = \"m\"\nlibrary = \"ioredis\"\nfailoverDetector = true\ncommandTimeout = \"500ms\"\nmaxRetriesPerRequest = -1\n",
        );
        let p = Plan::new(&scenario(&text));
        let c = &p.clients[0];
        assert_eq!(c.release, "ioredis-5.11.1");
        assert_eq!(c.spec["library"], "ioredis");
        let io = &c.spec["ioredis"];
        assert_eq!(
            (io["failoverDetector"].as_bool(), io["commandTimeout_ms"].as_u64()),
            (Some(true), Some(500))
        );
        assert!(io["maxRetriesPerRequest"].is_null(), "a negative number is ioredis' null");
        assert_eq!(io["connectTimeout_ms"], 10_000);
        assert!(c.spec.get("socket_connect_timeout").is_none(), "no redis-py setting");
    }

    #[test]
    fn a_lettuce_client_has_no_driver_and_no_real_client() {
        let text = BASE.replace("service = \"m\"\n", "service = \"m\"\nlibrary = \"lettuce\"\n");
        let s = scenario(&text);
        assert!(matches!(s.clients[0].library, Library::Lettuce(_)));
        assert!(Plan::new(&s).clients.is_empty(), "model-only: nothing to install or run");
    }

    #[test]
    fn faults_become_real_steps_and_the_rest_caveats() {
        let text = format!(
            "{BASE}{}",
            r#"
[[event]]
at = "5s"
pause = "10.255.0.1:6379"
for = "2s"
[[event]]
at = "6s"
iptables = "-A INPUT -s app,10.0.0.2 -p tcp --dport 6379 -j DROP"
on = "10.255.0.1"
[[event]]
at = "8s"
partition = [["app"], ["10.0.0.2"]]
oneway = true
[[event]]
at = "9s"
clock-jump = "10.0.0.2:26379"
by = "30s"
[[event]]
at = "10s"
command = ["SET", "k", "v"]
on = "master"
from = "app"
"#
        );
        let p = Plan::new(&scenario(&text));
        let steps: Vec<(u64, &Step)> = p.steps.iter().map(|t| (t.at_ms, &t.step)).collect();
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            steps,
            [
                (5000, &Step::Pause(0, 2000)),
                (
                    6000,
                    &Step::Iptables {
                        host: 0,
                        args: args("-A INPUT -s 10.255.0.2,10.0.0.2 -p tcp --dport 6379 -j DROP")
                    }
                ),
                (7000, &Step::Resume(0)),
                (8000, &Step::Iptables { host: 2, args: args("-A INPUT -s 10.255.0.2 -j DROP") }),
                (
                    10000,
                    &Step::Command {
                        argv: args("SET k v"),
                        target: Target::Master(vec![2]),
                        from: 1
                    }
                ),
            ]
        );
        assert_eq!(p.caveats.len(), 1);
        assert!(p.caveats[0].contains("clock-jump 10.0.0.2:26379 by 30000ms"), "{}", p.caveats[0]);
    }
}
