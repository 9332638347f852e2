//! `redsim export --format edn|jepsen-json`: the client history as Jepsen operations, in the shape
//! of Elle's rw-register workload, so `elle-cli --model rw-register` (or Elle's
//! `elle.rw-register/check`) can check it.
//!
//! Every SET is a transaction `[[:w k v]]` and every GET `[[:r k v]]`: an `:invoke` when the
//! application called, then `:ok` (a reply), `:fail` (an error reply, or never sent: not applied)
//! or `:info` (timed out or cut off: maybe applied). `:time` is virtual nanoseconds; `:process`
//! numbers each client, and a client whose operation ended `:info` continues as a new process,
//! as Jepsen does; every redis-cli command is its own process. Other commands are left out.
//!
//! The history ends with one read of every written key on the final master, `[[:r k v] ...]`,
//! so an acknowledged write that the final master does not hold shows as a read of `nil` after
//! its `:ok` (Elle reports it as a realtime anomaly under strict serializability). A key is read
//! when the record determines its final value: absent if it is a lost key or every write of it
//! was refused, else the value its acknowledged or maybe-applied writes all wrote. Keys whose
//! fate the record cannot tell (only indeterminate writes, or differing values) are left out
//! of the final read. With no final master there is no final read.

use crate::record::Record;
use model::observe::{Op, OpRecord, OpResult};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// An operation's `:type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// The call.
    Invoke,
    /// It happened.
    Ok,
    /// It did not happen.
    Fail,
    /// Unknown.
    Info,
}

/// A micro-operation: `[:w k v]` or `[:r k v]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mop {
    /// A write.
    Write(String, String),
    /// A read (`None`: nil, or not known yet at the invocation).
    Read(String, Option<String>),
}

/// One line of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Its `:type`.
    pub kind: Type,
    /// The micro-operations.
    pub value: Vec<Mop>,
    /// Jepsen's process number.
    pub process: u64,
    /// Virtual nanoseconds.
    pub time_ns: u64,
    /// Position in the history, from 0.
    pub index: usize,
    /// The server that answered (completions only).
    pub node: Option<String>,
    /// Why it failed or is unknown.
    pub error: Option<String>,
}

/// The register operation of a history entry, if it is one.
fn mops(op: &OpRecord, completed: bool) -> Option<Vec<Mop>> {
    if let Some((k, v)) = op.op.written() {
        return Some(vec![Mop::Write(k.to_string(), v.to_string())]);
    }
    let key = match &op.op {
        Op::Read { key } => &**key,
        Op::Command { argv } if argv.len() == 2 && argv[0].eq_ignore_ascii_case("get") => {
            argv[1].as_str()
        }
        _ => return None,
    };
    let value = match &op.result {
        OpResult::Ok { value } if completed => value.as_deref().map(String::from),
        _ => None,
    };
    Some(vec![Mop::Read(key.to_string(), value)])
}

/// The final value of every key the record can tell, in first-write order.
fn final_values(r: &Record) -> Vec<(String, Option<String>)> {
    let o = &r.outcome;
    let mut order: Vec<&str> = Vec::new();
    // key -> (values of writes that may have applied, any acknowledged)
    let mut seen: BTreeMap<&str, (Vec<&str>, bool)> = BTreeMap::new();
    for op in &o.history {
        let Some((k, v)) = op.op.written() else { continue };
        let e = seen.entry(k).or_insert_with(|| {
            order.push(k);
            (Vec::new(), false)
        });
        match op.result {
            OpResult::Ok { .. } => {
                e.0.push(v);
                e.1 = true;
            }
            OpResult::Timeout | OpResult::Lost { .. } => e.0.push(v),
            OpResult::Error { .. } => {}
        }
    }
    order
        .into_iter()
        .filter_map(|k| {
            let (values, acked) = &seen[k];
            let value = if o.writes.lost_keys.iter().any(|l| l == k) || values.is_empty() {
                None
            } else if *acked && values.iter().all(|v| v == &values[0]) {
                Some(values[0].to_string())
            } else {
                return None;
            };
            Some((k.to_string(), value))
        })
        .collect()
}

/// The history, in time order.
pub fn operations(r: &Record) -> Vec<Operation> {
    let mut next_process = 0u64;
    let mut process_of: BTreeMap<&str, u64> = BTreeMap::new();
    let mut out: Vec<Operation> = Vec::new();
    let op = |kind, value, process, time_us: u64| Operation {
        kind,
        value,
        process,
        time_ns: time_us.saturating_mul(1000),
        index: 0,
        node: None,
        error: None,
    };
    for rec in &r.outcome.history {
        let (Some(invoke), Some(done)) = (mops(rec, false), mops(rec, true)) else { continue };
        let cli = rec.client.starts_with("redis-cli@");
        let process = match process_of.get(&*rec.client) {
            Some(&p) if !cli => p,
            _ => {
                next_process += 1;
                process_of.insert(&rec.client, next_process - 1);
                next_process - 1
            }
        };
        let (kind, error) = match &rec.result {
            OpResult::Ok { .. } => (Type::Ok, None),
            OpResult::Error { error } => (Type::Fail, Some(error.clone())),
            OpResult::Timeout => (Type::Info, Some(super::timeline::reply_text(&rec.result))),
            OpResult::Lost { error } => (Type::Info, Some(error.clone())),
        };
        if kind == Type::Info {
            // Jepsen: a process whose operation may still be running never invokes again.
            process_of.remove(&*rec.client);
        }
        out.push(op(Type::Invoke, invoke, process, rec.invoked_us));
        let mut completion = op(kind, done, process, rec.completed_us);
        completion.node = rec.node.as_deref().map(str::to_string);
        completion.error = error;
        out.push(completion);
    }
    // Stable: an operation's completion stays after its invocation, and before the same
    // process's next invocation at the same instant.
    out.sort_by_key(|o| o.time_ns);
    if r.outcome.final_master.is_some() {
        let finals = final_values(r);
        if !finals.is_empty() {
            let end = r.scenario.duration.as_micros();
            let reads = |with: bool| {
                finals
                    .iter()
                    .map(|(k, v)| Mop::Read(k.clone(), if with { v.clone() } else { None }))
                    .collect()
            };
            out.push(op(Type::Invoke, reads(false), next_process, end));
            let mut done = op(Type::Ok, reads(true), next_process, end);
            done.node = r.outcome.final_master.clone();
            out.push(done);
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        o.index = i;
    }
    out
}

/// An EDN string literal.
fn edn_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn type_name(t: Type) -> &'static str {
    match t {
        Type::Invoke => "invoke",
        Type::Ok => "ok",
        Type::Fail => "fail",
        Type::Info => "info",
    }
}

/// The history as EDN: one operation map per line, as Jepsen's `history.edn`.
pub fn edn(r: &Record) -> String {
    let mut s = String::new();
    for o in operations(r) {
        let value: Vec<String> = o
            .value
            .iter()
            .map(|m| match m {
                Mop::Write(k, v) => format!("[:w {} {}]", edn_str(k), edn_str(v)),
                Mop::Read(k, v) => {
                    format!("[:r {} {}]", edn_str(k), v.as_deref().map_or("nil".into(), edn_str))
                }
            })
            .collect();
        let _ = write!(
            s,
            "{{:type :{}, :f :txn, :value [{}], :process {}, :time {}, :index {}",
            type_name(o.kind),
            value.join(" "),
            o.process,
            o.time_ns,
            o.index
        );
        if let Some(n) = &o.node {
            let _ = write!(s, ", :node {}", edn_str(n));
        }
        if let Some(e) = &o.error {
            let _ = write!(s, ", :error {}", edn_str(e));
        }
        s.push_str("}\n");
    }
    s
}

/// One operation as elle-cli's JSON reads it.
#[derive(Serialize)]
struct JsonOp<'a> {
    #[serde(rename = "type")]
    kind: Type,
    f: &'static str,
    value: Vec<(&'static str, &'a str, Option<&'a str>)>,
    process: u64,
    time: u64,
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The history as JSON: an array of operation objects, one per line.
pub fn json(r: &Record) -> String {
    let ops = operations(r);
    let lines: Vec<String> = ops
        .iter()
        .map(|o| {
            let value = o
                .value
                .iter()
                .map(|m| match m {
                    Mop::Write(k, v) => ("w", k.as_str(), Some(v.as_str())),
                    Mop::Read(k, v) => ("r", k.as_str(), v.as_deref()),
                })
                .collect();
            let j = JsonOp {
                kind: o.kind,
                f: "txn",
                value,
                process: o.process,
                time: o.time_ns,
                index: o.index,
                node: o.node.as_deref(),
                error: o.error.as_deref(),
            };
            serde_json::to_string(&j).expect("an operation serialises")
        })
        .collect();
    format!("[{}]\n", lines.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edn_strings_escape_what_edn_requires() {
        assert_eq!(edn_str("plain"), "\"plain\"");
        assert_eq!(edn_str("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
    }
}
