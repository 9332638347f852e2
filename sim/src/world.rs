//! The world: the process table and the event loop. It runs actors on hosts, hands them the inputs
//! the kernel produces, applies the effects they write, and applies faults. `World<A>` is generic
//! over one actor type so the loop is monomorphised; a model with several kinds of actor supplies
//! an enum.
//!
//! Processes live on hosts and listen on one port. A process is started, killed (its in-memory
//! state is lost, its connections end, its peers read end-of-file), restarted, paused (time passes,
//! its inputs queue, then arrive in a burst when it resumes), or has its wall clock moved.

use crate::actor::{Actor, Ctx, Effect, Input};
use crate::filter::{Chain, FilterCommand, FilterError, InstalledRule, Rule, Target};
use crate::ids::{Addr, HostId, ProcessId};
use crate::kernel::{Event, Kernel, Noted, SocketOp, Stats};
use crate::net::Network;
use crate::rng::Rng;
use crate::tcp::SynSchedule;
use crate::time::{Duration, DurationRange, Instant};
use crate::trace::{TRACE_FORMAT, TraceEvent, TraceHeader, TraceLevel, TraceProcess, Tracer};
use serde::Serialize;
use std::io;

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcState {
    /// Added but never started.
    NotStarted,
    /// Running.
    Running,
    /// Stopped: inputs queue until it resumes.
    Paused,
    /// Killed.
    Dead,
}

impl ProcState {
    /// Running or paused: the process exists (its port accepts connections).
    pub fn is_alive(self) -> bool {
        matches!(self, ProcState::Running | ProcState::Paused)
    }
}

struct Process<A: Actor> {
    actor: A,
    name: String,
    addr: Addr,
    state: ProcState,
    rng: Rng,
    clock_offset_us: i64,
    /// Inputs that arrived while paused.
    inbox: Vec<Input<A::Msg, A::Timer>>,
    /// Bumped on every pause and resume, so a stale automatic resume does nothing.
    pause_generation: u32,
    /// A busy step keeps the process from handling inputs until then (see [`Ctx::busy`]).
    busy_until: Instant,
}

/// The simulation: processes and the kernel they run on.
pub struct World<A: Actor> {
    procs: Vec<Process<A>>,
    out: Vec<Effect<A::Msg, A::Timer, A::Note>>,
    k: Kernel<A::Msg, A::Timer, A::Note>,
    seed: u64,
    wall_base_us: u64,
    /// Lifecycle changes and faults applied so far, as a trace at level `events` records them.
    faults: Vec<TraceEvent<(), (), ()>>,
    /// Per host, bumped on every power loss, so a stale automatic power-on does nothing.
    power_generation: Vec<u32>,
}

impl<A: Actor> World<A> {
    /// A world over `net`, with every random stream derived from `seed`.
    pub fn new(net: Network, seed: u64) -> Self {
        World {
            procs: Vec::new(),
            out: Vec::new(),
            k: Kernel::new(net, A::msg_size),
            seed,
            wall_base_us: 0,
            faults: Vec::new(),
            power_generation: Vec::new(),
        }
    }

    /// Sets the SYN retransmission schedule (default: [`SynSchedule::linux`]`(4)`).
    pub fn set_syn_schedule(&mut self, syn: SynSchedule) {
        self.k.syn = syn;
    }

    /// Sets the wall clock at virtual time zero, in microseconds since the Unix epoch.
    pub fn set_wall_clock_base(&mut self, us: u64) {
        self.wall_base_us = us;
    }

    /// Adds a process on `host`, listening on `port` if it has one (a client has none, and its
    /// address shows port 0). It does not run until [`World::start`]. Its random stream is named
    /// after `name`, so adding another process changes nothing here.
    ///
    /// # Panics
    /// If another process already listens on that address.
    pub fn add_process(
        &mut self,
        host: HostId,
        port: Option<u16>,
        name: &str,
        actor: A,
    ) -> ProcessId {
        let pid = ProcessId(self.procs.len() as u32);
        let addr = Addr::new(host, port.unwrap_or(0));
        assert!(self.k.add_task(pid, addr, port.is_some()), "two processes listen on {name}");
        self.procs.push(Process {
            actor,
            name: name.to_string(),
            addr,
            state: ProcState::NotStarted,
            rng: Rng::stream(self.seed, &format!("process/{name}")),
            clock_offset_us: 0,
            inbox: Vec::new(),
            busy_until: Instant::ZERO,
            pause_generation: 0,
        });
        pid
    }

    /// Starts writing a trace to `out`: the header now, then every event at `level`.
    pub fn trace_to(
        &mut self,
        out: Box<dyn io::Write>,
        level: TraceLevel,
        digest: String,
        meta: serde_json::Value,
    ) -> io::Result<()> {
        let header = TraceHeader {
            redsim_trace: TRACE_FORMAT,
            seed: self.seed,
            digest,
            level,
            hosts: self.k.net.hosts().map(|(_, h)| h.name.clone()).collect(),
            processes: self
                .procs
                .iter()
                .map(|p| TraceProcess { name: p.name.clone(), host: p.addr.host })
                .collect(),
            meta,
        };
        self.k.tracer = Some(Tracer::new(out, &header)?);
        self.k.trace_messages = level == TraceLevel::Messages;
        Ok(())
    }

    /// Writes a line about the run as a whole (at every level), if tracing.
    pub fn trace_extra(&mut self, name: &str, data: serde_json::Value) {
        let t = self.k.now.as_micros();
        self.k.trace_event(TraceEvent::Extra { t, name: name.to_string(), data });
    }

    /// True while a trace is being written.
    pub fn tracing(&self) -> bool {
        self.k.tracer.is_some()
    }

    /// Stops tracing: flushes, and returns the number of lines written or the first write error.
    pub fn finish_trace(&mut self) -> io::Result<u64> {
        self.k.trace_messages = false;
        self.k.tracer.take().map_or(Ok(0), Tracer::finish)
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.k.now
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.k.stats
    }

    /// The network (read-only; change it through the world so changes are traced).
    pub fn net(&self) -> &Network {
        &self.k.net
    }

    /// The actor of `pid`.
    pub fn actor(&self, pid: ProcessId) -> &A {
        &self.procs[pid.0 as usize].actor
    }

    /// The state of `pid`.
    pub fn state(&self, pid: ProcessId) -> ProcState {
        self.procs[pid.0 as usize].state
    }

    /// The name of `pid`.
    pub fn name(&self, pid: ProcessId) -> &str {
        &self.procs[pid.0 as usize].name
    }

    /// The address `pid` listens on.
    pub fn addr(&self, pid: ProcessId) -> Addr {
        self.procs[pid.0 as usize].addr
    }

    /// Every process id, in creation order.
    pub fn pids(&self) -> impl Iterator<Item = ProcessId> + use<A> {
        (0..self.procs.len() as u32).map(ProcessId)
    }

    /// The process listening on `addr`.
    pub fn pid_at(&self, addr: Addr) -> Option<ProcessId> {
        self.k.pid_at(addr)
    }

    /// Notes recorded so far.
    pub fn notes(&self) -> &[Noted<A::Note>] {
        &self.k.notes
    }

    /// Takes the notes recorded so far.
    pub fn take_notes(&mut self) -> Vec<Noted<A::Note>> {
        std::mem::take(&mut self.k.notes)
    }

    /// Moves out, in order, the notes `take` selects (as `into` turns them: `None` drops one)
    /// and keeps the others, reusing the notes' own buffer for what is taken: a long run's many
    /// notes of one kind change owner without being copied.
    pub fn take_notes_where<T>(
        &mut self,
        take: impl Fn(&A::Note) -> bool,
        mut into: impl FnMut(A::Note) -> Option<T>,
    ) -> Vec<T> {
        let notes = std::mem::take(&mut self.k.notes);
        let mut kept = Vec::with_capacity(notes.iter().filter(|n| !take(&n.note)).count());
        let taken = notes
            .into_iter()
            .filter_map(|n| {
                if take(&n.note) {
                    into(n.note)
                } else {
                    kept.push(n);
                    None
                }
            })
            .collect();
        self.k.notes = kept;
        taken
    }

    /// Every start, kill, pause, resume, clock jump, filter command, heal and latency change applied
    /// so far, in order: the same events a trace at level `events` records, kept whether or not a
    /// trace is written, so views of a finished run see what a trace would have shown.
    pub fn faults(&self) -> &[TraceEvent<(), (), ()>] {
        &self.faults
    }

    /// The instant of the next pending event.
    pub fn next_event_time(&self) -> Option<Instant> {
        self.k.queue.peek_time()
    }

    // ---------------------------------------------------------------- the loop

    /// Processes every event scheduled strictly before `t`, then sets the clock to `t`. Faults
    /// applied right after therefore precede the actors' own events at `t`.
    pub fn run_until(&mut self, t: Instant) {
        while self.k.queue.peek_time().is_some_and(|at| at < t) {
            self.step();
        }
        self.k.now = self.k.now.max(t);
    }

    /// Processes the earliest event; false when nothing is pending.
    #[inline]
    pub fn step(&mut self) -> bool {
        let Some((at, event)) = self.k.queue.pop() else { return false };
        self.k.now = at;
        self.k.stats.events += 1;
        if let Event::Resume { pid, pause_generation } = event {
            if self.procs[pid.0 as usize].pause_generation == pause_generation {
                self.resume(pid);
            }
        } else if let Event::PowerOn { host, generation } = event {
            if self.power_generation.get(host.0 as usize) == Some(&generation) {
                self.power_on(host);
            }
        } else if let Event::Wake { pid } = event {
            if self.procs[pid.0 as usize].state == ProcState::Running {
                self.drain_inbox(pid);
            }
        } else if let Some((pid, input)) = self.k.handle(event) {
            self.dispatch(pid, input);
        }
        true
    }

    /// Hands `input` to `pid`'s actor (or its inbox while paused) and applies the effects.
    #[inline]
    fn dispatch(&mut self, pid: ProcessId, input: Input<A::Msg, A::Timer>) {
        let p = &mut self.procs[pid.0 as usize];
        match p.state {
            ProcState::Running if self.k.now < p.busy_until => return p.inbox.push(input),
            ProcState::Running => {}
            ProcState::Paused => return p.inbox.push(input),
            ProcState::NotStarted | ProcState::Dead => return,
        }
        self.run_actor(pid, |actor, ctx| actor.handle(ctx, input));
    }

    /// Runs `f` on `pid`'s actor now, as if an input had arrived (an operator typing a command).
    /// Does nothing unless the process is running.
    pub fn inject(
        &mut self,
        pid: ProcessId,
        f: impl FnOnce(&mut A, &mut Ctx<'_, A::Msg, A::Timer, A::Note>),
    ) {
        if self.procs[pid.0 as usize].state == ProcState::Running {
            self.run_actor(pid, f);
        }
    }

    #[inline]
    fn run_actor(
        &mut self,
        pid: ProcessId,
        f: impl FnOnce(&mut A, &mut Ctx<'_, A::Msg, A::Timer, A::Note>),
    ) {
        let p = &mut self.procs[pid.0 as usize];
        let now = self.k.now;
        let wall = self.wall_base_us.saturating_add_signed(p.clock_offset_us) + now.as_micros();
        let mut ctx =
            Ctx::new(now, wall, pid, p.addr, &mut p.rng, &mut self.out, &mut self.k.next_conn);
        f(&mut p.actor, &mut ctx);
        let busy = ctx.busy_for();
        if busy == Duration::ZERO {
            for effect in self.out.drain(..) {
                self.k.apply(pid, effect);
            }
            return;
        }
        // A busy step: its sends and closes leave when it is done, in order; the rest now.
        let mut ops = Vec::new();
        for effect in self.out.drain(..) {
            match effect {
                Effect::Send(conn, msg) => ops.push(SocketOp::Send(conn, msg)),
                Effect::Close(conn) => ops.push(SocketOp::Close(conn)),
                other => self.k.apply(pid, other),
            }
        }
        let done = now + busy;
        p.busy_until = p.busy_until.max(done);
        self.k.defer(pid, done, ops);
        self.k.queue.push(done, Event::Wake { pid });
    }

    /// Hands a process the inputs that waited for it, as one turn of an event loop such as
    /// Redis's `ae` sees them: first the network input, in arrival order, then the timers that
    /// fell due, in due order (`aeProcessEvents` handles the ready file events before the time
    /// events). An input that makes it busy again leaves the rest waiting.
    fn drain_inbox(&mut self, pid: ProcessId) {
        let (timers, io): (Vec<_>, Vec<_>) = std::mem::take(&mut self.procs[pid.0 as usize].inbox)
            .into_iter()
            .partition(|i| matches!(i, Input::Timer(_)));
        let mut waiting = io.into_iter().chain(timers);
        while let Some(input) = waiting.next() {
            self.dispatch(pid, input);
            let p = &mut self.procs[pid.0 as usize];
            if p.state != ProcState::Running || self.k.now < p.busy_until {
                if p.state.is_alive() {
                    p.inbox.extend(waiting);
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- process lifecycle

    fn trace_event(&mut self, event: impl FnOnce(u64) -> TraceEvent<(), (), ()>) {
        let event = event(self.k.now.as_micros());
        self.faults.push(event.clone());
        self.k.trace_event(event);
    }

    /// Starts (or, if it was killed, restarts) `pid`. Does nothing if it is alive.
    pub fn start(&mut self, pid: ProcessId) {
        let p = &mut self.procs[pid.0 as usize];
        if p.state.is_alive() || self.k.net.host_down(p.addr.host) {
            return;
        }
        p.state = ProcState::Running;
        self.k.task_started(pid);
        self.trace_event(|t| TraceEvent::Start { t, pid });
        self.run_actor(pid, |actor, ctx| actor.start(ctx));
    }

    /// Kills `pid` (SIGKILL): its state is lost except what its persistence keeps, its timers and
    /// queued inputs vanish, and its kernel closes every connection (peers read end-of-file once
    /// the FIN gets through).
    pub fn kill(&mut self, pid: ProcessId) {
        let p = &mut self.procs[pid.0 as usize];
        if !p.state.is_alive() {
            return;
        }
        p.state = ProcState::Dead;
        p.inbox.clear();
        p.busy_until = Instant::ZERO;
        p.actor.crash();
        self.trace_event(|t| TraceEvent::Kill { t, pid, power_loss: false });
        self.k.task_died(pid);
    }

    /// `host` loses power: every process on it dies at once ([`Actor::power_loss`]: only what
    /// reached its disk survives), its sockets vanish without FIN or RST, and every packet from or
    /// to it vanishes until it is back, so peers see timeouts, not refusals. With `restart_after`
    /// it boots again after that long ([`World::power_on`]). Returns the processes that died.
    pub fn power_loss(&mut self, host: HostId, restart_after: Option<Duration>) -> Vec<ProcessId> {
        let gens = &mut self.power_generation;
        if gens.len() <= host.0 as usize {
            gens.resize(host.0 as usize + 1, 0);
        }
        gens[host.0 as usize] += 1;
        let generation = gens[host.0 as usize];
        self.k.net.set_host_down(host, true);
        self.trace_event(|t| TraceEvent::PowerLoss { t, host });
        let mut died = Vec::new();
        for pid in self.pids() {
            let p = &mut self.procs[pid.0 as usize];
            if p.addr.host != host || !p.state.is_alive() {
                continue;
            }
            p.state = ProcState::Dead;
            p.inbox.clear();
            p.busy_until = Instant::ZERO;
            let wall =
                self.wall_base_us.saturating_add_signed(p.clock_offset_us) + self.k.now.as_micros();
            p.actor.power_loss(self.k.now, wall);
            self.trace_event(|t| TraceEvent::Kill { t, pid, power_loss: true });
            self.k.task_lost_power(pid);
            died.push(pid);
        }
        if let Some(d) = restart_after {
            self.k.queue.push(self.k.now + d, Event::PowerOn { host, generation });
        }
        died
    }

    /// `host` has power again: packets reach it (segments for connections it had are answered
    /// with resets, connects to ports nothing listens on are refused), and every process on it
    /// that had been started before starts again, in creation order, as its init system would.
    /// Does nothing if the host is up.
    pub fn power_on(&mut self, host: HostId) {
        if !self.k.net.host_down(host) {
            return;
        }
        self.k.net.set_host_down(host, false);
        self.trace_event(|t| TraceEvent::PowerOn { t, host });
        for pid in self.pids() {
            let p = &self.procs[pid.0 as usize];
            if p.addr.host == host && p.state == ProcState::Dead {
                self.start(pid);
            }
        }
    }

    /// Kills `pid` if it is alive, then starts it.
    pub fn restart(&mut self, pid: ProcessId) {
        self.kill(pid);
        self.start(pid);
    }

    /// Stops `pid` (SIGSTOP). With `for_`, it resumes by itself after that long. Its kernel keeps
    /// accepting connections and acknowledging data meanwhile.
    pub fn pause(&mut self, pid: ProcessId, for_: Option<Duration>) {
        let p = &mut self.procs[pid.0 as usize];
        if p.state != ProcState::Running {
            return;
        }
        p.state = ProcState::Paused;
        p.pause_generation += 1;
        let pause_generation = p.pause_generation;
        self.trace_event(|t| TraceEvent::Pause { t, pid });
        if let Some(d) = for_ {
            self.k.queue.push(self.k.now + d, Event::Resume { pid, pause_generation });
        }
    }

    /// Resumes a paused `pid` (SIGCONT): everything that queued meanwhile arrives now, network
    /// input first, then the timers that fell due (see [`World::drain_inbox`]).
    pub fn resume(&mut self, pid: ProcessId) {
        let p = &mut self.procs[pid.0 as usize];
        if p.state != ProcState::Paused {
            return;
        }
        p.state = ProcState::Running;
        p.pause_generation += 1;
        self.trace_event(|t| TraceEvent::Resume { t, pid });
        self.drain_inbox(pid);
    }

    /// Moves `pid`'s wall clock by `by_us` microseconds (negative: backwards). Virtual time and
    /// timers are not affected, as with a monotonic clock.
    pub fn clock_jump(&mut self, pid: ProcessId, by_us: i64) {
        self.procs[pid.0 as usize].clock_offset_us += by_us;
        self.trace_event(|t| TraceEvent::ClockJump { t, pid, by_us });
    }

    // ---------------------------------------------------------------- network faults

    /// Applies an iptables command to `host`.
    pub fn iptables(&mut self, host: HostId, cmd: &FilterCommand) -> Result<(), FilterError> {
        self.k.net.apply_filter(host, cmd)?;
        self.trace_event(|t| TraceEvent::Filter { t, host, cmd: cmd.to_string() });
        Ok(())
    }

    /// Drops traffic between hosts of different groups, as INPUT DROP rules on the receiving hosts.
    /// With `oneway`, only traffic from the first group to the others is dropped. Hosts in no group
    /// keep all their links.
    pub fn partition(&mut self, groups: &[Vec<HostId>], oneway: bool) {
        let cmds: Vec<(HostId, FilterCommand)> = crate::filter::partition_rules(groups, oneway)
            .into_iter()
            .map(|(host, sources)| {
                let names: Vec<&str> =
                    sources.iter().map(|&s| self.k.net.host(s).name.as_str()).collect();
                let spec = format!("-s {} -j DROP", names.join(","));
                let rule = Rule {
                    src: Some(sources),
                    dst: None,
                    tcp: false,
                    sport: None,
                    dport: None,
                    target: Target::Drop,
                };
                (host, FilterCommand::Append(Chain::Input, InstalledRule { rule, spec }))
            })
            .collect();
        for (host, cmd) in cmds {
            self.iptables(host, &cmd).expect("appending a rule cannot fail");
        }
    }

    /// Removes every rule on every host. Held traffic flows again at each connection's next
    /// retransmission.
    pub fn heal(&mut self) {
        self.k.net.heal();
        self.trace_event(|t| TraceEvent::Heal { t });
    }

    /// Changes the latency range of the link between `a` and `b`; false if there is none.
    pub fn set_latency(&mut self, a: HostId, b: HostId, latency: DurationRange) -> bool {
        let ok = self.k.net.set_latency(a, b, latency);
        if ok {
            self.trace_event(|t| TraceEvent::Latency { t, a, b, range: latency.to_string() });
        }
        ok
    }
}
