//! The instance tables (`sentinelRedisInstance`, `instanceLink`): one entry for the master, one per
//! known replica, one per known other sentinel, with their links, timestamps and flags. Times are
//! this sentinel's wall-clock milliseconds (`mstime()`), signed, as in Redis: a clock jump moves
//! every comparison, which is what TILT mode exists for.

use sim::ConnId;
use std::collections::VecDeque;

/// What kind of instance an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The monitored master.
    Master,
    /// A replica of it.
    Replica,
    /// Another sentinel monitoring it.
    Sentinel,
}

impl Kind {
    /// `sentinelRedisInstanceTypeStr`.
    pub fn type_str(self) -> &'static str {
        match self {
            Kind::Master => "master",
            Kind::Replica => "slave",
            Kind::Sentinel => "sentinel",
        }
    }
}

/// The role an instance reports in INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    Slave,
}

/// What to do with the reply to a command sent on a connection (hiredis callbacks, in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    Ping,
    Info,
    Publish,
    IsMasterDown,
    Discard,
}

/// One hiredis connection: its id and the callbacks of the commands in flight on it.
#[derive(Clone, Debug)]
pub struct Conn {
    pub id: ConnId,
    pub callbacks: VecDeque<Callback>,
}

impl Conn {
    pub fn new(id: ConnId) -> Self {
        Conn { id, callbacks: VecDeque::new() }
    }
}

/// `instanceLink`.
#[derive(Clone, Debug)]
pub struct Link {
    pub cc: Option<Conn>,
    pub pc: Option<Conn>,
    pub disconnected: bool,
    pub pending_commands: u32,
    pub cc_conn_time: i64,
    pub pc_conn_time: i64,
    pub last_reconn_time: i64,
    pub pc_last_activity: i64,
    /// Oldest PING without a reply (0: none outstanding).
    pub act_ping_time: i64,
    pub last_ping_time: i64,
    /// Last valid PING reply.
    pub last_avail_time: i64,
    /// Last PING reply of any kind.
    pub last_pong_time: i64,
}

impl Link {
    /// `createInstanceLink`: disconnected, and "last heard from" now, so an instance that can
    /// never be reached goes SDOWN `down-after-milliseconds` after it was added.
    pub fn new(now: i64) -> Self {
        Link {
            cc: None,
            pc: None,
            disconnected: true,
            pending_commands: 0,
            cc_conn_time: 0,
            pc_conn_time: 0,
            last_reconn_time: 0,
            pc_last_activity: 0,
            act_ping_time: now,
            last_ping_time: 0,
            last_avail_time: now,
            last_pong_time: now,
        }
    }
}

/// The `SRI_*` flags other than the instance kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub s_down: bool,
    pub o_down: bool,
    pub master_down: bool,
    pub failover_in_progress: bool,
    pub promoted: bool,
    pub reconf_sent: bool,
    pub reconf_inprog: bool,
    pub reconf_done: bool,
    pub force_failover: bool,
    pub master_reboot: bool,
}

/// One instance entry.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Stable id of this entry (entries are dropped and re-created on a switch).
    pub id: u32,
    pub kind: Kind,
    /// Master: its name; replica: `ip:port`; sentinel: its run id.
    pub name: String,
    pub host: String,
    pub port: u16,
    pub runid: Option<String>,
    pub flags: Flags,
    pub link: Link,
    pub last_pub_time: i64,
    pub last_hello_time: i64,
    pub last_master_down_reply_time: i64,
    pub s_down_since_time: i64,
    pub o_down_since_time: i64,
    pub master_reboot_since_time: i64,
    /// Last INFO reply (0: never).
    pub info_refresh: i64,
    pub role_reported: Role,
    pub role_reported_time: i64,
    pub slave_conf_change_time: i64,
    pub slave_master_host: Option<String>,
    pub slave_master_port: u16,
    pub slave_master_link_up: bool,
    pub slave_priority: u32,
    pub slave_repl_offset: i64,
    /// `master_link_down_since_seconds` x 1000 from the last INFO (0 when absent).
    pub master_link_down_time: i64,
    pub replica_announced: bool,
    pub slave_reconf_sent_time: i64,
    /// A peer sentinel's last reported vote.
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl Instance {
    /// `createSentinelRedisInstance`.
    pub fn new(id: u32, kind: Kind, name: String, host: String, port: u16, now: i64) -> Self {
        Instance {
            id,
            kind,
            name,
            host,
            port,
            runid: None,
            flags: Flags::default(),
            link: Link::new(now),
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            s_down_since_time: 0,
            o_down_since_time: 0,
            master_reboot_since_time: 0,
            info_refresh: 0,
            role_reported: if kind == Kind::Master { Role::Master } else { Role::Slave },
            role_reported_time: now,
            slave_conf_change_time: now,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_priority: 100,
            slave_repl_offset: 0,
            master_link_down_time: 0,
            replica_announced: true,
            slave_reconf_sent_time: 0,
            leader: None,
            leader_epoch: 0,
        }
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `sentinelRedisInstanceNoDownFor`: no SDOWN or ODOWN *started* within the last `ms`.
    pub fn no_down_for(&self, ms: i64, now: i64) -> bool {
        let most_recent = self.s_down_since_time.max(self.o_down_since_time);
        most_recent == 0 || now - most_recent > ms
    }

    /// The `flags` field of `SENTINEL MASTER(S)/REPLICAS/SENTINELS`, in Redis's order.
    pub fn flags_str(&self) -> String {
        let f = &self.flags;
        let mut v: Vec<&str> = Vec::new();
        if f.s_down {
            v.push("s_down");
        }
        if f.o_down {
            v.push("o_down");
        }
        v.push(match self.kind {
            Kind::Master => "master",
            Kind::Replica => "slave",
            Kind::Sentinel => "sentinel",
        });
        if self.link.disconnected {
            v.push("disconnected");
        }
        for (on, name) in [
            (f.master_down, "master_down"),
            (f.failover_in_progress, "failover_in_progress"),
            (f.promoted, "promoted"),
            (f.reconf_sent, "reconf_sent"),
            (f.reconf_inprog, "reconf_inprog"),
            (f.reconf_done, "reconf_done"),
            (f.force_failover, "force_failover"),
        ] {
            if on {
                v.push(name);
            }
        }
        v.join(",")
    }
}

/// `failover_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    /// `sentinelFailoverStateStr`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// The failover state that lives on the master entry (the per-master settings are read from
/// the sentinel's configuration, their one source).
#[derive(Clone, Debug)]
pub struct MasterState {
    pub config_epoch: u64,
    /// This sentinel's own vote for this master.
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_state_change_time: i64,
    pub failover_start_time: i64,
    pub failover_delay_logged: i64,
    /// The entry id of the replica being promoted.
    pub promoted: Option<u32>,
}
