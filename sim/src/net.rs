//! The network: a `petgraph` graph whose nodes are hosts and whose edges are links, plus one
//! packet-filter table per host.
//!
//! A link has a one-way latency range (uniform, drawn per packet from the link's own random stream)
//! and a loss probability. TCP turns a lost packet into a retransmission, so a loss delays a message
//! by one retransmission timeout rather than removing it. Traffic between two processes of the same
//! host uses the host's loopback link (a self-loop). Hosts with no link between them cannot reach
//! each other: their packets vanish as under DROP.

use crate::filter::{Chain, FilterCommand, FilterError, FilterTable, Packet, Target};
use crate::ids::HostId;
use crate::pipe::Bandwidth;
use crate::rng::{Probability, Rng};
use crate::time::{Duration, DurationRange};
use petgraph::graph::{EdgeIndex, NodeIndex, UnGraph};
use std::collections::BTreeMap;

/// TCP's minimum retransmission timeout on Linux (`TCP_RTO_MIN`).
pub const RTO_MIN: Duration = Duration::from_millis(200);

/// A host of the network.
#[derive(Clone, Debug)]
pub struct Host {
    /// Its name, as scenarios and logs write it (`10.162.29.33`, `app`).
    pub name: String,
}

/// One link: latency and loss in both directions.
#[derive(Clone, Debug)]
pub struct Link {
    /// One-way latency range.
    pub latency: DurationRange,
    /// Probability that a packet is lost (and retransmitted after [`RTO_MIN`]).
    pub loss: Probability,
    /// The rate of each direction (`None`: unlimited, a message takes its latency alone).
    pub bandwidth: Option<Bandwidth>,
    rng: Rng,
}

/// A link, as returned by [`Network::link_id`]; stable for the network's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkId(EdgeIndex);

/// The verdict of the filters on a packet's path (source OUTPUT, then destination INPUT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The packet arrives.
    Pass,
    /// The packet is discarded (or there is no link).
    Dropped,
    /// The packet is discarded and the sender told so.
    Rejected(crate::filter::RejectWith),
}

/// Hosts, links and filters.
///
/// Memory is O(hosts + links in use): a full mesh is a rule ("every pair of the first `n` hosts
/// without a link of its own has this latency and loss"), and a pair's link is created the first
/// time a packet needs it. Its random stream is named after the pair (`link/<a>/<b>`), so creating
/// it late draws exactly what creating it early would have.
#[derive(Clone, Debug)]
pub struct Network {
    graph: UnGraph<Host, Link>,
    /// Every link created so far, by its ordered pair of hosts (both orders point to the link).
    edges: BTreeMap<(u32, u32), EdgeIndex>,
    /// Each host's loopback link, by host index.
    loopback: Vec<EdgeIndex>,
    /// The full mesh: pairs of hosts below `hosts` without a link of their own get this one.
    mesh: Option<Mesh>,
    filters: Vec<FilterTable>,
    rules_installed: usize,
    /// Some link has a finite bandwidth: sends must ask the link for it.
    shaped: bool,
    /// Distinct pairs linked one by one (outside the mesh rule), for counting missing links.
    explicit_pairs: usize,
    /// Pairs of distinct hosts with no link between them, counted whenever hosts or links change
    /// (the packet path asks on every packet).
    missing: usize,
    /// Hosts without power, by host index: every packet from or to them vanishes.
    down: Vec<bool>,
    /// How many hosts are down (the packet path asks on every packet).
    hosts_down: usize,
    seed: u64,
}

/// The full-mesh rule.
#[derive(Clone, Copy, Debug)]
struct Mesh {
    hosts: u32,
    latency: DurationRange,
    loss: Probability,
    bandwidth: Option<Bandwidth>,
}

impl Network {
    /// An empty network whose link streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            graph: UnGraph::default(),
            edges: BTreeMap::new(),
            loopback: Vec::new(),
            mesh: None,
            filters: Vec::new(),
            rules_installed: 0,
            shaped: false,
            explicit_pairs: 0,
            missing: 0,
            down: Vec::new(),
            hosts_down: 0,
            seed,
        }
    }

    /// Adds a host with a loopback link of latency `loopback`.
    pub fn add_host(&mut self, name: &str, loopback: DurationRange) -> HostId {
        let idx = self.graph.add_node(Host { name: name.to_string() });
        let id = HostId(idx.index() as u32);
        self.filters.push(FilterTable::default());
        self.down.push(false);
        let link = self.new_link(id, id, loopback, Probability::NEVER);
        self.loopback.push(self.graph.add_edge(idx, idx, link));
        self.missing = self.missing_links();
        id
    }

    fn new_link(&self, a: HostId, b: HostId, latency: DurationRange, loss: Probability) -> Link {
        let name = format!("link/{}/{}", self.host(a).name, self.host(b).name);
        Link { latency, loss, bandwidth: None, rng: Rng::stream(self.seed, &name) }
    }

    /// Adds (or replaces) the link between `a` and `b`.
    pub fn connect(&mut self, a: HostId, b: HostId, latency: DurationRange, loss: Probability) {
        let link = self.new_link(a, b, latency, loss);
        if a == b {
            self.graph[self.loopback[a.0 as usize]] = link;
            return;
        }
        match self.edges.get(&(a.0, b.0)) {
            Some(&e) => self.graph[e] = link,
            None => {
                if !self.in_mesh(a, b) {
                    self.explicit_pairs += 1;
                }
                self.insert_edge(a, b, link);
                self.missing = self.missing_links();
            }
        }
    }

    fn insert_edge(&mut self, a: HostId, b: HostId, link: Link) -> EdgeIndex {
        let e =
            self.graph.add_edge(NodeIndex::new(a.0 as usize), NodeIndex::new(b.0 as usize), link);
        self.edges.insert((a.0, b.0), e);
        self.edges.insert((b.0, a.0), e);
        e
    }

    /// Links every pair of distinct hosts that has no link yet.
    pub fn full_mesh(&mut self, latency: DurationRange, loss: Probability) {
        let hosts = self.graph.node_count() as u32;
        // Pairs linked one by one that the mesh now covers no longer count as explicit.
        self.explicit_pairs = self.edges.keys().filter(|(a, b)| a < b && *b >= hosts).count();
        self.mesh = Some(Mesh { hosts, latency, loss, bandwidth: None });
        self.missing = self.missing_links();
    }

    fn in_mesh(&self, a: HostId, b: HostId) -> bool {
        self.mesh.is_some_and(|m| a.0 < m.hosts && b.0 < m.hosts)
    }

    /// Whether `a` and `b` are linked (without creating the link).
    #[inline]
    fn linked(&self, a: HostId, b: HostId) -> bool {
        a == b || self.in_mesh(a, b) || self.edges.contains_key(&(a.0, b.0))
    }

    /// The link between `a` and `b`, created from the mesh rule on first use.
    fn link_index(&mut self, a: HostId, b: HostId) -> Option<EdgeIndex> {
        if a == b {
            return self.loopback.get(a.0 as usize).copied();
        }
        if let Some(&e) = self.edges.get(&(a.0, b.0)) {
            return Some(e);
        }
        let m = self.mesh.filter(|_| self.in_mesh(a, b))?;
        let (lo, hi) = if a.0 < b.0 { (a, b) } else { (b, a) };
        let link = Link { bandwidth: m.bandwidth, ..self.new_link(lo, hi, m.latency, m.loss) };
        Some(self.insert_edge(lo, hi, link))
    }

    /// Sets the bandwidth of the link between `a` and `b` (`None`: unlimited); false if there is
    /// none.
    pub fn set_bandwidth(&mut self, a: HostId, b: HostId, bandwidth: Option<Bandwidth>) -> bool {
        let Some(e) = self.link_index(a, b) else { return false };
        self.graph[e].bandwidth = bandwidth;
        self.shaped |= bandwidth.is_some();
        true
    }

    /// Sets the bandwidth of the links the full-mesh rule creates (call after
    /// [`Network::full_mesh`]; links created already keep theirs).
    pub fn set_mesh_bandwidth(&mut self, bandwidth: Option<Bandwidth>) {
        if let Some(m) = &mut self.mesh {
            m.bandwidth = bandwidth;
            self.shaped |= bandwidth.is_some();
        }
    }

    /// True when some link has a finite bandwidth.
    #[inline]
    pub fn shaped(&self) -> bool {
        self.shaped
    }

    /// The bandwidth of `link` (`None`: unlimited).
    #[inline]
    pub fn bandwidth_on(&self, link: LinkId) -> Option<Bandwidth> {
        self.graph[link.0].bandwidth
    }

    /// A number for `link` and the direction `a` -> `b`, to key per-direction state.
    pub fn direction(&self, link: LinkId, a: HostId, b: HostId) -> u64 {
        (link.0.index() as u64) << 1 | u64::from(a.0 > b.0)
    }

    /// Changes the latency range of an existing link; false if there is none.
    pub fn set_latency(&mut self, a: HostId, b: HostId, latency: DurationRange) -> bool {
        match self.link_index(a, b) {
            Some(e) => {
                self.graph[e].latency = latency;
                true
            }
            None => false,
        }
    }

    /// The link between `a` and `b`, if any.
    pub fn link(&mut self, a: HostId, b: HostId) -> Option<&Link> {
        self.link_index(a, b).map(|e| &self.graph[e])
    }

    /// The host `id`.
    pub fn host(&self, id: HostId) -> &Host {
        &self.graph[NodeIndex::new(id.0 as usize)]
    }

    /// All hosts in creation order.
    pub fn hosts(&self) -> impl Iterator<Item = (HostId, &Host)> {
        self.graph.node_indices().map(|i| (HostId(i.index() as u32), &self.graph[i]))
    }

    /// The host called `name`.
    pub fn host_by_name(&self, name: &str) -> Option<HostId> {
        self.hosts().find(|(_, h)| h.name == name).map(|(id, _)| id)
    }

    /// Number of hosts.
    pub fn host_count(&self) -> usize {
        self.graph.node_count()
    }

    /// The link between `a` and `b`, to pass to [`Network::delay_on`].
    pub fn link_id(&mut self, a: HostId, b: HostId) -> Option<LinkId> {
        self.link_index(a, b).map(LinkId)
    }

    /// The one-way delay of one packet on `link`: a latency draw, plus one retransmission timeout
    /// if the packet is lost.
    #[inline(always)]
    pub fn delay_on(&mut self, link: LinkId) -> Duration {
        let link = &mut self.graph[link.0];
        let lat = link.rng.between(link.latency.lo.as_micros(), link.latency.hi.as_micros());
        let lost = link.rng.chance(link.loss);
        Duration::from_micros(lat) + if lost { RTO_MIN } else { Duration::ZERO }
    }

    /// The one-way delay of one packet from `a` to `b`: a draw from the link's latency range, plus
    /// one retransmission timeout if the packet is lost. `None` when there is no link.
    #[inline]
    pub fn delay(&mut self, a: HostId, b: HostId) -> Option<Duration> {
        self.link_id(a, b).map(|l| self.delay_on(l))
    }

    /// True when some host has a filter rule.
    #[inline]
    pub fn filters_active(&self) -> bool {
        self.rules_installed > 0
    }

    /// True when a packet may fail to pass (a rule exists, or two hosts have no link): only then
    /// does TCP need its slow path.
    #[inline]
    pub fn slow_path(&self) -> bool {
        self.rules_installed > 0 || self.missing > 0 || self.hosts_down > 0
    }

    /// Marks `host` as without power (`true`) or back on (`false`): while it is down, every
    /// packet from or to it vanishes, as under DROP, and nothing on it answers.
    pub fn set_host_down(&mut self, host: HostId, down: bool) {
        let slot = &mut self.down[host.0 as usize];
        if *slot != down {
            *slot = down;
            self.hosts_down = if down { self.hosts_down + 1 } else { self.hosts_down - 1 };
        }
    }

    /// True while `host` is without power.
    #[inline]
    pub fn host_down(&self, host: HostId) -> bool {
        self.hosts_down > 0 && self.down[host.0 as usize]
    }

    /// Links that exist now: one loopback per host, the pairs linked one by one, and the mesh
    /// pairs a packet has used so far.
    pub fn links_created(&self) -> usize {
        self.graph.edge_count()
    }

    /// Pairs of distinct hosts with no link between them.
    fn missing_links(&self) -> usize {
        let n = self.graph.node_count();
        let meshed = self.mesh.map_or(0, |m| m.hosts as usize);
        let pairs = |k: usize| k * k.saturating_sub(1) / 2;
        pairs(n) - pairs(meshed) - self.explicit_pairs
    }

    /// What the filters (and the graph) do to `p`.
    #[inline]
    pub fn verdict(&self, p: &Packet) -> Verdict {
        if !self.linked(p.src, p.dst) {
            return Verdict::Dropped;
        }
        if self.host_down(p.src) || self.host_down(p.dst) {
            return Verdict::Dropped;
        }
        if self.rules_installed == 0 {
            return Verdict::Pass;
        }
        let out = self.filters[p.src.0 as usize].evaluate(Chain::Output, p);
        let target = match out {
            Some(Target::Accept) | None => self.filters[p.dst.0 as usize].evaluate(Chain::Input, p),
            other => other,
        };
        match target {
            None | Some(Target::Accept) => Verdict::Pass,
            Some(Target::Drop) => Verdict::Dropped,
            Some(Target::Reject(w)) => Verdict::Rejected(w),
        }
    }

    /// The filter table of `host`.
    pub fn filter(&self, host: HostId) -> &FilterTable {
        &self.filters[host.0 as usize]
    }

    /// Applies an iptables command to `host`'s filter table.
    pub fn apply_filter(&mut self, host: HostId, cmd: &FilterCommand) -> Result<(), FilterError> {
        let table = &mut self.filters[host.0 as usize];
        let before = table.len();
        table.apply(cmd)?;
        self.rules_installed = self.rules_installed + table.len() - before;
        Ok(())
    }

    /// Removes every rule on every host.
    pub fn heal(&mut self) {
        for t in &mut self.filters {
            *t = FilterTable::default();
        }
        self.rules_installed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse_command;

    fn net3() -> Network {
        let mut n = Network::new(1);
        for h in ["a", "b", "c"] {
            n.add_host(h, DurationRange::exactly(Duration::from_micros(10)));
        }
        n.full_mesh("1ms..5ms".parse().unwrap(), Probability::NEVER);
        n
    }

    #[test]
    fn full_mesh_and_loopback() {
        let mut n = net3();
        for a in 0..3 {
            for b in 0..3 {
                let d = n.delay(HostId(a), HostId(b)).unwrap();
                if a == b {
                    assert_eq!(d, Duration::from_micros(10));
                } else {
                    assert!((1000..=5000).contains(&d.as_micros()));
                }
            }
        }
    }

    #[test]
    fn missing_link_drops() {
        let mut n = Network::new(1);
        let a = n.add_host("a", DurationRange::exactly(Duration::ZERO));
        let b = n.add_host("b", DurationRange::exactly(Duration::ZERO));
        assert_eq!(n.verdict(&Packet { src: a, dst: b, sport: 1, dport: 2 }), Verdict::Dropped);
        assert!(n.delay(a, b).is_none());
        assert!(n.slow_path());
        n.full_mesh(DurationRange::exactly(Duration::ZERO), Probability::NEVER);
        assert!(!n.slow_path());
    }

    #[test]
    fn rules_are_counted_and_healed() {
        let mut n = net3();
        let resolve =
            |s: &str| ["a", "b", "c"].iter().position(|h| *h == s).map(|i| HostId(i as u32));
        let cmd = parse_command("-A INPUT -s a -j DROP", &resolve).unwrap();
        n.apply_filter(HostId(2), &cmd).unwrap();
        assert!(n.filters_active());
        let p = Packet { src: HostId(0), dst: HostId(2), sport: 1, dport: 2 };
        assert_eq!(n.verdict(&p), Verdict::Dropped);
        assert_eq!(n.verdict(&Packet { src: HostId(2), dst: HostId(0), ..p }), Verdict::Pass);
        n.apply_filter(HostId(2), &parse_command("-F", &resolve).unwrap()).unwrap();
        assert!(!n.filters_active());
        n.apply_filter(HostId(1), &cmd).unwrap();
        n.heal();
        assert!(!n.filters_active());
        assert_eq!(n.verdict(&p), Verdict::Pass);
    }

    #[test]
    fn a_large_mesh_stores_only_the_links_in_use() {
        let mut n = Network::new(7);
        let hosts = 10_000;
        for i in 0..hosts {
            n.add_host(&format!("h{i}"), DurationRange::exactly(Duration::ZERO));
        }
        n.full_mesh("1ms..2ms".parse().unwrap(), Probability::NEVER);
        assert_eq!(n.links_created(), hosts, "one loopback per host, no pair yet");
        assert!(!n.slow_path(), "the mesh rule links every pair");
        n.delay(HostId(3), HostId(9_999)).unwrap();
        n.delay(HostId(9_999), HostId(3)).unwrap();
        assert_eq!(n.links_created(), hosts + 1, "both directions share one link");
    }

    #[test]
    fn a_link_created_late_draws_what_an_early_one_does() {
        let delays = |warm_up: bool| {
            let mut n = net3();
            if warm_up {
                n.delay(HostId(0), HostId(1)).unwrap();
            }
            (0..5).map(|_| n.delay(HostId(2), HostId(1)).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(delays(false), delays(true));
    }

    #[test]
    fn an_explicit_link_outside_the_mesh_is_counted() {
        let mut n = net3();
        let d = n.add_host("d", DurationRange::exactly(Duration::ZERO));
        assert!(n.slow_path(), "d was added after the mesh: three pairs unlinked");
        for other in 0..3 {
            n.connect(d, HostId(other), DurationRange::exactly(Duration::ZERO), Probability::NEVER);
        }
        assert!(!n.slow_path());
    }

    #[test]
    fn a_host_without_power_drops_everything_from_and_to_it() {
        let mut n = net3();
        let p = |a: u32, b: u32| Packet { src: HostId(a), dst: HostId(b), sport: 1, dport: 2 };
        n.set_host_down(HostId(1), true);
        assert!(n.slow_path());
        assert_eq!(n.verdict(&p(0, 1)), Verdict::Dropped);
        assert_eq!(n.verdict(&p(1, 2)), Verdict::Dropped);
        assert_eq!(n.verdict(&p(0, 2)), Verdict::Pass);
        n.set_host_down(HostId(1), true);
        n.set_host_down(HostId(1), false);
        assert!(!n.slow_path(), "one power-on undoes any number of power losses");
        assert_eq!(n.verdict(&p(0, 1)), Verdict::Pass);
    }
}
