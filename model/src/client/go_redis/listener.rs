//! The `+switch-master` listener (`sentinel.go`: `setSentinel`, `listen`, `trySwitchMaster`,
//! and `NewFailoverClient`'s `onFailover`; `pubsub.go`: `releaseConn`, `reconnect`,
//! `channel.initMsgChan`): the sentinel `MasterAddr` cached gets a `PubSub` subscribed to
//! `+switch-master` and `+replica-reconf-done` on a connection of its own. A `+switch-master`
//! for the client's master name sets `masterAddr` to the new address and closes every pool
//! connection to another one, the idle ones and the one a command is waiting on alike.
//! A broken subscription is dialled again at once, to the same sentinel, then every 100 ms
//! (the `Receive` loop's sleep) until it connects, and resubscribed; its messages meanwhile
//! are missed. The listener lives as long as the cached sentinel (`closeSentinel`).

use super::settings::GoRedis;
use super::{Client, GoErr, Kind, PubSub, Stage};
use crate::resp::Command;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{Addr, ConnId};

/// The channels `setSentinel` subscribes to.
const CHANNELS: [&str; 2] = ["+switch-master", "+replica-reconf-done"];

impl Client {
    /// `setSentinel`: sentinel `idx`, whose connection is `conn`, is cached and subscribed to.
    pub(super) fn go_set_sentinel(&mut self, ctx: &mut NodeCtx<'_>, idx: usize, conn: ConnId) {
        self.go().sentinel = Some(super::CachedSentinel { idx, conn: Some(conn) });
        self.go().pubsub = Some(PubSub { idx, conn: None, up: false });
        self.go_subscribe(ctx);
    }

    /// The subscription's connection dials its sentinel and sends `SUBSCRIBE`.
    fn go_subscribe(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(p) = self.go().pubsub else { return };
        let conn = ctx.connect(self.sentinels()[p.idx]);
        let channels = CHANNELS.iter().map(|c| c.to_string()).collect();
        ctx.send(conn, Msg::Cmd(Command::Subscribe(channels)));
        let after = self.go().settings.dial_timeout;
        ctx.set_timer(Timer::GoRedisDialTimeout(conn), after);
        self.go().pubsub = Some(PubSub { conn: Some(conn), up: false, ..p });
    }

    /// `closeSentinel`: the cached sentinel's connection and its subscription are closed.
    pub(super) fn go_close_sentinel(&mut self, ctx: &mut NodeCtx<'_>) {
        let g = self.go();
        if let Some(c) = g.sentinel.take().and_then(|s| s.conn) {
            ctx.close(c);
        }
        if let Some(p) = g.pubsub.take() {
            if let Some(c) = p.conn {
                ctx.close(c);
                ctx.cancel_timer(Timer::GoRedisDialTimeout(c));
            }
            ctx.cancel_timer(Timer::GoRedisResubscribe);
        }
    }

    /// The subscription's connection is up; false if `conn` is not it.
    pub(super) fn go_listener_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) -> bool {
        let Some(p) = self.go().pubsub.as_mut().filter(|p| p.conn == Some(conn)) else {
            return false;
        };
        p.up = true;
        ctx.cancel_timer(Timer::GoRedisDialTimeout(conn));
        true
    }

    /// The subscription's connection failed or closed; false if `conn` is not it. A
    /// connection that was up is dialled again at once (`reconnect`), a failed dial after the
    /// `Receive` loop's sleep.
    pub(super) fn go_listener_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) -> bool {
        let Some(p) = self.go().pubsub.filter(|p| p.conn == Some(conn)) else { return false };
        ctx.close(conn);
        ctx.cancel_timer(Timer::GoRedisDialTimeout(conn));
        self.go().pubsub = Some(PubSub { conn: None, up: false, ..p });
        if p.up {
            let at = self.dir.addr(self.sentinels()[p.idx]);
            self.go_note(
                ctx,
                format!("sentinel listener on {at} lost its subscription and dials it again"),
            );
            self.go_subscribe(ctx);
        } else {
            ctx.set_timer(Timer::GoRedisResubscribe, GoRedis::RESUBSCRIBE);
        }
        true
    }

    /// The `Receive` loop's sleep is over: dial the subscription again.
    pub(super) fn go_resubscribe(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.go().pubsub.is_some_and(|p| p.conn.is_none()) {
            self.go_subscribe(ctx);
        }
    }

    /// A message on the subscription (`listen`).
    pub(super) fn go_push(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        channel: &str,
        message: &str,
    ) {
        let Some(p) = self.go().pubsub.filter(|p| p.conn == Some(conn)) else { return };
        if channel != CHANNELS[0] {
            return;
        }
        let parts: Vec<&str> = message.split(' ').collect();
        let service = match &self.kind {
            super::ClientKind::Sentinel { service, .. } => service.as_str(),
            _ => "",
        };
        if parts.first() != Some(&service) {
            let other = parts.first().copied().unwrap_or_default();
            return self.go_note(ctx, format!("sentinel: ignore addr for master=\"{other}\""));
        }
        let addr = match (parts.get(3), parts.get(4)) {
            (Some(ip), Some(port)) => {
                self.dir.resolve(ip).zip(port.parse().ok()).map(|(h, p)| Addr::new(h, p))
            }
            _ => None,
        };
        let Some(addr) = addr else { return };
        self.go_switch_master(ctx, addr, Some((p.idx, message)));
    }

    /// `trySwitchMaster(addr)`: a new address closes the pool's connections to any other one
    /// (`onFailover`). `heard`: the sentinel and message of a `+switch-master`, if one did it.
    pub(super) fn go_switch_master(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        addr: Addr,
        heard: Option<(usize, &str)>,
    ) {
        if self.go().master == Some(addr) {
            return;
        }
        self.go().master = Some(addr);
        let service = match &self.kind {
            super::ClientKind::Sentinel { service, .. } => service.clone(),
            _ => String::new(),
        };
        let new = self.dir.addr(addr);
        let stale = self.go().data.filter(|d| d.addr != addr && d.up);
        let closed =
            stale.map(|d| format!(" and closed its connection to {}", self.dir.addr(d.addr)));
        let text = match heard {
            Some((idx, message)) => format!(
                "sentinel listener on {} received +switch-master {message}: new master=\"{service}\" addr=\"{new}\"{}",
                self.dir.addr(self.sentinels()[idx]),
                closed.unwrap_or_default()
            ),
            None => format!(
                "sentinel: new master=\"{service}\" addr=\"{new}\"{}",
                closed.unwrap_or_default()
            ),
        };
        self.go_note(ctx, text);
        let Some(d) = stale else { return };
        let busy = self.go_stage() == Some(&mut Stage::Sent);
        self.go().data = None;
        ctx.close(d.conn);
        if busy {
            let err = GoErr::new(
                format!("read tcp {}: use of closed network connection", self.dir.addr(d.addr)),
                Kind::Net,
            );
            self.go_sent_failed(ctx, err);
        }
    }
}
