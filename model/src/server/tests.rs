//! The server driven as a pure state machine: inputs in, effects out, no world.

use super::config::ServerConfig;
use super::*;
use crate::wire::Directory;
use sim::{Effect, HostId, Instant, Outbox, ProcessId};

type Out = Outbox<Msg, Timer, Note>;

fn dir() -> Arc<Directory> {
    Directory::new(vec!["10.0.0.1".into(), "10.0.0.2".into(), "app".into()])
}

/// A started server on 10.0.0.1:6379 with `directives`.
fn server(directives: &[(&str, &str)]) -> (Server, Out) {
    let mut cfg = ServerConfig::default();
    for (k, v) in directives {
        cfg.set(k, v).unwrap();
    }
    let mut s = Server::new(dir(), 6379, cfg, ServerBuild::default());
    let mut out = Outbox::new(1, ProcessId(0), Addr::new(HostId(0), 6379));
    s.start(&mut out.ctx(Instant::ZERO));
    out.take();
    (s, out)
}

const CLIENT: ConnId = ConnId(101);

fn accept(s: &mut Server, out: &mut Out, conn: ConnId, host: u32) {
    s.handle(&mut out.ctx(Instant::ZERO), Input::Accepted(conn, Addr::new(HostId(host), 40000)));
}

/// Sends `argv` from `conn` and returns the replies it got.
fn call(s: &mut Server, out: &mut Out, conn: ConnId, argv: &[&str]) -> Vec<Reply> {
    s.handle(
        &mut out.ctx(Instant::from_millis(10)),
        Input::Message(conn, Msg::Cmd(Command::from_strs(argv))),
    );
    out.take()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(c, Msg::Reply(r)) if c == conn => Some(r),
            _ => None,
        })
        .collect()
}

fn one(s: &mut Server, out: &mut Out, argv: &[&str]) -> Reply {
    let mut r = call(s, out, CLIENT, argv);
    assert_eq!(r.len(), 1, "{argv:?} -> {r:?}");
    r.remove(0)
}

#[test]
fn strings_and_errors_as_redis_answers_them() {
    let (mut s, mut out) = server(&[]);
    accept(&mut s, &mut out, CLIENT, 2);
    assert_eq!(one(&mut s, &mut out, &["SET", "k", "v"]), Reply::Ok);
    assert_eq!(one(&mut s, &mut out, &["GET", "k"]), Reply::bulk("v"));
    assert_eq!(one(&mut s, &mut out, &["SET", "k", "w", "NX"]), Reply::Bulk(None));
    assert_eq!(one(&mut s, &mut out, &["INCR", "n"]), Reply::Int(1));
    assert_eq!(
        one(&mut s, &mut out, &["INCR", "k"]),
        Reply::err("ERR value is not an integer or out of range")
    );
    assert_eq!(one(&mut s, &mut out, &["EXISTS", "k", "n", "x"]), Reply::Int(2));
    assert_eq!(one(&mut s, &mut out, &["DBSIZE"]), Reply::Int(2));
    assert_eq!(one(&mut s, &mut out, &["DEL", "k", "x"]), Reply::Int(1));
    assert_eq!(one(&mut s, &mut out, &["PING"]), Reply::Status("PONG".into()));
    assert_eq!(
        one(&mut s, &mut out, &["HGET", "h", "f"]),
        Reply::err("ERR unknown command 'HGET', with args beginning with: 'h' 'f' ")
    );
    assert_eq!(one(&mut s, &mut out, &["WAIT", "0", "0"]), Reply::Int(0));
}

#[test]
fn a_replica_refuses_writes_and_may_refuse_stale_reads() {
    let (mut s, mut out) =
        server(&[("replicaof", "10.0.0.2 6379"), ("replica-serve-stale-data", "no")]);
    accept(&mut s, &mut out, CLIENT, 2);
    assert_eq!(
        one(&mut s, &mut out, &["SET", "k", "v"]),
        Reply::err("READONLY You can't write against a read only replica.")
    );
    assert_eq!(
        one(&mut s, &mut out, &["GET", "k"]),
        Reply::err(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
        )
    );
    assert!(matches!(one(&mut s, &mut out, &["INFO", "replication"]), Reply::Info(_)));
    let role = one(&mut s, &mut out, &["ROLE"]);
    assert_eq!(
        role.to_string(),
        "[\"slave\", \"10.0.0.2\", (integer) 6379, \"connect\", (integer) -1]"
    );
}

#[test]
fn min_replicas_refuses_writes_with_noreplicas_and_keeps_reads() {
    let (mut s, mut out) =
        server(&[("min-replicas-to-write", "1"), ("min-replicas-max-lag", "10")]);
    accept(&mut s, &mut out, CLIENT, 2);
    assert_eq!(
        one(&mut s, &mut out, &["SET", "k", "v"]),
        Reply::err("NOREPLICAS Not enough good replicas to write.")
    );
    assert_eq!(one(&mut s, &mut out, &["GET", "k"]), Reply::Bulk(None));
}

#[test]
fn promotion_keeps_the_old_id_as_replid2_valid_up_to_offset_plus_one() {
    let (mut s, mut out) = server(&[("replicaof", "10.0.0.2 6379")]);
    s.rt().repl.offset = 2084;
    let old = s.rt().repl.replid.clone();
    accept(&mut s, &mut out, CLIENT, 2);
    assert_eq!(one(&mut s, &mut out, &["REPLICAOF", "NO", "ONE"]), Reply::Ok);
    let Some(Info::Server(info)) = s.info(0, Instant::ZERO) else { panic!() };
    assert!(info.replica.is_none());
    assert_eq!(info.master_replid2, old);
    assert_ne!(info.master_replid, old);
    assert_eq!(info.second_repl_offset, 2085);
    assert_eq!(info.master_repl_offset, 2084);
}

/// Attaches a replica on `conn` via the handshake and a PSYNC; returns the replies.
fn psync(s: &mut Server, out: &mut Out, conn: ConnId, id: &str, offset: i64) -> Vec<Msg> {
    accept(s, out, conn, 1);
    call(s, out, conn, &["REPLCONF", "listening-port", "6379"]);
    s.handle(
        &mut out.ctx(Instant::from_millis(10)),
        Input::Message(conn, Msg::Cmd(Command::Psync { replid: id.into(), offset })),
    );
    out.take()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(c, m) if c == conn => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn psync_continues_when_id_and_backlog_allow_and_otherwise_waits_for_a_full_sync() {
    let (mut s, mut out) = server(&[]);
    // First replica: no backlog yet, so a full sync (answered only when the fork starts).
    let first = psync(&mut s, &mut out, ConnId(201), "?", -1);
    assert!(first.is_empty(), "the FULLRESYNC reply waits for the fork: {first:?}");
    let replid = s.rt().repl.replid.clone();
    accept(&mut s, &mut out, CLIENT, 2);
    one(&mut s, &mut out, &["SET", "a", "1"]);
    let offset = s.rt().repl.offset;
    assert!(offset > 0, "the write went to the backlog");
    // A second replica with our id and a reachable offset continues partially.
    let cont = psync(&mut s, &mut out, ConnId(202), &replid, 1);
    assert_eq!(cont[0], Msg::Reply(Reply::Status(format!("CONTINUE {replid}"))));
    assert_eq!(
        cont[1..],
        [Msg::Stream(Command::Select(0)), Msg::Stream(Command::from_strs(&["SET", "a", "1"]))]
    );
    // Beyond what was produced, or another history: full resync.
    assert!(psync(&mut s, &mut out, ConnId(203), &replid, offset + 2).is_empty());
    assert!(psync(&mut s, &mut out, ConnId(204), "deadbeef", 1).is_empty());
}

#[test]
fn the_diskless_fork_waits_five_idle_seconds_then_answers_fullresync_with_the_payload() {
    let (mut s, mut out) = server(&[]);
    out.wall_base_us = 1_000_000_000;
    accept(&mut s, &mut out, CLIENT, 2);
    one(&mut s, &mut out, &["SET", "a", "1"]);
    psync(&mut s, &mut out, ConnId(201), "?", -1);
    let cron = |s: &mut Server, out: &mut Out, at_ms: u64| {
        s.handle(&mut out.ctx(Instant::from_millis(at_ms)), Input::Timer(Timer::ServerCron));
        out.take()
    };
    for t in [1_000, 2_000, 3_000, 4_000] {
        assert!(
            !cron(&mut s, &mut out, t).iter().any(|e| matches!(e, Effect::Send(_, Msg::Rdb(_)))),
            "{t}"
        );
    }
    let effects = cron(&mut s, &mut out, 5_000);
    let rdb = effects.iter().find_map(|e| match e {
        Effect::Send(ConnId(201), Msg::Rdb(snap)) => Some(snap),
        _ => None,
    });
    assert_eq!(rdb.expect("the fork at 5 s").data.get("a").map(|v| &**v), Some("1"));
}

#[test]
fn multi_exec_and_client_kill_skip_the_caller() {
    let (mut s, mut out) = server(&[]);
    accept(&mut s, &mut out, CLIENT, 2);
    accept(&mut s, &mut out, ConnId(102), 2);
    accept(&mut s, &mut out, ConnId(103), 2);
    call(&mut s, &mut out, ConnId(103), &["SUBSCRIBE", "__sentinel__:hello"]);
    assert_eq!(one(&mut s, &mut out, &["MULTI"]), Reply::Ok);
    assert_eq!(one(&mut s, &mut out, &["CONFIG", "REWRITE"]), Reply::Status("QUEUED".into()));
    assert_eq!(
        one(&mut s, &mut out, &["CLIENT", "KILL", "TYPE", "normal"]),
        Reply::Status("QUEUED".into())
    );
    assert_eq!(
        one(&mut s, &mut out, &["CLIENT", "KILL", "TYPE", "pubsub"]),
        Reply::Status("QUEUED".into())
    );
    s.handle(
        &mut out.ctx(Instant::from_millis(10)),
        Input::Message(CLIENT, Msg::Cmd(Command::Exec)),
    );
    let effects = out.take();
    let closed: Vec<ConnId> = effects
        .iter()
        .filter_map(|e| if let Effect::Close(c) = e { Some(*c) } else { None })
        .collect();
    assert_eq!(closed, [ConnId(102), ConnId(103)]);
    assert!(effects.contains(&Effect::Send(
        CLIENT,
        Msg::Reply(Reply::Array(Some(vec![Reply::Ok, Reply::Int(1), Reply::Int(1)])))
    )));
}

#[test]
fn publish_reaches_subscribers_and_is_propagated() {
    let (mut s, mut out) = server(&[]);
    psync(&mut s, &mut out, ConnId(201), "?", -1);
    accept(&mut s, &mut out, ConnId(103), 2);
    call(&mut s, &mut out, ConnId(103), &["SUBSCRIBE", "ch"]);
    accept(&mut s, &mut out, CLIENT, 2);
    let before = s.rt().repl.offset;
    s.handle(
        &mut out.ctx(Instant::from_millis(10)),
        Input::Message(CLIENT, Msg::Cmd(Command::from_strs(&["PUBLISH", "ch", "hi"]))),
    );
    let effects = out.take();
    assert!(effects.contains(&Effect::Send(
        ConnId(103),
        Msg::Push { channel: "ch".into(), message: "hi".into() }
    )));
    assert!(effects.contains(&Effect::Send(CLIENT, Msg::Reply(Reply::Int(1)))));
    assert!(s.rt().repl.offset > before, "PUBLISH advances the replication offset");
}

#[test]
fn a_refusal_inside_multi_dooms_the_transaction_and_a_refused_exec_discards_it() {
    // processCommand runs its checks before queueing (rejectCommand flags the transaction),
    // and runs them for EXEC with the flags of the queued commands.
    let (mut s, mut out) =
        server(&[("min-replicas-to-write", "1"), ("min-replicas-max-lag", "10")]);
    accept(&mut s, &mut out, CLIENT, 2);
    let noreplicas = Reply::err("NOREPLICAS Not enough good replicas to write.");
    assert_eq!(one(&mut s, &mut out, &["MULTI"]), Reply::Ok);
    assert_eq!(one(&mut s, &mut out, &["GET", "k"]), Reply::Status("QUEUED".into()));
    assert_eq!(one(&mut s, &mut out, &["SET", "k", "v"]), noreplicas);
    assert_eq!(
        one(&mut s, &mut out, &["EXEC"]),
        Reply::err("EXECABORT Transaction discarded because of previous errors.")
    );
    // A read-only transaction still runs.
    assert_eq!(one(&mut s, &mut out, &["MULTI"]), Reply::Ok);
    assert_eq!(one(&mut s, &mut out, &["GET", "k"]), Reply::Status("QUEUED".into()));
    assert_eq!(one(&mut s, &mut out, &["EXEC"]), Reply::Array(Some(vec![Reply::Bulk(None)])));
    // Queued while writable, executed once the replicas are gone: EXEC is refused as a write.
    let (mut s, mut out) = server(&[]);
    accept(&mut s, &mut out, CLIENT, 2);
    assert_eq!(one(&mut s, &mut out, &["MULTI"]), Reply::Ok);
    assert_eq!(one(&mut s, &mut out, &["SET", "k", "v"]), Reply::Status("QUEUED".into()));
    s.rt().cfg.min_replicas_to_write = 1;
    assert_eq!(
        one(&mut s, &mut out, &["EXEC"]),
        Reply::err(
            "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write."
        )
    );
    assert_eq!(one(&mut s, &mut out, &["GET", "k"]), Reply::Bulk(None), "nothing ran");
    assert_eq!(one(&mut s, &mut out, &["EXEC"]), Reply::err("ERR EXEC without MULTI"));
}
