//! How node-redis finds the master (`lib/sentinel/index.ts`, `RedisSentinelInternal`):
//! - `#reset` starts a `#connect` loop, or, when one runs, sets `#anotherReset` so it goes
//!   round once more; before the first `connect()` succeeded it does nothing.
//! - `#connect`: rounds of `transform(analyze(await observe()))`; a round that throws waits
//!   1 s (`setTimeout(1000)`) and the loop gives up after `maxCommandRediscovers` (16) of them.
//! - `observe`: the sentinels in `#sentinelRootNodes` order, each on a fresh client with no
//!   reconnects, asked `SENTINEL SENTINELS`, `SENTINEL MASTER` and `SENTINEL REPLICAS`
//!   together; the first that answers all three is used, errors move on, and none throws
//!   `None of the sentinels are available`.
//! - `analyze` (`parseNode`, `lib/sentinel/utils.ts`): a master flagged `s_down`,
//!   `disconnected` or `failover_in_progress` throws `no valid master node`; a master other
//!   than the one a ready master client is connected to is opened, and so is a sentinel other
//!   than the current sentinel client's.
//! - `transform`: the old master clients destroyed, `masterPoolSize` new ones connected
//!   (`#connectOrFail`); the new sentinel client `PSUBSCRIBE`s to `#createPubSub`'s patterns;
//!   `#sentinelRootNodes` becomes the seeds, then the sentinel asked, then the `SENTINELS`
//!   entries `parseNode` keeps (`mergeSentinelNodes`).
//! - A message on the sentinel client resets in the background
//!   (`#handlePubSubControlChannel`); its `error` (a closed or failed connection) removes the
//!   sentinel from the list (seeds restored when it empties) and resets
//!   (`#handleSentinelFailure`). `scanInterval` resets on a timer once connected.

use super::super::reply::{field, flag, parse_maps};
use super::settings::NodeRedis;
use super::{Awaiting, Client, MasterClient, Observing, SentinelClient};
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx, Timer};
use sim::Addr;

impl Client {
    /// `connect()`: the first `#connect` loop (the application awaits it before its commands).
    pub(super) fn nr_connect(&mut self, ctx: &mut NodeCtx<'_>) {
        let nr = self.nr();
        if nr.connecting {
            return;
        }
        nr.connecting = true;
        nr.rounds = 0;
        self.nr_round(ctx);
    }

    /// `#reset` (and `#resetInBackground`).
    pub(super) fn nr_reset(&mut self, ctx: &mut NodeCtx<'_>) {
        let nr = self.nr();
        if !nr.ready {
            return;
        }
        if nr.connecting {
            nr.another_reset = true;
            return;
        }
        self.nr_connect(ctx);
    }

    /// One round of `#connect`: `observe` from the first sentinel of the list.
    pub(super) fn nr_round(&mut self, ctx: &mut NodeCtx<'_>) {
        let nr = self.nr();
        nr.another_reset = false;
        if nr.roots.is_empty() {
            nr.roots = nr.seeds.clone();
        }
        self.nr_observe(ctx, 0);
    }

    /// `observe` asks sentinel `idx` of the list, on a client of its own.
    fn nr_observe(&mut self, ctx: &mut NodeCtx<'_>, idx: usize) {
        let Some(service) = self.nr_service() else { return };
        let nr = self.nr();
        let Some(&sentinel) = nr.roots.get(idx) else {
            return self.nr_round_failed(ctx, "None of the sentinels are available".to_string());
        };
        let conn = ctx.connect(sentinel);
        for q in [
            SentinelCmd::Sentinels(service.clone()),
            SentinelCmd::Master(service.clone()),
            SentinelCmd::Replicas(service),
        ] {
            ctx.send(conn, Msg::Cmd(Command::Sentinel(q)));
        }
        let timeout = self.nr().settings.connect_timeout;
        ctx.set_timer(Timer::NodeRedisTimeout(conn), timeout);
        self.nr().observing = Some(Observing { conn, idx, sentinel, replies: Vec::new() });
    }

    fn nr_service(&self) -> Option<String> {
        match &self.kind {
            super::super::ClientKind::Sentinel { service, .. } => Some(service.clone()),
            _ => None,
        }
    }

    /// The sentinel being observed failed: the next one.
    pub(super) fn nr_observe_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let Some(o) = self.nr().observing.take() else { return };
        ctx.cancel_timer(Timer::NodeRedisTimeout(o.conn));
        let at = self.dir.addr(o.sentinel);
        self.nr_note(ctx, format!("observe: sentinel {at} failed ({error}), trying the next"));
        self.nr_observe(ctx, o.idx + 1);
    }

    /// A reply to the observing client: all three in, `analyze` and `transform`.
    pub(super) fn nr_observe_reply(&mut self, ctx: &mut NodeCtx<'_>, r: Reply) {
        if let Reply::Error(e) = &r {
            let e = e.clone();
            if let Some(o) = &self.nr().observing {
                ctx.close(o.conn);
            }
            return self.nr_observe_failed(ctx, e);
        }
        let Some(o) = self.nr().observing.as_mut() else { return };
        o.replies.push(r);
        if o.replies.len() < 3 {
            return;
        }
        let o = self.nr().observing.take().expect("checked");
        ctx.close(o.conn);
        ctx.cancel_timer(Timer::NodeRedisTimeout(o.conn));
        self.nr_analyze(ctx, o);
    }

    /// `analyze`, then `transform`.
    fn nr_analyze(&mut self, ctx: &mut NodeCtx<'_>, o: Observing) {
        let via = self.dir.addr(o.sentinel);
        let entry = parse_maps(&Reply::Array(Some(vec![o.replies[1].clone()])));
        let entry = entry.first().cloned().unwrap_or_default();
        let bad = ["s_down", "disconnected", "failover_in_progress"];
        let master = match self.entry_addr(&entry) {
            Some(a) if !bad.iter().any(|f| flag(&entry, f)) => a,
            _ => {
                let flags = field(&entry, "flags").unwrap_or("?").to_string();
                let error = format!("no valid master node (SENTINEL MASTER on {via}: {flags})");
                return self.nr_round_failed(ctx, error);
            }
        };
        let mut list = vec![o.sentinel];
        for e in parse_maps(&o.replies[0]) {
            if bad.iter().any(|f| flag(&e, f)) {
                continue;
            }
            list.extend(self.entry_addr(&e));
        }
        let nr = self.nr();
        let current = nr.masters.iter().find(|m| m.ready).map(|m| m.addr);
        let sentinel_changed = nr.sentinel.is_none_or(|s| s.addr != o.sentinel);
        // mergeSentinelNodes: the seeds first, then what the sentinel named, each once.
        let mut merged: Vec<Addr> = Vec::new();
        for s in nr.seeds.iter().chain(&list) {
            if !merged.contains(s) {
                merged.push(*s);
            }
        }
        nr.roots = merged;
        let mut awaiting = Awaiting::default();
        if sentinel_changed {
            awaiting.sentinel = true;
            self.nr_open_sentinel(ctx, o.sentinel);
        }
        if current != Some(master) {
            awaiting.masters = true;
            let was = current.map_or("none".to_string(), |a| self.dir.addr(a));
            let n = self.nr().settings.master_pool_size;
            let text = format!(
                "SENTINEL MASTER on {via} names {} (ready master client: {was}): {n} new master client(s)",
                self.dir.addr(master)
            );
            self.nr_note(ctx, text);
            self.believe(ctx, Some(master), format!("{via} answered"));
            self.nr_open_masters(ctx, master);
        }
        self.nr().transform = Some(awaiting);
        self.nr_transform_progress(ctx);
    }

    /// `transform` opens a sentinel client on `addr` (the old one destroyed) and subscribes.
    fn nr_open_sentinel(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        if let Some(c) = self.nr().sentinel.take().and_then(|s| s.conn) {
            ctx.close(c);
            ctx.cancel_timer(Timer::NodeRedisTimeout(c));
        }
        let conn = ctx.connect(addr);
        let patterns = NodeRedis::PATTERNS.map(String::from).to_vec();
        ctx.send(conn, Msg::Cmd(Command::PSubscribe(patterns)));
        let timeout = self.nr().settings.connect_timeout;
        ctx.set_timer(Timer::NodeRedisTimeout(conn), timeout);
        self.nr().sentinel = Some(SentinelClient { addr, conn: Some(conn) });
    }

    /// `transform` destroys the master clients and connects `masterPoolSize` to `addr`.
    fn nr_open_masters(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        let old = std::mem::take(&mut self.nr().masters);
        for (i, m) in old.iter().enumerate() {
            ctx.cancel_timer(Timer::NodeRedisReconnect(i));
            if let Some(c) = m.conn {
                ctx.close(c);
                ctx.cancel_timer(Timer::NodeRedisTimeout(c));
                ctx.cancel_timer(Timer::NodeRedisSocketTimeout(c));
            }
        }
        // A command written on the destroyed client is rejected: execute rediscovers.
        let written = std::mem::take(&mut self.nr().written);
        let n = self.nr().settings.master_pool_size.max(1) as usize;
        for i in 0..n {
            self.nr().masters.push(MasterClient {
                addr,
                conn: None,
                ready: false,
                retries: 0,
                open: true,
            });
            self.nr_dial(ctx, i);
        }
        if self.pending.as_ref().is_some_and(|p| written.contains(&p.seq)) {
            self.nr_rejected(ctx, "The client is closed".to_string());
        }
    }

    /// Something `transform` waits for is done: when nothing is left, the round is over.
    pub(super) fn nr_transform_progress(&mut self, ctx: &mut NodeCtx<'_>) {
        let nr = self.nr();
        let Some(a) = nr.transform else { return };
        let masters_up = nr.masters.iter().all(|m| m.ready);
        if a.sentinel || (a.masters && !masters_up) {
            return;
        }
        nr.transform = None;
        if nr.another_reset {
            return self.nr_round(ctx);
        }
        nr.connecting = false;
        nr.rounds = 0;
        if !nr.ready {
            nr.ready = true;
            if let Some(t) = nr.settings.scan_interval {
                ctx.set_timer(Timer::NodeRedisScan, t);
            }
        }
        if std::mem::take(&mut self.nr().waiting) {
            self.nr_execute(ctx);
        }
    }

    /// A round threw (`#connect`'s catch): wait a second, or give up after
    /// `maxCommandRediscovers` rounds.
    pub(super) fn nr_round_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let nr = self.nr();
        nr.transform = None;
        nr.rounds += 1;
        if nr.rounds > nr.settings.max_command_rediscovers {
            nr.connecting = false;
            nr.rounds = 0;
            let n = nr.settings.max_command_rediscovers;
            self.nr_note(ctx, format!("{error}: gave up after {n} rediscoveries"));
            if std::mem::take(&mut self.nr().waiting) {
                self.finish(ctx, OpResult::Error { error });
            }
            return;
        }
        ctx.set_timer(Timer::NodeRedisRediscover, NodeRedis::REDISCOVER_WAIT);
        self.nr_note(ctx, format!("{error}: rediscovering in 1s"));
    }

    /// The sentinel client connected (its `PSUBSCRIBE` was written with the connect).
    pub(super) fn nr_sentinel_up(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(a) = self.nr().transform.as_mut() {
            a.sentinel = false;
        }
        self.nr_transform_progress(ctx);
    }

    /// `#handleSentinelFailure`: the sentinel client is gone and its sentinel leaves the list.
    pub(super) fn nr_sentinel_failed(&mut self, ctx: &mut NodeCtx<'_>, error: String) {
        let nr = self.nr();
        let Some(s) = nr.sentinel.as_mut() else { return };
        s.conn = None;
        let addr = s.addr;
        nr.roots.retain(|r| *r != addr);
        if nr.roots.is_empty() {
            nr.roots = nr.seeds.clone();
        }
        let at = self.dir.addr(addr);
        self.nr_note(
            ctx,
            format!(
                "sentinel client on {at}: {error}; removed from the sentinel list, rediscovering"
            ),
        );
        if self.nr().transform.is_some_and(|a| a.sentinel) {
            // transform's promise rejects: the round throws.
            return self.nr_round_failed(ctx, error);
        }
        self.nr_reset(ctx);
    }

    /// A message on the sentinel client's patterns: `#handlePubSubControlChannel`.
    pub(super) fn nr_push(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: sim::ConnId,
        ch: &str,
        msg: &str,
    ) {
        let Some(s) = self.nr().sentinel.filter(|s| s.conn == Some(conn)) else { return };
        let at = self.dir.addr(s.addr);
        self.nr_note(ctx, format!("sentinel client on {at} received {ch} {msg}: rediscovering"));
        self.nr_reset(ctx);
    }

    /// `scanInterval`'s timer.
    pub(super) fn nr_scan(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(t) = self.nr().settings.scan_interval {
            ctx.set_timer(Timer::NodeRedisScan, t);
        }
        self.nr_reset(ctx);
    }
}
