//! The ioredis client (5.11.1, `new Redis({ sentinels, name })` or `new Redis(port, host)`), as
//! a state machine inside [`Client`]: the workload still issues one command at a time, and
//! ioredis decides where it goes and when it is answered. Each rule cites its source file and
//! function; the README's Fidelity section ("The ioredis client") lists them all.
//!
//! - `settings.rs`: the options and their defaults (`lib/redis/RedisOptions.ts`);
//! - `connector.rs`: `SentinelConnector.connect` resolving the master through the sentinels
//!   (`SentinelIterator` order, `GET-MASTER-ADDR-BY-NAME`, `updateSentinels`);
//! - `queue.rs`: `Redis.sendCommand` (offline queue, command queue, `commandTimeout`), the
//!   ready check, `closeHandler`'s reconnects and `maxRetriesPerRequest`, replies and
//!   `reconnectOnError`;
//! - `detector.rs`: the `FailoverDetector` (`failoverDetector: true`).
//!
//! Left out: the `CLIENT SETINFO` pair ioredis sends before the ready check (one round trip
//! whose errors it ignores), `disconnectTimeout` (a closed connection counts as closed at once),
//! `maxLoadingRetryTime` (loading is instantaneous in the model), pipelines and `natMap`.

mod connector;
mod detector;
mod queue;
pub mod settings;

use super::Client;
use crate::observe::{LibraryNote, Note};
use crate::resp::Command;
use crate::wire::{Msg, NodeCtx, Timer};
use settings::Ioredis;
use sim::{Addr, ConnId, Input};
use std::collections::VecDeque;

/// `Redis.status`, as far as it decides where a command goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// `wait`: not connected yet (the application creates its client when its workload starts).
    Wait,
    /// `connecting`: the connector is resolving or the data connection is being opened.
    Connecting,
    /// `connect`: connected, the ready check in flight.
    Connect,
    /// `ready`: commands are written to the connection.
    Ready,
    /// `reconnecting`: waiting out `retryStrategy`'s delay.
    Reconnecting,
}

/// `SentinelIterator`: the sentinel list and a cursor that stays where the last successful
/// resolution left it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct SentinelIterator {
    sentinels: Vec<Addr>,
    cursor: usize,
}

impl SentinelIterator {
    /// `next()`: the sentinel at the cursor (advancing it), `None` when done.
    fn next(&mut self) -> Option<Addr> {
        let s = self.sentinels.get(self.cursor).copied();
        if s.is_some() {
            self.cursor += 1;
        }
        s
    }

    /// `reset(moveCurrentEndpointToFirst)`: back to the start; with `true`, the sentinel last
    /// returned and every one after it move to the front (`unshift(...splice(cursor - 1))`;
    /// JavaScript's `splice(-1)` takes the last one when the cursor is 0).
    fn reset(&mut self, move_current_first: bool) {
        let n = self.sentinels.len();
        if move_current_first && n > 1 && self.cursor != 1 {
            let from = if self.cursor == 0 { n - 1 } else { self.cursor - 1 };
            let tail = self.sentinels.split_off(from);
            self.sentinels.splice(0..0, tail);
        }
        self.cursor = 0;
    }

    /// `add()`: appends a sentinel not yet in the list.
    fn add(&mut self, s: Addr) -> bool {
        if self.sentinels.contains(&s) {
            return false;
        }
        self.sentinels.push(s);
        true
    }
}

/// What the sentinel being asked is expected to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `SENTINEL GET-MASTER-ADDR-BY-NAME` (`resolveMaster`).
    Master,
    /// `SENTINEL SENTINELS` after the master's address (`updateSentinels`).
    Sentinels(Addr),
    /// `SENTINEL SLAVES` (`resolveSlave`, `role: "slave"`).
    Replicas,
}

/// The short-lived client `resolve` opens to one sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Resolving {
    conn: ConnId,
    sentinel: Addr,
    step: Step,
}

/// The data connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DataConn {
    conn: ConnId,
    addr: Addr,
}

/// A command in one of ioredis' queues: operation `seq` of the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Queued {
    seq: u64,
    cmd: Command,
}

/// What the next reply on the data connection answers (`commandQueue`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Wire {
    /// A workload command.
    Op(Queued),
    /// The ready check's `INFO`.
    ReadyCheck,
}

/// One of the failover detector's subscriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subscription {
    sentinel: Addr,
    conn: Option<ConnId>,
}

/// An ioredis client's state.
#[derive(Clone, Debug)]
pub(super) struct IoState {
    settings: Ioredis,
    status: Status,
    iter: SentinelIterator,
    /// The connector's `retryAttempts` (for `sentinelRetryStrategy`; 0 at each connect).
    sentinel_attempts: u32,
    /// `Redis.retryAttempts` (for `retryStrategy` and `maxRetriesPerRequest`; 0 when ready).
    retry_attempts: u32,
    resolving: Option<Resolving>,
    /// The last sentinel failure of this connect (`lastError`).
    last_error: Option<String>,
    data: Option<DataConn>,
    /// `offlineQueue`.
    offline: VecDeque<Queued>,
    /// `commandQueue`: written, waiting for replies.
    sent: VecDeque<Wire>,
    /// `prevCommandQueue`: in flight when a ready connection closed.
    prev: VecDeque<Queued>,
    detector: Vec<Subscription>,
    /// The detector's `isDisconnected`: it has acted on a `+switch-master` already.
    detected: bool,
}

impl IoState {
    pub(super) fn new(settings: Ioredis, sentinels: &[Addr]) -> Self {
        IoState {
            settings,
            status: Status::Wait,
            iter: SentinelIterator { sentinels: sentinels.to_vec(), cursor: 0 },
            sentinel_attempts: 0,
            retry_attempts: 0,
            resolving: None,
            last_error: None,
            data: None,
            offline: VecDeque::new(),
            sent: VecDeque::new(),
            prev: VecDeque::new(),
            detector: Vec::new(),
            detected: false,
        }
    }
}

impl Client {
    /// The same client as ioredis with `settings` would behave.
    pub fn ioredis(mut self, settings: Ioredis) -> Self {
        self.io = Some(Box::new(IoState::new(settings, self.sentinels())));
        self
    }

    fn io(&mut self) -> &mut IoState {
        self.io.as_deref_mut().expect("only an ioredis client reaches ioredis code")
    }

    /// A line of the client's story, in ioredis' words.
    fn io_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// The application creates its client when its workload starts, and `new Redis(...)`
    /// connects at once (`lazyConnect: false`); the first command waits in the offline queue.
    fn io_next_op(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.io().status == Status::Wait {
            self.io_connect(ctx);
        }
        self.next_op(ctx);
    }

    /// One input to an ioredis client.
    pub(super) fn io_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.io_next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.io_command_timeout(ctx, seq),
            Input::Timer(Timer::IoredisReconnect) => self.io_connect(ctx),
            Input::Timer(Timer::IoredisSentinelRetry) => self.io_next_sentinel(ctx),
            Input::Timer(Timer::IoredisConnectTimeout(conn)) => self.io_connect_timeout(ctx, conn),
            Input::Timer(Timer::IoredisResubscribe(i)) => self.io_resubscribe(ctx, i),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.io_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let error = match e {
                    sim::ConnectError::Refused => {
                        let to = self.io_peer(conn).map(|a| self.dir.addr(a)).unwrap_or_default();
                        format!("connect ECONNREFUSED {to}")
                    }
                    sim::ConnectError::TimedOut => "connect ETIMEDOUT".to_string(),
                };
                self.io_lost(ctx, conn, error);
            }
            Input::Message(conn, Msg::Reply(r)) => self.io_reply(ctx, conn, r),
            Input::Message(conn, Msg::Push { channel, message }) => {
                self.io_push(ctx, conn, &channel, &message);
            }
            Input::Message(..) => {}
            Input::Closed(conn, _) => self.io_lost(ctx, conn, "Connection is closed.".to_string()),
        }
    }

    /// Where `conn` goes, if it is one of this client's.
    fn io_peer(&mut self, conn: ConnId) -> Option<Addr> {
        let io = self.io();
        if let Some(r) = io.resolving.filter(|r| r.conn == conn) {
            return Some(r.sentinel);
        }
        if let Some(d) = io.data.filter(|d| d.conn == conn) {
            return Some(d.addr);
        }
        io.detector.iter().find(|s| s.conn == Some(conn)).map(|s| s.sentinel)
    }

    /// A connection is up.
    fn io_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        ctx.cancel_timer(Timer::IoredisConnectTimeout(conn));
        if self.io().data.is_some_and(|d| d.conn == conn) {
            self.io_data_connected(ctx);
        }
    }

    /// `connectTimeout` ran out on `conn`: the socket is destroyed (`connect ETIMEDOUT`).
    fn io_connect_timeout(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if self.io_peer(conn).is_some() {
            ctx.close(conn);
            self.io_lost(ctx, conn, "connect ETIMEDOUT".to_string());
        }
    }

    /// `conn` failed or closed with `error`.
    fn io_lost(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, error: String) {
        ctx.cancel_timer(Timer::IoredisConnectTimeout(conn));
        let io = self.io();
        if io.resolving.is_some_and(|r| r.conn == conn) {
            return self.io_sentinel_failed(ctx, error);
        }
        if io.data.is_some_and(|d| d.conn == conn) {
            io.data = None;
            return self.io_closed(ctx);
        }
        if let Some(i) = io.detector.iter().position(|s| s.conn == Some(conn)) {
            self.io_subscription_lost(ctx, i);
        }
    }

    /// The process died: every connection and queue is gone.
    pub(super) fn io_crash(&mut self) {
        let sentinels = self.sentinels().to_vec();
        let io = self.io();
        *io = IoState::new(io.settings.clone(), &sentinels);
    }
}

#[cfg(test)]
mod tests;
