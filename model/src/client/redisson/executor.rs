//! `RedisExecutor.execute` and its retries: each attempt takes the master entry's pooled
//! connection (connecting one if need be) and waits `timeout` for the reply; a late reply, a
//! failed connect, a retryable error reply or `RedisReconnectedException` sends the command
//! again after `retryDelay` while `attempt < retryAttempts`.

use super::{Client, ClientKind, PoolConn, Pooled};
use crate::observe::OpResult;
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{ConnId, Duration};

/// The error replies `CommandDecoder` turns into `RedisReadonlyException` or a
/// `RedisRetryException` (`checkAttemptPromise` retries them).
const RETRIED: [&str; 8] =
    ["READONLY", "LOADING", "NOREPLICAS", "BUSY ", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "WAIT"];

impl Client {
    /// The workload issued an operation: build the client if need be, then the first attempt.
    pub(in crate::client) fn rd_send(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.rd().built {
            if let ClientKind::Plain { addr } = self.kind {
                // `useSingleServer`: one fixed address, no sentinels.
                let rd = self.rd();
                (rd.built, rd.master, rd.entry) = (true, Some(addr), Some(addr));
            } else {
                if self.rd().startup.is_none() {
                    self.rd_startup(ctx, 0);
                }
                return;
            }
        }
        self.rd().attempt = 0;
        self.rd_execute(ctx);
    }

    /// One attempt: on the master entry's idle connection, or a new one.
    pub(super) fn rd_execute(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(entry) = self.rd().entry else { return };
        match self.rd().conn {
            Some(c) if c.addr == entry && c.state == Pooled::Idle => self.rd_write(ctx, c),
            Some(c) if c.addr == entry && c.state == Pooled::Connecting => {}
            other => {
                if let Some(c) = other {
                    ctx.close(c.conn);
                    ctx.cancel_timer(Timer::RedissonTimeout(c.conn));
                    ctx.cancel_timer(Timer::RedissonReconnect(c.conn));
                }
                let conn = ctx.connect(entry);
                let timeout = self.rd().settings.connect_timeout;
                ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
                let state = Pooled::Connecting;
                self.rd().conn = Some(PoolConn { conn, addr: entry, state, stale: 0 });
            }
        }
    }

    /// Sends the attempt on `c`, waiting `timeout`.
    fn rd_write(&mut self, ctx: &mut NodeCtx<'_>, c: PoolConn) {
        let timeout = self.rd().settings.timeout;
        let Some(p) = &mut self.pending else { return };
        p.node = Some(c.addr);
        ctx.send(c.conn, Msg::Cmd(p.op.command()));
        ctx.set_timer(Timer::ClientTimeout(p.seq), timeout);
        let rd = self.rd();
        rd.in_flight = true;
        if let Some(pc) = rd.conn.as_mut() {
            pc.state = Pooled::Busy;
        }
    }

    /// The pool's connection `conn` is up: the waiting attempt goes out; a watchdog's
    /// reconnect fails the command that was on the old channel.
    pub(super) fn rd_pool_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(c) = self.rd().conn.filter(|c| c.conn == conn) else { return };
        if let Some(pc) = self.rd().conn.as_mut() {
            pc.state = Pooled::Idle;
        }
        match c.state {
            Pooled::Connecting if self.pending.is_some() => self.rd_write(ctx, c),
            Pooled::Rejoining if self.rd().in_flight => {
                if let Some(p) = &self.pending {
                    ctx.cancel_timer(Timer::ClientTimeout(p.seq));
                }
                let error = "RedisReconnectedException: Channel has been reconnected";
                self.rd_attempt_failed(ctx, error.to_string(), true);
            }
            _ => {}
        }
    }

    /// The pool's connection could not connect (`RedisConnectionException`).
    pub(super) fn rd_pool_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(c) = self.rd().conn.filter(|c| c.conn == conn) else { return };
        self.rd().conn = None;
        ctx.close(conn);
        if c.state == Pooled::Connecting && self.pending.is_some() {
            let error = format!("Unable to connect to Redis server: {}", self.dir.addr(c.addr));
            self.rd_attempt_failed(ctx, error, false);
        }
    }

    /// The server closed the pool's connection: `ConnectionWatchdog` reconnects a channel with
    /// a command on it after `reconnectionDelay` (`EqualJitterDelay(100 ms, 10 s)` of attempt
    /// 0: 50-100 ms); an idle one is dropped (the next attempt connects).
    pub(super) fn rd_pool_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(c) = self.rd().conn.filter(|c| c.conn == conn) else { return };
        match c.state {
            Pooled::Busy => {
                let delay = Duration::from_millis(50 + ctx.rng().between(0, 50));
                ctx.set_timer(Timer::RedissonReconnect(conn), delay);
                if let Some(pc) = self.rd().conn.as_mut() {
                    pc.state = Pooled::Reconnecting;
                }
            }
            Pooled::Connecting | Pooled::Rejoining => self.rd_pool_failed(ctx, conn),
            Pooled::Idle | Pooled::Reconnecting => self.rd().conn = None,
        }
    }

    /// The watchdog's delay is over: it connects again.
    pub(super) fn rd_reconnect(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(c) = self.rd().conn.filter(|c| c.conn == conn) else { return };
        let new = ctx.connect(c.addr);
        let timeout = self.rd().settings.connect_timeout;
        ctx.set_timer(Timer::RedissonTimeout(new), timeout);
        let state = Pooled::Rejoining;
        self.rd().conn = Some(PoolConn { conn: new, addr: c.addr, state, stale: 0 });
    }

    /// A reply on the pool's connection.
    pub(super) fn rd_pool_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        let Some(c) = self.rd().conn.as_mut().filter(|c| c.conn == conn) else { return };
        if c.stale > 0 {
            c.stale -= 1;
            return;
        }
        if c.state != Pooled::Busy {
            return;
        }
        c.state = Pooled::Idle;
        self.rd().in_flight = false;
        if let Some(p) = &self.pending {
            ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        }
        match r {
            Reply::Error(error) if RETRIED.iter().any(|e| error.starts_with(e)) => {
                self.rd_attempt_failed(ctx, error, false)
            }
            Reply::Error(error) => self.finish(ctx, OpResult::Error { error }),
            other => {
                let value = super::super::reply::reply_value(&other, &self.ok);
                self.finish(ctx, OpResult::Ok { value });
            }
        }
    }

    /// `timeout` passed with no reply: the connection stays (its reply is owed) and the
    /// command goes again while attempts are left (`scheduleResponseTimeout`).
    pub(super) fn rd_response_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) || !self.rd().in_flight {
            return;
        }
        self.rd().in_flight = false;
        if let Some(c) = self.rd().conn.as_mut().filter(|c| c.state == Pooled::Busy) {
            (c.state, c.stale) = (Pooled::Idle, c.stale + 1);
        }
        let rd = self.rd();
        if rd.attempt < rd.settings.retry_attempts {
            return self.rd_schedule_retry(ctx);
        }
        self.finish(ctx, OpResult::Timeout);
    }

    /// An attempt failed with `error` (`lost`: it was on the wire): retried after `retryDelay`
    /// while attempts are left, else the command fails with it.
    fn rd_attempt_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String, lost: bool) {
        let rd = self.rd();
        rd.in_flight = false;
        if rd.attempt < rd.settings.retry_attempts {
            return self.rd_schedule_retry(ctx);
        }
        let result = if lost { OpResult::Lost { error } } else { OpResult::Error { error } };
        self.finish(ctx, result);
    }

    /// The next attempt after `retryDelay.calcDelay(attempt)`.
    fn rd_schedule_retry(&mut self, ctx: &mut NodeCtx<'_>) {
        let attempt = self.rd().attempt;
        let delay = self.rd().settings.retry_delay(attempt, ctx.rng());
        ctx.set_timer(Timer::RedissonRetry, delay);
    }

    /// The retry delay is over: `attempt++` and `execute`.
    pub(super) fn rd_retry(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.pending.is_none() {
            return;
        }
        self.rd().attempt += 1;
        self.rd_execute(ctx);
    }
}
