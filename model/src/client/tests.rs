//! The redis-py Sentinel client's discovery and failure handling, driven by hand with no world.

use super::*;
use crate::resp::{Command, SentinelCmd};
use sim::{Effect, HostId, Outbox, ProcessId};

pub(super) type Out = Outbox<Msg, Timer, Note>;

pub(super) fn dir() -> Arc<Directory> {
    Directory::new(["s1", "s2", "s3", "m1", "m2", "app"].map(String::from).to_vec())
}

fn client() -> (Client, Out) {
    let sentinels = (0..3).map(|h| Addr::new(HostId(h), 26379)).collect();
    let kind = ClientKind::Sentinel { sentinels, service: "mymaster".into(), replica: false };
    let w = Workload {
        writes_per_sec: 1,
        reads_per_sec: 0,
        start: Instant::ZERO,
        stop: Some(Instant::from_millis(60_000)),
    };
    let c = Client::new(dir(), "app1", kind, Duration::from_millis(100), Some(w));
    (c, Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0)))
}

/// A `SENTINEL MASTERS` reply with one master entry.
pub(super) fn masters(ip: &str, flags: &str) -> Reply {
    let kv =
        ["name", "mymaster", "ip", ip, "port", "6379", "flags", flags, "num-other-sentinels", "2"];
    Reply::Array(Some(vec![Reply::strings(kv)]))
}

pub(super) fn sends(effects: &[Effect<Msg, Timer, Note>]) -> Vec<(ConnId, Command)> {
    effects
        .iter()
        .filter_map(|e| {
            if let Effect::Send(c, Msg::Cmd(cmd)) = e { Some((*c, cmd.clone())) } else { None }
        })
        .collect()
}

pub(super) fn connects(effects: &[Effect<Msg, Timer, Note>]) -> Vec<(ConnId, Addr)> {
    effects
        .iter()
        .filter_map(|e| if let Effect::Connect(c, a) = e { Some((*c, *a)) } else { None })
        .collect()
}

pub(super) fn records(e: &[Effect<Msg, Timer, Note>]) -> Vec<crate::observe::OpRecord> {
    e.iter()
        .filter_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
        .collect()
}

pub(super) fn closes(e: &[Effect<Msg, Timer, Note>]) -> Vec<ConnId> {
    e.iter().filter_map(|x| if let Effect::Close(c) = x { Some(*c) } else { None }).collect()
}

pub(super) fn library_notes(e: &[Effect<Msg, Timer, Note>]) -> Vec<String> {
    e.iter()
        .filter_map(|x| {
            if let Effect::Note(Note::Library(n)) = x { Some(n.text.clone()) } else { None }
        })
        .collect()
}

#[test]
fn discovery_skips_sentinels_that_flag_the_master_down_and_swaps_the_answering_one_first() {
    let (mut c, mut out) = client();
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let e = out.take();
    let (s1, to) = connects(&e)[0];
    assert_eq!(to, Addr::new(HostId(0), 26379), "asks the first sentinel first");
    assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))]);
    // The first sentinel sees the master down: rejected, the second is asked.
    c.handle(
        &mut out.ctx(Instant::from_millis(2)),
        Input::Message(s1, Msg::Reply(masters("m1", "s_down,master"))),
    );
    let e = out.take();
    let (s2, to) = connects(&e)[0];
    assert_eq!(to, Addr::new(HostId(1), 26379));
    c.handle(
        &mut out.ctx(Instant::from_millis(4)),
        Input::Message(s2, Msg::Reply(masters("m2", "master,disconnected"))),
    );
    let e = out.take();
    let (data, to) = connects(&e)[0];
    assert_eq!(
        to,
        Addr::new(HostId(4), 6379),
        "connects straight to the master (disconnected is not checked)"
    );
    assert!(e.iter().any(
        |x| matches!(x, Effect::Note(Note::Believe(b)) if b.master.as_deref() == Some("m2:6379"))
    ));
    assert_eq!(c.order, [1, 0, 2], "swapped with the first, not moved to the front");
    c.handle(&mut out.ctx(Instant::from_millis(5)), Input::Connected(data));
    let e = out.take();
    assert_eq!(sends(&e), [(data, Command::from_strs(&["SET", "app1:000000", "app1-v0"]))]);
    c.handle(&mut out.ctx(Instant::from_millis(6)), Input::Message(data, Msg::Reply(Reply::Ok)));
    let e = out.take();
    let rec = e
        .iter()
        .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
        .unwrap();
    assert_eq!(
        (rec.node.as_deref(), rec.result),
        (Some("m2:6379"), OpResult::Ok { value: Some("OK".into()) })
    );
}

/// A `SENTINEL REPLICAS` reply listing these replicas.
fn replicas(ips: &[&str]) -> Reply {
    let entries = ips
        .iter()
        .map(|ip| Reply::strings(["name", ip, "ip", ip, "port", "6379", "flags", "slave"]))
        .collect();
    Reply::Array(Some(entries))
}

#[test]
fn slave_for_tries_every_replica_in_turn_then_the_master() {
    let sentinels = (0..3).map(|h| Addr::new(HostId(h), 26379)).collect();
    let kind = ClientKind::Sentinel { sentinels, service: "mymaster".into(), replica: true };
    let w = Workload {
        writes_per_sec: 0,
        reads_per_sec: 1,
        start: Instant::ZERO,
        stop: Some(Instant::from_millis(60_000)),
    };
    let mut c = Client::new(dir(), "r", kind, Duration::from_millis(100), Some(w));
    let mut out: Out = Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0));
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let e = out.take();
    let s1 = connects(&e)[0].0;
    assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Replicas("mymaster".into())))]);
    assert!(matches!(&c.pending, Some(Pending { op: Op::Read { .. }, .. })), "a reader reads");
    c.handle(
        &mut out.ctx(Instant::from_millis(1)),
        Input::Message(s1, Msg::Reply(replicas(&["m1", "m2"]))),
    );
    let (first, a) = connects(&out.take())[0];
    // Refused: the other replica, then the master.
    c.handle(
        &mut out.ctx(Instant::from_millis(2)),
        Input::ConnectFailed(first, ConnectError::Refused),
    );
    let (second, b) = connects(&out.take())[0];
    assert_ne!(a, b, "the next replica");
    c.handle(
        &mut out.ctx(Instant::from_millis(3)),
        Input::ConnectFailed(second, ConnectError::Refused),
    );
    let e = out.take();
    assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))], "the master next");
    c.handle(
        &mut out.ctx(Instant::from_millis(4)),
        Input::Message(s1, Msg::Reply(masters("m2", "master"))),
    );
    let (to_master, addr) = connects(&out.take())[0];
    assert_eq!(addr, Addr::new(HostId(4), 6379));
    // When the master refuses too, the read fails with SlaveNotFoundError.
    c.handle(
        &mut out.ctx(Instant::from_millis(5)),
        Input::ConnectFailed(to_master, ConnectError::Refused),
    );
    let e = out.take();
    let rec = e
        .iter()
        .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
        .expect("the read ended");
    assert!(matches!(rec.result, OpResult::Error { .. }));
    // No replica listed at all: straight to the master.
    c.handle(&mut out.ctx(Instant::from_millis(1000)), Input::Timer(Timer::ClientNext));
    out.take();
    c.handle(
        &mut out.ctx(Instant::from_millis(1001)),
        Input::Message(s1, Msg::Reply(replicas(&[]))),
    );
    let e = out.take();
    let s2 = connects(&e)[0].0;
    assert_eq!(sends(&e), [(s2, Command::Sentinel(SentinelCmd::Replicas("mymaster".into())))]);
}

#[test]
fn readonly_disconnects_noreplicas_keeps_the_connection_and_a_timeout_is_indeterminate() {
    let (mut c, mut out) = client();
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let s1 = connects(&out.take())[0].0;
    c.handle(
        &mut out.ctx(Instant::from_millis(1)),
        Input::Message(s1, Msg::Reply(masters("m1", "master"))),
    );
    let data = connects(&out.take())[0].0;
    c.handle(&mut out.ctx(Instant::from_millis(2)), Input::Connected(data));
    out.take();
    let nore = Reply::err("NOREPLICAS Not enough good replicas to write.");
    c.handle(&mut out.ctx(Instant::from_millis(3)), Input::Message(data, Msg::Reply(nore)));
    let e = out.take();
    assert!(!e.iter().any(|x| matches!(x, Effect::Close(_))), "NOREPLICAS keeps the connection");
    // Next write goes out on the same connection, no discovery.
    c.handle(&mut out.ctx(Instant::from_millis(1000)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert_eq!(sends(&e).len(), 1);
    assert_eq!(sends(&e)[0].0, data);
    c.handle(
        &mut out.ctx(Instant::from_millis(1001)),
        Input::Message(
            data,
            Msg::Reply(Reply::err("READONLY You can't write against a read only replica.")),
        ),
    );
    let e = out.take();
    assert!(e.contains(&Effect::Close(data)), "READONLY on a master pool disconnects");
    // The next one rediscovers, then times out: indeterminate.
    c.handle(&mut out.ctx(Instant::from_millis(2000)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert_eq!(
        sends(&e),
        [(s1, Command::Sentinel(SentinelCmd::Masters))],
        "rediscovery on the pooled sentinel connection"
    );
    c.handle(
        &mut out.ctx(Instant::from_millis(2001)),
        Input::Message(s1, Msg::Reply(masters("m1", "master"))),
    );
    let data2 = connects(&out.take())[0].0;
    c.handle(&mut out.ctx(Instant::from_millis(2002)), Input::Connected(data2));
    out.take();
    c.handle(&mut out.ctx(Instant::from_millis(2102)), Input::Timer(Timer::ClientTimeout(2)));
    let e = out.take();
    let rec = e
        .iter()
        .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.clone()) } else { None })
        .unwrap();
    assert_eq!(rec.result, OpResult::Timeout);
    assert!(rec.result.indeterminate());
}

mod versions;
