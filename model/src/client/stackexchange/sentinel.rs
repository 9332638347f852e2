//! The sentinel side of StackExchange.Redis (`ConnectionMultiplexer.Sentinel.cs`, 3.1.31):
//! - `InitializeSentinel`: the sentinel multiplexer subscribes to `+switch-master` (and
//!   `+sentinel`); a lost sentinel connection makes it `ReconfigureAsync`, which the model
//!   takes as a new subscription on the next sentinel of the list after `HeartbeatInterval`.
//! - `GetConfiguredPrimaryForService`: `SENTINEL GET-MASTER-ADDR-BY-NAME` on every sentinel
//!   at once (`AsParallel`), the first address to come back wins; no flag is checked. A
//!   sentinel that does not answer within `syncTimeout` counts as no answer.
//! - `GetSentinelMasterConnection`: asks twice if no sentinel named an address (then fails
//!   with `Sentinel: Failed connecting to configured primary for service`), connects to the
//!   primary and checks `ROLE`; not a master, it sleeps 100 ms and starts again, until
//!   `connectTimeout` has passed since it began.
//! - `SwitchPrimary` (a `+switch-master` for the service, or the timer of
//!   `OnManagedConnectionFailed`): asks twice too; a named primary the multiplexer is not
//!   writing to is reconfigured to; `OnManagedConnectionRestored` stops the timer.

use super::settings::StackExchange;
use super::{Ask, Client, ClientKind, Link, Primary, SentinelConn, Sub, Why};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{Addr, ConnId, Duration};

/// The channels `InitializeSentinel` subscribes to.
const CHANNELS: [&str; 2] = ["+switch-master", "+sentinel"];

impl Client {
    /// `SentinelConnect` then `GetSentinelMasterConnection`: every sentinel connected, the
    /// subscription on the first, the primary asked for.
    pub(super) fn se_start(&mut self, ctx: &mut NodeCtx<'_>) {
        let n = self.sentinels().len();
        let sentinels =
            (0..n).map(|i| SentinelConn { conn: Some(ctx.connect(self.sentinels()[i])) });
        self.se().sentinels = sentinels.collect();
        if n > 0 {
            self.se().sub = Some(Sub { idx: n - 1, conn: None });
            self.se_subscribe(ctx);
        }
        let until = ctx.now() + self.se().settings.connect_timeout;
        self.se().deadline = Some(until);
        self.se_ask(ctx, Why::Connect);
    }

    /// The subscription moves to the next sentinel of the list and subscribes there.
    pub(super) fn se_subscribe(&mut self, ctx: &mut NodeCtx<'_>) {
        let n = self.sentinels().len();
        let Some(s) = self.se().sub.filter(|s| s.conn.is_none()) else { return };
        if n == 0 {
            return;
        }
        let idx = (s.idx + 1) % n;
        let conn = ctx.connect(self.sentinels()[idx]);
        let channels = CHANNELS.iter().map(|c| c.to_string()).collect();
        ctx.send(conn, Msg::Cmd(Command::Subscribe(channels)));
        self.se().sub = Some(Sub { idx, conn: Some(conn) });
    }

    /// Which sentinel `conn` talks to (an interactive connection or the subscription).
    fn se_sentinel_idx(&self, conn: ConnId) -> Option<usize> {
        let s = self.se.as_deref()?;
        if let Some(sub) = s.sub.filter(|x| x.conn == Some(conn)) {
            return Some(sub.idx);
        }
        s.sentinels.iter().position(|x| x.conn == Some(conn))
    }

    /// True if `conn` is a sentinel connection (nothing to do when it comes up).
    pub(super) fn se_sentinel_connected(&self, conn: ConnId) -> bool {
        self.se_sentinel_idx(conn).is_some()
    }

    /// A sentinel connection failed or closed; false if `conn` is none of them.
    pub(super) fn se_sentinel_closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) -> bool {
        let Some(idx) = self.se_sentinel_idx(conn) else { return false };
        ctx.close(conn);
        let at = self.dir.addr(self.sentinels()[idx]);
        if self.se().sub.is_some_and(|s| s.conn == Some(conn)) {
            if let Some(s) = self.se().sub.as_mut() {
                s.conn = None;
            }
            self.se_note(ctx, format!("lost sentinel connection {at}: ReconfigureAsync (\"Lost sentinel connection\") subscribes to +switch-master again"));
            ctx.set_timer(Timer::SeResubscribe, StackExchange::HEARTBEAT);
            return true;
        }
        self.se().sentinels[idx].conn = None;
        self.se_no_answer(ctx, conn);
        true
    }

    /// `GetConfiguredPrimaryForService`: every sentinel asked at once (a new connection for
    /// one that has none). An ask in flight already answers this one too.
    pub(super) fn se_ask(&mut self, ctx: &mut NodeCtx<'_>, why: Why) {
        if self.se().ask.is_some() {
            return;
        }
        self.se_round(ctx, why, 1);
    }

    fn se_round(&mut self, ctx: &mut NodeCtx<'_>, why: Why, round: u8) {
        let query = Command::Sentinel(SentinelCmd::GetMasterAddrByName(self.se_service()));
        let mut waiting = Vec::new();
        for i in 0..self.sentinels().len() {
            let conn = match self.se().sentinels[i].conn {
                Some(c) => c,
                None => {
                    let c = ctx.connect(self.sentinels()[i]);
                    self.se().sentinels[i].conn = Some(c);
                    c
                }
            };
            ctx.send(conn, Msg::Cmd(query.clone()));
            waiting.push(conn);
        }
        let s = self.se();
        s.asks += 1;
        let n = s.asks;
        ctx.set_timer(Timer::SeAsk(n), s.settings.sync_timeout);
        s.ask = Some(Ask { why, round, waiting, n });
        if self.sentinels().is_empty() {
            self.se_round_over(ctx);
        }
    }

    /// A sentinel's reply; false if `conn` is no sentinel connection.
    pub(super) fn se_sentinel_reply(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        r: &Reply,
    ) -> bool {
        let Some(idx) = self.se_sentinel_idx(conn) else { return false };
        if !self.se().ask.as_ref().is_some_and(|a| a.waiting.contains(&conn)) {
            return true;
        }
        let addr = match r {
            Reply::Array(Some(items)) => match &items[..] {
                [Reply::Bulk(Some(ip)), Reply::Bulk(Some(port))] => {
                    self.dir.resolve(ip).zip(port.parse().ok()).map(|(h, p)| Addr::new(h, p))
                }
                _ => None,
            },
            _ => None,
        };
        match addr {
            Some(addr) => {
                let Some(a) = self.se().ask.take() else { return true };
                ctx.cancel_timer(Timer::SeAsk(a.n));
                self.se_found(ctx, a.why, addr, idx);
            }
            None => self.se_no_answer(ctx, conn),
        }
        true
    }

    /// `conn`'s sentinel gave no address (null, an error, a lost connection).
    fn se_no_answer(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(a) = self.se().ask.as_mut() else { return };
        a.waiting.retain(|&c| c != conn);
        if a.waiting.is_empty() {
            self.se_round_over(ctx);
        }
    }

    /// The round's `syncTimeout` passed: the silent sentinels count as no answer (their
    /// connections are dropped, so a late reply cannot answer the next round).
    pub(super) fn se_ask_timeout(&mut self, ctx: &mut NodeCtx<'_>, n: u64) {
        let Some(a) = self.se().ask.clone().filter(|a| a.n == n) else { return };
        for conn in a.waiting {
            ctx.close(conn);
            for s in self.se().sentinels.iter_mut().filter(|s| s.conn == Some(conn)) {
                s.conn = None;
            }
        }
        self.se_round_over(ctx);
    }

    /// No sentinel named an address this round: a second round, else the caller's error.
    fn se_round_over(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(a) = self.se().ask.take() else { return };
        ctx.cancel_timer(Timer::SeAsk(a.n));
        if a.round == 1 {
            return self.se_round(ctx, a.why, 2);
        }
        let service = self.se_service();
        self.believe(ctx, None, "no sentinel named a primary".to_string());
        match a.why {
            Why::Connect => self.se_give_up(
                ctx,
                format!("Sentinel: Failed connecting to configured primary for service: {service}"),
            ),
            Why::Switch { .. } => self.se_note(
                ctx,
                format!("SwitchPrimary: Sentinel: Failed connecting to switch primary for service: {service}"),
            ),
        }
    }

    /// A sentinel named `addr`.
    fn se_found(&mut self, ctx: &mut NodeCtx<'_>, why: Why, addr: Addr, idx: usize) {
        let via = self.dir.addr(self.sentinels()[idx]);
        self.believe(ctx, Some(addr), format!("{via} answered"));
        let to = self.dir.addr(addr);
        let old = self.se().primary;
        match why {
            Why::Connect => {
                self.se_note(ctx, format!("GetSentinelMasterConnection: {via} names {to}"));
                self.se_open(ctx, addr);
            }
            Why::Switch { heard } if old.is_some_and(|p| p.addr == addr) => {
                if let Some(h) = heard {
                    let on = self.dir.addr(self.sentinels()[h]);
                    self.se_note(ctx, format!("SwitchPrimary after +switch-master on {on}: {via} answered first and names {to}, where it writes already: nothing to reconfigure"));
                }
            }
            Why::Switch { heard } => {
                let from = old.map(|p| format!(", writes move from {}", self.dir.addr(p.addr)));
                let cause = match heard {
                    Some(h) => format!("+switch-master on {}", self.dir.addr(self.sentinels()[h])),
                    None => "the reconnect timer".to_string(),
                };
                self.se_note(
                    ctx,
                    format!(
                        "SwitchPrimary ({cause}): {via} names {to}; ReconfigureAsync{}",
                        from.unwrap_or_default()
                    ),
                );
                if let Some(p) = old {
                    ctx.cancel_timer(Timer::SeConnect(p.conn));
                    if self.se().written == Some(p.conn) {
                        self.se().draining = Some(p.conn);
                    } else {
                        ctx.close(p.conn);
                    }
                    self.se().orphans = 0;
                }
                self.se_open(ctx, addr);
            }
        }
    }

    /// The primary's `ROLE` reply: a master is written to (and restores the managed
    /// connection); anything else is not.
    pub(super) fn se_role(&mut self, ctx: &mut NodeCtx<'_>, p: Primary, r: &Reply) {
        let role = match r {
            Reply::Array(Some(items)) => match items.first() {
                Some(Reply::Bulk(Some(role))) => role.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        let at = self.dir.addr(p.addr);
        if role == "master" {
            if let Some(x) = self.se().primary.as_mut() {
                x.link = Link::Ready;
            }
            if !self.se().managed {
                self.se().managed = true;
                self.se().deadline = None;
                self.se_note(ctx, format!("GetSentinelMasterConnection: ROLE of {at} is master"));
            } else if self.se().timer {
                self.se().timer = false;
                ctx.cancel_timer(Timer::SeSwitch);
                self.se_note(ctx, format!("connection to {at} restored (ROLE master): OnManagedConnectionRestored stops the SwitchPrimary timer"));
            }
            return self.se_flush(ctx);
        }
        ctx.close(p.conn);
        self.se().primary = None;
        self.se_note(ctx, format!("ROLE of {at} is {role}: not a primary"));
        if self.se().managed {
            self.se_start_timer(ctx);
        } else {
            self.se_connect_again(ctx);
        }
    }

    /// `GetSentinelMasterConnection` sleeps 100 ms and starts again, unless `connectTimeout`
    /// has passed since it began.
    pub(super) fn se_connect_again(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.se().deadline.is_some_and(|d| ctx.now() + StackExchange::CONNECT_RETRY < d) {
            ctx.set_timer(Timer::SeRetry, StackExchange::CONNECT_RETRY);
            return;
        }
        let service = self.se_service();
        self.se_give_up(
            ctx,
            format!("Sentinel: Failed connecting to configured primary for service: {service}"),
        );
    }

    /// The connect throws `error` (`abortConnect`): the operation fails, every connection is
    /// closed and the next operation connects anew.
    fn se_give_up(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        self.se_note(ctx, error.clone());
        let s = self.se();
        let conns: Vec<ConnId> = s
            .sentinels
            .iter()
            .filter_map(|x| x.conn)
            .chain(s.sub.and_then(|x| x.conn))
            .chain(s.primary.map(|p| p.conn))
            .collect();
        for c in conns {
            ctx.close(c);
        }
        ctx.cancel_timer(Timer::SeResubscribe);
        self.se_crash();
        if let Some(p) = &self.pending {
            ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        }
        if self.pending.is_some() {
            self.finish(ctx, OpResult::Error { error });
        }
    }

    /// `OnManagedConnectionFailed`: the timer runs `SwitchPrimary` at once, then every second.
    pub(super) fn se_start_timer(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.se().timer || !matches!(self.kind, ClientKind::Sentinel { .. }) {
            return;
        }
        self.se().timer = true;
        ctx.set_timer(Timer::SeSwitch, Duration::ZERO);
    }

    /// The timer's `SwitchPrimary`; with no primary connection it reconnects to the one the
    /// sentinels name.
    pub(super) fn se_switch_tick(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.se().timer {
            return;
        }
        ctx.set_timer(Timer::SeSwitch, StackExchange::SWITCH_EVERY);
        if self.se().primary.is_some_and(|p| p.link != Link::Ready) {
            return;
        }
        self.se_ask(ctx, Why::Switch { heard: None });
    }

    /// A message on the subscription: `+switch-master <service> ...` runs `SwitchPrimary`.
    pub(super) fn se_push(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        channel: &str,
        message: &str,
    ) {
        let Some(sub) = self.se().sub.filter(|s| s.conn == Some(conn)) else { return };
        if channel != CHANNELS[0] || !self.se().managed {
            return;
        }
        if message.split(' ').next() != Some(self.se_service().as_str()) {
            return;
        }
        let at = self.dir.addr(self.sentinels()[sub.idx]);
        self.se_note(ctx, format!("received +switch-master {message} on {at}: SwitchPrimary"));
        self.se_ask(ctx, Why::Switch { heard: Some(sub.idx) });
    }
}
