//! The `FailoverDetector` (`lib/connectors/SentinelConnector/FailoverDetector.ts`, started by
//! `SentinelConnector.initFailoverDetector` when the data connection connects, with
//! `failoverDetector: true`): the sentinel that resolved moves to the front of the list, and up
//! to `sentinelMaxConnections` (10) sentinels get a client of their own that subscribes to
//! `+switch-master`. The first message on that channel, for any master, disconnects the data
//! connection once (`isDisconnected`); `closeHandler` then reconnects through the sentinels and
//! the next connect builds a new detector. A subscription whose connection fails or closes is
//! opened again by `sentinelReconnectStrategy` a minute later (and resubscribed,
//! `autoResubscribe`); until then that sentinel's messages are missed.

use super::settings::Ioredis;
use super::{Client, Subscription};
use crate::resp::Command;
use crate::wire::{Msg, NodeCtx, Timer};

/// The channel the detector subscribes to.
const CHANNEL: &str = "+switch-master";

impl Client {
    /// `initFailoverDetector`.
    pub(super) fn io_init_detector(&mut self, ctx: &mut NodeCtx<'_>) {
        self.io_cleanup_detector(ctx);
        let io = self.io();
        io.iter.reset(true);
        let mut sentinels = Vec::new();
        while sentinels.len() < Ioredis::SENTINEL_MAX_CONNECTIONS {
            let Some(s) = io.iter.next() else { break };
            sentinels.push(s);
        }
        io.iter.reset(false);
        io.detected = false;
        io.detector =
            sentinels.into_iter().map(|s| Subscription { sentinel: s, conn: None }).collect();
        for i in 0..self.io().detector.len() {
            self.io_subscribe(ctx, i);
        }
    }

    /// Subscription `i` connects and sends `SUBSCRIBE +switch-master`.
    fn io_subscribe(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        let timeout = self.io().settings.connect_timeout;
        let Some(sub) = self.io().detector.get_mut(i) else { return };
        let conn = ctx.connect(sub.sentinel);
        sub.conn = Some(conn);
        ctx.send(conn, Msg::Cmd(Command::Subscribe(vec![CHANNEL.to_string()])));
        ctx.set_timer(Timer::IoredisConnectTimeout(conn), timeout);
    }

    /// `cleanup()`: every subscription closed (and its reconnect cancelled).
    pub(super) fn io_cleanup_detector(&mut self, ctx: &mut NodeCtx<'_>) {
        let io = self.io();
        io.detected = true;
        for (i, sub) in std::mem::take(&mut io.detector).into_iter().enumerate() {
            ctx.cancel_timer(Timer::IoredisResubscribe(i));
            if let Some(c) = sub.conn {
                ctx.close(c);
                ctx.cancel_timer(Timer::IoredisConnectTimeout(c));
            }
        }
    }

    /// Subscription `i`'s connection failed or closed: `sentinelReconnectStrategy`.
    pub(super) fn io_subscription_lost(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        if let Some(sub) = self.io().detector.get_mut(i) {
            sub.conn = None;
            ctx.set_timer(Timer::IoredisResubscribe(i), Ioredis::SENTINEL_RECONNECT);
        }
    }

    /// The reconnect of subscription `i` is due.
    pub(super) fn io_resubscribe(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        if self.io().detector.get(i).is_some_and(|s| s.conn.is_none()) {
            self.io_subscribe(ctx, i);
        }
    }

    /// A message on one of the detector's subscriptions.
    pub(super) fn io_push(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: sim::ConnId,
        channel: &str,
        message: &str,
    ) {
        let io = self.io();
        let Some(sub) = io.detector.iter().find(|s| s.conn == Some(conn)).copied() else { return };
        if channel != CHANNEL || io.detected {
            return;
        }
        io.detected = true;
        let at = self.dir.addr(sub.sentinel);
        let from = self.io().data.map(|d| self.dir.addr(d.addr));
        let text = match from {
            Some(m) => format!(
                "failover detector on {at} received {CHANNEL} {message} and disconnected from {m}"
            ),
            None => format!("failover detector on {at} received {CHANNEL} {message}"),
        };
        self.io_note(ctx, text);
        self.io_disconnect(ctx);
    }
}
