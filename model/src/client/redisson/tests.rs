//! The Redisson client driven by hand with no world: each rule of `SentinelConnectionManager`
//! and `RedisExecutor` leads where the source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, node, records, sends, sentinel, sentinel_client,
};
use super::settings::Redisson;
use super::*;
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use sim::{CloseReason, ConnectError, Duration, Effect};

type Effects = Vec<Effect<Msg, Timer, Note>>;

fn client(settings: Redisson) -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.redisson(settings), out)
}

fn input(c: &mut Client, out: &mut Out, ms: u64, i: Input<Msg, Timer>) -> Effects {
    c.handle(&mut out.ctx(at(ms)), i);
    out.take()
}

fn reply(c: &mut Client, out: &mut Out, ms: u64, conn: ConnId, r: Reply) -> Effects {
    input(c, out, ms, Input::Message(conn, Msg::Reply(r)))
}

fn ask() -> Command {
    Command::Sentinel(SentinelCmd::GetMasterAddrByName("mymaster".into()))
}

fn addr(host: &str) -> Reply {
    Reply::strings([host, "6379"])
}

/// A `SENTINEL SENTINELS` reply naming the hosts `hosts` (port 26379).
fn peers(hosts: &[&str]) -> Reply {
    let entry =
        |h: &str| Reply::strings(["name", "x", "ip", h, "port", "26379", "flags", "sentinel"]);
    Reply::Array(Some(hosts.iter().map(|h| entry(h)).collect()))
}

/// The delay of the timer `t` set by `e`.
fn timer(e: &Effects, t: Timer) -> Option<Duration> {
    e.iter().find_map(|x| match x {
        Effect::SetTimer(s, d) if *s == t => Some(*d),
        _ => None,
    })
}

fn is_set(cmd: &Command) -> bool {
    matches!(cmd, Command::Set { .. })
}

/// Starts the client at 0: s1 names m1 and lists s2, s3; returns the data connection, up,
/// with the first write on it.
fn build(c: &mut Client, out: &mut Out) -> ConnId {
    let e = input(c, out, 0, Input::Timer(Timer::ClientNext));
    let (s, to) = connects(&e)[0];
    assert_eq!((to, sends(&e)), (sentinel(0), vec![(s, ask())]), "the config's first sentinel");
    input(c, out, 0, Input::Connected(s));
    let e = reply(c, out, 1, s, addr("m1"));
    assert_eq!(sends(&e), [(s, Command::Sentinel(SentinelCmd::Sentinels("mymaster".into())))]);
    let e = reply(c, out, 2, s, peers(&["s2", "s3"]));
    assert!(closes(&e).contains(&s));
    assert_eq!(timer(&e, Timer::RedissonScan), Some(Duration::from_millis(1000)), "scanInterval");
    assert_eq!(c.rd().sentinels, [sentinel(1), sentinel(2), sentinel(0)]);
    let (data, to) = connects(&e)[0];
    assert_eq!(to, node(3), "the master named, unverified");
    let e = input(c, out, 3, Input::Connected(data));
    assert!(matches!(&sends(&e)[..], [(d, cmd)] if *d == data && is_set(cmd)));
    data
}

/// Runs a scan round at `ms` whose first sentinel answers `host`; returns that sentinel and
/// the effects of its answer.
fn round(c: &mut Client, out: &mut Out, ms: u64, host: &str) -> (Addr, Effects) {
    let e = input(c, out, ms, Input::Timer(Timer::RedissonScan));
    let (conn, to) = match connects(&e).first() {
        Some(&x) => x,
        None => {
            let (conn, _) = sends(&e)[0];
            let n = c.rd().nodes.iter().find(|n| n.conn == conn).copied();
            (conn, n.map(|n| n.sentinel).unwrap_or(sentinel(0)))
        }
    };
    assert_eq!(sends(&e), [(conn, ask())]);
    input(c, out, ms, Input::Connected(conn));
    (to, reply(c, out, ms + 1, conn, addr(host)))
}

#[test]
fn switch_master_is_not_listened_to_a_scan_round_moves_the_client_once_the_new_pool_connects() {
    let (mut c, mut out) = client(Redisson::default());
    let data = build(&mut c, &mut out);
    reply(&mut c, &mut out, 4, data, Reply::Ok);
    // No subscription: a +switch-master message (on any connection) changes nothing.
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    assert!(input(&mut c, &mut out, 500, Input::Message(data, push)).is_empty());
    let (s, e) = round(&mut c, &mut out, 1000, "m2");
    let (m2, to) = connects(&e)[0];
    assert_eq!(to, node(4), "setupMasterEntry connects the new master's pool first");
    assert_eq!(timer(&e, Timer::RedissonScan), Some(Duration::from_millis(1000)));
    let s = c.dir.addr(s);
    assert_eq!(library_notes(&e), [format!("scheduleChangeCheck asked {s}: master at m2:6379")]);
    let e = input(&mut c, &mut out, 1002, Input::Connected(m2));
    assert_eq!(library_notes(&e), ["master m1:6379 has been changed to m2:6379"]);
    assert_eq!(closes(&e), [data], "the old entry's connections are closed");
    let e = input(&mut c, &mut out, 2000, Input::Timer(Timer::ClientNext));
    assert!(matches!(&sends(&e)[..], [(d, cmd)] if *d == m2 && is_set(cmd)));
}

#[test]
fn the_rounds_shuffle_the_sentinels_and_an_answer_naming_the_old_master_moves_the_client_back() {
    let (mut c, mut out) = client(Redisson::default());
    build(&mut c, &mut out);
    let mut asked = Vec::new();
    for i in 0..8 {
        let (s, e) = round(&mut c, &mut out, 1000 * (i + 1), "m1");
        assert!(connects(&e).is_empty(), "same master: nothing changes");
        asked.push(s);
    }
    asked.sort();
    asked.dedup();
    assert!(asked.len() > 1, "Collections.shuffle: not always the same sentinel first");
    let (_, e) = round(&mut c, &mut out, 10_000, "m2");
    let (m2, _) = connects(&e)[0];
    input(&mut c, &mut out, 10_002, Input::Connected(m2));
    // A cut-off sentinel still naming m1 moves the client back.
    let (_, e) = round(&mut c, &mut out, 11_000, "m1");
    let (m1, to) = connects(&e)[0];
    assert_eq!(to, node(3));
    let e = input(&mut c, &mut out, 11_002, Input::Connected(m1));
    assert_eq!(library_notes(&e), ["master m2:6379 has been changed to m1:6379"]);
}

#[test]
fn readonly_is_retried_after_retry_delay_up_to_retry_attempts_on_the_master_of_the_moment() {
    let (mut c, mut out) = client(Redisson::default());
    let data = build(&mut c, &mut out);
    let ro = "READONLY You can't write against a read only replica.";
    let mut ms = 4;
    for attempt in 0..4 {
        let e = reply(&mut c, &mut out, ms, data, Reply::err(ro));
        assert!(records(&e).is_empty() && closes(&e).is_empty());
        let d = timer(&e, Timer::RedissonRetry).expect("retried");
        let (lo, hi) = if attempt == 0 { (500, 1000) } else { (1000, 2000) };
        assert!((lo..=hi).contains(&d.as_millis()), "EqualJitterDelay: {d} after {attempt}");
        ms += d.as_millis();
        let e = input(&mut c, &mut out, ms, Input::Timer(Timer::RedissonRetry));
        assert!(matches!(&sends(&e)[..], [(x, cmd)] if *x == data && is_set(cmd)));
    }
    let e = reply(&mut c, &mut out, ms + 1, data, Reply::err(ro));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: ro.into() }, "after 4 retries");
}

#[test]
fn a_reset_mid_write_reconnects_and_the_command_is_sent_again() {
    let (mut c, mut out) = client(Redisson::default());
    let data = build(&mut c, &mut out);
    let e = input(&mut c, &mut out, 10, Input::Closed(data, CloseReason::Reset));
    assert!(records(&e).is_empty(), "the command waits for the watchdog");
    let d = timer(&e, Timer::RedissonReconnect(data)).expect("ConnectionWatchdog");
    assert!((50..=100).contains(&d.as_millis()));
    let e = input(&mut c, &mut out, 90, Input::Timer(Timer::RedissonReconnect(data)));
    let (again, to) = connects(&e)[0];
    assert_eq!(to, node(3));
    let e = input(&mut c, &mut out, 91, Input::Connected(again));
    assert!(records(&e).is_empty(), "RedisReconnectedException is retried");
    let d = timer(&e, Timer::RedissonRetry).expect("retryDelay");
    let e = input(&mut c, &mut out, 91 + d.as_millis(), Input::Timer(Timer::RedissonRetry));
    assert!(matches!(&sends(&e)[..], [(x, cmd)] if *x == again && is_set(cmd)));
    let e = reply(&mut c, &mut out, 2000, again, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
}

#[test]
fn a_timeout_sends_the_command_again_on_the_same_connection_and_the_last_is_indeterminate() {
    let settings = Redisson { retry_attempts: 1, ..Redisson::default() };
    let (mut c, mut out) = client(settings);
    let data = build(&mut c, &mut out);
    let e = input(&mut c, &mut out, 3003, Input::Timer(Timer::ClientTimeout(0)));
    assert!(records(&e).is_empty() && closes(&e).is_empty(), "the connection stays");
    let d = timer(&e, Timer::RedissonRetry).expect("retried");
    let e = input(&mut c, &mut out, 3003 + d.as_millis(), Input::Timer(Timer::RedissonRetry));
    assert!(matches!(&sends(&e)[..], [(x, cmd)] if *x == data && is_set(cmd)));
    // The first attempt's late reply completes nothing.
    assert!(records(&reply(&mut c, &mut out, 4500, data, Reply::Ok)).is_empty());
    let e = input(&mut c, &mut out, 8000, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
}

#[test]
fn a_refused_connect_fails_the_command_once_no_attempt_is_left() {
    let settings = Redisson { retry_attempts: 0, ..Redisson::default() };
    let (mut c, mut out) = client(settings);
    let data = build(&mut c, &mut out);
    reply(&mut c, &mut out, 4, data, Reply::Ok);
    input(&mut c, &mut out, 500, Input::Closed(data, CloseReason::Eof));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let (d2, _) = connects(&e)[0];
    let e = input(&mut c, &mut out, 1001, Input::ConnectFailed(d2, ConnectError::Refused));
    let error = "Unable to connect to Redis server: m1:6379".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
}

#[test]
fn a_silent_sentinel_is_asked_twice_then_the_next_one_after_scan_interval() {
    let (mut c, mut out) = client(Redisson::default());
    build(&mut c, &mut out);
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::RedissonScan));
    let (s, _) = connects(&e)[0];
    input(&mut c, &mut out, 1000, Input::Connected(s));
    let e = input(&mut c, &mut out, 4000, Input::Timer(Timer::RedissonTimeout(s)));
    let d = timer(&e, Timer::RedissonRequery).expect("one retry");
    let e = input(&mut c, &mut out, 4000 + d.as_millis(), Input::Timer(Timer::RedissonRequery));
    assert_eq!(sends(&e), [(s, ask())], "on the cached connection");
    let e = input(&mut c, &mut out, 8000, Input::Timer(Timer::RedissonTimeout(s)));
    assert_eq!(timer(&e, Timer::RedissonScan), Some(Duration::from_millis(1000)));
    let e = input(&mut c, &mut out, 9000, Input::Timer(Timer::RedissonScan));
    assert_eq!(connects(&e).len(), 1, "the round's next sentinel");
    assert!(!closes(&e).contains(&s), "the silent one's connection stays cached");
}

#[test]
fn the_startup_fails_on_an_undefined_master_or_fewer_than_two_sentinels() {
    let (mut c, mut out) = client(Redisson::default());
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let s1 = connects(&e)[0].0;
    let e = input(&mut c, &mut out, 0, Input::ConnectFailed(s1, ConnectError::Refused));
    let (s2, to) = connects(&e)[0];
    assert_eq!(to, sentinel(1), "a sentinel it cannot connect to is skipped");
    let e = reply(&mut c, &mut out, 1, s2, Reply::Array(None));
    let error =
        "Master node is undefined! SENTINEL GET-MASTER-ADDR-BY-NAME command returns empty result!";
    assert_eq!(records(&e)[0].result, OpResult::Error { error: error.into() });
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let (s, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0), "the next operation starts over");
    reply(&mut c, &mut out, 1001, s, addr("m1"));
    let e = reply(&mut c, &mut out, 1002, s, peers(&[]));
    let OpResult::Error { error } = &records(&e)[0].result else { panic!("{e:?}") };
    assert!(error.starts_with("SENTINEL SENTINELS command returns less than 2 nodes"));
}
