//! What actors share to talk to each other: the host [`Directory`], the messages on a connection
//! ([`Msg`]), every actor's timer names ([`Timer`]) and the context they all write into
//! ([`NodeCtx`]).

use crate::dataset::Snapshot;
use crate::observe::Note;
use crate::resp::{Command, Reply, Text};
use serde::Serialize;
use sim::{Addr, ConnId, Ctx, HostId};
use std::sync::Arc;

/// Host names by id, so actors can turn `REPLICAOF 10.162.29.36 6371` into an address and back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Directory {
    hosts: Vec<String>,
}

impl Directory {
    /// A directory of `hosts`, indexed by `HostId`.
    pub fn new(hosts: Vec<String>) -> Arc<Self> {
        Arc::new(Directory { hosts })
    }
    /// The host called `name`.
    pub fn resolve(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h == name).map(|i| HostId(i as u32))
    }
    /// The name of `host`.
    pub fn name(&self, host: HostId) -> &str {
        &self.hosts[host.0 as usize]
    }
    /// `host:port`.
    pub fn addr(&self, a: Addr) -> String {
        format!("{}:{}", self.name(a.host), a.port)
    }
}

/// What travels on a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A command (from a client, a sentinel, or a replica).
    Cmd(Command),
    /// The reply to a command.
    Reply(Reply),
    /// A message published on a channel this connection subscribed to.
    Push { channel: Text, message: Text },
    /// One item of a replication stream, master to replica.
    Stream(Command),
    /// A full resynchronisation payload (diskless RDB transfer).
    Rdb(Box<Snapshot>),
    /// A piece of a full sync's payload that carries a preloaded mass: only its size travels.
    RdbChunk {
        /// Its bytes.
        bytes: u64,
        /// The whole RDB's size a disk-based transfer announces (`$<count>`); `None` for a
        /// diskless one, ended by an EOF mark.
        size: Option<u64>,
    },
    /// The newline a replica loading a full sync's RDB sends its master, at most once a second
    /// (`replicationSendNewlineToMaster`): it refreshes the master's `repl_ack_time`.
    Newline,
}

impl Serialize for Msg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        match self {
            Msg::Cmd(c) => m.serialize_entry("cmd", c)?,
            Msg::Reply(r) => m.serialize_entry("reply", r)?,
            Msg::Push { channel, message } => m.serialize_entry("push", &[channel, message])?,
            Msg::Stream(c) => m.serialize_entry("stream", c)?,
            Msg::Rdb(snap) => m.serialize_entry(
                "rdb",
                &format!("{} keys @ {}:{}", snap.data.len(), snap.replid, snap.offset),
            )?,
            Msg::RdbChunk { bytes, .. } => m.serialize_entry("rdb-chunk", bytes)?,
            Msg::Newline => m.serialize_entry("newline", &1)?,
        }
        m.end()
    }
}

impl Msg {
    /// Its size on the wire in bytes: the RESP encoding of commands and replies (an `INFO` reply
    /// counted at a typical 4 kB), the RDB payload's size for a full sync.
    pub fn wire_size(&self) -> u64 {
        match self {
            Msg::Cmd(c) | Msg::Stream(c) => c.resp_len(),
            Msg::Reply(r) => r.resp_len(),
            // *3 $7 message $<channel> $<message>
            Msg::Push { channel, message } => 30 + (channel.len() + message.len()) as u64,
            Msg::Rdb(snap) => snap.rdb_bytes() - snap.mass_rdb_bytes(),
            Msg::RdbChunk { bytes, .. } => *bytes,
            Msg::Newline => 1,
        }
    }
}

/// Timer names of every actor kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timer {
    /// Redis `serverCron`'s once-a-second work (`replicationCron`, persistence).
    ServerCron,
    /// A `WAIT` blocked on this connection times out.
    WaitTimeout(ConnId),
    /// Sentinel's `sentinelTimer`.
    SentinelTick,
    /// A replica finished loading the RDB of a full sync.
    RdbLoaded,
    /// A client's next operation is due.
    ClientNext,
    /// A client's socket timeout for operation number `n`.
    ClientTimeout(u64),
    /// The end of a redis-py retry's backoff for operation number `n`.
    ClientBackoff(u64),
    /// ioredis: `retryStrategy`'s wait before reconnecting is over.
    IoredisReconnect,
    /// ioredis: `sentinelRetryStrategy`'s wait before asking the sentinels again is over.
    IoredisSentinelRetry,
    /// ioredis: `connectTimeout` of this connection.
    IoredisConnectTimeout(ConnId),
    /// ioredis: `sentinelReconnectStrategy`'s wait before failover-detector subscription `i`
    /// connects again.
    IoredisResubscribe(usize),
    /// node-redis: `socket.connectTimeout` of this connection, then the sentinel queries'
    /// command timeout.
    NodeRedisTimeout(ConnId),
    /// node-redis: `socket.socketTimeout` of this master connection (idle that long).
    NodeRedisSocketTimeout(ConnId),
    /// node-redis: `#connect`'s one-second wait before the next rediscovery round is over.
    NodeRedisRediscover,
    /// node-redis: master client `i`'s `reconnectStrategy` wait is over.
    NodeRedisReconnect(usize),
    /// node-redis: `scanInterval`'s periodic rediscovery is due.
    NodeRedisScan,
    /// redis-rs: the connect or the reply this connection waits for is late.
    RedisRsTimeout(ConnId),
    /// Jedis: the connect or the sentinel's reply this connection waits for is late.
    JedisTimeout(ConnId),
    /// Jedis: sentinel listener `i`'s `resubscribeDelay` sleep is over.
    JedisResubscribe(usize),
    /// go-redis: a retry backoff or `DialerRetryTimeout` is over.
    GoRedisWait,
    /// go-redis: dial attempt number `n`'s `DialTimeout` deadline.
    GoRedisDial(u64),
    /// go-redis: `DialTimeout` of the `+switch-master` subscription's connect.
    GoRedisDialTimeout(ConnId),
    /// go-redis: the subscription's `Receive` loop has slept; it dials again.
    GoRedisResubscribe,
    /// Lettuce: the connect (`connectTimeout`), the handshake or the sentinel query (`timeout`)
    /// of this connection is late.
    LettuceTimeout(ConnId),
    /// Lettuce: the `ConnectionWatchdog`'s `reconnectDelay` is over.
    LettuceReconnect,
    /// Redisson: the connect or the sentinel's reply this connection waits for is late.
    RedissonTimeout(ConnId),
    /// Redisson: `scanInterval` elapsed (`scheduleChangeCheck`).
    RedissonScan,
    /// Redisson: the sentinel query's retry delay is over.
    RedissonRequery,
    /// Redisson: the command's `retryDelay` is over.
    RedissonRetry,
    /// Redisson: the `ConnectionWatchdog`'s `reconnectionDelay` for this connection is over.
    RedissonReconnect(ConnId),
    /// StackExchange.Redis: round `n` of `GetConfiguredPrimaryForService` is out of time.
    SeAsk(u64),
    /// StackExchange.Redis: `OnManagedConnectionFailed`'s timer runs `SwitchPrimary`.
    SeSwitch,
    /// StackExchange.Redis: `GetSentinelMasterConnection`'s 100 ms sleep is over.
    SeRetry,
    /// StackExchange.Redis: the lost `+switch-master` subscription is made again.
    SeResubscribe,
    /// StackExchange.Redis: `connectTimeout` of this connect.
    SeConnect(ConnId),
}

/// The context every model actor writes into.
pub type NodeCtx<'a> = Ctx<'a, Msg, Timer, Note>;
