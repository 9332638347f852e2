//! `SentinelConnector.connect` (`lib/connectors/SentinelConnector/index.ts`): each connect asks
//! the sentinels in `SentinelIterator` order from where the cursor stands, each on a fresh
//! connection (`connectToSentinel`, with `connectTimeout` and no command timeout), with
//! `SENTINEL GET-MASTER-ADDR-BY-NAME` (`resolveMaster`, no flag is checked) then
//! `SENTINEL SENTINELS` (`updateSentinels`: sentinels not flagged `disconnected` join the list);
//! a sentinel that fails, errs or answers nil is skipped (`connectToNext`). When the list runs
//! out, `sentinelRetryStrategy` (10 ms per round, at most 1 s) waits and starts it again,
//! forever by default. The answer is connected to directly; the cursor is not reset on
//! success, so the next connect starts with the sentinel after the one that answered.
//! A plain client (`StandaloneConnector`) connects to its address.

use super::super::ClientKind;
use super::super::reply::{field, flag, parse_maps};
use super::settings::Ioredis;
use super::{Client, DataConn, Resolving, Status, Step};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

impl Client {
    /// `Redis.connect` -> `connector.connect`.
    pub(super) fn io_connect(&mut self, ctx: &mut NodeCtx<'_>) {
        let io = self.io();
        io.status = Status::Connecting;
        io.sentinel_attempts = 0;
        io.last_error = None;
        match &self.kind {
            ClientKind::Plain { addr } => {
                let addr = *addr;
                self.io_open_data(ctx, addr);
            }
            _ => self.io_next_sentinel(ctx),
        }
    }

    /// `connectToNext`: the next sentinel, or a new round after `sentinelRetryStrategy`.
    pub(super) fn io_next_sentinel(&mut self, ctx: &mut NodeCtx<'_>) {
        let query = match &self.kind {
            ClientKind::Sentinel { service, replica: false, .. } => {
                SentinelCmd::GetMasterAddrByName(service.clone())
            }
            ClientKind::Sentinel { service, replica: true, .. } => {
                SentinelCmd::Replicas(service.clone())
            }
            _ => return,
        };
        let step =
            if matches!(query, SentinelCmd::Replicas(_)) { Step::Replicas } else { Step::Master };
        let timeout = self.io().settings.connect_timeout;
        let io = self.io();
        let Some(sentinel) = io.iter.next() else {
            io.iter.reset(false);
            io.sentinel_attempts += 1;
            let delay = Ioredis::sentinel_retry_delay(io.sentinel_attempts);
            let last =
                io.last_error.as_ref().map(|e| format!(" Last error: {e}")).unwrap_or_default();
            ctx.set_timer(Timer::IoredisSentinelRetry, delay);
            let text = format!(
                "All sentinels are unreachable. Retrying from scratch after {}ms.{last}",
                delay.as_micros() / 1000
            );
            return self.io_note(ctx, text);
        };
        let conn = ctx.connect(sentinel);
        // Sent at once: the kernel holds it until the connection is up.
        ctx.send(conn, Msg::Cmd(Command::Sentinel(query)));
        ctx.set_timer(Timer::IoredisConnectTimeout(conn), timeout);
        self.io().resolving = Some(Resolving { conn, sentinel, step });
    }

    /// The sentinel being asked failed: `sentinelError`, then the next one.
    pub(super) fn io_sentinel_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        if let Some(r) = self.io().resolving.take() {
            ctx.close(r.conn);
            ctx.cancel_timer(Timer::IoredisConnectTimeout(r.conn));
        }
        self.io().last_error = Some(error);
        self.io_next_sentinel(ctx);
    }

    /// A sentinel answered the resolving client.
    pub(super) fn io_sentinel_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let Some(res) = self.io().resolving else { return };
        let via = self.dir.addr(res.sentinel);
        if let Reply::Error(e) = &r {
            let error = e.clone();
            return self.io_sentinel_failed(ctx, error);
        }
        match res.step {
            Step::Master => {
                let Some(addr) = self.io_master_addr(&r) else { return self.io_invalid(ctx, via) };
                let list = match &self.kind {
                    ClientKind::Sentinel { service, .. } => SentinelCmd::Sentinels(service.clone()),
                    _ => return,
                };
                ctx.send(res.conn, Msg::Cmd(Command::Sentinel(list)));
                self.io().resolving = Some(Resolving { step: Step::Sentinels(addr), ..res });
            }
            Step::Sentinels(addr) => {
                for e in parse_maps(&r) {
                    if flag(&e, "disconnected") {
                        continue;
                    }
                    if let Some(s) = self.entry_addr(&e) {
                        self.io().iter.add(s);
                    }
                }
                self.io_resolved(ctx, res, addr, via);
            }
            Step::Replicas => {
                // resolveSlave: flags present and none of disconnected, s_down, o_down; then
                // `sample` (no preferredSlaves).
                let alive: Vec<Addr> = parse_maps(&r)
                    .iter()
                    .filter(|e| field(e, "flags").is_some())
                    .filter(|e| !["disconnected", "s_down", "o_down"].iter().any(|f| flag(e, f)))
                    .filter_map(|e| self.entry_addr(e))
                    .collect();
                if alive.is_empty() {
                    return self.io_invalid(ctx, via);
                }
                let addr = alive[ctx.rng().below(alive.len())];
                self.io_resolved(ctx, res, addr, via);
            }
        }
    }

    /// `[ip, port]` of a `GET-MASTER-ADDR-BY-NAME` reply.
    fn io_master_addr(&self, r: &Reply) -> Option<Addr> {
        let Reply::Array(Some(items)) = r else { return None };
        let [Reply::Bulk(Some(ip)), Reply::Bulk(Some(port))] = &items[..] else { return None };
        Some(Addr::new(self.dir.resolve(ip)?, port.parse().ok()?))
    }

    /// "connected to sentinel ... successfully, but got an invalid reply: null": the next one.
    fn io_invalid(&mut self, ctx: &mut NodeCtx<'_>, via: String) {
        if let Some(r) = self.io().resolving.take() {
            ctx.close(r.conn);
        }
        let text =
            format!("connected to sentinel {via} successfully, but got an invalid reply: null");
        self.io_note(ctx, text);
        self.io_next_sentinel(ctx);
    }

    /// The resolving client is done (`client.disconnect()`): connect to `addr`.
    fn io_resolved(&mut self, ctx: &mut NodeCtx<'_>, res: Resolving, addr: Addr, via: String) {
        ctx.close(res.conn);
        self.io().resolving = None;
        self.believe(ctx, Some(addr), format!("{via} answered"));
        self.io_open_data(ctx, addr);
    }

    /// `createConnection(resolved)`, with `connectTimeout`.
    fn io_open_data(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let conn = ctx.connect(addr);
        let timeout = self.io().settings.connect_timeout;
        ctx.set_timer(Timer::IoredisConnectTimeout(conn), timeout);
        self.io().data = Some(DataConn { conn, addr });
    }
}
