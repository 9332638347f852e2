//! Running a scenario: build the world (hosts, links, processes), start every process at time
//! zero, apply the timeline's faults and commands at their times, and stop at `duration`.

use crate::scenario::{Action, ClientMode, CommandTarget, ProcRef, Scenario};
use model::client::{Client, ClientKind};
use model::node::Node;
use model::sentinel::Sentinel;
use model::server::Server;
use model::wire::Directory;
use sim::filter::Packet;
use sim::net::Verdict;
use sim::tcp::SynSchedule;
use sim::{Addr, HostId, Instant, Network, ProcessId, TraceLevel, World};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The wall clock at virtual time zero: 24 Nov 2026 00:00:00 UTC (log lines show dates).
pub const WALL_CLOCK_BASE_US: u64 = 1_795_478_400 * 1_000_000;

/// A process coming up or going down, as the runner applied it (for availability checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Started or restarted.
    Up,
    /// Killed.
    Down,
    /// Stopped.
    Paused,
    /// Continued after a pause.
    Resumed,
}

/// A running deployment: the world and where each scenario process lives in it.
pub struct Deployment {
    /// The simulation.
    pub world: World<Node>,
    /// Host names.
    pub dir: Arc<Directory>,
    /// `[[redis]]` processes.
    pub redis: Vec<ProcessId>,
    /// `[[sentinel]]` processes.
    pub sentinels: Vec<ProcessId>,
    /// `[[client]]` processes.
    pub clients: Vec<ProcessId>,
    /// redis-cli, one per host that runs `command` events.
    pub cli: BTreeMap<HostId, ProcessId>,
    /// Faults applied to processes, in time order.
    pub lifecycle: Vec<(Instant, ProcessId, Life)>,
    /// Things the timeline asked for that could not be done as written: an iptables `-D` of a
    /// missing rule, a kill or pause of a process that is not running, a restart of one that is
    /// (done as `systemctl restart` does: stopped, by SIGKILL here, then started).
    pub warnings: Vec<String>,
    /// When each process is first started, in time order (ties: process order).
    pub starts: Vec<(Instant, ProcessId)>,
    /// How far the timeline has been applied: starts and events done.
    cursor: (usize, usize),
}

impl Deployment {
    /// Builds the deployment of `scenario` with `seed`; nothing has run yet.
    pub fn build(scenario: &Scenario, seed: u64) -> Deployment {
        let dir = Directory::new(scenario.hosts.clone());
        let mut net = Network::new(seed);
        for h in &scenario.hosts {
            net.add_host(h, scenario.loopback_latency);
        }
        for &(a, b, lat, loss) in &scenario.links {
            net.connect(a, b, lat, loss);
        }
        net.full_mesh(scenario.latency, scenario.loss);
        if scenario.bandwidth.is_some() || !scenario.link_bandwidths.is_empty() {
            net.set_mesh_bandwidth(scenario.bandwidth);
            for &(a, b, _, _) in &scenario.links {
                net.set_bandwidth(a, b, scenario.bandwidth);
            }
            for &(a, b, bw) in &scenario.link_bandwidths {
                net.set_bandwidth(a, b, Some(bw));
            }
        }
        let mut world = World::new(net, seed);
        world.set_wall_clock_base(WALL_CLOCK_BASE_US);
        world.set_syn_schedule(SynSchedule::linux(scenario.syn_linear_timeouts));
        let name = |a: Addr| dir.addr(a);
        let redis: Vec<ProcessId> = scenario
            .redis
            .iter()
            .map(|r| {
                let mut server = Server::new(dir.clone(), r.addr.port, r.config.clone(), r.server);
                if let Some(mass) = r.dataset {
                    // One history for every preloaded server: the deployment starts in sync.
                    server.preload(mass, sim::Rng::stream(seed, "dataset").hex40());
                }
                let node = Node::Server(Box::new(server));
                world.add_process(r.addr.host, Some(r.addr.port), &name(r.addr), node)
            })
            .collect();
        let sentinels: Vec<ProcessId> = scenario
            .sentinels
            .iter()
            .map(|s| {
                let node = Node::Sentinel(Box::new(Sentinel::new(
                    dir.clone(),
                    s.addr.port,
                    s.config.clone(),
                    s.server,
                )));
                world.add_process(s.addr.host, Some(s.addr.port), &name(s.addr), node)
            })
            .collect();
        let clients = scenario
            .clients
            .iter()
            .map(|c| {
                let kind = match &c.mode {
                    ClientMode::Sentinel { sentinels, service, replica } => ClientKind::Sentinel {
                        sentinels: sentinels.clone(),
                        service: service.clone(),
                        replica: *replica,
                    },
                    ClientMode::Plain(addr) => ClientKind::Plain { addr: *addr },
                };
                let client = Client::new(dir.clone(), &c.name, kind, c.socket_timeout, c.workload)
                    .library(&c.library);
                world.add_process(
                    c.host,
                    None,
                    &format!("client/{}", c.name),
                    Node::Client(Box::new(client)),
                )
            })
            .collect();
        let mut cli = BTreeMap::new();
        for ev in &scenario.events {
            let host = match &ev.action {
                Action::Command { from, .. } => *from,
                Action::SentinelFailover(i) => scenario.sentinels[*i].addr.host,
                _ => continue,
            };
            cli.entry(host).or_insert_with(|| {
                let label = format!("redis-cli@{}", dir.name(host));
                let client =
                    Client::new(dir.clone(), &label, ClientKind::Cli, sim::Duration::ZERO, None);
                world.add_process(host, None, &label, Node::Client(Box::new(client)))
            });
        }
        // Each server and sentinel draws its first start from its own stream; clients and
        // redis-cli run from the beginning.
        let drawn = |range: sim::DurationRange, name: String| {
            let mut rng = sim::Rng::stream(seed, &format!("start/{name}"));
            let us = rng.between(range.lo.as_micros(), range.hi.as_micros());
            Instant::from_micros(us)
        };
        let mut starts: Vec<(Instant, ProcessId)> = world
            .pids()
            .map(|pid| {
                let at = match (
                    redis.iter().position(|&p| p == pid),
                    sentinels.iter().position(|&p| p == pid),
                ) {
                    (Some(i), _) => drawn(scenario.redis[i].start, world.name(pid).to_string()),
                    (_, Some(i)) => drawn(scenario.sentinels[i].start, world.name(pid).to_string()),
                    _ => Instant::ZERO,
                };
                (at, pid)
            })
            .collect();
        starts.sort();
        Deployment {
            world,
            dir,
            redis,
            sentinels,
            clients,
            cli,
            lifecycle: Vec::new(),
            warnings: Vec::new(),
            starts,
            cursor: (0, 0),
        }
    }

    /// Starts writing the trace to `out` (before the run): the header embeds the scenario, so the
    /// trace replays on its own, and its file name without directories (a trace is a function of
    /// the scenario and the seed, not of the working directory it was run from).
    pub fn trace_to(
        &mut self,
        scenario: &Scenario,
        out: Box<dyn std::io::Write>,
        level: TraceLevel,
    ) -> std::io::Result<()> {
        let meta = serde_json::json!({ "path": scenario.file_name(), "scenario": scenario.source });
        self.world.trace_to(out, level, scenario.digest(), meta)
    }

    /// Ends the trace with the outcome (a last `extra` line) and flushes it; returns the number of
    /// lines written.
    pub fn finish_trace(&mut self, outcome: &impl serde::Serialize) -> std::io::Result<u64> {
        if self.world.tracing() {
            let data = serde_json::to_value(outcome).expect("the outcome serialises");
            self.world.trace_extra("outcome", data);
        }
        self.world.finish_trace()
    }

    /// The process of a scenario reference.
    pub fn pid(&self, p: ProcRef) -> ProcessId {
        match p {
            ProcRef::Redis(i) => self.redis[i],
            ProcRef::Sentinel(i) => self.sentinels[i],
        }
    }

    /// Applies the timeline up to `until`: each process's first start and the scenario's events,
    /// in time order (a start before an event at the same instant), then runs the world to
    /// `until`.
    pub fn run_until(&mut self, scenario: &Scenario, until: Instant) {
        loop {
            let (si, ei) = self.cursor;
            let start = self.starts.get(si).copied().filter(|s| s.0 <= until);
            let event = scenario.events.get(ei).filter(|e| e.at <= until);
            match (start, event) {
                (Some((at, pid)), e) if e.is_none_or(|e| at <= e.at) => {
                    self.world.run_until(at);
                    self.world.start(pid);
                    self.lifecycle.push((at, pid, Life::Up));
                    self.lifecycle.sort_by_key(|l| l.0);
                    self.cursor.0 += 1;
                }
                (_, Some(e)) => {
                    self.world.run_until(e.at);
                    self.apply(scenario, &e.action);
                    self.cursor.1 += 1;
                }
                (_, None) => break,
            }
        }
        self.world.run_until(until);
    }

    /// Applies one timeline action now.
    pub fn apply(&mut self, scenario: &Scenario, action: &Action) {
        let now = self.world.now();
        match action {
            Action::Kill(p) => {
                let pid = self.pid(*p);
                if !self.world.state(pid).is_alive() {
                    self.warn_state(pid, "kill", "nothing to kill");
                }
                self.world.kill(pid);
                self.lifecycle.push((now, pid, Life::Down));
            }
            Action::Restart(p) => {
                // As `systemctl restart`: a process that is still there is stopped first. The
                // model's stop is SIGKILL (no graceful SHUTDOWN, so no RDB save on the way down).
                let pid = self.pid(*p);
                if self.world.state(pid).is_alive() {
                    self.warn_state(pid, "restart", "killed (SIGKILL) and started again");
                }
                self.world.restart(pid);
                self.lifecycle.push((now, pid, Life::Up));
            }
            Action::Pause(p, d) => {
                let pid = self.pid(*p);
                if self.world.state(pid) != sim::ProcState::Running {
                    self.warn_state(pid, "pause", "not paused");
                    return;
                }
                self.world.pause(pid, Some(*d));
                self.lifecycle.push((now, pid, Life::Paused));
                self.lifecycle.push((now + *d, pid, Life::Resumed));
            }
            Action::Crash { host, restart_after } => {
                // A reboot starts every process of the host that had been started, as its init
                // system would.
                let reboot: Vec<ProcessId> = self
                    .world
                    .pids()
                    .filter(|&p| self.world.addr(p).host == *host)
                    .filter(|&p| self.world.state(p) != sim::ProcState::NotStarted)
                    .collect();
                for pid in self.world.power_loss(*host, *restart_after) {
                    self.lifecycle.push((now, pid, Life::Down));
                }
                if let Some(d) = restart_after {
                    self.lifecycle.extend(reboot.into_iter().map(|pid| (now + *d, pid, Life::Up)));
                    self.lifecycle.sort_by_key(|l| l.0);
                }
            }
            Action::ClockJump(p, us) => self.world.clock_jump(self.pid(*p), *us),
            Action::Iptables { host, cmd } => {
                if let Err(e) = self.world.iptables(*host, cmd) {
                    self.warnings.push(format!(
                        "{now}: iptables on {}: {}: {cmd}",
                        self.dir.name(*host),
                        e.message
                    ));
                }
            }
            Action::Partition { groups, oneway } => self.world.partition(groups, *oneway),
            Action::Heal => self.world.heal(),
            Action::Latency { a, b, range } => {
                self.world.set_latency(*a, *b, *range);
            }
            Action::Command { argv, on, from } => {
                let cli = self.cli[from];
                let target = match on {
                    CommandTarget::Node(p) => Some(self.world.addr(self.pid(*p))),
                    CommandTarget::Master { ask } => self.ask_master(*from, *ask),
                };
                let argv = argv.clone();
                self.world.inject(cli, |node, ctx| {
                    let client = node.as_client_mut().expect("redis-cli is a client");
                    match target {
                        Some(addr) => client.run_command(ctx, argv, addr),
                        None => client.record_unsent(
                            ctx,
                            argv,
                            "no sentinel answered get-master-addr-by-name".to_string(),
                        ),
                    }
                });
            }
            Action::SentinelFailover(i) => {
                let s = &scenario.sentinels[*i];
                let cli = self.cli[&s.addr.host];
                let argv = vec![
                    "SENTINEL".to_string(),
                    "FAILOVER".to_string(),
                    s.config.master().name.clone(),
                ];
                let addr = s.addr;
                self.world.inject(cli, |node, ctx| {
                    node.as_client_mut()
                        .expect("redis-cli is a client")
                        .run_command(ctx, argv, addr)
                });
            }
        }
        self.lifecycle.sort_by_key(|l| l.0);
    }

    /// Records that `what` found `pid` in a state it does not expect, and what was done instead.
    fn warn_state(&mut self, pid: ProcessId, what: &str, done: &str) {
        let state = match self.world.state(pid) {
            sim::ProcState::NotStarted => "not started yet",
            sim::ProcState::Running => "running",
            sim::ProcState::Paused => "stopped (SIGSTOP)",
            sim::ProcState::Dead => "not running",
        };
        let (now, name) = (self.world.now(), self.world.name(pid).to_string());
        self.warnings.push(format!("{now}: {what} {name}: it was {state}: {done}"));
    }

    /// `redis-cli -h $(redis-cli -h <sentinel> SENTINEL get-master-addr-by-name ...)` from `from`:
    /// the first sentinel (or the one asked) that is running and reachable names the master.
    fn ask_master(&self, from: HostId, ask: Option<usize>) -> Option<Addr> {
        let candidates: Vec<ProcessId> = match ask {
            Some(i) => vec![self.sentinels[i]],
            None => self.sentinels.clone(),
        };
        candidates.into_iter().find_map(|pid| {
            if self.world.state(pid) != sim::ProcState::Running {
                return None;
            }
            let s = self.world.addr(pid);
            let net = self.world.net();
            let there = Packet { src: from, dst: s.host, sport: 40000, dport: s.port };
            let back = Packet { src: s.host, dst: from, sport: s.port, dport: 40000 };
            if net.verdict(&there) != Verdict::Pass || net.verdict(&back) != Verdict::Pass {
                return None;
            }
            let (host, port) = self.world.actor(pid).as_sentinel()?.reported_master()?;
            Some(Addr::new(self.dir.resolve(&host)?, port))
        })
    }

    /// Runs the whole scenario: start, the timeline, then until `duration`; operations still in
    /// flight then are recorded as indeterminate.
    pub fn run(&mut self, scenario: &Scenario) {
        self.run_until(scenario, Instant::ZERO + scenario.duration);
        let clients: Vec<ProcessId> =
            self.clients.iter().chain(self.cli.values()).copied().collect();
        for pid in clients {
            self.world
                .inject(pid, |node, ctx| node.as_client_mut().expect("a client").end_of_run(ctx));
        }
    }
}
