//! What each redis-py version does with a READONLY reply, a timeout, a reset and `-LOADING`,
//! driven by hand with no world: the rules of `super::super::library`, as the actor plays them.

use super::*;
use crate::client::library::{RedisPy, RedisPyVersion};
use crate::observe::RetryNote;

fn py(version: &str, retry_on_timeout: bool) -> RedisPy {
    RedisPy {
        version: RedisPyVersion::parse(version).unwrap(),
        socket_connect_timeout: None,
        retry_on_timeout,
        valkey_py: None,
    }
}

/// A `master_for` client of `version`, and its outbox.
fn pool(version: &str, retry_on_timeout: bool) -> (Client, Out) {
    let (c, out) = client();
    (c.redis_py(py(version, retry_on_timeout)), out)
}

/// A plain `Redis("m1", 6379)` client of `version` writing once a second.
fn plain(version: &str) -> (Client, Out) {
    let kind = ClientKind::Plain { addr: Addr::new(HostId(3), 6379) };
    let w = Workload { writes_per_sec: 1, reads_per_sec: 0, start: Instant::ZERO, stop: None };
    let c = Client::new(dir(), "app1", kind, Duration::from_millis(100), Some(w));
    (c.redis_py(py(version, false)), Outbox::new(1, ProcessId(9), Addr::new(HostId(5), 0)))
}

fn retries(e: &[Effect<Msg, Timer, Note>]) -> Vec<RetryNote> {
    e.iter()
        .filter_map(|x| if let Effect::Note(Note::Retry(r)) = x { Some(r.clone()) } else { None })
        .collect()
}

fn result(e: &[Effect<Msg, Timer, Note>]) -> Option<OpResult> {
    e.iter()
        .find_map(|x| if let Effect::Note(Note::Op(r)) = x { Some(r.result.clone()) } else { None })
}

fn backoff(e: &[Effect<Msg, Timer, Note>]) -> Option<Duration> {
    e.iter().find_map(|x| match x {
        Effect::SetTimer(Timer::ClientBackoff(_), d) => Some(*d),
        _ => None,
    })
}

/// Runs the first write up to the moment its SET is on the wire; returns the sentinel and the
/// data connections.
fn write_sent(c: &mut Client, out: &mut Out) -> (ConnId, ConnId) {
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let s1 = connects(&out.take())[0].0;
    c.handle(&mut out.ctx(Instant::from_millis(1)), Input::Connected(s1));
    c.handle(
        &mut out.ctx(Instant::from_millis(2)),
        Input::Message(s1, Msg::Reply(masters("m1", "master"))),
    );
    let data = connects(&out.take())[0].0;
    c.handle(&mut out.ctx(Instant::from_millis(3)), Input::Connected(data));
    out.take();
    (s1, data)
}

#[test]
fn readonly_fails_the_write_up_to_5x_and_is_retried_once_from_6_0_with_retry_on_timeout() {
    let readonly =
        || Msg::Reply(Reply::err("READONLY You can't write against a read only replica."));
    for (version, retried) in [("3.5.3", false), ("5.0", false), ("6.0", true), ("8.2", true)] {
        let (mut c, mut out) = pool(version, true);
        let (s1, data) = write_sent(&mut c, &mut out);
        c.handle(&mut out.ctx(Instant::from_millis(4)), Input::Message(data, readonly()));
        let e = out.take();
        assert!(e.contains(&Effect::Close(data)), "{version}: READONLY disconnects");
        if !retried {
            assert!(matches!(result(&e), Some(OpResult::Error { .. })), "{version}");
            continue;
        }
        // 6.0's _close_connection leaves it to the Retry, which catches the ConnectionError:
        // no backoff (NoBackoff), the pool rediscovers on the pooled sentinel connection.
        assert_eq!(result(&e), None, "{version}: not over yet");
        assert_eq!(retries(&e)[0].caught_by, "command");
        assert_eq!(sends(&e), [(s1, Command::Sentinel(SentinelCmd::Masters))], "{version}");
    }
}

#[test]
fn a_sentinel_read_timeout_moves_on_except_in_8_0_and_8_1_which_retry_with_backoff() {
    for (version, retried) in [("5.0", false), ("7.4", true), ("8.1", true), ("8.2", false)] {
        let (mut c, mut out) = pool(version, false);
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let s1 = connects(&out.take())[0].0;
        c.handle(&mut out.ctx(Instant::from_millis(1)), Input::Connected(s1));
        out.take();
        c.handle(&mut out.ctx(Instant::from_millis(100)), Input::Timer(Timer::ClientTimeout(0)));
        let e = out.take();
        let next = connects(&e);
        if !retried {
            assert_eq!(next[0].1, Addr::new(HostId(1), 26379), "{version}: the next sentinel");
            continue;
        }
        assert!(e.contains(&Effect::Close(s1)) && next.is_empty(), "{version}: closed, waits");
        let wait = backoff(&e).expect("a backoff");
        let cap = if version == "7.4" { Duration::from_secs(2) } else { Duration::from_millis(20) };
        assert!(wait < cap, "{version}: random() * base * 2 ({wait})");
        assert_eq!(retries(&e)[0].failure, 1);
        c.handle(
            &mut out.ctx(Instant::from_millis(100) + wait),
            Input::Timer(Timer::ClientBackoff(0)),
        );
        let e = out.take();
        let (again, to) = connects(&e)[0];
        assert_eq!(to, Addr::new(HostId(0), 26379), "{version}: the same sentinel, reconnected");
        assert_eq!(sends(&e), [(again, Command::Sentinel(SentinelCmd::Masters))]);
    }
}

#[test]
fn a_reset_or_loading_on_a_plain_client_is_retried_from_6_0_and_a_pool_never_retries() {
    for (version, times) in [("5.0", 0), ("6.4", 3), ("8.1", 10)] {
        let (mut c, mut out) = plain(version);
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let mut data = connects(&out.take())[0].0;
        let mut now = Instant::from_millis(1);
        c.handle(&mut out.ctx(now), Input::Connected(data));
        out.take();
        // The first failure is a reset with the SET in flight, then -LOADING every time.
        c.handle(&mut out.ctx(now), Input::Closed(data, CloseReason::Reset));
        let mut n = 0;
        loop {
            let e = out.take();
            if let Some(r) = result(&e) {
                let want_lost = n == 0;
                assert_eq!(matches!(r, OpResult::Lost { .. }), want_lost, "{version}: {r:?}");
                break;
            }
            n += 1;
            now += backoff(&e).unwrap_or(Duration::ZERO);
            c.handle(&mut out.ctx(now), Input::Timer(Timer::ClientBackoff(0)));
            let e = out.take();
            data = connects(&e)[0].0;
            c.handle(&mut out.ctx(now), Input::Connected(data));
            assert_eq!(sends(&out.take()).len(), 1, "{version}: the SET again");
            let loading = Reply::err("LOADING Redis is loading the dataset in memory");
            c.handle(&mut out.ctx(now), Input::Message(data, Msg::Reply(loading)));
        }
        assert_eq!(n, times, "{version}: retries");
    }
    // A master_for pool's connections keep Retry(NoBackoff(), 0), in 8.1 too.
    let (mut c, mut out) = pool("8.1", false);
    let (_, data) = write_sent(&mut c, &mut out);
    let loading = Reply::err("LOADING Redis is loading the dataset in memory");
    c.handle(&mut out.ctx(Instant::from_millis(4)), Input::Message(data, Msg::Reply(loading)));
    assert!(matches!(result(&out.take()), Some(OpResult::Error { .. })));
}

#[test]
fn connects_wait_five_seconds_from_8_0_and_8_1_retries_a_refused_sentinel_ten_times() {
    let (mut c, mut out) = pool("8.1", false);
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert!(e.contains(&Effect::SetTimer(Timer::ClientTimeout(0), Duration::from_secs(5))));
    let mut s1 = connects(&e)[0].0;
    let mut now = Instant::ZERO;
    for n in 1..=10 {
        c.handle(&mut out.ctx(now), Input::ConnectFailed(s1, ConnectError::Refused));
        let e = out.take();
        let r = retries(&e);
        assert_eq!((r[0].caught_by.as_str(), r[0].failure), ("connect", n));
        now += backoff(&e).unwrap();
        c.handle(&mut out.ctx(now), Input::Timer(Timer::ClientBackoff(0)));
        s1 = connects(&out.take())[0].0;
    }
    c.handle(&mut out.ctx(now), Input::ConnectFailed(s1, ConnectError::Refused));
    let e = out.take();
    assert_eq!(connects(&e)[0].1, Addr::new(HostId(1), 26379), "then the next sentinel");
    // 5.0 connects within socket_timeout and moves on at once.
    let (mut c, mut out) = pool("5.0", false);
    c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
    let e = out.take();
    assert!(e.contains(&Effect::SetTimer(Timer::ClientTimeout(0), Duration::from_millis(100))));
    c.handle(&mut out.ctx(now), Input::ConnectFailed(connects(&e)[0].0, ConnectError::Refused));
    assert_eq!(connects(&out.take())[0].1, Addr::new(HostId(1), 26379));
}

#[test]
fn an_error_reply_from_a_sentinel_fails_the_write_before_8_2_and_is_skipped_from_8_2() {
    for (version, skipped) in [("5.0", false), ("8.1", false), ("8.2", true)] {
        let (mut c, mut out) = pool(version, false);
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        let s1 = connects(&out.take())[0].0;
        let err = Msg::Reply(Reply::err("ERR unknown command"));
        c.handle(&mut out.ctx(Instant::from_millis(1)), Input::Message(s1, err));
        let e = out.take();
        assert_eq!(result(&e).is_none(), skipped, "{version}");
        assert_eq!(!connects(&e).is_empty(), skipped, "{version}: the next sentinel");
    }
}

#[test]
fn no_master_found_lists_the_sentinels_errors_from_4_5_5() {
    for (version, listed) in [("3.5", false), ("4.5.4", false), ("4.5.5", true)] {
        let (mut c, mut out) = pool(version, false);
        c.handle(&mut out.ctx(Instant::ZERO), Input::Timer(Timer::ClientNext));
        for h in 0..3 {
            let s = connects(&out.take())[0].0;
            let now = Instant::from_millis(h);
            c.handle(&mut out.ctx(now), Input::ConnectFailed(s, ConnectError::Refused));
        }
        let Some(OpResult::Error { error }) = result(&out.take()) else { panic!("{version}") };
        assert_eq!(error.contains("Error 111"), listed, "{version}: {error}");
    }
}
