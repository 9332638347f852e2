//! Scenario files (`docs/scenario-format.md`): a topology, configuration in the real
//! directive names, clients, a timeline of faults and commands, and expectations. Parsing checks
//! everything a run would trip over and reports it with `file:line:col`.

mod context;
mod error;
mod expect;
mod explore;
mod go_redis;
mod jedis;
pub mod keys;
mod lettuce;
mod library;
mod node_redis;
mod raw;
mod redis_rs;
mod redisson;
mod schedule;
mod stackexchange;
mod validate;
pub mod write;

pub use error::ScenarioError;
pub use expect::{Expect, GetExpect, Invariant, LostWrites, Role};
pub use explore::{ExploreRule, ExploreSpace, FaultKind};
pub use library::library_keys;
pub use model::build::ServerBuild;
use model::client::{Library, Workload};
use model::sentinel::config::SentinelConfig;
use model::server::config::ServerConfig;
pub use schedule::{Fault, FaultAction, describe, describe_action, draw, fault_events};
use sim::filter::FilterCommand;
use sim::{Addr, Duration, DurationRange, HostId, Instant, Probability};

/// A process of the deployment, by its place in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProcRef {
    /// `[[redis]]` number i.
    Redis(usize),
    /// `[[sentinel]]` number i.
    Sentinel(usize),
}

/// Where a `command` event goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandTarget {
    /// A process, by address.
    Node(ProcRef),
    /// The master that a sentinel names at that moment: the first that answers, or the given one.
    Master { ask: Option<usize> },
}

/// One fault or command of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// SIGKILL.
    Kill(ProcRef),
    /// Start again (killing first if running).
    Restart(ProcRef),
    /// SIGSTOP for a while.
    Pause(ProcRef, Duration),
    /// A host loses power (every process on it dies, no FIN, no RST, only synced data survives),
    /// and boots again after `restart_after` if given.
    Crash { host: HostId, restart_after: Option<Duration> },
    /// Move a process's wall clock (microseconds, negative: backwards).
    ClockJump(ProcRef, i64),
    /// An iptables command on a host.
    Iptables { host: HostId, cmd: FilterCommand },
    /// Drop traffic between groups of hosts (one way: from the first group only).
    Partition { groups: Vec<Vec<HostId>>, oneway: bool },
    /// Remove every rule on every host.
    Heal,
    /// Change one link's latency.
    Latency { a: HostId, b: HostId, range: DurationRange },
    /// A redis-cli command from a host.
    Command { argv: Vec<String>, on: CommandTarget, from: HostId },
    /// `SENTINEL FAILOVER <master>` to a sentinel.
    SentinelFailover(usize),
}

/// An action at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Timed {
    /// When.
    pub at: Instant,
    /// What.
    pub action: Action,
    /// The line of the `[[event]]` table, for messages.
    pub line: usize,
}

/// A Redis server of the deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisSpec {
    /// Address.
    pub addr: Addr,
    /// The build it runs (`server`: its own, else the scenario's, else Redis 7.0).
    pub server: ServerBuild,
    /// Its configuration file (the build's defaults and the scenario's directives).
    pub config: ServerConfig,
    /// The scenario's `config` table as written: (directive, value), for rendering a real
    /// `redis.conf` (`redsim conform`).
    pub directives: Vec<(String, String)>,
    /// When it is first started (drawn from this range by its own stream; default
    /// [`REDIS_START`]).
    pub start: DurationRange,
    /// `dataset`: the preloaded mass it starts with (`None`: only the keys clients write).
    pub dataset: Option<model::dataset::Mass>,
}

/// A sentinel of the deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct SentinelSpec {
    /// Address.
    pub addr: Addr,
    /// The build it runs (`server`: its own, else the scenario's, else Redis 7.0).
    pub server: ServerBuild,
    /// Its configuration file.
    pub config: SentinelConfig,
    /// The scenario's `config` table as written, `sentinel monitor` first: (directive, value),
    /// for rendering a real `sentinel.conf` (`redsim conform`).
    pub directives: Vec<(String, String)>,
    /// When it is first started (drawn from this range by its own stream; default
    /// [`SENTINEL_START`]).
    pub start: DurationRange,
}

/// When servers start unless a scenario says otherwise: within the first second, each at its own
/// moment, so their once-a-second crons (replica reconnects, ACKs, the diskless-sync delay) do not
/// tick in step.
pub const REDIS_START: &str = "0s..1s";

/// When sentinels start unless a scenario says otherwise: after their servers, as deployments
/// are brought up, each at its own moment, so their first INFO lists the replicas and their PING
/// phases are independent (Redis keeps a phase per link; sentinels started in lock-step would
/// probe in step).
pub const SENTINEL_START: &str = "2s..3s";

/// How a client finds Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMode {
    /// redis-py Sentinel client (`replica`: `slave_for`).
    Sentinel { sentinels: Vec<Addr>, service: String, replica: bool },
    /// A fixed address.
    Plain(Addr),
}

/// A client application of the deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSpec {
    /// Its name (keys it writes start with it).
    pub name: String,
    /// Its host.
    pub host: HostId,
    /// How it finds Redis.
    pub mode: ClientMode,
    /// `socket-timeout` (default 100 ms, the field report's redis-py setting).
    pub socket_timeout: Duration,
    /// `library`, `library-version` and the library's settings (default redis-py 5.0).
    pub library: Library,
    /// Its workload, if any.
    pub workload: Option<Workload>,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The file it came from.
    pub path: String,
    /// Its text (traces embed it so they replay on their own).
    pub source: String,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `field-report = true`: the scenario replays one of the field report's tests, so
    /// `explain` answers the report's two questions for it.
    pub field_report: bool,
    /// `seed` (default 1).
    pub seed: u64,
    /// `duration`.
    pub duration: Duration,
    /// Default one-way latency.
    pub latency: DurationRange,
    /// Default loss probability.
    pub loss: Probability,
    /// Latency between processes of one host.
    pub loopback_latency: DurationRange,
    /// `tcp-syn-linear-timeouts`.
    pub syn_linear_timeouts: u32,
    /// Host names, indexed by `HostId`.
    pub hosts: Vec<String>,
    /// `[[link]]` overrides: (a, b, latency, loss).
    pub links: Vec<(HostId, HostId, DurationRange, Probability)>,
    /// `[network] bandwidth`: every link's rate in each direction (`None`: unlimited).
    pub bandwidth: Option<sim::Bandwidth>,
    /// `[[link]] bandwidth` overrides: (a, b, rate).
    pub link_bandwidths: Vec<(HostId, HostId, sim::Bandwidth)>,
    /// `[[redis]]`.
    pub redis: Vec<RedisSpec>,
    /// `[[sentinel]]`.
    pub sentinels: Vec<SentinelSpec>,
    /// `[[client]]`.
    pub clients: Vec<ClientSpec>,
    /// `[[event]]`, in time order (ties: file order).
    pub events: Vec<Timed>,
    /// `[expect]`.
    pub expect: Expect,
    /// `[explore]`: the fault space each seed draws a schedule from.
    pub explore: Option<ExploreSpace>,
    /// The faults drawn from `explore` for this run (already among `events`; see
    /// [`Scenario::for_seed`]).
    pub schedule: Vec<Fault>,
}

impl Scenario {
    /// Reads and parses a scenario file (at most [`crate::limits::SCENARIO_MAX_BYTES`]).
    pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
        let file = std::fs::File::open(path)
            .map_err(|e| ScenarioError::whole(path, format!("cannot read the scenario: {e}")))?;
        Scenario::read(path, file)
    }

    /// Reads a scenario from `input` (a file, standard input) and parses it; `path` names it in
    /// errors. More than [`crate::limits::SCENARIO_MAX_BYTES`] is refused without reading on.
    pub fn read(path: &str, input: impl std::io::Read) -> Result<Scenario, ScenarioError> {
        Scenario::from_bytes(path, &Scenario::read_bytes(path, input)?)
    }

    /// The bytes of a scenario read from `input`, refused past
    /// [`crate::limits::SCENARIO_MAX_BYTES`] without reading on.
    pub fn read_bytes(path: &str, input: impl std::io::Read) -> Result<Vec<u8>, ScenarioError> {
        use crate::limits::{SCENARIO_MAX_BYTES, read_capped};
        read_capped(input, SCENARIO_MAX_BYTES, "a scenario")
            .map_err(|e| ScenarioError::whole(path, format!("cannot read the scenario: {e}")))
    }

    /// Parses the bytes of a scenario (UTF-8 TOML).
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            ScenarioError::whole(
                path,
                format!("the scenario is not UTF-8 (byte {})", e.valid_up_to()),
            )
        })?;
        Scenario::parse(path, text)
    }

    /// `host:port` of a process.
    pub fn name_of(&self, p: ProcRef) -> String {
        let a = match p {
            ProcRef::Redis(i) => self.redis[i].addr,
            ProcRef::Sentinel(i) => self.sentinels[i].addr,
        };
        format!("{}:{}", self.hosts[a.host.0 as usize], a.port)
    }

    /// The file name without its directories: what traces and views show, so that the same
    /// scenario gives the same bytes from any working directory.
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// A digest of the scenario text (FNV-1a, hex).
    pub fn digest(&self) -> String {
        crate::digest::hex(sim::rng::fnv1a64(self.source.as_bytes()))
    }
}

/// The names of the masters `sentinels` monitor, each once, in order of first mention (no
/// allocation: a name is kept when no earlier `sentinel monitor` line has it).
pub fn monitored(sentinels: &[SentinelSpec]) -> impl Iterator<Item = &str> {
    let all = || sentinels.iter().flat_map(|s| &s.config.masters).map(|m| m.name.as_str());
    all().enumerate().filter(move |&(i, n)| !all().take(i).any(|m| m == n)).map(|(_, n)| n)
}
