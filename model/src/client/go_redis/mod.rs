//! The go-redis client (`github.com/redis/go-redis/v9` v9.22.0): an application holding the
//! `*redis.Client` that `NewFailoverClient` returned, a state machine of its own inside the
//! client process. What the library does, from `sentinel.go`, `redis.go`, `error.go` and
//! `internal/pool/pool.go`:
//! - `NewFailoverClient` shuffles its copy of `SentinelAddrs` (`rand.Shuffle`) and gives the
//!   pool `masterReplicaDialer`: every new connection asks `sentinelFailover.MasterAddr`
//!   first, then dials the address with `DialTimeout` (`discovery`).
//! - The pool's `dialConn` makes `DialerRetries` (5) attempts, `DialerRetryTimeout` (100 ms)
//!   apart, each under its own `DialTimeout` deadline that `MasterAddr` runs under too.
//! - `baseClient.processWithRetry` runs a command up to `MaxRetries` (3) more times after an
//!   error `shouldRetry` accepts, sleeping `RetryBackoff(attempt, MinRetryBackoff,
//!   MaxRetryBackoff)` first: `EOF`, dial errors, any network error (a reset, a read timeout,
//!   a closed connection) and the `READONLY`, `LOADING`, `MASTERDOWN`, `NOREPLICAS`,
//!   `TRYAGAIN`, `CLUSTERDOWN` and max-clients replies; never a context error (a deadline) nor
//!   another reply. `releaseConn` removes a connection on a network error or a `READONLY`
//!   reply (`isBadConn`), so the retry dials, and asks the sentinel again.
//! - A pooled connection the server closed while idle is found dead at the next `Get` and
//!   replaced.
//! - The `+switch-master` listener (`listener`) and `trySwitchMaster`'s `onFailover`, which
//!   closes every pool connection to another address.
//!
//! Simplifications (each documented in the README): one operation at a time uses one pooled
//! connection; the `SentinelClient`'s own retries and dial attempts around a sentinel query
//! are left out (a sentinel query fails at its first error); `discoverSentinels`' `SENTINEL
//! SENTINELS` is not sent (the scenarios name every sentinel); the pool's fail-fast after
//! `PoolSize` failed dials is not modelled.

mod discovery;
mod listener;
pub mod settings;

use super::{Client, ClientKind};
use crate::observe::{LibraryNote, Note, OpResult};
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use settings::GoRedis;
use sim::{Addr, CloseReason, ConnId, ConnectError, Input};

/// What `shouldRetry` sees in an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `io.EOF`: the server closed the connection.
    Eof,
    /// A `*net.OpError` whose `Op` is `dial`: refused, or the connect timed out.
    Dial,
    /// `context.DeadlineExceeded`.
    Context,
    /// A read that timed out (`i/o timeout`).
    Timeout,
    /// Another network error: a reset, a connection closed under the read.
    Net,
    /// A server's error reply; `retry`: its prefix is one `shouldRetry` lists.
    Redis { retry: bool },
    /// `redis: nil` (no such master) and the like.
    Other,
}

/// An error as go-redis returns it: its text and, for `errors.Join` of several, each part's
/// kind.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GoErr {
    text: String,
    kinds: Vec<Kind>,
}

impl GoErr {
    fn new(text: impl Into<String>, kind: Kind) -> GoErr {
        GoErr { text: text.into(), kinds: vec![kind] }
    }

    /// A server's error reply.
    fn reply(e: String) -> GoErr {
        const RETRIED: [&str; 7] = [
            "LOADING ",
            "READONLY ",
            "CLUSTERDOWN ",
            "TRYAGAIN ",
            "MASTERDOWN ",
            "NOREPLICAS ",
            "ERR max number of clients reached",
        ];
        let retry = RETRIED.iter().any(|p| e.starts_with(p));
        GoErr::new(e, Kind::Redis { retry })
    }

    /// `shouldRetry`, its checks in its order (`errors.Is`/`As` see every joined part).
    fn retried(&self) -> bool {
        let any = |f: fn(&Kind) -> bool| self.kinds.iter().any(f);
        if any(|k| matches!(k, Kind::Eof | Kind::Dial)) {
            return true;
        }
        if any(|k| *k == Kind::Context) {
            return false;
        }
        any(|k| matches!(k, Kind::Timeout | Kind::Net | Kind::Redis { retry: true }))
    }
}

/// The cached `SentinelClient` (`sentinelFailover.sentinel`): sentinel `idx` of the
/// scenario's list, and its pooled connection if one is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CachedSentinel {
    idx: usize,
    conn: Option<ConnId>,
}

/// The `+switch-master` subscription (`sentinelFailover.pubsub`) on sentinel `idx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PubSub {
    idx: usize,
    conn: Option<ConnId>,
    up: bool,
}

/// The pool's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DataConn {
    conn: ConnId,
    addr: Addr,
    up: bool,
}

/// One sentinel of `MasterAddr`'s fan-out: its place in the shuffled list, its connection,
/// and whether it answered already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ask {
    pos: usize,
    conn: ConnId,
    done: bool,
}

/// Where the operation in flight is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// `_process` sleeping its retry backoff.
    Backoff,
    /// `MasterAddr` asking the cached sentinel (`second`: the retry under the lock).
    Cached { conn: ConnId, second: bool },
    /// `MasterAddr` asking every sentinel at once.
    FanOut { asks: Vec<Ask>, errors: Vec<GoErr> },
    /// `dialConn` waiting `DialerRetryTimeout` before its next attempt.
    DialWait,
    /// The dialer connecting to the address `MasterAddr` gave.
    Connecting,
    /// The command written, its reply awaited for `ReadTimeout`.
    Sent,
}

/// The operation's place in `processWithRetry` and `dialConn`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Attempt {
    /// `processWithRetry`'s attempt (0 first).
    attempt: u32,
    /// `dialConn`'s attempt.
    dial: u32,
    /// An earlier attempt's command may have been applied.
    unknown: bool,
    stage: Stage,
}

/// A go-redis client's state.
#[derive(Clone, Debug)]
pub(super) struct GoState {
    settings: GoRedis,
    /// `sentinelAddrs` (indices into the scenario's list) once `NewFailoverClient` shuffled it.
    order: Option<Vec<usize>>,
    sentinel: Option<CachedSentinel>,
    pubsub: Option<PubSub>,
    /// `sentinelFailover.masterAddr`.
    master: Option<Addr>,
    data: Option<DataConn>,
    op: Option<Attempt>,
    /// The number of dial attempts so far: names the current one's deadline timer.
    dials: u64,
}

impl GoState {
    fn new(settings: GoRedis) -> Self {
        GoState {
            settings,
            order: None,
            sentinel: None,
            pubsub: None,
            master: None,
            data: None,
            op: None,
            dials: 0,
        }
    }
}

impl Client {
    /// The same client as a go-redis application with `settings` would behave.
    pub fn go_redis(mut self, settings: GoRedis) -> Self {
        self.go = Some(Box::new(GoState::new(settings)));
        self
    }

    fn go(&mut self) -> &mut GoState {
        self.go.as_deref_mut().expect("only a go-redis client reaches go-redis code")
    }

    fn go_stage(&mut self) -> Option<&mut Stage> {
        self.go().op.as_mut().map(|a| &mut a.stage)
    }

    /// A line of the client's story, in go-redis' words.
    fn go_note(&mut self, ctx: &mut NodeCtx<'_>, text: String) {
        ctx.note(Note::Library(LibraryNote { client: self.name.to_string(), text }));
    }

    /// One input to a go-redis client.
    pub(super) fn go_handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.go_read_timeout(ctx, seq),
            Input::Timer(Timer::GoRedisWait) => self.go_wait_over(ctx),
            Input::Timer(Timer::GoRedisDial(n)) => self.go_deadline(ctx, n),
            Input::Timer(Timer::GoRedisResubscribe) => self.go_resubscribe(ctx),
            Input::Timer(Timer::GoRedisDialTimeout(conn)) => {
                self.go_failed(ctx, conn, GoErr::new(self.go_dial_text(conn), Kind::Dial));
            }
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.go_connected(ctx, conn),
            Input::ConnectFailed(conn, e) => {
                let why = match e {
                    ConnectError::Refused => "connect: connection refused",
                    ConnectError::TimedOut => "i/o timeout",
                };
                let text = format!("{}{why}", self.go_dial_prefix(conn));
                self.go_failed(ctx, conn, GoErr::new(text, Kind::Dial));
            }
            Input::Message(conn, Msg::Reply(r)) => self.go_reply(ctx, conn, r),
            Input::Message(conn, Msg::Push { channel, message }) => {
                self.go_push(ctx, conn, &channel, &message);
            }
            Input::Message(..) => {}
            Input::Closed(conn, reason) => self.go_closed(ctx, conn, reason),
        }
    }

    /// `dial tcp <addr>: ` for a connection the client opened.
    fn go_dial_prefix(&self, conn: ConnId) -> String {
        let data = self.go.as_deref().and_then(|g| g.data).filter(|d| d.conn == conn);
        let addr = data.map(|d| d.addr);
        let addr = addr.or_else(|| self.go_sentinel_of(conn).map(|i| self.sentinels()[i]));
        addr.map_or_else(
            || "dial tcp: ".to_string(),
            |a| format!("dial tcp {}: ", self.dir.addr(a)),
        )
    }

    /// A connect that outlived `DialTimeout`, as `net.Dialer` reports it.
    fn go_dial_text(&self, conn: ConnId) -> String {
        format!("{}i/o timeout", self.go_dial_prefix(conn))
    }

    /// The workload issued an operation: `processWithRetry`'s first attempt.
    pub(super) fn go_send(&mut self, ctx: &mut NodeCtx<'_>) {
        self.go().op = Some(Attempt { attempt: 0, dial: 0, unknown: false, stage: Stage::Sent });
        self.go_attempt(ctx);
    }

    /// `_process`: the pooled connection if there is one, else a new one.
    fn go_attempt(&mut self, ctx: &mut NodeCtx<'_>) {
        match self.go().data {
            Some(d) if d.up => self.go_write(ctx, d),
            _ => {
                if let Some(a) = self.go().op.as_mut() {
                    a.dial = 0;
                }
                self.go_dial(ctx);
            }
        }
    }

    /// One of `dialConn`'s attempts: `masterReplicaDialer` under a `DialTimeout` deadline.
    fn go_dial(&mut self, ctx: &mut NodeCtx<'_>) {
        let g = self.go();
        g.dials += 1;
        let (n, after) = (g.dials, g.settings.dial_timeout);
        ctx.set_timer(Timer::GoRedisDial(n), after);
        match &self.kind {
            ClientKind::Plain { addr } => {
                let addr = *addr;
                self.go_connect(ctx, addr);
            }
            _ => self.go_master_addr(ctx),
        }
    }

    /// The dialer connects to `addr`.
    fn go_connect(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let conn = ctx.connect(addr);
        let g = self.go();
        g.data = Some(DataConn { conn, addr, up: false });
        if let Some(s) = g.op.as_mut().map(|a| &mut a.stage) {
            *s = Stage::Connecting;
        }
    }

    /// Writes the command on `d`, its reply awaited for `ReadTimeout`.
    fn go_write(&mut self, ctx: &mut NodeCtx<'_>, d: DataConn) {
        let after = self.go().settings.read_timeout;
        if let Some(s) = self.go_stage() {
            *s = Stage::Sent;
        }
        let Some(p) = &mut self.pending else { return };
        p.node = Some(d.addr);
        ctx.send(d.conn, Msg::Cmd(p.op.command()));
        ctx.set_timer(Timer::ClientTimeout(p.seq), after);
    }

    /// The pool removes its connection (`Remove`, or `onFailover`'s `Filter`).
    fn go_drop_data(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(d) = self.go().data.take() {
            ctx.close(d.conn);
        }
    }

    /// The dial attempt failed with `err`: `dialConn` tries again after `DialerRetryTimeout`,
    /// or, its attempts spent, the command's attempt fails.
    fn go_dial_failed(&mut self, ctx: &mut NodeCtx<'_>, err: GoErr) {
        let n = self.go().dials;
        ctx.cancel_timer(Timer::GoRedisDial(n));
        let (retries, wait) = {
            let s = &self.go().settings;
            (s.dialer_retries.max(1), s.dialer_retry_timeout)
        };
        let Some(a) = self.go().op.as_mut() else { return };
        a.dial += 1;
        if a.dial < retries {
            a.stage = Stage::DialWait;
            ctx.set_timer(Timer::GoRedisWait, wait);
            return;
        }
        let text = format!(
            "redis: connection pool: failed to dial after {retries} attempts: {}",
            err.text
        );
        self.go_note(ctx, text);
        self.go_attempt_failed(ctx, err);
    }

    /// The command's attempt failed with `err`: `processWithRetry` runs it again after its
    /// backoff if `shouldRetry` says so and attempts are left; else the operation ends.
    fn go_attempt_failed(&mut self, ctx: &mut NodeCtx<'_>, err: GoErr) {
        let max = self.go().settings.max_retries;
        let Some(a) = self.go().op.clone() else { return };
        if err.retried() && a.attempt < max {
            let attempt = a.attempt + 1;
            let wait = {
                let s = self.go().settings.clone();
                s.retry_backoff(attempt, ctx.rng())
            };
            if let Some(a) = self.go().op.as_mut() {
                a.attempt = attempt;
                a.stage = Stage::Backoff;
            }
            ctx.set_timer(Timer::GoRedisWait, wait);
            return;
        }
        self.go().op = None;
        let result = if err.kinds == [Kind::Timeout] {
            OpResult::Timeout
        } else if a.unknown {
            OpResult::Lost { error: err.text }
        } else {
            OpResult::Error { error: err.text }
        };
        self.finish(ctx, result);
    }

    /// A backoff or `DialerRetryTimeout` is over.
    fn go_wait_over(&mut self, ctx: &mut NodeCtx<'_>) {
        match self.go_stage() {
            Some(Stage::Backoff) => self.go_attempt(ctx),
            Some(Stage::DialWait) => self.go_dial(ctx),
            _ => {}
        }
    }

    /// Dial attempt `n`'s `DialTimeout` deadline passed.
    fn go_deadline(&mut self, ctx: &mut NodeCtx<'_>, n: u64) {
        if self.go().dials != n {
            return;
        }
        match self.go_stage().cloned() {
            Some(Stage::Cached { .. } | Stage::FanOut { .. }) => self.go_lookup_deadline(ctx),
            Some(Stage::Connecting) => {
                let Some(d) = self.go().data else { return };
                let err = GoErr::new(self.go_dial_text(d.conn), Kind::Dial);
                self.go_drop_data(ctx);
                self.go_dial_failed(ctx, err);
            }
            _ => {}
        }
    }

    /// `ReadTimeout` of the command in flight: the connection is removed and the attempt
    /// failed (its fate unknown).
    fn go_read_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq)
            || self.go_stage() != Some(&mut Stage::Sent)
        {
            return;
        }
        let text = match self.go().data {
            Some(d) => format!("read tcp {}: i/o timeout", self.dir.addr(d.addr)),
            None => "i/o timeout".to_string(),
        };
        self.go_drop_data(ctx);
        self.go_sent_failed(ctx, GoErr::new(text, Kind::Timeout));
    }

    /// The command's attempt failed after it was written: it may have been applied.
    fn go_sent_failed(&mut self, ctx: &mut NodeCtx<'_>, err: GoErr) {
        if let Some(p) = &self.pending {
            ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        }
        if let Some(a) = self.go().op.as_mut() {
            a.unknown = true;
        }
        self.go_attempt_failed(ctx, err);
    }

    fn go_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if self.go_listener_connected(ctx, conn) {
            return;
        }
        let g = self.go();
        let Some(d) = g.data.as_mut().filter(|d| d.conn == conn) else { return };
        d.up = true;
        let d = *d;
        let n = g.dials;
        if matches!(g.op.as_ref().map(|a| &a.stage), Some(Stage::Connecting)) {
            ctx.cancel_timer(Timer::GoRedisDial(n));
            self.go_write(ctx, d);
        }
    }

    /// `conn` failed to connect, or timed out connecting, with `err`.
    fn go_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, err: GoErr) {
        if self.go_listener_failed(ctx, conn) || self.go_lookup_failed(ctx, conn, err.clone()) {
            return;
        }
        if self.go().data.is_some_and(|d| d.conn == conn) {
            self.go_drop_data(ctx);
            if matches!(self.go_stage(), Some(Stage::Connecting)) {
                self.go_dial_failed(ctx, err);
            }
        }
    }

    fn go_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, reason: CloseReason) {
        let (text, kind) = match reason {
            CloseReason::Eof => ("EOF".to_string(), Kind::Eof),
            CloseReason::Reset => ("read: connection reset by peer".to_string(), Kind::Net),
            CloseReason::TimedOut => ("read: connection timed out".to_string(), Kind::Net),
        };
        let err = GoErr::new(text, kind);
        if self.go_listener_failed(ctx, conn) || self.go_lookup_failed(ctx, conn, err.clone()) {
            return;
        }
        if let Some(s) = self.go().sentinel.as_mut().filter(|s| s.conn == Some(conn)) {
            // The idle sentinel connection: the SentinelClient's pool dials a new one.
            s.conn = None;
            return;
        }
        let Some(d) = self.go().data.filter(|d| d.conn == conn) else { return };
        self.go().data = None;
        match self.go_stage() {
            Some(Stage::Sent) => self.go_sent_failed(ctx, err),
            Some(Stage::Connecting) if !d.up => {
                let err =
                    GoErr::new(format!("{}{}", self.go_dial_prefix(conn), err.text), Kind::Dial);
                self.go_dial_failed(ctx, err);
            }
            // Idle: the pool's health check finds it dead at the next Get and dials anew.
            _ => {}
        }
    }

    fn go_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if self.go_lookup_reply(ctx, conn, &r) {
            return;
        }
        if self.go().data.is_none_or(|d| d.conn != conn)
            || self.go_stage() != Some(&mut Stage::Sent)
        {
            return;
        }
        match r {
            Reply::Error(e) => {
                if let Some(p) = &self.pending {
                    ctx.cancel_timer(Timer::ClientTimeout(p.seq));
                }
                if e.starts_with("READONLY") {
                    // isBadConn: a READONLY connection is removed from the pool.
                    self.go_drop_data(ctx);
                }
                self.go_attempt_failed(ctx, GoErr::reply(e));
            }
            other => {
                self.go().op = None;
                let value = super::reply::reply_value(&other, &self.ok);
                self.finish(ctx, OpResult::Ok { value });
            }
        }
    }

    /// The process died: every connection is gone, and the next start shuffles anew.
    pub(super) fn go_crash(&mut self) {
        let g = self.go();
        *g = GoState::new(g.settings.clone());
    }
}

#[cfg(test)]
mod tests;
