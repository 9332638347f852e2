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
use crate::rng::{Probability, Rng};
use crate::time::{Duration, DurationRange};
use petgraph::graph::{EdgeIndex, NodeIndex, UnGraph};

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
#[derive(Clone, Debug)]
pub struct Network {
    graph: UnGraph<Host, Link>,
    /// `edge_of[a * n + b]`: the link between hosts a and b, for O(1) lookups on the hot path.
    edge_of: Vec<Option<EdgeIndex>>,
    filters: Vec<FilterTable>,
    rules_installed: usize,
    /// Pairs of distinct hosts with no link between them.
    missing_links: usize,
    seed: u64,
}

impl Network {
    /// An empty network whose link streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            graph: UnGraph::default(),
            edge_of: Vec::new(),
            filters: Vec::new(),
            rules_installed: 0,
            missing_links: 0,
            seed,
        }
    }

    /// Adds a host with a loopback link of latency `loopback`.
    pub fn add_host(&mut self, name: &str, loopback: DurationRange) -> HostId {
        let idx = self.graph.add_node(Host { name: name.to_string() });
        let id = HostId(idx.index() as u32);
        let n = self.graph.node_count();
        let mut edge_of = vec![None; n * n];
        for a in 0..n - 1 {
            for b in 0..n - 1 {
                edge_of[a * n + b] = self.edge_of[a * (n - 1) + b];
            }
        }
        self.edge_of = edge_of;
        self.filters.push(FilterTable::default());
        self.missing_links += n - 1;
        self.connect(id, id, loopback, Probability::NEVER);
        id
    }

    /// Adds (or replaces) the link between `a` and `b`.
    pub fn connect(&mut self, a: HostId, b: HostId, latency: DurationRange, loss: Probability) {
        let name = format!("link/{}/{}", self.host(a).name, self.host(b).name);
        let link = Link { latency, loss, rng: Rng::stream(self.seed, &name) };
        if a != b && self.link_index(a, b).is_none() {
            self.missing_links -= 1;
        }
        let (na, nb) = (NodeIndex::new(a.0 as usize), NodeIndex::new(b.0 as usize));
        let e = self.graph.update_edge(na, nb, link);
        let n = self.graph.node_count();
        self.edge_of[a.0 as usize * n + b.0 as usize] = Some(e);
        self.edge_of[b.0 as usize * n + a.0 as usize] = Some(e);
    }

    /// Links every pair of distinct hosts that has no link yet.
    pub fn full_mesh(&mut self, latency: DurationRange, loss: Probability) {
        let n = self.graph.node_count() as u32;
        for a in 0..n {
            for b in a + 1..n {
                if self.link_index(HostId(a), HostId(b)).is_none() {
                    self.connect(HostId(a), HostId(b), latency, loss);
                }
            }
        }
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

    #[inline]
    fn link_index(&self, a: HostId, b: HostId) -> Option<EdgeIndex> {
        let n = self.graph.node_count();
        self.edge_of.get(a.0 as usize * n + b.0 as usize).copied().flatten()
    }

    /// The link between `a` and `b`, if any.
    pub fn link(&self, a: HostId, b: HostId) -> Option<&Link> {
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
    pub fn link_id(&self, a: HostId, b: HostId) -> Option<LinkId> {
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
        self.rules_installed > 0 || self.missing_links > 0
    }

    /// What the filters (and the graph) do to `p`.
    #[inline]
    pub fn verdict(&self, p: &Packet) -> Verdict {
        if self.link_index(p.src, p.dst).is_none() {
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
}
