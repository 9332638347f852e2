//! Several monitored masters: which servers and clients belong to which master, and each
//! master's outcome (`masters.<name>` in the report). A master's group is the server its
//! `sentinel monitor` line names and every server whose `replicaof` chain leads there at the
//! start; its clients are those whose `service` is its name, and those connecting straight to
//! one of its servers.

use crate::outcome::{ClientOutcome, MasterOutcome, Promotion, Writes};
use crate::run::Deployment;
use crate::scenario::{ClientMode, Role, Scenario, monitored};
use crate::tally::{count_writes, final_master, split_brain};
use model::observe::OpRecord;
use sim::{Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

/// True when the sentinels monitor more than one master (and their servers form more than one
/// group): the report then gives each master's part. Allocates nothing with one master.
pub fn several(s: &Scenario) -> bool {
    monitored(&s.sentinels).nth(1).is_some() && groups(s).len() > 1
}

/// Each monitored master's servers (indexes into `scenario.redis`), by master name: the masters
/// of every sentinel's configuration.
pub fn groups(s: &Scenario) -> BTreeMap<String, BTreeSet<usize>> {
    let name = |i: usize| -> (&str, u16) {
        let a = s.redis[i].addr;
        (&s.hosts[a.host.0 as usize], a.port)
    };
    // Where each server's replicaof chain ends (a loop ends nowhere).
    let root = |mut i: usize| -> Option<usize> {
        for _ in 0..=s.redis.len() {
            let Some(up) = &s.redis[i].config.replicaof else { return Some(i) };
            i = (0..s.redis.len()).find(|&j| name(j) == (up.0.as_str(), up.1))?;
        }
        None
    };
    let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for m in s.sentinels.iter().flat_map(|x| &x.config.masters) {
        let Some(head) = (0..s.redis.len()).find(|&i| name(i) == (m.host.as_str(), m.port)) else {
            continue;
        };
        let members = (0..s.redis.len()).filter(|&i| root(i) == root(head));
        out.entry(m.name.clone()).or_default().extend(members);
    }
    out
}

/// Each master's outcome, from the run's history and the whole run's promotions and clients.
pub(crate) fn outcomes(
    s: &Scenario,
    d: &Deployment,
    roles: &BTreeMap<String, Role>,
    history: &[OpRecord],
    promotions: &[Promotion],
    clients: &BTreeMap<String, ClientOutcome>,
    end: Instant,
) -> BTreeMap<String, MasterOutcome> {
    let w = &d.world;
    groups(s)
        .iter()
        .map(|(master, members)| {
            let pids: BTreeSet<ProcessId> = members.iter().map(|&i| d.redis[i]).collect();
            let names: BTreeSet<String> = pids.iter().map(|&p| w.name(p).to_string()).collect();
            let roles: BTreeMap<String, Role> = roles
                .iter()
                .filter(|(n, _)| names.contains(*n))
                .map(|(n, r)| (n.clone(), *r))
                .collect();
            let fm = final_master(d, &roles, Some(master));
            let mine = clients_of(s, master, members);
            let ops: Vec<OpRecord> =
                history.iter().filter(|o| mine.contains(o.client.as_ref())).cloned().collect();
            let data = fm
                .as_ref()
                .and_then(|m| pids.iter().find(|&&p| w.name(p) == m.as_str()))
                .and_then(|&p| w.actor(p).as_server()?.data());
            let writes = count_writes(&ops, |key| match data {
                Some(data) => data.contains_key(key),
                None => pids
                    .iter()
                    .any(|&p| w.actor(p).as_server().is_some_and(|x| x.get(key).is_some())),
            });
            let outcome = MasterOutcome {
                promotions: promotions
                    .iter()
                    .filter(|p| names.contains(&p.node))
                    .cloned()
                    .collect(),
                final_master: fm,
                writes,
                split_brain_ms: split_brain(d, &pids, end),
                unavailable_ms: mine
                    .iter()
                    .filter_map(|c| clients.get(*c))
                    .map(|c| c.unavailable_ms)
                    .max()
                    .unwrap_or(0),
            };
            (master.clone(), outcome)
        })
        .collect()
}

/// The clients of master `master`, whose servers are `members`: those naming its service, and
/// plain clients connecting straight to one of its servers.
fn clients_of<'a>(s: &'a Scenario, master: &str, members: &BTreeSet<usize>) -> BTreeSet<&'a str> {
    s.clients
        .iter()
        .filter(|c| match &c.mode {
            ClientMode::Sentinel { service, .. } => service == master,
            ClientMode::Plain(addr) => members.iter().any(|&i| s.redis[i].addr == *addr),
        })
        .map(|c| c.name.as_str())
        .collect()
}

/// The operations of no master's clients (a client naming a service no sentinel monitors, a
/// plain client of a server in no group, redis-cli's commands): counted in the total only.
pub(crate) fn of_no_master(s: &Scenario, history: &[OpRecord]) -> Vec<OpRecord> {
    let assigned: BTreeSet<&str> =
        groups(s).iter().flat_map(|(master, members)| clients_of(s, master, members)).collect();
    history.iter().filter(|o| !assigned.contains(o.client.as_ref())).cloned().collect()
}

/// The writes of every master together, and `rest` (the writes of no master's clients).
pub(crate) fn total(masters: &BTreeMap<String, MasterOutcome>, rest: Writes) -> Writes {
    let mut t = rest;
    for w in masters.values().map(|m| &m.writes) {
        t.acked += w.acked;
        t.failed += w.failed;
        t.indeterminate += w.indeterminate;
        t.lost += w.lost;
        t.lost_keys.extend(w.lost_keys.iter().cloned());
    }
    t
}
