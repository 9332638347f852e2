//! Real outcomes against simulated ones: one [`Row`] per outcome field and per core sentinel
//! event, holding the value of every real run, the simulated range over seeds, and a [`Verdict`].
//!
//! Rows, in order: `promotions`, `promoted`, `final_master`, `final_roles.<node>`, `writes.acked`,
//! `writes.failed`, `writes.indeterminate`, `writes.lost`, `lost_keys.<key>` (keys that are not
//! workload keys, lost in some run), `split_brain_ms`, `unavailable_ms`, then per client
//! `clients.<name>.unavailable_ms` and `clients.<name>.latency_ms.{p50,p99,max}`,
//! `expectations.failed` (the `[expect]` properties that failed, `[]` when all hold), then one
//! `event <token> [<subject>]` row per core event (see [`CORE_EVENTS`]) seen in any run. The
//! number of promotions is compared exactly: one failover more or less is a different story.

use lab::outcome::{Latency, Outcome, SentinelEvent, Writes};
use lab::scenario::Invariant;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The sentinel events compared, in row order: failure detection, the failover's steps, its
/// endings and aborts, the reconfiguration of the others, TILT and reboots.
///
/// Left out as startup or gossip noise: `+monitor`, `+slave`, `+sentinel`, `+new-epoch`,
/// `+vote-for-leader`, `+config-update-from`, `+sentinel-address-switch`, `+sentinel-invalid-addr`,
/// `+reset-master`, `+slave-reconf-sent-be`; `±role-change`, which the default `loglevel
/// notice` does not write; and `-odown`, a race on real Sentinel: the leader logs it only when an
/// `is-master-down-by-addr` reply clearing another sentinel's vote arrives before the failover
/// ends and resets the master, which in a 1 s ask period goes either way (a real blog-partition
/// run had none where 20 simulated seeds all had it; README, "Conformance").
///
/// An event's row is `event <token>`, followed by the first word of its detail when that word
/// names the instance's kind (`master`, `slave`, `sentinel`) and the token does not already name it:
/// `event +sdown slave`, `event +odown master`, but `event +promoted-slave`, `event +switch-master`.
/// Its value in a run is the time of its first occurrence on any sentinel, `null` when absent.
pub const CORE_EVENTS: [&str; 26] = [
    "+sdown",
    "-sdown",
    "+odown",
    "+try-failover",
    "+elected-leader",
    "+failover-state-select-slave",
    "+selected-slave",
    "+failover-state-send-slaveof-noone",
    "+failover-state-wait-promotion",
    "+promoted-slave",
    "+failover-state-reconf-slaves",
    "+slave-reconf-sent",
    "+slave-reconf-inprog",
    "+slave-reconf-done",
    "-slave-reconf-sent-timeout",
    "+failover-end",
    "+failover-end-for-timeout",
    "+switch-master",
    "-failover-abort-no-good-slave",
    "-failover-abort-not-elected",
    "-failover-abort-slave-timeout",
    "+convert-to-slave",
    "+fix-slave-config",
    "+tilt",
    "-tilt",
    "+reboot",
];

/// The instance kinds an event's detail may start with.
const SUBJECTS: [&str; 3] = ["master", "slave", "sentinel"];

/// The widest the real or simulated column of the table gets, in characters.
const MAX_CELL: usize = 48;

/// How far outside the simulated range a real value may lie and still be within spread.
///
/// For simulated values spanning `[min, max]` the tolerance is `max(absolute, frac × the larger
/// magnitude of min and max)` (the values are unsigned, so that is `max`): `time_ms` and
/// `time_frac` for times (`*_ms` fields and events), `count` and `count_frac` for counts. A real
/// value is within spread when it lies in `[min − tol, max + tol]`. The default is max(250 ms,
/// 10 %) for times and max(5, 5 %) for counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// The absolute tolerance for times, in ms.
    pub time_ms: u64,
    /// The relative tolerance for times, as a fraction (0.1 is 10 %).
    pub time_frac: f64,
    /// The absolute tolerance for counts.
    pub count: u64,
    /// The relative tolerance for counts, as a fraction (0.05 is 5 %).
    pub count_frac: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { time_ms: 250, time_frac: 0.10, count: 5, count_frac: 0.05 }
    }
}

impl Tolerance {
    /// The tolerance around simulated values of `kind` whose largest is `max`.
    fn around(&self, kind: Kind, max: u64) -> f64 {
        let (absolute, frac) = match kind {
            Kind::Time => (self.time_ms, self.time_frac),
            Kind::Count => (self.count, self.count_frac),
            Kind::Exact => (0, 0.0),
        };
        (absolute as f64).max(frac * max as f64)
    }
}

/// How a field's real values compare with its simulated ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every real and every simulated value is one identical value.
    #[serde(rename = "same")]
    Same,
    /// Every real value is among the simulated ones (categorical), inside the tolerance around
    /// their range (numeric), or absent where some simulated run has it absent too.
    #[serde(rename = "within spread")]
    WithinSpread,
    /// Some real value is none of those.
    #[serde(rename = "differs")]
    Differs,
}

impl Verdict {
    /// The verdict as the table and the JSON print it: `same`, `within spread`, `differs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::WithinSpread => "within spread",
            Verdict::Differs => "differs",
        }
    }
}

/// One compared field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Its name: `writes.acked`, `final_roles.n1`, `event +sdown master`.
    pub field: String,
    /// One value per real run, in run order (`null` when absent).
    pub real: Value,
    /// Numeric fields: `{"min": a, "max": b}` over the simulated runs where the value is present
    /// (`null` bounds when none), plus `"absent": n` when it is absent in n > 0 of them.
    /// Categorical fields: the distinct simulated values, sorted by their JSON text.
    pub simulated: Value,
    /// The verdict.
    pub verdict: Verdict,
}

/// Real and simulated outcomes of one scenario and their rows: what `redsim conform --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The outcomes of the runs on real processes.
    pub real: Vec<Outcome>,
    /// The outcomes of the simulated runs, one per seed.
    pub simulated: Vec<Outcome>,
    /// The compared fields (see [`rows`]).
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Compares `real` with `simulated` under `tol`.
    pub fn new(real: Vec<Outcome>, simulated: Vec<Outcome>, tol: &Tolerance) -> Comparison {
        let rows = rows(&real, &simulated, tol);
        Comparison { real, simulated, rows }
    }

    /// True when some row differs (`redsim conform` exits 1).
    pub fn differs(&self) -> bool {
        self.rows.iter().any(|r| r.verdict == Verdict::Differs)
    }

    /// How many rows have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// The rows as an aligned plain-text table (field, real, simulated, verdict; times in seconds),
    /// then `N same, M within spread, K differ`.
    pub fn table(&self) -> String {
        let header = ["field", "real", "simulated", "verdict"].map(String::from);
        let lines: Vec<[String; 4]> =
            std::iter::once(header).chain(self.rows.iter().map(cells)).collect();
        let width = |c: usize| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0);
        let widths = [width(0), width(1), width(2)];
        let mut out = String::new();
        for [field, real, simulated, verdict] in &lines {
            let line = format!(
                "{field:<w0$}  {real:<w1$}  {simulated:<w2$}  {verdict}",
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str(&format!(
            "{} same, {} within spread, {} differ\n",
            self.count(Verdict::Same),
            self.count(Verdict::WithinSpread),
            self.count(Verdict::Differs)
        ));
        out
    }
}

/// What a numeric field measures, which picks its tolerance.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A number of things that must match exactly (failovers: one more is a different story).
    Exact,
    /// A number of things.
    Count,
    /// A time in ms.
    Time,
}

/// The two sides compared.
struct Runs<'a> {
    real: &'a [Outcome],
    simulated: &'a [Outcome],
}

impl<'a> Runs<'a> {
    /// Every outcome, real first.
    fn all(&self) -> impl Iterator<Item = &'a Outcome> + use<'a> {
        self.real.iter().chain(self.simulated)
    }

    /// `get` of every real and every simulated outcome.
    fn map<T>(&self, get: impl Fn(&Outcome) -> T) -> (Vec<T>, Vec<T>) {
        (self.real.iter().map(&get).collect(), self.simulated.iter().map(&get).collect())
    }
}

/// The rows comparing `real` with `simulated`, in the order the module documentation lists.
pub fn rows(real: &[Outcome], simulated: &[Outcome], tol: &Tolerance) -> Vec<Row> {
    let runs = Runs { real, simulated };
    let promotions = runs.map(|o| Some(o.promotions.len() as u64));
    let mut rows = vec![
        numeric("promotions".into(), Kind::Exact, tol, promotions),
        categorical("promoted".into(), runs.map(|o| json!(promoted(o)))),
        categorical("final_master".into(), runs.map(|o| json!(o.final_master))),
    ];
    rows.extend(role_rows(&runs));
    rows.extend(write_rows(&runs, tol));
    rows.extend(lost_key_rows(&runs));
    rows.push(numeric(
        "split_brain_ms".into(),
        Kind::Time,
        tol,
        runs.map(|o| Some(o.split_brain_ms)),
    ));
    rows.push(numeric(
        "unavailable_ms".into(),
        Kind::Time,
        tol,
        runs.map(|o| Some(o.unavailable_ms)),
    ));
    rows.extend(client_rows(&runs, tol));
    rows.push(categorical("expectations.failed".into(), runs.map(|o| json!(failed(o)))));
    rows.extend(event_rows(&runs, tol));
    rows
}

/// The properties of the scenario's `[expect]` that failed (`get`, `lost-writes`, ...), each once;
/// the invariants (and `violates`) need a simulated deployment, so a real run never checks them
/// and they are left out on both sides.
fn failed(o: &Outcome) -> BTreeSet<&str> {
    let invariant = |p: &str| p == "violates" || Invariant::ALL.iter().any(|i| i.name() == p);
    o.expectations
        .failures
        .iter()
        .map(|f| lab::expectations::property(f))
        .filter(|p| !invariant(p))
        .collect()
}

/// The promoted nodes, in order.
fn promoted(o: &Outcome) -> Vec<&str> {
    o.promotions.iter().map(|p| p.node.as_str()).collect()
}

/// `final_roles.<node>` for every node of any run (`null` where a run lacks it).
fn role_rows(runs: &Runs<'_>) -> Vec<Row> {
    let nodes: BTreeSet<&str> =
        runs.all().flat_map(|o| o.final_roles.keys()).map(String::as_str).collect();
    let row = |node: &str| {
        categorical(format!("final_roles.{node}"), runs.map(|o| json!(o.final_roles.get(node))))
    };
    nodes.into_iter().map(row).collect()
}

/// A named count or time of a `T`.
type Getter<T> = (&'static str, fn(&T) -> u64);

/// `writes.acked`, `writes.failed`, `writes.indeterminate`, `writes.lost`.
fn write_rows(runs: &Runs<'_>, tol: &Tolerance) -> Vec<Row> {
    let fields: [Getter<Writes>; 4] = [
        ("acked", |w| w.acked),
        ("failed", |w| w.failed),
        ("indeterminate", |w| w.indeterminate),
        ("lost", |w| w.lost),
    ];
    let row = |(name, get): Getter<Writes>| {
        numeric(format!("writes.{name}"), Kind::Count, tol, runs.map(|o| Some(get(&o.writes))))
    };
    fields.into_iter().map(row).collect()
}

/// `lost_keys.<key>`, true when lost, for each key lost in some run that no workload client wrote.
fn lost_key_rows(runs: &Runs<'_>) -> Vec<Row> {
    let clients: BTreeSet<&str> =
        runs.all().flat_map(|o| o.clients.keys()).map(String::as_str).collect();
    let keys: BTreeSet<&str> = runs
        .all()
        .flat_map(|o| &o.writes.lost_keys)
        .map(String::as_str)
        .filter(|k| !is_workload_key(k, &clients))
        .collect();
    let row = |key: &str| {
        let lost = runs.map(|o| json!(o.writes.lost_keys.iter().any(|l| l == key)));
        categorical(format!("lost_keys.{key}"), lost)
    };
    keys.into_iter().map(row).collect()
}

/// A key a workload client writes: `<client name>:<digits>`.
fn is_workload_key(key: &str, clients: &BTreeSet<&str>) -> bool {
    key.rsplit_once(':').is_some_and(|(name, n)| {
        clients.contains(name) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Per client of any run: `unavailable_ms` and `latency_ms.{p50,p99,max}` (`null` where a run
/// lacks the client, or had no acknowledged write for the latencies).
fn client_rows(runs: &Runs<'_>, tol: &Tolerance) -> Vec<Row> {
    let names: BTreeSet<&str> =
        runs.all().flat_map(|o| o.clients.keys()).map(String::as_str).collect();
    let mut rows = Vec::new();
    for name in names {
        let unavailable = runs.map(|o| o.clients.get(name).map(|c| c.unavailable_ms));
        rows.push(numeric(format!("clients.{name}.unavailable_ms"), Kind::Time, tol, unavailable));
        let percentiles: [Getter<Latency>; 3] =
            [("p50", |l| l.p50), ("p99", |l| l.p99), ("max", |l| l.max)];
        for (p, get) in percentiles {
            let values =
                runs.map(|o| o.clients.get(name).and_then(|c| c.latency_ms.as_ref()).map(get));
            rows.push(numeric(format!("clients.{name}.latency_ms.{p}"), Kind::Time, tol, values));
        }
    }
    rows
}

/// One row per core event seen in any run: the time of its first occurrence.
fn event_rows(runs: &Runs<'_>, tol: &Tolerance) -> Vec<Row> {
    let (real, simulated) = runs.map(first_events);
    let labels: BTreeSet<&(usize, String)> =
        real.iter().chain(&simulated).flat_map(|m| m.keys()).collect();
    let at = |firsts: &[BTreeMap<(usize, String), u64>], label: &(usize, String)| {
        firsts.iter().map(|m| m.get(label).copied()).collect::<Vec<_>>()
    };
    let row = |label: &(usize, String)| {
        numeric(label.1.clone(), Kind::Time, tol, (at(&real, label), at(&simulated, label)))
    };
    labels.into_iter().map(row).collect()
}

/// The first time of each core event of `o`, keyed by its place in [`CORE_EVENTS`] and its label.
fn first_events(o: &Outcome) -> BTreeMap<(usize, String), u64> {
    let mut first = BTreeMap::new();
    for e in &o.sentinel_events {
        if let Some(key) = event_label(e) {
            let at = first.entry(key).or_insert(e.at_ms);
            *at = (*at).min(e.at_ms);
        }
    }
    first
}

/// `e`'s place in [`CORE_EVENTS`] and its row label, or `None` when it is not a core event.
fn event_label(e: &SentinelEvent) -> Option<(usize, String)> {
    let place = CORE_EVENTS.iter().position(|&c| c == e.event)?;
    let word = e.detail.split_whitespace().next().unwrap_or("");
    let named = e.event[1..].split('-').any(|part| part == word);
    let label = if SUBJECTS.contains(&word) && !named {
        format!("event {} {word}", e.event)
    } else {
        format!("event {}", e.event)
    };
    Some((place, label))
}

/// A numeric row from the real and the simulated values.
fn numeric(
    field: String,
    kind: Kind,
    tol: &Tolerance,
    (real, simulated): (Vec<Option<u64>>, Vec<Option<u64>>),
) -> Row {
    let verdict = numeric_verdict(&real, &simulated, |max| tol.around(kind, max));
    Row { field, real: json!(real), simulated: range(&simulated), verdict }
}

/// `{"min", "max"}` of the present values, with `"absent"` when some are absent.
fn range(values: &[Option<u64>]) -> Value {
    let present = values.iter().flatten();
    let mut out = json!({"min": present.clone().min(), "max": present.clone().max()});
    let absent = values.len() - present.count();
    if absent > 0 {
        out["absent"] = json!(absent);
    }
    out
}

/// Same when all values are one; within spread when each real value lies within `tol(max)` of the
/// present simulated range, or is absent where some simulated value is absent too.
fn numeric_verdict(
    real: &[Option<u64>],
    simulated: &[Option<u64>],
    tol: impl Fn(u64) -> f64,
) -> Verdict {
    if all_one(real, simulated) {
        return Verdict::Same;
    }
    let present = simulated.iter().flatten();
    let bounds = present.clone().min().zip(present.clone().max());
    let some_absent = simulated.iter().any(Option::is_none);
    let fits = |r: &Option<u64>| match (r, bounds) {
        (None, _) => some_absent,
        (Some(v), Some((&lo, &hi))) => {
            let (v, t) = (*v as f64, tol(hi));
            lo as f64 - t <= v && v <= hi as f64 + t
        }
        (Some(_), None) => false,
    };
    if real.iter().all(fits) { Verdict::WithinSpread } else { Verdict::Differs }
}

/// A categorical row: same when all values are one, within spread when every real value is among
/// the simulated ones.
fn categorical(field: String, (real, simulated): (Vec<Value>, Vec<Value>)) -> Row {
    let verdict = if all_one(&real, &simulated) {
        Verdict::Same
    } else if real.iter().all(|r| simulated.contains(r)) {
        Verdict::WithinSpread
    } else {
        Verdict::Differs
    };
    let distinct: BTreeMap<String, Value> =
        simulated.into_iter().map(|v| (v.to_string(), v)).collect();
    Row { field, real: Value::Array(real), simulated: distinct.into_values().collect(), verdict }
}

/// True when every value of both sides is the same one.
fn all_one<T: PartialEq>(real: &[T], simulated: &[T]) -> bool {
    let first = real.first().or(simulated.first());
    real.iter().chain(simulated).all(|v| Some(v) == first)
}

/// A row's table cells.
fn cells(row: &Row) -> [String; 4] {
    let style = Style {
        time: row.field.starts_with("event ") || row.field.contains("_ms"),
        null: if row.simulated.is_object() { "absent" } else { "none" },
    };
    let real = match &row.real {
        Value::Array(values) => values.iter().map(|v| style.show(v)).collect::<Vec<_>>().join(", "),
        other => style.show(other),
    };
    let simulated = match &row.simulated {
        Value::Array(values) => values.iter().map(|v| style.show(v)).collect::<Vec<_>>().join(", "),
        range => style.range(range),
    };
    [row.field.clone(), truncate(real), truncate(simulated), row.verdict.as_str().to_string()]
}

/// How a row's values print.
struct Style {
    /// Numbers are ms, printed as seconds.
    time: bool,
    /// What `null` prints as.
    null: &'static str,
}

impl Style {
    /// One value: `26.328s`, `12`, `n2`, `[n2 n3]`.
    fn show(&self, v: &Value) -> String {
        match v {
            Value::Null => self.null.to_string(),
            Value::String(s) => s.clone(),
            Value::Number(n) => match (self.time, n.as_u64()) {
                (true, Some(ms)) => format!("{}.{:03}s", ms / 1000, ms % 1000),
                _ => n.to_string(),
            },
            Value::Array(items) => {
                format!("[{}]", items.iter().map(|i| self.show(i)).collect::<Vec<_>>().join(" "))
            }
            other => other.to_string(),
        }
    }

    /// A simulated range: `a`, `a..b`, either followed by ` or absent`; `absent` alone.
    fn range(&self, range: &Value) -> String {
        let (min, max) = (&range["min"], &range["max"]);
        let span = match (min.is_null(), min == max) {
            (true, _) => return self.null.to_string(),
            (false, true) => self.show(min),
            (false, false) => format!("{}..{}", self.show(min), self.show(max)),
        };
        if range.get("absent").is_some() { format!("{span} or {}", self.null) } else { span }
    }
}

/// `s`, cut to [`MAX_CELL`] characters with a trailing `…` when longer.
fn truncate(s: String) -> String {
    if s.chars().count() <= MAX_CELL {
        return s;
    }
    let mut cut: String = s.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::outcome::{ClientOutcome, Expectations, Promotion};
    use lab::scenario::Role;
    use std::slice::from_ref;

    /// A run in which n1 died, n2 was promoted at 10 s, and client `w` wrote 100 keys.
    fn base() -> Outcome {
        let roles = [("n1", Role::Down), ("n2", Role::Master), ("n3", Role::Replica)];
        let client = ClientOutcome {
            unavailable_ms: 5000,
            latency_ms: Some(Latency { p50: 1, p99: 3, max: 900 }),
        };
        Outcome {
            scenario: "kill-master".into(),
            seed: 1,
            duration_ms: 30_000,
            promotions: vec![Promotion {
                at_ms: 10_000,
                node: "n2".into(),
                epoch: Some(1),
                by: "10.0.0.11:26379".into(),
            }],
            final_roles: roles.into_iter().map(|(n, r)| (n.to_string(), r)).collect(),
            final_master: Some("n2".into()),
            writes: Writes { acked: 100, failed: 3, indeterminate: 1, lost: 0, lost_keys: vec![] },
            split_brain_ms: 0,
            unavailable_ms: 5000,
            clients: [("w".to_string(), client)].into_iter().collect(),
            masters: Default::default(),
            sentinel_events: vec![
                event(5000, "+sdown", "master mymaster 10.0.0.1 6379"),
                event(5100, "+sdown", "master mymaster 10.0.0.1 6379"),
                event(6000, "+odown", "master mymaster 10.0.0.1 6379 #quorum 2/2"),
                event(6200, "+new-epoch", "1"),
                event(10_500, "+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379"),
            ],
            expectations: Expectations::default(),
            warnings: vec![],
            faults: vec![],
            history: vec![],
        }
    }

    fn event(at_ms: u64, token: &str, detail: &str) -> SentinelEvent {
        SentinelEvent {
            at_ms,
            sentinel: "10.0.0.11:26379".into(),
            event: token.into(),
            detail: detail.into(),
        }
    }

    /// `base()` changed by `f`.
    fn with(f: impl FnOnce(&mut Outcome)) -> Outcome {
        let mut o = base();
        f(&mut o);
        o
    }

    /// The verdict of `field` comparing `real` with `simulated` under the default tolerance.
    fn verdict(real: &[Outcome], simulated: &[Outcome], field: &str) -> Verdict {
        let rows = rows(real, simulated, &Tolerance::default());
        let row = rows.iter().find(|r| r.field == field);
        row.unwrap_or_else(|| panic!("no row {field}")).verdict
    }

    fn acked(n: u64) -> Outcome {
        with(|o| o.writes.acked = n)
    }

    fn unavailable(ms: u64) -> Outcome {
        with(|o| o.unavailable_ms = ms)
    }

    fn odown_at(ms: u64) -> Outcome {
        with(|o| o.sentinel_events[2].at_ms = ms)
    }

    fn master(node: &str) -> Outcome {
        with(|o| o.final_master = Some(node.into()))
    }

    fn tilt_at(ms: Option<u64>) -> Outcome {
        with(|o| o.sentinel_events.extend(ms.map(|at| event(at, "+tilt", "#tilt mode entered"))))
    }

    #[test]
    fn a_count_is_the_same_within_spread_or_differs() {
        let f = "writes.acked";
        assert_eq!(verdict(&[acked(100)], &[acked(100), acked(100)], f), Verdict::Same);
        // 5 % of 110 is 5.5 > 5: [94.5, 115.5].
        assert_eq!(verdict(&[acked(115)], &[acked(100), acked(110)], f), Verdict::WithinSpread);
        assert_eq!(verdict(&[acked(95)], &[acked(100), acked(110)], f), Verdict::WithinSpread);
        assert_eq!(verdict(&[acked(116)], &[acked(100), acked(110)], f), Verdict::Differs);
        assert_eq!(verdict(&[acked(94)], &[acked(100), acked(110)], f), Verdict::Differs);
        // One real run outside the spread is enough.
        let real = [acked(100), acked(200)];
        assert_eq!(verdict(&real, &[acked(100), acked(110)], f), Verdict::Differs);
        // The absolute 5 when 5 % is less.
        assert_eq!(verdict(&[acked(15)], &[acked(10)], f), Verdict::WithinSpread);
        assert_eq!(verdict(&[acked(16)], &[acked(10)], f), Verdict::Differs);
    }

    #[test]
    fn a_time_is_the_same_within_spread_or_differs() {
        let f = "unavailable_ms";
        let sims = [unavailable(5000), unavailable(6000)];
        assert_eq!(verdict(&[unavailable(5000)], &[unavailable(5000)], f), Verdict::Same);
        // 10 % of 6000 is 600 > 250: [4400, 6600].
        assert_eq!(verdict(&[unavailable(6600)], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[unavailable(4400)], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[unavailable(6601)], &sims, f), Verdict::Differs);
        // The absolute 250 ms when 10 % is less: [750, 1350].
        let sims = [unavailable(1000), unavailable(1100)];
        assert_eq!(verdict(&[unavailable(1350)], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[unavailable(1351)], &sims, f), Verdict::Differs);
    }

    #[test]
    fn an_event_time_is_the_first_occurrence_and_compares_as_a_time() {
        let f = "event +sdown master";
        // The first of the two +sdown (5000) counts, not the second.
        let late_second = with(|o| o.sentinel_events[1].at_ms = 20_000);
        assert_eq!(verdict(&[late_second], &[base()], f), Verdict::Same);
        let late_first = with(|o| o.sentinel_events[0].at_ms = 20_000);
        assert_eq!(verdict(&[late_first], &[base()], f), Verdict::WithinSpread);
        let f = "event +odown master";
        let sims = [odown_at(6000), odown_at(7000)];
        assert_eq!(verdict(&[odown_at(7700)], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[odown_at(7701)], &sims, f), Verdict::Differs);
        assert_eq!(verdict(&[odown_at(5300)], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[odown_at(5299)], &sims, f), Verdict::Differs);
    }

    #[test]
    fn a_categorical_field_is_the_same_within_spread_or_differs() {
        let f = "final_master";
        assert_eq!(verdict(&[master("n2")], &[master("n2"), master("n2")], f), Verdict::Same);
        let sims = [master("n2"), master("n3")];
        assert_eq!(verdict(&[master("n3")], &sims, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[master("n3")], &[master("n2")], f), Verdict::Differs);
        let none = with(|o| o.final_master = None);
        assert_eq!(verdict(&[none], &[master("n2")], f), Verdict::Differs);
        let f = "final_roles.n1";
        let up = with(|o| {
            o.final_roles.insert("n1".into(), Role::Replica);
        });
        assert_eq!(verdict(from_ref(&up), &[base(), up.clone()], f), Verdict::WithinSpread);
    }

    #[test]
    fn an_absent_event_is_the_same_within_spread_or_differs() {
        let f = "event +tilt";
        let rows = rows(&[tilt_at(None)], &[tilt_at(None)], &Tolerance::default());
        assert!(rows.iter().all(|r| r.field != f), "no row for an event absent everywhere");
        // A field absent everywhere: a client with no acknowledged write.
        let silent = with(|o| o.clients.get_mut("w").unwrap().latency_ms = None);
        let p50 = "clients.w.latency_ms.p50";
        assert_eq!(verdict(from_ref(&silent), from_ref(&silent), p50), Verdict::Same);
        assert_eq!(verdict(&[silent], &[base()], p50), Verdict::Differs);
        // The sims are mixed: absent is consistent, and so is present near the present sims.
        let mixed = [tilt_at(None), tilt_at(Some(3000))];
        assert_eq!(verdict(&[tilt_at(None)], &mixed, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[tilt_at(Some(3250))], &mixed, f), Verdict::WithinSpread);
        assert_eq!(verdict(&[tilt_at(Some(9000))], &mixed, f), Verdict::Differs);
        // Absent in a real run, present in every sim; and the other way round.
        let always = [tilt_at(Some(3000)), tilt_at(Some(3100))];
        assert_eq!(verdict(&[tilt_at(Some(3000)), tilt_at(None)], &always, f), Verdict::Differs);
        assert_eq!(verdict(&[tilt_at(Some(3000))], &[tilt_at(None)], f), Verdict::Differs);
    }

    #[test]
    fn event_rows_name_the_subject_unless_the_token_does() {
        let o = with(|o| {
            o.sentinel_events.push(event(7000, "+sdown", "slave 10.0.0.3:6379 10.0.0.3 6379 @ m"));
            o.sentinel_events.push(event(20_000, "+convert-to-slave", "slave 10.0.0.1:6379 @ m"));
            o.sentinel_events.push(event(21_000, "+role-change", "slave 10.0.0.1:6379 @ m"));
        });
        let rows = rows(from_ref(&o), from_ref(&o), &Tolerance::default());
        let events: Vec<&str> =
            rows.iter().map(|r| r.field.as_str()).filter(|f| f.starts_with("event ")).collect();
        let expected = [
            "event +sdown master",
            "event +sdown slave",
            "event +odown master",
            "event +switch-master",
            "event +convert-to-slave",
        ];
        assert_eq!(events, expected);
    }

    #[test]
    fn lost_keys_rows_leave_workload_keys_out() {
        let o = with(|o| {
            o.writes.lost_keys = vec!["w:12".into(), "iwas".into(), "w:x".into(), "other:3".into()]
        });
        let rows = rows(&[o], &[base()], &Tolerance::default());
        let lost: Vec<&Row> = rows.iter().filter(|r| r.field.starts_with("lost_keys.")).collect();
        let fields: Vec<&str> = lost.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, ["lost_keys.iwas", "lost_keys.other:3", "lost_keys.w:x"]);
        assert_eq!(lost[0].real, json!([true]));
        assert_eq!(lost[0].simulated, json!([false]));
        assert_eq!(lost[0].verdict, Verdict::Differs);
    }

    #[test]
    fn the_json_has_the_outcomes_and_the_rows() {
        let real = vec![master("n3")];
        let simulated = vec![master("n3"), base(), with(|o| o.sentinel_events.truncate(3))];
        let cmp = Comparison::new(real.clone(), simulated, &Tolerance::default());
        let v = serde_json::to_value(&cmp).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["real", "rows", "simulated"]);
        assert_eq!(v["real"], json!([serde_json::to_value(&real[0]).unwrap()]));
        assert_eq!(v["simulated"].as_array().unwrap().len(), 3);
        let rows = v["rows"].as_array().unwrap();
        let row = |field: &str| rows.iter().find(|r| r["field"] == field).unwrap().clone();
        let promotions = json!({"field": "promotions", "real": [1],
            "simulated": {"min": 1, "max": 1}, "verdict": "same"});
        assert_eq!(rows[0], promotions);
        let final_master = json!({"field": "final_master", "real": ["n3"],
            "simulated": ["n2", "n3"], "verdict": "within spread"});
        assert_eq!(row("final_master"), final_master);
        let switch = json!({"field": "event +switch-master", "real": [10_500],
            "simulated": {"min": 10_500, "max": 10_500, "absent": 1}, "verdict": "within spread"});
        assert_eq!(row("event +switch-master"), switch);
        assert_eq!(row("promoted")["simulated"], json!([["n2"]]));
        assert!(!cmp.differs());
    }

    #[test]
    fn one_failover_more_or_less_differs() {
        let rows = rows(&[base()], &[with(|o| o.promotions.clear())], &Tolerance::default());
        assert_eq!(rows[0].field, "promotions");
        assert_eq!(rows[0].verdict, Verdict::Differs);
    }

    #[test]
    fn long_cells_are_cut() {
        assert_eq!(truncate("x".repeat(MAX_CELL)), "x".repeat(MAX_CELL));
        assert_eq!(truncate("x".repeat(MAX_CELL + 1)), format!("{}…", "x".repeat(MAX_CELL - 1)));
    }

    #[test]
    fn the_table_aligns_the_rows_and_counts_the_verdicts() {
        let real = vec![
            with(|o| {
                o.final_master = Some("n3".into());
                o.writes.acked = 180;
                o.sentinel_events.push(event(9000, "+tilt", "#tilt mode entered"));
            }),
            with(|o| o.unavailable_ms = 5321),
        ];
        let simulated = vec![
            base(),
            with(|o| {
                o.final_master = Some("n3".into());
                o.unavailable_ms = 6000;
                o.sentinel_events[2].at_ms = 6800;
            }),
        ];
        let cmp = Comparison::new(real, simulated, &Tolerance::default());
        assert!(cmp.differs());
        insta::assert_snapshot!(cmp.table());
    }
}
