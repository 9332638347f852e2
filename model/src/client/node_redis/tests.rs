//! The node-redis client driven by hand with no world: each rule of the source leads where the
//! source says.

use super::super::tests::{Out, connects, dir, sends};
use super::settings::NodeRedis;
use super::*;
use crate::client::ClientKind;
use crate::observe::{OpRecord, OpResult};
use crate::resp::{Command, SentinelCmd};
use sim::{Duration, Effect, HostId, Instant, Outbox, ProcessId};

fn sentinel(i: u32) -> Addr {
    Addr::new(HostId(i), 26379)
}

fn m(i: u32) -> Addr {
    Addr::new(HostId(i), 6379)
}

/// A node-redis client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: NodeRedis) -> (Client, Out) {
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
        Client::new(dir(), "app1", kind, Duration::from_millis(100), Some(w)).node_redis(settings);
    (c, Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0)))
}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// `SENTINEL MASTER`'s map for `ip` with `flags`.
fn master(ip: &str, flags: &str) -> Reply {
    Reply::strings(["name", "mymaster", "ip", ip, "port", "6379", "flags", flags])
}

fn records(e: &[Effect<Msg, Timer, Note>]) -> Vec<OpRecord> {
    e.iter()
        .filter_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
        .collect()
}

fn timers(e: &[Effect<Msg, Timer, Note>]) -> Vec<(Timer, Duration)> {
    e.iter()
        .filter_map(|x| if let Effect::SetTimer(t, d) = x { Some((*t, *d)) } else { None })
        .collect()
}

fn set(seq: u64) -> Command {
    Command::from_strs(&["SET", &format!("app1:{seq:06}"), &format!("app1-v{seq}")])
}

/// The observing client at `conn` answers with `master`; returns the effects.
fn observe(
    c: &mut Client,
    out: &mut Out,
    now: u64,
    conn: ConnId,
    master: Reply,
) -> Vec<Effect<Msg, Timer, Note>> {
    let empty = Reply::Array(Some(Vec::new()));
    for r in [empty.clone(), master, empty] {
        c.handle(&mut out.ctx(at(now)), Input::Message(conn, Msg::Reply(r)));
    }
    out.take()
}

/// Starts the client: it observes through the first sentinel, opens the sentinel client (with
/// its PSUBSCRIBE) and a master client to m1, and the first SET goes there once both are up.
/// Returns (sentinel client, master client).
fn ready(c: &mut Client, out: &mut Out) -> (ConnId, ConnId) {
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    let (obs, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0), "the first sentinel of sentinelRootNodes first");
    assert_eq!(
        sends(&e),
        [
            (obs, Command::Sentinel(SentinelCmd::Sentinels("mymaster".into()))),
            (obs, Command::Sentinel(SentinelCmd::Master("mymaster".into()))),
            (obs, Command::Sentinel(SentinelCmd::Replicas("mymaster".into()))),
        ],
        "observe asks the three together"
    );
    let e = observe(c, out, 1, obs, master("m1", "master"));
    let conns = connects(&e);
    assert_eq!(conns.iter().map(|c| c.1).collect::<Vec<_>>(), [sentinel(0), m(3)]);
    let (sub, data) = (conns[0].0, conns[1].0);
    let patterns = NodeRedis::PATTERNS.map(String::from).to_vec();
    assert!(sends(&e).contains(&(sub, Command::PSubscribe(patterns))));
    c.handle(&mut out.ctx(at(2)), Input::Connected(sub));
    assert!(sends(&out.take()).is_empty(), "the command waits for the master client");
    c.handle(&mut out.ctx(at(2)), Input::Connected(data));
    assert_eq!(sends(&out.take()), [(data, set(0))], "then execute sends it");
    (sub, data)
}

#[test]
fn a_pattern_message_rediscovers_and_opens_the_new_master() {
    let (mut c, mut out) = client(NodeRedis::default());
    let (sub, data) = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(3)), Input::Message(data, Msg::Reply(Reply::Ok)));
    assert_eq!(records(&out.take())[0].result, OpResult::Ok { value: Some("OK".into()) });
    // +slave after the sentinel switched: observe again, on a fresh client.
    let push = Msg::Push { channel: "+slave".into(), message: "slave m1:6379 ...".into() };
    c.handle(&mut out.ctx(at(500)), Input::Message(sub, push));
    let e = out.take();
    let (obs, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0));
    let e = observe(&mut c, &mut out, 501, obs, master("m2", "master"));
    assert!(e.contains(&Effect::Close(data)), "the old master client is destroyed");
    let conns = connects(&e);
    assert_eq!(conns.iter().map(|c| c.1).collect::<Vec<_>>(), [m(4)], "the same sentinel is kept");
    // The next write waits for the new client, then goes there.
    c.handle(&mut out.ctx(at(1000)), Input::Timer(Timer::ClientNext));
    assert!(sends(&out.take()).is_empty());
    c.handle(&mut out.ctx(at(1001)), Input::Connected(conns[0].0));
    assert_eq!(sends(&out.take()), [(conns[0].0, set(1))]);
}

#[test]
fn a_master_flagged_failover_in_progress_is_refused_and_asked_again_a_second_later() {
    let (mut c, mut out) = client(NodeRedis::default());
    let (sub, _) = ready(&mut c, &mut out);
    let push = Msg::Push { channel: "+slave-reconf-done".into(), message: "slave ...".into() };
    c.handle(&mut out.ctx(at(500)), Input::Message(sub, push));
    let obs = connects(&out.take())[0].0;
    let e = observe(&mut c, &mut out, 501, obs, master("m1", "master,failover_in_progress"));
    assert!(connects(&e).is_empty(), "no valid master node");
    assert!(timers(&e).contains(&(Timer::NodeRedisRediscover, Duration::from_secs(1))));
    c.handle(&mut out.ctx(at(1501)), Input::Timer(Timer::NodeRedisRediscover));
    assert_eq!(connects(&out.take())[0].1, sentinel(0), "the next round observes again");
}

#[test]
fn readonly_rediscovers_and_resends_until_max_command_rediscovers() {
    let settings = NodeRedis { max_command_rediscovers: 1, ..NodeRedis::default() };
    let (mut c, mut out) = client(settings);
    let (_, data) = ready(&mut c, &mut out);
    let ro = Reply::Error("READONLY You can't write against a read only replica.".into());
    c.handle(&mut out.ctx(at(3)), Input::Message(data, Msg::Reply(ro.clone())));
    let e = out.take();
    assert!(records(&e).is_empty(), "not the caller's error yet");
    let obs = connects(&e)[0].0;
    // The sentinel still names m1: nothing changes, and the command is sent again.
    let e = observe(&mut c, &mut out, 4, obs, master("m1", "master"));
    assert_eq!(sends(&e), [(data, set(0))]);
    c.handle(&mut out.ctx(at(5)), Input::Message(data, Msg::Reply(ro)));
    let r = records(&out.take());
    assert!(matches!(&r[0].result, OpResult::Error { error } if error.starts_with("READONLY")));
}

#[test]
fn a_reset_rejects_the_written_command_which_is_resent_after_rediscovery() {
    let (mut c, mut out) = client(NodeRedis::default());
    let (_, data) = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(3)), Input::Closed(data, sim::CloseReason::Reset));
    let e = out.take();
    assert!(records(&e).is_empty(), "SocketClosedUnexpectedlyError: execute rediscovers");
    assert!(
        timers(&e).contains(&(Timer::NodeRedisReconnect(0), Duration::ZERO)),
        "reconnects at once"
    );
    let obs = connects(&e).iter().find(|c| c.1 == sentinel(0)).expect("observes").0;
    // The master client is not ready: getMasterNode is none, so a new one is opened to m1.
    let e = observe(&mut c, &mut out, 4, obs, master("m1", "master"));
    let fresh = connects(&e)[0];
    assert_eq!(fresh.1, m(3));
    c.handle(&mut out.ctx(at(5)), Input::Connected(fresh.0));
    assert_eq!(sends(&out.take()), [(fresh.0, set(0))], "the same command again");
}

#[test]
fn a_command_timeout_fails_the_command_and_keeps_the_connection() {
    let (mut c, mut out) = client(NodeRedis::default());
    let (_, data) = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(5002)), Input::Timer(Timer::ClientTimeout(0)));
    let e = out.take();
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(!e.contains(&Effect::Close(data)));
    // Its late reply settles nothing; the next command goes on the same connection.
    c.handle(&mut out.ctx(at(5003)), Input::Message(data, Msg::Reply(Reply::Ok)));
    assert!(records(&out.take()).is_empty());
    c.handle(&mut out.ctx(at(5004)), Input::Timer(Timer::ClientNext));
    assert_eq!(sends(&out.take()), [(data, set(1))]);
}

#[test]
fn commands_wait_for_the_first_connect_and_a_failed_sentinel_leaves_the_list() {
    let (mut c, mut out) = client(NodeRedis::default());
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let obs = connects(&out.take())[0].0;
    c.handle(&mut out.ctx(at(1)), Input::ConnectFailed(obs, sim::ConnectError::Refused));
    let e = out.take();
    assert_eq!(connects(&e)[0].1, sentinel(1), "the next sentinel");
    assert!(records(&e).is_empty(), "the command waits for connect()");
    let obs = connects(&e)[0].0;
    let e = observe(&mut c, &mut out, 2, obs, master("m1", "master"));
    let sub = connects(&e)[0].0;
    // The sentinel client's connection breaks: that sentinel leaves the list, and the reset
    // observes from the first one left.
    c.handle(&mut out.ctx(at(3)), Input::Closed(sub, sim::CloseReason::Reset));
    assert!(!c.nr().roots.contains(&sentinel(1)));
    assert_eq!(c.nr().roots, [sentinel(0), sentinel(2)]);
}
