//! The Redisson client (4.7.0): an application holding `Redisson.create(config)` with
//! `useSentinelServers()`, a state machine of its own inside the client process. What
//! Redisson does, from `redisson/src/main/java/org/redisson/` and the classes it uses:
//! - `connection/SentinelConnectionManager.doConnect` (startup): each sentinel address in the
//!   config's order gets a connection (`connectTimeout`); a failed connect moves on. The first
//!   that connects is asked `SENTINEL GET-MASTER-ADDR-BY-NAME` (a `null` answer throws "Master
//!   node is undefined!"), then `SENTINEL SENTINELS`, whose entries and the sentinel asked are
//!   the sentinels it registers; with `checkSentinelsList` fewer than two fail the startup.
//! - `scheduleChangeCheck` ([`scan`]): every `scanInterval` the registered sentinels are
//!   shuffled (`Collections.shuffle`) and `checkState` takes them in turn: a sentinel it cannot
//!   connect to is skipped at once; the first that connects is asked `SENTINEL
//!   GET-MASTER-ADDR-BY-NAME` (`checkMasterChange`, one retry after `retryDelay` when it fails);
//!   an answer is taken as it is (no `ROLE`, no flags): a different address calls
//!   `changeMaster`. A failed query waits `scanInterval` and asks the next sentinel.
//! - `MasterSlaveEntry.changeMaster`/`setupMasterEntry`: the new master's pool connects first
//!   (`initConnections`); only then does it replace the old one, whose connections are closed
//!   (`nodeDown`); when it cannot connect, `currentMaster` goes back ("Unable to change
//!   master").
//! - `command/RedisExecutor` ([`executor`]): a command waits `timeout` for its reply, then is
//!   sent again after `retryDelay` while `attempt < retryAttempts`; `READONLY`, `LOADING`,
//!   `NOREPLICAS`, `BUSY`, `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN` and `WAIT` replies
//!   (`RedisReadonlyException`, `RedisRetryException`) are retried the same way; each attempt
//!   goes to the master of that moment.
//!
//! The application builds its client when its first operation is due; when the startup fails,
//! that operation fails and the next one builds it again. It runs one operation at a time, so
//! its master pool holds one connection (`masterConnectionMinimumIdleSize` 24 is left out).
//!
//! Simplifications: Redisson runs on netty's event loop and timers; here all of it is events of
//! the one client process. Sentinel registration does not wait for each sentinel's connect;
//! `SENTINEL SLAVES` (replica bookkeeping for reads) and the rounds' `SENTINEL SENTINELS`
//! (`checkSentinelsChange`) are left out; reads go to the master (`ReadMode.MASTER`).

mod executor;
mod scan;
pub mod settings;
mod startup;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note};
use crate::wire::{Msg, NodeCtx, Timer};
use settings::Redisson;
use sim::{Addr, ConnId, Input};

/// Where the master pool's connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pooled {
    /// Connecting.
    Connecting,
    /// Idle in the pool.
    Idle,
    /// The command's attempt is on it.
    Busy,
    /// The server closed it under a command: `ConnectionWatchdog` reconnects after its
    /// `reconnectionDelay`.
    Reconnecting,
    /// The watchdog's reconnect is under way; when it is up the command on it fails with
    /// `RedisReconnectedException`.
    Rejoining,
}

/// The master pool's one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolConn {
    conn: ConnId,
    addr: Addr,
    state: Pooled,
    /// Replies still owed to attempts that timed out (they complete nothing).
    stale: u32,
}

/// A cached sentinel connection (`nodeConnections`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NodeConn {
    sentinel: Addr,
    conn: ConnId,
    up: bool,
    stale: u32,
}

/// `doConnect` in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Startup {
    /// The sentinel's place in the config's list.
    pos: usize,
    conn: ConnId,
    /// `GET-MASTER-ADDR-BY-NAME` answered with this master; `SENTINEL SENTINELS` is asked.
    master: Option<Addr>,
}

/// A `checkState` round: the shuffled sentinels and the one being asked.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Round {
    order: Vec<Addr>,
    next: usize,
    /// The sentinel asked, on which connection, and how many tries its query had.
    asking: Option<(Addr, ConnId, u32)>,
    /// A sentinel failed this round (`lastException`).
    failed: bool,
}

/// A Redisson client's state.
#[derive(Clone, Debug)]
pub(super) struct RdState {
    settings: Redisson,
    startup: Option<Startup>,
    /// The client was built.
    built: bool,
    /// `currentMaster`.
    master: Option<Addr>,
    /// The master entry's address (where commands go).
    entry: Option<Addr>,
    /// `setupMasterEntry` under way: its connection, the new master and the old one.
    changing: Option<(ConnId, Addr, Option<Addr>)>,
    /// The registered sentinels.
    sentinels: Vec<Addr>,
    nodes: Vec<NodeConn>,
    round: Option<Round>,
    conn: Option<PoolConn>,
    /// The pending command's attempt.
    attempt: u32,
    /// That attempt is on the wire, waiting for its reply.
    in_flight: bool,
}

impl RdState {
    fn new(settings: Redisson) -> Self {
        RdState {
            settings,
            startup: None,
            built: false,
            master: None,
            entry: None,
            changing: None,
            sentinels: Vec::new(),
            nodes: Vec::new(),
            round: None,
            conn: None,
            attempt: 0,
            in_flight: false,
        }
    }
}

impl Client {
    /// The same client as a Redisson application with `settings` would behave.
    pub fn redisson(mut self, settings: Redisson) -> Self {
        self.rd = Some(Box::new(RdState::new(settings)));
        self
    }

    fn rd(&mut self) -> &mut RdState {
        self.rd.as_deref_mut().expect("only a Redisson client reaches Redisson code")
    }

    /// A line of the client's story, in Redisson's words.
    fn rd_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// The service the client asks for.
    fn rd_service(&self) -> &str {
        match &self.kind {
            ClientKind::Sentinel { service, .. } => service,
            _ => "",
        }
    }

    /// One input to a Redisson client.
    pub(super) fn rd_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.rd_response_timeout(ctx, seq),
            Input::Timer(Timer::RedissonTimeout(conn)) => self.rd_failed(ctx, conn),
            Input::Timer(Timer::RedissonScan) => self.rd_scan(ctx),
            Input::Timer(Timer::RedissonRequery) => self.rd_requery(ctx),
            Input::Timer(Timer::RedissonRetry) => self.rd_retry(ctx),
            Input::Timer(Timer::RedissonReconnect(conn)) => self.rd_reconnect(ctx, conn),
            Input::Timer(_) | Input::Accepted(..) | Input::Message(_, Msg::Push { .. }) => {}
            Input::Connected(conn) => self.rd_connected(ctx, conn),
            Input::ConnectFailed(conn, _) => self.rd_failed(ctx, conn),
            Input::Message(conn, Msg::Reply(r)) => self.rd_reply(ctx, conn, r),
            Input::Message(..) => {}
            Input::Closed(conn, _) => self.rd_closed(ctx, conn),
        }
    }

    /// `conn` is up.
    fn rd_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        ctx.cancel_timer(Timer::RedissonTimeout(conn));
        let timeout = self.rd().settings.timeout;
        let rd = self.rd();
        if rd.startup.is_some_and(|s| s.conn == conn) {
            // The query sent with the connect has `timeout` from now on.
            return ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
        }
        if let Some(n) = rd.nodes.iter_mut().find(|n| n.conn == conn) {
            n.up = true;
            return ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
        }
        if rd.changing.is_some_and(|(c, ..)| c == conn) {
            return self.rd_master_changed(ctx);
        }
        self.rd_pool_connected(ctx, conn);
    }

    /// `conn` failed to connect, or its connect or sentinel query timed out.
    fn rd_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        ctx.cancel_timer(Timer::RedissonTimeout(conn));
        let rd = self.rd();
        if rd.startup.is_some_and(|s| s.conn == conn) {
            return self.rd_startup_failed(ctx);
        }
        if rd.nodes.iter().any(|n| n.conn == conn) {
            return self.rd_sentinel_failed(ctx, conn);
        }
        if rd.changing.is_some_and(|(c, ..)| c == conn) {
            return self.rd_change_failed(ctx);
        }
        self.rd_pool_failed(ctx, conn);
    }

    /// The server or sentinel closed `conn`.
    fn rd_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let rd = self.rd();
        if rd.nodes.iter().any(|n| n.conn == conn) {
            rd.nodes.retain(|n| n.conn != conn);
            if rd.round.as_ref().and_then(|r| r.asking).is_some_and(|(_, c, _)| c == conn) {
                ctx.cancel_timer(Timer::RedissonTimeout(conn));
                return self.rd_query_done(ctx, None);
            }
            return;
        }
        if rd.startup.is_some_and(|s| s.conn == conn)
            || rd.changing.is_some_and(|(c, ..)| c == conn)
        {
            return self.rd_failed(ctx, conn);
        }
        self.rd_pool_closed(ctx, conn);
    }

    /// A reply on `conn`.
    fn rd_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: crate::resp::Reply) {
        if self.rd().startup.is_some_and(|s| s.conn == conn) {
            ctx.cancel_timer(Timer::RedissonTimeout(conn));
            return self.rd_startup_reply(ctx, r);
        }
        if self.rd().nodes.iter().any(|n| n.conn == conn) {
            return self.rd_sentinel_reply(ctx, conn, r);
        }
        self.rd_pool_reply(ctx, conn, r);
    }

    /// The process died: every connection and timer is gone; the application builds its
    /// client again.
    pub(super) fn rd_crash(&mut self) {
        let rd = self.rd();
        *rd = RdState::new(rd.settings.clone());
    }
}

#[cfg(test)]
mod tests;
