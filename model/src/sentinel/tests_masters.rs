//! Several masters on one sentinel: each master's state (SDOWN, votes, config epoch, address,
//! settings) is its own; the current epoch is the sentinel's. `SENTINEL SET` changes one
//! master's settings at run time and the config file keeps them.

use super::*;
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::Directory;
use sim::{Addr, Effect, HostId, Instant, Outbox, ProcessId};

type Out = Outbox<Msg, Timer, Note>;

const BASE_MS: i64 = 1_795_478_400_000;

fn two_masters() -> (Sentinel, Out) {
    let dir = Directory::new(["m", "r1", "n", "r2", "s1", "s2"].map(String::from).to_vec());
    let mut cfg = SentinelConfig::empty();
    cfg.set("sentinel monitor", "sessions n 6380 2\ncache m 6379 2").unwrap();
    cfg.set("sentinel down-after-milliseconds", "cache 5000\nsessions 8000").unwrap();
    let mut s = Sentinel::new(dir, 26379, cfg, ServerBuild::default());
    let mut out = Outbox::new(1, ProcessId(0), Addr::new(HostId(4), 26379));
    out.wall_base_us = BASE_MS as u64 * 1000;
    s.start(&mut out.ctx(Instant::ZERO));
    (s, out)
}

fn ask(s: &mut Sentinel, out: &mut Out, cmd: SentinelCmd) -> Reply {
    ask_logged(s, out, cmd).0
}

/// The reply to `cmd` and the sentinel events it logged.
fn ask_logged(s: &mut Sentinel, out: &mut Out, cmd: SentinelCmd) -> (Reply, Vec<String>) {
    let conn = sim::ConnId(901);
    s.handle(
        &mut out.ctx(Instant::from_millis(1)),
        Input::Accepted(conn, Addr::new(HostId(5), 4000)),
    );
    s.handle(
        &mut out.ctx(Instant::from_millis(2)),
        Input::Message(conn, Msg::Cmd(Command::Sentinel(cmd))),
    );
    let effects = out.take();
    let events = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Note(Note::Log { event: Some(ev), text, .. }) => Some(format!("{ev} {text}")),
            _ => None,
        })
        .collect();
    let reply = effects
        .into_iter()
        .rev()
        .find_map(|e| match e {
            Effect::Send(c, Msg::Reply(r)) if c == conn => Some(r),
            _ => None,
        })
        .expect("a reply");
    (reply, events)
}

fn set(name: &str, args: &[&str]) -> SentinelCmd {
    SentinelCmd::Set { name: name.into(), args: args.iter().map(|a| a.to_string()).collect() }
}

fn addr(s: &mut Sentinel, out: &mut Out, name: &str) -> Reply {
    ask(s, out, SentinelCmd::GetMasterAddrByName(name.into()))
}

#[test]
fn each_monitor_line_is_a_master_with_its_own_settings() {
    let (mut s, mut out) = two_masters();
    let monitors: Vec<String> = out
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Note(Note::Log { event: Some(ev), text, .. }) if ev == "+monitor" => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(monitors, ["master cache m 6379 quorum 2", "master sessions n 6380 quorum 2"]);
    assert_eq!(s.monitored(), ["cache", "sessions"]);
    assert_eq!(addr(&mut s, &mut out, "cache"), Reply::strings(["m".to_string(), "6379".into()]));
    assert_eq!(
        addr(&mut s, &mut out, "sessions"),
        Reply::strings(["n".to_string(), "6380".into()])
    );
    assert_eq!(addr(&mut s, &mut out, "other"), Reply::Array(None));
    let Reply::Array(Some(all)) = ask(&mut s, &mut out, SentinelCmd::Masters) else { panic!() };
    assert_eq!(all.len(), 2, "SENTINEL MASTERS lists both");
    let rt = s.rt();
    assert_eq!(rt.entry("cache").unwrap().conf.down_after_ms, 5000);
    assert_eq!(rt.entry("sessions").unwrap().conf.down_after_ms, 8000);
}

#[test]
fn a_vote_for_one_master_leaves_the_other_unvoted() {
    let (mut s, mut out) = two_masters();
    let vote = |epoch| SentinelCmd::IsMasterDownByAddr {
        ip: "n".into(),
        port: 6380,
        epoch,
        runid: "peer".into(),
    };
    let r = ask(&mut s, &mut out, vote(3));
    assert_eq!(r, Reply::Array(Some(vec![Reply::Int(0), Reply::bulk("peer"), Reply::Int(3)])));
    let rt = s.rt();
    assert_eq!(rt.current_epoch, 3, "the current epoch is the sentinel's");
    let sessions = rt.entry("sessions").unwrap();
    assert_eq!((sessions.ms.leader.as_deref(), sessions.ms.leader_epoch), (Some("peer"), 3));
    let cache = rt.entry("cache").unwrap();
    assert_eq!((cache.ms.leader.as_deref(), cache.ms.leader_epoch), (None, 0));
    // The same epoch for the other master: a vote of its own (leader_epoch is per master).
    let r = ask(
        &mut s,
        &mut out,
        SentinelCmd::IsMasterDownByAddr {
            ip: "m".into(),
            port: 6379,
            epoch: 3,
            runid: "other".into(),
        },
    );
    assert_eq!(r, Reply::Array(Some(vec![Reply::Int(0), Reply::bulk("other"), Reply::Int(3)])));
}

#[test]
fn a_switch_of_one_master_moves_only_that_one_and_survives_a_restart() {
    let (mut s, mut out) = two_masters();
    s.rt().focus("cache");
    s.rt().m.master.flags.s_down = true;
    // A peer's hello for `sessions` with a newer configuration: only sessions switches.
    s.process_hello(&mut out.ctx(Instant::from_millis(50)), "s2,26379,peer,4,sessions,r2,6380,4");
    assert_eq!(
        addr(&mut s, &mut out, "sessions"),
        Reply::strings(["r2".to_string(), "6380".into()])
    );
    assert_eq!(addr(&mut s, &mut out, "cache"), Reply::strings(["m".to_string(), "6379".into()]));
    let rt = s.rt();
    let (cache, sessions) = (rt.entry("cache").unwrap(), rt.entry("sessions").unwrap());
    assert_eq!((cache.ms.config_epoch, sessions.ms.config_epoch), (0, 4));
    assert!(cache.master.flags.s_down, "the other master's SDOWN is untouched");
    assert!(cache.sentinels.is_empty(), "the peer was discovered for sessions only");
    assert_eq!(sessions.sentinels.len(), 1);
    // The flush wrote both masters; a restart reads them back.
    s.crash();
    s.start(&mut out.ctx(Instant::from_millis(100)));
    assert_eq!(
        addr(&mut s, &mut out, "sessions"),
        Reply::strings(["r2".to_string(), "6380".into()])
    );
    assert_eq!(addr(&mut s, &mut out, "cache"), Reply::strings(["m".to_string(), "6379".into()]));
    assert_eq!(s.rt().entry("sessions").unwrap().ms.config_epoch, 4);
}

#[test]
fn sentinel_set_changes_one_master_logs_each_option_and_survives_a_restart() {
    let (mut s, mut out) = two_masters();
    out.take();
    let (r, events) = ask_logged(
        &mut s,
        &mut out,
        set("cache", &["down-after-milliseconds", "1000", "QUORUM", "1"]),
    );
    assert_eq!(r, Reply::Ok);
    assert_eq!(
        events,
        [
            "+set master cache m 6379 down-after-milliseconds 1000",
            "+set master cache m 6379 QUORUM 1"
        ]
    );
    let check = |s: &mut Sentinel| {
        let rt = s.rt();
        let (cache, sessions) =
            (&rt.entry("cache").unwrap().conf, &rt.entry("sessions").unwrap().conf);
        assert_eq!((cache.down_after_ms, cache.quorum), (1000, 1));
        assert_eq!(
            (sessions.down_after_ms, sessions.quorum),
            (8000, 2),
            "the other master keeps its own"
        );
    };
    check(&mut s);
    s.crash();
    s.start(&mut out.ctx(Instant::from_millis(100)));
    check(&mut s);
}

#[test]
fn sentinel_set_stops_at_a_bad_option_keeping_the_ones_before() {
    let (mut s, mut out) = two_masters();
    out.take();
    let (r, events) = ask_logged(
        &mut s,
        &mut out,
        set("cache", &["failover-timeout", "9000", "parallel-syncs", "0"]),
    );
    assert_eq!(r, Reply::err("ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'"));
    assert_eq!(events, ["+set master cache m 6379 failover-timeout 9000"]);
    s.crash();
    s.start(&mut out.ctx(Instant::from_millis(100)));
    assert_eq!(
        s.rt().entry("cache").unwrap().conf.failover_timeout_ms,
        9000,
        "written before the error"
    );
    for (args, error) in [
        (
            &["quorum", "2", "failover-timeout"][..],
            "ERR Unknown option or number of arguments for SENTINEL SET 'failover-timeout'",
        ),
        (
            &["no-such", "1"][..],
            "ERR Unknown option or number of arguments for SENTINEL SET 'no-such'",
        ),
        (&["quorum", "many"][..], "ERR Invalid argument 'many' for SENTINEL SET 'quorum'"),
        (&["quorum", "+2"][..], "ERR Invalid argument '+2' for SENTINEL SET 'quorum'"),
        (
            &["master-reboot-down-after-period", "-1"][..],
            "ERR Invalid argument '-1' for SENTINEL SET 'master-reboot-down-after-period'",
        ),
        (
            &["notification-script", "/bin/true"][..],
            "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
        ),
    ] {
        assert_eq!(ask(&mut s, &mut out, set("cache", args)), Reply::err(error), "{args:?}");
    }
    assert_eq!(
        ask(&mut s, &mut out, set("other", &["quorum", "1"])),
        Reply::err("ERR No such master with that name")
    );
    assert_eq!(ask(&mut s, &mut out, SentinelCmd::FlushConfig), Reply::Ok);
}

#[test]
fn sentinel_set_and_flushconfig_parse_as_typed() {
    let argv = |a: &[&str]| Command::from_strs(a);
    assert_eq!(
        argv(&["sentinel", "set", "cache", "quorum", "2"]),
        Command::Sentinel(set("cache", &["quorum", "2"]))
    );
    assert!(matches!(argv(&["SENTINEL", "SET", "cache", "quorum"]), Command::Invalid { .. }));
    assert_eq!(argv(&["SENTINEL", "FLUSHCONFIG"]), Command::Sentinel(SentinelCmd::FlushConfig));
}
