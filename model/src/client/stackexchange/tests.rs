//! The StackExchange.Redis client driven by hand with no world: each rule of
//! `ConnectionMultiplexer.Sentinel.cs`, `BacklogPolicy.cs` and `ResultProcessor.cs` (3.1.31)
//! leads where the source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, node, records, sends, sentinel, sentinel_client,
};
use super::settings::StackExchange;
use super::*;
use crate::resp::SentinelCmd;
use sim::{Duration, Effect};

type Effects = Vec<Effect<Msg, Timer, Note>>;

fn client() -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.stackexchange(StackExchange::default()), out)
}

fn input(c: &mut Client, out: &mut Out, ms: u64, i: Input<Msg, Timer>) -> Effects {
    c.handle(&mut out.ctx(at(ms)), i);
    out.take()
}

fn reply(c: &mut Client, out: &mut Out, ms: u64, conn: ConnId, r: Reply) -> Effects {
    input(c, out, ms, Input::Message(conn, Msg::Reply(r)))
}

fn timers(e: &[Effect<Msg, Timer, Note>]) -> Vec<(Timer, Duration)> {
    e.iter()
        .filter_map(|x| if let Effect::SetTimer(t, d) = x { Some((*t, *d)) } else { None })
        .collect()
}

fn addr(m: &str) -> Reply {
    Reply::strings([m, "6379"])
}

fn role(r: &str) -> Reply {
    Reply::Array(Some(vec![Reply::bulk(r), Reply::strings(["x"])]))
}

fn query() -> Command {
    Command::Sentinel(SentinelCmd::GetMasterAddrByName("mymaster".into()))
}

fn is_set(e: &Effects, conn: ConnId) -> bool {
    sends(e).iter().any(|(c, cmd)| *c == conn && matches!(cmd, Command::Set { .. }))
}

/// The queries of one `GetConfiguredPrimaryForService` round, one per sentinel.
fn asked(e: &Effects) -> Vec<ConnId> {
    sends(e).into_iter().filter(|(_, cmd)| *cmd == query()).map(|(c, _)| c).collect()
}

/// The first operation at 0: every sentinel connected and asked, the subscription on s1;
/// the second sentinel names m1, whose ROLE says master, and the SET is written. Returns the
/// sentinel connections, the subscription and the data connection.
fn start(c: &mut Client, out: &mut Out) -> (Vec<ConnId>, ConnId, ConnId) {
    let e = input(c, out, 0, Input::Timer(Timer::ClientNext));
    let news = connects(&e);
    assert_eq!(news.len(), 4, "three sentinels and the subscription");
    let ss: Vec<ConnId> = news[..3].iter().map(|x| x.0).collect();
    assert_eq!(news[3].1, sentinel(0), "the subscription goes to the first sentinel");
    let sub = news[3].0;
    let channels = vec!["+switch-master".to_string(), "+sentinel".to_string()];
    assert!(sends(&e).contains(&(sub, Command::Subscribe(channels))));
    assert_eq!(asked(&e), ss, "every sentinel asked at once");
    assert!(!records(&e).iter().any(|_| true), "the SET waits in the backlog");
    let e = reply(c, out, 5, ss[1], addr("m1"));
    let (data, to) = connects(&e)[0];
    assert_eq!(to, node(3));
    let e = input(c, out, 6, Input::Connected(data));
    assert_eq!(sends(&e), [(data, Command::Role)], "the primary is verified with ROLE");
    let e = reply(c, out, 7, data, role("master"));
    assert!(is_set(&e, data), "the backlog's SET is written once the primary is verified");
    (ss, sub, data)
}

#[test]
fn a_switch_master_asks_every_sentinel_and_moves_writes_to_the_named_primary() {
    let (mut c, mut out) = client();
    let (ss, sub, data) = start(&mut c, &mut out);
    let e = reply(&mut c, &mut out, 8, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
    // Another service's switch is nobody's business.
    let other = Msg::Push { channel: "+switch-master".into(), message: "x m1 6379 m2 6379".into() };
    assert!(asked(&input(&mut c, &mut out, 9, Input::Message(sub, other))).is_empty());
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    let e = input(&mut c, &mut out, 10, Input::Message(sub, push));
    assert_eq!(asked(&e), ss, "SwitchPrimary asks GetConfiguredPrimaryForService again");
    assert!(library_notes(&e)[0].starts_with("received +switch-master mymaster"));
    let e = reply(&mut c, &mut out, 11, ss[2], addr("m2"));
    assert_eq!(closes(&e), [data], "the idle connection to the old primary goes");
    let (new, to) = connects(&e)[0];
    assert_eq!(to, node(4));
    assert!(library_notes(&e)[0].starts_with("SwitchPrimary (+switch-master on "));
    input(&mut c, &mut out, 12, Input::Connected(new));
    reply(&mut c, &mut out, 13, new, role("master"));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(is_set(&e, new));
    // A late answer of the round already won is ignored.
    assert!(connects(&reply(&mut c, &mut out, 1001, ss[0], addr("m1"))).is_empty());
}

#[test]
fn a_readonly_reply_only_fails_the_command() {
    let (mut c, mut out) = client();
    let (_, _, data) = start(&mut c, &mut out);
    let ro = "READONLY You can't write against a read only replica.".to_string();
    let e = reply(&mut c, &mut out, 8, data, Reply::Error(ro.clone()));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: ro });
    assert!(closes(&e).is_empty() && connects(&e).is_empty() && asked(&e).is_empty());
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(is_set(&e, data), "the next write goes to the same server");
}

#[test]
fn a_reset_fails_the_written_command_and_the_timer_runs_switch_primary_every_second() {
    let (mut c, mut out) = client();
    let (ss, _, data) = start(&mut c, &mut out);
    let e = input(&mut c, &mut out, 8, Input::Closed(data, CloseReason::Reset));
    assert!(matches!(records(&e)[0].result, OpResult::Lost { .. }), "its fate is unknown");
    assert!(timers(&e).contains(&(Timer::SeSwitch, Duration::ZERO)), "at once");
    let e = input(&mut c, &mut out, 8, Input::Timer(Timer::SeSwitch));
    assert!(timers(&e).contains(&(Timer::SeSwitch, Duration::from_secs(1))), "then every 1s");
    assert_eq!(asked(&e), ss);
    // The next write waits in the backlog: nothing acknowledges it.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(sends(&e).is_empty() && records(&e).is_empty());
    let e = reply(&mut c, &mut out, 1001, ss[0], addr("m2"));
    let (new, to) = connects(&e)[0];
    assert_eq!(to, node(4));
    input(&mut c, &mut out, 1002, Input::Connected(new));
    let e = reply(&mut c, &mut out, 1003, new, role("master"));
    assert!(is_set(&e, new), "the backlog is sent to the new primary");
    assert!(library_notes(&e)[0].contains("OnManagedConnectionRestored stops"));
    let e = input(&mut c, &mut out, 1008, Input::Timer(Timer::SeSwitch));
    assert!(asked(&e).is_empty() && timers(&e).is_empty(), "the timer is disposed");
}

#[test]
fn a_timeout_fails_the_command_but_keeps_the_connection() {
    let (mut c, mut out) = client();
    let (_, _, data) = start(&mut c, &mut out);
    let seq = c.pending.as_ref().map(|p| p.seq).unwrap_or_default();
    let e = input(&mut c, &mut out, 5000, Input::Timer(Timer::ClientTimeout(seq)));
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(closes(&e).is_empty() && asked(&e).is_empty());
    let e = input(&mut c, &mut out, 5001, Input::Timer(Timer::ClientNext));
    assert!(is_set(&e, data), "the same connection");
    // The late reply is the timed-out command's, the next one the new command's.
    assert!(records(&reply(&mut c, &mut out, 5002, data, Reply::Ok)).is_empty());
    assert!(matches!(
        records(&reply(&mut c, &mut out, 5003, data, Reply::Ok))[0].result,
        OpResult::Ok { .. }
    ));
}

#[test]
fn a_command_in_the_backlog_times_out_after_sync_timeout_unacknowledged() {
    let (mut c, mut out) = client();
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let seq = c.pending.as_ref().map(|p| p.seq).unwrap_or_default();
    assert!(timers(&e).contains(&(Timer::ClientTimeout(seq), Duration::from_secs(5))));
    let e = input(&mut c, &mut out, 5000, Input::Timer(Timer::ClientTimeout(seq)));
    let OpResult::Error { error } = &records(&e)[0].result else { panic!("{e:?}") };
    assert!(error.starts_with("The message timed out in the backlog"));
}

#[test]
fn a_replica_named_at_connect_is_asked_again_after_100ms_until_connect_timeout() {
    let (mut c, mut out) = client();
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let ss: Vec<ConnId> = asked(&e);
    let e = reply(&mut c, &mut out, 5, ss[0], addr("m1"));
    let data = connects(&e)[0].0;
    input(&mut c, &mut out, 6, Input::Connected(data));
    let e = reply(&mut c, &mut out, 7, data, role("slave"));
    assert_eq!(closes(&e), [data]);
    assert!(timers(&e).contains(&(Timer::SeRetry, Duration::from_millis(100))));
    assert_eq!(asked(&input(&mut c, &mut out, 107, Input::Timer(Timer::SeRetry))), ss);
    // No sentinel names a primary, twice: GetSentinelMasterConnection throws.
    for s in &ss {
        reply(&mut c, &mut out, 108, *s, Reply::Array(None));
    }
    let e = out.take();
    assert!(e.is_empty());
    let ss2 = ss.clone();
    let mut last = Vec::new();
    for s in ss2 {
        last = reply(&mut c, &mut out, 109, s, Reply::Array(None));
    }
    let OpResult::Error { error } = &records(&last)[0].result else { panic!("{last:?}") };
    assert_eq!(error, "Sentinel: Failed connecting to configured primary for service: mymaster");
}

#[test]
fn a_lost_subscription_is_made_again_on_the_next_sentinel_after_the_heartbeat() {
    let (mut c, mut out) = client();
    let (_, sub, _) = start(&mut c, &mut out);
    let e = input(&mut c, &mut out, 8, Input::Closed(sub, CloseReason::Reset));
    assert!(timers(&e).contains(&(Timer::SeResubscribe, StackExchange::HEARTBEAT)));
    let e = input(&mut c, &mut out, 1008, Input::Timer(Timer::SeResubscribe));
    assert_eq!(connects(&e)[0].1, sentinel(1));
}
