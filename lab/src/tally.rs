//! What a finished run counts, for the whole deployment and for each master of a sentinel group
//! (`check` and `masters` both use it): writes by their fate, the final master, split brain.

use crate::outcome::Writes;
use crate::run::{Deployment, Life};
use crate::scenario::Role;
use model::observe::{Note, OpRecord, OpResult, ReplNote};
use sim::{Instant, ProcessId};
use std::collections::{BTreeMap, BTreeSet};

/// The writes of `history` counted by their fate; `present(key)` says whether an acknowledged
/// write's key survived (on the final master, or on some live node when there is none).
pub fn count_writes(history: &[OpRecord], present: impl Fn(&str) -> bool) -> Writes {
    let mut writes = Writes::default();
    // Lost keys in the order first seen; the set only answers "seen already?".
    let mut lost_seen: BTreeSet<&str> = BTreeSet::new();
    for op in history {
        let Some((key, _)) = op.op.written() else { continue };
        match &op.result {
            OpResult::Ok { .. } => {
                writes.acked += 1;
                if !present(key) && lost_seen.insert(key) {
                    writes.lost_keys.push(key.to_string());
                }
            }
            OpResult::Error { .. } => writes.failed += 1,
            OpResult::Timeout | OpResult::Lost { .. } => writes.indeterminate += 1,
        }
    }
    writes.lost = writes.lost_keys.len() as u64;
    writes
}

/// "The node that most sentinels name as master at the end (ties: the highest config epoch); with
/// no sentinels, the only node whose role is master." `views` holds each sentinel's
/// (master address, config epoch), for those that name one.
pub fn most_named(
    sentinels: usize,
    views: impl IntoIterator<Item = (String, u64)>,
    roles: &BTreeMap<String, Role>,
) -> Option<String> {
    if sentinels == 0 {
        let masters: Vec<&String> =
            roles.iter().filter(|(_, r)| **r == Role::Master).map(|(n, _)| n).collect();
        return (masters.len() == 1).then(|| masters[0].clone());
    }
    let mut votes: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for (addr, config_epoch) in views {
        let e = votes.entry(addr).or_insert((0, 0));
        e.0 += 1;
        e.1 = e.1.max(config_epoch);
    }
    votes
        .into_iter()
        .max_by_key(|(addr, (n, epoch))| (*n, *epoch, std::cmp::Reverse(addr.clone())))
        .map(|(a, _)| a)
}

/// The final master of the master named `name` (`None`: the sentinels' only one); `roles` are
/// the servers of that master's group.
pub(crate) fn final_master(
    d: &Deployment,
    roles: &BTreeMap<String, Role>,
    name: Option<&str>,
) -> Option<String> {
    let views = d.sentinels.iter().filter_map(|&pid| {
        let s = d.world.actor(pid).as_sentinel()?;
        let v = match name {
            Some(n) => s.master_view_of(n),
            None => s.master_view(),
        };
        v.map(|v| (v.addr, v.config_epoch))
    });
    most_named(d.sentinels.len(), views, roles)
}

/// Total time during which two or more servers of `redis` were up, masters, and accepting writes.
pub(crate) fn split_brain(d: &Deployment, redis: &BTreeSet<ProcessId>, end: Instant) -> u64 {
    let w = &d.world;
    // (time, pid, change): notes say whether the server would accept a write; the runner's
    // lifecycle says whether it was running at all.
    #[derive(Clone, Copy)]
    enum Change {
        Writable(bool),
        Life(Life),
    }
    let mut changes: Vec<(Instant, usize, ProcessId, Change)> = Vec::new();
    for (i, n) in w.notes().iter().enumerate() {
        if let Note::Repl(ReplNote::Writable { writable }) = n.note {
            changes.push((n.at, i, n.pid, Change::Writable(writable)));
        }
    }
    for (i, &(t, pid, life)) in d.lifecycle.iter().enumerate() {
        // At equal times a lifecycle change applies before the notes its restart produces.
        changes.push((t, usize::MAX - d.lifecycle.len() + i, pid, Change::Life(life)));
    }
    changes.sort_by_key(|c| (c.0, if matches!(c.3, Change::Life(_)) { 0 } else { 1 }, c.1));
    let mut state: BTreeMap<ProcessId, (bool, bool, bool)> = BTreeMap::new(); // (alive, running, writable)
    let count = |s: &BTreeMap<ProcessId, (bool, bool, bool)>| {
        s.values().filter(|(a, r, wr)| *a && *r && *wr).count()
    };
    let mut total = 0u64;
    let mut last = Instant::ZERO;
    for (t, _, pid, change) in changes {
        if !redis.contains(&pid) || t > end {
            continue;
        }
        if count(&state) >= 2 {
            total += (t - last).as_micros();
        }
        last = t;
        let e = state.entry(pid).or_insert((false, true, false));
        match change {
            Change::Writable(v) => e.2 = v,
            Change::Life(Life::Up) => *e = (true, true, false),
            Change::Life(Life::Down) => *e = (false, true, false),
            Change::Life(Life::Paused) => e.1 = false,
            Change::Life(Life::Resumed) => e.1 = true,
        }
    }
    if count(&state) >= 2 {
        total += (end - last).as_micros();
    }
    total / 1000
}
