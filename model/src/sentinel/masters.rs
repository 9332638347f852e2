//! `sentinel.masters`: one entry per monitored master, each with its own settings, instance
//! tables (replicas, other sentinels), config epoch, vote and failover state, as `sentinel.c`
//! keeps them on the master's `sentinelRedisInstance`. The current epoch and TILT stay per
//! sentinel (`Runtime`).
//!
//! The code that handles a master works on the entry in hand (`Runtime::m`); `Runtime::focus`
//! swaps another entry in from `Runtime::parked` (a name-ordered map, so every walk over the
//! masters is deterministic). Simplified: a link to another sentinel belongs to one master entry,
//! where Redis shares one `instanceLink` between the masters two sentinels both monitor
//! (`releaseInstance` counts the references): two sentinels watching two masters hold two
//! connections to each other here, one in Redis.

use super::Runtime;
use super::config::MasterConfig;
use super::hello::HelloCache;
use super::instance::{FailoverState, Instance, Kind, Link, MasterState};

/// One monitored master.
pub(crate) struct MasterEntry {
    /// Its settings, as in force now.
    pub conf: MasterConfig,
    pub master: Instance,
    pub ms: MasterState,
    pub replicas: Vec<Instance>,
    pub sentinels: Vec<Instance>,
    /// The configuration this sentinel advertises in this master's hellos: (config epoch,
    /// master host, master port), as last noted.
    pub advertised: (u64, String, u16),
    /// The hello last sent for this master.
    pub hello: Option<HelloCache>,
}

/// What the config file keeps of one master (`sentinelFlushConfig`).
#[derive(Clone, Debug)]
pub(crate) struct SavedMaster {
    /// The settings, with the address the master has now.
    pub conf: MasterConfig,
    pub config_epoch: u64,
    pub leader_epoch: u64,
    pub replicas: Vec<(String, u16)>,
    pub sentinels: Vec<(String, u16, String)>,
}

impl SavedMaster {
    /// A master as the config file first gives it (no epochs, no known instances).
    pub fn fresh(conf: &MasterConfig) -> Self {
        SavedMaster {
            conf: conf.clone(),
            config_epoch: 0,
            leader_epoch: 0,
            replicas: Vec::new(),
            sentinels: Vec::new(),
        }
    }
}

impl MasterEntry {
    /// The entry a (re)start builds from the file: known replicas and sentinels are loaded
    /// silently (no `+slave` / `+sentinel`); entry ids come from `next_id`.
    pub fn load(sm: SavedMaster, next_id: &mut u32, now: i64) -> Self {
        let c = &sm.conf;
        let mut master =
            Instance::new(0, Kind::Master, c.name.clone(), c.host.clone(), c.port, now);
        master.link = Link::new(now);
        let ms = MasterState {
            config_epoch: sm.config_epoch,
            leader: None,
            leader_epoch: sm.leader_epoch,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_delay_logged: 0,
            promoted: None,
        };
        let mut id = || {
            *next_id += 1;
            *next_id
        };
        let replicas = sm
            .replicas
            .iter()
            .map(|(h, p)| {
                Instance::new(id(), Kind::Replica, format!("{h}:{p}"), h.clone(), *p, now)
            })
            .collect();
        let sentinels = sm
            .sentinels
            .iter()
            .map(|(h, p, runid)| {
                let mut s = Instance::new(id(), Kind::Sentinel, runid.clone(), h.clone(), *p, now);
                s.runid = Some(runid.clone());
                s
            })
            .collect();
        MasterEntry {
            conf: sm.conf,
            master,
            ms,
            replicas,
            sentinels,
            advertised: (u64::MAX, String::new(), 0),
            hello: None,
        }
    }

    /// `sentinelGetCurrentMasterAddress`: the promoted replica's once the failover this sentinel
    /// leads reached RECONF_SLAVES, else the table's.
    pub fn current_addr(&self) -> (&str, u16) {
        if self.master.flags.failover_in_progress
            && self.ms.failover_state >= FailoverState::ReconfSlaves
        {
            if let Some(r) =
                self.ms.promoted.and_then(|id| self.replicas.iter().find(|r| r.id == id))
            {
                return (&r.host, r.port);
            }
        }
        (&self.master.host, self.master.port)
    }

    /// True when one of this master's instance links uses `conn`.
    pub fn owns(&self, conn: sim::ConnId) -> bool {
        std::iter::once(&self.master)
            .chain(&self.replicas)
            .chain(&self.sentinels)
            .flat_map(|i| [&i.link.cc, &i.link.pc])
            .any(|c| c.as_ref().is_some_and(|c| c.id == conn))
    }

    /// What `sentinelFlushConfig` writes for this master: the current address (and in the
    /// replica list the old master takes the promoted replica's place).
    pub fn save(&self) -> SavedMaster {
        let (mh, mp) = self.current_addr();
        let replicas = self
            .replicas
            .iter()
            .map(|r| {
                if r.host == mh && r.port == mp {
                    (self.master.host.clone(), self.master.port)
                } else {
                    (r.host.clone(), r.port)
                }
            })
            .collect();
        let mut conf = self.conf.clone();
        (conf.host, conf.port) = (mh.to_string(), mp);
        SavedMaster {
            conf,
            config_epoch: self.ms.config_epoch,
            leader_epoch: self.ms.leader_epoch,
            replicas,
            sentinels: self
                .sentinels
                .iter()
                .map(|s| (s.host.clone(), s.port, s.runid.clone().unwrap_or_default()))
                .collect(),
        }
    }
}

impl Runtime {
    /// True when this sentinel monitors more than one master.
    pub fn several(&self) -> bool {
        !self.parked.is_empty()
    }

    /// The names of the monitored masters, in name order.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.parked.keys().cloned().collect();
        let i = v.partition_point(|n| *n < self.m.conf.name);
        v.insert(i, self.m.conf.name.clone());
        v
    }

    /// The entry of the master named `name`, wherever it is.
    pub fn entry(&self, name: &str) -> Option<&MasterEntry> {
        if self.m.conf.name == name { Some(&self.m) } else { self.parked.get(name) }
    }

    /// Takes the master named `name` in hand; false (nothing changes) when there is none.
    pub fn focus(&mut self, name: &str) -> bool {
        if self.m.conf.name == name {
            return true;
        }
        let Some(e) = self.parked.remove(name) else { return false };
        let old = std::mem::replace(&mut self.m, e);
        self.parked.insert(old.conf.name.clone(), old);
        true
    }

    /// Takes in hand the master whose table holds `pred`'s instance (a connection's owner, a
    /// master's address); false when none does.
    pub fn focus_where(&mut self, pred: impl Fn(&MasterEntry) -> bool) -> bool {
        if pred(&self.m) {
            return true;
        }
        let Some(name) = self.parked.iter().find(|(_, e)| pred(e)).map(|(n, _)| n.clone()) else {
            return false;
        };
        self.focus(&name)
    }
}
