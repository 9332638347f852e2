//! `SentineledConnectionProvider.SentinelListener.run`, one per sentinel, started by
//! `initSentinels` in the same order: connect, `SENTINEL GET-MASTER-ADDR-BY-NAME` and
//! `initMaster` with its answer, then `SUBSCRIBE +switch-master` with no read timeout; a
//! `JedisException` sleeps `resubscribeDelay` and the loop starts over. While it sleeps, or
//! while its sentinel is cut off with its connection still open, that sentinel's messages are
//! missed.

use super::{Client, Listener, Listening};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::ConnId;

/// The channel the listeners subscribe to.
const CHANNEL: &str = "+switch-master";

impl Client {
    /// Starts a listener per sentinel, in order (each thread's first turn of the loop).
    pub(super) fn jd_start_listeners(&mut self, ctx: &mut NodeCtx<'_>) {
        let jd = self.jd();
        let step = Listening::Sleeping;
        jd.listeners = jd.order.iter().map(|&sentinel| Listener { sentinel, step }).collect();
        for i in 0..self.jd().listeners.len() {
            self.jd_listen(ctx, i);
        }
    }

    /// Listener `i` connects and asks where the master is.
    pub(super) fn jd_listen(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        let Some(l) = self.jd().listeners.get(i).copied() else { return };
        if l.step != Listening::Sleeping {
            return;
        }
        let conn = ctx.connect(l.sentinel);
        let name = self.jd_service().to_string();
        ctx.send(conn, Msg::Cmd(Command::Sentinel(SentinelCmd::GetMasterAddrByName(name))));
        let timeout = self.jd().settings.sentinel_connection_timeout;
        ctx.set_timer(Timer::JedisTimeout(conn), timeout);
        self.jd().listeners[i].step = Listening::Asking(conn);
    }

    /// Listener `i`'s answer: `initMaster` with it (a null answer only logs), then subscribe.
    pub(super) fn jd_listener_reply(&mut self, ctx: &mut NodeCtx<'_>, i: usize, r: Reply) {
        let Some(conn) = self.jd().listeners[i].step.conn() else { return };
        if r.error().is_some() {
            // A `JedisDataException` is a `JedisException` too.
            return self.jd_listener_lost(ctx, i);
        }
        if let Some(master) = self.jd_addr_reply(&r) {
            let sentinel = self.jd().listeners[i].sentinel;
            let sentinel = self.dir.addr(sentinel);
            let via = format!("SentinelListener on {sentinel} asked GET-MASTER-ADDR-BY-NAME");
            self.jd_init_master(ctx, master, via);
        }
        ctx.send(conn, Msg::Cmd(Command::Subscribe(vec![CHANNEL.to_string()])));
        self.jd().listeners[i].step = Listening::Subscribed(conn);
    }

    /// A message on a subscription: `+switch-master <name> <old ip> <old port> <new ip> <new
    /// port>` for this client's master calls `initMaster` with the new address.
    pub(super) fn jd_push(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        channel: &str,
        msg: &str,
    ) {
        let jd = self.jd();
        let Some(l) = jd.listeners.iter().find(|l| l.step == Listening::Subscribed(conn)) else {
            return;
        };
        let sentinel = l.sentinel;
        if channel != CHANNEL {
            return;
        }
        let parts: Vec<&str> = msg.split(' ').collect();
        let (Some(name), Some(host), Some(port)) = (parts.first(), parts.get(3), parts.get(4))
        else {
            return;
        };
        if *name != self.jd_service() {
            return;
        }
        let Some(master) = self.jd_addr(host, port) else { return };
        let via =
            format!("SentinelListener on {} received {CHANNEL} {msg}", self.dir.addr(sentinel));
        self.jd_init_master(ctx, master, via);
    }

    /// Listener `i` lost its sentinel (`JedisException`): it sleeps, then starts over.
    pub(super) fn jd_listener_lost(&mut self, ctx: &mut NodeCtx<'_>, i: usize) {
        let delay = self.jd().settings.sentinel_reconnect_delay;
        let Some(l) = self.jd().listeners.get_mut(i) else { return };
        if let Some(conn) = l.step.conn() {
            ctx.close(conn);
            ctx.cancel_timer(Timer::JedisTimeout(conn));
        }
        l.step = Listening::Sleeping;
        let sentinel = l.sentinel;
        ctx.set_timer(Timer::JedisResubscribe(i), delay);
        let text = format!(
            "SentinelListener lost connection to Sentinel {}; sleeping {}ms and retrying",
            self.dir.addr(sentinel),
            delay.as_micros() / 1000
        );
        self.jd_note(ctx, text);
    }
}
