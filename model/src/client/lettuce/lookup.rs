//! `RedisClient.lookupRedis` (7.7.0.RELEASE): `connectSentinelAsync` walks the sentinels in
//! list order until one connects and completes its handshake, then that one is asked
//! `SENTINEL GET-MASTER-ADDR-BY-NAME` within `timeout`, and its connection closed. At the
//! application's `connect()` a failed lookup fails it; at a reconnect the `ConnectionWatchdog`
//! (`wrapSocketAddressSupplier`) falls back on the address it connected to last.

use super::settings::{Lettuce, format_timeout};
use super::{Client, Lookup, Phase};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

/// The error `lookupRedis` maps every failure of the query to (`onErrorMap`).
pub(super) fn query_failed(s: &Lettuce) -> String {
    format!(
        "Cannot obtain master using SENTINEL MASTER. Command timed out after {}",
        format_timeout(s.timeout)
    )
}

impl Client {
    /// Connects to sentinel `pos` of the list (or ends the lookup when the list is done).
    pub(super) fn lt_lookup(&mut self, ctx: &mut NodeCtx<'_>, pos: usize) {
        let Some(&sentinel) = self.sentinels().get(pos) else {
            let list: Vec<String> =
                self.sentinels().iter().map(|&a| format!("redis://{}", self.dir.addr(a))).collect();
            let error = format!("Cannot connect to a Redis Sentinel: [{}]", list.join(", "));
            return self.lt_lookup_failed(ctx, error);
        };
        let conn = ctx.connect(sentinel);
        let lt = self.lt();
        lt.lookup = Some(Lookup { pos, conn, phase: Phase::Connecting });
        let after = lt.settings.connect_timeout;
        ctx.set_timer(Timer::LettuceTimeout(conn), after);
    }

    /// The sentinel's connect or handshake failed: the next one (`onErrorResume`); its query
    /// failed: the lookup did.
    pub(super) fn lt_sentinel_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let Some(l) = self.lt().lookup else { return };
        if l.phase == Phase::Active {
            let error = query_failed(&self.lt().settings);
            return self.lt_lookup_failed(ctx, error);
        }
        self.lt().lookup = None;
        let at = self.sentinels().get(l.pos).map(|&a| self.dir.addr(a)).unwrap_or_default();
        self.lt_note(ctx, format!("Cannot connect Redis Sentinel at redis://{at}: {error}"));
        self.lt_lookup(ctx, l.pos + 1);
    }

    /// A reply on the sentinel connection: the handshake's, then the query's.
    pub(super) fn lt_lookup_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let Some(l) = self.lt().lookup else { return };
        ctx.cancel_timer(Timer::LettuceTimeout(l.conn));
        if l.phase == Phase::Handshake {
            if let Reply::Error(e) = r {
                ctx.close(l.conn);
                return self.lt_sentinel_failed(ctx, e);
            }
            let super::ClientKind::Sentinel { service, .. } = &self.kind else { return };
            let query = SentinelCmd::GetMasterAddrByName(service.clone());
            ctx.send(l.conn, Msg::Cmd(Command::Sentinel(query)));
            let lt = self.lt();
            lt.lookup = Some(Lookup { phase: Phase::Active, ..l });
            ctx.set_timer(Timer::LettuceTimeout(l.conn), lt.settings.timeout);
            return;
        }
        if l.phase != Phase::Active {
            return;
        }
        match (self.lt_master_addr(&r), r) {
            (Some(addr), _) => {
                self.lt().lookup = None;
                ctx.close(l.conn);
                let at = self.sentinels().get(l.pos).map(|&a| self.dir.addr(a)).unwrap_or_default();
                let text = format!(
                    "Resolved Master {} SocketAddress {} (SENTINEL GET-MASTER-ADDR-BY-NAME on {at})",
                    self.lt_service(),
                    self.dir.addr(addr)
                );
                self.lt_note(ctx, text);
                self.lt_resolved(ctx, addr);
            }
            (None, Reply::Error(_)) => {
                let error = query_failed(&self.lt().settings);
                self.lt_lookup_failed(ctx, error);
            }
            (None, _) => {
                // A null answer is an empty Mono: switchIfEmpty's error.
                let error = format!(
                    "Cannot provide redisAddress using sentinel for masterId {}",
                    self.lt_service()
                );
                self.lt_lookup_failed(ctx, error);
            }
        }
    }

    /// The `sentinelMasterId`.
    fn lt_service(&self) -> &str {
        match &self.kind {
            super::ClientKind::Sentinel { service, .. } => service,
            _ => "",
        }
    }

    /// `SocketAddressOutput`: `[ip, port]`.
    fn lt_master_addr(&self, r: &Reply) -> Option<Addr> {
        let Reply::Array(Some(items)) = r else { return None };
        let [Reply::Bulk(Some(ip)), Reply::Bulk(Some(port))] = &items[..] else { return None };
        Some(Addr::new(self.dir.resolve(ip)?, port.parse().ok()?))
    }

    /// The lookup named `addr`: connect to it.
    fn lt_resolved(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        self.lt().remote = Some(addr);
        self.lt_open(ctx, addr);
    }

    /// The lookup failed with `error`: `connect()` fails with it; a reconnect reuses the
    /// cached address.
    pub(super) fn lt_lookup_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        if let Some(l) = self.lt().lookup.take() {
            ctx.cancel_timer(Timer::LettuceTimeout(l.conn));
            ctx.close(l.conn);
        }
        if !self.lt().open {
            let error = format!("Unable to connect to {}: {error}", self.lt_uri());
            return self.finish(ctx, OpResult::Error { error });
        }
        let Some(remote) = self.lt().remote else { return };
        let text = format!(
            "Cannot retrieve current address from socketAddressSupplier: {error}, reusing cached address {}",
            self.dir.addr(remote)
        );
        self.lt_note(ctx, text);
        self.lt_open(ctx, remote);
    }
}
