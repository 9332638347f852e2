//! The checkers' vocabulary: the `[expect]` table and the built-in invariants a scenario can name.
//!
//! Built-in invariants (checked by `crate::invariants`):
//! - `one-leader-per-epoch`: at most one sentinel is elected leader in any epoch.
//! - `one-master-per-config-epoch`: every configuration epoch names one master address.
//! - `converges`: once the last fault is over, within `crate::invariants::convergence_bound`, every running sentinel
//!   names the same master, it runs as a master, and every other running server replicates from it
//!   with its link up. Checked at the end of the run when the run lasts that long.
//! - `no-lost-writes-without-master-fault`: a run in which no fault touched the master (its process,
//!   its host's filters, a cut or rule covering its host, a reconfiguration command, a forced
//!   failover) loses no acknowledged write.

/// A role in `final-roles`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `role:master`.
    Master,
    /// `role:slave`.
    Replica,
    /// Not running.
    Down,
}

/// `lost-writes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostWrites {
    /// Exactly this many.
    Count(u64),
    /// Exactly these keys.
    Keys(Vec<String>),
}

/// A `get` expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetExpect {
    /// `host:port`, or `None` for the final master.
    pub on: Option<String>,
    /// The key.
    pub key: String,
    /// The value (`None`: nil).
    pub value: Option<String>,
}

/// `[expect]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// `promotions`.
    pub promotions: Option<u32>,
    /// `promoted`.
    pub promoted: Option<Vec<String>>,
    /// `final-master`: any of these.
    pub final_master: Option<Vec<String>>,
    /// `final-master` as a table: by master name, any of these.
    pub final_master_of: Vec<(String, Vec<String>)>,
    /// `final-roles`.
    pub final_roles: Vec<(String, Role)>,
    /// `lost-writes`.
    pub lost_writes: Option<LostWrites>,
    /// `lost-keys-include` (an extension): these keys are among the lost ones.
    pub lost_keys_include: Vec<String>,
    /// `events`: in this order, on any sentinel.
    pub events: Vec<String>,
    /// `no-events`.
    pub no_events: Vec<String>,
    /// `events-on` (an extension): events that must appear in this order on one sentinel.
    pub events_on: Vec<(String, Vec<String>)>,
    /// `get`.
    pub get: Vec<GetExpect>,
    /// `invariants` (an extension): built-in invariants this run must keep.
    pub invariants: Vec<Invariant>,
    /// `violates` (an extension): built-in invariants this run must break (a regression scenario
    /// that documents a hole, in the model or in Redis).
    pub violates: Vec<Invariant>,
}

/// A built-in invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Invariant {
    /// At most one leader per epoch.
    OneLeaderPerEpoch,
    /// One master address per configuration epoch.
    OneMasterPerConfigEpoch,
    /// Agreement on one master after the faults, within a bound.
    Converges,
    /// No loss when the master was never touched.
    NoLostWritesWithoutMasterFault,
}

impl Invariant {
    /// Every built-in invariant.
    pub const ALL: [Invariant; 4] = [
        Invariant::OneLeaderPerEpoch,
        Invariant::OneMasterPerConfigEpoch,
        Invariant::Converges,
        Invariant::NoLostWritesWithoutMasterFault,
    ];

    /// Its name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::OneLeaderPerEpoch => "one-leader-per-epoch",
            Invariant::OneMasterPerConfigEpoch => "one-master-per-config-epoch",
            Invariant::Converges => "converges",
            Invariant::NoLostWritesWithoutMasterFault => "no-lost-writes-without-master-fault",
        }
    }

    /// The invariant called `name`.
    pub fn parse(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.name() == name)
    }
}
