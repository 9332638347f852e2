//! The kernel's TCP rules under faults, tested directly: they decide which writes reach a replica
//! during a one-way cut (reference/tcp-under-filters.md).

mod common;

use common::*;
use sim::filter::parse_command;
use sim::{CloseReason, ConnectError, Duration, HostId, Instant, ProcessId};

fn ms(v: u64) -> Instant {
    Instant::from_millis(v)
}

fn resolve(name: &str) -> Option<HostId> {
    name.strip_prefix('h').and_then(|n| n.parse().ok()).map(HostId)
}

fn rule(w: &mut sim::World<Chatter>, host: u32, line: &str) {
    w.iptables(HostId(host), &parse_command(line, &resolve).unwrap()).unwrap();
}

fn notes_of(w: &sim::World<Chatter>, pid: u32) -> Vec<(Instant, Note)> {
    w.notes().iter().filter(|n| n.pid == ProcessId(pid)).map(|n| (n.at, n.note.clone())).collect()
}

/// Two hosts; h0 connects to h1 and sends every 10 ms; latency 1 ms exactly.
fn pair() -> sim::World<Chatter> {
    let mut w = world(1, 2, &[vec![1], vec![]], Duration::from_millis(10), "1ms");
    start_all(&mut w);
    w.run_until(ms(100));
    w
}

#[test]
fn connect_to_a_dead_process_is_refused_at_once() {
    let mut w = world(1, 2, &[vec![1], vec![]], Duration::from_millis(10), "1ms");
    w.start(ProcessId(0)); // h1's process never starts
    w.run_until(ms(5));
    let notes = notes_of(&w, 0);
    let failed: Vec<_> =
        notes.iter().filter(|(_, n)| matches!(n, Note::ConnectFailed(..))).collect();
    // SYN out (1 ms), RST back (1 ms).
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, ms(2));
    assert!(matches!(failed[0].1, Note::ConnectFailed(_, ConnectError::Refused)));
}

#[test]
fn a_killed_peers_connections_end_at_once_and_reconnects_are_refused() {
    let mut w = pair();
    w.kill(ProcessId(1));
    w.run_until(ms(150));
    let notes = notes_of(&w, 0);
    let closed: Vec<_> = notes.iter().filter(|(_, n)| matches!(n, Note::Closed(..))).collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].0, ms(101), "the FIN takes one latency");
    assert!(matches!(closed[0].1, Note::Closed(_, CloseReason::Eof)));
    let refused = notes
        .iter()
        .filter(|(_, n)| matches!(n, Note::ConnectFailed(_, ConnectError::Refused)))
        .count();
    assert!(refused >= 3, "the chatter reconnects every tick and is refused each time: {refused}");
    let got_after_kill =
        received(&w, ProcessId(1)).into_iter().filter(|(t, ..)| *t > ms(100)).count();
    assert_eq!(got_after_kill, 0, "a dead process receives nothing");
}

#[test]
fn a_dropped_syn_is_retried_on_the_kernels_schedule() {
    let mut w = world(1, 2, &[vec![1], vec![]], Duration::from_millis(10), "1ms");
    w.start(ProcessId(1));
    rule(&mut w, 1, "-A INPUT -s h0 -j DROP");
    w.start(ProcessId(0));
    // Heal at 4.5 s: the connect completes at the next SYN retransmission, 5 s after the first.
    w.run_until(Instant::from_micros(4_500_000));
    assert!(!notes_of(&w, 0).iter().any(|(_, n)| matches!(n, Note::Connected(_))));
    w.heal();
    w.run_until(ms(6000));
    let connected: Vec<_> =
        notes_of(&w, 0).into_iter().filter(|(_, n)| matches!(n, Note::Connected(_))).collect();
    assert_eq!(connected.len(), 1);
    assert_eq!(connected[0].0, ms(5002), "SYN at 5 s, 1 ms each way");
}

#[test]
fn a_connect_that_never_gets_through_times_out_after_131_seconds() {
    let mut w = world(1, 2, &[vec![1], vec![]], Duration::ZERO, "1ms");
    w.start(ProcessId(1));
    rule(&mut w, 0, "-A OUTPUT -d h1 -j DROP");
    w.start(ProcessId(0));
    w.run_until(Instant::from_millis(200_000));
    let failed: Vec<_> =
        notes_of(&w, 0).into_iter().filter(|(_, n)| matches!(n, Note::ConnectFailed(..))).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, ms(131_000));
    assert!(matches!(failed[0].1, Note::ConnectFailed(_, ConnectError::TimedOut)));
}

#[test]
fn reject_refuses_a_connect_at_once() {
    let mut w = world(1, 2, &[vec![1], vec![]], Duration::ZERO, "1ms");
    w.start(ProcessId(1));
    rule(&mut w, 1, "-A INPUT -p tcp --dport 5000 -j REJECT");
    w.start(ProcessId(0));
    w.run_until(ms(10));
    let notes = notes_of(&w, 0);
    assert!(notes.iter().any(|(t, n)| *t <= ms(2) && matches!(n, Note::ConnectFailed(_, ConnectError::Refused))));
}

#[test]
fn dropped_data_is_held_and_flows_in_order_at_the_first_retransmission_after_the_heal() {
    let mut w = pair();
    let before = received(&w, ProcessId(1)).len();
    rule(&mut w, 1, "-A INPUT -s h0 -j DROP");
    w.run_until(ms(1_000));
    assert_eq!(received(&w, ProcessId(1)).len(), before, "nothing gets through the cut");
    w.heal();
    w.run_until(ms(3_000));
    let got = received(&w, ProcessId(1));
    // The first message after the cut was sent at 100 ms: retransmissions at 300, 700, 1500 ms.
    let released: Vec<_> = got
        .iter()
        .filter(|(_, _, m)| m.sent_at_us >= 100_000 && m.sent_at_us < 1_000_000)
        .collect();
    assert!(released.iter().all(|(t, ..)| *t == ms(1_501)), "released together at 1.5 s + latency");
    assert_eq!(released.len(), 90);
    let seqs: Vec<u32> = got.iter().map(|(_, _, m)| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>(), "in order, once, nothing lost");
}

#[test]
fn a_cut_of_only_the_acknowledgements_stalls_the_sender_after_one_retransmission_timeout() {
    let mut w = pair();
    // h0 sends; h0 stops hearing from h1 (its ACKs are dropped), h1 still hears h0.
    rule(&mut w, 0, "-A INPUT -s h1 -j DROP");
    w.run_until(ms(2_000));
    let got = received(&w, ProcessId(1));
    let after_cut: Vec<u64> =
        got.iter().map(|(_, _, m)| m.sent_at_us).filter(|&s| s >= 100_000).collect();
    // The first unacknowledged message left at 100 ms; those sent up to 300 ms still arrive.
    assert_eq!(after_cut, (10..=30).map(|k| k * 10_000).collect::<Vec<_>>());
    w.heal();
    w.run_until(ms(5_000));
    let seqs: Vec<u32> = received(&w, ProcessId(1)).iter().map(|(_, _, m)| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
    assert!(seqs.len() > 400);
}

#[test]
fn the_field_reports_sport_rule_cuts_replies_from_that_port_only() {
    // h0 connects to h1:5000 and h1 connects to h0:5000. On h0, drop packets with source port
    // 5000: h1's replies on h0's own connection (source port 5000 = the server's port) are cut,
    // while h1's data on its own connection to h0 (source port ephemeral) passes.
    let mut w = world(1, 2, &[vec![1], vec![0]], Duration::from_millis(10), "1ms");
    start_all(&mut w);
    w.run_until(ms(100));
    rule(&mut w, 0, "-A INPUT -p tcp --sport 5000 -j DROP");
    let before0 = received(&w, ProcessId(0)).len();
    w.run_until(ms(1_000));
    let got0 = received(&w, ProcessId(0));
    assert!(got0.len() > before0 + 80, "h1's messages on its own connection still arrive at h0");
    // h0's messages to h1 reach h1 for one RTO, then stall: their ACKs come from port 5000.
    let got1: Vec<u64> = received(&w, ProcessId(1))
        .iter()
        .map(|(_, _, m)| m.sent_at_us)
        .filter(|&s| s >= 100_000)
        .collect();
    assert!(got1.iter().all(|&s| s <= 300_000), "{got1:?}");
}

#[test]
fn pause_queues_inputs_and_resume_delivers_them_in_a_burst() {
    let mut w = pair();
    w.pause(ProcessId(1), Some(Duration::from_millis(500)));
    w.run_until(ms(599));
    assert!(received(&w, ProcessId(1)).iter().all(|(t, ..)| *t <= ms(100)));
    w.run_until(ms(601));
    let burst: Vec<_> =
        received(&w, ProcessId(1)).into_iter().filter(|(t, ..)| *t == ms(600)).collect();
    assert_eq!(burst.len(), 50, "everything sent while paused arrives at the resume");
    let seqs: Vec<u32> = received(&w, ProcessId(1)).iter().map(|(_, _, m)| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
}

#[test]
fn a_resumed_process_handles_queued_network_input_before_due_timers() {
    let mut w = pair(); // at 100 ms; h0 sends to h1 every 10 ms
    w.inject(ProcessId(1), |_, ctx| ctx.set_timer(Timer::Named(7), Duration::from_millis(100)));
    w.pause(ProcessId(1), Some(Duration::from_millis(500)));
    w.run_until(ms(700));
    // The timer fell due at 200 ms, before most of the messages queued: still, at the resume
    // (600 ms) every queued message is handled first.
    let at_resume: Vec<Note> =
        notes_of(&w, 1).into_iter().filter(|(t, _)| *t == ms(600)).map(|(_, n)| n).collect();
    let fired = at_resume.iter().position(|n| *n == Note::Fired(7)).expect("the timer fired");
    assert!(fired > 0, "messages came first");
    assert!(at_resume[..fired].iter().all(|n| matches!(n, Note::Got { .. })), "{at_resume:?}");
    assert!(at_resume[fired + 1..].iter().all(|n| !matches!(n, Note::Got { .. })));
}

#[test]
fn timers_fire_in_time_order_and_cancelled_ones_never_fire() {
    let mut w = world(1, 1, &[vec![]], Duration::ZERO, "1ms");
    let pid = ProcessId(0);
    w.start(pid);
    w.inject(pid, |_, ctx| {
        ctx.set_timer(Timer::Named(3), Duration::from_millis(30));
        ctx.set_timer(Timer::Named(1), Duration::from_millis(10));
        ctx.set_timer(Timer::Named(2), Duration::from_millis(20));
        ctx.cancel_timer(Timer::Named(2));
        ctx.set_timer(Timer::Named(1), Duration::from_millis(40)); // replaces the 10 ms one
    });
    w.run_until(ms(100));
    let fired: Vec<_> = notes_of(&w, 0)
        .into_iter()
        .filter_map(|(t, n)| if let Note::Fired(k) = n { Some((t.as_millis(), k)) } else { None })
        .collect();
    assert_eq!(fired, [(30, 3), (40, 1)]);
}

#[test]
fn restart_after_kill_runs_start_again_and_forgets_timers() {
    let mut w = world(1, 1, &[vec![]], Duration::ZERO, "1ms");
    let pid = ProcessId(0);
    w.start(pid);
    w.inject(pid, |_, ctx| ctx.set_timer(Timer::Named(9), Duration::from_millis(50)));
    w.run_until(ms(10));
    w.restart(pid);
    w.run_until(ms(100));
    let notes = notes_of(&w, 0);
    assert_eq!(notes.iter().filter(|(_, n)| *n == Note::Started).count(), 2);
    assert!(!notes.iter().any(|(_, n)| matches!(n, Note::Fired(9))));
}

#[test]
fn a_clock_jump_moves_only_that_process_wall_clock() {
    let mut w = world(1, 2, &[vec![], vec![]], Duration::ZERO, "1ms");
    start_all(&mut w);
    w.clock_jump(ProcessId(0), 30_000_000);
    let mut walls = Vec::new();
    for pid in [ProcessId(0), ProcessId(1)] {
        w.inject(pid, |_, ctx| walls.push(ctx.wall_us()));
    }
    assert_eq!(walls, [30_000_000, 0]);
}

#[test]
fn partition_sugar_is_input_drop_rules() {
    let mut w = world(1, 3, &[vec![], vec![], vec![]], Duration::ZERO, "1ms");
    w.partition(&[vec![HostId(0)], vec![HostId(1), HostId(2)]], false);
    let specs = |w: &sim::World<Chatter>, h: u32| -> Vec<String> {
        w.net()
            .filter(HostId(h))
            .chain(sim::filter::Chain::Input)
            .iter()
            .map(|r| r.spec.clone())
            .collect()
    };
    assert_eq!(specs(&w, 0), ["-s h1,h2 -j DROP"]);
    assert_eq!(specs(&w, 1), ["-s h0 -j DROP"]);
    assert_eq!(specs(&w, 2), ["-s h0 -j DROP"]);
    w.heal();
    w.partition(&[vec![HostId(0)], vec![HostId(1)]], true);
    assert_eq!(specs(&w, 0), Vec::<String>::new());
    assert_eq!(specs(&w, 1), ["-s h0 -j DROP"]);
}

#[test]
fn data_to_a_closed_socket_is_answered_with_a_reset() {
    // h1 accepts and immediately closes every connection; h0 keeps sending until it learns.
    let mut w = pair();
    let conn = notes_of(&w, 1)
        .iter()
        .find_map(|(_, n)| if let Note::Accepted(c) = n { Some(*c) } else { None });
    w.inject(ProcessId(1), |_, ctx| ctx.close(conn.unwrap()));
    w.run_until(ms(200));
    let closes: Vec<_> =
        notes_of(&w, 0).into_iter().filter(|(_, n)| matches!(n, Note::Closed(..))).collect();
    assert_eq!(closes.len(), 1);
    assert!(matches!(closes[0].1, Note::Closed(_, CloseReason::Eof)));
}

#[test]
fn tcp_reset_rejects_reset_the_sender() {
    let mut w = pair();
    rule(&mut w, 1, "-A INPUT -s h0 -j REJECT --reject-with tcp-reset");
    w.run_until(ms(200));
    let closes: Vec<_> =
        notes_of(&w, 0).into_iter().filter(|(_, n)| matches!(n, Note::Closed(..))).collect();
    assert!(matches!(closes.first(), Some((_, Note::Closed(_, CloseReason::Reset)))));
}

#[test]
fn a_busy_step_sends_when_it_is_done_and_inputs_wait_for_it() {
    let mut w = pair(); // at 100 ms; h0 sends to h1 every 10 ms, 1 ms latency
    let peer_conn = notes_of(&w, 1)
        .into_iter()
        .find_map(|(_, n)| if let Note::Accepted(c) = n { Some(c) } else { None })
        .expect("h1 accepted h0's connection");
    w.inject(ProcessId(1), |_, ctx| {
        ctx.send(peer_conn, Msg { from: 1, seq: 1000, sent_at_us: 100_000 });
        ctx.busy(Duration::from_millis(30));
    });
    w.run_until(ms(200));
    // h0 receives the message one latency after the busy step ends, not before.
    let got = notes_of(&w, 0).into_iter().find_map(|(t, n)| match n {
        Note::Got { msg, .. } if msg.seq == 1000 => Some(t),
        _ => None,
    });
    assert_eq!(got, Some(ms(131)));
    // Meanwhile h1 handled nothing; what arrived waited and came in at 130 ms, in order.
    let handled: Vec<Instant> = notes_of(&w, 1)
        .into_iter()
        .filter(|(t, n)| matches!(n, Note::Got { .. }) && *t > ms(100) && *t < ms(131))
        .map(|(t, _)| t)
        .collect();
    assert!(!handled.is_empty() && handled.iter().all(|t| *t == ms(130)), "{handled:?}");
    let seqs: Vec<u32> = received(&w, ProcessId(1)).iter().map(|(_, _, m)| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
}
