//! Why each sentinel event happened: the numbers a sentinel noted at that instant (silence against
//! `down-after-milliseconds`, who agreed for ODOWN, the votes, the replicas weighed), in words.

use super::Entry;
use crate::record::Record;
use model::observe::{Note, Why};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The `Why` noted by the same process at the same instant as `e`, if any.
fn why_for<'a>(r: &'a Record, e: &Entry, pick: impl Fn(&Why) -> bool) -> Option<&'a Why> {
    r.entries.iter().filter(|x| x.pid == e.pid && x.at == e.at).find_map(|x| match &x.note {
        Note::Why(w) if pick(w) => Some(w),
        _ => None,
    })
}

pub(super) fn sentinel_ids(r: &Record) -> BTreeMap<String, String> {
    r.entries
        .iter()
        .filter_map(|e| match &e.note {
            Note::Why(Why::Identity { run_id }) => {
                Some((run_id.clone(), r.name(e.pid).to_string()))
            }
            _ => None,
        })
        .collect()
}

/// True when the sentinel of `e` has its master SDOWN at that moment (its last `+sdown master` /
/// `-sdown master` up to then was a `+sdown`).
fn sees_master_down(r: &Record, e: &Entry) -> bool {
    r.entries
        .iter()
        .take_while(|x| x.at <= e.at)
        .filter(|x| x.pid == e.pid)
        .filter_map(|x| match &x.note {
            Note::Log { event: Some(ev), text, .. } if text.starts_with("master ") => {
                match ev.as_str() {
                    "+sdown" => Some(true),
                    "-sdown" | "+switch-master" => Some(false),
                    _ => None,
                }
            }
            Note::Log { event: Some(ev), .. } if ev == "+switch-master" => Some(false),
            _ => None,
        })
        .last()
        .unwrap_or(false)
}

/// Why a sentinel left ODOWN: its own SDOWN ended in the same tick (the master answers again), or
/// too few others still report the master down, which is what happens when they have already
/// switched to a new master and no longer know the old address.
fn odown_ended(r: &Record, e: &Entry) -> String {
    let same_tick_sdown_end = r.entries.iter().any(|x| {
        x.pid == e.pid
            && x.at == e.at
            && matches!(&x.note, Note::Log { event: Some(ev), text, .. } if ev == "-sdown" && text.starts_with("master "))
    });
    let others_switched = r.entries.iter().any(|x| {
        x.pid != e.pid
            && x.at <= e.at
            && matches!(&x.note, Note::Log { event: Some(ev), .. } if ev == "+switch-master")
    });
    if same_tick_sdown_end {
        "its own SDOWN ended: the master answers again".to_string()
    } else if others_switched {
        "fewer than the quorum report the master down now (sentinels that switched no longer know the old address, and answer 0)".to_string()
    } else {
        "fewer than the quorum report the master down now (the others' answers changed or are more than 5 s old)".to_string()
    }
}

/// Why a sentinel event happened, in words.
pub(super) fn reason(
    r: &Record,
    e: &Entry,
    event: &str,
    text: &str,
    ids: &BTreeMap<String, String>,
) -> Option<String> {
    let who = |id: &str| ids.get(id).cloned().unwrap_or_else(|| id.chars().take(8).collect());
    Some(match event {
        "+sdown" => match why_for(r, e, |w| matches!(w, Why::Sdown { .. }))? {
            Why::Sdown { silent_ms, down_after_ms, cause, .. } if cause == "no valid reply" => {
                format!("no valid reply for {silent_ms} ms, more than down-after-milliseconds ({down_after_ms})")
            }
            Why::Sdown { cause, .. } => cause.clone(),
            _ => return None,
        },
        "-sdown" => "it answers again".to_string(),
        "+odown" => match why_for(r, e, |w| matches!(w, Why::Odown { .. }))? {
            Why::Odown { agreeing, quorum, .. } => {
                format!("{} of quorum {quorum} report the master down: {}", agreeing.len(), agreeing.join(", "))
            }
            _ => return None,
        },
        "-odown" => odown_ended(r, e),
        "+try-failover" => "it reached ODOWN first: it starts an attempt in a new epoch and asks every sentinel for its vote".to_string(),
        "+vote-for-leader" => {
            let mut it = text.split_whitespace();
            let (id, epoch) = (it.next()?, it.next()?);
            if ids.get(id).map(String::as_str) == Some(r.name(e.pid)) {
                format!("it votes for itself in epoch {epoch}")
            } else if sees_master_down(r, e) {
                format!("its vote in epoch {epoch} goes to the first sentinel that asked, {}", who(id))
            } else {
                format!(
                    "its vote in epoch {epoch} goes to the first sentinel that asked, {}, although it does not see the master down itself: a vote does not depend on the voter's view",
                    who(id)
                )
            }
        }
        "+elected-leader" | "-failover-abort-not-elected" => match why_for(r, e, |w| matches!(w, Why::Votes { .. }))? {
            Why::Votes { epoch, votes, needed, sentinels, .. } => {
                let list: Vec<String> = votes.iter().map(|(voter, v)| format!("{voter} -> {}", who(v))).collect();
                let mine = votes.iter().filter(|(_, v)| ids.get(v).map(String::as_str) == Some(r.name(e.pid))).count();
                format!("{mine} of {sentinels} sentinels voted for it in epoch {epoch} ({}); it needs {needed}", list.join(", "))
            }
            _ => return None,
        },
        "+selected-slave" | "-failover-abort-no-good-slave" => match why_for(r, e, |w| matches!(w, Why::Selection { .. }))? {
            Why::Selection { candidates, .. } => {
                let mut s = "replicas weighed (lower priority first, then higher offset, then smaller run id):".to_string();
                for c in candidates {
                    let id: String = c.run_id.chars().take(8).collect();
                    match &c.excluded {
                        None => {
                            let _ = write!(s, "\n             {} priority {} offset {} run id {id}", c.name, c.priority, c.offset);
                        }
                        Some(why) => {
                            let _ = write!(s, "\n             {} excluded: {why}", c.name);
                        }
                    }
                }
                s
            }
            _ => return None,
        },
        "+failover-state-wait-promotion" => {
            "sent MULTI, SLAVEOF NO ONE, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC".to_string()
        }
        "+promoted-slave" => "its INFO now says role:master; the new configuration gets this failover's epoch".to_string(),
        "+config-update-from" => "a hello carried a higher config epoch than its own".to_string(),
        "+switch-master" => "its table now names the new master; the old one becomes a replica entry".to_string(),
        "+convert-to-slave" | "+fix-slave-config" => match why_for(r, e, |w| matches!(w, Why::Reconfigured { .. }))? {
            Why::Reconfigured { master, reported_role_for_ms, .. } if event == "+convert-to-slave" => format!(
                "it has reported role:master for {reported_role_for_ms} ms (> 8000) while {master} is the sane master: SLAVEOF {master}, and CLIENT KILL closes its clients' connections"
            ),
            Why::Reconfigured { master, reported_role_for_ms, .. } => format!(
                "it replicates from another address, unchanged for {reported_role_for_ms} ms (> failover-timeout): SLAVEOF {master}"
            ),
            _ => return None,
        },
        "+tilt" => match why_for(r, e, |w| matches!(w, Why::Tilt { .. }))? {
            Why::Tilt { delta_ms } => format!("its clock moved {delta_ms} ms between two timer runs (normal: 52-100): for 30 s it acts on nothing"),
            _ => return None,
        },
        "-tilt" => "30 s after the last trigger".to_string(),
        "+failover-end" => "every other replica is reconfigured (or down)".to_string(),
        _ => return None,
    })
}

/// Events that only add noise to a narrative (discovery, config saving).
pub(super) fn noisy(event: &str) -> bool {
    matches!(
        event,
        "+monitor"
            | "+slave"
            | "+sentinel"
            | "+failover-state-select-slave"
            | "+failover-state-reconf-slaves"
    )
}
