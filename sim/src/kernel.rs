//! The kernel: what an operating system does for the simulated processes. It owns the event
//! queue and the clock, the sockets (connections, following [`crate::tcp`]), the named timers,
//! the network and its filters, the trace and the notes. It applies the effects actors write and
//! turns due events into inputs for the world to hand to actors.

use crate::actor::{CloseReason, ConnectError, Effect, Input};
use crate::filter::{Packet, RejectWith};
use crate::ids::{Addr, ConnId, ProcessId};
use crate::net::{Network, RTO_MIN, Verdict};
use crate::pipe::Pipe;
use crate::queue::EventQueue;
use crate::tcp::{
    Connection, End, Flow, Handshake, Payload, SynSchedule, TCP_RETRIES2, rto_backoff,
};
use crate::time::{Duration, Instant};
use crate::trace::{TraceEvent, Tracer};
use serde::Serialize;
use std::collections::BTreeMap;

mod pipes;

/// A note an actor recorded, with when and who.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noted<N> {
    /// When.
    pub at: Instant,
    /// Who.
    pub pid: ProcessId,
    /// What.
    pub note: N,
}

/// Counters for benchmarks and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Events taken off the queue.
    pub events: u64,
    /// Messages handed to an actor.
    pub delivered: u64,
}

/// Something due at an instant.
pub(crate) enum Event<M, T> {
    Arrive {
        to: ConnId,
        n: u32,
        payload: Payload<M>,
    },
    SynArrive {
        conn: u32,
        attempt: u8,
    },
    SynRetry {
        conn: u32,
        attempt: u8,
    },
    Established {
        conn: u32,
    },
    Refused {
        conn: u32,
    },
    ConnectTimeout {
        conn: u32,
    },
    Retransmit {
        from: ConnId,
        generation: u32,
        k: u8,
    },
    Timer {
        pid: ProcessId,
        generation: u32,
        timer: T,
    },
    /// Handled by the world: a paused process continues.
    Resume {
        pid: ProcessId,
        pause_generation: u32,
    },
    /// Handled by the world: a host that lost power boots again.
    PowerOn {
        host: crate::ids::HostId,
        generation: u32,
    },
    /// Handled by the world: a busy process is done and takes the inputs that waited.
    Wake {
        pid: ProcessId,
    },
    /// The next message of a pipe (a link direction with a finite bandwidth) has left.
    PipeDone {
        pipe: u32,
        generation: u32,
    },
    /// Sends and closes a busy step made (kept in [`Kernel::deferred`] so that events own
    /// nothing that needs dropping), leaving now that it is done.
    Deferred {
        pid: ProcessId,
        slot: u32,
    },
}

/// A socket operation held back until a busy step is done.
pub(crate) enum SocketOp<M> {
    Send(ConnId, M),
    Close(ConnId),
}

/// The kernel's view of one process: its port, sockets and timers.
struct Task<T> {
    addr: Addr,
    /// The process exists (running or paused): its port accepts connections.
    listening: bool,
    open_ends: Vec<ConnId>,
    /// Pending named timers and the generation of each.
    timers: Vec<(T, u32)>,
}

const EPHEMERAL_LO: u16 = 32768;
const EPHEMERAL_HI: u16 = 60999;

/// What the TCP model does with the next payload of a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Deliver,
    Hold,
    Reset,
}

pub(crate) struct Kernel<M, T, N> {
    pub now: Instant,
    pub queue: EventQueue<Event<M, T>>,
    pub net: Network,
    pub next_conn: u32,
    pub notes: Vec<Noted<N>>,
    pub tracer: Option<Tracer>,
    pub trace_messages: bool,
    pub syn: SynSchedule,
    pub stats: Stats,
    conns: Vec<Connection<M>>,
    tasks: Vec<Task<T>>,
    listeners: BTreeMap<Addr, ProcessId>,
    next_ephemeral: Vec<u16>,
    timer_gen: u32,
    /// Socket operations of busy steps, by slot, until they leave; free slots are reused.
    deferred: Vec<Vec<SocketOp<M>>>,
    free_deferred: Vec<u32>,
    /// A message's size in bytes, for links with a finite bandwidth ([`crate::Actor::msg_size`]).
    size_of: fn(&M) -> u64,
    /// The link directions with a finite bandwidth that carried something, and their index by
    /// [`Network::direction`].
    pipes: Vec<Pipe<Payload<M>>>,
    pipe_of: BTreeMap<u64, u32>,
}

impl<M: Serialize, T: Copy + Eq + Serialize, N: Serialize> Kernel<M, T, N> {
    pub fn new(net: Network, size_of: fn(&M) -> u64) -> Self {
        let hosts = net.host_count();
        Kernel {
            now: Instant::ZERO,
            queue: EventQueue::new(),
            net,
            next_conn: 0,
            notes: Vec::new(),
            tracer: None,
            trace_messages: false,
            syn: SynSchedule::linux(4),
            stats: Stats::default(),
            conns: Vec::new(),
            tasks: Vec::new(),
            listeners: BTreeMap::new(),
            next_ephemeral: vec![EPHEMERAL_LO; hosts],
            timer_gen: 0,
            deferred: Vec::new(),
            free_deferred: Vec::new(),
            size_of,
            pipes: Vec::new(),
            pipe_of: BTreeMap::new(),
        }
    }

    /// Holds `ops` of process `pid` back until `at`.
    pub fn defer(&mut self, pid: ProcessId, at: Instant, ops: Vec<SocketOp<M>>) {
        let slot = match self.free_deferred.pop() {
            Some(s) => {
                self.deferred[s as usize] = ops;
                s
            }
            None => {
                self.deferred.push(ops);
                (self.deferred.len() - 1) as u32
            }
        };
        self.queue.push(at, Event::Deferred { pid, slot });
    }

    /// Registers process `pid` at `addr` (listening there if `listens`); false if the address
    /// is taken.
    pub fn add_task(&mut self, pid: ProcessId, addr: Addr, listens: bool) -> bool {
        debug_assert_eq!(pid.0 as usize, self.tasks.len());
        if listens && self.listeners.insert(addr, pid).is_some() {
            return false;
        }
        self.tasks.push(Task { addr, listening: false, open_ends: Vec::new(), timers: Vec::new() });
        true
    }

    pub fn pid_at(&self, addr: Addr) -> Option<ProcessId> {
        self.listeners.get(&addr).copied()
    }

    // ---------------------------------------------------------------- tracing

    #[inline]
    fn trace_msg<'m>(&mut self, event: impl FnOnce(u64) -> TraceEvent<&'m M, &'m T, ()>)
    where
        M: 'm,
        T: 'm,
    {
        if self.trace_messages {
            let ev = event(self.now.as_micros());
            if let Some(tr) = &mut self.tracer {
                tr.write(&ev);
            }
        }
    }

    /// Traces an event-level line (faults, lifecycle).
    pub fn trace_event(&mut self, event: TraceEvent<(), (), ()>) {
        if let Some(tr) = &mut self.tracer {
            tr.write(&event);
        }
    }

    // ---------------------------------------------------------------- effects

    /// Applies one effect written by `pid`'s actor.
    #[inline]
    pub fn apply(&mut self, pid: ProcessId, effect: Effect<M, T, N>) {
        match effect {
            Effect::Send(conn, msg) => self.send(pid, conn, msg),
            Effect::Connect(conn, to) => self.connect(pid, conn, to),
            Effect::Close(conn) => self.close(pid, conn),
            Effect::SetTimer(timer, after) => self.set_timer(pid, timer, after),
            Effect::CancelTimer(timer) => {
                let timers = &mut self.tasks[pid.0 as usize].timers;
                if let Some(i) = timers.iter().position(|(t, _)| *t == timer) {
                    timers.swap_remove(i);
                }
            }
            // The world holds a busy step's socket effects back itself.
            Effect::Busy(_) => {}
            Effect::Note(note) => {
                if let Some(tr) = &mut self.tracer {
                    tr.write(&TraceEvent::<(), (), _>::Note {
                        t: self.now.as_micros(),
                        pid,
                        note: &note,
                    });
                }
                self.notes.push(Noted { at: self.now, pid, note });
            }
        }
    }

    // ---------------------------------------------------------------- events

    /// Handles a due network or timer event; returns the input it produces, if any.
    pub fn handle(&mut self, event: Event<M, T>) -> Option<(ProcessId, Input<M, T>)> {
        match event {
            Event::Arrive { to, n, payload } => self.arrive(to, n, payload),
            Event::Timer { pid, generation, timer } => self.fire_timer(pid, generation, timer),
            Event::SynArrive { conn, attempt } => self.syn_arrive(conn, attempt),
            Event::SynRetry { conn, attempt } => {
                if self.still_connecting(conn) {
                    self.syn_attempt(conn, attempt);
                }
                None
            }
            Event::Established { conn } => self.established(conn),
            Event::Refused { conn } => self.connect_failed(conn, ConnectError::Refused),
            Event::ConnectTimeout { conn } => self.connect_failed(conn, ConnectError::TimedOut),
            Event::Retransmit { from, generation, k } => self.retransmit(from, generation, k),
            Event::PipeDone { pipe, generation } => {
                self.pipe_done(pipe, generation);
                None
            }
            Event::Deferred { pid, slot } => {
                let ops = std::mem::take(&mut self.deferred[slot as usize]);
                self.free_deferred.push(slot);
                for op in ops {
                    match op {
                        SocketOp::Send(conn, msg) => self.send(pid, conn, msg),
                        SocketOp::Close(conn) => self.close(pid, conn),
                    }
                }
                None
            }
            Event::Resume { .. } | Event::Wake { .. } | Event::PowerOn { .. } => {
                unreachable!("the world handles these")
            }
        }
    }

    // ---------------------------------------------------------------- timers

    fn set_timer(&mut self, pid: ProcessId, timer: T, after: Duration) {
        self.timer_gen = self.timer_gen.wrapping_add(1);
        let generation = self.timer_gen;
        let timers = &mut self.tasks[pid.0 as usize].timers;
        match timers.iter_mut().find(|(t, _)| *t == timer) {
            Some(slot) => slot.1 = generation,
            None => timers.push((timer, generation)),
        }
        self.queue.push(self.now + after, Event::Timer { pid, generation, timer });
    }

    fn fire_timer(
        &mut self,
        pid: ProcessId,
        generation: u32,
        timer: T,
    ) -> Option<(ProcessId, Input<M, T>)> {
        let timers = &mut self.tasks[pid.0 as usize].timers;
        let i = timers.iter().position(|&(t, g)| t == timer && g == generation)?;
        timers.swap_remove(i);
        self.trace_msg(|t| TraceEvent::Timer { t, pid, timer: &timer });
        Some((pid, Input::Timer(timer)))
    }

    // ---------------------------------------------------------------- process lifecycle

    /// The process starts listening.
    pub fn task_started(&mut self, pid: ProcessId) {
        self.tasks[pid.0 as usize].listening = true;
    }

    /// The process died: its timers vanish, its port closes, and its kernel closes every socket.
    pub fn task_died(&mut self, pid: ProcessId) {
        let task = &mut self.tasks[pid.0 as usize];
        task.listening = false;
        task.timers.clear();
        let ends = std::mem::take(&mut task.open_ends);
        for end in ends {
            // What the process had not written yet dies with it.
            self.purge_pipe(end);
            self.end_mut(end).open = false;
            self.fin(end);
        }
    }

    /// The process's host lost power: its timers vanish, its port closes, and its sockets vanish
    /// with no FIN and no RST. Peers learn nothing; their data goes unacknowledged (the network
    /// drops everything to a host that is down) until `tcp_retries2` gives up or the host answers
    /// again with resets.
    pub fn task_lost_power(&mut self, pid: ProcessId) {
        let task = &mut self.tasks[pid.0 as usize];
        task.listening = false;
        task.timers.clear();
        let ends = std::mem::take(&mut task.open_ends);
        for end in ends {
            self.conns[end.index()].early.clear();
            let end = self.end_mut(end);
            end.open = false;
            end.flow.held.clear();
            end.flow.acknowledged();
        }
    }

    /// A payload reached a host without power: it is lost. Data stays the sender's to retransmit
    /// (its retransmission clock starts now, if it was not running), so the sender sees a timeout
    /// or, once the host is back, a reset.
    fn lost_at_dead_host(&mut self, to: ConnId, n: u32, payload: Payload<M>) {
        let from = to.peer();
        self.trace_msg(|t| TraceEvent::Discard { t, conn: from, n });
        if !matches!(payload, Payload::Data(_)) || !self.end(from).open {
            return;
        }
        let now = self.now;
        let flow = &mut self.end_mut(from).flow;
        flow.held.push_front((n, payload));
        if flow.unacked_since.is_none() {
            flow.unacked_since = Some(now);
            flow.rto_gen = flow.rto_gen.wrapping_add(1);
            let generation = flow.rto_gen;
            self.queue.push(now + RTO_MIN, Event::Retransmit { from, generation, k: 0 });
        }
    }

    // ---------------------------------------------------------------- connections

    fn end(&self, id: ConnId) -> &End<M> {
        &self.conns[id.index()].ends[id.side()]
    }

    fn end_mut(&mut self, id: ConnId) -> &mut End<M> {
        &mut self.conns[id.index()].ends[id.side()]
    }

    fn packet(from: Addr, to: Addr) -> Packet {
        Packet { src: from.host, dst: to.host, sport: from.port, dport: to.port }
    }

    fn connect(&mut self, pid: ProcessId, id: ConnId, to: Addr) {
        assert_eq!(id.index(), self.conns.len(), "connection ids are handed out in order");
        let host = self.tasks[pid.0 as usize].addr.host;
        let next = &mut self.next_ephemeral[host.0 as usize];
        let port = *next;
        *next = if port >= EPHEMERAL_HI { EPHEMERAL_LO } else { port + 1 };
        let connector = End { pid, addr: Addr::new(host, port), open: true, flow: Flow::default() };
        let acceptor =
            End { pid: ProcessId(u32::MAX), addr: to, open: false, flow: Flow::default() };
        self.conns.push(Connection {
            link: self.net.link_id(host, to.host),
            ends: [connector, acceptor],
            handshake: Handshake::Connecting { started: self.now },
            early: Vec::new(),
        });
        self.tasks[pid.0 as usize].open_ends.push(id);
        self.trace_msg(|t| TraceEvent::Connect { t, conn: id, pid, host: to.host, port: to.port });
        self.syn_attempt(id.index() as u32, 0);
    }

    fn still_connecting(&self, conn: u32) -> bool {
        let c = &self.conns[conn as usize];
        matches!(c.handshake, Handshake::Connecting { .. }) && c.ends[0].open
    }

    /// Sends SYN number `attempt` (0 = the first).
    fn syn_attempt(&mut self, conn: u32, attempt: u8) {
        let c = &self.conns[conn as usize];
        let (a, b) = (c.ends[0].addr, c.ends[1].addr);
        match self.net.verdict(&Self::packet(a, b)) {
            Verdict::Pass => {
                let d = self.net.delay(a.host, b.host).unwrap_or(Duration::ZERO);
                self.queue.push(self.now + d, Event::SynArrive { conn, attempt });
            }
            Verdict::Dropped => self.syn_dropped(conn, attempt),
            Verdict::Rejected(_) => {
                let d = self.net.delay(a.host, b.host).unwrap_or(Duration::ZERO);
                self.queue.push(self.now + d, Event::Refused { conn });
            }
        }
    }

    fn syn_dropped(&mut self, conn: u32, attempt: u8) {
        let id = ConnId::connector(conn);
        self.trace_msg(|t| TraceEvent::SynDropped { t, conn: id });
        let Handshake::Connecting { started } = self.conns[conn as usize].handshake else { return };
        match self.syn.retries.get(attempt as usize) {
            Some(&after) => {
                let at = (started + after).max(self.now);
                self.queue.push(at, Event::SynRetry { conn, attempt: attempt + 1 });
            }
            None => {
                let at = (started + self.syn.give_up).max(self.now);
                self.queue.push(at, Event::ConnectTimeout { conn });
            }
        }
    }

    fn syn_arrive(&mut self, conn: u32, attempt: u8) -> Option<(ProcessId, Input<M, T>)> {
        if !self.still_connecting(conn) {
            return None;
        }
        let c = &self.conns[conn as usize];
        let (a, b) = (c.ends[0].addr, c.ends[1].addr);
        if self.net.verdict(&Self::packet(b, a)) != Verdict::Pass {
            // The SYN-ACK (or the RST) is lost: the connector will retransmit its SYN.
            self.syn_dropped(conn, attempt);
            return None;
        }
        let d = self.net.delay(b.host, a.host).unwrap_or(Duration::ZERO);
        let listener = self.pid_at(b).filter(|&pid| self.tasks[pid.0 as usize].listening);
        let Some(lpid) = listener else {
            self.queue.push(self.now + d, Event::Refused { conn });
            return None;
        };
        let acc = ConnId::connector(conn).peer();
        let at = self.now + d;
        let c = &mut self.conns[conn as usize];
        c.handshake = Handshake::Accepted;
        let end = &mut c.ends[1];
        end.pid = lpid;
        end.open = true;
        // Nothing the acceptor sends may overtake the connector's news of the handshake.
        end.flow.last_arrival = at;
        self.tasks[lpid.0 as usize].open_ends.push(acc);
        self.queue.push(at, Event::Established { conn });
        self.trace_msg(|t| TraceEvent::Accept { t, conn: acc, pid: lpid });
        Some((lpid, Input::Accepted(acc, a)))
    }

    fn established(&mut self, conn: u32) -> Option<(ProcessId, Input<M, T>)> {
        let id = ConnId::connector(conn);
        self.conns[conn as usize].handshake = Handshake::Established;
        if self.net.host_down(self.end(id).addr.host) {
            return None;
        }
        if !self.end(id).open {
            // The connector gave up (or died) meanwhile: its kernel ends the connection.
            self.transmit(id, Payload::Fin);
            return None;
        }
        self.trace_msg(|t| TraceEvent::Established { t, conn: id });
        let early = std::mem::take(&mut self.conns[conn as usize].early);
        for msg in early {
            self.transmit(id, Payload::Data(msg));
        }
        Some((self.end(id).pid, Input::Connected(id)))
    }

    fn connect_failed(
        &mut self,
        conn: u32,
        error: ConnectError,
    ) -> Option<(ProcessId, Input<M, T>)> {
        if !self.still_connecting(conn) {
            return None;
        }
        let id = ConnId::connector(conn);
        self.conns[conn as usize].handshake = Handshake::Failed;
        self.conns[conn as usize].early.clear();
        self.forget_end(id);
        self.trace_msg(|t| TraceEvent::ConnectFailed { t, conn: id, error });
        Some((self.end(id).pid, Input::ConnectFailed(id, error)))
    }

    /// Marks an end closed and removes it from its process's sockets.
    fn forget_end(&mut self, id: ConnId) {
        let end = self.end_mut(id);
        end.open = false;
        let pid = end.pid;
        let ends = &mut self.tasks[pid.0 as usize].open_ends;
        if let Some(i) = ends.iter().position(|&e| e == id) {
            ends.swap_remove(i);
        }
    }

    #[inline]
    fn send(&mut self, pid: ProcessId, id: ConnId, msg: M) {
        let slow = self.net.slow_path() || self.trace_messages || self.net.shaped();
        let Some(c) = self.conns.get_mut(id.index()) else { return };
        let [a, b] = &mut c.ends;
        let me = if id.side() == 0 { a } else { b };
        if !me.open || me.pid != pid {
            return;
        }
        if id.side() == 0
            && matches!(c.handshake, Handshake::Connecting { .. } | Handshake::Accepted)
        {
            c.early.push(msg);
            return;
        }
        // The fast path: no rule anywhere, nothing outstanding on this direction, no tracing.
        if let (false, true, Some(link)) = (slow, me.flow.is_clear(), c.link) {
            let n = me.flow.sent;
            me.flow.sent = n.wrapping_add(1);
            let at = (self.now + self.net.delay_on(link)).max(me.flow.last_arrival);
            me.flow.last_arrival = at;
            self.queue.push(at, Event::Arrive { to: id.peer(), n, payload: Payload::Data(msg) });
            return;
        }
        self.transmit(id, Payload::Data(msg));
    }

    fn close(&mut self, pid: ProcessId, id: ConnId) {
        let Some(c) = self.conns.get(id.index()) else { return };
        let end = &c.ends[id.side()];
        if !end.open || end.pid != pid {
            return;
        }
        self.forget_end(id);
        self.trace_msg(|t| TraceEvent::Closed { t, conn: id, reason: CloseReason::Eof });
        // What a bandwidth-limited link had not sent yet is dropped with the socket (the model
        // has no socket buffer size: the queue stands for the process's own output buffer).
        self.purge_pipe(id);
        self.fin(id);
    }

    /// The socket of `id` is closed: its kernel sends a FIN after whatever is still queued.
    fn fin(&mut self, id: ConnId) {
        let c = &mut self.conns[id.index()];
        match (c.handshake, id.side()) {
            // The connector's FIN goes out when the handshake completes (see `established`).
            (Handshake::Connecting { .. } | Handshake::Accepted, 0) => c.early.clear(),
            (Handshake::Accepted | Handshake::Established, _) => self.transmit(id, Payload::Fin),
            (Handshake::Connecting { .. } | Handshake::Failed, _) => {}
        }
    }

    /// Sends one payload in the direction `from` -> peer, following the TCP model of `tcp.rs`.
    fn transmit(&mut self, from: ConnId, payload: Payload<M>) {
        let flow = &mut self.end_mut(from).flow;
        let n = flow.sent;
        flow.sent = n.wrapping_add(1);
        let route = self.route(from);
        if let (true, Payload::Data(msg)) = (self.trace_messages, &payload) {
            let held = route == Route::Hold;
            self.trace_msg(|t| TraceEvent::Send { t, conn: from, n, msg, held });
        }
        match route {
            Route::Deliver => self.deliver(from, n, payload),
            Route::Hold => self.end_mut(from).flow.held.push_back((n, payload)),
            Route::Reset => {
                // `--reject-with tcp-reset`: the sender's own socket is reset.
                self.queue
                    .push(self.now, Event::Arrive { to: from, n: u32::MAX, payload: Payload::Rst });
            }
        }
    }

    /// Decides what happens to the next payload of direction `from` -> peer, and starts the
    /// retransmission clock when acknowledgements stop.
    fn route(&mut self, from: ConnId) -> Route {
        let c = &self.conns[from.index()];
        let (me, peer) = (&c.ends[from.side()], &c.ends[from.side() ^ 1]);
        if !self.net.slow_path() && me.flow.is_clear() {
            return Route::Deliver;
        }
        let (src, dst) = (me.addr, peer.addr);
        if !me.flow.held.is_empty() {
            return Route::Hold;
        }
        let data = self.net.verdict(&Self::packet(src, dst));
        if data == Verdict::Rejected(RejectWith::TcpReset) {
            return Route::Reset;
        }
        let data_ok = data == Verdict::Pass;
        let ack_ok = self.net.verdict(&Self::packet(dst, src)) == Verdict::Pass;
        let now = self.now;
        let flow = &mut self.end_mut(from).flow;
        match flow.unacked_since {
            Some(oldest) => {
                // Once the retransmission timer has fired the sender only retransmits its oldest
                // segment: nothing new leaves.
                if !data_ok || !flow.still_sends(oldest, now, RTO_MIN) {
                    return Route::Hold;
                }
                if ack_ok {
                    // This segment's acknowledgement covers everything before it.
                    flow.acknowledged();
                } else if flow.joined_at == Instant::MAX {
                    flow.joined_at = now;
                }
                Route::Deliver
            }
            None if data_ok && ack_ok => Route::Deliver,
            None => {
                flow.unacked_since = Some(now);
                flow.rto_gen = flow.rto_gen.wrapping_add(1);
                let generation = flow.rto_gen;
                self.queue.push(now + RTO_MIN, Event::Retransmit { from, generation, k: 0 });
                if data_ok { Route::Deliver } else { Route::Hold }
            }
        }
    }

    /// Puts a payload on the wire: it arrives after the link's latency, never before the previous
    /// payload of the same direction.
    fn put_on_wire(&mut self, from: ConnId, n: u32, payload: Payload<M>) {
        let c = &mut self.conns[from.index()];
        let d = c.link.map_or(Duration::ZERO, |link| self.net.delay_on(link));
        let me = &mut c.ends[from.side()];
        let at = (self.now + d).max(me.flow.last_arrival);
        me.flow.last_arrival = at;
        self.queue.push(at, Event::Arrive { to: from.peer(), n, payload });
    }

    /// A retransmission timer of direction `from` -> peer fired.
    fn retransmit(
        &mut self,
        from: ConnId,
        generation: u32,
        k: u8,
    ) -> Option<(ProcessId, Input<M, T>)> {
        let c = &self.conns[from.index()];
        let (me, peer) = (&c.ends[from.side()], &c.ends[from.side() ^ 1]);
        if me.flow.rto_gen != generation {
            return None;
        }
        let (src, dst) = (me.addr, peer.addr);
        let healed = self.net.verdict(&Self::packet(src, dst)) == Verdict::Pass
            && self.net.verdict(&Self::packet(dst, src)) == Verdict::Pass;
        let now = self.now;
        let flow = &mut self.end_mut(from).flow;
        if healed {
            flow.acknowledged();
            let held = std::mem::take(&mut flow.held);
            if !held.is_empty() {
                let count = held.len() as u32;
                self.trace_msg(|t| TraceEvent::Release { t, conn: from, count });
            }
            for (n, payload) in held {
                self.deliver(from, n, payload);
            }
            None
        } else if k + 1 >= TCP_RETRIES2 {
            // tcp_retries2 exhausted: the sender's socket fails; the peer never hears of it.
            flow.acknowledged();
            flow.held.clear();
            self.purge_pipe(from);
            if !self.end(from).open {
                return None;
            }
            self.forget_end(from);
            self.trace_msg(|t| TraceEvent::Closed { t, conn: from, reason: CloseReason::TimedOut });
            Some((self.end(from).pid, Input::Closed(from, CloseReason::TimedOut)))
        } else {
            self.queue
                .push(now + rto_backoff(k + 1), Event::Retransmit { from, generation, k: k + 1 });
            None
        }
    }

    /// A payload reaches end `to`.
    #[inline]
    fn arrive(
        &mut self,
        to: ConnId,
        n: u32,
        payload: Payload<M>,
    ) -> Option<(ProcessId, Input<M, T>)> {
        let end = self.end(to);
        if self.net.host_down(end.addr.host) {
            self.lost_at_dead_host(to, n, payload);
            return None;
        }
        if !end.open {
            let from = to.peer();
            self.trace_msg(|t| TraceEvent::Discard { t, conn: from, n });
            // Data for a socket that no longer exists is answered with a reset.
            if matches!(payload, Payload::Data(_)) && self.end(from).open {
                self.transmit(to, Payload::Rst);
            }
            return None;
        }
        let pid = end.pid;
        match payload {
            Payload::Data(msg) => {
                self.trace_msg(|t| TraceEvent::Recv { t, conn: to.peer(), n });
                self.stats.delivered += 1;
                Some((pid, Input::Message(to, msg)))
            }
            Payload::Fin | Payload::Rst => {
                let reason = if matches!(payload, Payload::Fin) {
                    CloseReason::Eof
                } else {
                    CloseReason::Reset
                };
                self.forget_end(to);
                self.purge_pipe(to);
                self.trace_msg(|t| TraceEvent::Closed { t, conn: to, reason });
                Some((pid, Input::Closed(to, reason)))
            }
        }
    }
}
