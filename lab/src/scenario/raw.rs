//! The scenario file as TOML says it, with the position of every value that validation may
//! complain about. Unknown keys are errors (`deny_unknown_fields`). Every key added here is
//! listed by `super::keys` on its own and must be documented in `docs/scenario-format.md`
//! (`tests/docs.rs` checks). An untagged enum says what it accepts (`expecting`): serde's own
//! wording names the Rust type.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A directive value: a string, an integer, a boolean (`true` = `yes`), or a list of strings
/// (the directive given several times, as several lines of the file: several `sentinel monitor`).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a directive value: a string, an integer, a boolean (true means yes) or a list of strings"
)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
}

impl Value {
    /// The value as the lines of a file would give it: one per list item, else one.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Value::List(v) => v.clone(),
            other => vec![other.text()],
        }
    }

    pub fn text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(true) => "yes".to_string(),
            Value::Bool(false) => "no".to_string(),
            Value::List(v) => v.join("\n"),
        }
    }
}

/// One value or a list of them.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "expected a \"host:port\" or a list of them")]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `final-master`: the node (or any of a list), or with several masters a table of them by master
/// name.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a \"host:port\", a list of them, or a table of them by master name ({ cache = \"h2:6379\" })"
)]
pub enum FinalMaster {
    Any(OneOrMany),
    ByMaster(BTreeMap<String, OneOrMany>),
}

/// A count or a list of keys.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "expected a count (0) or a list of keys ([\"k1\", \"k2\"])")]
pub enum CountOrKeys {
    Count(u64),
    Keys(Vec<String>),
}

/// A string, or `false` for nil.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "expected a string, or false for nil")]
pub enum StrOrFalse {
    Str(String),
    Bool(bool),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub field_report: Option<bool>,
    pub seed: Option<u64>,
    pub server: Option<Spanned<String>>,
    pub duration: Spanned<String>,
    #[serde(default)]
    pub network: Network,
    #[serde(default)]
    pub host: Vec<Host>,
    #[serde(default)]
    pub link: Vec<Link>,
    #[serde(default)]
    pub redis: Vec<Process>,
    #[serde(default)]
    pub sentinel: Vec<Process>,
    #[serde(default)]
    pub client: Vec<Client>,
    #[serde(default)]
    pub event: Vec<Spanned<Event>>,
    pub expect: Option<Expect>,
    pub explore: Option<Spanned<Explore>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Network {
    pub latency: Option<Spanned<String>>,
    pub loss: Option<Spanned<f64>>,
    pub tcp_syn_linear_timeouts: Option<Spanned<u32>>,
    pub loopback_latency: Option<Spanned<String>>,
    pub bandwidth: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub name: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub between: Spanned<Vec<Spanned<String>>>,
    pub latency: Option<Spanned<String>>,
    pub loss: Option<Spanned<f64>>,
    pub bandwidth: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub host: Spanned<String>,
    pub port: Spanned<u16>,
    pub start: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    #[serde(default)]
    pub config: BTreeMap<Spanned<String>, Spanned<Value>>,
    pub dataset: Option<Spanned<Dataset>>,
}

/// `dataset = { keys = 2_000_000, value-size = "1KB" }` of a `[[redis]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Dataset {
    pub keys: Spanned<u64>,
    pub value_size: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Client {
    pub name: Spanned<String>,
    pub host: Spanned<String>,
    pub sentinels: Option<Vec<Spanned<String>>>,
    pub service: Option<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    pub connect: Option<Spanned<String>>,
    pub socket_timeout: Option<Spanned<String>>,
    pub workload: Option<Spanned<Workload>>,
    pub library: Option<Spanned<String>>,
    pub library_version: Option<Spanned<String>>,
    // The library's own settings, spelled as the library spells them (`super::library` checks
    // that they belong to the client's library).
    #[serde(rename = "socket_connect_timeout")]
    pub socket_connect_timeout: Option<Spanned<String>>,
    #[serde(rename = "retry_on_timeout")]
    pub retry_on_timeout: Option<Spanned<bool>>,
    #[serde(rename = "failoverDetector")]
    pub failover_detector: Option<Spanned<bool>>,
    #[serde(rename = "enableOfflineQueue")]
    pub enable_offline_queue: Option<Spanned<bool>>,
    #[serde(rename = "maxRetriesPerRequest")]
    pub max_retries_per_request: Option<Spanned<i64>>,
    #[serde(rename = "commandTimeout")]
    pub command_timeout: Option<Spanned<String>>,
    #[serde(rename = "connectTimeout")]
    pub connect_timeout: Option<Spanned<String>>,
    #[serde(rename = "reconnectOnError")]
    pub reconnect_on_error: Option<Spanned<String>>,
    #[serde(rename = "autoResendUnfulfilledCommands")]
    pub auto_resend_unfulfilled_commands: Option<Spanned<bool>>,
    #[serde(rename = "enableReadyCheck")]
    pub enable_ready_check: Option<Spanned<bool>>,
    #[serde(rename = "scanInterval")]
    pub scan_interval: Option<Spanned<String>>,
    #[serde(rename = "maxCommandRediscovers")]
    pub max_command_rediscovers: Option<Spanned<u32>>,
    #[serde(rename = "masterPoolSize")]
    pub master_pool_size: Option<Spanned<u32>>,
    #[serde(rename = "socketTimeout")]
    pub socket_timeout_ms: Option<Spanned<String>>,
    #[serde(rename = "reconnectStrategy")]
    pub reconnect_strategy: Option<Spanned<Strategy>>,
    #[serde(rename = "commandOptions.timeout")]
    pub command_options_timeout: Option<Spanned<String>>,
    #[serde(rename = "connection_timeout")]
    pub connection_timeout: Option<Spanned<String>>,
    #[serde(rename = "response_timeout")]
    pub response_timeout: Option<Spanned<String>>,
    pub reuse_connection: Option<Spanned<bool>>,
    #[serde(rename = "connectionTimeout")]
    pub jedis_connection_timeout: Option<Spanned<String>>,
    #[serde(rename = "soTimeout")]
    pub so_timeout: Option<Spanned<String>>,
    #[serde(rename = "sentinelConnectionTimeout")]
    pub sentinel_connection_timeout: Option<Spanned<String>>,
    #[serde(rename = "sentinelSoTimeout")]
    pub sentinel_so_timeout: Option<Spanned<String>>,
    #[serde(rename = "sentinelReconnectDelay")]
    pub sentinel_reconnect_delay: Option<Spanned<String>>,
    #[serde(rename = "MaxRetries")]
    pub max_retries: Option<Spanned<i64>>,
    #[serde(rename = "MinRetryBackoff")]
    pub min_retry_backoff: Option<Spanned<String>>,
    #[serde(rename = "MaxRetryBackoff")]
    pub max_retry_backoff: Option<Spanned<String>>,
    #[serde(rename = "DialTimeout")]
    pub dial_timeout: Option<Spanned<String>>,
    #[serde(rename = "ReadTimeout")]
    pub read_timeout: Option<Spanned<String>>,
    #[serde(rename = "DialerRetries")]
    pub dialer_retries: Option<Spanned<i64>>,
    #[serde(rename = "DialerRetryTimeout")]
    pub dialer_retry_timeout: Option<Spanned<String>>,
    #[serde(rename = "RouteByLatency")]
    pub route_by_latency: Option<Spanned<bool>>,
    pub timeout: Option<Spanned<String>>,
    #[serde(rename = "autoReconnect")]
    pub auto_reconnect: Option<Spanned<bool>>,
    #[serde(rename = "disconnectedBehavior")]
    pub disconnected_behavior: Option<Spanned<String>>,
    #[serde(rename = "requestQueueSize")]
    pub request_queue_size: Option<Spanned<i64>>,
    #[serde(rename = "reconnectDelay")]
    pub reconnect_delay: Option<Spanned<String>>,
    #[serde(rename = "retryAttempts")]
    pub retry_attempts: Option<Spanned<u32>>,
    #[serde(rename = "retryInterval")]
    pub retry_interval: Option<Spanned<String>>,
    #[serde(rename = "checkSentinelsList")]
    pub check_sentinels_list: Option<Spanned<bool>>,
    #[serde(rename = "syncTimeout")]
    pub sync_timeout: Option<Spanned<String>>,
}

/// node-redis' `reconnectStrategy`: `false` or a fixed wait.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "expected false or a duration such as \"500ms\"")]
pub enum Strategy {
    Flag(bool),
    Wait(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Workload {
    pub writes_per_sec: Option<u32>,
    pub reads_per_sec: Option<u32>,
    pub start: Option<Spanned<String>>,
    pub stop: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Event {
    pub at: Spanned<String>,
    pub kill: Option<Spanned<String>>,
    pub restart: Option<Spanned<String>>,
    pub pause: Option<Spanned<String>>,
    pub crash: Option<Spanned<String>>,
    pub restart_after: Option<Spanned<String>>,
    #[serde(rename = "for")]
    pub for_: Option<Spanned<String>>,
    pub iptables: Option<Spanned<String>>,
    pub on: Option<Spanned<String>>,
    pub partition: Option<Spanned<Vec<Vec<Spanned<String>>>>>,
    pub oneway: Option<bool>,
    pub heal: Option<Spanned<bool>>,
    pub clock_jump: Option<Spanned<String>>,
    pub by: Option<Spanned<String>>,
    pub latency: Option<Spanned<String>>,
    pub between: Option<Spanned<Vec<Spanned<String>>>>,
    pub command: Option<Spanned<Vec<String>>>,
    pub from: Option<Spanned<String>>,
    pub sentinel_failover: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    pub promotions: Option<u32>,
    pub promoted: Option<Vec<Spanned<String>>>,
    pub final_master: Option<Spanned<FinalMaster>>,
    pub final_roles: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    pub lost_writes: Option<CountOrKeys>,
    pub lost_keys_include: Option<Vec<String>>,
    pub events: Option<Vec<Spanned<String>>>,
    pub no_events: Option<Vec<Spanned<String>>>,
    pub events_on: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    pub get: Option<Vec<Get>>,
    pub invariants: Option<Vec<Spanned<String>>>,
    pub violates: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Get {
    pub on: Spanned<String>,
    pub key: String,
    pub value: StrOrFalse,
}

/// A count, or a range of counts written `"1..3"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, expecting = "expected a count (2) or a range (\"1..3\")")]
pub enum CountRange {
    Count(u32),
    Range(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Explore {
    pub faults: Option<Spanned<CountRange>>,
    pub window: Spanned<String>,
    pub length: Spanned<String>,
    pub kinds: Spanned<Vec<Spanned<String>>>,
    pub hosts: Option<Vec<Spanned<String>>>,
    pub processes: Option<Vec<Spanned<String>>>,
    pub rules: Option<Vec<ExploreRule>>,
    pub invariants: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreRule {
    pub on: Spanned<String>,
    pub rule: Spanned<String>,
}
