//! `SentinelConnectionManager.doConnect`: the first sentinel of the config's list that connects
//! names the master and lists the sentinels to register; then the rounds start.

use super::{Client, Startup};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

impl Client {
    /// Connects to sentinel `pos` of the config's list and asks it where the master is (or
    /// gives up when none is left).
    pub(super) fn rd_startup(&mut self, ctx: &mut NodeCtx<'_>, pos: usize) {
        let Some(&sentinel) = self.sentinels().get(pos) else {
            return self.rd_startup_error(ctx, "Can't connect to servers!".to_string());
        };
        let conn = ctx.connect(sentinel);
        let name = self.rd_service().to_string();
        // Sent at once: the kernel holds it until the connection is up.
        ctx.send(conn, Msg::Cmd(Command::Sentinel(SentinelCmd::GetMasterAddrByName(name))));
        let timeout = self.rd().settings.connect_timeout;
        ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
        self.rd().startup = Some(Startup { pos, conn, master: None });
    }

    /// The sentinel could not be reached, or did not answer in time (an exception other than
    /// `RedisConnectionException`, caught as `lastException`): the next one.
    pub(super) fn rd_startup_failed(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(s) = self.rd().startup.take() else { return };
        ctx.close(s.conn);
        self.rd_startup(ctx, s.pos + 1);
    }

    /// `GET-MASTER-ADDR-BY-NAME`'s answer, then `SENTINEL SENTINELS`'.
    pub(super) fn rd_startup_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        let Some(s) = self.rd().startup else { return };
        if r.error().is_some() {
            return self.rd_startup_failed(ctx);
        }
        let Some(master) = s.master else {
            let Some(master) = self.rd_addr_reply(&r) else {
                // `RedisConnectionException`: it ends the startup at once.
                ctx.close(s.conn);
                self.rd().startup = None;
                let text = "Master node is undefined! SENTINEL GET-MASTER-ADDR-BY-NAME command returns empty result!";
                return self.rd_startup_error(ctx, text.to_string());
            };
            let name = self.rd_service().to_string();
            ctx.send(s.conn, Msg::Cmd(Command::Sentinel(SentinelCmd::Sentinels(name))));
            let timeout = self.rd().settings.timeout;
            ctx.set_timer(Timer::RedissonTimeout(s.conn), timeout);
            self.rd().startup = Some(Startup { master: Some(master), ..s });
            return;
        };
        ctx.close(s.conn);
        self.rd().startup = None;
        let asked = self.sentinels()[s.pos];
        let mut sentinels = self.rd_sentinel_entries(&r);
        if !sentinels.contains(&asked) {
            sentinels.push(asked);
        }
        if self.rd().settings.check_sentinels_list && sentinels.len() < 2 {
            let text = "SENTINEL SENTINELS command returns less than 2 nodes or connection can't be established to some of them! At least two sentinels should be defined in Redis configuration. Set checkSentinelsList = false to avoid this check.";
            return self.rd_startup_error(ctx, text.to_string());
        }
        let text = format!(
            "SentinelConnectionManager asked {}: master: {} added",
            self.dir.addr(asked),
            self.dir.addr(master)
        );
        self.rd_note(ctx, text.clone());
        let rd = self.rd();
        (rd.built, rd.master, rd.entry, rd.sentinels) =
            (true, Some(master), Some(master), sentinels);
        self.believe(ctx, Some(master), text);
        let scan = self.rd().settings.scan_interval;
        ctx.set_timer(Timer::RedissonScan, scan);
        if self.pending.is_some() {
            self.rd_execute(ctx);
        }
    }

    /// The startup threw: the operation fails with it.
    fn rd_startup_error(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        self.rd_note(ctx, format!("Redisson.create failed: {error}"));
        self.believe(ctx, None, "no sentinel named a master".to_string());
        self.finish(ctx, OpResult::Error { error });
    }

    /// The `[host, port]` of a `GET-MASTER-ADDR-BY-NAME` reply, if it is one.
    pub(super) fn rd_addr_reply(&self, r: &Reply) -> Option<Addr> {
        let Reply::Array(Some(items)) = r else { return None };
        match &items[..] {
            [Reply::Bulk(Some(host)), Reply::Bulk(Some(port))] => self.rd_addr(host, port),
            _ => None,
        }
    }

    /// An `ip`/`port` pair as the simulation addresses it.
    fn rd_addr(&self, host: &str, port: &str) -> Option<Addr> {
        Some(Addr::new(self.dir.resolve(host)?, port.parse().ok()?))
    }

    /// The `ip`/`port` of each entry of a `SENTINEL SENTINELS` reply (doConnect registers them
    /// whatever their flags).
    fn rd_sentinel_entries(&self, r: &Reply) -> Vec<Addr> {
        let Reply::Array(Some(entries)) = r else { return Vec::new() };
        entries
            .iter()
            .filter_map(|e| {
                let Reply::Array(Some(kv)) = e else { return None };
                let field = |name: &str| {
                    kv.chunks(2).find_map(|p| match p {
                        [Reply::Bulk(Some(k)), Reply::Bulk(Some(v))] if k.as_str() == name => {
                            Some(v.as_str())
                        }
                        _ => None,
                    })
                };
                self.rd_addr(field("ip")?, field("port")?)
            })
            .collect()
    }
}
