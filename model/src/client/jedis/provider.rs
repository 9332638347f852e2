//! `SentineledConnectionProvider.initSentinels` and `initMaster`: finding the master once, in
//! the constructor, and replacing the pool whenever the master's address changes.

use super::{Client, Init, Pooled};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

impl Client {
    /// `initSentinels` asks sentinel `pos` of the order (or gives up when none is left).
    pub(super) fn jd_init(&mut self, ctx: &mut NodeCtx<'_>, pos: usize, available: bool) {
        let Some(&sentinel) = self.jd().order.get(pos) else {
            return self.jd_init_done(ctx, available);
        };
        let conn = ctx.connect(sentinel);
        let name = self.jd_service().to_string();
        // Sent at once: the kernel holds it until the connection is up.
        ctx.send(conn, Msg::Cmd(Command::Sentinel(SentinelCmd::GetMasterAddrByName(name))));
        let timeout = self.jd().settings.sentinel_connection_timeout;
        ctx.set_timer(Timer::JedisTimeout(conn), timeout);
        self.jd().init = Some(Init { pos, conn, available });
    }

    /// The sentinel asked failed (`JedisException`): the next one.
    pub(super) fn jd_init_failed(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(i) = self.jd().init.take() else { return };
        ctx.close(i.conn);
        self.jd_init(ctx, i.pos + 1, i.available);
    }

    /// The sentinel's reply to `GET-MASTER-ADDR-BY-NAME`.
    pub(super) fn jd_init_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let Some(i) = self.jd().init.take() else { return };
        ctx.close(i.conn);
        if r.error().is_some() {
            // A `JedisDataException`: caught before `sentinelAvailable` is set.
            return self.jd_init(ctx, i.pos + 1, i.available);
        }
        let Some(master) = self.jd_addr_reply(&r) else {
            return self.jd_init(ctx, i.pos + 1, true);
        };
        let sentinel = self.jd().order[i.pos];
        let via = format!("initSentinels asked {}", self.dir.addr(sentinel));
        self.jd().built = true;
        self.jd_init_master(ctx, master, via);
        self.jd_start_listeners(ctx);
        if self.pending.is_some() {
            self.jd_send(ctx);
        }
    }

    /// No sentinel named a master: the constructor throws, the operation fails with it.
    fn jd_init_done(&mut self, ctx: &mut NodeCtx<'_>, available: bool) {
        let name = self.jd_service();
        let error = if available {
            format!("Can connect to sentinel, but {name} seems to be not monitored.")
        } else {
            format!("All sentinels down, cannot determine where {name} is running.")
        };
        self.jd_note(ctx, format!("initSentinels failed: {error}"));
        self.believe(ctx, None, "no sentinel named a master".to_string());
        self.finish(ctx, OpResult::Error { error });
    }

    /// The `[host, port]` of a `GET-MASTER-ADDR-BY-NAME` reply, if it is one (a null reply, or
    /// one not of size 2, is "Can not get master addr").
    pub(super) fn jd_addr_reply(&self, r: &Reply) -> Option<Addr> {
        let Reply::Array(Some(items)) = r else { return None };
        match &items[..] {
            [Reply::Bulk(Some(host)), Reply::Bulk(Some(port))] => self.jd_addr(host, port),
            _ => None,
        }
    }

    /// `new HostAndPort(host, Integer.parseInt(port))`, as the simulation addresses it.
    pub(super) fn jd_addr(&self, host: &str, port: &str) -> Option<Addr> {
        Some(Addr::new(self.dir.resolve(host)?, port.parse().ok()?))
    }

    /// `initMaster(master)`: a new address gets a new pool and the old one is closed (its idle
    /// connection destroyed; a borrowed one is destroyed when returned). `via` says what asked,
    /// for the story.
    pub(super) fn jd_init_master(&mut self, ctx: &mut NodeCtx<'_>, master: Addr, via: String) {
        if self.jd().master == Some(master) {
            return;
        }
        let text =
            format!("{via} and created a connection pool to master at {}", self.dir.addr(master));
        self.jd_note(ctx, text);
        let jd = self.jd();
        jd.master = Some(master);
        jd.pool += 1;
        if let Some(c) = jd.conn.filter(|c| matches!(c.state, Pooled::Idle | Pooled::Dead(_))) {
            jd.conn = None;
            ctx.close(c.conn);
        }
        self.believe(ctx, Some(master), via);
    }
}
