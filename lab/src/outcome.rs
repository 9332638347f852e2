//! What a run showed, as the `--json` report and traces carry it: promotions, final roles, writes
//! and their fates, split brain, unavailability, sentinel events, expectations, the history.

use crate::scenario::Role;
use model::observe::OpRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A replica executing `REPLICAOF NO ONE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// When (virtual ms).
    pub at_ms: u64,
    /// The promoted server.
    pub node: String,
    /// The failover epoch of the sentinel that promoted it (absent for a `command` event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// The sentinel's host:port, or `command`.
    pub by: String,
}

/// The client writes, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writes {
    /// Acknowledged with OK.
    pub acked: u64,
    /// Refused or never sent (not applied).
    pub failed: u64,
    /// Timed out or cut off (may or may not have been applied).
    pub indeterminate: u64,
    /// Acknowledged, and absent from the final master at the end.
    pub lost: u64,
    /// Their keys.
    pub lost_keys: Vec<String>,
}

/// One sentinel log event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentinelEvent {
    /// When (virtual ms).
    pub at_ms: u64,
    /// The sentinel's host:port.
    pub sentinel: String,
    /// The event token, `+sdown`.
    pub event: String,
    /// The rest of the line.
    pub detail: String,
}

/// Write latency percentiles of one client, in whole milliseconds rounded up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// The slowest.
    pub max: u64,
}

/// What one client felt (see [`crate::availability`] for the rules).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOutcome {
    /// Total time from a write that was not served (failed, timed out, or acknowledged after more
    /// than 1 s) to the acknowledgement of the next served one.
    pub unavailable_ms: u64,
    /// Latency of its acknowledged writes (`null` when none was acknowledged).
    pub latency_ms: Option<Latency>,
}

/// Expectation results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectations {
    /// True when no expectation failed (the exit status is 0). With `checked` 0 nothing was
    /// held against the run: the summary says "none", never "all hold".
    pub passed: bool,
    /// How many expectations were held against the run: each key of `[expect]`, each entry of
    /// its lists and tables (`final-roles`, `get`, `events-on`, ...), each invariant.
    #[serde(default)]
    pub checked: u64,
    /// One line per failed expectation.
    pub failures: Vec<String>,
}

impl Expectations {
    /// The verdict in words: `all 3 hold`, `none (the scenario has no [expect])`, `2 FAILED`.
    pub fn verdict(&self) -> String {
        if !self.passed {
            format!("{} FAILED", self.failures.len())
        } else if self.checked == 0 {
            "none (the scenario has no [expect]: nothing was checked)".to_string()
        } else if self.checked == 1 {
            "the 1 expectation holds".to_string()
        } else {
            format!("all {} hold", self.checked)
        }
    }
}

/// One monitored master's part of a run (`masters.<name>`), over the servers that replicate from
/// it at the start and the clients that ask the sentinels for it by name (`service`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterOutcome {
    /// Promotions of its servers, in time order.
    pub promotions: Vec<Promotion>,
    /// The server of its group most sentinels name for it at the end.
    pub final_master: Option<String>,
    /// Its clients' writes, counted against its final master.
    pub writes: Writes,
    /// Time with two or more writable masters in its group.
    pub split_brain_ms: u64,
    /// The largest `unavailable_ms` over its clients.
    pub unavailable_ms: u64,
}

/// What happened in a run: the `--json` report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Virtual time simulated.
    pub duration_ms: u64,
    /// Promotions in time order.
    pub promotions: Vec<Promotion>,
    /// Every Redis process: master, replica or down.
    pub final_roles: BTreeMap<String, Role>,
    /// The node most sentinels name as master at the end.
    pub final_master: Option<String>,
    /// Client writes.
    pub writes: Writes,
    /// Time with two or more writable masters.
    pub split_brain_ms: u64,
    /// The largest `unavailable_ms` over clients.
    pub unavailable_ms: u64,
    /// Per workload client (by name): its unavailability and write latency.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientOutcome>,
    /// With several monitored masters, each one's outcome, by master name (absent with one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub masters: BTreeMap<String, MasterOutcome>,
    /// Sentinel log events, in time order.
    pub sentinel_events: Vec<SentinelEvent>,
    /// The scenario's `[expect]`.
    pub expectations: Expectations,
    /// Timeline actions that could not be carried out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The faults this seed drew from the scenario's `[explore]` space, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Every client operation (not in the JSON report).
    #[serde(skip)]
    pub history: Vec<OpRecord>,
}
