//! The `[explore]` table: a space of fault schedules. Each seed of `redsim explore` (and `redsim
//! run --seed N` on the same file) draws one concrete schedule from it; see `crate::explore`.

use super::Invariant;
use super::context::Ctx;
use super::raw::{self, CountRange};
use super::{ProcRef, ScenarioError};
use sim::filter::{FilterCommand, parse_command};
use sim::{DurationRange, HostId};
use toml::Spanned;

/// A kind of fault the exploration may draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// SIGKILL a process, restart it after the fault's length.
    Kill,
    /// SIGSTOP a process for the fault's length.
    Pause,
    /// Cut one host off from every other host of `hosts`, both ways.
    Isolate,
    /// Split `hosts` into two groups that cannot reach each other.
    Partition,
    /// Split `hosts` into two groups; only traffic from the first to the second is dropped.
    OneWay,
    /// Install one of `rules` on its host, then delete it.
    Iptables,
    /// One host of `hosts` loses power, and boots again after the fault's length.
    Crash,
}

impl FaultKind {
    /// Every kind, with its name in scenario files.
    pub const ALL: [(FaultKind, &'static str); 7] = [
        (FaultKind::Kill, "kill"),
        (FaultKind::Pause, "pause"),
        (FaultKind::Isolate, "isolate"),
        (FaultKind::Partition, "partition"),
        (FaultKind::OneWay, "oneway"),
        (FaultKind::Iptables, "iptables"),
        (FaultKind::Crash, "crash"),
    ];

    /// The name in scenario files.
    pub fn name(self) -> &'static str {
        FaultKind::ALL.iter().find(|(k, _)| *k == self).map_or("?", |(_, n)| n)
    }
}

/// One rule of `rules`: installed with `-A`/`-I`, removed with the matching `-D`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreRule {
    /// The host whose filter table it goes into.
    pub host: HostId,
    /// The command that installs it.
    pub install: FilterCommand,
    /// The command that removes it.
    pub remove: FilterCommand,
}

/// The `[explore]` table, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ExploreSpace {
    /// How many faults a schedule has (inclusive).
    pub faults: (u32, u32),
    /// When a fault starts (from the start of the run).
    pub window: DurationRange,
    /// How long a fault lasts.
    pub length: DurationRange,
    /// The kinds drawn from, uniformly.
    pub kinds: Vec<FaultKind>,
    /// Hosts that isolations and partitions cut.
    pub hosts: Vec<HostId>,
    /// Processes that kills and pauses hit.
    pub processes: Vec<ProcRef>,
    /// Rules for the `iptables` kind.
    pub rules: Vec<ExploreRule>,
    /// Built-in invariants checked on every seed.
    pub invariants: Vec<Invariant>,
}

impl Ctx<'_> {
    /// Validates `[explore]`; `processes_of` lists every redis and sentinel with its name.
    pub(super) fn explore(
        &self,
        e: &Spanned<raw::Explore>,
        processes_of: &[(ProcRef, String, HostId)],
        duration: sim::Duration,
    ) -> Result<ExploreSpace, ScenarioError> {
        let raw = e.get_ref();
        let faults = match &raw.faults {
            None => (1, 1),
            Some(f) => {
                let (lo, hi) = match f.get_ref() {
                    CountRange::Count(n) => (*n, *n),
                    CountRange::Range(s) => {
                        let parsed = s.split_once("..").and_then(|(a, b)| {
                            Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?))
                        });
                        match parsed {
                            Some(r) => r,
                            None => {
                                return self.err(
                                    f.span(),
                                    format!(
                                        "faults `{s}`: write a count (2) or a range (\"1..3\")"
                                    ),
                                );
                            }
                        }
                    }
                };
                if lo > hi || hi > 64 {
                    return self.err(f.span(), "faults: a range lo..hi with lo <= hi <= 64");
                }
                (lo, hi)
            }
        };
        let window = self.range(&raw.window)?;
        let length = self.range(&raw.length)?;
        if window.hi + length.hi > duration {
            return self.err(
                raw.length.span(),
                format!(
                    "the last fault could end at {} ({} + {}), after the end of the run ({duration})",
                    window.hi + length.hi,
                    window.hi,
                    length.hi
                ),
            );
        }
        let mut kinds = Vec::new();
        for k in raw.kinds.get_ref() {
            match FaultKind::ALL.iter().find(|(_, n)| n == k.get_ref()) {
                Some((kind, _)) if !kinds.contains(kind) => kinds.push(*kind),
                Some(_) => {
                    return self.err(k.span(), format!("kind `{}` is listed twice", k.get_ref()));
                }
                None => {
                    let names: Vec<&str> = FaultKind::ALL.iter().map(|(_, n)| *n).collect();
                    return self.err(
                        k.span(),
                        format!(
                            "unknown fault kind `{}` (known: {})",
                            k.get_ref(),
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        if kinds.is_empty() {
            return self.err(raw.kinds.span(), "`kinds` is empty: name at least one fault kind");
        }
        let hosts = match &raw.hosts {
            Some(list) => list.iter().map(|h| self.host(h)).collect::<Result<Vec<_>, _>>()?,
            None => {
                let mut hs: Vec<HostId> = processes_of.iter().map(|p| p.2).collect();
                hs.sort();
                hs.dedup();
                hs
            }
        };
        let cuts = kinds
            .iter()
            .any(|k| matches!(k, FaultKind::Isolate | FaultKind::Partition | FaultKind::OneWay));
        if cuts && hosts.len() < 2 {
            return self.err(e.span(), "isolations and partitions need at least two `hosts`");
        }
        if kinds.contains(&FaultKind::Crash) && hosts.is_empty() {
            return self.err(e.span(), "crashes need at least one host in `hosts`");
        }
        let processes = match &raw.processes {
            Some(list) => list
                .iter()
                .map(|p| {
                    processes_of.iter().find(|x| x.1 == *p.get_ref()).map(|x| x.0).map_or_else(
                        || {
                            self.err(
                                p.span(),
                                format!("no redis or sentinel listens on `{}`", p.get_ref()),
                            )
                        },
                        Ok,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => processes_of.iter().map(|p| p.0).collect(),
        };
        if kinds.iter().any(|k| matches!(k, FaultKind::Kill | FaultKind::Pause))
            && processes.is_empty()
        {
            return self.err(e.span(), "kills and pauses need at least one process");
        }
        let mut rules = Vec::new();
        for r in raw.rules.iter().flatten() {
            let host = self.host(&r.on)?;
            let resolve =
                |name: &str| self.hosts.iter().position(|h| h == name).map(|i| HostId(i as u32));
            let cmd = parse_command(r.rule.get_ref(), &resolve).or_else(|fe| {
                self.err(r.rule.span(), format!("iptables: {}: `{}`", fe.message, fe.token))
            })?;
            let remove = match &cmd {
                FilterCommand::Append(chain, rule) | FilterCommand::Insert(chain, _, rule) => {
                    FilterCommand::DeleteSpec(*chain, rule.clone())
                }
                _ => {
                    return self.err(
                        r.rule.span(),
                        "an explored rule is installed and later removed: write it with -A or -I",
                    );
                }
            };
            rules.push(ExploreRule { host, install: cmd, remove });
        }
        if kinds.contains(&FaultKind::Iptables) && rules.is_empty() {
            return self.err(
                raw.kinds.span(),
                "kind `iptables` needs `rules = [{ on = \"<host>\", rule = \"-A ...\" }]`",
            );
        }
        let invariants = match &raw.invariants {
            None => Invariant::ALL.to_vec(),
            Some(list) => self.invariants(list)?,
        };
        Ok(ExploreSpace { faults, window, length, kinds, hosts, processes, rules, invariants })
    }

    /// A list of built-in invariant names.
    pub(super) fn invariants(
        &self,
        list: &[Spanned<String>],
    ) -> Result<Vec<Invariant>, ScenarioError> {
        let mut out = Vec::new();
        for name in list {
            match Invariant::parse(name.get_ref()) {
                Some(i) if !out.contains(&i) => out.push(i),
                Some(_) => {}
                None => {
                    let known: Vec<&str> = Invariant::ALL.iter().map(|i| i.name()).collect();
                    return self.err(
                        name.span(),
                        format!(
                            "unknown invariant `{}` (built in: {})",
                            name.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        Ok(out)
    }
}
