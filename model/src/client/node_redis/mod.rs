//! The node-redis client (`redis` 6.2.1, `createSentinel({ name, sentinelRootNodes })` and a
//! master lease per command), as a state machine inside [`Client`]: the workload issues one
//! command at a time and node-redis decides where it goes. Each rule cites its source file and
//! function; the README's Fidelity section ("The node-redis client") lists them all.
//!
//! - `settings.rs`: the options and their defaults;
//! - `topology.rs`: `RedisSentinelInternal.#connect`'s rounds of `observe` (the three SENTINEL
//!   queries on a fresh client per sentinel, in `sentinelRootNodes` order), `analyze` and
//!   `transform`, the sentinel client's `PSUBSCRIBE` and what breaks it;
//! - `execute.rs`: `RedisSentinelInternal.execute` (rediscover and retry on READONLY and on a
//!   master client that is not ready), the master clients' sockets and `reconnectStrategy`.
//!
//! Left out: replicas (`replicaPoolSize` 0 by default), the handshake a node client sends when
//! it connects (`CLIENT SETINFO`, answered before any command), `pingInterval`,
//! `nodeAddressMap`, client-side caching and pub/sub through the master (`PubSubProxy`).

mod execute;
pub mod settings;
mod topology;

use super::Client;
use crate::observe::{LibraryNote, Note};
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use settings::NodeRedis;
use sim::{Addr, ConnId, Input};
use std::collections::VecDeque;

/// `observe`'s client on one sentinel (`#createClient(node, ..., false)`: no reconnects).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observing {
    conn: ConnId,
    /// Its index in `sentinelRootNodes`.
    idx: usize,
    sentinel: Addr,
    /// The replies to `SENTINEL SENTINELS`, `MASTER` and `REPLICAS`, in order.
    replies: Vec<Reply>,
}

/// `#sentinelClient`, the one that carries the `PSUBSCRIBE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentinelClient {
    addr: Addr,
    /// `None` once it failed (`reconnectStrategy: false`): it stays the current sentinel.
    conn: Option<ConnId>,
}

/// One of `#masterClients`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MasterClient {
    addr: Addr,
    conn: Option<ConnId>,
    /// `isReady`.
    ready: bool,
    /// `RedisSocket.#connect`'s `retries`.
    retries: u32,
    /// `isOpen`: false once `reconnectStrategy` gave up.
    open: bool,
}

/// What a `transform` is still waiting for (`Promise.all(promises)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Awaiting {
    sentinel: bool,
    masters: bool,
}

/// A node-redis client's state.
#[derive(Clone, Debug)]
pub(super) struct NrState {
    settings: NodeRedis,
    /// `#sentinelSeedNodes`.
    seeds: Vec<Addr>,
    /// `#sentinelRootNodes`.
    roots: Vec<Addr>,
    /// `#isReady`: the first `connect()` succeeded.
    ready: bool,
    /// `#connectPromise` is set: a `#connect` loop runs.
    connecting: bool,
    /// `#anotherReset`.
    another_reset: bool,
    /// `#connect`'s failed rounds.
    rounds: u32,
    observing: Option<Observing>,
    transform: Option<Awaiting>,
    sentinel: Option<SentinelClient>,
    masters: Vec<MasterClient>,
    /// Operations written on master client 0, oldest first (its `waitingForReply`).
    written: VecDeque<u64>,
    /// `execute`'s `iter` for the operation in flight.
    rediscovers: u32,
    /// The operation in flight waits for `#connectPromise`.
    waiting: bool,
}

impl NrState {
    pub(super) fn new(settings: NodeRedis, sentinels: &[Addr]) -> Self {
        NrState {
            settings,
            seeds: sentinels.to_vec(),
            roots: sentinels.to_vec(),
            ready: false,
            connecting: false,
            another_reset: false,
            rounds: 0,
            observing: None,
            transform: None,
            sentinel: None,
            masters: Vec::new(),
            written: VecDeque::new(),
            rediscovers: 0,
            waiting: false,
        }
    }
}

impl Client {
    /// The same client as node-redis with `settings` would behave.
    pub fn node_redis(mut self, settings: NodeRedis) -> Self {
        self.nr = Some(Box::new(NrState::new(settings, self.sentinels())));
        self
    }

    fn nr(&mut self) -> &mut NrState {
        self.nr.as_deref_mut().expect("only a node-redis client reaches node-redis code")
    }

    /// A line of the client's story, in node-redis' words.
    fn nr_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// One input to a node-redis client.
    pub(super) fn nr_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.nr_command_timeout(ctx, seq),
            Input::Timer(Timer::NodeRedisTimeout(conn)) => {
                self.nr_lost(ctx, conn, "Connection timeout".to_string(), true);
            }
            Input::Timer(Timer::NodeRedisSocketTimeout(conn)) => self.nr_socket_timeout(ctx, conn),
            Input::Timer(Timer::NodeRedisRediscover) => self.nr_round(ctx),
            Input::Timer(Timer::NodeRedisReconnect(i)) => self.nr_reconnect(ctx, i),
            Input::Timer(Timer::NodeRedisScan) => self.nr_scan(ctx),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.nr_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let error = match e {
                    sim::ConnectError::Refused => "connect ECONNREFUSED".to_string(),
                    sim::ConnectError::TimedOut => "connect ETIMEDOUT".to_string(),
                };
                self.nr_lost(ctx, conn, error, true);
            }
            Input::Message(conn, Msg::Reply(r)) => self.nr_reply(ctx, conn, r),
            Input::Message(conn, Msg::Push { channel, message }) => {
                self.nr_push(ctx, conn, &channel, &message);
            }
            Input::Message(..) => {}
            Input::Closed(conn, _) => {
                self.nr_lost(ctx, conn, "Socket closed unexpectedly".to_string(), false);
            }
        }
    }

    /// A connection is up.
    fn nr_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        ctx.cancel_timer(Timer::NodeRedisTimeout(conn));
        let nr = self.nr();
        if nr.observing.as_ref().is_some_and(|o| o.conn == conn) {
            // The queries were written with the connect; now their command timeout runs.
            if let Some(t) = nr.settings.command_timeout {
                ctx.set_timer(Timer::NodeRedisTimeout(conn), t);
            }
            return;
        }
        if nr.sentinel.is_some_and(|s| s.conn == Some(conn)) {
            return self.nr_sentinel_up(ctx);
        }
        if let Some(i) = nr.masters.iter().position(|m| m.conn == Some(conn)) {
            self.nr_master_up(ctx, i);
        }
    }

    /// `conn` failed, closed or timed out (`timeout`: connecting or the queries) with `error`.
    fn nr_lost(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, error: String, connecting: bool) {
        ctx.cancel_timer(Timer::NodeRedisTimeout(conn));
        let nr = self.nr();
        if nr.observing.as_ref().is_some_and(|o| o.conn == conn) {
            ctx.close(conn);
            return self.nr_observe_failed(ctx, error);
        }
        if nr.sentinel.is_some_and(|s| s.conn == Some(conn)) {
            ctx.close(conn);
            return self.nr_sentinel_failed(ctx, error);
        }
        if let Some(i) = nr.masters.iter().position(|m| m.conn == Some(conn)) {
            ctx.close(conn);
            self.nr_master_lost(ctx, i, error, connecting, false);
        }
    }

    /// The process died: every connection and queue is gone.
    pub(super) fn nr_crash(&mut self) {
        let sentinels = self.sentinels().to_vec();
        let nr = self.nr();
        *nr = NrState::new(nr.settings.clone(), &sentinels);
    }
}

#[cfg(test)]
mod tests;
