//! Where node-redis sends a command and what it does when that fails:
//! - `RedisSentinelInternal.execute` (`lib/sentinel/index.ts`): it waits for a running
//!   `#connect`; a master client that is not ready is rediscovered first (`await #reset()`,
//!   then again); a command that fails with an error starting `READONLY`, or whose master
//!   client is no longer ready, is rediscovered and sent again, up to `maxCommandRediscovers`
//!   (16) times; any other error is the caller's.
//! - `commandOptions.timeout` (5 s, `RedisCommandsQueue.addCommand`'s `AbortSignal.timeout`):
//!   the command is rejected with `TimeoutError` and taken off the queue; one already written
//!   stays on the connection, which stays.
//! - The master clients' sockets (`RedisSocket`, `lib/client/socket.ts`): `connectTimeout`
//!   (5 s); a ready socket that errs or closes (`#onSocketError`) rejects its written commands
//!   (`flushWaitingForReply`) and reconnects at once, then after each failure waits what
//!   `reconnectStrategy` says (`defaultReconnectStrategy`); `socketTimeout` destroys an idle
//!   socket, and the default strategy does not reconnect after that.

use super::super::reply::reply_value;
use super::Client;
use crate::observe::OpResult;
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::ConnId;

impl Client {
    /// The application's command: the first one waits for `connect()`.
    pub(in crate::client) fn nr_send(&mut self, ctx: &mut NodeCtx<'_>) {
        self.nr().rediscovers = 0;
        let nr = self.nr();
        if !nr.ready && !nr.connecting {
            self.nr_connect(ctx);
        }
        self.nr_execute(ctx);
    }

    /// One turn of `execute`'s loop for the operation in flight.
    pub(super) fn nr_execute(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(p) = &self.pending else { return };
        let (seq, cmd) = (p.seq, p.op.command());
        let nr = self.nr();
        if nr.connecting {
            nr.waiting = true;
            return;
        }
        let Some(m) = nr.masters.first().copied().filter(|m| m.ready) else {
            // `if (!client.isReady) { await this.#reset(); continue; }`
            nr.waiting = true;
            return self.nr_reset_or_fail(ctx);
        };
        let Some(conn) = m.conn else { return };
        ctx.send(conn, Msg::Cmd(cmd));
        self.nr_touch(ctx, conn);
        if let Some(t) = self.nr().settings.command_timeout {
            ctx.set_timer(Timer::ClientTimeout(seq), t);
        }
        self.nr().written.push_back(seq);
        if let Some(p) = self.pending.as_mut() {
            p.node = Some(m.addr);
        }
    }

    /// `#reset` for a waiting command; before `connect()` succeeded it resolves at once and
    /// the application sees the failed connect instead.
    fn nr_reset_or_fail(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.nr().ready {
            return self.nr_reset(ctx);
        }
        self.nr().waiting = false;
        let error = "None of the sentinels are available".to_string();
        self.finish(ctx, OpResult::Error { error });
    }

    /// `execute`'s catch for the command in flight rejected with `error` by a master client
    /// that is no longer ready: rediscover and send it again, or give up.
    pub(super) fn nr_rejected(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let Some(seq) = self.pending.as_ref().map(|p| p.seq) else { return };
        ctx.cancel_timer(Timer::ClientTimeout(seq));
        let nr = self.nr();
        nr.rediscovers += 1;
        if nr.rediscovers > nr.settings.max_command_rediscovers {
            return self.finish(ctx, OpResult::Lost { error });
        }
        nr.waiting = true;
        self.nr_reset_or_fail(ctx);
    }

    /// Connects master client `i` (`RedisSocket.#createSocket`, with `connectTimeout`).
    pub(super) fn nr_dial(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        let timeout = self.nr().settings.connect_timeout;
        let Some(m) = self.nr().masters.get_mut(i) else { return };
        let conn = ctx.connect(m.addr);
        m.conn = Some(conn);
        ctx.set_timer(Timer::NodeRedisTimeout(conn), timeout);
    }

    /// Master client `i` is ready.
    pub(super) fn nr_master_up(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        let Some(m) = self.nr().masters.get_mut(i) else { return };
        m.ready = true;
        m.retries = 0;
        if let Some(c) = m.conn {
            self.nr_touch(ctx, c);
        }
        self.nr_transform_progress(ctx);
    }

    /// Master client `i`'s socket failed (`connecting`: its connect did) with `error`; a
    /// socket timeout (`timeout`) is one the default strategy does not reconnect after.
    pub(super) fn nr_master_lost(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        i: usize,
        error: String,
        connecting: bool,
        timeout: bool,
    ) {
        let nr = self.nr();
        let Some(m) = nr.masters.get_mut(i) else { return };
        if let Some(c) = m.conn.take() {
            ctx.cancel_timer(Timer::NodeRedisSocketTimeout(c));
        }
        let was_ready = std::mem::replace(&mut m.ready, false);
        let addr = m.addr;
        // The first reconnect of a socket that was ready is at once; then the strategy waits.
        let wait = if was_ready {
            nr.settings.reconnect_in(0, timeout, ctx.rng()).map(|_| sim::Duration::ZERO)
        } else {
            let retries = m.retries;
            m.retries += 1;
            nr.settings.reconnect_in(retries, timeout, ctx.rng())
        };
        let m = &mut self.nr().masters[i];
        match wait {
            Some(w) => ctx.set_timer(Timer::NodeRedisReconnect(i), w),
            None => m.open = false,
        }
        let at = self.dir.addr(addr);
        let then = match wait {
            Some(sim::Duration::ZERO) => "reconnecting".to_string(),
            Some(w) => format!("reconnecting in {w}"),
            None => "reconnectStrategy gave up".to_string(),
        };
        if was_ready || wait.is_none() {
            self.nr_note(ctx, format!("master client {at}: {error}; {then}"));
        }
        // transform's #connectOrFail rejects on the first error: the round throws.
        if connecting && self.nr().transform.is_some_and(|a| a.masters) {
            return self.nr_round_failed(ctx, error);
        }
        if i == 0 {
            let written = std::mem::take(&mut self.nr().written);
            if self.pending.as_ref().is_some_and(|p| written.contains(&p.seq)) {
                self.nr_rejected(ctx, error);
            }
        }
    }

    /// Master client `i`'s reconnect wait is over.
    pub(super) fn nr_reconnect(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        if self.nr().masters.get(i).is_some_and(|m| m.open && m.conn.is_none()) {
            self.nr_dial(ctx, i);
        }
    }

    /// Traffic on a master connection: `socketTimeout` counts from here.
    fn nr_touch(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if let Some(t) = self.nr().settings.socket_timeout {
            ctx.set_timer(Timer::NodeRedisSocketTimeout(conn), t);
        }
    }

    /// `socketTimeout` ran out on `conn`: `SocketTimeoutError`, the socket destroyed.
    pub(super) fn nr_socket_timeout(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(i) = self.nr().masters.iter().position(|m| m.conn == Some(conn)) else { return };
        ctx.close(conn);
        let t = self.nr().settings.socket_timeout.unwrap_or_default();
        self.nr_master_lost(
            ctx,
            i,
            format!("Socket timeout timeout. Expecting data, but didn't receive any in {t}"),
            false,
            true,
        );
    }

    /// A reply on one of the client's connections.
    pub(super) fn nr_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        let nr = self.nr();
        if nr.observing.as_ref().is_some_and(|o| o.conn == conn) {
            return self.nr_observe_reply(ctx, r);
        }
        if nr.masters.first().is_none_or(|m| m.conn != Some(conn)) {
            return;
        }
        self.nr_touch(ctx, conn);
        let Some(seq) = self.nr().written.pop_front() else { return };
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) {
            return; // rejected already (timed out): the reply settles nothing
        }
        match r {
            Reply::Error(e) if e.starts_with("READONLY") => {
                let nr = self.nr();
                nr.rediscovers += 1;
                if nr.rediscovers > nr.settings.max_command_rediscovers {
                    return self.finish(ctx, OpResult::Error { error: e });
                }
                let n = nr.rediscovers;
                let at = self.pending.as_ref().and_then(|p| p.node).map(|a| self.dir.addr(a));
                let text =
                    format!("READONLY from {}: rediscovering (retry {n})", at.unwrap_or_default());
                self.nr_note(ctx, text);
                ctx.cancel_timer(Timer::ClientTimeout(seq));
                self.nr().waiting = true;
                self.nr_reset(ctx);
            }
            Reply::Error(e) => self.finish(ctx, OpResult::Error { error: e }),
            other => {
                let value = reply_value(&other, &self.ok);
                self.finish(ctx, OpResult::Ok { value });
            }
        }
    }

    /// `commandOptions.timeout` ran out for operation `seq`: `TimeoutError`, which `execute`
    /// rediscovers for only when the master client is not ready.
    pub(super) fn nr_command_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) {
            return;
        }
        if self.nr().masters.first().is_some_and(|m| m.ready) {
            return self.finish(ctx, OpResult::Timeout);
        }
        self.nr().written.retain(|s| *s != seq);
        self.nr_rejected(ctx, "TimeoutError".to_string());
    }
}
