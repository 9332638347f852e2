//! redis-py's `Retry.call_with_retry` around what a client does: the sentinel queries (each
//! sentinel is a `Redis` client of its own) and the workload's commands, each with the loop
//! around the command and the one around its connects (`super::library` says which version
//! catches what). A caught failure closes the connection, waits the backoff, and tries again:
//! a sentinel query asks the same sentinel on a new connection, a command reconnects (a
//! `master_for` pool through the sentinels: `SentinelManagedConnection.connect`) and is sent
//! again. What is not caught goes on as before: the next sentinel, or the operation's result.
//!
//! Left out: the pool's innermost loop (4.2-7.x `connect_to` retries its socket connect once
//! more on a timeout when `retry_on_timeout` is set), and `health_check_interval`.

use super::library::{Again, Failure};
use super::{Client, Pending, Stage};
use crate::observe::{Note, OpResult, RetryNote};
use crate::resp::{Command, SentinelCmd};
use crate::wire::{NodeCtx, Timer};

impl Client {
    /// The sentinel being asked failed with `f` (`at_connect`: its connect did): retry it if
    /// its `Retry` catches `f`, else ask the next one.
    pub(super) fn sentinel_failed(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        f: Failure,
        at_connect: bool,
        error: String,
    ) {
        let retry = self.sentinel_retry;
        let Some(Pending { stage: Stage::Discover { pos, query, attempts, .. }, seq, .. }) =
            &mut self.pending
        else {
            return;
        };
        let (idx, query, seq) = (self.order[*pos], *query, *seq);
        let Some(again) = retry.again(attempts, f, at_connect, ctx.rng()) else {
            return self.next_sentinel(ctx, Some(error));
        };
        if let Some(sc) = self.sentinel_conns[idx].take() {
            ctx.close(sc.conn);
        }
        let command = match (query, &self.kind) {
            (super::Query::Replicas, super::ClientKind::Sentinel { service, .. }) => {
                SentinelCmd::Replicas(service.clone())
            }
            _ => SentinelCmd::Masters,
        };
        let command = Command::Sentinel(command).to_string();
        let node = self.dir.addr(self.sentinels()[idx]);
        self.retry_note(ctx, again, command, node, error);
        self.wait(ctx, seq, again);
    }

    /// The operation's command or connect failed with `f`: retry it if the data connection's
    /// `Retry` catches `f`, else end the operation with `result`. The data connection is gone
    /// already.
    pub(super) fn data_failed(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        f: Failure,
        at_connect: bool,
        result: OpResult,
    ) {
        let retry = self.data_retry;
        let Some(p) = &mut self.pending else { return };
        let Some(again) = retry.again(&mut p.attempts, f, at_connect, ctx.rng()) else {
            return self.finish(ctx, result);
        };
        let node = match &p.stage {
            Stage::Connecting { addr, .. } => Some(*addr),
            _ => p.node,
        };
        let (seq, command) = (p.seq, p.op.command().to_string());
        // The next attempt starts from the pool's connect (a pool rediscovers).
        p.stage = Stage::Sent;
        let error = match &result {
            OpResult::Error { error } | OpResult::Lost { error } => error.clone(),
            OpResult::Timeout => "Timeout reading from socket".to_string(),
            OpResult::Ok { .. } => String::new(),
        };
        let node = node.map_or_else(String::new, |a| self.dir.addr(a));
        self.retry_note(ctx, again, command, node, error);
        self.wait(ctx, seq, again);
    }

    fn retry_note(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        again: Again,
        command: String,
        node: String,
        error: String,
    ) {
        ctx.note(Note::Retry(RetryNote {
            client: self.name.to_string(),
            command,
            node,
            caught_by: if again.command { "command" } else { "connect" }.to_string(),
            failure: again.failures,
            error,
            backoff_us: again.wait.as_micros(),
        }));
    }

    /// Waits out the backoff (no wait at all with `NoBackoff`), then tries again.
    fn wait(&mut self, ctx: &mut NodeCtx<'_>, seq: u64, again: Again) {
        ctx.cancel_timer(Timer::ClientTimeout(seq));
        if again.wait.as_micros() == 0 {
            return self.try_again(ctx);
        }
        if let Some(p) = &mut self.pending {
            let resume = std::mem::replace(&mut p.stage, Stage::Sent);
            p.stage = Stage::Backoff { resume: Box::new(resume) };
        }
        ctx.set_timer(Timer::ClientBackoff(seq), again.wait);
    }

    /// The backoff of operation `seq` is over.
    pub(super) fn backoff_over(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        let Some(p) = &mut self.pending else { return };
        if p.seq != seq {
            return;
        }
        if let Stage::Backoff { resume } = std::mem::replace(&mut p.stage, Stage::Sent) {
            p.stage = *resume;
        }
        self.try_again(ctx);
    }

    /// The next attempt: the same sentinel asked again, or the command reconnected and resent.
    fn try_again(&mut self, ctx: &mut NodeCtx<'_>) {
        match self.pending.as_ref().map(|p| &p.stage) {
            Some(Stage::Discover { .. }) => self.ask_sentinel(ctx),
            Some(_) => {
                self.data = None;
                self.begin(ctx);
            }
            None => {}
        }
    }
}
