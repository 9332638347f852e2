//! Client applications: the redis-py Sentinel client (`master_for` / `slave_for`), a plain client
//! with a fixed address, and redis-cli for the scenario's `command` events. Each runs a synchronous
//! workload (one operation at a time, as a single-threaded application does) and records every
//! operation in the history: invoke and completion time, the node it went to, and its result.
//!
//! The redis-py behaviour follows `redis/sentinel.py` (5.0 by default; [`library`] says what
//! each version changes): discovery only when a connection is opened; `SENTINEL MASTERS` on each sentinel in list order, skipping connection errors and
//! timeouts and rejecting an entry flagged `s_down`/`o_down` or not a master; the answering
//! sentinel swapped with the first; connect to the address directly; on READONLY disconnect and
//! fail (`The previous master is now a slave`); on a timeout disconnect; on other errors
//! (NOREPLICAS) keep the connection; a pooled connection the server closed is replaced silently.
//! Left out: `min_other_sentinels`, connection concurrency.
//!
//! - `mod.rs`: the client process, its operation in flight and what the network does to it;
//! - `library.rs`: which library and version, and the rules the version decides;
//! - `ioredis/`: the ioredis client, a state machine of its own inside the same process;
//! - `node_redis/`: the node-redis client, another;
//! - `redis_rs/`: the redis-rs client (`SentinelClient`), likewise;
//! - `jedis/`: the Jedis client (`JedisSentineled`), likewise;
//! - `go_redis/`: the go-redis client (`NewFailoverClient`), likewise;
//! - `lettuce/`: the Lettuce client (`RedisClient.connect` of a sentinel `RedisURI`), likewise;
//! - `redisson/`: the Redisson client (`SentinelConnectionManager`), likewise;
//! - `redis_py.rs`: redis-py's discovery through the sentinels;
//! - `retry.rs`: redis-py's `Retry` loops around sentinel queries, connects and commands;
//! - `cli.rs`: redis-cli;
//! - `workload.rs`: the operations a client runs and when;
//! - `reply.rs`: reading replies and connection errors.

mod cli;
pub mod go_redis;
pub mod ioredis;
pub mod jedis;
pub mod lettuce;
pub mod library;
pub mod node_redis;
mod redis_py;
pub mod redis_rs;
pub mod redisson;
mod reply;
mod retry;
pub mod stackexchange;
mod workload;

pub use go_redis::settings::GoRedis;
pub use ioredis::settings::Ioredis;
pub use jedis::settings::Jedis;
pub use lettuce::settings::Lettuce;
pub use library::{Library, RedisPy};
pub use node_redis::settings::NodeRedis;
pub use redis_rs::settings::RedisRs;
pub use redisson::settings::Redisson;
pub use stackexchange::settings::StackExchange;
pub use workload::Workload;

use crate::observe::{Note, Op, OpRecord, OpResult};
use crate::resp::{Reply, Text};
use crate::wire::{Directory, Msg, NodeCtx, Timer};
use cli::CliCall;
use library::{Attempts, Failure, Retry};
use reply::{connect_error, reply_value};
use sim::{Addr, CloseReason, ConnId, ConnectError, Duration, Input, Instant};
use std::sync::Arc;

/// What a client does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// redis-py `Sentinel(sentinels).master_for(service)` (or `slave_for` with `replica`).
    Sentinel { sentinels: Vec<Addr>, service: String, replica: bool },
    /// A client of one fixed address.
    Plain { addr: Addr },
    /// redis-cli: one command per connection, on demand, no timeout.
    Cli,
}

/// What a discovery asks the sentinels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    /// `SENTINEL MASTERS` (`discover_master`).
    Masters,
    /// `SENTINEL REPLICAS` (`discover_slaves`).
    Replicas,
}

/// Where the operation in flight is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// Asking sentinel number `pos` of the current order (`attempts`: its retry loops).
    Discover { pos: usize, errors: Vec<String>, query: Query, attempts: Attempts },
    /// Opening the data connection to `addr`. For a replica of a `slave_for` pool, `rest` holds
    /// the replicas (with their index in the sentinel's list) to try next if this one refuses,
    /// then the master; `None` for the master.
    Connecting { addr: Addr, rest: Option<Vec<(usize, Addr)>> },
    /// Command sent on the data connection, waiting for the reply.
    Sent,
    /// Waiting out a retry's backoff; then `resume` goes on (the sentinel asked again, or the
    /// command sent again).
    Backoff { resume: Box<Stage> },
}

#[derive(Clone, Debug)]
struct Pending {
    seq: u64,
    op: Op,
    invoked: Instant,
    stage: Stage,
    node: Option<Addr>,
    /// The command's retry loops.
    attempts: Attempts,
}

/// A connection to one sentinel (redis-py keeps one pooled connection per sentinel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentinelConn {
    conn: ConnId,
    up: bool,
}

/// A client process.
pub struct Client {
    dir: Arc<Directory>,
    name: Text,
    /// `OK`, the reply most records carry, allocated once.
    ok: Text,
    kind: ClientKind,
    socket_timeout: Duration,
    /// redis-py's version and settings, and what they decide.
    library: RedisPy,
    connect_timeout: Duration,
    sentinel_retry: Retry,
    data_retry: Retry,
    workload: Option<Workload>,
    // Volatile state.
    next_seq: u64,
    started_ops: u64,
    pending: Option<Pending>,
    data: Option<(ConnId, Addr, bool)>,
    sentinel_conns: Vec<Option<SentinelConn>>,
    order: Vec<usize>,
    believed: Option<Option<Addr>>,
    last_written: Option<Text>,
    /// `host:port` of the servers operations went to, built once each.
    node_names: Vec<(Addr, Text)>,
    rr: Option<usize>,
    cli: Vec<CliCall>,
    /// The next operation fell due while one was in flight: start it when that one ends.
    due: bool,
    /// An ioredis client's state (`None`: redis-py or redis-cli).
    io: Option<Box<ioredis::IoState>>,
    /// A node-redis client's state (`None`: another library).
    nr: Option<Box<node_redis::NrState>>,
    /// A redis-rs client's state (`None`: another library).
    rs: Option<Box<redis_rs::RsState>>,
    /// A Jedis client's state (`None`: another library).
    jd: Option<Box<jedis::JdState>>,
    /// A go-redis client's state (`None`: another library).
    go: Option<Box<go_redis::GoState>>,
    /// A Lettuce client's state (`None`: another library).
    lt: Option<Box<lettuce::LtState>>,
    /// A Redisson client's state (`None`: another library).
    rd: Option<Box<redisson::RdState>>,
    /// A StackExchange.Redis client's state (`None`: another library).
    se: Option<Box<stackexchange::SeState>>,
}

impl Client {
    /// A client called `name`.
    pub fn new(
        dir: Arc<Directory>,
        name: &str,
        kind: ClientKind,
        socket_timeout: Duration,
        workload: Option<Workload>,
    ) -> Self {
        let n = match &kind {
            ClientKind::Sentinel { sentinels, .. } => sentinels.len(),
            _ => 0,
        };
        Client {
            dir,
            name: name.into(),
            ok: "OK".into(),
            kind,
            socket_timeout,
            library: RedisPy::default(),
            connect_timeout: socket_timeout,
            sentinel_retry: Retry::NONE,
            data_retry: Retry::NONE,
            workload,
            next_seq: 0,
            started_ops: 0,
            pending: None,
            data: None,
            sentinel_conns: vec![None; n],
            order: (0..n).collect(),
            believed: None,
            last_written: None,
            node_names: Vec::new(),
            rr: None,
            cli: Vec::new(),
            due: false,
            io: None,
            nr: None,
            rs: None,
            jd: None,
            go: None,
            lt: None,
            rd: None,
            se: None,
        }
    }

    /// The same client as `library` would behave.
    pub fn library(self, library: &Library) -> Self {
        match library {
            Library::RedisPy(py) => self.redis_py(py.clone()),
            Library::Ioredis(io) => self.ioredis(io.clone()),
            Library::NodeRedis(nr) => self.node_redis(nr.clone()),
            Library::RedisRs(rs) => self.redis_rs(rs.clone()),
            Library::Jedis(jd) => self.jedis(jd.clone()),
            Library::GoRedis(go) => self.go_redis(go.clone()),
            Library::Lettuce(lt) => self.lettuce(lt.clone()),
            Library::Redisson(rd) => self.redisson(rd.clone()),
            Library::StackExchange(se) => self.stackexchange(se.clone()),
        }
    }

    /// The same client as redis-py `library` (version and settings) would behave.
    pub fn redis_py(mut self, library: RedisPy) -> Self {
        self.connect_timeout = library.connect_timeout(self.socket_timeout);
        self.sentinel_retry = library.sentinel_retry();
        self.data_retry = library.data_retry(matches!(self.kind, ClientKind::Plain { .. }));
        self.library = library;
        self
    }

    /// The client's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The run ends: every operation still in flight is recorded as indeterminate.
    pub fn end_of_run(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = ctx.now().as_micros();
        let mut in_flight: Vec<(u64, Op, Instant, Option<Addr>)> =
            self.pending.take().into_iter().map(|p| (p.seq, p.op, p.invoked, p.node)).collect();
        in_flight.extend(
            std::mem::take(&mut self.cli)
                .into_iter()
                .map(|c| (c.seq, c.op, c.invoked, Some(c.node))),
        );
        for (seq, op, invoked, node) in in_flight {
            let result = OpResult::Lost { error: "no reply before the end of the run".to_string() };
            ctx.note(Note::Op(self.op_record(seq, op, invoked.as_micros(), now, node, result)));
        }
    }

    /// Starts: a workload client schedules its first operation.
    pub fn start(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some(w) = self.workload {
            let first = w.start.saturating_since(ctx.now());
            ctx.set_timer(Timer::ClientNext, first);
        }
    }

    /// The process dies: connections and the operation in flight are gone.
    pub fn crash(&mut self) {
        self.pending = None;
        self.data = None;
        self.sentinel_conns.iter_mut().for_each(|c| *c = None);
        self.cli.clear();
        self.due = false;
        if self.io.is_some() {
            self.io_crash();
        }
        if self.nr.is_some() {
            self.nr_crash();
        }
        if self.rs.is_some() {
            self.rs_crash();
        }
        if self.jd.is_some() {
            self.jd_crash();
        }
        if self.go.is_some() {
            self.go_crash();
        }
        if self.lt.is_some() {
            self.lt_crash();
        }
        if self.rd.is_some() {
            self.rd_crash();
        }
        if self.se.is_some() {
            self.se_crash();
        }
    }

    /// One input.
    pub fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        if self.io.is_some() {
            return self.io_handle(ctx, input);
        }
        if self.nr.is_some() {
            return self.nr_handle(ctx, input);
        }
        if self.rs.is_some() {
            return self.rs_handle(ctx, input);
        }
        if self.jd.is_some() {
            return self.jd_handle(ctx, input);
        }
        if self.go.is_some() {
            return self.go_handle(ctx, input);
        }
        if self.lt.is_some() {
            return self.lt_handle(ctx, input);
        }
        if self.rd.is_some() {
            return self.rd_handle(ctx, input);
        }
        if self.se.is_some() {
            return self.se_handle(ctx, input);
        }
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.timeout(ctx, seq),
            Input::Timer(Timer::ClientBackoff(seq)) => self.backoff_over(ctx, seq),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.connected(ctx, conn),
            Input::ConnectFailed(conn, e) => self.connect_failed(ctx, conn, e),
            Input::Message(conn, Msg::Reply(r)) => self.reply(ctx, conn, r),
            Input::Message(..) => {}
            Input::Closed(conn, reason) => self.closed(ctx, conn, reason),
        }
    }

    // ---------------------------------------------------------------- workload

    /// Sends the pending operation on the pooled connection, or opens one (discovering first).
    fn begin(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.io.is_some() {
            return self.io_send(ctx);
        }
        if self.nr.is_some() {
            return self.nr_send(ctx);
        }
        if self.rs.is_some() {
            return self.rs_send(ctx);
        }
        if self.jd.is_some() {
            return self.jd_send(ctx);
        }
        if self.go.is_some() {
            return self.go_send(ctx);
        }
        if self.lt.is_some() {
            return self.lt_send(ctx);
        }
        if self.rd.is_some() {
            return self.rd_send(ctx);
        }
        if self.se.is_some() {
            return self.se_send(ctx);
        }
        match (self.data, &self.kind) {
            (Some((conn, addr, true)), _) => self.send_op(ctx, conn, addr),
            (Some(_), _) => {}
            (None, ClientKind::Plain { addr }) => {
                let addr = *addr;
                self.open_data(ctx, addr);
            }
            (None, ClientKind::Sentinel { replica, .. }) => {
                let query = if *replica { Query::Replicas } else { Query::Masters };
                self.discover(ctx, query);
            }
            (None, ClientKind::Cli) => {}
        }
    }

    /// Starts a discovery from the first sentinel of the current order.
    fn discover(&mut self, ctx: &mut NodeCtx<'_>, query: Query) {
        let attempts = Attempts::default();
        self.set_stage(Stage::Discover { pos: 0, errors: Vec::new(), query, attempts });
        self.ask_sentinel(ctx);
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Some(p) = &mut self.pending {
            p.stage = stage;
        }
    }

    /// Arms the pending operation's timeout: `socket_timeout`, or `socket_connect_timeout`
    /// while `connecting`.
    fn arm_timeout(&self, ctx: &mut NodeCtx<'_>, connecting: bool) {
        if let Some(p) = &self.pending {
            let after = if connecting { self.connect_timeout } else { self.socket_timeout };
            ctx.set_timer(Timer::ClientTimeout(p.seq), after);
        }
    }

    fn send_op(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, addr: Addr) {
        let Some(p) = &mut self.pending else { return };
        p.stage = Stage::Sent;
        p.node = Some(addr);
        ctx.send(conn, Msg::Cmd(p.op.command()));
        self.arm_timeout(ctx, false);
    }

    fn open_data(&mut self, ctx: &mut NodeCtx<'_>, addr: Addr) {
        self.open_data_then(ctx, addr, None);
    }

    /// Connects to `addr`; a `slave_for` pool moves on to `rest` if it refuses.
    fn open_data_then(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        addr: Addr,
        rest: Option<Vec<(usize, Addr)>>,
    ) {
        let conn = ctx.connect(addr);
        self.data = Some((conn, addr, false));
        self.set_stage(Stage::Connecting { addr, rest });
        self.arm_timeout(ctx, true);
    }

    /// The history record of operation `seq`.
    fn op_record(
        &mut self,
        seq: u64,
        op: Op,
        invoked_us: u64,
        completed_us: u64,
        node: Option<Addr>,
        result: OpResult,
    ) -> OpRecord {
        let node = node.map(|a| self.node_name(a));
        OpRecord { client: self.name.clone(), seq, op, invoked_us, completed_us, node, result }
    }

    /// `host:port` of `a`, shared by every record of an operation sent there.
    fn node_name(&mut self, a: Addr) -> Text {
        if let Some((_, n)) = self.node_names.iter().find(|(b, _)| *b == a) {
            return n.clone();
        }
        let n: Text = self.dir.addr(a).into();
        self.node_names.push((a, n.clone()));
        n
    }

    /// Ends the pending operation with `result`.
    fn finish(&mut self, ctx: &mut NodeCtx<'_>, result: OpResult) {
        let Some(p) = self.pending.take() else { return };
        ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        let now = ctx.now().as_micros();
        ctx.note(Note::Op(self.op_record(p.seq, p.op, p.invoked.as_micros(), now, p.node, result)));
        if std::mem::take(&mut self.due) {
            self.next_op(ctx);
        }
    }

    fn drop_data(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some((conn, ..)) = self.data.take() {
            ctx.close(conn);
        }
    }

    // ---------------------------------------------------------------- discovery

    // ---------------------------------------------------------------- network events

    fn connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if let Some(i) = self.sentinel_index(conn) {
            if let Some(sc) = &mut self.sentinel_conns[i] {
                sc.up = true;
            }
            // The query waits for its reply from now on (one timer covers both when the two
            // timeouts are equal, as they are by default before 8.0).
            if self.is_asking(i) && self.connect_timeout != self.socket_timeout {
                self.arm_timeout(ctx, false);
            }
            return;
        }
        if let Some((c, addr, up)) = &mut self.data {
            if *c == conn {
                *up = true;
                let addr = *addr;
                if matches!(self.pending, Some(Pending { stage: Stage::Connecting { .. }, .. })) {
                    self.send_op(ctx, conn, addr);
                }
            }
        }
    }

    fn connect_failed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, e: ConnectError) {
        if let Some(i) = self.cli.iter().position(|c| c.conn == conn) {
            let call = self.cli.remove(i);
            let error = format!(
                "Could not connect to Redis at {}: {}",
                self.dir.addr(call.node),
                connect_error(e)
            );
            return self.cli_done(ctx, call, OpResult::Error { error });
        }
        if let Some(i) = self.sentinel_index(conn) {
            self.sentinel_conns[i] = None;
            if self.is_asking(i) {
                let (failure, err) = match e {
                    ConnectError::Refused => (
                        Failure::Refused,
                        format!(
                            "ConnectionError('Error 111 connecting to {}. Connection refused.')",
                            self.dir.addr(self.sentinels()[i])
                        ),
                    ),
                    ConnectError::TimedOut => (
                        Failure::ConnectTimeout,
                        "TimeoutError('Timeout connecting to server')".to_string(),
                    ),
                };
                self.sentinel_failed(ctx, failure, true, err);
            }
            return;
        }
        if self.data.is_some_and(|(c, ..)| c == conn) {
            let (_, addr, _) = self.data.take().expect("checked");
            // A refusal is a ConnectionError, which rotate_slaves skips; a timeout is not.
            if e == ConnectError::Refused && self.next_replica(ctx) {
                return;
            }
            let (failure, error) = match e {
                ConnectError::Refused => (
                    Failure::Refused,
                    format!("Error 111 connecting to {}. Connection refused.", self.dir.addr(addr)),
                ),
                ConnectError::TimedOut => {
                    (Failure::ConnectTimeout, "Timeout connecting to server".to_string())
                }
            };
            self.data_failed(ctx, failure, true, OpResult::Error { error });
        }
    }

    fn reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if let Some(i) = self.cli.iter().position(|c| c.conn == conn) {
            let call = self.cli.remove(i);
            ctx.close(conn);
            let result = match r {
                Reply::Error(error) => OpResult::Error { error },
                other => OpResult::Ok { value: reply_value(&other, &self.ok) },
            };
            return self.cli_done(ctx, call, result);
        }
        if let Some(i) = self.sentinel_index(conn) {
            if self.is_asking(i) {
                ctx.cancel_timer(Timer::ClientTimeout(self.pending.as_ref().expect("asking").seq));
                self.sentinel_reply(ctx, i, r);
            }
            return;
        }
        if self.data.is_none_or(|(c, ..)| c != conn)
            || !matches!(self.pending, Some(Pending { stage: Stage::Sent, .. }))
        {
            return;
        }
        match r {
            Reply::Error(e) if e.starts_with("READONLY") && self.is_master_pool() => {
                // SentinelManagedConnection.read_response turns it into a ConnectionError.
                self.drop_data(ctx);
                let error = format!("The previous master is now a slave ({e})");
                self.data_failed(ctx, Failure::ReadOnly, false, OpResult::Error { error });
            }
            Reply::Error(e) if e.starts_with("LOADING") => {
                // BusyLoadingError, a ConnectionError: the connection is closed.
                self.drop_data(ctx);
                self.data_failed(ctx, Failure::Loading, false, OpResult::Error { error: e });
            }
            Reply::Error(e) => self.finish(ctx, OpResult::Error { error: e }),
            other => {
                let value = reply_value(&other, &self.ok);
                self.finish(ctx, OpResult::Ok { value });
            }
        }
    }

    fn is_master_pool(&self) -> bool {
        !matches!(self.kind, ClientKind::Sentinel { replica: true, .. })
    }

    fn closed(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, _reason: CloseReason) {
        if let Some(i) = self.cli.iter().position(|c| c.conn == conn) {
            let call = self.cli.remove(i);
            let error = "Error: Server closed the connection".to_string();
            return self.cli_done(ctx, call, OpResult::Lost { error });
        }
        if let Some(i) = self.sentinel_index(conn) {
            let up = self.sentinel_conns[i].take().is_some_and(|c| c.up);
            if self.is_asking(i) {
                let err = "ConnectionError('Connection closed by server.')".to_string();
                self.sentinel_failed(ctx, Failure::Closed, !up, err);
            }
            return;
        }
        if self.data.is_none_or(|(c, ..)| c != conn) {
            return;
        }
        self.data = None;
        let error = "Connection closed by server.".to_string();
        let stage =
            |s: &Self, want: fn(&Stage) -> bool| s.pending.as_ref().is_some_and(|p| want(&p.stage));
        if stage(self, |s| matches!(s, Stage::Sent)) {
            // The command was in flight: its fate is unknown.
            self.data_failed(ctx, Failure::Closed, false, OpResult::Lost { error });
        } else if stage(self, |s| matches!(s, Stage::Connecting { .. })) && !self.next_replica(ctx)
        {
            // A ConnectionError while connecting (a slave_for pool tried the next one).
            self.data_failed(ctx, Failure::Closed, true, OpResult::Error { error });
        }
        // Otherwise an idle pooled connection: replaced transparently at the next command.
    }

    fn timeout(&mut self, ctx: &mut NodeCtx<'_>, seq: u64) {
        let Some(p) = &self.pending else { return };
        if p.seq != seq {
            return;
        }
        match p.stage.clone() {
            Stage::Discover { pos, .. } => {
                let idx = self.order[pos];
                let up = self.sentinel_conns[idx].is_some_and(|c| c.up);
                let (failure, e) = if up {
                    (Failure::ReadTimeout, "TimeoutError('Timeout reading from socket')")
                } else {
                    (Failure::ConnectTimeout, "TimeoutError('Timeout connecting to server')")
                };
                self.sentinel_failed(ctx, failure, !up, e.to_string());
            }
            Stage::Connecting { .. } => {
                self.drop_data(ctx);
                let error = "Timeout connecting to server".to_string();
                self.data_failed(ctx, Failure::ConnectTimeout, true, OpResult::Error { error });
            }
            Stage::Sent => {
                self.drop_data(ctx);
                self.data_failed(ctx, Failure::ReadTimeout, false, OpResult::Timeout);
            }
            Stage::Backoff { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests;
