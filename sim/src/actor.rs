//! Actors are sans-IO state machines. An actor sees `(now, input)` and writes effects into an
//! outbox ([`Ctx`]): send on a connection, open or close one, set or cancel a named timer, record a
//! note (a log line or an observation). It never touches the world, the network or another actor's
//! random stream, so the same actor runs in the kernel, in a property test, and in a unit test with
//! no world at all ([`Outbox`]).

use crate::ids::{Addr, ConnId, ProcessId};
use crate::rng::Rng;
use crate::time::{Duration, Instant};

/// A protocol participant driven by the kernel.
pub trait Actor {
    /// What travels on connections.
    type Msg: serde::Serialize + 'static;
    /// Timer names. Each name has at most one pending timer; setting it again replaces it.
    type Timer: Copy + Eq + std::fmt::Debug + serde::Serialize + 'static;
    /// What the actor records for observers: log lines, history, state changes.
    type Note: serde::Serialize + 'static;

    /// The process starts (or restarts after a kill): the actor reloads what its persistence kept.
    fn start(&mut self, ctx: &mut Ctx<'_, Self::Msg, Self::Timer, Self::Note>);

    /// One input arrives. The kernel hands inputs only to a running process (started, not
    /// killed, not paused), so an actor never checks whether it is up.
    fn handle(
        &mut self,
        ctx: &mut Ctx<'_, Self::Msg, Self::Timer, Self::Note>,
        input: Input<Self::Msg, Self::Timer>,
    );

    /// The process was killed: drop everything in memory, keep what persistence would have kept.
    fn crash(&mut self);

    /// The size of `msg` on the wire in bytes, which links with a finite bandwidth take time to
    /// carry. The default, 0, makes every message take its latency alone.
    fn msg_size(_msg: &Self::Msg) -> u64 {
        0
    }

    /// The host lost power at `now` (this process's wall clock: `wall_us`): as [`Actor::crash`],
    /// but only what reached the disk survives, not what was still in the operating system's page
    /// cache. The default treats it as a kill, right for an actor whose files are all synced.
    fn power_loss(&mut self, now: Instant, wall_us: u64) {
        let _ = (now, wall_us);
        self.crash();
    }
}

/// Why a connect did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectError {
    /// Nothing listens there, or a REJECT rule answered: `Connection refused`, at once.
    Refused,
    /// Every SYN retransmission went unanswered: `Connection timed out`.
    TimedOut,
}

/// Why an established connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// The peer closed it, or its process died (end-of-file).
    Eof,
    /// A reset arrived (data sent to a closed socket, or a `--reject-with tcp-reset` rule).
    Reset,
    /// The kernel gave up retransmitting (`tcp_retries2`).
    TimedOut,
}

/// One input to an actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<M, T> {
    /// A timer set earlier fired.
    Timer(T),
    /// A connection this actor opened is established.
    Connected(ConnId),
    /// A connection this actor opened failed.
    ConnectFailed(ConnId, ConnectError),
    /// A peer connected to this process's port.
    Accepted(ConnId, Addr),
    /// A message arrived.
    Message(ConnId, M),
    /// A connection ended. The end is gone: sending on it does nothing.
    Closed(ConnId, CloseReason),
}

/// What an actor asks the kernel to do. Applied in order, at the instant the actor ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<M, T, N> {
    /// Send a message on a connection.
    Send(ConnId, M),
    /// Open a connection (the id was handed out by [`Ctx::connect`]).
    Connect(ConnId, Addr),
    /// Close a connection.
    Close(ConnId),
    /// Set (or replace) the named timer.
    SetTimer(T, Duration),
    /// Cancel the named timer, if pending.
    CancelTimer(T),
    /// Record a note.
    Note(N),
    /// The step keeps the process busy this long (a blocking disk write, say): what it sent or
    /// closed leaves when it is done, and inputs arriving meanwhile wait.
    Busy(Duration),
}

/// The actor's view of one step: the time, its identity, its own random stream, and the outbox.
pub struct Ctx<'a, M, T, N> {
    now: Instant,
    wall_us: u64,
    me: ProcessId,
    addr: Addr,
    rng: &'a mut Rng,
    out: &'a mut Vec<Effect<M, T, N>>,
    next_conn: &'a mut u32,
    busy: Duration,
}

impl<'a, M, T, N> Ctx<'a, M, T, N> {
    pub(crate) fn new(
        now: Instant,
        wall_us: u64,
        me: ProcessId,
        addr: Addr,
        rng: &'a mut Rng,
        out: &'a mut Vec<Effect<M, T, N>>,
        next_conn: &'a mut u32,
    ) -> Self {
        Ctx { now, wall_us, me, addr, rng, out, next_conn, busy: Duration::ZERO }
    }

    /// Virtual time (monotonic; the same for every process).
    #[inline]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// This process's wall clock in microseconds since the Unix epoch. It follows virtual time
    /// unless a clock jump moved it.
    #[inline]
    pub fn wall_us(&self) -> u64 {
        self.wall_us
    }

    /// This process.
    pub fn me(&self) -> ProcessId {
        self.me
    }

    /// The address this process listens on.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// This process's own random stream.
    #[inline]
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// A duration drawn uniformly from `lo..=hi` from this process's stream (timer jitter).
    pub fn jitter(&mut self, lo: Duration, hi: Duration) -> Duration {
        Duration::from_micros(self.rng.between(lo.as_micros(), hi.as_micros()))
    }

    /// Sends `msg` on `conn`. Messages sent before the connection is established wait for it.
    #[inline]
    pub fn send(&mut self, conn: ConnId, msg: M) {
        self.out.push(Effect::Send(conn, msg));
    }

    /// Opens a connection to `to` and returns this side's end. The outcome arrives as
    /// [`Input::Connected`] or [`Input::ConnectFailed`].
    pub fn connect(&mut self, to: Addr) -> ConnId {
        let id = ConnId::connector(*self.next_conn);
        *self.next_conn += 1;
        self.out.push(Effect::Connect(id, to));
        id
    }

    /// Closes `conn`; the peer reads end-of-file once everything sent before has arrived.
    pub fn close(&mut self, conn: ConnId) {
        self.out.push(Effect::Close(conn));
    }

    /// Sets the named timer to fire `after` from now, replacing a pending one of the same name.
    #[inline]
    pub fn set_timer(&mut self, timer: T, after: Duration) {
        self.out.push(Effect::SetTimer(timer, after));
    }

    /// Cancels the named timer.
    pub fn cancel_timer(&mut self, timer: T) {
        self.out.push(Effect::CancelTimer(timer));
    }

    /// Records a note.
    pub fn note(&mut self, note: N) {
        self.out.push(Effect::Note(note));
    }

    /// This step keeps the process busy for `d`, as a blocking call does an event loop: the
    /// messages it sends and the connections it closes go out when it is done (the loop writes
    /// its buffers after the step returns), and inputs arriving meanwhile wait for it.
    pub fn busy(&mut self, d: Duration) {
        self.busy = self.busy + d;
        self.out.push(Effect::Busy(d));
    }

    /// How long this step keeps the process busy so far.
    pub(crate) fn busy_for(&self) -> Duration {
        self.busy
    }
}

/// A stand-alone outbox for driving an actor with no world: unit tests call `ctx(now)`, feed
/// inputs, and inspect the effects.
pub struct Outbox<M, T, N> {
    /// Effects written so far.
    pub effects: Vec<Effect<M, T, N>>,
    rng: Rng,
    next_conn: u32,
    me: ProcessId,
    addr: Addr,
    /// Added to virtual time to make the wall clock (microseconds since the Unix epoch).
    pub wall_base_us: u64,
}

impl<M, T, N> Outbox<M, T, N> {
    /// An outbox for process `me` at `addr`, with a random stream from `seed`.
    pub fn new(seed: u64, me: ProcessId, addr: Addr) -> Self {
        Outbox {
            effects: Vec::new(),
            rng: Rng::stream(seed, "outbox"),
            next_conn: 0,
            me,
            addr,
            wall_base_us: 0,
        }
    }

    /// A context at `now` writing into this outbox.
    pub fn ctx(&mut self, now: Instant) -> Ctx<'_, M, T, N> {
        let wall = self.wall_base_us + now.as_micros();
        Ctx::new(
            now,
            wall,
            self.me,
            self.addr,
            &mut self.rng,
            &mut self.effects,
            &mut self.next_conn,
        )
    }

    /// Takes the effects written so far.
    pub fn take(&mut self) -> Vec<Effect<M, T, N>> {
        std::mem::take(&mut self.effects)
    }
}
