//! Redis Sentinel 7.0. (Placeholder: monitoring and failover land with the Sentinel issue.)

pub mod config;

use crate::node::{Directory, Msg, NodeCtx, Timer};
use config::SentinelConfig;
use serde::{Deserialize, Serialize};
use sim::Input;
use std::sync::Arc;

/// Every event Sentinel 7.0 logs (`sentinel-semantics.md` §6.3), for validating expectations.
pub const EVENTS: &[&str] = &[
    "+monitor",
    "-monitor",
    "+set",
    "+reset-master",
    "+slave",
    "+sentinel",
    "+sentinel-address-switch",
    "+sentinel-invalid-addr",
    "+sentinel-address-update",
    "+reboot",
    "+role-change",
    "-role-change",
    "+sdown",
    "-sdown",
    "+odown",
    "-odown",
    "+new-epoch",
    "+try-failover",
    "+vote-for-leader",
    "+elected-leader",
    "-failover-abort-not-elected",
    "+failover-state-select-slave",
    "-failover-abort-no-good-slave",
    "+selected-slave",
    "+failover-state-send-slaveof-noone",
    "+failover-state-wait-promotion",
    "-failover-abort-slave-timeout",
    "+promoted-slave",
    "+failover-state-reconf-slaves",
    "+slave-reconf-sent",
    "-slave-reconf-sent-timeout",
    "+slave-reconf-inprog",
    "+slave-reconf-done",
    "+failover-end-for-timeout",
    "+slave-reconf-sent-be",
    "+failover-end",
    "+switch-master",
    "+config-update-from",
    "+convert-to-slave",
    "+fix-slave-config",
    "+tilt",
    "-tilt",
];

/// Why a sentinel did something: the numbers behind an event, for explanations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Why {
    /// The sentinel's id, noted at start (`Sentinel ID is ...`).
    Identity { run_id: String },
    /// The leader sent `SLAVEOF NO ONE` to `replica` in failover epoch `epoch`.
    SentPromotion { replica: String, epoch: u64 },
}

/// What a sentinel believes about its master.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterView {
    /// `host:port` in its table.
    pub addr: String,
    /// The configuration epoch of that address.
    pub config_epoch: u64,
}

/// A Sentinel process.
pub struct Sentinel {
    #[allow(dead_code)]
    dir: Arc<Directory>,
    #[allow(dead_code)]
    port: u16,
    config: SentinelConfig,
    up: bool,
}

impl Sentinel {
    /// A sentinel on `port` with its configuration file.
    pub fn new(dir: Arc<Directory>, port: u16, config: SentinelConfig) -> Self {
        Sentinel { dir, port, config, up: false }
    }

    /// The master this sentinel names (its table address), while running.
    pub fn master_view(&self) -> Option<MasterView> {
        self.up.then(|| MasterView {
            addr: format!("{}:{}", self.config.master_host, self.config.master_port),
            config_epoch: 0,
        })
    }

    /// The master address `SENTINEL get-master-addr-by-name` would give now, while running.
    pub fn reported_master(&self) -> Option<(String, u16)> {
        self.up.then(|| (self.config.master_host.clone(), self.config.master_port))
    }

    /// This sentinel's run id, while running.
    pub fn run_id(&self) -> Option<&str> {
        None
    }

    /// Starts.
    pub fn start(&mut self, _ctx: &mut NodeCtx<'_>) {
        self.up = true;
    }

    /// One input.
    pub fn handle(&mut self, _ctx: &mut NodeCtx<'_>, _input: Input<Msg, Timer>) {}

    /// Dies.
    pub fn crash(&mut self) {
        self.up = false;
    }
}
