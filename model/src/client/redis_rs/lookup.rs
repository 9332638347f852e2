//! `Sentinel::async_find_master_address` (`redis/src/sentinel.rs`): the sentinels in list order,
//! each on its cached, `ROLE`-verified connection (`async_try_single_sentinel`,
//! `async_reconnect`), `SENTINEL MASTERS` filtered by `is_master_valid`, each named master
//! checked with `ROLE` (`async_determine_master_from_role_or_info_replication`), then
//! `Client::get_multiplexed_async_connection_with_config` to the one that says `master`.

use super::super::ClientKind;
use super::super::reply::{field, flag, parse_maps};
use super::settings::RedisRs;
use super::{Cached, Client, DataConn, Lookup, Step};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

/// `MasterNameNotFoundBySentinel`'s message.
const NOT_FOUND: &str = "Master with given name not found in sentinel";

/// The role a `ROLE` reply names (`master`, `slave`, `sentinel`).
fn role(r: &Reply) -> Option<&str> {
    let Reply::Array(Some(items)) = r else { return None };
    match items.first() {
        Some(Reply::Bulk(Some(role))) => Some(role.as_str()),
        _ => None,
    }
}

impl Client {
    /// Asks sentinel `pos` (or ends the lookup when the list is done), carrying the errors met.
    pub(super) fn rs_lookup(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        pos: usize,
        master_err: Option<String>,
        last_err: Option<String>,
    ) {
        let Some(&sentinel) = self.sentinels().get(pos) else {
            return self.rs_lookup_done(ctx, master_err, last_err);
        };
        let cached = self.rs().cache[pos];
        let (conn, up, step) = match cached {
            Some(c) if c.alive => {
                ctx.send(c.conn, Msg::Cmd(Command::Sentinel(SentinelCmd::Masters)));
                (c.conn, true, Step::Masters { retried: false })
            }
            // A dead cached connection fails the query at once: replaced, asked once more.
            Some(_) => return self.rs_reconnect(ctx, pos, sentinel, master_err, last_err, true),
            None => return self.rs_reconnect(ctx, pos, sentinel, master_err, last_err, false),
        };
        ctx.set_timer(Timer::RedisRsTimeout(conn), RedisRs::DEFAULT_RESPONSE_TIMEOUT);
        self.rs().lookup = Some(Lookup { pos, step, conn, up, master_err, last_err });
    }

    /// `async_reconnect`: a new connection to the sentinel, verified with `ROLE`.
    fn rs_reconnect(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        pos: usize,
        sentinel: Addr,
        master_err: Option<String>,
        last_err: Option<String>,
        retried: bool,
    ) {
        if let Some(c) = self.rs().cache[pos].take() {
            ctx.close(c.conn);
        }
        let conn = ctx.connect(sentinel);
        // Sent at once: the kernel holds it until the connection is up.
        ctx.send(conn, Msg::Cmd(Command::Role));
        ctx.set_timer(Timer::RedisRsTimeout(conn), RedisRs::DEFAULT_CONNECTION_TIMEOUT);
        let step = Step::SentinelRole { retried };
        self.rs().lookup = Some(Lookup { pos, step, conn, up: false, master_err, last_err });
    }

    /// The connection the lookup waited on failed (`error`): what `async_try_single_sentinel`
    /// and `async_find_master_address` do with it.
    pub(super) fn rs_lookup_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let Some(l) = self.rs().lookup.take() else { return };
        ctx.close(l.conn);
        let sentinel = self.sentinels()[l.pos];
        match l.step {
            Step::Masters { retried: false } => {
                self.rs().cache[l.pos] = None;
                self.rs_reconnect(ctx, l.pos, sentinel, l.master_err, l.last_err, true);
            }
            Step::SentinelRole { .. } | Step::Masters { .. } => {
                self.rs().cache[l.pos] = None;
                let text = format!("{} - {error}", self.dir.addr(sentinel));
                self.rs_lookup(ctx, l.pos + 1, l.master_err, Some(text));
            }
            Step::MasterRole { addr, .. } => {
                // The `?` of the role check: this sentinel's other entries are not tried.
                let text = format!("{} - {error}", self.dir.addr(addr));
                self.rs_lookup(ctx, l.pos + 1, Some(text), l.last_err);
            }
        }
    }

    /// A reply on the connection the lookup waits on.
    pub(super) fn rs_lookup_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let Some(l) = self.rs().lookup.take() else { return };
        match (l.step.clone(), r) {
            (Step::SentinelRole { retried }, r) if role(&r) == Some("sentinel") => {
                self.rs().cache[l.pos] = Some(Cached { conn: l.conn, alive: true });
                ctx.send(l.conn, Msg::Cmd(Command::Sentinel(SentinelCmd::Masters)));
                ctx.set_timer(Timer::RedisRsTimeout(l.conn), RedisRs::DEFAULT_RESPONSE_TIMEOUT);
                self.rs().lookup = Some(Lookup { step: Step::Masters { retried }, ..l });
            }
            (Step::SentinelRole { .. }, r) => {
                ctx.close(l.conn);
                let error =
                    r.error().unwrap_or("Address does not point to a sentinel node").to_string();
                let text = format!("{} - {error}", self.dir.addr(self.sentinels()[l.pos]));
                self.rs_lookup(ctx, l.pos + 1, l.master_err, Some(text));
            }
            (Step::Masters { .. }, Reply::Error(e)) => {
                // A server error is not an I/O one: the connection stays, the next sentinel.
                let text = format!("{} - {e}", self.dir.addr(self.sentinels()[l.pos]));
                self.rs_lookup(ctx, l.pos + 1, l.master_err, Some(text));
            }
            (Step::Masters { .. }, r) => {
                let named = self.rs_valid_masters(&r);
                self.rs_check_next(ctx, l, named);
            }
            (Step::MasterRole { addr, rest }, r) => {
                ctx.close(l.conn);
                let via = self.dir.addr(self.sentinels()[l.pos]);
                match (role(&r), r.error()) {
                    (Some("master"), _) => {
                        self.rs_note(
                            ctx,
                            format!("{via} named {} and ROLE says master", self.dir.addr(addr)),
                        );
                        self.believe(ctx, Some(addr), format!("{via} answered"));
                        self.rs_open_data(ctx, addr);
                    }
                    (_, Some(e)) => {
                        let text = format!("{} - {e}", self.dir.addr(addr));
                        self.rs_lookup(ctx, l.pos + 1, Some(text), l.last_err);
                    }
                    (r, None) => {
                        let said = r.unwrap_or("no role");
                        self.rs_note(
                            ctx,
                            format!("{via} named {} but ROLE says {said}", self.dir.addr(addr)),
                        );
                        self.rs_check_next(ctx, l, rest);
                    }
                }
            }
        }
    }

    /// The masters of a `SENTINEL MASTERS` reply that `is_master_valid` accepts, in order.
    fn rs_valid_masters(&self, r: &Reply) -> Vec<Addr> {
        let ClientKind::Sentinel { service, .. } = &self.kind else { return Vec::new() };
        parse_maps(r)
            .iter()
            .filter(|e| field(e, "name") == Some(service.as_str()))
            .filter(|e| flag(e, "master") && !flag(e, "s_down") && !flag(e, "o_down"))
            .filter_map(|e| self.entry_addr(e))
            .collect()
    }

    /// Checks the next of the masters this sentinel named, or moves to the next sentinel.
    fn rs_check_next(&mut self, ctx: &mut NodeCtx<'_>, l: Lookup, mut named: Vec<Addr>) {
        if named.is_empty() {
            let text = format!("{} - {NOT_FOUND}", self.dir.addr(self.sentinels()[l.pos]));
            return self.rs_lookup(ctx, l.pos + 1, l.master_err, Some(text));
        }
        let addr = named.remove(0);
        let conn = ctx.connect(addr);
        ctx.send(conn, Msg::Cmd(Command::Role));
        ctx.set_timer(Timer::RedisRsTimeout(conn), RedisRs::DEFAULT_CONNECTION_TIMEOUT);
        let step = Step::MasterRole { addr, rest: named };
        self.rs().lookup = Some(Lookup { step, conn, up: false, ..l });
    }

    /// No sentinel yielded a master: the operation fails with the error the crate returns.
    fn rs_lookup_done(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        master_err: Option<String>,
        last_err: Option<String>,
    ) {
        let error = master_err.or(last_err).unwrap_or_else(|| NOT_FOUND.to_string());
        self.rs_note(ctx, format!("no sentinel yielded a master: {error}"));
        self.believe(ctx, None, "no sentinel yielded a master".to_string());
        self.finish(ctx, OpResult::Error { error });
    }

    /// `get_multiplexed_async_connection_with_config` to `addr`, with `connection_timeout`.
    pub(super) fn rs_open_data(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let conn = ctx.connect(addr);
        let timeout = self.rs().settings.connection_timeout;
        ctx.set_timer(Timer::RedisRsTimeout(conn), timeout);
        self.rs().data = Some(DataConn { conn, addr, up: false, alive: true });
    }
}
