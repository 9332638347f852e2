//! The Jedis client (7.5.3): an application holding a `JedisSentineled` (a `UnifiedJedis` over
//! a `SentineledConnectionProvider`, what `RedisSentinelClient` builds too), a state machine of
//! its own inside the client process. What Jedis does, from
//! `src/main/java/redis/clients/jedis/providers/SentineledConnectionProvider.java` and the
//! classes it uses:
//! - `initSentinels` (in the constructor): each sentinel in the `Set<HostAndPort>`'s iteration
//!   order ([`order`]) gets a new connection and `SENTINEL GET-MASTER-ADDR-BY-NAME`; the first
//!   address returned is the master (unverified: no `ROLE`, no flags); a connection error, a
//!   timeout or an error reply moves on. None: `JedisException` ("Can connect to sentinel, but
//!   <name> seems to be not monitored.") if one answered, else `JedisConnectionException`
//!   ("All sentinels down, ..."). Then one `SentinelListener` per sentinel starts.
//! - `SentinelListener.run`: connect, `SENTINEL GET-MASTER-ADDR-BY-NAME` and `initMaster` with
//!   the answer, then `SUBSCRIBE +switch-master` with no read timeout (`setTimeoutInfinite`); a
//!   message naming the master (`split(" ")`, fields 3 and 4) calls `initMaster`. Any
//!   `JedisException` (a connect failure, a timeout, an error reply, the connection closing)
//!   sleeps `resubscribeDelay` (5000 ms) and starts over.
//! - `initMaster`: a different address replaces the pool (`createNodePool`) and closes the old
//!   one: its idle connections are destroyed, a borrowed one is destroyed when returned.
//! - A command (`DefaultCommandExecutor.executeCommand`) borrows a connection from the current
//!   pool (`GenericObjectPool` defaults: no test on borrow, none while idle), creating one with
//!   `connectionTimeout`, and waits `soTimeout`. No command is retried. An error reply
//!   (`JedisDataException`: READONLY, NOREPLICAS, LOADING) fails the command and the
//!   connection goes back to the pool; a `JedisConnectionException` (a timeout, a reset, end of
//!   stream) marks it broken and it is destroyed (`returnBrokenResource`).
//!
//! The application builds its `JedisSentineled` when its first operation is due; when the
//! constructor throws, that operation fails and the next one builds it again. It runs one
//! operation at a time, so its pool holds one connection.
//!
//! Simplifications: the listeners are threads in Jedis; here each is a sequence of events of
//! the one client process. The `CLIENT SETINFO` pair a new connection sends before its first
//! command (one round trip, errors ignored) is left out.

mod listener;
pub mod order;
mod pool;
mod provider;
pub mod settings;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note};
use crate::wire::{Msg, NodeCtx, Timer};
use settings::Jedis;
use sim::{Addr, ConnId, Input};

/// `initSentinels` in progress: the sentinel asked (its place in [`JdState::order`]) on `conn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Init {
    pos: usize,
    conn: ConnId,
    /// A sentinel answered (`sentinelAvailable`).
    available: bool,
}

/// Where the pool's connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pooled {
    /// `makeObject`: connecting.
    Connecting,
    /// Borrowed: the operation's command is on it.
    Busy,
    /// Idle in the pool.
    Idle,
    /// Idle, but the server closed it (the pool does not know until it is used): the error
    /// the next command on it meets.
    Dead(&'static str),
}

/// The pool's one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolConn {
    conn: ConnId,
    addr: Addr,
    /// The pool it belongs to ([`JdState::pool`] when it was made).
    pool: u32,
    state: Pooled,
}

/// Where a sentinel listener is in its loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listening {
    /// `SENTINEL GET-MASTER-ADDR-BY-NAME` sent on `conn` (the connect may still be under way).
    Asking(ConnId),
    /// `SUBSCRIBE +switch-master` sent on `conn`.
    Subscribed(ConnId),
    /// Sleeping `resubscribeDelay` before it starts over.
    Sleeping,
}

/// A `SentinelListener`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listener {
    sentinel: Addr,
    step: Listening,
}

/// A Jedis client's state.
#[derive(Clone, Debug)]
pub(super) struct JdState {
    settings: Jedis,
    /// The sentinels in the order `initSentinels` and the listeners take them.
    order: Vec<Addr>,
    init: Option<Init>,
    /// The `JedisSentineled` exists.
    built: bool,
    /// `currentMaster`.
    master: Option<Addr>,
    /// The current pool's number (`initMaster` makes a new one).
    pool: u32,
    conn: Option<PoolConn>,
    listeners: Vec<Listener>,
}

impl JdState {
    fn new(settings: Jedis, order: Vec<Addr>) -> Self {
        JdState {
            settings,
            order,
            init: None,
            built: false,
            master: None,
            pool: 0,
            conn: None,
            listeners: Vec::new(),
        }
    }
}

impl Client {
    /// The same client as a Jedis application with `settings` would behave.
    pub fn jedis(mut self, settings: Jedis) -> Self {
        let sentinels = self.sentinels().to_vec();
        let names: Vec<(&str, u16)> =
            sentinels.iter().map(|a| (self.dir.name(a.host), a.port)).collect();
        let order = order::hash_set_order(&names).into_iter().map(|i| sentinels[i]).collect();
        self.jd = Some(Box::new(JdState::new(settings, order)));
        self
    }

    fn jd(&mut self) -> &mut JdState {
        self.jd.as_deref_mut().expect("only a Jedis client reaches Jedis code")
    }

    /// A line of the client's story, in Jedis' words.
    fn jd_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// The service the client asks for.
    fn jd_service(&self) -> &str {
        match &self.kind {
            ClientKind::Sentinel { service, .. } => service,
            _ => "",
        }
    }

    /// One input to a Jedis client.
    pub(super) fn jd_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.jd_so_timeout(ctx, seq),
            Input::Timer(Timer::JedisTimeout(conn)) => {
                self.jd_failed(ctx, conn, "java.net.SocketTimeoutException: Read timed out")
            }
            Input::Timer(Timer::JedisResubscribe(i)) => self.jd_listen(ctx, i),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.jd_connected(ctx, conn),
            Input::ConnectFailed(conn, _) => {
                self.jd_failed(ctx, conn, "java.net.ConnectException: Connection refused")
            }
            Input::Message(conn, Msg::Reply(r)) => self.jd_reply(ctx, conn, r),
            Input::Message(conn, Msg::Push { channel, message }) => {
                self.jd_push(ctx, conn, &channel, &message)
            }
            Input::Message(..) => {}
            Input::Closed(conn, reason) => {
                let error = match reason {
                    sim::CloseReason::Eof => "Unexpected end of stream.",
                    sim::CloseReason::Reset => "java.net.SocketException: Connection reset",
                    sim::CloseReason::TimedOut => "java.net.SocketException: Connection timed out",
                };
                self.jd_failed(ctx, conn, error)
            }
        }
    }

    /// `conn` is up.
    fn jd_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let so = self.jd().settings.sentinel_so_timeout;
        let jd = self.jd();
        let asking = jd.listeners.iter().any(|l| l.step == Listening::Asking(conn));
        if asking || jd.init.is_some_and(|i| i.conn == conn) {
            // The sentinel's reply has `sentinelSoTimeout` from now on.
            ctx.set_timer(Timer::JedisTimeout(conn), so);
            return;
        }
        self.jd_pool_connected(ctx, conn);
    }

    /// `conn` failed to connect, timed out or closed, with `error` (a connect's failure is
    /// `Failed to connect to <host:port>.` whatever its cause).
    fn jd_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, error: &'static str) {
        ctx.cancel_timer(Timer::JedisTimeout(conn));
        if self.jd().init.is_some_and(|i| i.conn == conn) {
            return self.jd_init_failed(ctx);
        }
        if let Some(i) = self.jd().listeners.iter().position(|l| l.step.conn() == Some(conn)) {
            return self.jd_listener_lost(ctx, i);
        }
        self.jd_pool_failed(ctx, conn, error);
    }

    /// A reply on `conn`.
    fn jd_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: crate::resp::Reply) {
        if self.jd().init.is_some_and(|i| i.conn == conn) {
            ctx.cancel_timer(Timer::JedisTimeout(conn));
            return self.jd_init_reply(ctx, r);
        }
        if let Some(i) = self.jd().listeners.iter().position(|l| l.step == Listening::Asking(conn))
        {
            ctx.cancel_timer(Timer::JedisTimeout(conn));
            return self.jd_listener_reply(ctx, i, r);
        }
        self.jd_pool_reply(ctx, conn, r);
    }

    /// The process died: every connection and listener is gone; the application builds its
    /// `JedisSentineled` again.
    pub(super) fn jd_crash(&mut self) {
        let jd = self.jd();
        *jd = JdState::new(jd.settings.clone(), std::mem::take(&mut jd.order));
    }
}

impl Listening {
    /// The connection this step is on.
    fn conn(self) -> Option<ConnId> {
        match self {
            Listening::Asking(c) | Listening::Subscribed(c) => Some(c),
            Listening::Sleeping => None,
        }
    }
}

#[cfg(test)]
mod tests;
