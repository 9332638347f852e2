//! The Jedis client driven by hand with no world: each rule of `SentineledConnectionProvider`
//! and of the pool leads where the source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, node, records, sends, sentinel, sentinel_client,
};
use super::settings::Jedis;
use super::*;
use crate::observe::OpResult;
use crate::resp::{Command, Reply, SentinelCmd};
use sim::{CloseReason, ConnectError, Effect};

type Effects = Vec<Effect<Msg, Timer, Note>>;

/// A Jedis client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: Jedis) -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.jedis(settings), out)
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

/// The sentinels in the order the client takes them (its `HashSet`'s).
fn order(c: &mut Client) -> Vec<Addr> {
    c.jd().order.clone()
}

/// Builds the client at `ms`: its first sentinel names `m1`; returns the listeners'
/// connections (in order) and the data connection, up, with the first write on it.
fn build(c: &mut Client, out: &mut Out, ms: u64) -> (Vec<ConnId>, ConnId) {
    let first = order(c)[0];
    let e = input(c, out, ms, Input::Timer(Timer::ClientNext));
    let (s, to) = connects(&e)[0];
    assert_eq!((to, sends(&e)), (first, vec![(s, ask())]), "initSentinels asks the first");
    let e = reply(c, out, ms, s, addr("m1"));
    assert!(closes(&e).contains(&s));
    let cs = connects(&e);
    let listeners: Vec<ConnId> = cs[..3].iter().map(|&(c, _)| c).collect();
    let to: Vec<Addr> = cs[..3].iter().map(|&(_, a)| a).collect();
    assert_eq!(to, order(c), "a listener per sentinel, in the same order");
    let (data, to) = cs[3];
    assert_eq!(to, node(3), "the master named, unverified");
    for &l in &listeners {
        let e = reply(c, out, ms, l, addr("m1"));
        assert_eq!(sends(&e), [(l, Command::Subscribe(vec!["+switch-master".into()]))]);
    }
    let e = input(c, out, ms, Input::Connected(data));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    (listeners, data)
}

fn switch(c: &mut Client, out: &mut Out, ms: u64, conn: ConnId, to: &str) -> Effects {
    let push = Msg::Push {
        channel: "+switch-master".into(),
        message: format!("mymaster m1 6379 {to} 6379").as_str().into(),
    };
    input(c, out, ms, Input::Message(conn, push))
}

#[test]
fn the_sentinels_are_taken_in_hash_set_order() {
    let (mut c, _) = client(Jedis::default());
    let names: Vec<(&str, u16)> = (0..3).map(|i| (["s1", "s2", "s3"][i], 26379)).collect();
    let expected: Vec<Addr> =
        order::hash_set_order(&names).into_iter().map(|i| sentinel(i as u32)).collect();
    assert_eq!(order(&mut c), expected);
}

#[test]
fn switch_master_replaces_the_pool_and_the_next_write_goes_to_the_new_master() {
    let (mut c, mut out) = client(Jedis::default());
    let (listeners, data) = build(&mut c, &mut out, 0);
    let e = reply(&mut c, &mut out, 1, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
    assert!(closes(&e).is_empty(), "the connection goes back to the pool");
    let e = switch(&mut c, &mut out, 500, listeners[1], "m2");
    let s = order(&mut c)[1];
    let s = c.dir.addr(s);
    let note = format!(
        "SentinelListener on {s} received +switch-master mymaster m1 6379 m2 6379 and created a connection pool to master at m2:6379"
    );
    assert_eq!(library_notes(&e), [note]);
    assert_eq!(closes(&e), [data], "the old pool's idle connection is destroyed");
    // The same news from another sentinel changes nothing.
    assert!(switch(&mut c, &mut out, 600, listeners[0], "m2").is_empty());
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let (d2, to) = connects(&e)[0];
    assert_eq!(to, node(4));
    let e = input(&mut c, &mut out, 1001, Input::Connected(d2));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == d2));
}

#[test]
fn a_switch_while_a_write_is_in_flight_destroys_its_connection_when_returned() {
    let (mut c, mut out) = client(Jedis::default());
    let (listeners, data) = build(&mut c, &mut out, 0);
    let e = switch(&mut c, &mut out, 1, listeners[0], "m2");
    assert!(closes(&e).is_empty(), "a borrowed connection is not touched");
    let e = reply(&mut c, &mut out, 2, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }), "acknowledged by m1");
    assert_eq!(closes(&e), [data], "returned to a closed pool");
}

#[test]
fn readonly_fails_the_write_and_keeps_the_connection() {
    let (mut c, mut out) = client(Jedis::default());
    let (_, data) = build(&mut c, &mut out, 0);
    let ro = "READONLY You can't write against a read only replica.";
    let e = reply(&mut c, &mut out, 1, data, Reply::err(ro));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: ro.into() }, "no retry");
    assert!(closes(&e).is_empty(), "a JedisDataException does not break the connection");
    // The next write goes to the same server on the same connection, asking nobody.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(connects(&e).is_empty());
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
}

#[test]
fn a_reset_mid_write_is_indeterminate_and_an_idle_reset_fails_the_next_write() {
    let (mut c, mut out) = client(Jedis::default());
    let (_, data) = build(&mut c, &mut out, 0);
    let e = input(&mut c, &mut out, 1, Input::Closed(data, CloseReason::Reset));
    let error = "java.net.SocketException: Connection reset".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Lost { error });
    // A new connection for the next write; the server closes it while idle.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let (d2, _) = connects(&e)[0];
    input(&mut c, &mut out, 1001, Input::Connected(d2));
    reply(&mut c, &mut out, 1002, d2, Reply::Ok);
    let e = input(&mut c, &mut out, 1500, Input::Closed(d2, CloseReason::Eof));
    assert!(records(&e).is_empty() && closes(&e).is_empty(), "nobody notices: {e:?}");
    let e = input(&mut c, &mut out, 2000, Input::Timer(Timer::ClientNext));
    let error = "Unexpected end of stream.".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error }, "no test on borrow, no retry");
    assert!(closes(&e).contains(&d2));
}

#[test]
fn a_timeout_breaks_the_connection_and_a_refused_connect_fails_the_write() {
    let (mut c, mut out) = client(Jedis::default());
    let (_, data) = build(&mut c, &mut out, 0);
    let e = input(&mut c, &mut out, 2000, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(closes(&e).contains(&data));
    let e = input(&mut c, &mut out, 3000, Input::Timer(Timer::ClientNext));
    let (d2, _) = connects(&e)[0];
    let e = input(&mut c, &mut out, 3000, Input::ConnectFailed(d2, ConnectError::Refused));
    let error = "Failed to connect to m1:6379.".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
}

#[test]
fn a_lost_listener_sleeps_then_asks_again_and_follows_its_sentinels_answer() {
    let (mut c, mut out) = client(Jedis::default());
    let (listeners, _) = build(&mut c, &mut out, 0);
    let e = input(&mut c, &mut out, 10, Input::Closed(listeners[2], CloseReason::Eof));
    let s = order(&mut c)[2];
    let s = c.dir.addr(s);
    let note =
        format!("SentinelListener lost connection to Sentinel {s}; sleeping 5000ms and retrying");
    assert_eq!(library_notes(&e), [note]);
    let e = input(&mut c, &mut out, 5010, Input::Timer(Timer::JedisResubscribe(2)));
    let (l, to) = connects(&e)[0];
    assert_eq!((to, sends(&e)), (order(&mut c)[2], vec![(l, ask())]));
    // Its answer is taken as it is: a new address replaces the pool.
    let e = reply(&mut c, &mut out, 5011, l, addr("m2"));
    assert!(
        library_notes(&e)[0].ends_with(
            "GET-MASTER-ADDR-BY-NAME and created a connection pool to master at m2:6379"
        )
    );
    // Its subscription is reset: it sleeps again.
    let e = input(&mut c, &mut out, 5011, Input::Closed(l, CloseReason::Reset));
    assert_eq!(library_notes(&e).len(), 1);
}

#[test]
fn init_sentinels_moves_past_failures_and_the_constructor_fails_when_none_names_a_master() {
    let (mut c, mut out) = client(Jedis::default());
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let s1 = connects(&e)[0].0;
    let e = input(&mut c, &mut out, 0, Input::ConnectFailed(s1, ConnectError::Refused));
    let s2 = connects(&e)[0].0;
    let e = input(&mut c, &mut out, 2000, Input::Timer(Timer::JedisTimeout(s2)));
    let s3 = connects(&e)[0].0;
    let e = reply(&mut c, &mut out, 2001, s3, Reply::Array(None));
    let error = "Can connect to sentinel, but mymaster seems to be not monitored.".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
    // The next operation builds the client again, from the first sentinel.
    let e = input(&mut c, &mut out, 3000, Input::Timer(Timer::ClientNext));
    assert_eq!(connects(&e)[0].1, order(&mut c)[0]);
}
