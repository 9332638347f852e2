//! The fault space of a deployment, enumerated: every single fault of each family (kill and
//! pause of every process, isolation of every host, every two-way split of the hosts with two or
//! more on each side, every one-way cut), the durations (by default from the deployment's own
//! timers), the start phases, and the cells (one run each) they multiply into.

use crate::invariants::convergence_bound;
use crate::scenario::{FaultAction, FaultKind, ProcRef, Scenario, describe_action};
use sim::{Duration, HostId, Instant};

/// The families a sweep enumerates, in the order its tables show them.
pub const FAMILIES: [FaultKind; 5] = [
    FaultKind::Kill,
    FaultKind::Pause,
    FaultKind::Isolate,
    FaultKind::Partition,
    FaultKind::OneWay,
];

/// The phases of a sweep unless `--phases` says otherwise.
pub const DEFAULT_PHASES: u64 = 4;

/// The offsets, in multiples of `down-after-milliseconds`, at which the second fault of a pair
/// starts after the first: together, half-way through the detection, at its end.
pub const PAIR_OFFSETS: [(u64, u64); 3] = [(0, 1), (1, 2), (1, 1)];

/// One fault of the space, without its start or length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepFault {
    /// Its family.
    pub kind: FaultKind,
    /// What it does.
    pub action: FaultAction,
    /// For people: `kill 10.162.29.37:6371 (master)`.
    pub name: String,
}

/// A duration of the grid and the timer it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridDuration {
    /// How long each fault lasts.
    pub length: Duration,
    /// Where it comes from: `down-after-milliseconds`, `failover-timeout / 2`, `--durations`.
    pub from: String,
}

/// A start phase: the seed of the run and when its (first) fault starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// The seed every random stream of the run is drawn from.
    pub seed: u64,
    /// When the fault starts.
    pub start: Instant,
}

/// One run of the sweep: a fault (or an ordered pair), a duration, a phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Its number in the sweep, from 0 (what `--cell` and shards use).
    pub id: u64,
    /// Indices into [`Space::faults`]: one, or two for a pair.
    pub faults: Vec<usize>,
    /// For a pair, how long after the first the second starts.
    pub offset: Duration,
    /// Index into [`Space::durations`].
    pub duration: usize,
    /// Index into [`Space::phases`].
    pub phase: usize,
}

/// The whole space of one sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    /// Every single fault, family by family.
    pub faults: Vec<SweepFault>,
    /// The durations.
    pub durations: Vec<GridDuration>,
    /// The phases.
    pub phases: Vec<Phase>,
    /// Offsets of the second fault of a pair (empty: single faults only).
    pub pair_offsets: Vec<Duration>,
}

/// The largest value of a sentinel timer over the deployment's sentinels (0 without sentinels).
fn sentinel_max(s: &Scenario, f: fn(&model::sentinel::config::SentinelConfig) -> u64) -> u64 {
    s.sentinels.iter().map(|x| f(&x.config)).max().unwrap_or(0)
}

/// The server the sentinels monitor at the start, if one of the deployment's.
pub fn initial_master(s: &Scenario) -> Option<usize> {
    let c = s.sentinels.first()?.config.masters.first()?;
    s.redis.iter().position(|r| s.hosts[r.addr.host.0 as usize] == c.host && r.addr.port == c.port)
}

/// Hosts holding a redis, a sentinel or a client, in host order.
pub fn hosts(s: &Scenario) -> Vec<HostId> {
    let mut hs: Vec<HostId> = s.redis.iter().map(|r| r.addr.host).collect();
    hs.extend(s.sentinels.iter().map(|x| x.addr.host));
    hs.extend(s.clients.iter().map(|c| c.host));
    hs.sort();
    hs.dedup();
    hs
}

/// Every single fault of the deployment, family by family.
pub fn faults(s: &Scenario) -> Vec<SweepFault> {
    let master = initial_master(s);
    let master_host = master.map(|m| s.redis[m].addr.host);
    let procs: Vec<ProcRef> = (0..s.redis.len())
        .map(ProcRef::Redis)
        .chain((0..s.sentinels.len()).map(ProcRef::Sentinel))
        .collect();
    let hosts = hosts(s);
    let mut out = Vec::new();
    let mut push = |kind: FaultKind, action: FaultAction| {
        let mut name = describe_action(s, &action);
        let mark = match &action {
            FaultAction::Kill(ProcRef::Redis(i)) | FaultAction::Pause(ProcRef::Redis(i))
                if Some(*i) == master =>
            {
                " (master)"
            }
            FaultAction::Cut { from, both: true, .. }
                if from.len() == 1 && Some(from[0]) == master_host =>
            {
                " (master's host)"
            }
            _ => "",
        };
        name.push_str(mark);
        out.push(SweepFault { kind, action, name });
    };
    for kind in [FaultKind::Kill, FaultKind::Pause] {
        for &p in &procs {
            push(
                kind,
                if kind == FaultKind::Kill { FaultAction::Kill(p) } else { FaultAction::Pause(p) },
            );
        }
    }
    if hosts.len() >= 2 {
        for &h in &hosts {
            let others = hosts.iter().copied().filter(|&o| o != h).collect();
            push(FaultKind::Isolate, FaultAction::Cut { from: vec![h], to: others, both: true });
        }
    }
    // Subsets as bit masks over `hosts`; a two-way split is listed once (the side holding the
    // first host is `from`), a one-way cut in both directions.
    let n = hosts.len().min(16);
    let side = |mask: u32, inside: bool| -> Vec<HostId> {
        (0..n).filter(|&i| (mask >> i & 1 == 1) == inside).map(|i| hosts[i]).collect()
    };
    let full = (1u32 << n) - 1;
    for mask in 1..full {
        let (a, b) = (side(mask, true), side(mask, false));
        if mask & 1 == 1 && a.len() >= 2 && b.len() >= 2 {
            push(FaultKind::Partition, FaultAction::Cut { from: a, to: b, both: true });
        }
    }
    for mask in 1..full {
        let (a, b) = (side(mask, true), side(mask, false));
        push(FaultKind::OneWay, FaultAction::Cut { from: a, to: b, both: false });
    }
    out
}

/// The default durations, from the deployment's timers: around `down-after-milliseconds` (half,
/// once, one and a half, twice), `failover-timeout` (half, once), the master's
/// `min-replicas-max-lag` when it has `min-replicas-to-write`, the longest `repl-timeout`, and
/// twice the longest of these. Equal lengths are listed once, with every timer they stand for.
pub fn default_durations(s: &Scenario) -> Vec<GridDuration> {
    let d = sentinel_max(s, |c| c.max_over_masters(|m| m.down_after_ms));
    let f = sentinel_max(s, |c| c.max_over_masters(|m| m.failover_timeout_ms));
    let repl = s.redis.iter().map(|r| r.config.repl_timeout * 1000).max().unwrap_or(0);
    let lag = initial_master(s)
        .map(|m| &s.redis[m].config)
        .filter(|c| c.min_replicas_to_write > 0)
        .map(|c| u64::from(c.min_replicas_max_lag) * 1000);
    let mut points: Vec<(u64, String)> = vec![
        (d / 2, "down-after-milliseconds / 2".into()),
        (d, "down-after-milliseconds".into()),
        (d * 3 / 2, "down-after-milliseconds x 1.5".into()),
        (d * 2, "down-after-milliseconds x 2".into()),
        (f / 2, "failover-timeout / 2".into()),
        (f, "failover-timeout".into()),
        (repl, "repl-timeout".into()),
    ];
    if let Some(lag) = lag {
        points.push((lag, "min-replicas-max-lag".into()));
    }
    let longest = points.iter().map(|p| p.0).max().unwrap_or(0);
    points.push((longest * 2, "long: twice the longest timer".into()));
    merge_points(points)
}

/// Sorted, without zero lengths, equal lengths merged (`failover-timeout = down-after x 2`).
fn merge_points(mut points: Vec<(u64, String)>) -> Vec<GridDuration> {
    points.retain(|p| p.0 > 0);
    points.sort_by_key(|p| p.0);
    let mut out: Vec<GridDuration> = Vec::new();
    for (ms, from) in points {
        match out.last_mut() {
            Some(last) if last.length.as_millis() == ms => {
                last.from = format!("{} = {from}", last.from);
            }
            _ => out.push(GridDuration { length: Duration::from_millis(ms), from }),
        }
    }
    out
}

/// `--durations 1s,5s,30s`: each a duration as scenario files write them.
pub fn parse_durations(list: &str) -> Result<Vec<GridDuration>, String> {
    let mut points = Vec::new();
    for item in list.split(',').map(str::trim) {
        let d = item
            .parse::<Duration>()
            .map_err(|e| format!("--durations `{item}`: {e} (write e.g. 1s,5s,30s)"))?;
        if d.as_millis() == 0 || d.as_micros() % 1000 != 0 {
            return Err(format!("--durations `{item}`: a whole number of milliseconds above 0"));
        }
        points.push((d.as_millis(), "--durations".to_string()));
    }
    Ok(merge_points(points))
}

/// `n` phases: phase `p` runs seed `scenario.seed + p` and starts its fault `p / n` of the way
/// into a sentinel's INFO period (10 s), after the deployment has settled (10 s after the last
/// sentinel or workload has started).
pub fn phases(s: &Scenario, n: u64) -> Vec<Phase> {
    let sentinels = s.sentinels.iter().map(|x| x.start.hi).max().unwrap_or(Duration::ZERO);
    let workload = s
        .clients
        .iter()
        .filter_map(|c| c.workload.map(|w| w.start.as_micros()))
        .max()
        .map_or(Duration::ZERO, Duration::from_micros);
    let base = Instant::ZERO + sentinels.max(workload) + Duration::from_secs(10);
    let period = sentinel_max(s, |c| c.info_period_ms).max(1000);
    (0..n)
        .map(|p| Phase {
            seed: s.seed.wrapping_add(p),
            start: base + Duration::from_millis(period * p / n.max(1)),
        })
        .collect()
}

impl Space {
    /// The space of `s`: single faults, and pairs at [`PAIR_OFFSETS`] when `pairs`.
    pub fn new(
        s: &Scenario,
        durations: Vec<GridDuration>,
        phases: Vec<Phase>,
        pairs: bool,
    ) -> Space {
        let d = sentinel_max(s, |c| c.max_over_masters(|m| m.down_after_ms));
        let pair_offsets = if pairs {
            PAIR_OFFSETS.iter().map(|(num, den)| Duration::from_millis(d * num / den)).collect()
        } else {
            Vec::new()
        };
        Space { faults: faults(s), durations, phases, pair_offsets }
    }

    /// How many runs the space holds: singles x durations x phases, plus every ordered pair of
    /// distinct faults (two faults of one process excepted) x offsets x durations x phases.
    pub fn cell_count(&self) -> u64 {
        let per = (self.durations.len() * self.phases.len()) as u64;
        let singles = self.faults.len() as u64;
        (singles + self.pairs().count() as u64 * self.pair_offsets.len() as u64) * per
    }

    /// Ordered pairs of distinct faults that do not both hit one process.
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let proc_of = |f: &SweepFault| match f.action {
            FaultAction::Kill(p) | FaultAction::Pause(p) => Some(p),
            _ => None,
        };
        let n = self.faults.len();
        (0..n).flat_map(move |a| (0..n).map(move |b| (a, b))).filter(move |&(a, b)| {
            a != b
                && (proc_of(&self.faults[a]).is_none()
                    || proc_of(&self.faults[a]) != proc_of(&self.faults[b]))
        })
    }

    /// Every cell, numbered from 0: singles (fault, then duration, then phase), then pairs.
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        let mut add = |faults: Vec<usize>, offset: Duration| {
            for duration in 0..self.durations.len() {
                for phase in 0..self.phases.len() {
                    let id = out.len() as u64;
                    out.push(Cell { id, faults: faults.clone(), offset, duration, phase });
                }
            }
        };
        for f in 0..self.faults.len() {
            add(vec![f], Duration::ZERO);
        }
        for (a, b) in self.pairs().collect::<Vec<_>>() {
            for &o in &self.pair_offsets {
                add(vec![a, b], o);
            }
        }
        out
    }

    /// The grid in words, for the shard line (shards of different grids do not merge).
    pub fn describe(&self) -> String {
        let ds: Vec<String> = self.durations.iter().map(|d| d.length.to_string()).collect();
        let ps: Vec<String> =
            self.phases.iter().map(|p| format!("{}@{}", p.seed, p.start)).collect();
        let os: Vec<String> = self.pair_offsets.iter().map(Duration::to_string).collect();
        format!(
            "{} faults; durations {}; phases {}; pair offsets [{}]",
            self.faults.len(),
            ds.join(","),
            ps.join(","),
            os.join(",")
        )
    }

    /// How long a run of `cell` lasts: until the convergence bound after its last fault ends,
    /// so that `converges` is checked.
    pub fn run_length(&self, s: &Scenario, cell: &Cell) -> Duration {
        let start = self.phases[cell.phase].start;
        let end = start + cell.offset + self.durations[cell.duration].length;
        Duration::from_micros(end.as_micros()) + convergence_bound(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blog() -> Scenario {
        Scenario::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/blog-partition.toml"))
            .expect("the blog scenario parses")
    }

    /// Three servers and a client host: 6 processes, 4 hosts; the three two-two splits; every
    /// one-way cut of a non-empty proper subset (2^4 - 2).
    #[test]
    fn the_blog_deployment_has_33_single_faults() {
        let fs = faults(&blog());
        let count = |k: FaultKind| fs.iter().filter(|f| f.kind == k).count();
        let counts: Vec<usize> = FAMILIES.iter().map(|&k| count(k)).collect();
        assert_eq!(counts, vec![6, 6, 4, 3, 14]);
        let marked: Vec<&str> =
            fs.iter().filter(|f| f.name.contains("master")).map(|f| f.name.as_str()).collect();
        assert_eq!(
            marked,
            vec![
                "kill 10.162.29.37:6371 (master)",
                "pause 10.162.29.37:6371 (master)",
                "isolate 10.162.29.37 (master's host)"
            ]
        );
        let names: std::collections::BTreeSet<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), fs.len(), "no fault listed twice");
    }

    #[test]
    fn default_durations_come_from_the_timers() {
        let mut s = blog();
        let ds = default_durations(&s);
        let ms: Vec<u64> = ds.iter().map(|d| d.length.as_millis()).collect();
        // down-after 5 s; failover-timeout 60 s = repl-timeout 60 s; twice the longest.
        assert_eq!(ms, vec![2500, 5000, 7500, 10_000, 30_000, 60_000, 120_000]);
        assert_eq!(ds[5].from, "failover-timeout = repl-timeout");
        for sent in &mut s.sentinels {
            sent.config.masters[0].down_after_ms = 2000;
            sent.config.masters[0].failover_timeout_ms = 10_000;
        }
        let m = initial_master(&s).expect("the sentinels monitor a server of the file");
        s.redis[m].config.min_replicas_to_write = 1;
        s.redis[m].config.min_replicas_max_lag = 15;
        let ms: Vec<u64> = default_durations(&s).iter().map(|d| d.length.as_millis()).collect();
        assert_eq!(ms, vec![1000, 2000, 3000, 4000, 5000, 10_000, 15_000, 60_000, 120_000]);
    }

    #[test]
    fn cells_multiply_faults_durations_and_phases() {
        let s = blog();
        let ds = parse_durations("1s,5s").unwrap();
        let space = Space::new(&s, ds.clone(), phases(&s, 3), false);
        assert_eq!(space.cell_count(), 33 * 2 * 3);
        let cells = space.cells();
        assert_eq!(cells.len() as u64, space.cell_count());
        assert!(cells.iter().enumerate().all(|(i, c)| c.id == i as u64));
        let pairs = Space::new(&s, ds, phases(&s, 1), true);
        // Ordered pairs of distinct faults minus the 12 pairs of one process's kill and pause.
        assert_eq!(pairs.cell_count(), (33 + (33 * 32 - 12) * 3) * 2);
        assert!(parse_durations("0s").is_err());
        assert!(parse_durations("5 apples").is_err());
    }

    #[test]
    fn phases_have_their_own_seed_and_start() {
        let s = blog();
        let ps = phases(&s, 4);
        let starts: Vec<u64> = ps.iter().map(|p| p.start.as_millis()).collect();
        assert_eq!(starts, vec![20_000, 22_500, 25_000, 27_500]);
        let seeds: Vec<u64> = ps.iter().map(|p| p.seed).collect();
        assert_eq!(seeds, vec![1, 2, 3, 4]);
    }
}
