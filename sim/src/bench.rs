//! The kernel benchmark workload, `pingpong`, and its floor.
//!
//! Eight actors on eight hosts in a full mesh; each keeps four requests in flight to random peers;
//! every request is answered; latency uniform in 1..5 ms; no filter rule; tracing off. The floor runs
//! the same traffic pattern through a bare binary heap with no actors and no network model. Both are
//! deterministic; the CLI (`redsim bench kernel`) times them, since nothing in this crate may read a
//! clock.

use crate::actor::{Actor, Ctx, Input};
use crate::ids::{Addr, ConnId, HostId};
use crate::net::Network;
use crate::rng::{Probability, Rng};
use crate::time::{Duration, DurationRange};
use crate::world::World;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Hosts (and actors) in the benchmark.
pub const NODES: u32 = 8;
/// Requests each actor keeps in flight.
pub const IN_FLIGHT: u32 = 4;
/// The listening port of every actor.
const PORT: u16 = 7000;
const LATENCY_LO_US: u64 = 1_000;
const LATENCY_HI_US: u64 = 5_000;

/// A pingpong message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Ping {
    /// A request; the receiver answers it on the same connection.
    Request(u32),
    /// The answer to a request.
    Response(u32),
}

/// One pingpong actor.
pub struct PingPong {
    peers: Vec<Addr>,
    outgoing: Vec<ConnId>,
    connected: usize,
}

impl PingPong {
    fn send_request(&mut self, ctx: &mut Ctx<'_, Ping, (), ()>, tag: u32) {
        let i = ctx.rng().below(self.outgoing.len());
        ctx.send(self.outgoing[i], Ping::Request(tag));
    }
}

impl Actor for PingPong {
    type Msg = Ping;
    type Timer = ();
    type Note = ();

    fn start(&mut self, ctx: &mut Ctx<'_, Ping, (), ()>) {
        self.outgoing = self.peers.iter().map(|&p| ctx.connect(p)).collect();
        self.connected = 0;
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, Ping, (), ()>, input: Input<Ping, ()>) {
        match input {
            Input::Connected(_) => {
                self.connected += 1;
                if self.connected == self.outgoing.len() {
                    for tag in 0..IN_FLIGHT {
                        self.send_request(ctx, tag);
                    }
                }
            }
            Input::Message(conn, Ping::Request(tag)) => ctx.send(conn, Ping::Response(tag)),
            Input::Message(_, Ping::Response(tag)) => self.send_request(ctx, tag),
            Input::Accepted(..)
            | Input::Timer(())
            | Input::ConnectFailed(..)
            | Input::Closed(..) => {}
        }
    }

    fn crash(&mut self) {}
}

/// The benchmark world: eight connected pingpong actors, started. With `partition`, a ninth host
/// with no process is partitioned from the others: every packet then takes the filtered path
/// (sixteen rules installed) although no pingpong packet matches.
pub fn pingpong_world(seed: u64, partition: bool) -> World<PingPong> {
    let mut net = Network::new(seed);
    let hosts: Vec<HostId> = (0..NODES)
        .map(|i| net.add_host(&format!("h{i}"), DurationRange::exactly(Duration::from_micros(20))))
        .collect();
    let isolated =
        partition.then(|| net.add_host("isolated", DurationRange::exactly(Duration::ZERO)));
    let latency = DurationRange::new(
        Duration::from_micros(LATENCY_LO_US),
        Duration::from_micros(LATENCY_HI_US),
    )
    .expect("a valid range");
    net.full_mesh(latency, Probability::NEVER);
    let mut world = World::new(net, seed);
    if let Some(h) = isolated {
        world.partition(&[vec![h], hosts.clone()], false);
    }
    let pids: Vec<_> = hosts
        .iter()
        .map(|&h| {
            let peers = hosts.iter().filter(|&&p| p != h).map(|&p| Addr::new(p, PORT)).collect();
            let actor = PingPong { peers, outgoing: Vec::new(), connected: 0 };
            world.add_process(h, Some(PORT), &format!("h{}:{PORT}", h.0), actor)
        })
        .collect();
    for pid in pids {
        world.start(pid);
    }
    world
}

/// Runs `world` until `messages` more messages have been delivered; returns the number delivered.
pub fn run_pingpong(world: &mut World<PingPong>, messages: u64) -> u64 {
    let target = world.stats().delivered + messages;
    while world.stats().delivered < target && world.step() {}
    world.stats().delivered
}

/// The floor: the same traffic through a bare binary heap (one random stream, no actors, no
/// connections, no FIFO, no filters). Returns a checksum so the work cannot be optimised away.
pub fn floor(messages: u64, seed: u64) -> u64 {
    // (time, seq, from << 32 | to << 1 | is_response)
    let mut heap: BinaryHeap<Reverse<(u64, u64, u64)>> = BinaryHeap::new();
    let mut rng = Rng::stream(seed, "floor");
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, rng: &mut Rng, now: u64, word: u64| {
        let lat = rng.between(LATENCY_LO_US, LATENCY_HI_US);
        heap.push(Reverse((now + lat, seq, word)));
        seq += 1;
    };
    let peer = |rng: &mut Rng, me: u64| {
        let p = rng.between(0, u64::from(NODES) - 2);
        if p >= me { p + 1 } else { p }
    };
    for me in 0..u64::from(NODES) {
        for _ in 0..IN_FLIGHT {
            let to = peer(&mut rng, me);
            push(&mut heap, &mut rng, 0, (me << 32) | (to << 1));
        }
    }
    let mut checksum = 0u64;
    for _ in 0..messages {
        let Reverse((now, _, word)) = heap.pop().expect("traffic never stops");
        checksum = checksum.wrapping_add(now ^ word);
        let (from, to, response) = (word >> 32, (word >> 1) & 0x7fff_ffff, word & 1 == 1);
        let next = if response {
            (to << 32) | (peer(&mut rng, to) << 1)
        } else {
            (to << 32) | (from << 1) | 1
        };
        push(&mut heap, &mut rng, now, next);
    }
    checksum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pingpong_keeps_every_request_answered() {
        let mut w = pingpong_world(1, false);
        assert_eq!(run_pingpong(&mut w, 10_000), 10_000);
        let mut p = pingpong_world(1, true);
        assert!(p.net().filters_active());
        assert_eq!(run_pingpong(&mut p, 10_000), 10_000);
        // 8 actors x 4 requests are always in flight: the queue never drains.
        assert!(w.next_event_time().is_some());
    }

    #[test]
    fn floor_is_deterministic() {
        assert_eq!(floor(10_000, 3), floor(10_000, 3));
        assert_ne!(floor(10_000, 3), floor(10_000, 4));
    }
}
