//! `SentinelConnectionManager.scheduleChangeCheck`, `checkState`, `checkMasterChange` and
//! `MasterSlaveEntry.changeMaster`: every `scanInterval` a round over the shuffled sentinels;
//! the first that connects is asked where the master is, and a different answer moves the
//! client there once the new master's pool has connected.

use super::{Client, NodeConn, PoolConn, Pooled, Round};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{Addr, ConnId};

impl Client {
    /// `scanInterval` elapsed: a new round (`Collections.shuffle` of the registered
    /// sentinels), or the next sentinel of a round whose query failed.
    pub(super) fn rd_scan(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.rd().round.is_none() {
            let mut order = self.rd().sentinels.clone();
            for i in (1..order.len()).rev() {
                let j = ctx.rng().below(i + 1);
                order.swap(i, j);
            }
            self.rd().round = Some(Round { order, next: 0, asking: None, failed: false });
        }
        self.rd_check_state(ctx);
    }

    /// `checkState`: the round's next sentinel, through its cached connection or a new one.
    fn rd_check_state(&mut self, ctx: &mut NodeCtx<'_>) {
        let scan = self.rd().settings.scan_interval;
        let Some(round) = self.rd().round.as_mut() else { return };
        let Some(&sentinel) = round.order.get(round.next) else {
            let failed = round.failed;
            self.rd().round = None;
            if failed {
                let text = "Can't update cluster state. A new attempt will be made.";
                self.rd_note(ctx, text.to_string());
            }
            return ctx.set_timer(Timer::RedissonScan, scan);
        };
        round.next += 1;
        let cached = self.rd().nodes.iter().find(|n| n.sentinel == sentinel).copied();
        let conn = match cached {
            Some(n) => n.conn,
            None => {
                let conn = ctx.connect(sentinel);
                let timeout = self.rd().settings.connect_timeout;
                ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
                self.rd().nodes.push(NodeConn { sentinel, conn, up: false, stale: 0 });
                conn
            }
        };
        if let Some(r) = self.rd().round.as_mut() {
            r.asking = Some((sentinel, conn, 0));
        }
        self.rd_ask(ctx, conn, cached.is_some());
    }

    /// Sends `GET-MASTER-ADDR-BY-NAME` on `conn`; an `up` one has `timeout` from now on.
    fn rd_ask(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, up: bool) {
        let name = self.rd_service().to_string();
        ctx.send(conn, Msg::Cmd(Command::Sentinel(SentinelCmd::GetMasterAddrByName(name))));
        if up {
            let timeout = self.rd().settings.timeout;
            ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
        }
    }

    /// A sentinel's connect failed or timed out (the next sentinel at once), or its reply is
    /// late (`RedisTimeoutException`: the connection stays cached, its reply owed).
    pub(super) fn rd_sentinel_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let rd = self.rd();
        let Some(n) = rd.nodes.iter_mut().find(|n| n.conn == conn) else { return };
        let asked = rd.round.as_ref().and_then(|r| r.asking).is_some_and(|(_, c, _)| c == conn);
        if n.up {
            n.stale += 1;
            if asked {
                self.rd_query_done(ctx, None);
            }
            return;
        }
        rd.nodes.retain(|n| n.conn != conn);
        ctx.close(conn);
        if asked {
            if let Some(r) = self.rd().round.as_mut() {
                (r.asking, r.failed) = (None, true);
            }
            self.rd_check_state(ctx);
        }
    }

    /// A sentinel's reply on `conn`.
    pub(super) fn rd_sentinel_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        let rd = self.rd();
        let Some(n) = rd.nodes.iter_mut().find(|n| n.conn == conn) else { return };
        if n.stale > 0 {
            n.stale -= 1;
            return;
        }
        if rd.round.as_ref().and_then(|r| r.asking).is_none_or(|(_, c, _)| c != conn) {
            return;
        }
        ctx.cancel_timer(Timer::RedissonTimeout(conn));
        // A null answer fails in `resolveIP` like an error reply.
        let answer = self.rd_addr_reply(&r);
        self.rd_query_done(ctx, answer);
    }

    /// The query's outcome: an address is `checkMasterChange`'s, then the next round after
    /// `scanInterval`; a failure is tried once more after `retryDelay`, then the round's next
    /// sentinel is asked after `scanInterval`.
    pub(super) fn rd_query_done(&mut self, ctx: &mut NodeCtx<'_>, answer: Option<Addr>) {
        let scan = self.rd().settings.scan_interval;
        let Some((sentinel, _, tries)) = self.rd().round.as_ref().and_then(|r| r.asking) else {
            return;
        };
        if let Some(master) = answer {
            self.rd().round = None;
            self.rd_check_master(ctx, sentinel, master);
            return ctx.set_timer(Timer::RedissonScan, scan);
        }
        if tries == 0 {
            let delay = self.rd().settings.retry_delay(0, ctx.rng());
            if let Some((_, _, t)) = self.rd().round.as_mut().and_then(|r| r.asking.as_mut()) {
                *t = 1;
            }
            return ctx.set_timer(Timer::RedissonRequery, delay);
        }
        if let Some(r) = self.rd().round.as_mut() {
            (r.asking, r.failed) = (None, true);
        }
        ctx.set_timer(Timer::RedissonScan, scan);
    }

    /// The query's one retry (`RedisConnection.async` with one attempt more).
    pub(super) fn rd_requery(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some((_, conn, _)) = self.rd().round.as_ref().and_then(|r| r.asking) else { return };
        if self.rd().nodes.iter().any(|n| n.conn == conn && n.up) {
            self.rd_ask(ctx, conn, true);
        } else {
            self.rd_query_done(ctx, None);
        }
    }

    /// `checkMasterChange`: a different address is the new `currentMaster` and
    /// `changeMaster` sets up its entry.
    fn rd_check_master(&mut self, ctx: &mut NodeCtx<'_>, sentinel: Addr, master: Addr) {
        let old = self.rd().master;
        if old == Some(master) || self.rd().changing.is_some() {
            return;
        }
        let text = format!(
            "scheduleChangeCheck asked {}: master at {}",
            self.dir.addr(sentinel),
            self.dir.addr(master)
        );
        self.rd_note(ctx, text);
        let conn = ctx.connect(master);
        let timeout = self.rd().settings.connect_timeout;
        ctx.set_timer(Timer::RedissonTimeout(conn), timeout);
        let rd = self.rd();
        rd.master = Some(master);
        rd.changing = Some((conn, master, old));
    }

    /// `setupMasterEntry` connected: the new entry replaces the old one, whose connections
    /// are closed (`nodeDown`; a command on one waits for its `timeout`).
    pub(super) fn rd_master_changed(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some((conn, master, old)) = self.rd().changing.take() else { return };
        let rd = self.rd();
        rd.entry = Some(master);
        let waiting = rd.conn.is_some_and(|c| c.state == Pooled::Connecting);
        if let Some(c) = rd.conn.take() {
            if c.state != Pooled::Reconnecting {
                ctx.close(c.conn);
            }
            ctx.cancel_timer(Timer::RedissonTimeout(c.conn));
            ctx.cancel_timer(Timer::RedissonReconnect(c.conn));
        }
        self.rd().conn = Some(PoolConn { conn, addr: master, state: Pooled::Idle, stale: 0 });
        let old = old.map_or_else(|| "none".to_string(), |a| self.dir.addr(a).to_string());
        let text = format!("master {old} has been changed to {}", self.dir.addr(master));
        self.rd_note(ctx, text.clone());
        self.believe(ctx, Some(master), text);
        if waiting && self.pending.is_some() {
            // The attempt that waited for the old pool's connect takes the new one.
            self.rd_execute(ctx);
        }
    }

    /// `setupMasterEntry` failed: `currentMaster` goes back.
    pub(super) fn rd_change_failed(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some((conn, master, old)) = self.rd().changing.take() else { return };
        ctx.close(conn);
        self.rd().master = old;
        let from = old.map_or_else(|| "none".to_string(), |a| self.dir.addr(a).to_string());
        let text = format!("Unable to change master from: {from} to: {}", self.dir.addr(master));
        self.rd_note(ctx, text);
    }
}
