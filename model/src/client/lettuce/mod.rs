//! The Lettuce client (7.7.0.RELEASE): an application holding the `StatefulRedisConnection`
//! that `RedisClient.connect(RedisURI.Builder.sentinel(...))` returned, using its synchronous
//! API, as a state machine of its own inside the client process. What Lettuce does, from
//! `src/main/java/io/lettuce/core/`:
//! - `RedisClient.getSocketAddress` / `lookupRedis`: the address comes from the sentinels at
//!   every connect and every reconnect: `connectSentinelAsync` connects to the sentinels in list
//!   order (never reordered), moving on only when a connect (or its handshake) fails; on the
//!   first one connected, `SENTINEL GET-MASTER-ADDR-BY-NAME` with `timeout`. Neither a null
//!   answer nor a failed query tries another sentinel; nothing checks the answer's role.
//! - `ConnectionWatchdog.channelInactive` → `scheduleReconnect`: `reconnectDelay.createDelay`
//!   (`Delay.exponential()`: 1, 2, 4 ... ms, at most 30 s), then `run` →
//!   `ReconnectionHandler.reconnect`, which asks the sentinels again; when that lookup fails,
//!   `wrapSocketAddressSupplier` reuses the cached address (the last one). A failed reconnect
//!   schedules the next, longer; a successful one resets the attempts (`channelActive`).
//! - `DefaultEndpoint`: with `autoReconnect` a command written while disconnected waits in the
//!   disconnected buffer and is sent once the channel is active again (`notifyChannelActive`);
//!   a command in flight when the channel closed is put back there (`notifyDrainQueuedCommands`,
//!   at-least-once) and sent again. `REJECT_COMMANDS` (or `DEFAULT` without `autoReconnect`)
//!   fails both (`Currently not connected. Commands are rejected.`, `Connection disconnected`).
//! - `TimeoutOptions.enabled()`: a command not completed within `timeout` of being written fails
//!   (`Command timed out after 1 minute(s)`); its connection stays.
//! - Nothing subscribes to `+switch-master`; a READONLY reply is the caller's
//!   `RedisReadOnlyException`, and the connection stays with the server it has.
//!
//! Simplifications: the handshake is one `PING` round trip (the RESP2 handshake; Lettuce's
//! default `HELLO 3` is one round trip too, and the model's servers speak RESP2), whose
//! `-LOADING` or `-MASTERDOWN` counts as done, as `HELLO` would succeed there; the first
//! `connect()` is the application's, at its first operation, which fails with it if no address
//! or connection is had (the application calls `connect()` again at its next operation).

mod lookup;
pub mod settings;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note, OpResult};
use crate::resp::{Command, Reply};
use crate::wire::{Msg, NodeCtx, Timer};
use settings::{Lettuce, format_timeout};
use sim::{Addr, ConnId, Input, Instant};

/// How far a channel (to the server or a sentinel) has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The TCP connect, bounded by `connectTimeout`.
    Connecting,
    /// The handshake's `PING`, bounded by `timeout`.
    Handshake,
    /// Active (for a sentinel: its query sent, bounded by `timeout`).
    Active,
}

/// The connection's channel to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chan {
    conn: ConnId,
    addr: Addr,
    phase: Phase,
}

/// One `lookupRedis` in progress: the sentinel asked, by its place in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lookup {
    pos: usize,
    conn: ConnId,
    phase: Phase,
}

/// A Lettuce client's state.
#[derive(Clone, Debug)]
pub(super) struct LtState {
    settings: Lettuce,
    /// The application holds a connection (`connect()` returned).
    open: bool,
    chan: Option<Chan>,
    lookup: Option<Lookup>,
    /// The `ConnectionWatchdog`'s `remoteAddress`: the last address resolved or connected to.
    remote: Option<Addr>,
    /// The watchdog's reconnect attempts since the last active channel.
    attempts: u32,
    /// A reconnect is scheduled or running.
    reconnecting: bool,
    /// When the watchdog last logged at INFO/WARN (`shouldLog`: 5 s quiet time).
    logged: Option<Instant>,
    /// The pending command is on the active channel, waiting for its reply.
    sent: bool,
    /// The pending command was written on some channel already (a requeued one may be applied).
    ever_sent: bool,
    /// Replies the active channel still owes to commands that timed out.
    stale: u32,
}

impl LtState {
    fn new(settings: Lettuce) -> Self {
        LtState {
            settings,
            open: false,
            chan: None,
            lookup: None,
            remote: None,
            attempts: 0,
            reconnecting: false,
            logged: None,
            sent: false,
            ever_sent: false,
            stale: 0,
        }
    }
}

impl Client {
    /// The same client as a Lettuce application with `settings` would behave.
    pub fn lettuce(mut self, settings: Lettuce) -> Self {
        self.lt = Some(Box::new(LtState::new(settings)));
        self
    }

    fn lt(&mut self) -> &mut LtState {
        self.lt.as_deref_mut().expect("only a Lettuce client reaches Lettuce code")
    }

    /// A line of the client's story, in Lettuce's words.
    fn lt_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// One input to a Lettuce client.
    pub(super) fn lt_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.lt_command_timeout(ctx, seq),
            Input::Timer(Timer::LettuceTimeout(conn)) => self.lt_timeout(ctx, conn),
            Input::Timer(Timer::LettuceReconnect) => self.lt_reconnect(ctx),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.lt_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let to = self.lt_peer(conn).map(|a| self.dir.addr(a)).unwrap_or_default();
                let error = match e {
                    sim::ConnectError::Refused => format!("Connection refused: {to}"),
                    sim::ConnectError::TimedOut => format!("Connection timed out: {to}"),
                };
                self.lt_failed(ctx, conn, error);
            }
            Input::Message(conn, Msg::Reply(r)) => self.lt_reply(ctx, conn, r),
            Input::Message(..) => {}
            Input::Closed(conn, _) => self.lt_closed(ctx, conn),
        }
    }

    /// Where `conn` goes: the server, or the sentinel asked.
    fn lt_peer(&mut self, conn: ConnId) -> Option<Addr> {
        if let Some(c) = self.lt().chan.filter(|c| c.conn == conn) {
            return Some(c.addr);
        }
        let pos = self.lt().lookup.filter(|l| l.conn == conn)?.pos;
        self.sentinels().get(pos).copied()
    }

    /// The workload issued an operation: `connect()` first if the application has no
    /// connection yet, else write it (`DefaultEndpoint.write`).
    pub(super) fn lt_send(&mut self, ctx: &mut NodeCtx<'_>) {
        let lt = self.lt();
        lt.ever_sent = false;
        if !lt.open {
            if lt.chan.is_some() || lt.lookup.is_some() {
                return;
            }
            return match &self.kind {
                ClientKind::Plain { addr } => {
                    let addr = *addr;
                    self.lt_open(ctx, addr);
                }
                _ => self.lt_lookup(ctx, 0),
            };
        }
        let s = &lt.settings;
        let active = lt.chan.is_some_and(|c| c.phase == Phase::Active);
        if s.request_queue_size == 0 {
            let error = format!(
                "Request queue size exceeded: {}. Commands are not accepted until the queue size drops.",
                s.request_queue_size
            );
            return self.finish(ctx, OpResult::Error { error });
        }
        if !active && s.rejects_while_disconnected() {
            let error = "Currently not connected. Commands are rejected.".to_string();
            return self.finish(ctx, OpResult::Error { error });
        }
        // CommandExpiryWriter: the timeout runs from the write, buffered or not.
        let after = s.timeout;
        if let Some(p) = &self.pending {
            ctx.set_timer(Timer::ClientTimeout(p.seq), after);
        }
        if active {
            self.lt_write(ctx);
        }
    }

    /// Writes the pending command on the active channel.
    fn lt_write(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(c) = self.lt().chan.filter(|c| c.phase == Phase::Active) else { return };
        let Some(p) = &mut self.pending else { return };
        p.node = Some(c.addr);
        ctx.send(c.conn, Msg::Cmd(p.op.command()));
        let lt = self.lt();
        lt.sent = true;
        lt.ever_sent = true;
    }

    /// Opens the channel to `addr` (`bootstrap.connect`, `connectTimeout`).
    fn lt_open(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let conn = ctx.connect(addr);
        let lt = self.lt();
        lt.chan = Some(Chan { conn, addr, phase: Phase::Connecting });
        let after = lt.settings.connect_timeout;
        ctx.set_timer(Timer::LettuceTimeout(conn), after);
    }

    fn lt_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let timeout = self.lt().settings.timeout;
        let lt = self.lt();
        let chan = lt.chan.as_mut().filter(|c| c.conn == conn).map(|c| &mut c.phase);
        let lookup = lt.lookup.as_mut().filter(|l| l.conn == conn).map(|l| &mut l.phase);
        let Some(phase) = chan.or(lookup) else { return };
        *phase = Phase::Handshake;
        ctx.send(conn, Msg::Cmd(Command::Ping(None)));
        ctx.set_timer(Timer::LettuceTimeout(conn), timeout);
    }

    fn lt_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if self.lt().lookup.is_some_and(|l| l.conn == conn) {
            return self.lt_lookup_reply(ctx, r);
        }
        let Some(c) = self.lt().chan.filter(|c| c.conn == conn) else { return };
        if c.phase == Phase::Handshake {
            ctx.cancel_timer(Timer::LettuceTimeout(conn));
            return match r {
                // HELLO, the handshake the PING stands for, runs while loading and on a stale
                // replica (its flags carry `loading` and `stale`; PING's do not).
                Reply::Error(e) if !e.starts_with("LOADING") && !e.starts_with("MASTERDOWN") => {
                    self.lt_failed(ctx, conn, e)
                }
                _ => self.lt_active(ctx, c),
            };
        }
        let lt = self.lt();
        if lt.stale > 0 {
            // The reply of a command that timed out: read and dropped.
            lt.stale -= 1;
            return;
        }
        if !std::mem::take(&mut lt.sent) {
            return;
        }
        let result = match r {
            // RedisReadOnlyException (or any other error): the caller's, nothing else happens.
            Reply::Error(error) => OpResult::Error { error },
            other => OpResult::Ok { value: super::reply::reply_value(&other, &self.ok) },
        };
        self.finish(ctx, result);
    }

    /// The handshake completed: `channelActive` (the watchdog's attempts reset) and
    /// `notifyChannelActive` (the disconnected buffer flushed).
    fn lt_active(&mut self, ctx: &mut NodeCtx<'_>, c: Chan) {
        let lt = self.lt();
        lt.chan = Some(Chan { phase: Phase::Active, ..c });
        lt.remote = Some(c.addr);
        lt.attempts = 0;
        let reconnected = std::mem::take(&mut lt.reconnecting);
        let connecting = !std::mem::replace(&mut lt.open, true);
        if reconnected {
            let text = format!("Reconnected to {}", self.dir.addr(c.addr));
            self.lt_note(ctx, text);
        }
        if self.pending.is_none() {
            return;
        }
        if connecting {
            // connect() returned: the application writes its command now.
            return self.lt_send(ctx);
        }
        if !self.lt().sent {
            self.lt_write(ctx);
        }
    }

    /// A connect, handshake or lookup of `conn` took longer than its timeout.
    fn lt_timeout(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let s = self.lt().settings.clone();
        let phase = match (self.lt().chan, self.lt().lookup) {
            (Some(c), _) if c.conn == conn => c.phase,
            (_, Some(l)) if l.conn == conn => l.phase,
            _ => return,
        };
        let to = self.lt_peer(conn).map(|a| self.dir.addr(a)).unwrap_or_default();
        let error = match phase {
            Phase::Connecting => {
                format!("connection timed out after {} ms: {to}", s.connect_timeout.as_millis())
            }
            Phase::Handshake => {
                format!("Connection initialization timed out after {}", format_timeout(s.timeout))
            }
            Phase::Active => return self.lt_lookup_failed(ctx, lookup::query_failed(&s)),
        };
        self.lt_failed(ctx, conn, error);
    }

    /// `conn` failed to connect or to complete its handshake, or closed, with `error`.
    fn lt_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, error: String) {
        ctx.cancel_timer(Timer::LettuceTimeout(conn));
        ctx.close(conn);
        if self.lt().lookup.is_some_and(|l| l.conn == conn) {
            return self.lt_sentinel_failed(ctx, error);
        }
        let Some(c) = self.lt().chan.filter(|c| c.conn == conn) else { return };
        self.lt().chan = None;
        if c.phase == Phase::Active {
            return self.lt_inactive(ctx);
        }
        if !self.lt().open {
            // connect() throws RedisConnectionException.
            let error = format!("Unable to connect to {}: {error}", self.lt_uri());
            return self.finish(ctx, OpResult::Error { error });
        }
        let text = format!("Cannot reconnect to [{}]: {error}", self.dir.addr(c.addr));
        if self.lt_should_log(ctx) {
            self.lt_note(ctx, text);
        }
        self.lt_schedule(ctx);
    }

    fn lt_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        self.lt_failed(ctx, conn, "Connection reset by peer".to_string());
    }

    /// `channelInactive` of the active channel: the command in flight goes back to the buffer
    /// (or fails), and the watchdog schedules a reconnect.
    fn lt_inactive(&mut self, ctx: &mut NodeCtx<'_>) {
        let lt = self.lt();
        lt.stale = 0;
        let was_sent = std::mem::take(&mut lt.sent);
        let rejects = lt.settings.rejects_while_disconnected();
        let auto = lt.settings.auto_reconnect;
        if was_sent && rejects && self.pending.is_some() {
            let error = "Connection disconnected".to_string();
            self.finish(ctx, OpResult::Lost { error });
        }
        if auto {
            self.lt_schedule(ctx);
        }
    }

    /// `scheduleReconnect`: the next attempt after `reconnectDelay.createDelay(attempt)`.
    fn lt_schedule(&mut self, ctx: &mut NodeCtx<'_>) {
        let lt = self.lt();
        lt.attempts = lt.attempts.saturating_add(1);
        lt.reconnecting = true;
        let delay = lt.settings.reconnect_delay.delay(lt.attempts);
        ctx.set_timer(Timer::LettuceReconnect, delay);
    }

    /// `ConnectionWatchdog.run`: resolve the address again (through the sentinels) and
    /// connect.
    fn lt_reconnect(&mut self, ctx: &mut NodeCtx<'_>) {
        let lt = self.lt();
        if !lt.open || !lt.reconnecting || lt.chan.is_some() || lt.lookup.is_some() {
            return;
        }
        if self.lt_should_log(ctx) {
            let last = self.lt().remote.map(|a| self.dir.addr(a)).unwrap_or_default();
            self.lt_note(ctx, format!("Reconnecting, last destination was {last}"));
        }
        match &self.kind {
            ClientKind::Plain { addr } => {
                let addr = *addr;
                self.lt_open(ctx, addr);
            }
            _ => self.lt_lookup(ctx, 0),
        }
    }

    /// `shouldLog`: the watchdog logs an attempt at INFO/WARN at most once per 5 s (at DEBUG
    /// otherwise, which the story leaves out).
    fn lt_should_log(&mut self, ctx: &mut NodeCtx<'_>) -> bool {
        let now = ctx.now();
        let lt = self.lt();
        let quiet = lt.logged.is_some_and(|t| now < t + sim::Duration::from_secs(5));
        if !quiet {
            lt.logged = Some(now);
        }
        !quiet
    }

    /// The command's `timeout` ran out: it fails; the connection stays (its reply, if it comes,
    /// is dropped).
    fn lt_command_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) {
            return;
        }
        let lt = self.lt();
        if std::mem::take(&mut lt.sent) {
            lt.stale += 1;
        }
        let result = if lt.ever_sent {
            OpResult::Timeout
        } else {
            let error = format!("Command timed out after {}", format_timeout(lt.settings.timeout));
            OpResult::Error { error }
        };
        self.finish(ctx, result);
    }

    /// The URI as `RedisURI.toString` writes it (`redis-sentinel://s1:26379,...`).
    fn lt_uri(&self) -> String {
        match &self.kind {
            ClientKind::Sentinel { sentinels, service, .. } => {
                let list: Vec<String> = sentinels.iter().map(|&a| self.dir.addr(a)).collect();
                format!("redis-sentinel://{}?sentinelMasterId={service}", list.join(","))
            }
            ClientKind::Plain { addr } => format!("redis://{}", self.dir.addr(*addr)),
            ClientKind::Cli => String::new(),
        }
    }

    /// The process died: every connection is gone.
    pub(super) fn lt_crash(&mut self) {
        let lt = self.lt();
        *lt = LtState::new(lt.settings.clone());
    }
}

#[cfg(test)]
mod tests;
