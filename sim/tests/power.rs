//! A host that loses power: its processes die at once, its sockets vanish without FIN or RST, so
//! peers see silence (timeouts, not refusals) until it boots again and answers with resets.

mod common;

use common::*;
use sim::{CloseReason, ConnectError, Duration, HostId, Instant, ProcessId};

fn ms(v: u64) -> Instant {
    Instant::from_millis(v)
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

fn closes(notes: &[(Instant, Note)]) -> Vec<(Instant, CloseReason)> {
    notes
        .iter()
        .filter_map(|(t, n)| match n {
            Note::Closed(_, r) => Some((*t, *r)),
            _ => None,
        })
        .collect()
}

fn connect_failures(notes: &[(Instant, Note)]) -> Vec<(Instant, ConnectError)> {
    notes
        .iter()
        .filter_map(|(t, n)| match n {
            Note::ConnectFailed(_, e) => Some((*t, *e)),
            _ => None,
        })
        .collect()
}

#[test]
fn peers_of_a_host_without_power_time_out_and_are_never_refused() {
    let mut w = pair();
    let died = w.power_loss(HostId(1), None);
    assert_eq!(died, [ProcessId(1)]);
    assert_eq!(w.state(ProcessId(1)), sim::ProcState::Dead);
    w.run_until(ms(700_000));
    let notes = notes_of(&w, 0);
    assert!(closes(&notes).is_empty(), "no FIN, no RST: the sender keeps retransmitting");
    w.run_until(ms(1_200_000));
    let notes = notes_of(&w, 0);
    let closed = closes(&notes);
    assert_eq!(closed.len(), 1);
    let (at, reason) = closed[0];
    assert_eq!(reason, CloseReason::TimedOut, "tcp_retries2 gave up");
    assert!(at > ms(800_000), "after about 800 s of retransmissions, at {at}");
    let failures = connect_failures(&notes);
    assert!(!failures.is_empty(), "the reconnect gets no answer");
    assert!(failures.iter().all(|(_, e)| *e == ConnectError::TimedOut), "{failures:?}");
    assert_eq!(failures[0].0, at + Duration::from_millis(131_000), "the SYN schedule ran out");
    let received_late = received(&w, ProcessId(1)).into_iter().filter(|(t, ..)| *t > ms(101));
    assert_eq!(received_late.count(), 0);
}

#[test]
fn a_host_that_boots_again_resets_old_connections_and_its_processes_start() {
    let mut w = pair();
    w.power_loss(HostId(1), Some(Duration::from_secs(5)));
    w.run_until(ms(20_000));
    let notes = notes_of(&w, 0);
    let closed = closes(&notes);
    assert_eq!(closed.len(), 1, "{closed:?}");
    let (at, reason) = closed[0];
    assert_eq!(reason, CloseReason::Reset, "the rebooted kernel answers an old segment with RST");
    // The first unanswered send at 0.1 s is retransmitted at 0.3, 0.7, 1.5, 3.1 and 6.3 s: the
    // first after the boot (5.1 s) arrives at 6.301 s and its RST is back at 6.302 s.
    assert_eq!(at, ms(6_302), "retransmitted at 6.3 s, reset one round trip later");
    let starts = notes_of(&w, 1).iter().filter(|(_, n)| matches!(n, Note::Started)).count();
    assert_eq!(starts, 2, "the process started again when its host booted");
    let connected_after =
        notes.iter().filter(|(t, n)| *t > at && matches!(n, Note::Connected(_))).count();
    assert_eq!(connected_after, 1, "the next connect reaches the restarted process");
}

#[test]
fn a_kill_still_sends_a_fin() {
    let mut w = pair();
    w.kill(ProcessId(1));
    w.run_until(ms(150));
    assert_eq!(closes(&notes_of(&w, 0)), [(ms(101), CloseReason::Eof)]);
}
