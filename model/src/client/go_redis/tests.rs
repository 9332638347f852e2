//! The go-redis client driven by hand with no world: each rule of `sentinel.go`, `redis.go`,
//! `error.go` and `internal/pool/pool.go` (v9.22.0) leads where the source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, node, records, sends, sentinel, sentinel_client,
};
use super::settings::GoRedis;
use super::*;
use crate::resp::{Command, SentinelCmd};
use sim::{Duration, Effect, Rng};

type Effects = Vec<Effect<Msg, Timer, Note>>;

/// A go-redis client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: GoRedis) -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.go_redis(settings), out)
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

/// `GET-MASTER-ADDR-BY-NAME`'s reply naming `m` (host 3 is m1, 4 is m2).
fn addr(m: &str) -> Reply {
    Reply::strings([m, "6379"])
}

fn query() -> Command {
    Command::Sentinel(SentinelCmd::GetMasterAddrByName("mymaster".into()))
}

fn is_set(e: &Effects, conn: ConnId) -> bool {
    sends(e).iter().any(|(c, cmd)| *c == conn && matches!(cmd, Command::Set { .. }))
}

/// The first operation at `ms`: every sentinel asked at once, the one at `winner` (its place
/// among the connects) names m1; returns (that sentinel's connection, its address, the
/// subscription's connection, the data connection, up with the SET sent).
fn start(c: &mut Client, out: &mut Out, ms: u64, winner: usize) -> (ConnId, Addr, ConnId, ConnId) {
    let e = input(c, out, ms, Input::Timer(Timer::ClientNext));
    let asks = connects(&e);
    assert_eq!(asks.len(), 3, "no cached sentinel: all three are asked at once");
    let mut to: Vec<Addr> = asks.iter().map(|a| a.1).collect();
    to.sort();
    assert_eq!(to, (0..3).map(sentinel).collect::<Vec<_>>());
    assert!(asks.iter().all(|(conn, _)| sends(&e).contains(&(*conn, query()))));
    let (s, s_addr) = asks[winner];
    let e = reply(c, out, ms, s, addr("m1"));
    let others: Vec<ConnId> = asks.iter().map(|a| a.0).filter(|&x| x != s).collect();
    assert!(others.iter().all(|o| closes(&e).contains(o)), "the others are cancelled");
    let news = connects(&e);
    assert_eq!(news.len(), 2, "the subscription and the data connection");
    let (sub, sub_to) = news[0];
    assert_eq!(sub_to, s_addr, "the subscription is on the sentinel that answered");
    let channels = vec!["+switch-master".to_string(), "+replica-reconf-done".to_string()];
    assert!(sends(&e).contains(&(sub, Command::Subscribe(channels))));
    let (data, data_to) = news[1];
    assert_eq!(data_to, node(3));
    assert!(library_notes(&e).iter().any(|n| n.starts_with("sentinel: selected addr=")));
    input(c, out, ms, Input::Connected(sub));
    let e = input(c, out, ms, Input::Connected(data));
    assert!(is_set(&e, data));
    (s, s_addr, sub, data)
}

/// The next dial asks the cached sentinel on `s` (a new connection when `s` is `None`); it
/// names `m` and the client connects there; returns the data connection, up with SET sent.
fn redial(c: &mut Client, out: &mut Out, ms: u64, e: &Effects, m: &str) -> ConnId {
    let sent = sends(e);
    assert_eq!(sent.len(), 1, "one query: {sent:?}");
    let (s, _) = sent[0];
    let e = reply(c, out, ms, s, addr(m));
    let (data, to) = connects(&e)[0];
    assert_eq!(to, node(if m == "m1" { 3 } else { 4 }));
    let e = input(c, out, ms, Input::Connected(data));
    assert!(is_set(&e, data));
    data
}

#[test]
fn switch_master_closes_the_idle_connection_and_the_next_dial_asks_the_cached_sentinel() {
    let (mut c, mut out) = client(GoRedis::default());
    let (s, s_addr, sub, data) = start(&mut c, &mut out, 0, 1);
    let e = reply(&mut c, &mut out, 1, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
    // Another master's name is ignored.
    let other =
        Msg::Push { channel: "+switch-master".into(), message: "other m1 6379 m2 6379".into() };
    let e = input(&mut c, &mut out, 2, Input::Message(sub, other));
    assert!(closes(&e).is_empty());
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    let e = input(&mut c, &mut out, 3, Input::Message(sub, push));
    assert_eq!(closes(&e), [data], "onFailover closes the connection to the old master");
    let at_s = format!("sentinel listener on {}", c.dir.addr(s_addr));
    assert!(library_notes(&e)[0].starts_with(&at_s));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert_eq!(sends(&e), [(s, query())], "the cached sentinel, on its own connection");
    let data = redial(&mut c, &mut out, 1000, &e, "m2");
    assert!(
        reply(&mut c, &mut out, 1001, data, Reply::Ok)
            .iter()
            .any(|x| matches!(x, Effect::Note(Note::Op(_))))
    );
}

#[test]
fn switch_master_under_a_command_fails_its_read_and_the_retry_goes_to_the_new_master() {
    let (mut c, mut out) = client(GoRedis::default());
    let (s, _, sub, data) = start(&mut c, &mut out, 0, 0);
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    let e = input(&mut c, &mut out, 1, Input::Message(sub, push));
    assert_eq!(closes(&e), [data]);
    assert!(records(&e).is_empty(), "use of closed network connection is retried");
    let (t, wait) = timers(&e)[0];
    assert_eq!(t, Timer::GoRedisWait);
    assert!((10..=20).contains(&wait.as_millis()), "RetryBackoff(1, 10ms, 1s): {wait}");
    let e = input(&mut c, &mut out, 21, Input::Timer(Timer::GoRedisWait));
    assert_eq!(sends(&e), [(s, query())]);
    let data = redial(&mut c, &mut out, 21, &e, "m2");
    let e = reply(&mut c, &mut out, 22, data, Reply::Ok);
    let r = &records(&e)[0];
    assert!(matches!(r.result, OpResult::Ok { .. }));
    assert_eq!(r.node.as_deref(), Some(c.dir.addr(node(4)).as_str()));
}

#[test]
fn readonly_is_retried_on_a_new_connection_max_retries_times_then_returned() {
    let (mut c, mut out) = client(GoRedis::default());
    let (_, _, _, mut data) = start(&mut c, &mut out, 0, 2);
    let mut ms = 1;
    for n in 1..=3u32 {
        let ro = Reply::Error("READONLY You can't write against a read only replica.".into());
        let e = reply(&mut c, &mut out, ms, data, ro);
        assert_eq!(closes(&e), [data], "isBadConn: a READONLY connection is removed");
        assert!(records(&e).is_empty(), "attempt {n} is retried");
        ms += 1000;
        let e = input(&mut c, &mut out, ms, Input::Timer(Timer::GoRedisWait));
        data = redial(&mut c, &mut out, ms, &e, "m1");
    }
    let ro = Reply::Error("READONLY You can't write against a read only replica.".into());
    let e = reply(&mut c, &mut out, ms, data, ro);
    assert!(
        matches!(&records(&e)[0].result, OpResult::Error { error } if error.starts_with("READONLY")),
        "MaxRetries 3: the fourth READONLY is the caller's"
    );
}

#[test]
fn a_reset_is_retried_and_an_unknown_fate_stays_indeterminate() {
    let s = GoRedis { max_retries: 1, ..GoRedis::default() };
    let (mut c, mut out) = client(s);
    let (_, _, _, data) = start(&mut c, &mut out, 0, 0);
    let e = input(&mut c, &mut out, 1, Input::Closed(data, CloseReason::Reset));
    assert!(records(&e).is_empty(), "a network error is retried");
    let e = input(&mut c, &mut out, 30, Input::Timer(Timer::GoRedisWait));
    let data = redial(&mut c, &mut out, 30, &e, "m1");
    let e = input(&mut c, &mut out, 31, Input::Closed(data, CloseReason::Eof));
    assert!(
        matches!(&records(&e)[0].result, OpResult::Lost { error } if error == "EOF"),
        "MaxRetries spent: the write may have been applied"
    );
}

#[test]
fn a_read_timeout_removes_the_connection_and_is_retried() {
    let s = GoRedis { max_retries: 1, ..GoRedis::default() };
    let (mut c, mut out) = client(s);
    let (_, _, _, data) = start(&mut c, &mut out, 0, 0);
    let e = input(&mut c, &mut out, 5000, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(closes(&e), [data]);
    assert!(records(&e).is_empty());
    let e = input(&mut c, &mut out, 5030, Input::Timer(Timer::GoRedisWait));
    let data = redial(&mut c, &mut out, 5030, &e, "m1");
    let e = input(&mut c, &mut out, 10030, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(closes(&e), [data]);
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
}

#[test]
fn a_refused_dial_asks_the_sentinel_again_dialer_retries_times_then_the_command_retries() {
    let s = GoRedis { max_retries: 0, ..GoRedis::default() };
    let (mut c, mut out) = client(s);
    let (_, _, _, data) = start(&mut c, &mut out, 0, 0);
    reply(&mut c, &mut out, 1, data, Reply::Ok);
    input(&mut c, &mut out, 2, Input::Closed(data, CloseReason::Eof));
    let mut e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    for n in 1..=5 {
        let (s, _) = sends(&e)[0];
        let e2 = reply(&mut c, &mut out, 1000, s, addr("m1"));
        let (d, _) = connects(&e2)[0];
        let e3 = input(&mut c, &mut out, 1000, Input::ConnectFailed(d, ConnectError::Refused));
        if n < 5 {
            assert!(timers(&e3).contains(&(Timer::GoRedisWait, Duration::from_millis(100))));
            e = input(&mut c, &mut out, 1000, Input::Timer(Timer::GoRedisWait));
        } else {
            let r = &records(&e3)[0];
            let m1 = c.dir.addr(node(3));
            assert_eq!(
                r.result,
                OpResult::Error { error: format!("dial tcp {m1}: connect: connection refused") }
            );
        }
    }
}

#[test]
fn a_silent_cached_sentinel_ends_the_dial_at_its_deadline_and_stays_cached() {
    let s = GoRedis { dialer_retries: 1, ..GoRedis::default() };
    let (mut c, mut out) = client(s);
    let (s, _, _, data) = start(&mut c, &mut out, 0, 0);
    reply(&mut c, &mut out, 1, data, Reply::Ok);
    input(&mut c, &mut out, 2, Input::Closed(data, CloseReason::Eof));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert_eq!(sends(&e), [(s, query())]);
    let (deadline, after) =
        timers(&e).into_iter().find(|(t, _)| matches!(t, Timer::GoRedisDial(_))).expect("armed");
    assert_eq!(after, Duration::from_secs(5), "DialTimeout");
    let e = input(&mut c, &mut out, 6000, Input::Timer(deadline));
    assert_eq!(
        records(&e)[0].result,
        OpResult::Error { error: "context deadline exceeded".into() },
        "a context error is not retried, nor does MasterAddr try another sentinel"
    );
    let e = input(&mut c, &mut out, 7000, Input::Timer(Timer::ClientNext));
    let (again, to) = connects(&e)[0];
    assert_eq!(connects(&e).len(), 1, "the same sentinel, cached, on a new connection");
    assert_eq!(sends(&e), [(again, query())]);
    assert_eq!(Some(to), c.go.as_ref().and_then(|g| g.sentinel).map(|s| c.sentinels()[s.idx]));
}

#[test]
fn a_failing_cached_sentinel_is_asked_twice_then_dropped_for_all_of_them() {
    let (mut c, mut out) = client(GoRedis::default());
    let (s, _, sub, data) = start(&mut c, &mut out, 0, 0);
    reply(&mut c, &mut out, 1, data, Reply::Ok);
    input(&mut c, &mut out, 2, Input::Closed(data, CloseReason::Eof));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert_eq!(sends(&e), [(s, query())]);
    let e = reply(&mut c, &mut out, 1000, s, Reply::Array(None));
    assert_eq!(sends(&e), [(s, query())], "asked once more under the lock");
    let e = reply(&mut c, &mut out, 1000, s, Reply::Array(None));
    assert!(closes(&e).contains(&s) && closes(&e).contains(&sub), "closeSentinel");
    assert_eq!(connects(&e).len(), 3, "then every sentinel at once");
    let notes = library_notes(&e);
    assert!(notes[0].contains("failed: redis: nil"), "{notes:?}");
}

#[test]
fn a_broken_subscription_is_dialled_again_at_once_then_every_100ms() {
    let (mut c, mut out) = client(GoRedis::default());
    let (_, s_addr, sub, _) = start(&mut c, &mut out, 0, 0);
    let e = input(&mut c, &mut out, 1, Input::Closed(sub, CloseReason::Eof));
    let (again, to) = connects(&e)[0];
    assert_eq!(to, s_addr, "the same sentinel");
    let e = input(&mut c, &mut out, 1, Input::ConnectFailed(again, ConnectError::Refused));
    assert!(timers(&e).contains(&(Timer::GoRedisResubscribe, GoRedis::RESUBSCRIBE)));
    let e = input(&mut c, &mut out, 101, Input::Timer(Timer::GoRedisResubscribe));
    assert_eq!(connects(&e)[0].1, s_addr);
}

#[test]
fn retry_backoff_follows_internal_retry_backoff() {
    let s = GoRedis::default();
    let mut rng = Rng::stream(1, "t");
    for attempt in 1..=8 {
        let d = s.retry_backoff(attempt, &mut rng).as_micros();
        let top = (10_000u64 << attempt) + 10_000;
        assert!((10_000..top.min(1_000_001)).contains(&d), "{attempt}: {d}");
    }
    assert_eq!(s.retry_backoff(40, &mut rng), Duration::from_secs(1), "capped");
    let none = GoRedis { min_retry_backoff: Duration::ZERO, ..s };
    assert_eq!(none.retry_backoff(1, &mut rng), Duration::ZERO);
    assert_eq!(GoRedis::max_retries_from(0), Some(3));
    assert_eq!(GoRedis::max_retries_from(-1), Some(0));
    assert_eq!(GoRedis::max_retries_from(-2), None);
}
