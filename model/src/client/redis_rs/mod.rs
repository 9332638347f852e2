//! The redis-rs client (`redis` crate 1.8.2, feature `sentinel`): an application holding a
//! `SentinelClient` (`SentinelServerType::Master`) and the `MultiplexedConnection` that
//! `get_async_connection_with_config` returned, a state machine of its own inside the client
//! process. What the crate does, from `redis/src/sentinel.rs`:
//! - `async_find_master_address`: each sentinel in the order given to `SentinelClient::build`
//!   (never reordered) is asked `SENTINEL MASTERS` on the connection `async_try_single_sentinel`
//!   caches per sentinel; a new one is verified with `ROLE` first (`async_reconnect`: a node that
//!   is not a sentinel is refused). A cached connection that fails with an I/O error or an
//!   unrecoverable one is replaced and the query asked once more; any other error moves on.
//! - `is_master_valid`: an entry counts if its `name` is the service, it has `ip` and `port`,
//!   and its `flags` hold `master` and neither `s_down` nor `o_down`.
//! - `async_determine_master_from_role_or_info_replication`: the named master is connected to
//!   and asked `ROLE`; not `master` moves on to the next entry, then the next sentinel; a failed
//!   connect or `ROLE` is remembered and outranks "Master with given name not found in sentinel".
//! - The crate's own connections use `get_multiplexed_async_connection()`'s defaults
//!   (`connection_timeout` 1 s, `response_timeout` 500 ms); the data connection the caller's.
//! - Nothing subscribes to `+switch-master`, nothing retries a command, a `MultiplexedConnection`
//!   never reconnects: a READONLY reply is the caller's error and the connection stays, a
//!   timeout fails the request and the connection stays. The application modelled drops its
//!   connection after any error and asks the `SentinelClient` again for its next operation
//!   (`reuse-connection = false`: for every operation).
//!
//! Simplification: `async_find_master_address` runs up to 3 sentinels' lookups at once
//! (`MAX_CONCURRENT_SENTINEL_LOOKUPS`) and takes their results in list order; the model asks
//! them one after another, the same answer, later when an earlier sentinel is slow.

mod lookup;
pub mod settings;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note, OpResult};
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use settings::RedisRs;
use sim::{Addr, ConnId, Input};

/// What the connection the lookup waits on is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// `async_reconnect`: `ROLE` on a new connection to the sentinel (`retried`: the second
    /// attempt, after the cached connection failed).
    SentinelRole { retried: bool },
    /// `SENTINEL MASTERS` on the sentinel's verified connection.
    Masters { retried: bool },
    /// `ROLE` on a connection to `addr`, a master the sentinel named; `rest`: its next entries.
    MasterRole { addr: Addr, rest: Vec<Addr> },
}

/// One `async_find_master_address` in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Lookup {
    /// The sentinel asked, by its place in the list.
    pos: usize,
    step: Step,
    conn: ConnId,
    /// The connection is up (a timeout is then the response's, else the connect's).
    up: bool,
    /// An error met on a master a sentinel named.
    master_err: Option<String>,
    /// The last other error.
    last_err: Option<String>,
}

/// A sentinel's cached connection (`async_connections_cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cached {
    conn: ConnId,
    /// False once the server closed it: the next query on it fails at once.
    alive: bool,
}

/// The application's `MultiplexedConnection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DataConn {
    conn: ConnId,
    addr: Addr,
    up: bool,
    alive: bool,
}

/// A redis-rs client's state.
#[derive(Clone, Debug)]
pub(super) struct RsState {
    settings: RedisRs,
    cache: Vec<Option<Cached>>,
    lookup: Option<Lookup>,
    data: Option<DataConn>,
}

impl RsState {
    fn new(settings: RedisRs, sentinels: usize) -> Self {
        RsState { settings, cache: vec![None; sentinels], lookup: None, data: None }
    }
}

impl Client {
    /// The same client as a redis-rs application with `settings` would behave.
    pub fn redis_rs(mut self, settings: RedisRs) -> Self {
        let n = self.sentinels().len();
        self.rs = Some(Box::new(RsState::new(settings, n)));
        self
    }

    fn rs(&mut self) -> &mut RsState {
        self.rs.as_deref_mut().expect("only a redis-rs client reaches redis-rs code")
    }

    /// A line of the client's story, in redis-rs' words.
    fn rs_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// One input to a redis-rs client.
    pub(super) fn rs_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.rs_response_timeout(ctx, seq),
            Input::Timer(Timer::RedisRsTimeout(conn)) => self.rs_timeout(ctx, conn),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.rs_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let error = match e {
                    sim::ConnectError::Refused => "Connection refused (os error 111)",
                    sim::ConnectError::TimedOut => "Connection timed out (os error 110)",
                };
                self.rs_failed(ctx, conn, error.to_string());
            }
            Input::Message(conn, Msg::Reply(r)) => self.rs_reply(ctx, conn, r),
            Input::Message(..) => {}
            Input::Closed(conn, _) => self.rs_closed(ctx, conn),
        }
    }

    /// The workload issued an operation: send it on the connection kept, or get one.
    pub(super) fn rs_send(&mut self, ctx: &mut NodeCtx<'_>) {
        match self.rs().data {
            Some(d) if !d.alive => {
                // The driver task is gone: the request fails at once.
                self.rs_drop_data(ctx);
                let error = "broken pipe".to_string();
                self.finish(ctx, OpResult::Error { error });
            }
            Some(d) if d.up => self.rs_write(ctx, d),
            Some(_) => {}
            None => match &self.kind {
                ClientKind::Plain { addr } => {
                    let addr = *addr;
                    self.rs_open_data(ctx, addr);
                }
                _ => self.rs_lookup(ctx, 0, None, None),
            },
        }
    }

    /// Writes the pending operation on `d`, with the caller's `response_timeout`.
    fn rs_write(&mut self, ctx: &mut NodeCtx<'_>, d: DataConn) {
        let after = self.rs().settings.response_timeout;
        let Some(p) = &mut self.pending else { return };
        p.node = Some(d.addr);
        ctx.send(d.conn, Msg::Cmd(p.op.command()));
        ctx.set_timer(Timer::ClientTimeout(p.seq), after);
    }

    /// The application drops its connection.
    fn rs_drop_data(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(d) = self.rs().data.take() {
            ctx.cancel_timer(Timer::RedisRsTimeout(d.conn));
            ctx.close(d.conn);
        }
    }

    /// Ends the operation; the application drops its connection after an error, or after
    /// every operation without `reuse-connection`.
    fn rs_finish(&mut self, ctx: &mut NodeCtx<'_>, result: OpResult) {
        let failed = !matches!(result, OpResult::Ok { .. });
        if failed || !self.rs().settings.reuse_connection {
            self.rs_drop_data(ctx);
        }
        self.finish(ctx, result);
    }

    fn rs_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let response = RedisRs::DEFAULT_RESPONSE_TIMEOUT;
        let rs = self.rs();
        if let Some(l) = rs.lookup.as_mut().filter(|l| l.conn == conn) {
            l.up = true;
            ctx.set_timer(Timer::RedisRsTimeout(conn), response);
            return;
        }
        if let Some(d) = rs.data.as_mut().filter(|d| d.conn == conn) {
            d.up = true;
            let d = *d;
            ctx.cancel_timer(Timer::RedisRsTimeout(conn));
            if self.pending.is_some() {
                self.rs_write(ctx, d);
            }
        }
    }

    /// A connect or a reply of `conn` did not come in time.
    fn rs_timeout(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if self.rs().lookup.as_ref().is_some_and(|l| l.conn == conn) {
            return self.rs_failed(ctx, conn, "timed out".to_string());
        }
        if self.rs().data.is_some_and(|d| d.conn == conn) {
            self.rs_failed(ctx, conn, "connection timed out".to_string());
        }
    }

    /// `response_timeout` of the operation in flight: it fails, and the application drops the
    /// connection (the reply, if it comes, is never read).
    fn rs_response_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_some_and(|p| p.seq == seq) {
            self.rs_finish(ctx, OpResult::Timeout);
        }
    }

    /// `conn` failed to connect, timed out or closed, with `error`.
    fn rs_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, error: String) {
        ctx.cancel_timer(Timer::RedisRsTimeout(conn));
        if self.rs().lookup.as_ref().is_some_and(|l| l.conn == conn) {
            return self.rs_lookup_failed(ctx, error);
        }
        if let Some(d) = self.rs().data.filter(|d| d.conn == conn) {
            self.rs().data = None;
            ctx.close(conn);
            if self.pending.is_none() {
                return;
            }
            let result = if d.up {
                // The request was on the wire: its fate is unknown.
                OpResult::Lost { error }
            } else {
                OpResult::Error { error }
            };
            return self.rs_finish(ctx, result);
        }
        // An idle cached sentinel connection.
        let rs = self.rs();
        if let Some(c) = rs.cache.iter_mut().flatten().find(|c| c.conn == conn) {
            c.alive = false;
        }
    }

    fn rs_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let idle = self.pending.as_ref().is_none_or(|p| p.node.is_none());
        if let Some(d) = self.rs().data.as_mut().filter(|d| d.conn == conn && d.up) {
            if idle {
                // Idle: the connection is dead, and the application learns it at its next
                // request.
                d.alive = false;
                return;
            }
        }
        self.rs_failed(ctx, conn, "Connection reset by peer (os error 104)".to_string());
    }

    fn rs_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if self.rs().lookup.as_ref().is_some_and(|l| l.conn == conn) {
            ctx.cancel_timer(Timer::RedisRsTimeout(conn));
            return self.rs_lookup_reply(ctx, r);
        }
        if self.rs().data.is_none_or(|d| d.conn != conn) {
            return;
        }
        if self.pending.as_ref().is_none_or(|p| p.node.is_none()) {
            return;
        }
        let result = match r {
            Reply::Error(error) => OpResult::Error { error },
            other => OpResult::Ok { value: super::reply::reply_value(&other, &self.ok) },
        };
        self.rs_finish(ctx, result);
    }

    /// The process died: every connection is gone.
    pub(super) fn rs_crash(&mut self) {
        let n = self.sentinels().len();
        let rs = self.rs();
        *rs = RsState::new(rs.settings.clone(), n);
    }
}

#[cfg(test)]
mod tests;
