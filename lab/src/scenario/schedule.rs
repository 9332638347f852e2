//! Concrete fault schedules: what one seed draws from an `[explore]` space, and how a schedule
//! becomes ordinary timeline events (so a seeded run, its trace and a shrunk scenario file are all
//! the same thing: a scenario with explicit events).

use super::{Action, ExploreSpace, FaultKind, ProcRef, Scenario, Timed};
use sim::filter::{Chain, FilterCommand, InstalledRule, Rule, Target};
use sim::{Duration, HostId, Instant, Rng};

/// What a fault does while it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// SIGKILL, then a restart when the fault ends.
    Kill(ProcRef),
    /// SIGSTOP until the fault ends.
    Pause(ProcRef),
    /// Packets from `from` to `to` are dropped (and the other way too when `both`).
    Cut { from: Vec<HostId>, to: Vec<HostId>, both: bool },
    /// Rule number `i` of the space's `rules` is installed, then removed.
    Rule(usize),
    /// The host loses power, and boots again when the fault ends.
    Crash(HostId),
}

/// One fault: an action from `at` for `length`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// When it starts.
    pub at: Instant,
    /// How long it lasts.
    pub length: Duration,
    /// What it does.
    pub action: FaultAction,
}

impl Fault {
    /// When it ends.
    pub fn end(&self) -> Instant {
        self.at + self.length
    }

    /// The process it kills or pauses.
    pub fn process(&self) -> Option<ProcRef> {
        match self.action {
            FaultAction::Kill(p) | FaultAction::Pause(p) => Some(p),
            _ => None,
        }
    }

    /// The host it takes the power from.
    fn crashed_host(&self) -> Option<HostId> {
        match self.action {
            FaultAction::Crash(h) => Some(h),
            _ => None,
        }
    }

    /// Whether `other` hits what this one hits (a process, or a host's power) while this lasts.
    fn clashes(&self, other: &Fault) -> bool {
        let same_process = self.process().is_some() && self.process() == other.process();
        let same_host =
            self.crashed_host().is_some() && self.crashed_host() == other.crashed_host();
        (same_process || same_host) && self.overlaps(other)
    }

    fn overlaps(&self, other: &Fault) -> bool {
        self.at < other.end() && other.at < self.end()
    }
}

/// A uniform draw from `lo..=hi`, in whole milliseconds (schedules stay readable when written out).
fn draw_ms(rng: &mut Rng, lo: Duration, hi: Duration) -> Duration {
    Duration::from_millis(rng.between(lo.as_millis(), hi.as_millis().max(lo.as_millis())))
}

/// A random split of `hosts` into two non-empty groups.
fn split(rng: &mut Rng, hosts: &[HostId]) -> (Vec<HostId>, Vec<HostId>) {
    let mut side: Vec<bool> = hosts.iter().map(|_| rng.below(2) == 1).collect();
    if side.iter().all(|s| *s) || side.iter().all(|s| !*s) {
        let i = rng.below(side.len());
        side[i] = !side[i];
    }
    let pick = |want: bool| {
        hosts.iter().zip(&side).filter(|(_, s)| **s == want).map(|(h, _)| *h).collect()
    };
    (pick(true), pick(false))
}

/// The schedule seed `seed` draws from `space`, in start order. Faults on one process never
/// overlap (a second one is re-drawn, up to eight times, then left out).
pub fn draw(space: &ExploreSpace, seed: u64) -> Vec<Fault> {
    let mut rng = Rng::stream(seed, "explore");
    let count = rng.between(u64::from(space.faults.0), u64::from(space.faults.1));
    let mut faults: Vec<Fault> = Vec::new();
    for _ in 0..count {
        for _attempt in 0..8 {
            let kind = space.kinds[rng.below(space.kinds.len())];
            let at = Instant::ZERO + draw_ms(&mut rng, space.window.lo, space.window.hi);
            let length = draw_ms(&mut rng, space.length.lo, space.length.hi);
            let action = match kind {
                FaultKind::Kill => {
                    FaultAction::Kill(space.processes[rng.below(space.processes.len())])
                }
                FaultKind::Pause => {
                    FaultAction::Pause(space.processes[rng.below(space.processes.len())])
                }
                FaultKind::Isolate => {
                    let h = space.hosts[rng.below(space.hosts.len())];
                    let others = space.hosts.iter().copied().filter(|&o| o != h).collect();
                    FaultAction::Cut { from: vec![h], to: others, both: true }
                }
                FaultKind::Partition | FaultKind::OneWay => {
                    let (from, to) = split(&mut rng, &space.hosts);
                    FaultAction::Cut { from, to, both: kind == FaultKind::Partition }
                }
                FaultKind::Iptables => FaultAction::Rule(rng.below(space.rules.len())),
                FaultKind::Crash => FaultAction::Crash(space.hosts[rng.below(space.hosts.len())]),
            };
            let fault = Fault { at, length, action };
            let clash = faults.iter().any(|f| f.clashes(&fault));
            if !clash {
                faults.push(fault);
                break;
            }
        }
    }
    faults.sort_by_key(|f| f.at);
    faults
}

/// `-A INPUT -s <from> -j DROP` on every host of `to`: what a cut installs (its removal is the
/// same rule with `-D`).
fn cut_rules(scenario: &Scenario, from: &[HostId], to: &[HostId]) -> Vec<(HostId, InstalledRule)> {
    let names: Vec<&str> = from.iter().map(|h| scenario.hosts[h.0 as usize].as_str()).collect();
    let rule = InstalledRule {
        rule: Rule {
            src: Some(from.to_vec()),
            dst: None,
            tcp: false,
            sport: None,
            dport: None,
            target: Target::Drop,
        },
        spec: format!("-s {} -j DROP", names.join(",")),
    };
    to.iter().map(|&h| (h, rule.clone())).collect()
}

/// The timeline events of one fault: its start, and its end (a restart, a rule deletion; a pause
/// carries its own length).
pub fn fault_events(scenario: &Scenario, space: &ExploreSpace, fault: &Fault) -> Vec<Timed> {
    let timed = |at: Instant, action: Action| Timed { at, action, line: 0 };
    match &fault.action {
        FaultAction::Kill(p) => {
            vec![timed(fault.at, Action::Kill(*p)), timed(fault.end(), Action::Restart(*p))]
        }
        FaultAction::Pause(p) => vec![timed(fault.at, Action::Pause(*p, fault.length))],
        FaultAction::Crash(h) => {
            vec![timed(fault.at, Action::Crash { host: *h, restart_after: Some(fault.length) })]
        }
        FaultAction::Cut { from, to, both } => {
            let mut rules = cut_rules(scenario, from, to);
            if *both {
                rules.extend(cut_rules(scenario, to, from));
            }
            let mut out: Vec<Timed> = rules
                .iter()
                .map(|(h, r)| {
                    let cmd = FilterCommand::Append(Chain::Input, r.clone());
                    timed(fault.at, Action::Iptables { host: *h, cmd })
                })
                .collect();
            out.extend(rules.into_iter().map(|(h, r)| {
                let cmd = FilterCommand::DeleteSpec(Chain::Input, r);
                timed(fault.end(), Action::Iptables { host: h, cmd })
            }));
            out
        }
        FaultAction::Rule(i) => {
            let r = &space.rules[*i];
            vec![
                timed(fault.at, Action::Iptables { host: r.host, cmd: r.install.clone() }),
                timed(fault.end(), Action::Iptables { host: r.host, cmd: r.remove.clone() }),
            ]
        }
    }
}

impl Scenario {
    /// The scenario as seed `seed` runs it: with an `[explore]` table, the schedule the seed draws
    /// becomes timeline events and the space's invariants join `[expect]`; without one, itself.
    pub fn for_seed(&self, seed: u64) -> Scenario {
        match &self.explore {
            Some(space) => self.with_faults(&draw(space, seed)),
            None => self.clone(),
        }
    }

    /// The scenario with `faults` (drawn from its `[explore]` space) added to the timeline.
    pub fn with_faults(&self, faults: &[Fault]) -> Scenario {
        let mut s = self.clone();
        let Some(space) = self.explore.as_ref() else { return s };
        for f in faults {
            s.events.extend(fault_events(self, space, f));
        }
        // Stable: the scenario's own events keep their place among faults at the same instant.
        s.events.sort_by_key(|t| t.at);
        for inv in &space.invariants {
            if !s.expect.invariants.contains(inv) {
                s.expect.invariants.push(*inv);
            }
        }
        s.schedule = faults.to_vec();
        s
    }
}

/// Describes a fault for people: `20.512s kill 10.162.29.33:6371 for 5s`.
pub fn describe(scenario: &Scenario, fault: &Fault) -> String {
    format!("{} {} for {}", fault.at, describe_action(scenario, &fault.action), fault.length)
}

/// What a fault does, for people: `kill 10.162.29.33:6371`, `isolate 10.162.29.37`, `crash app`,
/// `cut 10.162.29.33 -> 10.162.29.36,10.162.29.37`.
pub fn describe_action(scenario: &Scenario, action: &FaultAction) -> String {
    let host = |h: &sim::HostId| scenario.hosts[h.0 as usize].as_str();
    let proc_name = |p: &ProcRef| scenario.name_of(*p);
    match action {
        FaultAction::Kill(p) => format!("kill {}", proc_name(p)),
        FaultAction::Pause(p) => format!("pause {}", proc_name(p)),
        FaultAction::Crash(h) => format!("crash {}", host(h)),
        FaultAction::Cut { from, to, both } => {
            let names = |v: &[sim::HostId]| v.iter().map(host).collect::<Vec<_>>().join(",");
            let arrow = if *both { "<->" } else { "->" };
            if *both && from.len() == 1 {
                format!("isolate {}", host(&from[0]))
            } else {
                format!("cut {} {arrow} {}", names(from), names(to))
            }
        }
        FaultAction::Rule(i) => {
            let space = scenario.explore.as_ref().expect("rules come from [explore]");
            let r = &space.rules[*i];
            format!("iptables {} on {}", r.install, host(&r.host))
        }
    }
}
