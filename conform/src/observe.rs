//! What a real run showed, in the outcome record `redsim run --json` prints: from the processes'
//! logs, the drivers' operation lines, the `INFO replication` samples and the final readout, by
//! the same definitions the simulator's checker uses (`lab::check`, `lab::availability`).

use crate::logs;
use crate::plan::{Kind, Plan};
use lab::check::{count_writes, most_named, sort_history};
use lab::outcome::{Expectations, Outcome, Promotion, SentinelEvent};
use lab::scenario::{Role, Scenario};
use model::observe::{Op, OpRecord, OpResult};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// One operation line of a driver (see `drivers/redis_py.py`).
#[derive(Clone, Debug, Deserialize)]
pub struct OpLine {
    /// Per-client sequence number.
    pub seq: u64,
    /// `write` or `read`.
    pub op: String,
    /// The key.
    pub key: String,
    /// The value written.
    pub value: Option<String>,
    /// Sent (µs of the scenario clock).
    pub invoked_us: u64,
    /// Returned.
    pub completed_us: u64,
    /// `ip:port` it went to.
    pub node: Option<String>,
    /// `ok`, `error`, `timeout` or `lost`.
    pub result: String,
    /// The error's text.
    #[serde(default)]
    pub error: Option<String>,
    /// A read's reply.
    #[serde(default)]
    pub reply: Option<String>,
}

/// One `INFO replication` sample of the probe.
#[derive(Clone, Debug, Deserialize)]
pub struct Sample {
    /// When (µs of the scenario clock).
    pub t_us: u64,
    /// `ip:port`.
    pub node: String,
    /// `master`, `slave`, or none (no answer).
    pub role: Option<String>,
    /// `min_slaves_good_slaves`, when the server reports it.
    pub good_replicas: Option<u32>,
}

/// A server at the end of the run.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FinalServer {
    /// `master`, `slave`, or none (down).
    pub role: Option<String>,
    /// Every key it holds.
    #[serde(default)]
    pub keys: Vec<String>,
    /// The values of the keys `[expect] get` names.
    #[serde(default)]
    pub get: BTreeMap<String, Option<String>>,
}

/// A sentinel at the end of the run.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FinalSentinel {
    /// The master it names, `ip:port`.
    pub master: Option<String>,
    /// Its config epoch for it.
    pub config_epoch: Option<u64>,
}

/// The end state, by `ip:port`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Final {
    /// Servers.
    #[serde(default)]
    pub servers: BTreeMap<String, FinalServer>,
    /// Sentinels.
    #[serde(default)]
    pub sentinels: BTreeMap<String, FinalSentinel>,
}

/// Everything a real run collected.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Unix ms at which the scenario clock read zero.
    pub t0_unix_ms: u64,
    /// Each process's log text, by process index.
    pub logs: Vec<String>,
    /// Workload operations, by client name.
    pub ops: BTreeMap<String, Vec<OpLine>>,
    /// The `command` events' operations (client `redis-cli`).
    pub commands: Vec<OpRecord>,
    /// `INFO replication` samples.
    pub samples: Vec<Sample>,
    /// The end state.
    pub end: Final,
    /// What could not be reproduced.
    pub caveats: Vec<String>,
}

/// The outcome of a real run of `scenario` (`run` numbers it among several).
pub fn outcome(scenario: &Scenario, plan: &Plan, seen: &Observed, run: u64) -> Outcome {
    let name =
        |ip_port: &str| plan.name_of(ip_port).map_or_else(|| ip_port.to_string(), str::to_string);
    let end_us = plan.duration_ms * 1000;
    let mut history: Vec<OpRecord> =
        seen.ops.iter().flat_map(|(c, ops)| ops.iter().map(|o| record(c, o, &name))).collect();
    history.extend(seen.commands.iter().cloned());
    sort_history(&mut history);

    let final_roles: BTreeMap<String, Role> = (0..plan.procs.len())
        .filter(|&i| plan.procs[i].kind == Kind::Redis)
        .map(|i| {
            let role = seen.end.servers.get(&plan.proc_addr(i)).and_then(|s| s.role.as_deref());
            let role = match role {
                Some("master") => Role::Master,
                Some(_) => Role::Replica,
                None => Role::Down,
            };
            (plan.procs[i].name.clone(), role)
        })
        .collect();
    let sentinels = plan.procs.iter().filter(|p| p.kind == Kind::Sentinel).count();
    let views = seen
        .end
        .sentinels
        .values()
        .filter_map(|s| Some((name(s.master.as_deref()?), s.config_epoch.unwrap_or(0))));
    let final_master = most_named(sentinels, views, &final_roles);

    let keys_of = |node: &str| {
        seen.end
            .servers
            .get(&addr_of(plan, node))
            .map(|s| s.keys.iter().map(String::as_str).collect::<BTreeSet<&str>>())
    };
    let master_keys = final_master.as_deref().and_then(keys_of);
    let live: Vec<BTreeSet<&str>> = final_roles.keys().filter_map(|n| keys_of(n)).collect();
    let writes = count_writes(&history, |key| match &master_keys {
        Some(keys) => keys.contains(key),
        None => live.iter().any(|k| k.contains(key)),
    });

    let clients: BTreeMap<String, lab::outcome::ClientOutcome> = seen
        .ops
        .keys()
        .map(|c| {
            let w: Vec<&OpRecord> =
                history.iter().filter(|o| *o.client == **c && o.op.written().is_some()).collect();
            (c.clone(), lab::availability::client(&w, end_us))
        })
        .collect();
    let unavailable_ms = clients.values().map(|c| c.unavailable_ms).max().unwrap_or(0);

    let (sentinel_events, promotions) = from_logs(plan, seen);
    let mut out = Outcome {
        scenario: scenario.name.clone(),
        seed: run,
        duration_ms: plan.duration_ms,
        promotions,
        final_roles,
        final_master,
        writes,
        split_brain_ms: split_brain_ms(scenario, plan, &seen.samples, end_us),
        unavailable_ms,
        clients,
        // Per-master outcomes of real runs: not measured yet (single-master report shape).
        masters: Default::default(),
        sentinel_events,
        expectations: Expectations::default(),
        warnings: seen.caveats.clone(),
        faults: Vec::new(),
        history,
    };
    let read = |node: &str, key: &str| {
        let s = seen.end.servers.get(&addr_of(plan, node))?;
        s.role.as_ref()?;
        Some(s.get.get(key).cloned().flatten())
    };
    out.expectations = lab::expectations::observed(scenario, &out, &read);
    out
}

/// `ip:port` of a process named `host:port` in the scenario.
fn addr_of(plan: &Plan, name: &str) -> String {
    (0..plan.procs.len())
        .find(|&i| plan.procs[i].name == name)
        .map_or_else(|| name.to_string(), |i| plan.proc_addr(i))
}

fn record(client: &str, o: &OpLine, name: &impl Fn(&str) -> String) -> OpRecord {
    let op = if o.op == "write" {
        Op::Write {
            key: o.key.as_str().into(),
            value: o.value.clone().unwrap_or_default().as_str().into(),
        }
    } else {
        Op::Read { key: o.key.as_str().into() }
    };
    let error = || o.error.clone().unwrap_or_default();
    let result = match o.result.as_str() {
        "ok" => OpResult::Ok { value: o.reply.as_deref().map(Into::into) },
        "timeout" => OpResult::Timeout,
        "lost" => OpResult::Lost { error: error() },
        _ => OpResult::Error { error: error() },
    };
    OpRecord {
        client: client.into(),
        seq: o.seq,
        op,
        invoked_us: o.invoked_us,
        completed_us: o.completed_us,
        node: o.node.as_deref().map(|n| name(n).as_str().into()),
        result,
    }
}

/// Sentinel events (in time order, ties in process order) and promotions from the logs.
fn from_logs(plan: &Plan, seen: &Observed) -> (Vec<SentinelEvent>, Vec<Promotion>) {
    let rel = |unix_ms: u64| unix_ms.saturating_sub(seen.t0_unix_ms);
    let mut events = Vec::new();
    let mut ids: Vec<(String, usize)> = Vec::new();
    for (i, p) in plan.procs.iter().enumerate().filter(|(_, p)| p.kind == Kind::Sentinel) {
        for line in seen.logs[i].lines().filter_map(logs::parse) {
            if let Some(id) = logs::sentinel_id(&line) {
                ids.push((id, i));
            }
            if let Some((token, detail)) = logs::event(&line) {
                let detail = names_for_addresses(plan, detail);
                events.push(SentinelEvent {
                    at_ms: rel(line.unix_ms),
                    sentinel: p.name.clone(),
                    event: token.to_string(),
                    detail,
                });
            }
        }
    }
    events.sort_by_key(|e| e.at_ms);
    let mut promotions = Vec::new();
    for (i, p) in plan.procs.iter().enumerate().filter(|(_, p)| p.kind == Kind::Redis) {
        for line in seen.logs[i].lines().filter_map(logs::parse) {
            let Some(client) = logs::promotion(&line) else { continue };
            let at_ms = rel(line.unix_ms);
            // Sentinel names its command connection `sentinel-<first 8 of its id>-cmd`; where the
            // log redacts client names (Valkey), the sentinel that just sent the promotion.
            let by = client
                .strip_prefix("sentinel-")
                .and_then(|r| r.strip_suffix("-cmd"))
                .and_then(|id8| ids.iter().find(|(id, _)| id.starts_with(id8)))
                .map(|(_, s)| plan.procs[*s].name.clone())
                .or_else(|| {
                    let sent = |e: &&SentinelEvent| {
                        e.event == "+failover-state-send-slaveof-noone"
                            && e.at_ms <= at_ms
                            && e.detail.starts_with(&format!("slave {} ", p.name))
                    };
                    (!client.is_empty())
                        .then(|| events.iter().rfind(sent))
                        .flatten()
                        .map(|e| e.sentinel.clone())
                });
            let epoch = by.as_ref().and_then(|s| {
                events
                    .iter()
                    .rfind(|e| e.sentinel == *s && e.event == "+new-epoch" && e.at_ms <= at_ms)
                    .and_then(|e| e.detail.trim().parse().ok())
            });
            promotions.push(Promotion {
                at_ms,
                node: p.name.clone(),
                epoch,
                by: by.unwrap_or_else(|| "command".into()),
            });
        }
    }
    promotions.sort_by_key(|p| p.at_ms);
    (events, promotions)
}

/// A log detail with the addresses of hosts the scenario names otherwise (`app`) put back.
fn names_for_addresses(plan: &Plan, detail: &str) -> String {
    detail
        .split(' ')
        .map(|w| plan.hosts.iter().find(|h| h.ip.to_string() == w).map_or(w, |h| h.name.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Time with two or more servers answering as masters that accept writes (enough good replicas
/// for `min-replicas-to-write`), from the samples: each sample holds until the next of its node.
pub fn split_brain_ms(scenario: &Scenario, plan: &Plan, samples: &[Sample], end_us: u64) -> u64 {
    let min_good: BTreeMap<String, u32> = scenario
        .redis
        .iter()
        .map(|r| (plan.ip_port(r.addr), r.config.min_replicas_to_write))
        .collect();
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.t_us);
    let mut writable: BTreeMap<&str, bool> = BTreeMap::new();
    let (mut total, mut last) = (0u64, 0u64);
    for s in sorted {
        if writable.values().filter(|w| **w).count() >= 2 {
            total += s.t_us.saturating_sub(last);
        }
        last = s.t_us;
        let need = min_good.get(&s.node).copied().unwrap_or(0);
        let w = s.role.as_deref() == Some("master")
            && (need == 0 || s.good_replicas.unwrap_or(0) >= need);
        writable.insert(&s.node, w);
    }
    if writable.values().filter(|w| **w).count() >= 2 {
        total += end_us.saturating_sub(last);
    }
    total / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "t"
duration = "10s"
[[host]]
name = "10.0.0.1"
[[host]]
name = "10.0.0.2"
[[redis]]
host = "10.0.0.1"
port = 6379
[[redis]]
host = "10.0.0.2"
port = 6379
config = { replicaof = "10.0.0.1 6379" }
[[sentinel]]
host = "10.0.0.2"
port = 26379
config = { "sentinel monitor" = "m 10.0.0.1 6379 1" }
[[client]]
name = "c"
host = "10.0.0.2"
sentinels = ["10.0.0.2:26379"]
service = "m"
workload = { writes-per-sec = 10 }
[expect]
final-master = "10.0.0.2:6379"
lost-writes = ["c:000001"]
get = [{ on = "10.0.0.2:6379", key = "c:000000", value = "c-v0" }]
"#;

    fn op(seq: u64, result: &str, at_ms: u64) -> OpLine {
        OpLine {
            seq,
            op: "write".into(),
            key: format!("c:{seq:06}"),
            value: Some(format!("c-v{seq}")),
            invoked_us: at_ms * 1000,
            completed_us: at_ms * 1000 + 500,
            node: Some("10.0.0.1:6379".into()),
            result: result.into(),
            error: None,
            reply: None,
        }
    }

    fn sample(t_ms: u64, node: &str, role: &str) -> Sample {
        Sample {
            t_us: t_ms * 1000,
            node: node.into(),
            role: Some(role.into()),
            good_replicas: None,
        }
    }

    #[test]
    fn a_redacted_promoter_is_the_sentinel_that_sent_the_promotion() {
        let s = Scenario::from_bytes("t.toml", TEXT.as_bytes()).unwrap();
        let plan = Plan::new(&s);
        let sentinel_log = "9:X 01 Jan 1970 00:00:06.000 # +new-epoch 1\n\
             9:X 01 Jan 1970 00:00:06.010 * +failover-state-send-slaveof-noone slave 10.0.0.2:6379 10.0.0.2 6379 @ m 10.0.0.1 6379\n";
        let promoted = "8:M 01 Jan 1970 00:00:06.050 * PRIMARY MODE enabled (user request from 'id=6 addr=10.0.0.2:4000 laddr=10.0.0.2:6379 fd=15 name=*redacted* user=*redacted* lib-name= lib-ver=')\n";
        let seen = Observed {
            logs: vec![String::new(), promoted.into(), sentinel_log.into()],
            ..Observed::default()
        };
        let out = outcome(&s, &plan, &seen, 0);
        assert_eq!(out.promotions[0].by, "10.0.0.2:26379");
        assert_eq!(out.promotions[0].epoch, Some(1));
    }

    #[test]
    fn a_real_run_is_counted_by_the_simulators_rules() {
        let s = Scenario::from_bytes("t.toml", TEXT.as_bytes()).unwrap();
        let plan = Plan::new(&s);
        let sentinel_log = "9:X 01 Jan 1970 00:00:01.000 * Sentinel ID is 0123456789abcdef0123456789abcdef01234567\n\
             9:X 01 Jan 1970 00:00:06.000 # +new-epoch 1\n\
             9:X 01 Jan 1970 00:00:06.100 # +switch-master m 10.0.0.1 6379 10.0.0.2 6379\n";
        let promoted = "8:M 01 Jan 1970 00:00:06.050 * MASTER MODE enabled (user request from 'id=4 addr=10.0.0.2:4000 laddr=10.0.0.2:6379 fd=9 name=sentinel-01234567-cmd age=0')\n";
        let mut end = Final::default();
        let server = |role: &str, keys: &[&str]| FinalServer {
            role: Some(role.into()),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            get: [("c:000000".to_string(), Some("c-v0".to_string()))].into(),
        };
        end.servers
            .insert("10.0.0.1:6379".into(), FinalServer { role: None, ..FinalServer::default() });
        end.servers.insert("10.0.0.2:6379".into(), server("master", &["c:000000"]));
        end.sentinels.insert(
            "10.0.0.2:26379".into(),
            FinalSentinel { master: Some("10.0.0.2:6379".into()), config_epoch: Some(1) },
        );
        let seen = Observed {
            t0_unix_ms: 0,
            logs: vec![String::new(), promoted.into(), sentinel_log.into()],
            ops: [(
                "c".to_string(),
                vec![
                    op(0, "ok", 1000),
                    op(1, "ok", 5000),
                    op(2, "timeout", 5500),
                    op(3, "ok", 7000),
                ],
            )]
            .into(),
            samples: vec![
                sample(0, "10.0.0.1:6379", "master"),
                sample(6000, "10.0.0.2:6379", "master"),
                sample(6500, "10.0.0.1:6379", "slave"),
            ],
            end,
            ..Observed::default()
        };
        let out = outcome(&s, &plan, &seen, 0);
        assert_eq!(
            out.promotions,
            [Promotion {
                at_ms: 6050,
                node: "10.0.0.2:6379".into(),
                epoch: Some(1),
                by: "10.0.0.2:26379".into()
            }]
        );
        assert_eq!(out.final_master.as_deref(), Some("10.0.0.2:6379"));
        assert_eq!(out.final_roles["10.0.0.1:6379"], Role::Down);
        assert_eq!((out.writes.acked, out.writes.indeterminate, out.writes.lost), (3, 1, 2));
        assert_eq!(out.writes.lost_keys, ["c:000001", "c:000003"]);
        assert_eq!(out.split_brain_ms, 500);
        assert_eq!(out.unavailable_ms, 1_500);
        assert_eq!(out.sentinel_events.len(), 2);
        assert_eq!(out.expectations.checked, 3);
        assert_eq!(
            out.expectations.failures,
            ["lost-writes: expected [c:000001], got [c:000001, c:000003]"]
        );
    }
}
