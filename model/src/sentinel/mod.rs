//! Redis Sentinel 7.0 (`sentinel.c`), one monitored master per sentinel.
//!
//! - `instance.rs`: the tables (master, replicas, other sentinels) with links, times and flags;
//! - `monitor.rs`: connections, PING/INFO/hello timers, replies, SDOWN, what INFO replies trigger;
//! - `hello.rs`: hello messages, discovery of sentinels, configuration propagation, the switch;
//! - `election.rs`: ODOWN, asking the other sentinels, epochs and votes;
//! - `failover.rs` and `select.rs`: the failover state machine and replica selection;
//! - `commands.rs`: what Sentinel answers (SENTINEL subcommands, INFO, ROLE, PING, PUBLISH).
//!
//! Every time is this process's wall clock in milliseconds, as `mstime()` is in Redis, so a clock
//! jump affects the sentinel as it does a real one. The timer (`sentinelTimer`) runs every 52-100
//! ms (`1000 / (10 + rand() % 10)`).

mod commands;
pub mod config;
mod election;
mod failover;
mod hello;
pub mod instance;
mod monitor;
mod select;
#[cfg(test)]
mod tests;

use crate::build::ServerBuild;
use crate::wire::{Directory, Msg, NodeCtx, Timer};

use crate::observe::Why;
use crate::observe::{Level, Note};
use config::SentinelConfig;
use instance::{FailoverState, Instance, Kind, MasterState};
use sim::{ConnId, Duration, Input};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every event Sentinel 7.0 logs (`sentinel-semantics.md` §6.3), for validating expectations.
pub const EVENTS: &[&str] = &[
    "+monitor",
    "-monitor",
    "+set",
    "+reset-master",
    "+slave",
    "+sentinel",
    "+sentinel-address-switch",
    "+sentinel-invalid-addr",
    "+sentinel-address-update",
    "+reboot",
    "+role-change",
    "-role-change",
    "+sdown",
    "-sdown",
    "+odown",
    "-odown",
    "+new-epoch",
    "+try-failover",
    "+vote-for-leader",
    "+elected-leader",
    "-failover-abort-not-elected",
    "+failover-state-select-slave",
    "-failover-abort-no-good-slave",
    "+selected-slave",
    "+failover-state-send-slaveof-noone",
    "+failover-state-wait-promotion",
    "-failover-abort-slave-timeout",
    "+promoted-slave",
    "+failover-state-reconf-slaves",
    "+slave-reconf-sent",
    "-slave-reconf-sent-timeout",
    "+slave-reconf-inprog",
    "+slave-reconf-done",
    "+failover-end-for-timeout",
    "+slave-reconf-sent-be",
    "+failover-end",
    "+switch-master",
    "+config-update-from",
    "+convert-to-slave",
    "+fix-slave-config",
    "+tilt",
    "-tilt",
];

/// `SENTINEL_HELLO_CHANNEL`.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// How long a config flush (rewrite + fsync) blocks the sentinel: drawn from this range, whose
/// median is the measured 8 ms.
const FLUSH_MIN_US: u64 = 1_000;
const FLUSH_MAX_US: u64 = 15_000;

/// What a sentinel believes about its master.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterView {
    /// `host:port` in its table.
    pub addr: String,
    /// The configuration epoch of that address.
    pub config_epoch: u64,
}

/// What the sentinel's config file keeps across restarts (`sentinelFlushConfig`).
#[derive(Clone, Debug, Default)]
struct Saved {
    my_id: Option<String>,
    current_epoch: u64,
    master: Option<(String, u16)>,
    config_epoch: u64,
    leader_epoch: u64,
    replicas: Vec<(String, u16)>,
    sentinels: Vec<(String, u16, String)>,
}

/// An instance entry, by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Master,
    Replica(usize),
    Sentinel(usize),
}

/// A running sentinel's memory.
pub(crate) struct Runtime {
    pub my_id: String,
    pub current_epoch: u64,
    pub master: Instance,
    pub ms: MasterState,
    pub replicas: Vec<Instance>,
    pub sentinels: Vec<Instance>,
    pub tilt: bool,
    pub tilt_start_time: i64,
    pub previous_time: i64,
    pub next_id: u32,
    /// Connections accepted from clients, with the event channels they subscribed to.
    pub clients: BTreeMap<ConnId, commands::Subscriptions>,
    pub started: sim::Instant,
    /// The configuration must be saved once this input is handled.
    pub flush: bool,
    /// The configuration this sentinel advertises in its hellos: (config epoch, master host,
    /// master port), as last noted.
    pub advertised: (u64, String, u16),
    /// The hello last sent.
    pub hello: Option<hello::HelloCache>,
}

impl Runtime {
    pub fn inst(&self, s: Slot) -> &Instance {
        match s {
            Slot::Master => &self.master,
            Slot::Replica(i) => &self.replicas[i],
            Slot::Sentinel(i) => &self.sentinels[i],
        }
    }

    pub fn inst_mut(&mut self, s: Slot) -> &mut Instance {
        match s {
            Slot::Master => &mut self.master,
            Slot::Replica(i) => &mut self.replicas[i],
            Slot::Sentinel(i) => &mut self.sentinels[i],
        }
    }

    /// Every slot, in table order: the master, its replicas, its sentinels, as the tables are
    /// now (the iterator does not borrow them, and allocates nothing).
    pub fn slots(&self) -> impl Iterator<Item = Slot> + use<> {
        std::iter::once(Slot::Master)
            .chain((0..self.replicas.len()).map(Slot::Replica))
            .chain((0..self.sentinels.len()).map(Slot::Sentinel))
    }

    /// The replica entry with id `id`.
    pub fn replica_by_id(&self, id: u32) -> Option<usize> {
        self.replicas.iter().position(|r| r.id == id)
    }

    /// The promoted replica's slot, during a failover.
    pub fn promoted(&self) -> Option<usize> {
        self.ms.promoted.and_then(|id| self.replica_by_id(id))
    }

    /// `%@`: `master <name> <ip> <port>`, or `<type> <name> <ip> <port> @ <master> <ip> <port>`.
    pub fn describe(&self, s: Slot) -> String {
        let i = self.inst(s);
        match s {
            Slot::Master => format!("master {} {} {}", i.name, i.host, i.port),
            _ => format!(
                "{} {} {} {} @ {} {} {}",
                i.kind.type_str(),
                i.name,
                i.host,
                i.port,
                self.master.name,
                self.master.host,
                self.master.port
            ),
        }
    }

    /// A fresh entry id.
    pub fn new_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }
}

/// A Sentinel process.
pub struct Sentinel {
    dir: Arc<Directory>,
    port: u16,
    /// The build this process runs (Sentinel behaves the same on every build; `INFO` names it).
    build: ServerBuild,
    config: SentinelConfig,
    saved: Saved,
    rt: Option<Box<Runtime>>,
}

/// `mstime()`: this process's wall clock in milliseconds.
pub(crate) fn mstime(ctx: &NodeCtx<'_>) -> i64 {
    (ctx.wall_us() / 1000) as i64
}

impl Sentinel {
    /// A sentinel of `build` on `port` with its configuration file.
    pub fn new(dir: Arc<Directory>, port: u16, config: SentinelConfig, build: ServerBuild) -> Self {
        Sentinel { dir, port, build, config, saved: Saved::default(), rt: None }
    }

    // ---------------------------------------------------------------- observers

    /// The master this sentinel names (its table address) and its config epoch, while running.
    pub fn master_view(&self) -> Option<MasterView> {
        let rt = self.rt.as_ref()?;
        Some(MasterView { addr: rt.master.addr(), config_epoch: rt.ms.config_epoch })
    }

    /// The master address `SENTINEL get-master-addr-by-name` would give now, while running.
    pub fn reported_master(&self) -> Option<(String, u16)> {
        let rt = self.rt.as_ref()?;
        let i = self.current_master_addr(rt);
        Some((i.0.to_string(), i.1))
    }

    /// This sentinel's run id, while running.
    pub fn run_id(&self) -> Option<&str> {
        self.rt.as_ref().map(|rt| rt.my_id.as_str())
    }

    /// True while in TILT mode.
    pub fn in_tilt(&self) -> bool {
        self.rt.as_ref().is_some_and(|rt| rt.tilt)
    }

    /// `sentinelGetCurrentMasterAddress`: the promoted replica's once the failover this sentinel
    /// leads reached RECONF_SLAVES, else the table's.
    fn current_master_addr<'a>(&self, rt: &'a Runtime) -> (&'a str, u16) {
        if rt.master.flags.failover_in_progress
            && rt.ms.failover_state >= FailoverState::ReconfSlaves
        {
            if let Some(i) = rt.promoted() {
                return (&rt.replicas[i].host, rt.replicas[i].port);
            }
        }
        (&rt.master.host, rt.master.port)
    }

    // ---------------------------------------------------------------- lifecycle

    /// Starts: loads the config file (id, epochs, known replicas and sentinels), logs `+monitor`.
    pub fn start(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let my_id = match &self.saved.my_id {
            Some(id) => id.clone(),
            None => {
                let id = ctx.rng().hex40();
                self.saved.my_id = Some(id.clone());
                id
            }
        };
        let (host, port) = self
            .saved
            .master
            .clone()
            .unwrap_or((self.config.master_host.clone(), self.config.master_port));
        let mut master =
            Instance::new(0, Kind::Master, self.config.master_name.clone(), host, port, now);
        master.link = instance::Link::new(now);
        let ms = MasterState {
            config_epoch: self.saved.config_epoch,
            leader: None,
            leader_epoch: self.saved.leader_epoch,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_delay_logged: 0,
            promoted: None,
        };
        let mut rt = Runtime {
            my_id: my_id.clone(),
            current_epoch: self.saved.current_epoch,
            master,
            ms,
            replicas: Vec::new(),
            sentinels: Vec::new(),
            tilt: false,
            tilt_start_time: 0,
            previous_time: now,
            next_id: 0,
            clients: BTreeMap::new(),
            started: ctx.now(),
            flush: false,
            advertised: (u64::MAX, String::new(), 0),
            hello: None,
        };
        // Known replicas and sentinels are loaded silently (no +slave / +sentinel).
        for (h, p) in &self.saved.replicas {
            let id = rt.new_id();
            rt.replicas.push(Instance::new(
                id,
                Kind::Replica,
                format!("{h}:{p}"),
                h.clone(),
                *p,
                now,
            ));
        }
        for (h, p, runid) in &self.saved.sentinels {
            let id = rt.new_id();
            let mut s = Instance::new(id, Kind::Sentinel, runid.clone(), h.clone(), *p, now);
            s.runid = Some(runid.clone());
            rt.sentinels.push(s);
        }
        self.rt = Some(Box::new(rt));
        self.save();
        crate::observe::log(ctx, Level::Warning, 'X', format!("Sentinel ID is {my_id}"));
        ctx.note(Note::Why(Why::Identity { run_id: my_id }));
        self.note_advertised(ctx);
        let quorum = self.config.quorum;
        self.event(
            ctx,
            Level::Warning,
            "+monitor",
            Some(Slot::Master),
            &format!("quorum {quorum}"),
        );
        // serverCron first runs 1 ms after start.
        ctx.set_timer(Timer::SentinelTick, Duration::from_millis(1));
    }

    /// Dies: everything but the config file is gone.
    pub fn crash(&mut self) {
        self.rt = None;
    }

    /// One input.
    pub fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::SentinelTick) => {
                self.tick(ctx);
                // `hz = 10 + rand() % 10`; serverCron comes back after 1000 / hz ms.
                let hz = 10 + ctx.rng().below(10) as u64;
                ctx.set_timer(Timer::SentinelTick, Duration::from_millis(1000 / hz));
            }
            Input::Timer(_) => {}
            Input::Accepted(conn, _) => {
                self.rt().clients.insert(conn, commands::Subscriptions::default());
            }
            Input::Message(conn, msg) => {
                if self.rt().clients.contains_key(&conn) {
                    if let Msg::Cmd(cmd) = msg {
                        self.command(ctx, conn, cmd);
                    }
                } else {
                    self.link_message(ctx, conn, msg);
                }
            }
            Input::Connected(_) => {}
            Input::ConnectFailed(conn, _) | Input::Closed(conn, _) => {
                if self.rt().clients.remove(&conn).is_none() {
                    self.link_error(conn);
                }
            }
        }
        if std::mem::take(&mut self.rt().flush) {
            self.save();
            // sentinelFlushConfig rewrites the file and fsyncs it, blocking the event loop: what
            // this step sent leaves afterwards (measured on 7.0.15: 1-22 ms, median 8 ms).
            let us = ctx.rng().between(FLUSH_MIN_US, FLUSH_MAX_US);
            ctx.busy(Duration::from_micros(us));
        }
        self.note_advertised(ctx);
    }

    /// Notes the configuration this sentinel advertises (its config epoch and the master address
    /// its hellos carry, `sentinelGetCurrentMasterAddress`) whenever it changes, for the
    /// one-master-per-config-epoch invariant.
    fn note_advertised(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt.as_ref().expect("running");
        let (host, port) = self.current_master_addr(rt);
        let epoch = rt.ms.config_epoch;
        let (e, h, p) = &rt.advertised;
        if (*e, h.as_str(), *p) == (epoch, host, port) {
            return;
        }
        let host = host.to_string();
        ctx.note(Note::Why(Why::Config { epoch, master: format!("{host}:{port}") }));
        self.rt().advertised = (epoch, host, port);
    }

    pub(crate) fn rt(&mut self) -> &mut Runtime {
        self.rt.as_mut().expect("the sentinel is running")
    }

    /// `sentinelFlushConfig` (`rewriteConfigSentinelOption`): what a restart will remember. The
    /// master written is the current one (the promoted replica once a failover this sentinel
    /// leads reached RECONF_SLAVES), and in the replica list the old master takes its place.
    fn save(&mut self) {
        let rt = self.rt.as_ref().expect("running");
        let (mh, mp) = self.current_master_addr(rt);
        let (mh, mp) = (mh.to_string(), mp);
        let replicas = rt
            .replicas
            .iter()
            .map(|r| {
                if r.host == mh && r.port == mp {
                    (rt.master.host.clone(), rt.master.port)
                } else {
                    (r.host.clone(), r.port)
                }
            })
            .collect();
        self.saved = Saved {
            my_id: Some(rt.my_id.clone()),
            current_epoch: rt.current_epoch,
            master: Some((mh, mp)),
            config_epoch: rt.ms.config_epoch,
            leader_epoch: rt.ms.leader_epoch,
            replicas,
            sentinels: rt
                .sentinels
                .iter()
                .map(|s| (s.host.clone(), s.port, s.runid.clone().unwrap_or_default()))
                .collect(),
        };
    }

    // ---------------------------------------------------------------- the timer

    /// `sentinelTimer`: TILT check, then the master, its replicas and its sentinels, then the
    /// switch if a failover reached UPDATE_CONFIG.
    fn tick(&mut self, ctx: &mut NodeCtx<'_>) {
        self.check_tilt(ctx);
        for slot in self.rt().slots() {
            self.handle_instance(ctx, slot);
        }
        if self.rt().ms.failover_state == FailoverState::UpdateConfig {
            self.switch_to_promoted(ctx);
        }
    }

    /// `sentinelCheckTiltCondition`.
    fn check_tilt(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let trigger = self.config.tilt_trigger_ms as i64;
        let rt = self.rt();
        let delta = now - rt.previous_time;
        rt.previous_time = now;
        if delta < 0 || delta > trigger {
            rt.tilt = true;
            rt.tilt_start_time = now;
            ctx.note(Note::Why(Why::Tilt { delta_ms: delta }));
            self.event(ctx, Level::Warning, "+tilt", None, "#tilt mode entered");
        }
    }

    /// `sentinelHandleRedisInstance`.
    fn handle_instance(&mut self, ctx: &mut NodeCtx<'_>, slot: Slot) {
        self.reconnect(ctx, slot);
        self.send_periodic(ctx, slot);
        let now = mstime(ctx);
        let period = self.config.tilt_period_ms as i64;
        let rt = self.rt();
        if rt.tilt {
            if now - rt.tilt_start_time < period {
                return;
            }
            rt.tilt = false;
            self.event(ctx, Level::Warning, "-tilt", None, "#tilt mode exited");
        }
        self.check_sdown(ctx, slot);
        if slot == Slot::Master {
            self.check_odown(ctx);
            if self.start_failover_if_needed(ctx) {
                self.ask_other_sentinels(ctx, true);
            }
            self.failover_state_machine(ctx);
            self.ask_other_sentinels(ctx, false);
        }
    }

    // ---------------------------------------------------------------- events

    /// `sentinelEvent`: logs `<event> <message>` and publishes it on the channel of that name.
    /// With `who`, the message starts with the instance (`%@`).
    pub(crate) fn event(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        level: Level,
        event: &str,
        who: Option<Slot>,
        rest: &str,
    ) {
        let rt = self.rt();
        let mut msg = who.map(|s| rt.describe(s)).unwrap_or_default();
        if !rest.is_empty() {
            if !msg.is_empty() {
                msg.push(' ');
            }
            msg.push_str(rest);
        }
        for (&c, subs) in &rt.clients {
            if subs.hears(event) {
                ctx.send(c, Msg::Push { channel: event.into(), message: msg.as_str().into() });
            }
        }
        ctx.note(Note::Log { level, role: 'X', event: Some(event.to_string()), text: msg });
    }

    /// A plain log line (not an event).
    pub(crate) fn log(&self, ctx: &mut NodeCtx<'_>, level: Level, text: impl Into<String>) {
        crate::observe::log(ctx, level, 'X', text);
    }
}
