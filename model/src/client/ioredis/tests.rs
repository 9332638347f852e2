//! The ioredis client driven by hand with no world: each rule of the source leads where the
//! source says.

use super::super::tests::{
    Out, at, closes, connects, library_notes, records, sends, sentinel, sentinel_client,
};
use super::settings::{Ioredis, ReconnectOnError};
use super::*;
use crate::info::{Info, ReplicaFields, ServerInfo};
use crate::observe::OpResult;
use crate::resp::{Reply, SentinelCmd};
use sim::{CloseReason, ConnectError, Duration, Effect, Instant};

/// An ioredis client of sentinels s1..s3 with `settings`, writing once a second from 0.
fn client(settings: Ioredis) -> (Client, Out) {
    let (c, out) = sentinel_client(None);
    (c.ioredis(settings), out)
}

fn addr_reply(a: &str) -> Reply {
    Reply::strings([a, "6379"])
}

fn info(replica: bool) -> Reply {
    let r = ReplicaFields {
        master_host: "m2".into(),
        master_port: 6379,
        link_up: true,
        last_io_seconds_ago: 0,
        sync_in_progress: false,
        read_repl_offset: 0,
        repl_offset: 0,
        link_down_since_seconds: None,
        priority: 100,
        read_only: true,
        announced: true,
    };
    Reply::Info(Box::new(Info::Server(ServerInfo {
        build: Default::default(),
        run_id: "r".into(),
        tcp_port: 6379,
        uptime_in_seconds: 1,
        replica: replica.then_some(r),
        connected_slaves: 0,
        min_slaves_good_slaves: None,
        slaves: Vec::new(),
        master_replid: "a".into(),
        master_replid2: "0".into(),
        master_repl_offset: 0,
        second_repl_offset: -1,
        backlog_active: false,
        backlog_size: 0,
        backlog_first_byte_offset: 0,
        backlog_histlen: 0,
        keys: 0,
        used_memory: None,
        loading: false,
    })))
}

fn timers(e: &[Effect<Msg, Timer, Note>]) -> Vec<(Timer, Duration)> {
    e.iter()
        .filter_map(|x| if let Effect::SetTimer(t, d) = x { Some((*t, *d)) } else { None })
        .collect()
}

/// The sentinel at `via` names `master`; returns the data connection being opened, with the
/// effects of the answer to `SENTINEL SENTINELS`.
fn resolve(c: &mut Client, out: &mut Out, now: Instant, via: ConnId, master: &str) -> ConnId {
    c.handle(&mut out.ctx(now), Input::Message(via, Msg::Reply(addr_reply(master))));
    let e = out.take();
    assert_eq!(sends(&e), [(via, Command::Sentinel(SentinelCmd::Sentinels("mymaster".into())))]);
    c.handle(&mut out.ctx(now), Input::Message(via, Msg::Reply(Reply::Array(Some(Vec::new())))));
    let e = out.take();
    assert!(closes(&e).contains(&via), "the resolving client disconnects");
    connects(&e)[0].0
}

/// Starts the client, resolves `m1` through the first sentinel and makes the data connection
/// ready; the first write is sent. Returns the data connection.
fn ready(c: &mut Client, out: &mut Out) -> ConnId {
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    let (s1, to) = connects(&e)[0];
    assert_eq!(to, sentinel(0), "the first sentinel of the list first");
    assert_eq!(
        sends(&e),
        [(s1, Command::Sentinel(SentinelCmd::GetMasterAddrByName("mymaster".into())))]
    );
    let data = resolve(c, out, at(1), s1, "m1");
    c.handle(&mut out.ctx(at(2)), Input::Connected(data));
    let e = out.take();
    assert!(sends(&e).contains(&(data, Command::Info(Vec::new()))), "the ready check");
    assert!(
        !sends(&e).iter().any(|(_, c)| matches!(c, Command::Set { .. })),
        "SET waits for ready"
    );
    c.handle(&mut out.ctx(at(3)), Input::Message(data, Msg::Reply(info(false))));
    let e = out.take();
    assert_eq!(
        sends(&e),
        [(data, Command::from_strs(&["SET", "app1:000000", "app1-v0"]))],
        "the offline queue is sent when ready"
    );
    data
}

/// The reconnect after `now` ms: `expected` is asked, names `master`, and the new data
/// connection passes the ready check. Returns it and the effects of becoming ready.
fn reconnect(
    c: &mut Client,
    out: &mut Out,
    now: u64,
    expected: Addr,
    master: &str,
) -> (ConnId, Vec<Effect<Msg, Timer, Note>>) {
    c.handle(&mut out.ctx(at(now)), Input::Timer(Timer::IoredisReconnect));
    let (s, to) = connects(&out.take())[0];
    assert_eq!(to, expected, "the sentinel asked first");
    let data = resolve(c, out, at(now + 1), s, master);
    c.handle(&mut out.ctx(at(now + 2)), Input::Connected(data));
    out.take();
    c.handle(&mut out.ctx(at(now + 3)), Input::Message(data, Msg::Reply(info(false))));
    (data, out.take())
}

#[test]
fn the_iterator_stays_after_a_success_and_moves_the_current_sentinel_first_on_reset() {
    let mut it = SentinelIterator { sentinels: (0..3).map(sentinel).collect(), cursor: 0 };
    assert_eq!(it.next(), Some(sentinel(0)));
    assert_eq!(it.next(), Some(sentinel(1)), "no reset after a success: the next one");
    it.reset(true);
    assert_eq!(
        it.sentinels,
        [sentinel(1), sentinel(2), sentinel(0)],
        "splice(cursor - 1) to the front"
    );
    assert_eq!(it.cursor, 0);
    assert!(!it.add(sentinel(2)) && it.add(sentinel(7)));
}

#[test]
fn without_the_detector_a_switch_master_reaches_nobody_and_writes_go_on_to_the_old_master() {
    let (mut c, mut out) = client(Ioredis::default());
    let data = ready(&mut c, &mut out);
    assert!(c.io().detector.is_empty(), "no failover detector");
    // Nothing subscribed: the only way off m1 is its connection closing.
    c.handle(&mut out.ctx(at(5)), Input::Message(data, Msg::Reply(Reply::Ok)));
    let e = out.take();
    assert_eq!(records(&e)[0].node.as_deref(), Some("m1:6379"));
    c.handle(&mut out.ctx(at(1000)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert_eq!(sends(&e), [(data, Command::from_strs(&["SET", "app1:000001", "app1-v1"]))]);
    assert!(connects(&e).is_empty(), "no rediscovery while the connection lives");
}

#[test]
fn the_failover_detector_disconnects_on_switch_master_and_reconnects_through_the_sentinels() {
    let (mut c, mut out) = client(Ioredis { failover_detector: true, ..Ioredis::default() });
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let s1 = connects(&out.take())[0].0;
    let data = resolve(&mut c, &mut out, at(1), s1, "m1");
    c.handle(&mut out.ctx(at(2)), Input::Connected(data));
    let e = out.take();
    let subs: Vec<(ConnId, Addr)> = connects(&e);
    assert_eq!(
        subs.iter().map(|s| s.1).collect::<Vec<_>>(),
        [sentinel(0), sentinel(1), sentinel(2)],
        "one subscription per sentinel, the one that answered first"
    );
    assert!(subs.iter().all(|(conn, _)| {
        sends(&e).contains(&(*conn, Command::Subscribe(vec!["+switch-master".into()])))
    }));
    c.handle(&mut out.ctx(at(3)), Input::Message(data, Msg::Reply(info(false))));
    out.take();
    // A +switch-master from the second sentinel: the data connection is closed at once.
    let push =
        Msg::Push { channel: "+switch-master".into(), message: "mymaster m1 6379 m2 6379".into() };
    c.handle(&mut out.ctx(at(4)), Input::Message(subs[1].0, push.clone()));
    let e = out.take();
    assert!(closes(&e).contains(&data), "disconnected from the old master");
    assert!(
        library_notes(&e)[0].starts_with("failover detector on s2:26379 received +switch-master")
    );
    let (t, d) =
        timers(&e).into_iter().find(|(t, _)| *t == Timer::IoredisReconnect).expect("reconnects");
    assert_eq!((t, d), (Timer::IoredisReconnect, Duration::from_millis(50)), "retryStrategy(1)");
    // The SET in flight was kept and is resent on the new master once it is ready.
    // The detector put the answering sentinel first and reset the cursor.
    let (data2, e) = reconnect(&mut c, &mut out, 54, sentinel(0), "m2");
    assert!(sends(&e).contains(&(data2, Command::from_strs(&["SET", "app1:000000", "app1-v0"]))));
    c.handle(&mut out.ctx(at(58)), Input::Message(data2, Msg::Reply(Reply::Ok)));
    let r = records(&out.take());
    assert_eq!(
        (r[0].node.as_deref(), &r[0].result),
        (Some("m2:6379"), &OpResult::Ok { value: Some("OK".into()) })
    );
}

#[test]
fn readonly_is_the_callers_error_unless_reconnect_on_error_says_reconnect() {
    let readonly =
        || Msg::Reply(Reply::err("READONLY You can't write against a read only replica."));
    let (mut c, mut out) = client(Ioredis::default());
    let data = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(5)), Input::Message(data, readonly()));
    let e = out.take();
    assert!(
        matches!(&records(&e)[0].result, OpResult::Error { error } if error.starts_with("READONLY"))
    );
    assert!(closes(&e).is_empty(), "the connection stays on the replica");

    let (mut c, mut out) =
        client(Ioredis { reconnect_on_error: ReconnectOnError::ReadOnly, ..Ioredis::default() });
    let data = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(5)), Input::Message(data, readonly()));
    let e = out.take();
    assert!(
        matches!(&records(&e)[0].result, OpResult::Error { error } if error.starts_with("READONLY")),
        "the command fails either way"
    );
    assert!(closes(&e).contains(&data), "and the client reconnects");
    assert!(timers(&e).iter().any(|(t, _)| *t == Timer::IoredisReconnect));
}

#[test]
fn a_reset_keeps_the_command_in_flight_for_the_next_connection_unless_resending_is_off() {
    let (mut c, mut out) = client(Ioredis::default());
    let data = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(5)), Input::Closed(data, CloseReason::Reset));
    let e = out.take();
    assert!(records(&e).is_empty(), "the caller is not told");
    // The cursor was left after the first sentinel: the second is asked.
    let (data2, e) = reconnect(&mut c, &mut out, 55, sentinel(1), "m2");
    assert_eq!(
        sends(&e),
        [(data2, Command::from_strs(&["SET", "app1:000000", "app1-v0"]))],
        "autoResendUnfulfilledCommands"
    );

    let (mut c, mut out) =
        client(Ioredis { auto_resend_unfulfilled_commands: false, ..Ioredis::default() });
    let data = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(5)), Input::Closed(data, CloseReason::Reset));
    let (_, e) = reconnect(&mut c, &mut out, 55, sentinel(1), "m2");
    assert!(
        sends(&e).iter().all(|(_, c)| !matches!(c, Command::Set { .. })),
        "dropped, never settled"
    );
    assert!(c.pending.is_some(), "the application still waits for it");
}

#[test]
fn command_timeout_fails_the_command_but_keeps_the_connection_and_its_queue() {
    let t = Duration::from_millis(500);
    let (mut c, mut out) = client(Ioredis { command_timeout: Some(t), ..Ioredis::default() });
    let data = ready(&mut c, &mut out);
    c.handle(&mut out.ctx(at(503)), Input::Timer(Timer::ClientTimeout(0)));
    let e = out.take();
    assert_eq!(records(&e)[0].result, OpResult::Timeout);
    assert!(closes(&e).is_empty(), "no socket timeout: the connection stays");
    // The next write queues behind the unanswered one on the same connection.
    c.handle(&mut out.ctx(at(1000)), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert_eq!(sends(&e), [(data, Command::from_strs(&["SET", "app1:000001", "app1-v1"]))]);
    // The late reply answers the first command, which settles nothing; the next one answers it.
    c.handle(&mut out.ctx(at(1200)), Input::Message(data, Msg::Reply(Reply::Ok)));
    assert!(records(&out.take()).is_empty());
    c.handle(&mut out.ctx(at(1201)), Input::Message(data, Msg::Reply(Reply::Ok)));
    assert!(matches!(records(&out.take())[0].result, OpResult::Ok { .. }));
}

#[test]
fn a_queued_command_fails_after_max_retries_per_request_reconnects_or_at_once_without_the_queue() {
    let (mut c, mut out) =
        client(Ioredis { max_retries_per_request: Some(2), ..Ioredis::default() });
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let mut s = connects(&out.take())[0].0;
    let mut now = 1;
    for attempt in 1..=3u64 {
        let data = resolve(&mut c, &mut out, at(now), s, "m1");
        c.handle(&mut out.ctx(at(now)), Input::ConnectFailed(data, ConnectError::Refused));
        let e = out.take();
        let delay = timers(&e)
            .into_iter()
            .find(|(t, _)| *t == Timer::IoredisReconnect)
            .expect("reconnect")
            .1;
        assert_eq!(delay, Duration::from_millis(50 * attempt), "retryStrategy(times)");
        if attempt < 3 {
            assert!(records(&e).is_empty(), "still queued after {attempt} reconnects");
        } else {
            let r = records(&e);
            assert!(
                matches!(&r[0].result, OpResult::Error { error } if error.starts_with("Reached the max retries per request limit (which is 2)"))
            );
        }
        now += 100;
        c.handle(&mut out.ctx(at(now)), Input::Timer(Timer::IoredisReconnect));
        let e = out.take();
        if attempt == 3 {
            // Three resolutions moved the cursor past every sentinel (it is never reset on
            // success): the list is done, sentinelRetryStrategy waits 10 ms.
            assert!(connects(&e).is_empty());
            assert!(timers(&e).contains(&(Timer::IoredisSentinelRetry, Duration::from_millis(10))));
            break;
        }
        s = connects(&e)[0].0;
    }

    let (mut c, mut out) = client(Ioredis { enable_offline_queue: false, ..Ioredis::default() });
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let r = records(&out.take());
    assert_eq!(
        r[0].result,
        OpResult::Error {
            error: "Stream isn't writeable and enableOfflineQueue options is false".into()
        }
    );
}

#[test]
fn the_ready_check_refuses_a_replica_and_asks_the_next_sentinel() {
    let (mut c, mut out) = client(Ioredis::default());
    c.handle(&mut out.ctx(at(0)), Input::Timer(Timer::ClientNext));
    let s1 = connects(&out.take())[0].0;
    let data = resolve(&mut c, &mut out, at(1), s1, "m1");
    c.handle(&mut out.ctx(at(2)), Input::Connected(data));
    out.take();
    c.handle(&mut out.ctx(at(3)), Input::Message(data, Msg::Reply(info(true))));
    let e = out.take();
    assert!(closes(&e).contains(&data));
    assert!(library_notes(&e)[0].contains("role:slave, not master"));
    assert_eq!(
        c.io().iter.sentinels,
        [sentinel(2), sentinel(0), sentinel(1)],
        "two steps on, then that one first"
    );
    assert!(records(&e).is_empty(), "the SET still waits");
}
