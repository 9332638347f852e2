//! The redis-rs client driven by hand with no world: each rule of `redis/src/sentinel.rs` and
//! of the application pattern leads where the source says.

use super::super::tests::{Out, closes, connects, dir, library_notes, masters, records, sends};
use super::settings::RedisRs;
use super::*;
use crate::resp::{Command, SentinelCmd};
use sim::{ConnectError, Duration, Effect, HostId, Instant, Outbox, ProcessId};

fn sentinel(i: u32) -> Addr {
    Addr::new(HostId(i), 26379)
}

fn node(i: u32) -> Addr {
    Addr::new(HostId(i), 6379)
}

/// A redis-rs client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: RedisRs) -> (Client, Out) {
    let kind = ClientKind::Sentinel {
        sentinels: (0..3).map(sentinel).collect(),
        service: "mymaster".into(),
        replica: false,
    };
    let w = super::super::Workload {
        writes_per_sec: 1,
        reads_per_sec: 0,
        start: Instant::ZERO,
        stop: None,
    };
    let c =
        Client::new(dir(), "app1", kind, Duration::from_millis(100), Some(w)).redis_rs(settings);
    (c, Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0)))
}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn role(r: &str) -> Reply {
    Reply::Array(Some(vec![Reply::bulk(r), Reply::strings(["mymaster"])]))
}

fn reply(
    c: &mut Client,
    out: &mut Out,
    ms: u64,
    conn: ConnId,
    r: Reply,
) -> Vec<Effect<Msg, Timer, Note>> {
    c.handle(&mut out.ctx(at(ms)), Input::Message(conn, Msg::Reply(r)));
    out.take()
}

fn input(
    c: &mut Client,
    out: &mut Out,
    ms: u64,
    i: Input<Msg, Timer>,
) -> Vec<Effect<Msg, Timer, Note>> {
    c.handle(&mut out.ctx(at(ms)), i);
    out.take()
}

/// Runs a lookup at `ms` whose first sentinel (connected already or not) names `m` (host 3
/// is m1, 4 is m2) and `ROLE` on it says master; returns the data connection, up.
fn lookup(c: &mut Client, out: &mut Out, ms: u64, m: &str) -> ConnId {
    let e = input(c, out, ms, Input::Timer(Timer::ClientNext));
    let s1 = match connects(&e).first() {
        Some(&(s1, to)) => {
            assert_eq!(to, sentinel(0), "the first sentinel of the list first");
            assert_eq!(sends(&e), [(s1, Command::Role)], "a new sentinel connection is verified");
            let e = reply(c, out, ms, s1, role("sentinel"));
            assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))]);
            s1
        }
        None => {
            let (s1, cmd) = sends(&e)[0].clone();
            assert_eq!(cmd, Command::Sentinel(SentinelCmd::Masters), "the cached connection");
            s1
        }
    };
    let e = reply(c, out, ms, s1, masters(m, "master"));
    let (check, to) = connects(&e)[0];
    assert_eq!(to, node(if m == "m1" { 3 } else { 4 }));
    assert_eq!(sends(&e), [(check, Command::Role)], "the named master's role is checked");
    let e = reply(c, out, ms, check, role("master"));
    assert!(closes(&e).contains(&check));
    let (data, _) = connects(&e)[0];
    let e = input(c, out, ms, Input::Connected(data));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    data
}

#[test]
fn the_connection_is_kept_and_switch_master_is_never_heard() {
    let (mut c, mut out) = client(RedisRs::default());
    let data = lookup(&mut c, &mut out, 0, "m1");
    let e = reply(&mut c, &mut out, 1, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
    // Nothing subscribes: a +switch-master on a sentinel connection is not read.
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    let e = input(&mut c, &mut out, 500, Input::Message(ConnId(1), push));
    assert!(e.is_empty(), "{e:?}");
    // The next write goes to m1 again, on the same connection, without asking a sentinel.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(connects(&e).is_empty());
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
}

#[test]
fn readonly_fails_the_write_and_the_next_one_asks_the_cached_sentinel_again() {
    let (mut c, mut out) = client(RedisRs::default());
    let data = lookup(&mut c, &mut out, 0, "m1");
    let ro = "READONLY You can't write against a read only replica.";
    let e = reply(&mut c, &mut out, 1, data, Reply::err(ro));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: ro.into() }, "no retry");
    assert!(closes(&e).contains(&data), "the application drops the connection");
    // Rediscovery on the sentinel's cached connection: no new ROLE to the sentinel.
    let data = lookup(&mut c, &mut out, 1000, "m2");
    assert_ne!(data, ConnId(0));
}

#[test]
fn a_demoted_master_named_by_the_sentinel_is_passed_over_for_the_next_sentinel() {
    let (mut c, mut out) = client(RedisRs::default());
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let s1 = connects(&e)[0].0;
    reply(&mut c, &mut out, 0, s1, role("sentinel"));
    let e = reply(&mut c, &mut out, 0, s1, masters("m1", "master"));
    let check = connects(&e)[0].0;
    let e = reply(&mut c, &mut out, 0, check, role("slave"));
    assert_eq!(library_notes(&e), ["s1:26379 named m1:6379 but ROLE says slave"]);
    let (s2, to) = connects(&e)[0];
    assert_eq!(to, sentinel(1), "the next sentinel, the list never reordered");
    // A sentinel that flags its master s_down is skipped too; the third names nobody.
    reply(&mut c, &mut out, 0, s2, role("sentinel"));
    let e = reply(&mut c, &mut out, 0, s2, masters("m1", "master,s_down"));
    let s3 = connects(&e)[0].0;
    reply(&mut c, &mut out, 0, s3, role("sentinel"));
    let e = reply(&mut c, &mut out, 0, s3, Reply::Array(Some(Vec::new())));
    let error = "s3:26379 - Master with given name not found in sentinel".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
}

#[test]
fn a_reset_mid_request_is_indeterminate_and_a_reset_sentinel_connection_is_retried_once() {
    let (mut c, mut out) = client(RedisRs::default());
    let data = lookup(&mut c, &mut out, 0, "m1");
    let e = input(&mut c, &mut out, 1, Input::Closed(data, sim::CloseReason::Reset));
    assert!(matches!(records(&e)[0].result, OpResult::Lost { .. }));
    // The sentinel's cached connection was reset while idle: the query fails on it at once,
    // `async_try_single_sentinel` reconnects (ROLE again) and asks once more.
    let s1 = ConnId(0);
    input(&mut c, &mut out, 2, Input::Closed(s1, sim::CloseReason::Reset));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let (s1b, to) = connects(&e)[0];
    assert_eq!((to, sends(&e)), (sentinel(0), vec![(s1b, Command::Role)]));
}

#[test]
fn a_response_timeout_fails_the_request_and_a_slow_sentinel_costs_two_queries() {
    let (mut c, mut out) = client(RedisRs::default());
    let data = lookup(&mut c, &mut out, 0, "m1");
    let e = input(&mut c, &mut out, 500, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(closes(&e).contains(&data));
    // The next lookup: the cached sentinel connection does not answer within 500 ms, it is
    // replaced and asked again; when that times out too, the next sentinel.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let s1 = sends(&e)[0].0;
    let e = input(&mut c, &mut out, 1500, Input::Timer(Timer::RedisRsTimeout(s1)));
    let (s1b, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0));
    let e = input(&mut c, &mut out, 2500, Input::Timer(Timer::RedisRsTimeout(s1b)));
    assert_eq!(connects(&e)[0].1, sentinel(1));
    // A refused sentinel moves on at once; with none left, the last error.
    let s2 = connects(&e)[0].0;
    let e = input(&mut c, &mut out, 2500, Input::ConnectFailed(s2, ConnectError::Refused));
    let s3 = connects(&e)[0].0;
    let e = input(&mut c, &mut out, 2500, Input::ConnectFailed(s3, ConnectError::Refused));
    let error = "s3:26379 - Connection refused (os error 111)".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
}

#[test]
fn without_reuse_every_operation_asks_a_sentinel() {
    let (mut c, mut out) = client(RedisRs { reuse_connection: false, ..RedisRs::default() });
    let data = lookup(&mut c, &mut out, 0, "m1");
    let e = reply(&mut c, &mut out, 1, data, Reply::Ok);
    assert!(closes(&e).contains(&data));
    lookup(&mut c, &mut out, 1000, "m2");
}
