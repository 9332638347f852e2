//! The Lettuce client driven by hand with no world: each rule of `RedisClient`,
//! `ConnectionWatchdog` and `DefaultEndpoint` (7.7.0.RELEASE) leads where the source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, node, records, sends, sentinel, sentinel_client,
};
use super::settings::{DisconnectedBehavior, Lettuce, ReconnectDelay};
use super::*;
use crate::resp::SentinelCmd;
use sim::{ConnectError, Duration, Effect};

/// A Lettuce client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: Lettuce) -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.lettuce(settings), out)
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

fn reply(
    c: &mut Client,
    out: &mut Out,
    ms: u64,
    conn: ConnId,
    r: Reply,
) -> Vec<Effect<Msg, Timer, Note>> {
    input(c, out, ms, Input::Message(conn, Msg::Reply(r)))
}

fn timers(e: &[Effect<Msg, Timer, Note>]) -> Vec<(Timer, Duration)> {
    e.iter()
        .filter_map(|x| if let Effect::SetTimer(t, d) = x { Some((*t, *d)) } else { None })
        .collect()
}

fn pong() -> Reply {
    Reply::Status("PONG".into())
}

/// `GET-MASTER-ADDR-BY-NAME`'s answer naming `m` (host 3 is m1, 4 is m2).
fn addr(m: &str) -> Reply {
    Reply::strings([m, "6379"])
}

/// Connects `conn` and answers its handshake; returns what the handshake's reply led to.
fn handshake(
    c: &mut Client,
    out: &mut Out,
    ms: u64,
    conn: ConnId,
) -> Vec<Effect<Msg, Timer, Note>> {
    let e = input(c, out, ms, Input::Connected(conn));
    assert_eq!(sends(&e), [(conn, Command::Ping(None))], "the handshake first");
    reply(c, out, ms, conn, pong())
}

/// From a lookup's first connect to sentinel `s` at `ms`: the sentinel names `m`; returns the
/// data connection, active, and what its activation did.
fn resolve(
    c: &mut Client,
    out: &mut Out,
    ms: u64,
    s: ConnId,
    m: &str,
) -> (ConnId, Vec<Effect<Msg, Timer, Note>>) {
    let e = handshake(c, out, ms, s);
    let q = Command::Sentinel(SentinelCmd::GetMasterAddrByName("mymaster".into()));
    assert_eq!(sends(&e), [(s, q)]);
    let e = reply(c, out, ms, s, addr(m));
    assert!(closes(&e).contains(&s), "the sentinel connection is closed after the lookup");
    let (data, to) = connects(&e)[0];
    assert_eq!(to, node(if m == "m1" { 3 } else { 4 }), "no ROLE check of the answer");
    (data, handshake(c, out, ms, data))
}

/// The application's first operation at 0: `connect()` through s1, which names m1; the write
/// is sent on the data connection, which is returned.
fn connect(c: &mut Client, out: &mut Out) -> ConnId {
    let e = input(c, out, 0, Input::Timer(Timer::ClientNext));
    let (s1, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0), "the first sentinel of the list");
    let (data, e) = resolve(c, out, 0, s1, "m1");
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    assert!(timers(&e).contains(&(Timer::ClientTimeout(0), Duration::from_secs(60))));
    data
}

#[test]
fn switch_master_is_never_heard_and_readonly_is_only_the_callers_error() {
    let (mut c, mut out) = client(Lettuce::default());
    let data = connect(&mut c, &mut out);
    let e = reply(&mut c, &mut out, 1, data, Reply::Ok);
    assert!(matches!(records(&e)[0].result, OpResult::Ok { .. }));
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    assert!(input(&mut c, &mut out, 500, Input::Message(ConnId(0), push)).is_empty());
    // The next write goes to m1 again; its READONLY fails it and nothing else happens.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(connects(&e).is_empty());
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    let ro = "READONLY You can't write against a read only replica.";
    let e = reply(&mut c, &mut out, 1001, data, Reply::err(ro));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: ro.into() });
    assert!(closes(&e).is_empty() && connects(&e).is_empty(), "no topology refresh");
    let e = input(&mut c, &mut out, 2000, Input::Timer(Timer::ClientNext));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
}

#[test]
fn a_reset_requeues_the_command_and_the_watchdog_asks_the_sentinels_before_reconnecting() {
    let (mut c, mut out) = client(Lettuce::default());
    let data = connect(&mut c, &mut out);
    let e = input(&mut c, &mut out, 5, Input::Closed(data, sim::CloseReason::Reset));
    assert!(records(&e).is_empty(), "at least once: the command waits for the reconnect");
    assert_eq!(timers(&e), [(Timer::LettuceReconnect, Duration::from_millis(1))]);
    let e = input(&mut c, &mut out, 6, Input::Timer(Timer::LettuceReconnect));
    assert_eq!(library_notes(&e), ["Reconnecting, last destination was m1:6379"]);
    let (s1, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0), "re-resolved through the sentinels, from the first");
    let (data2, e) = resolve(&mut c, &mut out, 7, s1, "m2");
    assert!(library_notes(&e).contains(&"Reconnected to m2:6379".to_string()));
    // The buffered command is sent again, on the new channel, and acknowledged only now.
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data2));
    let e = reply(&mut c, &mut out, 8, data2, Reply::Ok);
    let r = &records(&e)[0];
    assert_eq!((r.seq, r.node.as_deref()), (0, Some("m2:6379")));
}

#[test]
fn failed_reconnects_back_off_exponentially_and_reuse_the_cached_address() {
    let (mut c, mut out) = client(Lettuce::default());
    let data = connect(&mut c, &mut out);
    input(&mut c, &mut out, 5, Input::Closed(data, sim::CloseReason::Reset));
    let mut now = 6;
    for attempt in 1..=4u32 {
        let e = input(&mut c, &mut out, now, Input::Timer(Timer::LettuceReconnect));
        // Every sentinel refuses: the lookup fails, and the last address is tried.
        let mut conns = connects(&e);
        for _ in 0..3 {
            let (s, _) = conns[0];
            let e = input(&mut c, &mut out, now, Input::ConnectFailed(s, ConnectError::Refused));
            conns = connects(&e);
            if conns[0].1 == node(3) {
                let notes = library_notes(&e);
                assert!(
                    notes.last().is_some_and(|n| n.ends_with("reusing cached address m1:6379")),
                    "{notes:?}"
                );
            }
        }
        let (m1, to) = conns[0];
        assert_eq!(to, node(3));
        let e = input(&mut c, &mut out, now, Input::ConnectFailed(m1, ConnectError::Refused));
        let delay = Duration::from_millis(1 << attempt);
        assert_eq!(timers(&e), [(Timer::LettuceReconnect, delay)], "attempt {}", attempt + 1);
        now += delay.as_millis();
    }
    assert_eq!(ReconnectDelay::Exponential.delay(16), Duration::from_secs(30), "capped at 30 s");
}

#[test]
fn a_command_timeout_fails_the_write_and_keeps_the_connection() {
    let (mut c, mut out) = client(Lettuce::default());
    let data = connect(&mut c, &mut out);
    let e = input(&mut c, &mut out, 60_000, Input::Timer(Timer::ClientTimeout(0)));
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(closes(&e).is_empty());
    // The late reply is the timed-out command's, not the next one's.
    let e = input(&mut c, &mut out, 60_001, Input::Timer(Timer::ClientNext));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    assert!(records(&reply(&mut c, &mut out, 60_002, data, Reply::Ok)).is_empty());
    let e = reply(&mut c, &mut out, 60_003, data, Reply::Ok);
    assert_eq!(records(&e)[0].seq, 1);
}

#[test]
fn a_buffered_command_is_acknowledged_only_once_sent_or_fails_after_timeout() {
    let s = Lettuce {
        reconnect_delay: ReconnectDelay::Constant(Duration::from_secs(100)),
        ..Lettuce::default()
    };
    let (mut c, mut out) = client(s);
    let data = connect(&mut c, &mut out);
    reply(&mut c, &mut out, 1, data, Reply::Ok);
    input(&mut c, &mut out, 500, Input::Closed(data, sim::CloseReason::Reset));
    // Disconnected: the write is accepted into the buffer, nothing is sent.
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    assert!(sends(&e).is_empty() && records(&e).is_empty());
    let e = input(&mut c, &mut out, 61_000, Input::Timer(Timer::ClientTimeout(1)));
    let error = "Command timed out after 1 minute(s)".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error }, "never sent: not applied");
}

#[test]
fn reject_commands_fails_writes_while_disconnected_and_the_one_in_flight() {
    let s = Lettuce {
        disconnected_behavior: DisconnectedBehavior::RejectCommands,
        ..Lettuce::default()
    };
    let (mut c, mut out) = client(s);
    let data = connect(&mut c, &mut out);
    let e = input(&mut c, &mut out, 5, Input::Closed(data, sim::CloseReason::Reset));
    let error = "Connection disconnected".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Lost { error });
    assert!(timers(&e).contains(&(Timer::LettuceReconnect, Duration::from_millis(1))));
    let e = input(&mut c, &mut out, 1000, Input::Timer(Timer::ClientNext));
    let error = "Currently not connected. Commands are rejected.".to_string();
    assert_eq!(records(&e)[0].result, OpResult::Error { error });
}

#[test]
fn connect_moves_on_only_when_a_sentinel_does_not_connect_and_a_null_answer_fails_it() {
    let (mut c, mut out) = client(Lettuce::default());
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let s1 = connects(&e)[0].0;
    assert!(timers(&e).contains(&(Timer::LettuceTimeout(s1), Duration::from_secs(10))));
    let e = input(&mut c, &mut out, 10_000, Input::Timer(Timer::LettuceTimeout(s1)));
    assert_eq!(
        library_notes(&e),
        [
            "Cannot connect Redis Sentinel at redis://s1:26379: connection timed out after 10000 ms: s1:26379"
        ]
    );
    let (s2, to) = connects(&e)[0];
    assert_eq!(to, sentinel(1));
    handshake(&mut c, &mut out, 10_001, s2);
    let e = reply(&mut c, &mut out, 10_002, s2, Reply::Bulk(None));
    let error = "Unable to connect to redis-sentinel://s1:26379,s2:26379,s3:26379?sentinelMasterId=mymaster: Cannot provide redisAddress using sentinel for masterId mymaster";
    assert_eq!(records(&e)[0].result, OpResult::Error { error: error.into() });
    assert!(connects(&e).is_empty(), "the third sentinel is not asked");
}

#[test]
fn a_loading_server_completes_the_handshake_as_hello_would_and_its_error_is_the_callers() {
    let (mut c, mut out) = client(Lettuce::default());
    let e = input(&mut c, &mut out, 0, Input::Timer(Timer::ClientNext));
    let s1 = connects(&e)[0].0;
    let e = handshake(&mut c, &mut out, 0, s1);
    assert_eq!(sends(&e).len(), 1);
    let e = reply(&mut c, &mut out, 0, s1, addr("m1"));
    let data = connects(&e)[0].0;
    input(&mut c, &mut out, 1, Input::Connected(data));
    let loading = "LOADING Redis is loading the dataset in memory";
    let e = reply(&mut c, &mut out, 2, data, Reply::err(loading));
    assert!(matches!(&sends(&e)[..], [(d, Command::Set { .. })] if *d == data));
    let e = reply(&mut c, &mut out, 3, data, Reply::err(loading));
    assert_eq!(records(&e)[0].result, OpResult::Error { error: loading.into() });
    assert!(closes(&e).is_empty(), "RedisLoadingException is the caller's; the connection stays");
}
