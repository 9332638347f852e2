//! The StackExchange.Redis client (3.1.31): an application holding the `ConnectionMultiplexer`
//! that `ConnectionMultiplexer.Connect("<sentinels>,serviceName=<name>")` returned (the
//! managed primary connection of `SentinelPrimaryConnect`), a state machine of its own inside
//! the client process. What the library does, from `ConnectionMultiplexer.Sentinel.cs`,
//! `BacklogPolicy.cs`, `ResultProcessor.cs`, `PhysicalConnection.cs` and
//! `Configuration/DefaultOptionsProvider.cs`:
//! - The sentinel multiplexer connects to every sentinel and subscribes to `+switch-master`
//!   on one of them (`InitializeSentinel`); `GetSentinelMasterConnection` asks
//!   `GetConfiguredPrimaryForService` (twice if no answer), connects to the named primary and
//!   verifies it with `ROLE`, again every 100 ms until `connectTimeout` (`sentinel`).
//! - Commands go to the one primary; while it is not connected they wait in the backlog
//!   (`BacklogPolicy.Default`: `QueueWhileDisconnected`), acknowledged by nothing until sent,
//!   and time out after `syncTimeout` counted from when they were issued.
//! - A `READONLY` reply, like any error reply, is the command's `RedisServerException`; the
//!   connection stays and nothing is rediscovered (`ResultProcessor.HandleCommonError`).
//! - A timeout fails the command only: the connection stays, its late reply is discarded
//!   (`PhysicalConnection.OnBridgeHeartbeat`).
//! - A lost connection fails the command written on it (`SocketFailure`) and starts
//!   `OnManagedConnectionFailed`'s timer: `SwitchPrimary` at once, then every second, until
//!   the connection is restored.
//!
//! Simplifications (each documented in the README): one operation at a time; the
//! multiplexer's own reconnect of the lost endpoint (`ReconnectRetryPolicy` on the heartbeat)
//! is folded into the `SwitchPrimary` timer, which reconnects to the primary the sentinels
//! name; `ReconfigureAsync`'s primary election is taken to elect the sentinel-named primary;
//! replicas are not connected (`GetReplicasForService` is left out).

mod sentinel;
pub mod settings;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note, OpResult};
use crate::resp::{Command, Reply};
use crate::wire::{Msg, NodeCtx, Timer};
use settings::StackExchange;
use sim::{Addr, CloseReason, ConnId, ConnectError, Input, Instant};

/// The multiplexer's interactive connection to one sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct SentinelConn {
    conn: Option<ConnId>,
}

/// The `+switch-master` subscription on sentinel `idx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sub {
    idx: usize,
    conn: Option<ConnId>,
}

/// Where the primary's connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// Connecting, under `connectTimeout`.
    Connecting,
    /// Connected, its `ROLE` asked.
    Role,
    /// Verified primary: commands are written on it.
    Ready,
}

/// The connection to the primary the multiplexer writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Primary {
    conn: ConnId,
    addr: Addr,
    link: Link,
}

/// Why the sentinels are being asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    /// `GetSentinelMasterConnection` (the first connect).
    Connect,
    /// `SwitchPrimary`; `heard`: a `+switch-master` on sentinel `heard` started it.
    Switch { heard: Option<usize> },
}

/// `GetConfiguredPrimaryForService` in flight: every sentinel asked at once, the first
/// address wins.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ask {
    why: Why,
    /// 1 or 2: both callers ask a second time when no sentinel named an address.
    round: u8,
    /// The connections whose answer is still awaited.
    waiting: Vec<ConnId>,
    /// Names this round's `syncTimeout` timer.
    n: u64,
}

/// A StackExchange.Redis client's state.
#[derive(Clone, Debug)]
pub(super) struct SeState {
    settings: StackExchange,
    sentinels: Vec<SentinelConn>,
    sub: Option<Sub>,
    primary: Option<Primary>,
    /// The old primary's connection, kept until the command written on it is answered.
    draining: Option<ConnId>,
    ask: Option<Ask>,
    /// How many rounds were asked so far (names their timers).
    asks: u64,
    /// `GetSentinelMasterConnection` returned: the managed connection exists.
    managed: bool,
    /// `GetSentinelMasterConnection`'s `connectTimeout` ends then.
    deadline: Option<Instant>,
    /// `sentinelPrimaryReconnectTimer` is running.
    timer: bool,
    /// The operation in flight was written (not in the backlog); on which connection.
    written: Option<ConnId>,
    /// Replies still owed to commands that timed out on the primary's connection.
    orphans: u32,
}

impl SeState {
    fn new(settings: StackExchange) -> Self {
        SeState {
            settings,
            sentinels: Vec::new(),
            sub: None,
            primary: None,
            draining: None,
            ask: None,
            asks: 0,
            managed: false,
            deadline: None,
            timer: false,
            written: None,
            orphans: 0,
        }
    }
}

impl Client {
    /// The same client as a StackExchange.Redis application with `settings` would behave.
    pub fn stackexchange(mut self, settings: StackExchange) -> Self {
        self.se = Some(Box::new(SeState::new(settings)));
        self
    }

    fn se(&mut self) -> &mut SeState {
        self.se.as_deref_mut().expect("only a StackExchange.Redis client reaches its code")
    }

    /// A line of the client's story, in StackExchange.Redis' words.
    fn se_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    fn se_service(&self) -> String {
        match &self.kind {
            ClientKind::Sentinel { service, .. } => service.clone(),
            _ => String::new(),
        }
    }

    /// One input to a StackExchange.Redis client.
    pub(super) fn se_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.se_timeout(ctx, seq),
            Input::Timer(Timer::SeAsk(n)) => self.se_ask_timeout(ctx, n),
            Input::Timer(Timer::SeSwitch) => self.se_switch_tick(ctx),
            Input::Timer(Timer::SeRetry) => self.se_ask(ctx, Why::Connect),
            Input::Timer(Timer::SeResubscribe) => self.se_subscribe(ctx),
            Input::Timer(Timer::SeConnect(conn)) => {
                self.se_primary_lost(ctx, conn, "UnableToConnect (connect timeout)");
            }
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.se_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let why = match e {
                    ConnectError::Refused => "UnableToConnect (connection refused)",
                    ConnectError::TimedOut => "UnableToConnect (connect timeout)",
                };
                if !self.se_sentinel_closed(ctx, conn) {
                    self.se_primary_lost(ctx, conn, why);
                }
            }
            Input::Message(conn, Msg::Reply(r)) => self.se_reply(ctx, conn, r),
            Input::Message(conn, Msg::Push { channel, message }) => {
                self.se_push(ctx, conn, &channel, &message);
            }
            Input::Message(..) => {}
            Input::Closed(conn, reason) => {
                let why = match reason {
                    CloseReason::Eof => "SocketClosed (EOF)",
                    CloseReason::Reset => "SocketFailure (connection reset)",
                    CloseReason::TimedOut => "SocketFailure (connection timed out)",
                };
                if !self.se_sentinel_closed(ctx, conn) {
                    self.se_primary_lost(ctx, conn, why);
                }
            }
        }
    }

    /// The workload issued an operation: written on the verified primary, else queued in the
    /// backlog; either way `syncTimeout` runs from now.
    pub(super) fn se_send(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(seq) = self.pending.as_ref().map(|p| p.seq) else { return };
        let after = self.se().settings.sync_timeout;
        ctx.set_timer(Timer::ClientTimeout(seq), after);
        self.se().written = None;
        if matches!(self.kind, ClientKind::Sentinel { .. }) && self.se().sentinels.is_empty() {
            return self.se_start(ctx);
        }
        if self.se().primary.is_none() && !matches!(self.kind, ClientKind::Sentinel { .. }) {
            if let ClientKind::Plain { addr } = self.kind {
                self.se_open(ctx, addr);
            }
        }
        self.se_flush(ctx);
    }

    /// The backlog's operation is written if the primary is verified.
    fn se_flush(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(p) = self.se().primary.filter(|p| p.link == Link::Ready) else { return };
        if self.se().written.is_some() {
            return;
        }
        let Some(pending) = &mut self.pending else { return };
        pending.node = Some(p.addr);
        ctx.send(p.conn, Msg::Cmd(pending.op.command()));
        self.se().written = Some(p.conn);
    }

    /// The multiplexer connects to `addr` (`ReconfigureAsync`), under `connectTimeout`.
    fn se_open(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let conn = ctx.connect(addr);
        let after = self.se().settings.connect_timeout;
        ctx.set_timer(Timer::SeConnect(conn), after);
        self.se().primary = Some(Primary { conn, addr, link: Link::Connecting });
    }

    fn se_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if self.se_sentinel_connected(conn) {
            return;
        }
        let plain = matches!(self.kind, ClientKind::Plain { .. });
        let Some(p) = self.se().primary.as_mut().filter(|p| p.conn == conn) else { return };
        ctx.cancel_timer(Timer::SeConnect(conn));
        if plain {
            p.link = Link::Ready;
            return self.se_flush(ctx);
        }
        p.link = Link::Role;
        ctx.send(conn, Msg::Cmd(Command::Role));
    }

    /// The operation's `syncTimeout` passed: a written command fails with `Timeout awaiting
    /// response` (its connection kept, its reply owed), a queued one with the backlog's
    /// timeout.
    fn se_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) {
            return;
        }
        let ms = self.se().settings.sync_timeout.as_micros() / 1000;
        let result = match self.se().written.take() {
            Some(conn) => {
                if self.se().draining == Some(conn) {
                    self.se().draining = None;
                    ctx.close(conn);
                } else {
                    self.se().orphans += 1;
                }
                OpResult::Timeout
            }
            None => OpResult::Error {
                error: format!(
                    "The message timed out in the backlog attempting to send because no connection became available ({ms}ms)"
                ),
            },
        };
        self.finish(ctx, result);
    }

    fn se_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if self.se_sentinel_reply(ctx, conn, &r) {
            return;
        }
        if self.se().draining == Some(conn) {
            self.se().draining = None;
            ctx.close(conn);
            return self.se_answer(ctx, r);
        }
        let Some(p) = self.se().primary.filter(|p| p.conn == conn) else { return };
        if p.link == Link::Role {
            return self.se_role(ctx, p, &r);
        }
        if self.se().orphans > 0 {
            self.se().orphans -= 1;
            return;
        }
        if self.se().written == Some(conn) {
            self.se_answer(ctx, r);
        }
    }

    /// The written command's reply: an error reply (`READONLY` included) is the command's
    /// `RedisServerException`, nothing more.
    fn se_answer(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        if let Some(p) = &self.pending {
            ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        }
        self.se().written = None;
        let result = match r {
            Reply::Error(error) => OpResult::Error { error },
            other => OpResult::Ok { value: super::reply::reply_value(&other, &self.ok) },
        };
        self.finish(ctx, result);
    }

    /// The primary's connection (or its connect) failed with `why`: the command written on
    /// it fails, and `OnManagedConnectionFailed` starts the `SwitchPrimary` timer.
    fn se_primary_lost(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, why: &str) {
        if self.se().draining == Some(conn) {
            self.se().draining = None;
            return self.se_written_lost(ctx, conn, why);
        }
        let Some(p) = self.se().primary.filter(|p| p.conn == conn) else { return };
        ctx.cancel_timer(Timer::SeConnect(conn));
        ctx.close(conn);
        self.se().primary = None;
        self.se().orphans = 0;
        let at = self.dir.addr(p.addr);
        self.se_written_lost(ctx, conn, why);
        if matches!(self.kind, ClientKind::Plain { .. }) {
            // A plain multiplexer: the next command connects again.
            return;
        }
        if !self.se().managed {
            // GetSentinelMasterConnection's loop: again after its sleep.
            return self.se_connect_again(ctx);
        }
        self.se_note(ctx, format!("connection to {at} failed: {why}; OnManagedConnectionFailed starts SwitchPrimary every 1s"));
        self.se_start_timer(ctx);
    }

    /// The command written on `conn` fails with a `RedisConnectionException` (it may have
    /// been applied).
    fn se_written_lost(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, why: &str) {
        if self.se().written != Some(conn) {
            return;
        }
        self.se().written = None;
        if let Some(p) = &self.pending {
            ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        }
        self.finish(ctx, OpResult::Lost { error: why.to_string() });
    }

    /// The process died: every connection is gone, and the next start connects anew.
    pub(super) fn se_crash(&mut self) {
        let s = self.se();
        *s = SeState::new(s.settings.clone());
    }
}

#[cfg(test)]
mod tests;
