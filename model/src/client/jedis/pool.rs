//! A command through the provider's pool (`DefaultCommandExecutor.executeCommand`,
//! `ConnectionPool`/`GenericObjectPool` with its defaults, `Connection`): borrow or create a
//! connection, send, wait `soTimeout`, return it (or destroy it when broken, or when its pool
//! was closed meanwhile). Nothing is retried.

use super::{Client, ClientKind, PoolConn, Pooled};
use crate::observe::OpResult;
use crate::resp::Reply;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::ConnId;

impl Client {
    /// The workload issued an operation: build the client if need be, then borrow.
    pub(in crate::client) fn jd_send(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.jd().built {
            if let ClientKind::Plain { addr } = self.kind {
                // A `JedisPooled` of one fixed address: no sentinels.
                let jd = self.jd();
                (jd.built, jd.master, jd.pool) = (true, Some(addr), 1);
            } else {
                if self.jd().init.is_none() {
                    self.jd_init(ctx, 0, false);
                }
                return;
            }
        }
        let Some(master) = self.jd().master else { return };
        let pool = self.jd().pool;
        match self.jd().conn {
            Some(c) if c.state == Pooled::Idle => self.jd_write(ctx, c.conn, c.addr),
            Some(PoolConn { conn, state: Pooled::Dead(error), .. }) => {
                // The write goes into a socket the server closed: the read meets its end.
                self.jd().conn = None;
                ctx.close(conn);
                self.finish(ctx, OpResult::Error { error: error.to_string() });
            }
            Some(_) => {}
            None => {
                // `makeObject`: a new connection to the current master.
                let conn = ctx.connect(master);
                let timeout = self.jd().settings.connection_timeout;
                ctx.set_timer(Timer::JedisTimeout(conn), timeout);
                let state = Pooled::Connecting;
                self.jd().conn = Some(PoolConn { conn, addr: master, pool, state });
            }
        }
    }

    /// Sends the pending operation on the borrowed `conn`, with `soTimeout`.
    fn jd_write(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, addr: sim::Addr) {
        let after = self.jd().settings.so_timeout;
        if let Some(c) = self.jd().conn.as_mut() {
            c.state = Pooled::Busy;
        }
        let Some(p) = &mut self.pending else { return };
        p.node = Some(addr);
        ctx.send(conn, Msg::Cmd(p.op.command()));
        ctx.set_timer(Timer::ClientTimeout(p.seq), after);
    }

    /// The pool's new connection is up: the command goes out.
    pub(super) fn jd_pool_connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        let Some(c) = self.jd().conn.filter(|c| c.conn == conn) else { return };
        ctx.cancel_timer(Timer::JedisTimeout(conn));
        if self.pending.is_some() {
            self.jd_write(ctx, conn, c.addr);
        } else {
            self.jd_return(ctx);
        }
    }

    /// The command's reply: an error reply (`JedisDataException`) fails it and the connection
    /// goes back to the pool like any other.
    pub(super) fn jd_pool_reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if !self.jd().conn.is_some_and(|c| c.conn == conn && c.state == Pooled::Busy) {
            return;
        }
        let result = match r {
            Reply::Error(error) => OpResult::Error { error },
            other => OpResult::Ok { value: super::super::reply::reply_value(&other, &self.ok) },
        };
        self.jd_return(ctx);
        self.finish(ctx, result);
    }

    /// `returnResource`: back to its pool, or destroyed if `initMaster` closed that pool.
    fn jd_return(&mut self, ctx: &mut NodeCtx<'_>) {
        let jd = self.jd();
        let Some(c) = jd.conn.as_mut() else { return };
        if c.pool == jd.pool {
            c.state = Pooled::Idle;
        } else {
            ctx.close(c.conn);
            jd.conn = None;
        }
    }

    /// `soTimeout` of the command in flight: a `JedisConnectionException`, the connection is
    /// broken and destroyed; the write's fate is unknown.
    pub(super) fn jd_so_timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        if self.pending.as_ref().is_none_or(|p| p.seq != seq) {
            return;
        }
        if let Some(c) = self.jd().conn.take() {
            ctx.close(c.conn);
        }
        self.finish(ctx, OpResult::Timeout);
    }

    /// The pool's connection `conn` failed with `error`.
    pub(super) fn jd_pool_failed(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        conn: ConnId,
        error: &'static str,
    ) {
        let Some(c) = self.jd().conn.filter(|c| c.conn == conn) else { return };
        match c.state {
            Pooled::Idle => {
                // Nobody reads an idle connection: the next command finds out.
                if let Some(c) = self.jd().conn.as_mut() {
                    c.state = Pooled::Dead(error);
                }
            }
            Pooled::Dead(_) => {}
            Pooled::Connecting => {
                self.jd().conn = None;
                ctx.close(conn);
                let error = format!("Failed to connect to {}.", self.dir.addr(c.addr));
                self.finish(ctx, OpResult::Error { error });
            }
            Pooled::Busy => {
                self.jd().conn = None;
                ctx.close(conn);
                // The command was on the wire: its fate is unknown.
                self.finish(ctx, OpResult::Lost { error: error.to_string() });
            }
        }
    }
}
