//! `sentinelFailover.MasterAddr` (`sentinel.go`), run by `masterReplicaDialer` for every new
//! connection: `SENTINEL GET-MASTER-ADDR-BY-NAME` on the cached sentinel, and once more if that
//! fails; on a second failure the sentinel and its subscription are closed and every sentinel
//! of the shuffled list is asked at once. The first to name an address wins: it moves to the
//! top of the list, becomes the cached sentinel and gets the `+switch-master` subscription
//! (`setSentinel`); the others are cancelled. No flag, `ROLE` or `INFO` is checked. When all
//! fail the error is `redis: all sentinels specified in configuration are unreachable: `
//! with their errors joined. The dial attempt's `DialTimeout` deadline bounds all of it: a
//! sentinel that does not answer by then ends `MasterAddr` with `context deadline exceeded`,
//! and the cached sentinel that did so is kept for the next dial.

use super::{Ask, CachedSentinel, Client, GoErr, Kind, Stage};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx};
use sim::{Addr, ConnId};

/// `errors.Join`'s separator.
const JOIN: &str = "\n";

impl Client {
    /// The service's `GET-MASTER-ADDR-BY-NAME`.
    fn go_query(&self) -> Command {
        let service = match &self.kind {
            super::ClientKind::Sentinel { service, .. } => service.clone(),
            _ => String::new(),
        };
        Command::Sentinel(SentinelCmd::GetMasterAddrByName(service))
    }

    /// `sentinelAddrs`, shuffled the first time (`NewFailoverClient`'s `rand.Shuffle`).
    fn go_order(&mut self, ctx: &mut NodeCtx<'_>) -> Vec<usize> {
        if let Some(o) = &self.go().order {
            return o.clone();
        }
        let mut order: Vec<usize> = (0..self.sentinels().len()).collect();
        for i in (1..order.len()).rev() {
            let j = ctx.rng().below(i + 1);
            order.swap(i, j);
        }
        self.go().order = Some(order.clone());
        order
    }

    /// Which sentinel (index into the scenario's list) `conn` talks to, if it is one of the
    /// lookup's or the listener's.
    pub(super) fn go_sentinel_of(&self, conn: ConnId) -> Option<usize> {
        let g = self.go.as_deref()?;
        if let Some(s) = g.sentinel.filter(|s| s.conn == Some(conn)) {
            return Some(s.idx);
        }
        if let Some(p) = g.pubsub.filter(|p| p.conn == Some(conn)) {
            return Some(p.idx);
        }
        let order = g.order.as_ref()?;
        match g.op.as_ref().map(|a| &a.stage) {
            Some(Stage::FanOut { asks, .. }) => {
                asks.iter().find(|a| a.conn == conn).map(|a| order[a.pos])
            }
            _ => None,
        }
    }

    /// `MasterAddr`: the cached sentinel first, else every sentinel.
    pub(super) fn go_master_addr(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.go().sentinel.is_some() {
            self.go_ask_cached(ctx, false);
        } else {
            self.go_fan_out(ctx);
        }
    }

    /// `getMasterAddr` on the cached sentinel, on its pooled connection or a new one.
    fn go_ask_cached(&mut self, ctx: &mut NodeCtx<'_>, second: bool) {
        let Some(s) = self.go().sentinel else { return self.go_fan_out(ctx) };
        let conn = match s.conn {
            Some(c) => c,
            None => {
                let c = ctx.connect(self.sentinels()[s.idx]);
                self.go().sentinel = Some(CachedSentinel { conn: Some(c), ..s });
                c
            }
        };
        ctx.send(conn, Msg::Cmd(self.go_query()));
        if let Some(st) = self.go_stage() {
            *st = Stage::Cached { conn, second };
        }
    }

    /// Every sentinel of the list asked at once, each on a new `SentinelClient`.
    fn go_fan_out(&mut self, ctx: &mut NodeCtx<'_>) {
        let order = self.go_order(ctx);
        if order.is_empty() {
            let err = GoErr::new("redis: no sentinels configured", Kind::Other);
            return self.go_dial_failed(ctx, err);
        }
        let query = self.go_query();
        let asks = order
            .iter()
            .enumerate()
            .map(|(pos, &idx)| {
                let conn = ctx.connect(self.sentinels()[idx]);
                ctx.send(conn, Msg::Cmd(query.clone()));
                Ask { pos, conn, done: false }
            })
            .collect();
        if let Some(st) = self.go_stage() {
            *st = Stage::FanOut { asks, errors: Vec::new() };
        }
    }

    /// The address a `GET-MASTER-ADDR-BY-NAME` reply names, or the error go-redis makes of it.
    fn go_parse(&self, r: &Reply) -> Result<Addr, GoErr> {
        match r {
            Reply::Error(e) => Err(GoErr::reply(e.clone())),
            Reply::Array(Some(items)) => match &items[..] {
                [Reply::Bulk(Some(ip)), Reply::Bulk(Some(port))] => self
                    .dir
                    .resolve(ip)
                    .zip(port.parse().ok())
                    .map(|(h, p)| Addr::new(h, p))
                    .ok_or_else(|| {
                        GoErr::new(format!("dial tcp {ip}:{port}: no such host"), Kind::Dial)
                    }),
                _ => Err(GoErr::new("redis: nil", Kind::Other)),
            },
            _ => Err(GoErr::new("redis: nil", Kind::Other)),
        }
    }

    /// A reply on one of the lookup's connections; false if `conn` is none of them.
    pub(super) fn go_lookup_reply(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        r: &Reply,
    ) -> bool {
        match self.go_stage().cloned() {
            Some(Stage::Cached { conn: c, second }) if c == conn => {
                match self.go_parse(r) {
                    Ok(addr) => {
                        let via = self.go_sentinel_name(conn);
                        self.go_found(ctx, addr, via);
                    }
                    Err(e) => self.go_cached_failed(ctx, second, e),
                }
                true
            }
            Some(Stage::FanOut { asks, .. }) if asks.iter().any(|a| a.conn == conn && !a.done) => {
                match self.go_parse(r) {
                    Ok(addr) => self.go_won(ctx, conn, addr),
                    Err(e) => self.go_ask_failed(ctx, conn, e),
                }
                true
            }
            _ => false,
        }
    }

    /// One of the lookup's connections failed or closed; false if `conn` is none of them.
    pub(super) fn go_lookup_failed(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        err: GoErr,
    ) -> bool {
        match self.go_stage().cloned() {
            Some(Stage::Cached { conn: c, second }) if c == conn => {
                ctx.close(conn);
                if let Some(s) = self.go().sentinel.as_mut() {
                    s.conn = None;
                }
                self.go_cached_failed(ctx, second, err);
                true
            }
            Some(Stage::FanOut { asks, .. }) if asks.iter().any(|a| a.conn == conn && !a.done) => {
                self.go_ask_failed(ctx, conn, err);
                true
            }
            _ => false,
        }
    }

    /// `host:port` of the sentinel `conn` talks to.
    fn go_sentinel_name(&self, conn: ConnId) -> String {
        self.go_sentinel_of(conn).map_or_else(String::new, |i| self.dir.addr(self.sentinels()[i]))
    }

    /// The cached sentinel's query failed: asked again under the lock, then closed.
    fn go_cached_failed(&mut self, ctx: &mut NodeCtx<'_>, second: bool, err: GoErr) {
        let service = self.go_service();
        self.go_note(
            ctx,
            format!("sentinel: GetMasterAddrByName name=\"{service}\" failed: {}", err.text),
        );
        if !second {
            return self.go_ask_cached(ctx, true);
        }
        self.go_close_sentinel(ctx);
        self.go_fan_out(ctx);
    }

    fn go_service(&self) -> String {
        match &self.kind {
            super::ClientKind::Sentinel { service, .. } => service.clone(),
            _ => String::new(),
        }
    }

    /// One sentinel of the fan-out failed: when none is left, `MasterAddr` fails.
    fn go_ask_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, err: GoErr) {
        ctx.close(conn);
        let (addr, service) = (self.go_sentinel_name(conn), self.go_service());
        self.go_note(
            ctx,
            format!(
                "sentinel: GetMasterAddrByName addr={addr}, master=\"{service}\" failed: {}",
                err.text
            ),
        );
        let Some(Stage::FanOut { asks, errors }) = self.go_stage() else { return };
        for a in asks.iter_mut().filter(|a| a.conn == conn) {
            a.done = true;
        }
        errors.push(err);
        if asks.iter().all(|a| a.done) {
            let errors = std::mem::take(errors);
            self.go_unreachable(ctx, errors);
        }
    }

    /// `redis: all sentinels specified in configuration are unreachable: <joined errors>`.
    fn go_unreachable(&mut self, ctx: &mut NodeCtx<'_>, errors: Vec<GoErr>) {
        let texts: Vec<&str> = errors.iter().map(|e| e.text.as_str()).collect();
        let text = format!(
            "redis: all sentinels specified in configuration are unreachable: {}",
            texts.join(JOIN)
        );
        let kinds = errors.iter().flat_map(|e| e.kinds.iter().copied()).collect();
        self.believe(ctx, None, "no sentinel named a master".to_string());
        self.go_dial_failed(ctx, GoErr { text, kinds });
    }

    /// The first sentinel of the fan-out to name `addr`: to the top of the list, cached and
    /// subscribed to; the others cancelled.
    fn go_won(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, addr: Addr) {
        let Some(Stage::FanOut { asks, .. }) = self.go_stage().cloned() else { return };
        let Some(won) = asks.iter().find(|a| a.conn == conn).copied() else { return };
        for a in asks.iter().filter(|a| a.conn != conn && !a.done) {
            ctx.close(a.conn);
        }
        let g = self.go();
        let Some(order) = g.order.as_mut() else { return };
        let idx = order[won.pos];
        order.swap(0, won.pos);
        let via = self.dir.addr(self.sentinels()[idx]);
        let text = format!("sentinel: selected addr={via} masterAddr={}", self.dir.addr(addr));
        self.go_note(ctx, text);
        self.go_set_sentinel(ctx, idx, conn);
        self.go_found(ctx, addr, via);
    }

    /// `MasterAddr` returned `addr`: `trySwitchMaster`, then the dial.
    fn go_found(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr, via: String) {
        self.believe(ctx, Some(addr), format!("{via} answered"));
        self.go_switch_master(ctx, addr, None);
        self.go_connect(ctx, addr);
    }

    /// The dial attempt's deadline passed while the sentinels were being asked.
    pub(super) fn go_lookup_deadline(&mut self, ctx: &mut NodeCtx<'_>) {
        let err = GoErr::new("context deadline exceeded", Kind::Context);
        match self.go_stage().cloned() {
            Some(Stage::Cached { conn, second }) => {
                // The timed-out connection is removed; the sentinel stays cached unless this
                // was the query under the lock, whose failure closes it first.
                ctx.close(conn);
                if let Some(s) = self.go().sentinel.as_mut() {
                    s.conn = None;
                }
                let service = self.go_service();
                self.go_note(
                    ctx,
                    format!(
                        "sentinel: GetMasterAddrByName name=\"{service}\" failed: {}",
                        err.text
                    ),
                );
                if second {
                    self.go_close_sentinel(ctx);
                }
                self.go_dial_failed(ctx, err);
            }
            Some(Stage::FanOut { asks, mut errors }) => {
                for a in asks.iter().filter(|a| !a.done) {
                    ctx.close(a.conn);
                    errors.push(err.clone());
                }
                self.go_unreachable(ctx, errors);
            }
            _ => {}
        }
    }
}
