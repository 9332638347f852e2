//! Properties of the kernel over randomly generated small actor systems and fault schedules.
//! Case counts are bounded so CI stays fast; failures shrink to a minimal schedule.

mod common;

use common::*;
use proptest::prelude::*;
use sim::filter::{Chain, FilterCommand, InstalledRule, PortRange, Rule, Target};
use sim::{
    CloseReason, ConnId, ConnectError, Duration, HostId, Instant, ProcessId, TraceLevel, World,
};
use std::collections::BTreeMap;

/// A fault applied at a time (milliseconds).
#[derive(Clone, Debug)]
enum Fault {
    Kill(usize),
    Restart(usize),
    Pause(usize, u64),
    Partition(Vec<usize>),
    OneWay(Vec<usize>),
    Heal,
}

fn fault(hosts: usize) -> impl Strategy<Value = Fault> {
    let set = proptest::collection::vec(0..hosts, 1..=hosts);
    prop_oneof![
        (0..hosts).prop_map(Fault::Kill),
        (0..hosts).prop_map(Fault::Restart),
        (0..hosts, 10u64..800).prop_map(|(h, d)| Fault::Pause(h, d)),
        set.clone().prop_map(Fault::Partition),
        set.prop_map(Fault::OneWay),
        Just(Fault::Heal),
    ]
}

#[derive(Clone, Debug)]
struct System {
    seed: u64,
    hosts: usize,
    peers: Vec<Vec<usize>>,
    latency_hi_us: u64,
    faults: Vec<(u64, Fault)>,
}

fn system() -> impl Strategy<Value = System> {
    (2usize..=4).prop_flat_map(|hosts| {
        let peers = proptest::collection::vec(proptest::collection::vec(0..hosts, 0..=3), hosts);
        let faults = proptest::collection::vec((0u64..3_000, fault(hosts)), 0..6);
        (any::<u64>(), Just(hosts), peers, 200u64..20_000, faults).prop_map(
            |(seed, hosts, mut peers, latency_hi_us, mut faults)| {
                for (i, p) in peers.iter_mut().enumerate() {
                    p.retain(|&j| j != i);
                    p.sort();
                    p.dedup();
                }
                faults.sort_by_key(|f| f.0);
                System { seed, hosts, peers, latency_hi_us, faults }
            },
        )
    })
}

fn apply(w: &mut World<Chatter>, f: &Fault, hosts: usize) {
    let groups = |set: &Vec<usize>| -> Vec<Vec<HostId>> {
        let inside: Vec<HostId> = set.iter().map(|&h| HostId(h as u32)).collect();
        let outside: Vec<HostId> =
            (0..hosts).filter(|h| !set.contains(h)).map(|h| HostId(h as u32)).collect();
        vec![inside, outside]
    };
    match f {
        Fault::Kill(h) => w.kill(ProcessId(*h as u32)),
        Fault::Restart(h) => w.restart(ProcessId(*h as u32)),
        Fault::Pause(h, d) => w.pause(ProcessId(*h as u32), Some(Duration::from_millis(*d))),
        Fault::Partition(set) => w.partition(&groups(set), false),
        Fault::OneWay(set) => w.partition(&groups(set), true),
        Fault::Heal => w.heal(),
    }
}

/// Runs the system for 4 s of virtual time, optionally tracing into a buffer.
fn run(s: &System, trace: Option<&SharedBuf>) -> World<Chatter> {
    let latency = format!("100us..{}us", s.latency_hi_us);
    let mut w = world(s.seed, s.hosts, &s.peers, Duration::from_millis(7), &latency);
    if let Some(buf) = trace {
        w.trace_to(
            Box::new(buf.clone()),
            TraceLevel::Messages,
            "test".into(),
            serde_json::Value::Null,
        )
        .unwrap();
    }
    start_all(&mut w);
    for (at, f) in &s.faults {
        w.run_until(Instant::from_millis(*at));
        apply(&mut w, f, s.hosts);
    }
    w.run_until(Instant::from_millis(4_000));
    w.finish_trace().unwrap();
    w
}

/// Messages received per (receiving process, receiving end), in arrival order.
fn per_connection(w: &World<Chatter>) -> BTreeMap<(ProcessId, ConnId), Vec<(Instant, Msg)>> {
    let mut m: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for n in w.notes() {
        if let Note::Got { conn, msg } = n.note {
            m.entry((n.pid, conn)).or_default().push((n.at, msg));
        }
    }
    m
}

/// Messages sent per sending end.
fn sent(w: &World<Chatter>) -> BTreeMap<ConnId, Vec<Msg>> {
    let mut m: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for n in w.notes() {
        if let Note::Sent { conn, msg } = n.note {
            m.entry(conn).or_default().push(msg);
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Same system, same seed: the same trace, byte for byte.
    #[test]
    fn same_seed_gives_an_identical_trace(s in system()) {
        let (a, b) = (SharedBuf::default(), SharedBuf::default());
        run(&s, Some(&a));
        run(&s, Some(&b));
        prop_assert!(a.0.borrow().len() > 100);
        prop_assert!(*a.0.borrow() == *b.0.borrow());
    }

    /// Under random latency, kills, pauses and partitions, every connection delivers in the order
    /// things were sent, never twice, and only what was sent on it.
    #[test]
    fn connections_deliver_in_order_once(s in system()) {
        let w = run(&s, None);
        let sent = sent(&w);
        for ((_, conn), got) in per_connection(&w) {
            let on_wire = &sent[&conn.peer()];
            let seqs: Vec<u32> = got.iter().map(|(_, m)| m.seq).collect();
            prop_assert!(seqs.windows(2).all(|p| p[0] < p[1]), "out of order or duplicated: {:?}", seqs);
            // What arrived is a prefix of what was sent, except messages lost with a dead socket.
            for (_, m) in &got {
                prop_assert!(on_wire.contains(m));
            }
            for (at, m) in &got {
                prop_assert!(at.as_micros() >= m.sent_at_us);
            }
        }
    }

    /// With no faults at all, everything sent more than one maximum latency before the end arrives.
    #[test]
    fn without_faults_nothing_is_lost(mut s in system()) {
        s.faults.clear();
        let w = run(&s, None);
        let got = per_connection(&w);
        for (conn, msgs) in sent(&w) {
            let arrived: Vec<Msg> = got.iter().filter(|((_, c), _)| *c == conn.peer()).flat_map(|(_, v)| v.iter().map(|x| x.1)).collect();
            let expected: Vec<Msg> = msgs.into_iter().filter(|m| m.sent_at_us + s.latency_hi_us < 4_000_000).collect();
            prop_assert_eq!(&arrived[..expected.len()], &expected[..]);
        }
    }
}

/// A rule over the chatters' traffic: all connections go from an ephemeral port to port 5000.
#[derive(Clone, Debug)]
struct DropRule {
    host: usize,
    chain: Chain,
    src: Option<usize>,
    dst: Option<usize>,
    /// Some(true): `--sport 5000`; Some(false): `--dport 5000`.
    port: Option<bool>,
}

impl DropRule {
    /// Does a packet from `src` to `dst`, leaving from port 5000 if `from_server`, match?
    fn matches(&self, src: usize, dst: usize, from_server: bool) -> bool {
        let on_host = match self.chain {
            Chain::Input => dst == self.host,
            Chain::Output => src == self.host,
        };
        on_host
            && self.src.is_none_or(|h| h == src)
            && self.dst.is_none_or(|h| h == dst)
            && self.port.is_none_or(|sport| sport == from_server)
    }

    fn command(&self) -> FilterCommand {
        let r = PortRange { lo: 5000, hi: 5000 };
        let rule = Rule {
            src: self.src.map(|h| vec![HostId(h as u32)]),
            dst: self.dst.map(|h| vec![HostId(h as u32)]),
            tcp: self.port.is_some(),
            sport: self.port.filter(|&s| s).map(|_| r),
            dport: self.port.filter(|&s| !s).map(|_| r),
            target: Target::Drop,
        };
        FilterCommand::Append(self.chain, InstalledRule { rule, spec: format!("{self:?}") })
    }
}

fn drop_rule(hosts: usize) -> impl Strategy<Value = DropRule> {
    (
        0..hosts,
        prop_oneof![Just(Chain::Input), Just(Chain::Output)],
        proptest::option::of(0..hosts),
        proptest::option::of(0..hosts),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(host, chain, src, dst, port)| DropRule { host, chain, src, dst, port })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A DROP rule drops exactly the matching packets and nothing else: connections it does not
    /// match lose nothing; on those whose data it matches nothing sent after it arrives; on those
    /// whose acknowledgements it matches, nothing sent more than one RTO after the first
    /// unacknowledged message arrives.
    #[test]
    fn a_drop_rule_drops_exactly_the_matching_packets(
        (s, rule) in system().prop_flat_map(|s| { let h = s.hosts; (Just(s), drop_rule(h)) }),
        at_ms in 100u64..2_000,
    ) {
        let mut s = s;
        s.faults.clear();
        let latency = format!("100us..{}us", s.latency_hi_us);
        let mut w = world(s.seed, s.hosts, &s.peers, Duration::from_millis(7), &latency);
        start_all(&mut w);
        w.run_until(Instant::from_millis(at_ms));
        w.iptables(HostId(rule.host as u32), &rule.command()).unwrap();
        let end = 4_000_000u64;
        w.run_until(Instant::from_micros(end));
        let cut = at_ms * 1000;
        // Who dialled whom: connector end -> (sender host, receiver host).
        let mut dial: BTreeMap<ConnId, (usize, usize)> = BTreeMap::new();
        for n in w.notes() {
            if let Note::Dialing { conn, to } = n.note {
                dial.insert(conn, (n.pid.0 as usize, to as usize));
            }
        }
        let got = per_connection(&w);
        for (conn, msgs) in sent(&w) {
            let (src, dst) = dial[&conn];
            let data = rule.matches(src, dst, false);
            let ack = rule.matches(dst, src, true);
            let arrived: Vec<Msg> = got.get(&(ProcessId(dst as u32), conn.peer())).map(|v| v.iter().map(|x| x.1).collect()).unwrap_or_default();
            if !data && !ack {
                let expected: Vec<Msg> = msgs.into_iter().filter(|m| m.sent_at_us + s.latency_hi_us < end).collect();
                prop_assert_eq!(&arrived[..expected.len()], &expected[..], "an unmatched connection lost messages");
            } else if data {
                prop_assert!(arrived.iter().all(|m| m.sent_at_us < cut), "a dropped message arrived");
            } else {
                let first = msgs.iter().map(|m| m.sent_at_us).find(|&t| t >= cut);
                if let Some(first) = first {
                    prop_assert!(arrived.iter().all(|m| m.sent_at_us <= first + 200_000), "sent after the stall but arrived");
                }
            }
        }
    }

    /// Under a one-way cut, nothing sent after the stall point arrives before the heal; after it,
    /// everything arrives, in order and once.
    #[test]
    fn a_one_way_cut_holds_then_delivers_everything_in_order(
        seed in any::<u64>(),
        latency_hi_us in 200u64..10_000,
        cut_ms in 50u64..1_000,
        heal_after_ms in 1u64..3_000,
        acks in any::<bool>(),
    ) {
        let latency = format!("100us..{latency_hi_us}us");
        let mut w = world(seed, 2, &[vec![1], vec![]], Duration::from_millis(5), &latency);
        start_all(&mut w);
        w.run_until(Instant::from_millis(cut_ms));
        // Data cut: h1 drops what h0 sends. Acknowledgement cut: h0 drops what h1 sends.
        let (on, from) = if acks { (0, 1) } else { (1, 0) };
        w.partition(&[vec![HostId(from)], vec![HostId(on)]], true);
        let heal = cut_ms + heal_after_ms;
        w.run_until(Instant::from_millis(heal));
        let before_heal = received(&w, ProcessId(1));
        w.heal();
        w.run_until(Instant::from_millis(heal + 130_000));
        let cut = cut_ms * 1000;
        let first_after_cut = sent(&w).values().flatten().map(|m| m.sent_at_us).find(|&t| t >= cut);
        let stall = match (acks, first_after_cut) {
            (true, Some(f)) => f + 200_000,
            (false, Some(_)) => cut,
            (_, None) => u64::MAX,
        };
        for (_, _, m) in &before_heal {
            prop_assert!(m.sent_at_us < stall || (acks && m.sent_at_us <= stall), "sent at {} after the stall point {} but arrived before the heal", m.sent_at_us, stall);
        }
        let all: Vec<u32> = received(&w, ProcessId(1)).iter().map(|(_, _, m)| m.seq).collect();
        let sent_n = sent(&w).values().map(|v| v.len()).sum::<usize>();
        let expected: Vec<u32> = (1..=all.len() as u32).collect();
        prop_assert_eq!(&all, &expected, "in order, once");
        // Everything sent before the last 20 ms (latency margin) arrived.
        prop_assert!(all.len() + 5 >= sent_n, "{} of {} arrived", all.len(), sent_n);
    }

    /// A killed process receives nothing and its peers' connects are refused until it restarts.
    #[test]
    fn a_killed_process_receives_nothing_and_peers_see_refusals(
        s in system(),
        kill_ms in 100u64..2_000,
        victim in 0usize..4,
    ) {
        let mut s = s;
        s.faults.clear();
        let victim = victim % s.hosts;
        let latency = format!("100us..{}us", s.latency_hi_us);
        let mut w = world(s.seed, s.hosts, &s.peers, Duration::from_millis(7), &latency);
        start_all(&mut w);
        w.run_until(Instant::from_millis(kill_ms));
        w.kill(ProcessId(victim as u32));
        w.run_until(Instant::from_millis(4_000));
        let kill = kill_ms * 1000;
        let margin = s.latency_hi_us * 2;
        let mut to_victim: BTreeMap<ConnId, u64> = BTreeMap::new();
        for n in w.notes() {
            prop_assert!(!(n.pid.0 as usize == victim && n.at.as_micros() > kill), "the dead process acted");
            match n.note {
                Note::Dialing { conn, to } if to as usize == victim => { to_victim.insert(conn, n.at.as_micros()); }
                Note::Connected(c) => {
                    if let Some(&dialled) = to_victim.get(&c) {
                        prop_assert!(dialled < kill, "a connect issued after the kill succeeded");
                    }
                }
                Note::ConnectFailed(c, e) if to_victim.get(&c).is_some_and(|&d| d > kill) => {
                    prop_assert_eq!(e, ConnectError::Refused);
                    prop_assert!(n.at.as_micros() <= to_victim[&c] + margin, "refused late");
                }
                _ => {}
            }
        }
        // Every connection to the victim that was up at the kill ended with end-of-file.
        for n in w.notes() {
            if let Note::Connected(c) = n.note {
                if to_victim.get(&c).is_some_and(|&d| d < kill) {
                    let closed = w.notes().iter().any(|m| m.note == Note::Closed(c, CloseReason::Eof) && m.at.as_micros() <= kill + margin);
                    prop_assert!(closed, "a peer was not told of the kill");
                }
            }
        }
    }

    /// Timers fire in time order (ties in the order they were set), replaced timers fire at
    /// their new time only, and cancelled timers never fire.
    #[test]
    fn timers_fire_in_order_and_cancelled_ones_never(
        ops in proptest::collection::vec((0u64..500, 0u32..6, proptest::option::of(0u64..300)), 1..40),
    ) {
        let mut w = world(1, 1, &[vec![]], Duration::ZERO, "1ms");
        let pid = ProcessId(0);
        w.start(pid);
        let mut ops = ops;
        ops.sort_by_key(|o| o.0);
        // The model: name -> (fire time, order of setting).
        let mut pending: BTreeMap<u32, (u64, usize)> = BTreeMap::new();
        let mut expected: Vec<(u64, usize, u32)> = Vec::new();
        for (i, &(at, name, delay)) in ops.iter().enumerate() {
            w.run_until(Instant::from_millis(at));
            // Timers due strictly before `at` have fired.
            let due: Vec<u32> = pending.iter().filter(|(_, (t, _))| *t < at).map(|(n, _)| *n).collect();
            for n in due {
                let (t, order) = pending.remove(&n).unwrap();
                expected.push((t, order, n));
            }
            w.inject(pid, |_, ctx| match delay {
                Some(d) => ctx.set_timer(Timer::Named(name), Duration::from_millis(d)),
                None => ctx.cancel_timer(Timer::Named(name)),
            });
            match delay {
                Some(d) => { pending.insert(name, (at + d, i)); }
                None => { pending.remove(&name); }
            }
        }
        w.run_until(Instant::from_millis(10_000));
        expected.extend(pending.into_iter().map(|(n, (t, o))| (t, o, n)));
        expected.sort();
        let fired: Vec<(u64, u32)> = w.notes().iter().filter_map(|n| match n.note {
            Note::Fired(k) => Some((n.at.as_millis(), k)),
            _ => None,
        }).collect();
        let want: Vec<(u64, u32)> = expected.into_iter().map(|(t, _, n)| (t, n)).collect();
        prop_assert_eq!(fired, want);
    }
}
