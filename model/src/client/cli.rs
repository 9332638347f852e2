//! redis-cli for the scenario's `command` events: one command per fresh connection, no timeout,
//! and commands that could not even be sent.

use super::Client;
use crate::observe::{Note, Op, OpResult};
use crate::wire::{Msg, NodeCtx};
use sim::{Addr, ConnId, Instant};

/// A redis-cli invocation in flight.
#[derive(Clone, Debug)]
pub(super) struct CliCall {
    pub(super) conn: ConnId,
    pub(super) seq: u64,
    pub(super) op: Op,
    pub(super) invoked: Instant,
    pub(super) node: Addr,
}

impl Client {
    /// redis-cli: runs `argv` against `target` on a fresh connection.
    pub fn run_command(&mut self, ctx: &mut NodeCtx<'_>, argv: Vec<String>, target: Addr) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let conn = ctx.connect(target);
        let op = Op::Command { argv };
        ctx.send(conn, Msg::Cmd(op.command()));
        self.cli.push(CliCall { conn, seq, op, invoked: ctx.now(), node: target });
    }

    /// Records a command that could not even be sent (e.g. no sentinel named a master).
    pub fn record_unsent(&mut self, ctx: &mut NodeCtx<'_>, argv: Vec<String>, error: String) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let now = ctx.now().as_micros();
        let op = Op::Command { argv };
        ctx.note(Note::Op(self.op_record(seq, op, now, now, None, OpResult::Error { error })));
    }

    pub(super) fn cli_done(&mut self, ctx: &mut NodeCtx<'_>, call: CliCall, result: OpResult) {
        let (invoked, now) = (call.invoked.as_micros(), ctx.now().as_micros());
        let record = self.op_record(call.seq, call.op, invoked, now, Some(call.node), result);
        ctx.note(Note::Op(record));
    }
}
