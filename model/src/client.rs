//! Client applications: the redis-py Sentinel client (`master_for` / `slave_for`), a plain client
//! with a fixed address, and redis-cli for the scenario's `command` events. Each runs a synchronous
//! workload (one operation at a time, as a single-threaded application does) and records every
//! operation in the history: invoke and completion time, the node it went to, and its result.
//!
//! The redis-py behaviour follows `redis/sentinel.py` (5.0): discovery only when a connection is
//! opened; `SENTINEL MASTERS` on each sentinel in list order, skipping connection errors and
//! timeouts and rejecting an entry flagged `s_down`/`o_down` or not a master; the answering
//! sentinel swapped with the first; connect to the address directly; on READONLY disconnect and
//! fail (`The previous master is now a slave`); on a timeout disconnect; on other errors
//! (NOREPLICAS) keep the connection; a pooled connection the server closed is replaced silently.
//! Left out: retries (redis-py's default is none), `min_other_sentinels`, connection concurrency.

use crate::node::{Directory, Msg, NodeCtx, Note, Timer};
use crate::resp::{Command, Reply, SentinelCmd, SetCond, Text};
use serde::{Deserialize, Serialize};
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

/// A workload: SETs of unique keys and GETs, at fixed rates, between `start` and `stop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// SETs per second.
    pub writes_per_sec: u32,
    /// GETs per second.
    pub reads_per_sec: u32,
    /// First operation.
    pub start: Instant,
    /// No operation starts at or after this.
    pub stop: Instant,
}

/// What an operation was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case")]
pub enum Op {
    /// `SET key value` (shared with the command and every dataset that stores it).
    Write { key: Text, value: Text },
    /// `GET key` (the key shared with the write that chose it).
    Read { key: Text },
    /// Any other command (from a `command` event).
    Command { argv: Vec<String> },
}

impl Op {
    /// The command sent.
    pub fn command(&self) -> Command {
        match self {
            Op::Write { key, value } => Command::Set {
                key: key.clone(),
                value: value.clone(),
                cond: SetCond::Always,
                get: false,
            },
            Op::Read { key } => Command::from_strs(&["GET", key]),
            Op::Command { argv } => Command::parse(argv),
        }
    }

    /// The key and value of a write (a SET from a workload or from a `command` event).
    pub fn written(&self) -> Option<(&str, &str)> {
        match self {
            Op::Write { key, value } => Some((key, value)),
            Op::Command { argv } if argv.len() >= 3 && argv[0].eq_ignore_ascii_case("set") => {
                Some((&argv[1], &argv[2]))
            }
            _ => None,
        }
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum OpResult {
    /// A reply that is not an error.
    Ok {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// An error: the command was not applied (error reply, or never sent).
    Error { error: String },
    /// No reply within the socket timeout: indeterminate.
    Timeout,
    /// The connection dropped with the command in flight (or the run ended): indeterminate.
    Lost { error: String },
}

impl OpResult {
    /// True when the command may or may not have been applied.
    pub fn indeterminate(&self) -> bool {
        matches!(self, OpResult::Timeout | OpResult::Lost { .. })
    }
}

/// One operation in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// The client's name (one allocation shared by all its records).
    pub client: Text,
    /// Per-client sequence number.
    pub seq: u64,
    /// What was asked.
    pub op: Op,
    /// When the application called (virtual µs).
    pub invoked_us: u64,
    /// When the call returned (virtual µs).
    pub completed_us: u64,
    /// `host:port` the command was sent to (none if it never was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Text>,
    /// The outcome.
    #[serde(flatten)]
    pub result: OpResult,
}

/// A client's belief about the master changed (after a discovery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Belief {
    /// The client.
    pub client: String,
    /// The master it will use (`None`: no sentinel named one).
    pub master: Option<String>,
    /// The sentinel that answered, or why none did.
    pub via: String,
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
    /// Asking sentinel number `pos` of the current order.
    Discover { pos: usize, errors: Vec<String>, query: Query },
    /// Opening the data connection to `addr`. For a replica of a `slave_for` pool, `rest` holds
    /// the replicas (with their index in the sentinel's list) to try next if this one refuses,
    /// then the master; `None` for the master.
    Connecting { addr: Addr, rest: Option<Vec<(usize, Addr)>> },
    /// Command sent on the data connection, waiting for the reply.
    Sent,
}

#[derive(Clone, Debug)]
struct Pending {
    seq: u64,
    op: Op,
    invoked: Instant,
    stage: Stage,
    node: Option<Addr>,
}

/// A connection to one sentinel (redis-py keeps one pooled connection per sentinel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentinelConn {
    conn: ConnId,
    up: bool,
}

/// A redis-cli invocation in flight.
#[derive(Clone, Debug)]
struct CliCall {
    conn: ConnId,
    seq: u64,
    op: Op,
    invoked: Instant,
    node: Addr,
}

/// A client process.
pub struct Client {
    dir: Arc<Directory>,
    name: Text,
    kind: ClientKind,
    socket_timeout: Duration,
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
            kind,
            socket_timeout,
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
        }
    }

    /// The client's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The run ends: every operation still in flight is recorded as indeterminate.
    pub fn end_of_run(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = ctx.now().as_micros();
        let lost = |seq, op: Op, invoked: Instant, node: Option<Addr>| OpRecord {
            client: self.name.clone(),
            seq,
            op,
            invoked_us: invoked.as_micros(),
            completed_us: now,
            node: node.map(|a| Text::from(self.dir.addr(a))),
            result: OpResult::Lost { error: "no reply before the end of the run".to_string() },
        };
        let mut records: Vec<OpRecord> =
            self.pending.take().into_iter().map(|p| lost(p.seq, p.op, p.invoked, p.node)).collect();
        records.extend(
            std::mem::take(&mut self.cli)
                .into_iter()
                .map(|c| lost(c.seq, c.op, c.invoked, Some(c.node))),
        );
        for r in records {
            ctx.note(Note::Op(r));
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
    }

    /// redis-cli: runs `argv` against `target` on a fresh connection.
    pub fn run_command(&mut self, ctx: &mut NodeCtx<'_>, argv: Vec<String>, target: Addr) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let conn = ctx.connect(target);
        let op = Op::Command { argv };
        ctx.send(conn, Msg::Cmd(op.command()));
        self.cli.push(CliCall { conn, seq, op, invoked: ctx.now(), node: target });
    }

    /// Records a command that could not even be sent (e.g. no sentinel named a master).
    pub fn record_unsent(&mut self, ctx: &mut NodeCtx<'_>, argv: Vec<String>, error: String) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let now = ctx.now().as_micros();
        ctx.note(Note::Op(OpRecord {
            client: self.name.clone(),
            seq,
            op: Op::Command { argv },
            invoked_us: now,
            completed_us: now,
            node: None,
            result: OpResult::Error { error },
        }));
    }

    /// One input.
    pub fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::ClientNext) => self.next_op(ctx),
            Input::Timer(Timer::ClientTimeout(seq)) => self.timeout(ctx, seq),
            Input::Timer(_) | Input::Accepted(..) => {}
            Input::Connected(conn) => self.connected(ctx, conn),
            Input::ConnectFailed(conn, e) => self.connect_failed(ctx, conn, e),
            Input::Message(conn, Msg::Reply(r)) => self.reply(ctx, conn, r),
            Input::Message(..) => {}
            Input::Closed(conn, reason) => self.closed(ctx, conn, reason),
        }
    }

    // ---------------------------------------------------------------- workload

    fn next_op(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(w) = self.workload else { return };
        if self.pending.is_some() {
            self.due = true;
            return;
        }
        if ctx.now() >= w.stop {
            return;
        }
        let total = u64::from(w.writes_per_sec) + u64::from(w.reads_per_sec);
        if total == 0 {
            return;
        }
        // Interleave reads and writes evenly: operation n is a write when the running share of
        // writes crosses an integer (a Bresenham line).
        let n = self.started_ops;
        let wps = u64::from(w.writes_per_sec);
        let is_write = (n + 1) * wps / total > n * wps / total;
        self.started_ops += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        let op = match (is_write, &self.last_written) {
            (false, Some(k)) => Op::Read { key: k.clone() },
            // A reader that has written nothing reads the key its first write would have.
            (false, None) => Op::Read { key: key_of(&self.name, 0) },
            (true, _) => {
                let key = key_of(&self.name, seq);
                self.last_written = Some(key.clone());
                Op::Write { value: value_of(&self.name, seq), key }
            }
        };
        self.pending =
            Some(Pending { seq, op, invoked: ctx.now(), stage: Stage::Sent, node: None });
        let interval = Duration::from_micros(1_000_000 / total);
        ctx.set_timer(Timer::ClientNext, interval);
        self.begin(ctx);
    }

    /// Sends the pending operation on the pooled connection, or opens one (discovering first).
    fn begin(&mut self, ctx: &mut NodeCtx<'_>) {
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
        self.set_stage(Stage::Discover { pos: 0, errors: Vec::new(), query });
        self.ask_sentinel(ctx);
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Some(p) = &mut self.pending {
            p.stage = stage;
        }
    }

    fn arm_timeout(&self, ctx: &mut NodeCtx<'_>) {
        if let Some(p) = &self.pending {
            ctx.set_timer(Timer::ClientTimeout(p.seq), self.socket_timeout);
        }
    }

    fn send_op(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, addr: Addr) {
        let Some(p) = &mut self.pending else { return };
        p.stage = Stage::Sent;
        p.node = Some(addr);
        ctx.send(conn, Msg::Cmd(p.op.command()));
        self.arm_timeout(ctx);
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
        // redis-py's connect timeout defaults to the socket timeout.
        self.arm_timeout(ctx);
    }

    /// Ends the pending operation with `result`.
    fn finish(&mut self, ctx: &mut NodeCtx<'_>, result: OpResult) {
        let Some(p) = self.pending.take() else { return };
        ctx.cancel_timer(Timer::ClientTimeout(p.seq));
        let node = p.node.map(|a| self.node_name(a));
        ctx.note(Note::Op(OpRecord {
            client: self.name.clone(),
            seq: p.seq,
            op: p.op,
            invoked_us: p.invoked.as_micros(),
            completed_us: ctx.now().as_micros(),
            node,
            result,
        }));
        if std::mem::take(&mut self.due) {
            self.next_op(ctx);
        }
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

    fn drop_data(&mut self, ctx: &mut NodeCtx<'_>) {
        if let Some((conn, ..)) = self.data.take() {
            ctx.close(conn);
        }
    }

    // ---------------------------------------------------------------- discovery

    fn sentinels(&self) -> &[Addr] {
        match &self.kind {
            ClientKind::Sentinel { sentinels, .. } => sentinels,
            _ => &[],
        }
    }

    /// Sends the discovery query to the sentinel at the current position of the list.
    fn ask_sentinel(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(Pending { stage: Stage::Discover { pos, query, .. }, .. }) = &self.pending else {
            return;
        };
        let (pos, query) = (*pos, *query);
        if pos >= self.order.len() {
            return self.discovery_failed(ctx);
        }
        let idx = self.order[pos];
        let query = match (&self.kind, query) {
            (ClientKind::Sentinel { service, .. }, Query::Replicas) => {
                SentinelCmd::Replicas(service.clone())
            }
            _ => SentinelCmd::Masters,
        };
        let sc = match self.sentinel_conns[idx] {
            Some(sc) => sc,
            None => {
                let conn = ctx.connect(self.sentinels()[idx]);
                let sc = SentinelConn { conn, up: false };
                self.sentinel_conns[idx] = Some(sc);
                sc
            }
        };
        // Sent at once: the kernel holds it until the connection is up. One timer covers the
        // connect and the read, each being bounded by socket_timeout in redis-py.
        ctx.send(sc.conn, Msg::Cmd(Command::Sentinel(query)));
        self.arm_timeout(ctx);
    }

    /// The sentinel at the current position failed (`error`): try the next one.
    fn next_sentinel(&mut self, ctx: &mut NodeCtx<'_>, error: Option<String>) {
        let Some(Pending { stage: Stage::Discover { pos, .. }, .. }) = &self.pending else {
            return;
        };
        let idx = self.order[*pos];
        let text = error.map(|e| format!("{} - {e}", self.dir.addr(self.sentinels()[idx])));
        if text.is_some() {
            if let Some(sc) = self.sentinel_conns[idx].take() {
                ctx.close(sc.conn);
            }
        }
        if let Some(Pending { stage: Stage::Discover { pos, errors, .. }, .. }) = &mut self.pending
        {
            errors.extend(text);
            *pos += 1;
        }
        self.ask_sentinel(ctx);
    }

    /// No sentinel answered usefully. A `slave_for` pool that found no replica falls back to
    /// the master (`rotate_slaves` yields `get_master_address()` last); when that fails too it
    /// raises `SlaveNotFoundError`, without the sentinels' errors.
    fn discovery_failed(&mut self, ctx: &mut NodeCtx<'_>) {
        let (service, replica) = match &self.kind {
            ClientKind::Sentinel { service, replica, .. } => (service.clone(), *replica),
            _ => return,
        };
        let (errors, query) = match &self.pending {
            Some(Pending { stage: Stage::Discover { errors, query, .. }, .. }) => {
                (errors.clone(), *query)
            }
            _ => (Vec::new(), Query::Masters),
        };
        if query == Query::Replicas {
            return self.discover(ctx, Query::Masters);
        }
        let error = if replica {
            format!("No slave found for '{service}'")
        } else {
            let info =
                if errors.is_empty() { String::new() } else { format!(" : {}", errors.join(", ")) };
            format!("No master found for '{service}'{info}")
        };
        self.believe(ctx, None, "no sentinel named a usable master".to_string());
        self.finish(ctx, OpResult::Error { error });
    }

    fn believe(&mut self, ctx: &mut NodeCtx<'_>, master: Option<Addr>, via: String) {
        if self.believed == Some(master) {
            return;
        }
        self.believed = Some(master);
        ctx.note(Note::Believe(Belief {
            client: self.name.to_string(),
            master: master.map(|a| self.dir.addr(a)),
            via,
        }));
    }

    /// A reply from sentinel `idx` to the discovery query.
    fn sentinel_reply(&mut self, ctx: &mut NodeCtx<'_>, idx: usize, r: Reply) {
        let service = match &self.kind {
            ClientKind::Sentinel { service, .. } => service.clone(),
            _ => return,
        };
        let Some(Pending { stage: Stage::Discover { pos, query, .. }, .. }) = &self.pending else {
            return;
        };
        let (pos, query) = (*pos, *query);
        if let Reply::Error(e) = &r {
            // discover_master lets a ResponseError propagate; discover_slaves skips it.
            if query == Query::Replicas {
                return self.next_sentinel(ctx, None);
            }
            return self.finish(ctx, OpResult::Error { error: e.clone() });
        }
        let entries = parse_maps(&r);
        let via = self.dir.addr(self.sentinels()[idx]);
        if query == Query::Replicas {
            let alive: Vec<Addr> = entries
                .iter()
                .filter(|e| !flag(e, "s_down") && !flag(e, "o_down"))
                .filter_map(|e| self.entry_addr(e))
                .collect();
            if alive.is_empty() {
                return self.next_sentinel(ctx, None);
            }
            // rotate_slaves: round robin from a random start kept by the pool; every replica
            // once, then the master.
            let n = alive.len();
            let start = *self.rr.get_or_insert_with(|| ctx.rng().below(n));
            let mut order: Vec<(usize, Addr)> =
                (1..=n).map(|k| (start + k) % n).map(|i| (i, alive[i])).collect();
            let (first, addr) = order.remove(0);
            self.rr = Some(first);
            self.believe(ctx, Some(addr), format!("{via} answered"));
            return self.open_data_then(ctx, addr, Some(order));
        }
        let found = entries
            .iter()
            .find(|e| field(e, "name") == Some(service.as_str()))
            .filter(|e| flag(e, "master") && !flag(e, "s_down") && !flag(e, "o_down"))
            .and_then(|e| self.entry_addr(e));
        let Some(addr) = found else { return self.next_sentinel(ctx, None) };
        // Put this sentinel at the top of the list (a swap, as redis-py does).
        self.order.swap(0, pos);
        self.believe(ctx, Some(addr), format!("{via} answered"));
        self.open_data(ctx, addr);
    }

    /// A `slave_for` connection failed with a `ConnectionError`: the next replica, else the
    /// master (found through the sentinels). True if the pool moved on.
    fn next_replica(&mut self, ctx: &mut NodeCtx<'_>) -> bool {
        let Some(Pending { stage: Stage::Connecting { rest, .. }, .. }) = &mut self.pending else {
            return false;
        };
        let Some(rest) = rest.take() else { return false };
        match rest.split_first() {
            Some((&(i, addr), more)) => {
                self.rr = Some(i);
                self.open_data_then(ctx, addr, Some(more.to_vec()));
            }
            None => self.discover(ctx, Query::Masters),
        }
        true
    }

    fn entry_addr(&self, e: &[(String, String)]) -> Option<Addr> {
        let host = self.dir.resolve(field(e, "ip")?)?;
        Some(Addr::new(host, field(e, "port")?.parse().ok()?))
    }

    fn sentinel_index(&self, conn: ConnId) -> Option<usize> {
        self.sentinel_conns.iter().position(|c| c.is_some_and(|c| c.conn == conn))
    }

    // ---------------------------------------------------------------- network events

    fn connected(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId) {
        if let Some(i) = self.sentinel_index(conn) {
            if let Some(sc) = &mut self.sentinel_conns[i] {
                sc.up = true;
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
                let err = match e {
                    ConnectError::Refused => format!(
                        "ConnectionError('Error 111 connecting to {}. Connection refused.')",
                        self.dir.addr(self.sentinels()[i])
                    ),
                    ConnectError::TimedOut => {
                        "TimeoutError('Timeout connecting to server')".to_string()
                    }
                };
                self.next_sentinel(ctx, Some(err));
            }
            return;
        }
        if self.data.is_some_and(|(c, ..)| c == conn) {
            let (_, addr, _) = self.data.take().expect("checked");
            // A refusal is a ConnectionError, which rotate_slaves skips; a timeout is not.
            if e == ConnectError::Refused && self.next_replica(ctx) {
                return;
            }
            let error = match e {
                ConnectError::Refused => {
                    format!("Error 111 connecting to {}. Connection refused.", self.dir.addr(addr))
                }
                ConnectError::TimedOut => "Timeout connecting to server".to_string(),
            };
            self.finish(ctx, OpResult::Error { error });
        }
    }

    fn is_asking(&self, idx: usize) -> bool {
        matches!(&self.pending, Some(Pending { stage: Stage::Discover { pos, .. }, .. }) if self.order.get(*pos) == Some(&idx))
    }

    fn reply(&mut self, ctx: &mut NodeCtx<'_>, conn: ConnId, r: Reply) {
        if let Some(i) = self.cli.iter().position(|c| c.conn == conn) {
            let call = self.cli.remove(i);
            ctx.close(conn);
            let result = match r {
                Reply::Error(error) => OpResult::Error { error },
                other => OpResult::Ok { value: reply_value(&other) },
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
                self.finish(ctx, OpResult::Error { error });
            }
            Reply::Error(e) if e.starts_with("LOADING") => {
                self.drop_data(ctx);
                self.finish(ctx, OpResult::Error { error: e });
            }
            Reply::Error(e) => self.finish(ctx, OpResult::Error { error: e }),
            other => {
                let value = reply_value(&other);
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
            self.sentinel_conns[i] = None;
            if self.is_asking(i) {
                self.next_sentinel(
                    ctx,
                    Some("ConnectionError('Connection closed by server.')".to_string()),
                );
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
            self.finish(ctx, OpResult::Lost { error });
        } else if stage(self, |s| matches!(s, Stage::Connecting { .. })) && !self.next_replica(ctx)
        {
            // A ConnectionError while connecting (a slave_for pool tried the next one).
            self.finish(ctx, OpResult::Error { error });
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
                let e = if up {
                    "TimeoutError('Timeout reading from socket')"
                } else {
                    "TimeoutError('Timeout connecting to server')"
                };
                self.next_sentinel(ctx, Some(e.to_string()));
            }
            Stage::Connecting { .. } => {
                self.drop_data(ctx);
                self.finish(
                    ctx,
                    OpResult::Error { error: "Timeout connecting to server".to_string() },
                );
            }
            Stage::Sent => {
                self.drop_data(ctx);
                self.finish(ctx, OpResult::Timeout);
            }
        }
    }

    fn cli_done(&mut self, ctx: &mut NodeCtx<'_>, call: CliCall, result: OpResult) {
        ctx.note(Note::Op(OpRecord {
            client: self.name.clone(),
            seq: call.seq,
            op: call.op,
            invoked_us: call.invoked.as_micros(),
            completed_us: ctx.now().as_micros(),
            node: Some(self.node_name(call.node)),
            result,
        }));
    }
}

fn connect_error(e: ConnectError) -> &'static str {
    match e {
        ConnectError::Refused => "Connection refused",
        ConnectError::TimedOut => "Connection timed out",
    }
}

/// `<name>:<seq, six digits at least>`, the key of write `seq` (`format!("{name}:{seq:06}")`
/// without the formatting machinery: one allocation).
fn key_of(name: &str, seq: u64) -> Text {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut n = seq;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(digits.len() - 6);
    let mut s = String::with_capacity(name.len() + 1 + digits.len() - start);
    s.push_str(name);
    s.push(':');
    s.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
    Text::from(s.as_str())
}

/// `<name>-v<seq>`, the value of write `seq`.
fn value_of(name: &str, seq: u64) -> Text {
    use std::fmt::Write;
    let mut s = String::with_capacity(name.len() + 22);
    let _ = write!(s, "{name}-v{seq}");
    Text::from(s.as_str())
}

/// The value of a successful reply, as the application would print it.
fn reply_value(r: &Reply) -> Option<String> {
    match r {
        Reply::Ok => Some("OK".to_string()),
        Reply::Bulk(v) => v.clone(),
        Reply::Array(None) => None,
        other => Some(other.to_string()),
    }
}

/// `SENTINEL MASTERS` / `REPLICAS` replies: arrays of flat field/value arrays.
fn parse_maps(r: &Reply) -> Vec<Vec<(String, String)>> {
    let Reply::Array(Some(items)) = r else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            let Reply::Array(Some(kv)) = item else { return None };
            let s = |r: &Reply| match r {
                Reply::Bulk(Some(s)) => s.clone(),
                other => other.to_string(),
            };
            Some(kv.chunks(2).filter(|p| p.len() == 2).map(|p| (s(&p[0]), s(&p[1]))).collect())
        })
        .collect()
}

fn field<'a>(e: &'a [(String, String)], name: &str) -> Option<&'a str> {
    e.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn flag(e: &[(String, String)], name: &str) -> bool {
    field(e, "flags").is_some_and(|f| f.split(',').any(|x| x == name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Effect, HostId, Outbox, ProcessId};

    type Out = Outbox<Msg, Timer, Note>;

    fn dir() -> Arc<Directory> {
        Directory::new(["s1", "s2", "s3", "m1", "m2", "app"].map(String::from).to_vec())
    }

    fn client() -> (Client, Out) {
        let sentinels = (0..3).map(|h| Addr::new(HostId(h), 26379)).collect();
        let kind = ClientKind::Sentinel { sentinels, service: "mymaster".into(), replica: false };
        let w = Workload {
            writes_per_sec: 1,
            reads_per_sec: 0,
            start: Instant::ZERO,
            stop: Instant::from_millis(60_000),
        };
        let c = Client::new(dir(), "app1", kind, Duration::from_millis(100), Some(w));
        (c, Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0)))
    }

    /// A `SENTINEL MASTERS` reply with one master entry.
    fn masters(ip: &str, flags: &str) -> Reply {
        let kv = [
            "name",
            "mymaster",
            "ip",
            ip,
            "port",
            "6379",
            "flags",
            flags,
            "num-other-sentinels",
            "2",
        ];
        Reply::Array(Some(vec![Reply::strings(kv)]))
    }

    fn sends(effects: &[Effect<Msg, Timer, Note>]) -> Vec<(ConnId, Command)> {
        effects
            .iter()
            .filter_map(|e| {
                if let Effect::Send(c, Msg::Cmd(cmd)) = e { Some((*c, cmd.clone())) } else { None }
            })
            .collect()
    }

    fn connects(effects: &[Effect<Msg, Timer, Note>]) -> Vec<(ConnId, Addr)> {
        effects
            .iter()
            .filter_map(|e| if let Effect::Connect(c, a) = e { Some((*c, *a)) } else { None })
            .collect()
    }

    #[test]
    fn discovery_skips_sentinels_that_flag_the_master_down_and_swaps_the_answering_one_first() {
        let (mut c, mut out) = client();
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let e = out.take();
        let (s1, to) = connects(&e)[0];
        assert_eq!(to, Addr::new(HostId(0), 26379), "asks the first sentinel first");
        assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))]);
        // The first sentinel sees the master down: rejected, the second is asked.
        c.handle(
            &mut out.ctx(Instant::from_millis(2)),
            Input::Message(s1, Msg::Reply(masters("m1", "s_down,master"))),
        );
        let e = out.take();
        let (s2, to) = connects(&e)[0];
        assert_eq!(to, Addr::new(HostId(1), 26379));
        c.handle(
            &mut out.ctx(Instant::from_millis(4)),
            Input::Message(s2, Msg::Reply(masters("m2", "master,disconnected"))),
        );
        let e = out.take();
        let (data, to) = connects(&e)[0];
        assert_eq!(
            to,
            Addr::new(HostId(4), 6379),
            "connects straight to the master (disconnected is not checked)"
        );
        assert!(e.iter().any(|x| matches!(x, Effect::Note(Note::Believe(b)) if b.master.as_deref() == Some("m2:6379"))));
        assert_eq!(c.order, [1, 0, 2], "swapped with the first, not moved to the front");
        c.handle(&mut out.ctx(Instant::from_millis(5)), Input::Connected(data));
        let e = out.take();
        assert_eq!(sends(&e), [(data, Command::from_strs(&["SET", "app1:000000", "app1-v0"]))]);
        c.handle(
            &mut out.ctx(Instant::from_millis(6)),
            Input::Message(data, Msg::Reply(Reply::Ok)),
        );
        let e = out.take();
        let rec = e
            .iter()
            .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
            .unwrap();
        assert_eq!(
            (rec.node.as_deref(), rec.result),
            (Some("m2:6379"), OpResult::Ok { value: Some("OK".into()) })
        );
    }

    /// A `SENTINEL REPLICAS` reply listing these replicas.
    fn replicas(ips: &[&str]) -> Reply {
        let entries = ips
            .iter()
            .map(|ip| Reply::strings(["name", ip, "ip", ip, "port", "6379", "flags", "slave"]))
            .collect();
        Reply::Array(Some(entries))
    }

    #[test]
    fn slave_for_tries_every_replica_in_turn_then_the_master() {
        let sentinels = (0..3).map(|h| Addr::new(HostId(h), 26379)).collect();
        let kind = ClientKind::Sentinel { sentinels, service: "mymaster".into(), replica: true };
        let w = Workload {
            writes_per_sec: 0,
            reads_per_sec: 1,
            start: Instant::ZERO,
            stop: Instant::from_millis(60_000),
        };
        let mut c = Client::new(dir(), "r", kind, Duration::from_millis(100), Some(w));
        let mut out: Out = Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0));
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let e = out.take();
        let s1 = connects(&e)[0].0;
        assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Replicas("mymaster".into())))]);
        assert!(matches!(&c.pending, Some(Pending { op: Op::Read { .. }, .. })), "a reader reads");
        c.handle(
            &mut out.ctx(Instant::from_millis(1)),
            Input::Message(s1, Msg::Reply(replicas(&["m1", "m2"]))),
        );
        let (first, a) = connects(&out.take())[0];
        // Refused: the other replica, then the master.
        c.handle(
            &mut out.ctx(Instant::from_millis(2)),
            Input::ConnectFailed(first, ConnectError::Refused),
        );
        let (second, b) = connects(&out.take())[0];
        assert_ne!(a, b, "the next replica");
        c.handle(
            &mut out.ctx(Instant::from_millis(3)),
            Input::ConnectFailed(second, ConnectError::Refused),
        );
        let e = out.take();
        assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))], "the master next");
        c.handle(
            &mut out.ctx(Instant::from_millis(4)),
            Input::Message(s1, Msg::Reply(masters("m2", "master"))),
        );
        let (to_master, addr) = connects(&out.take())[0];
        assert_eq!(addr, Addr::new(HostId(4), 6379));
        // When the master refuses too, the read fails with SlaveNotFoundError.
        c.handle(
            &mut out.ctx(Instant::from_millis(5)),
            Input::ConnectFailed(to_master, ConnectError::Refused),
        );
        let e = out.take();
        let rec = e
            .iter()
            .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
            .expect("the read ended");
        assert!(matches!(rec.result, OpResult::Error { .. }));
        // No replica listed at all: straight to the master.
        c.handle(&mut out.ctx(Instant::from_millis(1000)), Input::Timer(Timer::ClientNext));
        out.take();
        c.handle(
            &mut out.ctx(Instant::from_millis(1001)),
            Input::Message(s1, Msg::Reply(replicas(&[]))),
        );
        let e = out.take();
        let s2 = connects(&e)[0].0;
        assert_eq!(sends(&e), [(s2, Command::Sentinel(SentinelCmd::Replicas("mymaster".into())))]);
    }

    #[test]
    fn readonly_disconnects_noreplicas_keeps_the_connection_and_a_timeout_is_indeterminate() {
        let (mut c, mut out) = client();
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let s1 = connects(&out.take())[0].0;
        c.handle(
            &mut out.ctx(Instant::from_millis(1)),
            Input::Message(s1, Msg::Reply(masters("m1", "master"))),
        );
        let data = connects(&out.take())[0].0;
        c.handle(&mut out.ctx(Instant::from_millis(2)), Input::Connected(data));
        out.take();
        let nore = Reply::err("NOREPLICAS Not enough good replicas to write.");
        c.handle(&mut out.ctx(Instant::from_millis(3)), Input::Message(data, Msg::Reply(nore)));
        let e = out.take();
        assert!(
            !e.iter().any(|x| matches!(x, Effect::Close(_))),
            "NOREPLICAS keeps the connection"
        );
        // Next write goes out on the same connection, no discovery.
        c.handle(&mut out.ctx(Instant::from_millis(1000)), Input::Timer(Timer::ClientNext));
        let e = out.take();
        assert_eq!(sends(&e).len(), 1);
        assert_eq!(sends(&e)[0].0, data);
        c.handle(
            &mut out.ctx(Instant::from_millis(1001)),
            Input::Message(
                data,
                Msg::Reply(Reply::err("READONLY You can't write against a read only replica.")),
            ),
        );
        let e = out.take();
        assert!(e.contains(&Effect::Close(data)), "READONLY on a master pool disconnects");
        // The next one rediscovers, then times out: indeterminate.
        c.handle(&mut out.ctx(Instant::from_millis(2000)), Input::Timer(Timer::ClientNext));
        let e = out.take();
        assert_eq!(
            sends(&e),
            [(s1, Command::Sentinel(SentinelCmd::Masters))],
            "rediscovery on the pooled sentinel connection"
        );
        c.handle(
            &mut out.ctx(Instant::from_millis(2001)),
            Input::Message(s1, Msg::Reply(masters("m1", "master"))),
        );
        let data2 = connects(&out.take())[0].0;
        c.handle(&mut out.ctx(Instant::from_millis(2002)), Input::Connected(data2));
        out.take();
        c.handle(&mut out.ctx(Instant::from_millis(2102)), Input::Timer(Timer::ClientTimeout(2)));
        let e = out.take();
        let rec = e
            .iter()
            .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
            .unwrap();
        assert_eq!(rec.result, OpResult::Timeout);
        assert!(rec.result.indeterminate());
    }
}
