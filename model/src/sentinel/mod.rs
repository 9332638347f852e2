//! Redis Sentinel 7.0 (`sentinel.c`), monitoring one or several masters.
//!
//! - `instance.rs`: the tables (master, replicas, other sentinels) with links, times and flags;
//! - `masters.rs`: one entry per monitored master (`sentinel.masters`), each with its own
//!   tables, settings, epochs, vote and failover state; the one being handled is in hand;
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
mod hello_read;
pub mod instance;
mod masters;
mod monitor;
mod select;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_masters;

use crate::build::ServerBuild;
use crate::wire::{Directory, Msg, NodeCtx, Timer};

use crate::observe::Why;
use crate::observe::{Level, Note};
use config::{MasterConfig, SentinelConfig};
use instance::{FailoverState, Instance};
use masters::{MasterEntry, SavedMaster};
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
    /// Every master, in name order, once the file was rewritten (until then the config's own).
    masters: Option<Vec<SavedMaster>>,
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
    /// The master being handled (the only one, in most deployments).
    pub m: MasterEntry,
    /// The other masters, by name (`sentinel.masters` is a dict; here a BTreeMap, so every
    /// iteration goes in name order).
    pub parked: BTreeMap<String, MasterEntry>,
    pub tilt: bool,
    pub tilt_start_time: i64,
    pub previous_time: i64,
    pub next_id: u32,
    /// Connections accepted from clients, with the event channels they subscribed to.
    pub clients: BTreeMap<ConnId, commands::Subscriptions>,
    pub started: sim::Instant,
    /// The configuration must be saved once this input is handled.
    pub flush: bool,
    /// The hellos read last on links.
    pub seen: hello_read::Seen,
}

impl Runtime {
    pub fn inst(&self, s: Slot) -> &Instance {
        match s {
            Slot::Master => &self.m.master,
            Slot::Replica(i) => &self.m.replicas[i],
            Slot::Sentinel(i) => &self.m.sentinels[i],
        }
    }

    pub fn inst_mut(&mut self, s: Slot) -> &mut Instance {
        match s {
            Slot::Master => &mut self.m.master,
            Slot::Replica(i) => &mut self.m.replicas[i],
            Slot::Sentinel(i) => &mut self.m.sentinels[i],
        }
    }

    /// Every slot, in table order: the master, its replicas, its sentinels, as the tables are
    /// now (the iterator does not borrow them, and allocates nothing).
    pub fn slots(&self) -> impl Iterator<Item = Slot> + use<> {
        std::iter::once(Slot::Master)
            .chain((0..self.m.replicas.len()).map(Slot::Replica))
            .chain((0..self.m.sentinels.len()).map(Slot::Sentinel))
    }

    /// The replica entry with id `id`.
    pub fn replica_by_id(&self, id: u32) -> Option<usize> {
        self.m.replicas.iter().position(|r| r.id == id)
    }

    /// The promoted replica's slot, during a failover.
    pub fn promoted(&self) -> Option<usize> {
        self.m.ms.promoted.and_then(|id| self.replica_by_id(id))
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
                self.m.master.name,
                self.m.master.host,
                self.m.master.port
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
        self.master_view_of(&self.config.masters.first()?.name)
    }

    /// What this sentinel believes about the master named `name`, while running and monitoring it.
    pub fn master_view_of(&self, name: &str) -> Option<MasterView> {
        let e = self.rt.as_ref()?.entry(name)?;
        Some(MasterView { addr: e.master.addr(), config_epoch: e.ms.config_epoch })
    }

    /// The master address `SENTINEL get-master-addr-by-name` would give now, while running.
    pub fn reported_master(&self) -> Option<(String, u16)> {
        self.reported_master_of(&self.config.masters.first()?.name)
    }

    /// `SENTINEL get-master-addr-by-name <name>` now, while running and monitoring it.
    pub fn reported_master_of(&self, name: &str) -> Option<(String, u16)> {
        let (h, p) = self.rt.as_ref()?.entry(name)?.current_addr();
        Some((h.to_string(), p))
    }

    /// The names of the masters this sentinel monitors now, in name order.
    pub fn monitored(&self) -> Vec<String> {
        self.rt.as_ref().map_or_else(Vec::new, |rt| rt.names())
    }

    /// The first master of its configuration file (the only one, in most deployments).
    pub fn first_master(&self) -> Option<&str> {
        self.config.masters.first().map(|m| m.name.as_str())
    }

    /// This sentinel's run id, while running.
    pub fn run_id(&self) -> Option<&str> {
        self.rt.as_ref().map(|rt| rt.my_id.as_str())
    }

    /// True while in TILT mode.
    pub fn in_tilt(&self) -> bool {
        self.rt.as_ref().is_some_and(|rt| rt.tilt)
    }

    /// `sentinelGetCurrentMasterAddress` of the master in hand.
    fn current_master_addr<'a>(&self, rt: &'a Runtime) -> (&'a str, u16) {
        rt.m.current_addr()
    }

    /// The settings of the master in hand (`SENTINEL SET` changes them at run time).
    pub(crate) fn mc(&self) -> &MasterConfig {
        &self.rt.as_ref().expect("the sentinel is running").m.conf
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
        let fresh: Vec<SavedMaster>;
        let saved: &[SavedMaster] = match &self.saved.masters {
            Some(m) => m,
            None => {
                fresh = self.config.masters.iter().map(SavedMaster::fresh).collect();
                &fresh
            }
        };
        let mut next_id = 0;
        let mut entries = saved.iter().map(|sm| MasterEntry::load(sm, &mut next_id, now));
        let first = entries.next().expect("a validated config monitors a master");
        // The first in hand, the others parked by name (none: no allocation).
        let parked: BTreeMap<String, MasterEntry> =
            entries.map(|e| (e.conf.name.clone(), e)).collect();
        let rt = Runtime {
            my_id: my_id.clone(),
            current_epoch: self.saved.current_epoch,
            m: first,
            parked,
            tilt: false,
            tilt_start_time: 0,
            previous_time: now,
            next_id,
            clients: BTreeMap::new(),
            started: ctx.now(),
            flush: false,
            seen: hello_read::Seen::default(),
        };
        self.rt = Some(Box::new(rt));
        self.save();
        crate::observe::log(ctx, Level::Warning, 'X', format!("Sentinel ID is {my_id}"));
        ctx.note(Note::Why(Why::Identity { run_id: my_id }));
        self.each_master(|s| {
            s.note_advertised(ctx);
            let quorum = s.mc().quorum;
            s.event(
                ctx,
                Level::Warning,
                "+monitor",
                Some(Slot::Master),
                &format!("quorum {quorum}"),
            );
        });
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
        self.note_advertised_all(ctx);
    }

    /// `note_advertised` for every master (a step may have touched any of them).
    fn note_advertised_all(&mut self, ctx: &mut NodeCtx<'_>) {
        self.each_master(|s| s.note_advertised(ctx));
    }

    /// Runs `f` with each master in hand, in name order. With one master (most deployments) it
    /// is already in hand: no name list, no swap.
    fn each_master(&mut self, mut f: impl FnMut(&mut Self)) {
        if !self.rt().several() {
            return f(self);
        }
        for name in self.rt().names() {
            self.rt().focus(&name);
            f(self);
        }
    }

    /// Notes the configuration this sentinel advertises (its config epoch and the master address
    /// its hellos carry, `sentinelGetCurrentMasterAddress`) whenever it changes, for the
    /// one-master-per-config-epoch invariant.
    fn note_advertised(&mut self, ctx: &mut NodeCtx<'_>) {
        let rt = self.rt.as_ref().expect("running");
        let (host, port) = self.current_master_addr(rt);
        let epoch = rt.m.ms.config_epoch;
        let (e, h, p) = &rt.m.advertised;
        if (*e, h.as_str(), *p) == (epoch, host, port) {
            return;
        }
        let host = host.to_string();
        let name = rt.several().then(|| rt.m.conf.name.clone());
        ctx.note(Note::Why(Why::Config { epoch, master: format!("{host}:{port}"), name }));
        self.rt().m.advertised = (epoch, host, port);
    }

    pub(crate) fn rt(&mut self) -> &mut Runtime {
        self.rt.as_mut().expect("the sentinel is running")
    }

    /// `sentinelFlushConfig` (`rewriteConfigSentinelOption`): what a restart will remember. The
    /// master written is the current one (the promoted replica once a failover this sentinel
    /// leads reached RECONF_SLAVES), and in the replica list the old master takes its place.
    fn save(&mut self) {
        let rt = self.rt.as_ref().expect("running");
        let masters = rt.entries().map(MasterEntry::save).collect();
        self.saved = Saved {
            my_id: Some(rt.my_id.clone()),
            current_epoch: rt.current_epoch,
            masters: Some(masters),
        };
    }

    // ---------------------------------------------------------------- the timer

    /// `sentinelTimer`: TILT check, then the master, its replicas and its sentinels, then the
    /// switch if a failover reached UPDATE_CONFIG.
    fn tick(&mut self, ctx: &mut NodeCtx<'_>) {
        self.check_tilt(ctx);
        // sentinelHandleDictOfRedisInstances: each master with its replicas and sentinels; only
        // the last master found in UPDATE_CONFIG switches in this tick.
        let mut switch = None;
        self.each_master(|s| {
            for slot in s.rt().slots() {
                s.handle_instance(ctx, slot);
            }
            if s.rt().m.ms.failover_state == FailoverState::UpdateConfig {
                switch = Some(s.rt().m.conf.name.clone());
            }
        });
        if let Some(name) = switch {
            self.rt().focus(&name);
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
