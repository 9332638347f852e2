//! Where ioredis puts a command and what settles it (`lib/Redis.ts`, `lib/redis/event_handler.ts`,
//! `lib/DataHandler.ts`, `lib/Command.ts`):
//! - `sendCommand`: written at once when `ready`; otherwise into the offline queue (or failed
//!   when `enableOfflineQueue` is false). `commandTimeout` arms a timer that only fails the
//!   command ("Command timed out"): it stays queued or on the wire, and the connection stays.
//! - `connectHandler`/`_readyCheck`: `INFO` first; `SentinelConnector.check` compares its
//!   `role` with the one wanted and, on a mismatch, moves the sentinel list on and reconnects.
//! - `readyHandler`: the commands in flight when the last ready connection closed are sent again
//!   (`autoResendUnfulfilledCommands`), then the offline queue.
//! - `closeHandler`: in-flight commands are kept for that resend, a reconnect is scheduled by
//!   `retryStrategy` (50 ms per attempt, at most 2 s, forever), and every
//!   `maxRetriesPerRequest + 1`-th attempt fails every queued command (`flushQueue`).
//! - `DataHandler.returnError` -> `handleReconnection`: an error reply fails the command; when
//!   `reconnectOnError` says so, the connection is closed and reopened too.

use super::super::ClientKind;
use super::super::reply::reply_value;
use super::settings::Ioredis;
use super::{Client, Queued, Status, Wire};
use crate::info::Info;
use crate::observe::OpResult;
use crate::resp::{Command, Reply};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::ConnId;

impl Client {
    /// `sendCommand` for the operation the workload just issued.
    pub(in crate::client) fn io_send(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(p) = &self.pending else { return };
        let q = Queued { seq: p.seq, cmd: p.op.command() };
        if let Some(t) = self.io().settings.command_timeout {
            ctx.set_timer(Timer::ClientTimeout(q.seq), t);
        }
        let io = self.io();
        if io.status == Status::Ready && io.data.is_some() {
            return self.io_write(ctx, q);
        }
        if !io.settings.enable_offline_queue {
            let error =
                "Stream isn't writeable and enableOfflineQueue options is false".to_string();
            return self.finish(ctx, OpResult::Error { error });
        }
        io.offline.push_back(q);
    }

    /// Writes `q` to the data connection (`commandQueue.push`).
    fn io_write(&mut self, ctx: &mut NodeCtx<'_>, q: Queued) {
        let Some(d) = self.io().data else { return };
        ctx.send(d.conn, Msg::Cmd(q.cmd.clone()));
        if let Some(p) = self.pending.as_mut().filter(|p| p.seq == q.seq) {
            p.node = Some(d.addr);
        }
        self.io().sent.push_back(Wire::Op(q));
    }

    /// `commandTimeout` ran out for operation `seq`: it fails, and stays where it is.
    pub(super) fn io_command_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_some_and(|p| p.seq == seq) {
            self.finish(ctx, OpResult::Timeout);
        }
    }

    /// The data connection is up (`connectHandler`): the failover detector, then the ready check.
    pub(super) fn io_data_connected(&mut self, ctx: &mut NodeCtx<'_>) {
        let io = self.io();
        io.status = Status::Connect;
        io.sent.clear();
        let (detector, check) = (io.settings.failover_detector, io.settings.enable_ready_check);
        if detector && matches!(self.kind, ClientKind::Sentinel { .. }) {
            self.io_init_detector(ctx);
        }
        if !check {
            return self.io_ready(ctx);
        }
        let Some(d) = self.io().data else { return };
        ctx.send(d.conn, Msg::Cmd(Command::Info(Vec::new())));
        self.io().sent.push_back(Wire::ReadyCheck);
    }

    /// `readyHandler`.
    fn io_ready(&mut self, ctx: &mut NodeCtx<'_>) {
        let io = self.io();
        io.status = Status::Ready;
        io.retry_attempts = 0;
        let prev = std::mem::take(&mut io.prev);
        let offline = std::mem::take(&mut io.offline);
        let resend = io.settings.auto_resend_unfulfilled_commands;
        if let Some(d) = io.data {
            let n = prev.len();
            let text = if n == 0 || !resend {
                format!("ready on {}", self.dir.addr(d.addr))
            } else {
                format!("ready on {}; resent {n} unfulfilled command(s)", self.dir.addr(d.addr))
            };
            self.io_note(ctx, text);
        }
        // Without autoResendUnfulfilledCommands the commands are dropped unsettled.
        for q in prev.into_iter().filter(|_| resend).chain(offline) {
            self.io_write(ctx, q);
        }
    }

    /// A reply on one of the client's connections.
    pub(super) fn io_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        let io = self.io();
        if io.resolving.is_some_and(|x| x.conn == conn) {
            return self.io_sentinel_reply(ctx, r);
        }
        if io.data.is_none_or(|d| d.conn != conn) {
            return;
        }
        match io.sent.pop_front() {
            Some(Wire::ReadyCheck) => self.io_ready_check(ctx, r),
            Some(Wire::Op(q)) => self.io_op_reply(ctx, q, r),
            None => {}
        }
    }

    /// `_readyCheck`'s `INFO` came back: `SentinelConnector.check`.
    fn io_ready_check(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let role = match &r {
            Reply::Info(info) => match info.as_ref() {
                Info::Server(s) if s.replica.is_some() => Some("slave"),
                Info::Server(_) => Some("master"),
                Info::Sentinel(_) => None,
            },
            _ => None,
        };
        if let Reply::Error(e) = r {
            // recoverFromFatalError: every queued command fails, and the client reconnects.
            let error = format!("Ready check failed: {e}");
            self.io_flush(ctx, &error);
            return self.io_disconnect(ctx);
        }
        let wanted = match &self.kind {
            ClientKind::Sentinel { replica: true, .. } => "slave",
            ClientKind::Sentinel { .. } => "master",
            _ => return self.io_ready(ctx),
        };
        if role.is_none_or(|r| r == wanted) {
            return self.io_ready(ctx);
        }
        // Start from the next sentinel: two steps on, then the current one first.
        let io = self.io();
        io.iter.next();
        io.iter.next();
        io.iter.reset(true);
        let at = io.data.map(|d| self.dir.addr(d.addr)).unwrap_or_default();
        let text = format!(
            "connected to {at}, whose INFO says role:{}, not {wanted}: disconnected to reconnect",
            role.unwrap_or("?")
        );
        self.io_note(ctx, text);
        self.io_believe_none(ctx);
        self.io_disconnect(ctx);
    }

    /// The client no longer trusts the master it connected to.
    fn io_believe_none(&mut self, ctx: &mut NodeCtx<'_>) {
        self.believe(ctx, None, "the ready check found another role".to_string());
    }

    /// The reply to queued command `q` (`returnReply` / `returnError`).
    fn io_op_reply(&mut self, ctx: &mut NodeCtx<'_>, q: Queued, r: Reply) {
        let waiting = self.pending.as_ref().is_some_and(|p| p.seq == q.seq);
        let result = match r {
            Reply::Error(e) => {
                if self.io().settings.reconnects_on(&e) && self.io().status != Status::Reconnecting
                {
                    let at = self.io().data.map(|d| self.dir.addr(d.addr)).unwrap_or_default();
                    let head = e.split(' ').next().unwrap_or_default().to_string();
                    self.io_note(ctx, format!("reconnectOnError: {head} from {at}, reconnecting"));
                    if waiting {
                        self.finish(ctx, OpResult::Error { error: e });
                    }
                    return self.io_disconnect(ctx);
                }
                OpResult::Error { error: e }
            }
            other => OpResult::Ok { value: reply_value(&other, &self.ok) },
        };
        // A reply to a command that timed out already settles nothing.
        if waiting {
            self.finish(ctx, result);
        }
    }

    /// `connector.disconnect()` (also what `disconnect(true)` does): the data connection and the
    /// failover detector's are closed, and `closeHandler` runs.
    pub(super) fn io_disconnect(&mut self, ctx: &mut NodeCtx<'_>) {
        self.io_cleanup_detector(ctx);
        if let Some(d) = self.io().data.take() {
            ctx.close(d.conn);
            ctx.cancel_timer(Timer::IoredisConnectTimeout(d.conn));
            self.io_closed(ctx);
        }
    }

    /// `closeHandler`: the data connection is gone.
    pub(super) fn io_closed(&mut self, ctx: &mut NodeCtx<'_>) {
        let io = self.io();
        let was_ready = io.status == Status::Ready;
        let sent = std::mem::take(&mut io.sent);
        if was_ready {
            io.prev.extend(sent.into_iter().filter_map(|w| match w {
                Wire::Op(q) => Some(q),
                Wire::ReadyCheck => None,
            }));
        }
        io.status = Status::Reconnecting;
        io.retry_attempts += 1;
        let attempts = io.retry_attempts;
        ctx.set_timer(Timer::IoredisReconnect, Ioredis::retry_delay(attempts));
        if let Some(max) = io.settings.max_retries_per_request {
            if attempts % (max + 1) == 0 {
                let error = format!(
                    "Reached the max retries per request limit (which is {max}). Refer to \"maxRetriesPerRequest\" option for details."
                );
                self.io_note(ctx, format!("{attempts} reconnects: {error}"));
                self.io_flush(ctx, &error);
            }
        }
    }

    /// `flushQueue(error)`: every queued command fails. One that was written may have run.
    fn io_flush(&mut self, ctx: &mut NodeCtx<'_>, error: &str) {
        let io = self.io();
        let offline = std::mem::take(&mut io.offline);
        let mut written: Vec<u64> = io.prev.drain(..).map(|q| q.seq).collect();
        written.extend(io.sent.drain(..).filter_map(|w| match w {
            Wire::Op(q) => Some(q.seq),
            Wire::ReadyCheck => None,
        }));
        let Some(seq) = self.pending.as_ref().map(|p| p.seq) else { return };
        let error = error.to_string();
        if offline.iter().any(|q| q.seq == seq) {
            self.finish(ctx, OpResult::Error { error });
        } else if written.contains(&seq) {
            self.finish(ctx, OpResult::Lost { error });
        }
    }
}
