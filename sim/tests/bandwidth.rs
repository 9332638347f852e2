//! Links with a finite bandwidth: a message takes its latency plus its size over the rate, and
//! connections on one link share the rate (processor sharing).

mod common;

use common::*;
use sim::{Addr, Bandwidth, Duration, DurationRange, HostId, Instant, Network, Probability};
use sim::{ProcessId, World};

/// h0 opens one connection to h1 per entry of `conns` (all to h1's chatter) and sends on each
/// every 10 ms; links of 1 ms latency, `bandwidth` on the mesh.
fn shaped(conns: usize, bandwidth: Option<&str>) -> World<Chatter> {
    let mut net = Network::new(3);
    let h: Vec<HostId> = (0..2)
        .map(|i| net.add_host(&format!("h{i}"), DurationRange::exactly(Duration::ZERO)))
        .collect();
    net.full_mesh("1ms".parse().unwrap(), Probability::NEVER);
    net.set_mesh_bandwidth(bandwidth.map(|b| b.parse::<Bandwidth>().unwrap()));
    let mut w = World::new(net, 3);
    let peers = vec![Addr::new(h[1], PORT); conns];
    w.add_process(h[0], Some(PORT), "h0", Chatter::new(0, peers, Duration::from_millis(10)));
    w.add_process(h[1], Some(PORT), "h1", Chatter::new(1, Vec::new(), Duration::ZERO));
    start_all(&mut w);
    w.run_until(Instant::from_millis(25));
    w
}

/// Arrival of each message at h1, minus its sending time, in microseconds.
fn transit(w: &World<Chatter>) -> Vec<u64> {
    received(w, ProcessId(1)).iter().map(|(at, _, m)| at.as_micros() - m.sent_at_us).collect()
}

#[test]
fn unlimited_links_take_their_latency_alone() {
    assert_eq!(transit(&shaped(1, None)), [1_000, 1_000]);
}

#[test]
fn a_transfer_takes_latency_plus_size_over_bandwidth() {
    // 125 kB at 1 Gbit/s: 1 ms on the wire, then 1 ms of latency.
    assert_eq!(transit(&shaped(1, Some("1Gbit"))), [2_000, 2_000]);
    // At 100 Mbit/s: 10 ms, so the second message waits for the first to leave.
    let w = shaped(1, Some("100Mbit"));
    assert_eq!(transit(&w), [11_000]);
}

#[test]
fn two_connections_on_one_link_share_it() {
    // Both send 125 kB at the same instant: each gets half the rate, both leave after 2 ms.
    assert_eq!(transit(&shaped(2, Some("1Gbit"))), [3_000, 3_000, 3_000, 3_000]);
}
