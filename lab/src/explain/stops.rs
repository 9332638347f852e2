//! What a stop (SIGSTOP) of a Redis server did to the writes sent to it: acknowledged only when
//! it continued (the application waited although nothing failed), timed out (indeterminate: the
//! command may still be applied when the server reads its socket again), and what of them is lost.

use super::t;
use crate::availability::SERVED_WITHIN_US;
use crate::record::{Change, ProcKind, Record};
use model::observe::{OpRecord, OpResult};

/// One stop of a Redis server and the writes sent to it while it was stopped.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stop {
    /// The server.
    pub process: String,
    /// When it was stopped (virtual ms).
    pub from_ms: u64,
    /// When it continued (`None`: stopped until the end).
    pub to_ms: Option<u64>,
    /// Writes sent to it meanwhile and acknowledged more than 1 s later.
    pub acknowledged_late: u64,
    /// Of those, the ones lost.
    pub lost: u64,
    /// Writes sent to it meanwhile that timed out or were cut off.
    pub timed_out: u64,
    /// The story, as the text prints it.
    #[serde(skip)]
    pub lines: Vec<String>,
}

/// Every stop of any process: (from µs, to µs if it continued, pid), in time order.
pub(super) fn intervals(r: &Record) -> Vec<(u64, Option<u64>, usize)> {
    let mut out: Vec<(u64, Option<u64>, usize)> = Vec::new();
    for k in &r.kernel {
        match k.change {
            Change::Pause { pid } => out.push((k.at.as_micros(), None, pid)),
            Change::Resume { pid } => {
                if let Some(open) = out.iter_mut().rev().find(|x| x.2 == pid && x.1.is_none()) {
                    open.1 = Some(k.at.as_micros());
                }
            }
            _ => {}
        }
    }
    out
}

/// The stops of Redis servers, with the fate of the writes sent to them meanwhile.
pub(super) fn stops(r: &Record) -> Vec<Stop> {
    let o = &r.outcome;
    let lost = |op: &OpRecord| {
        op.op.written().is_some_and(|(k, _)| o.writes.lost_keys.iter().any(|l| l == k))
    };
    let mut out = Vec::new();
    for (from, to, pid) in intervals(r) {
        if r.processes[pid].kind != ProcKind::Redis {
            continue;
        }
        let name = r.name(pid);
        let until = to.unwrap_or(u64::MAX);
        let sent: Vec<&OpRecord> = o
            .history
            .iter()
            .filter(|op| op.node.as_deref() == Some(name) && op.op.written().is_some())
            .filter(|op| (from..until).contains(&op.invoked_us))
            .collect();
        let late: Vec<&&OpRecord> = sent
            .iter()
            .filter(|op| matches!(op.result, OpResult::Ok { .. }))
            .filter(|op| op.completed_us - op.invoked_us > SERVED_WITHIN_US)
            .collect();
        let late_lost = late.iter().filter(|op| lost(op)).count() as u64;
        let timed_out = sent.iter().filter(|op| op.result.indeterminate()).count() as u64;
        let mut lines = vec![match to {
            Some(to) => format!(
                "  {name} was stopped from {} to {}: it read nothing meanwhile, and answered what had queued up in its sockets when it continued.",
                t(from),
                t(to)
            ),
            None => format!("  {name} was stopped at {} and never continued.", t(from)),
        }];
        if let Some(slowest) = late.iter().map(|op| op.completed_us - op.invoked_us).max() {
            lines.push(format!(
                "  {} write(s) sent to it meanwhile were acknowledged only then (the slowest after {}): the application waited, though nothing failed.",
                late.len(),
                t(slowest)
            ));
        }
        if late_lost > 0 {
            let last = late.iter().map(|op| op.completed_us).max().unwrap_or(from);
            lines.push(format!(
                "  {late_lost} of them are lost although acknowledged: {}.",
                r.discarded_by(name, last)
            ));
        }
        if timed_out > 0 {
            let fate = if o.final_master.as_deref() == Some(name) {
                format!(
                    "{name} is the final master, so what it applied is kept, although the client saw it fail"
                )
            } else {
                format!("what it applied is gone: {}", r.discarded_by(name, to.unwrap_or(from)))
            };
            lines.push(format!(
                "  {timed_out} write(s) sent to it meanwhile timed out: indeterminate, the client cannot know they were applied. They were still in {name}'s socket buffer; if it applied them when it continued, {fate}."
            ));
        }
        out.push(Stop {
            process: name.to_string(),
            from_ms: from / 1000,
            to_ms: to.map(|x| x / 1000),
            acknowledged_late: late.len() as u64,
            lost: late_lost,
            timed_out,
            lines,
        });
    }
    out
}
