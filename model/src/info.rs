//! `INFO` replies, kept as structures and rendered to Redis's text only when a person reads them
//! (sentinels read the fields directly, as Sentinel's parser would after reading the text).
//!
//! Rendered sections: `# Server` (the fields Sentinel and people use, with the build's name and
//! version), `# Replication` (every field of Redis 7.0, in order, and the ones Valkey 9.1 adds),
//! `# Keyspace`, and for a sentinel `# Sentinel`.

use crate::build::ServerBuild;
use serde::Serialize;
use std::fmt::Write;

/// `used_memory` of an empty Redis 7.0 (about what a fresh `redis-server` reports).
pub const BASELINE_USED_MEMORY: u64 = 875_000;

/// One `slave<i>:` line of a master's INFO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlaveLine {
    /// The replica's address as the master sees it.
    pub ip: String,
    /// The port the replica announced (`REPLCONF listening-port`).
    pub port: u16,
    /// `wait_bgsave`, `send_bulk` or `online`.
    pub state: &'static str,
    /// The offset the replica last acknowledged.
    pub offset: i64,
    /// Seconds since its last acknowledgement (0 unless online).
    pub lag: i64,
}

/// Replica-only fields of `# Replication`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicaFields {
    /// `master_host`.
    pub master_host: String,
    /// `master_port`.
    pub master_port: u16,
    /// `master_link_status:up`.
    pub link_up: bool,
    /// `master_last_io_seconds_ago` (-1 with no master connection).
    pub last_io_seconds_ago: i64,
    /// `master_sync_in_progress`.
    pub sync_in_progress: bool,
    /// `slave_read_repl_offset`.
    pub read_repl_offset: i64,
    /// `slave_repl_offset`.
    pub repl_offset: i64,
    /// `master_link_down_since_seconds` (present only while the link is not up; -1 = never up).
    pub link_down_since_seconds: Option<i64>,
    /// `slave_priority`.
    pub priority: u32,
    /// `slave_read_only`.
    pub read_only: bool,
    /// `replica_announced`.
    pub announced: bool,
}

/// A Redis server's `INFO`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    /// The build answering (its name and version, and Valkey's extra fields).
    #[serde(skip)]
    pub build: ServerBuild,
    /// `run_id`.
    pub run_id: String,
    /// `tcp_port`.
    pub tcp_port: u16,
    /// `uptime_in_seconds`.
    pub uptime_in_seconds: u64,
    /// `role:master`, or the replica fields for `role:slave`.
    pub replica: Option<ReplicaFields>,
    /// `connected_slaves`.
    pub connected_slaves: usize,
    /// `min_slaves_good_slaves` (present when min-replicas-to-write is on).
    pub min_slaves_good_slaves: Option<u32>,
    /// `slave<i>` lines.
    pub slaves: Vec<SlaveLine>,
    /// `master_replid`.
    pub master_replid: String,
    /// `master_replid2`.
    pub master_replid2: String,
    /// `master_repl_offset`.
    pub master_repl_offset: i64,
    /// `second_repl_offset`.
    pub second_repl_offset: i64,
    /// `repl_backlog_active`.
    pub backlog_active: bool,
    /// `repl_backlog_size`.
    pub backlog_size: u64,
    /// `repl_backlog_first_byte_offset`.
    pub backlog_first_byte_offset: i64,
    /// `repl_backlog_histlen`.
    pub backlog_histlen: i64,
    /// Keys in database 0.
    pub keys: usize,
    /// `used_memory` of `# Memory`, shown only for a server holding a preloaded dataset (the
    /// section is left out otherwise, as before datasets existed).
    pub used_memory: Option<u64>,
    /// `loading:1` of `# Persistence`: loading the RDB of a full sync (the section is shown only
    /// for a server with a preloaded dataset or loading one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub loading: bool,
}

/// One monitored master in a sentinel's `INFO`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentinelMasterLine {
    /// The master's name.
    pub name: String,
    /// `ok`, `sdown` or `odown`.
    pub status: &'static str,
    /// `ip:port` in this sentinel's table.
    pub address: String,
    /// Known replicas.
    pub slaves: usize,
    /// Known sentinels, itself included.
    pub sentinels: usize,
}

/// A sentinel's `INFO`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentinelInfo {
    /// The build answering.
    #[serde(skip)]
    pub build: ServerBuild,
    /// `run_id`.
    pub run_id: String,
    /// `tcp_port`.
    pub tcp_port: u16,
    /// `uptime_in_seconds`.
    pub uptime_in_seconds: u64,
    /// `sentinel_tilt`.
    pub tilt: bool,
    /// `sentinel_tilt_since_seconds` (-1 when not in TILT).
    pub tilt_since_seconds: i64,
    /// `master<i>:` lines.
    pub masters: Vec<SentinelMasterLine>,
}

/// An `INFO` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Info {
    /// From a Redis server.
    Server(ServerInfo),
    /// From a sentinel.
    Sentinel(SentinelInfo),
}

fn server_section(
    out: &mut String,
    build: ServerBuild,
    run_id: &str,
    port: u16,
    uptime: u64,
    mode: &str,
) {
    let version = build.version();
    let _ = match build {
        // Valkey still reports the Redis version it is compatible with.
        ServerBuild::Valkey91 => write!(
            out,
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:{version}\r\nserver_mode:{mode}\r\n"
        ),
        ServerBuild::Redis70 | ServerBuild::Redis62 => {
            write!(out, "# Server\r\nredis_version:{version}\r\nredis_mode:{mode}\r\n")
        }
    };
    let _ = write!(
        out,
        "run_id:{run_id}\r\ntcp_port:{port}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\nhz:10\r\n",
        uptime / 86_400
    );
}

impl ServerInfo {
    /// The `# Replication` section, exactly as Redis 7.0 prints it (`\r\n` line ends); 6.2
    /// prints the same fields, Valkey 9.1 a few more.
    pub fn replication(&self) -> String {
        let mut s = String::from("# Replication\r\n");
        let b = |v: bool| u8::from(v);
        let valkey = self.build == ServerBuild::Valkey91;
        match &self.replica {
            None => s.push_str("role:master\r\n"),
            Some(r) => {
                let _ = write!(
                    s,
                    "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
                    r.master_host,
                    r.master_port,
                    if r.link_up { "up" } else { "down" },
                    r.last_io_seconds_ago,
                    b(r.sync_in_progress),
                    r.read_repl_offset,
                    r.repl_offset
                );
                if valkey {
                    s.push_str("replicas_repl_buffer_size:0\r\nreplicas_repl_buffer_peak:0\r\n");
                }
                if let Some(d) = r.link_down_since_seconds {
                    let _ = write!(s, "master_link_down_since_seconds:{d}\r\n");
                }
                let _ = write!(
                    s,
                    "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
                    r.priority,
                    b(r.read_only),
                    b(r.announced)
                );
            }
        }
        let _ = write!(s, "connected_slaves:{}\r\n", self.connected_slaves);
        if let Some(g) = self.min_slaves_good_slaves {
            let _ = write!(s, "min_slaves_good_slaves:{g}\r\n");
        }
        let kind = if valkey { ",type=replica" } else { "" };
        for (i, l) in self.slaves.iter().enumerate() {
            let _ = write!(
                s,
                "slave{i}:ip={},port={},state={},offset={},lag={}{kind}\r\n",
                l.ip, l.port, l.state, l.offset, l.lag
            );
        }
        if valkey {
            s.push_str("replicas_waiting_psync:0\r\n");
        }
        let _ = write!(
            s,
            "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
            self.master_replid,
            self.master_replid2,
            self.master_repl_offset,
            self.second_repl_offset,
            b(self.backlog_active),
            self.backlog_size,
            self.backlog_first_byte_offset,
            self.backlog_histlen
        );
        s
    }
}

impl Info {
    /// The full text, with Redis's `\r\n` line ends.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Info::Server(i) => {
                let (id, port, up) = (&i.run_id, i.tcp_port, i.uptime_in_seconds);
                server_section(&mut out, i.build, id, port, up, "standalone");
                out.push_str("\r\n");
                out.push_str(&i.replication());
                if i.used_memory.is_some() || i.loading {
                    let _ = write!(out, "\r\n# Persistence\r\nloading:{}\r\n", u8::from(i.loading));
                }
                if let Some(m) = i.used_memory {
                    let human = human_bytes(m);
                    let _ = write!(
                        out,
                        "\r\n# Memory\r\nused_memory:{m}\r\nused_memory_human:{human}\r\n"
                    );
                }
                out.push_str("\r\n# Keyspace\r\n");
                if i.keys > 0 {
                    let _ = write!(out, "db0:keys={},expires=0,avg_ttl=0\r\n", i.keys);
                }
            }
            Info::Sentinel(i) => {
                let (id, port, up) = (&i.run_id, i.tcp_port, i.uptime_in_seconds);
                server_section(&mut out, i.build, id, port, up, "sentinel");
                let _ = write!(
                    out,
                    "\r\n# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n",
                    i.masters.len(),
                    u8::from(i.tilt),
                    i.tilt_since_seconds
                );
                for (n, m) in i.masters.iter().enumerate() {
                    let _ = write!(
                        out,
                        "master{n}:name={},status={},address={},slaves={},sentinels={}\r\n",
                        m.name, m.status, m.address, m.slaves, m.sentinels
                    );
                }
            }
        }
        out
    }

    /// As redis-cli shows it: `\n` line ends.
    pub fn render_cli(&self) -> String {
        self.render().replace("\r\n", "\n")
    }
}

/// Bytes as Redis's `bytesToHuman` writes them: `875.00K`, `9.54G` (powers of 1024).
pub fn human_bytes(n: u64) -> String {
    let units = [(1u64 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    match units.iter().find(|(scale, _)| n >= *scale) {
        Some((scale, unit)) => format!("{:.2}{unit}", n as f64 / *scale as f64),
        None => format!("{n}B"),
    }
}
