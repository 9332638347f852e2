//! The sentinel driven as a pure state machine: inputs in, effects out, no world.

use super::instance::{FailoverState, Instance, Kind, Role};
use super::*;
use crate::info::{ReplicaFields, ServerInfo};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::Directory;
use sim::{Addr, Effect, HostId, Instant, Outbox, ProcessId};

type Out = Outbox<Msg, Timer, Note>;

/// Wall clock at virtual time zero (any fixed, realistic value).
const BASE_MS: i64 = 1_795_478_400_000;

fn dir() -> Arc<Directory> {
    Directory::new(["m", "r1", "r2", "s1", "s2", "s3", "s4", "s5"].map(String::from).to_vec())
}

fn started(quorum: u32) -> (Sentinel, Out) {
    let mut cfg = SentinelConfig::empty();
    cfg.set("sentinel monitor", &format!("mymaster m 6379 {quorum}")).unwrap();
    cfg.set("down-after-milliseconds", "5000").unwrap();
    cfg.set("failover-timeout", "60000").unwrap();
    let mut s = Sentinel::new(dir(), 26379, cfg, ServerBuild::default());
    let mut out = Outbox::new(1, ProcessId(0), Addr::new(HostId(3), 26379));
    out.wall_base_us = BASE_MS as u64 * 1000;
    s.start(&mut out.ctx(Instant::ZERO));
    out.take();
    (s, out)
}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// The event tokens noted in `effects`.
fn events(effects: &[Effect<Msg, Timer, Note>]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Note(Note::Log { event: Some(ev), text, .. }) => Some(format!("{ev} {text}")),
            _ => None,
        })
        .collect()
}

fn add_peer(s: &mut Sentinel, host: &str, runid: &str) -> usize {
    let rt = s.rt();
    let id = rt.new_id();
    let mut p = Instance::new(id, Kind::Sentinel, runid.into(), host.into(), 26379, BASE_MS);
    p.runid = Some(runid.into());
    rt.m.sentinels.push(p);
    rt.m.sentinels.len() - 1
}

fn is_master_down(s: &mut Sentinel, out: &mut Out, epoch: u64, runid: &str) -> Reply {
    let conn = sim::ConnId(901);
    s.handle(&mut out.ctx(at(1)), Input::Accepted(conn, Addr::new(HostId(4), 40000)));
    let cmd = Command::Sentinel(SentinelCmd::IsMasterDownByAddr {
        ip: "m".into(),
        port: 6379,
        epoch,
        runid: runid.into(),
    });
    s.handle(&mut out.ctx(at(2)), Input::Message(conn, Msg::Cmd(cmd)));
    out.effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Send(c, Msg::Reply(r)) if *c == conn => Some(r.clone()),
            _ => None,
        })
        .expect("a reply")
}

fn vote_reply(down: i64, leader: &str, epoch: i64) -> Reply {
    Reply::Array(Some(vec![Reply::Int(down), Reply::bulk(leader), Reply::Int(epoch)]))
}

#[test]
fn one_vote_per_epoch_first_requester_wins() {
    let (mut s, mut out) = started(2);
    assert_eq!(is_master_down(&mut s, &mut out, 1, "aaaa"), vote_reply(0, "aaaa", 1));
    let ev = events(&out.take());
    assert_eq!(ev, ["+new-epoch 1", "+vote-for-leader aaaa 1"]);
    // A second candidate in the same epoch gets the vote already cast.
    assert_eq!(is_master_down(&mut s, &mut out, 1, "bbbb"), vote_reply(0, "aaaa", 1));
    assert!(events(&out.take()).is_empty());
    // A request for an older epoch gets no vote either.
    assert_eq!(is_master_down(&mut s, &mut out, 0, "cccc"), vote_reply(0, "aaaa", 1));
    // A newer epoch: a new vote.
    assert_eq!(is_master_down(&mut s, &mut out, 2, "bbbb"), vote_reply(0, "bbbb", 2));
    // A pure query (`*`) never votes.
    assert_eq!(is_master_down(&mut s, &mut out, 3, "*"), vote_reply(0, "*", 0));
}

#[test]
fn a_sentinel_in_tilt_still_votes_but_never_says_down() {
    let (mut s, mut out) = started(2);
    s.rt().tilt = true;
    s.rt().m.master.flags.s_down = true;
    assert_eq!(is_master_down(&mut s, &mut out, 1, "aaaa"), vote_reply(0, "aaaa", 1));
    s.rt().tilt = false;
    assert_eq!(is_master_down(&mut s, &mut out, 1, "aaaa"), vote_reply(1, "aaaa", 1));
}

#[test]
fn a_leader_needs_a_majority_of_known_sentinels_and_the_quorum() {
    // Five sentinels known (itself + four), quorum 2: three votes needed.
    let (mut s, mut out) = started(2);
    let me = s.rt().my_id.clone();
    for (i, h) in ["s2", "s3", "s4", "s5"].iter().enumerate() {
        add_peer(&mut s, h, &format!("peer{i}"));
    }
    s.rt().current_epoch = 1;
    let mut leader = |s: &mut Sentinel, votes_for_me: usize| {
        for (i, p) in s.rt().m.sentinels.iter_mut().enumerate() {
            p.leader = (i < votes_for_me).then(|| me.clone());
            p.leader_epoch = 1;
        }
        s.get_leader(&mut out.ctx(at(5)), 1).0
    };
    assert_eq!(leader(&mut s, 1), None, "2 of 5 is no majority");
    assert_eq!(leader(&mut s, 2), Some(me.clone()), "3 of 5");
    // With quorum 4, three votes are not enough.
    s.rt().m.conf.quorum = 4;
    assert_eq!(leader(&mut s, 2), None);
    assert_eq!(leader(&mut s, 3), Some(me));
}

#[test]
fn odown_needs_this_sentinels_own_sdown() {
    let (mut s, mut out) = started(2);
    let p = add_peer(&mut s, "s2", "peer");
    s.rt().m.sentinels[p].flags.master_down = true;
    s.check_odown(&mut out.ctx(at(10)));
    assert!(!s.rt().m.master.flags.o_down, "a peer alone does not make ODOWN");
    s.rt().m.master.flags.s_down = true;
    s.check_odown(&mut out.ctx(at(11)));
    assert!(s.rt().m.master.flags.o_down);
    assert!(events(&out.take()).contains(&"+odown master mymaster m 6379 #quorum 2/2".to_string()));
    s.rt().m.sentinels[p].flags.master_down = false;
    s.check_odown(&mut out.ctx(at(12)));
    assert_eq!(events(&out.take()), ["-odown master mymaster m 6379"]);
}

#[test]
fn sdown_comes_strictly_after_down_after_milliseconds_of_silence() {
    let (mut s, mut out) = started(2);
    // The link was created at start: "last heard from" is the start.
    s.rt().m.master.link.disconnected = false;
    s.rt().m.master.link.act_ping_time = BASE_MS;
    s.check_sdown(&mut out.ctx(at(5000)), Slot::Master);
    assert!(!s.rt().m.master.flags.s_down, "5000 ms is not more than 5000 ms");
    s.check_sdown(&mut out.ctx(at(5001)), Slot::Master);
    assert!(s.rt().m.master.flags.s_down);
    assert_eq!(events(&out.take()), ["+sdown master mymaster m 6379"]);
}

#[test]
fn a_clock_jump_enters_tilt_and_tilt_skips_the_acting_half() {
    let (mut s, mut out) = started(2);
    s.handle(&mut out.ctx(at(1)), Input::Timer(Timer::SentinelTick));
    out.take();
    // The master has been silent long enough for SDOWN, but the clock jumped: TILT first.
    s.rt().m.master.link.act_ping_time = BASE_MS;
    out.wall_base_us += 10_000_000;
    s.handle(&mut out.ctx(at(80)), Input::Timer(Timer::SentinelTick));
    let ev = events(&out.take());
    assert_eq!(ev, ["+tilt #tilt mode entered"]);
    assert!(s.in_tilt());
    // Regular ticks: nothing acts until 30 s (by this process's clock) after the trigger, then
    // TILT ends on the first instance handled and SDOWN is judged again.
    let mut t = 80;
    let mut ev = Vec::new();
    while ev.is_empty() {
        t += 100;
        s.handle(&mut out.ctx(at(t)), Input::Timer(Timer::SentinelTick));
        ev = events(&out.take());
    }
    assert_eq!(t, 30_080, "30 s after the tick that saw the jump");
    assert_eq!(ev[0], "-tilt #tilt mode exited");
    assert!(ev.contains(&"+sdown master mymaster m 6379".to_string()), "{ev:?}");
}

fn replica_info(
    run_id: &str,
    master: &str,
    link_up: bool,
    offset: i64,
    priority: u32,
) -> ServerInfo {
    ServerInfo {
        build: ServerBuild::default(),
        run_id: run_id.into(),
        tcp_port: 6379,
        uptime_in_seconds: 10,
        replica: Some(ReplicaFields {
            master_host: master.into(),
            master_port: 6379,
            link_up,
            last_io_seconds_ago: 0,
            sync_in_progress: false,
            read_repl_offset: offset,
            repl_offset: offset,
            link_down_since_seconds: (!link_up).then_some(5),
            priority,
            read_only: true,
            announced: true,
        }),
        connected_slaves: 0,
        min_slaves_good_slaves: None,
        slaves: Vec::new(),
        master_replid: "x".repeat(40),
        master_replid2: "0".repeat(40),
        master_repl_offset: offset,
        second_repl_offset: -1,
        backlog_active: true,
        backlog_size: 1 << 20,
        backlog_first_byte_offset: 1,
        backlog_histlen: offset,
        keys: 0,
        used_memory: None,
        loading: false,
    }
}

/// Feeds `info` as the INFO reply on `slot`'s command connection.
fn feed_info(s: &mut Sentinel, out: &mut Out, ms: u64, slot: Slot, info: ServerInfo) {
    let conn = sim::ConnId(500 + slot_index(slot));
    let inst = s.rt().inst_mut(slot);
    let mut cc = super::instance::Conn::new(conn);
    cc.callbacks.push_back(super::instance::Callback::Info);
    inst.link.cc = Some(cc);
    inst.link.disconnected = false;
    let reply = Reply::Info(Box::new(crate::info::Info::Server(info)));
    s.handle(&mut out.ctx(at(ms)), Input::Message(conn, Msg::Reply(reply)));
}

fn slot_index(s: Slot) -> u32 {
    match s {
        Slot::Master => 0,
        Slot::Replica(i) => 1 + i as u32,
        Slot::Sentinel(i) => 20 + i as u32,
    }
}

#[test]
fn a_failover_goes_through_every_state_one_step_per_tick() {
    let (mut s, mut out) = started(1);
    let now = 20_000u64;
    for (i, (h, run)) in [("r1", "bbbb"), ("r2", "aaaa")].iter().enumerate() {
        let rt = s.rt();
        let id = rt.new_id();
        rt.m.replicas.push(Instance::new(
            id,
            Kind::Replica,
            format!("{h}:6379"),
            h.to_string(),
            6379,
            BASE_MS,
        ));
        let mut info = replica_info(run, "m", false, 100, 100);
        if i == 0 {
            info.replica.as_mut().unwrap().repl_offset = 90;
        }
        feed_info(&mut s, &mut out, now - 100, Slot::Replica(i), info);
        let r = &mut s.rt().m.replicas[i];
        r.link.last_avail_time = BASE_MS + now as i64 - 100;
        r.link.pc = Some(super::instance::Conn::new(sim::ConnId(700 + i as u32)));
    }
    s.rt().m.master.flags.s_down = true;
    s.rt().m.master.s_down_since_time = BASE_MS + now as i64 - 1000;
    out.take();
    let step = |s: &mut Sentinel, out: &mut Out, ms: u64| {
        let ctx = &mut out.ctx(at(ms));
        s.check_odown(ctx);
        if s.start_failover_if_needed(ctx) {
            s.ask_other_sentinels(ctx, true);
        }
        s.failover_state_machine(ctx);
        events(&out.take())
    };
    // Quorum 1 and no other sentinel: ODOWN, start, vote for itself, elected at once.
    let ev = step(&mut s, &mut out, now);
    assert_eq!(ev[0], "+odown master mymaster m 6379 #quorum 1/1");
    assert!(ev.contains(&"+try-failover master mymaster m 6379".to_string()));
    assert!(ev.contains(&"+elected-leader master mymaster m 6379".to_string()), "{ev:?}");
    assert_eq!(s.rt().m.ms.failover_state, FailoverState::SelectSlave);
    // Equal priority: the higher offset (r2, run id aaaa) wins.
    let ev = step(&mut s, &mut out, now + 60);
    assert_eq!(ev[0], "+selected-slave slave r2:6379 r2 6379 @ mymaster m 6379");
    let ev = step(&mut s, &mut out, now + 120);
    assert_eq!(ev, ["+failover-state-wait-promotion slave r2:6379 r2 6379 @ mymaster m 6379"]);
    let promote = &s.rt().m.replicas[1];
    assert_eq!(
        promote.link.cc.as_ref().unwrap().callbacks.len(),
        6,
        "MULTI, SLAVEOF, CONFIG REWRITE, 2 x CLIENT KILL, EXEC"
    );
    // The promoted replica's next INFO says role:master.
    let mut info = replica_info("aaaa", "m", false, 100, 100);
    info.replica = None;
    feed_info(&mut s, &mut out, now + 1000, Slot::Replica(1), info);
    let ev = events(&out.take());
    assert!(
        ev.contains(&"+promoted-slave slave r2:6379 r2 6379 @ mymaster m 6379".to_string()),
        "{ev:?}"
    );
    assert_eq!(s.rt().m.ms.failover_state, FailoverState::ReconfSlaves);
    assert_eq!(s.rt().m.ms.config_epoch, 1);
    assert_eq!(
        s.reported_master(),
        Some(("r2".into(), 6379)),
        "get-master-addr-by-name names the promoted replica"
    );
    assert_eq!(s.master_view().unwrap().addr, "m:6379", "the table still names the old master");
    // RECONF_SLAVES re-points r1; its INFO then shows the new master with the link up.
    let ev = step(&mut s, &mut out, now + 1100);
    assert_eq!(ev, ["+slave-reconf-sent slave r1:6379 r1 6379 @ mymaster m 6379"]);
    feed_info(
        &mut s,
        &mut out,
        now + 2000,
        Slot::Replica(0),
        replica_info("bbbb", "r2", true, 110, 100),
    );
    assert_eq!(
        events(&out.take()),
        [
            "+slave-reconf-inprog slave r1:6379 r1 6379 @ mymaster m 6379",
            "+slave-reconf-done slave r1:6379 r1 6379 @ mymaster m 6379"
        ]
    );
    let ev = step(&mut s, &mut out, now + 2100);
    assert_eq!(ev, ["+failover-end master mymaster m 6379"]);
    s.switch_to_promoted(&mut out.ctx(at(now + 2100)));
    assert_eq!(
        events(&out.take()),
        [
            "+switch-master mymaster m 6379 r2 6379",
            "+slave slave r1:6379 r1 6379 @ mymaster r2 6379",
            "+slave slave m:6379 m 6379 @ mymaster r2 6379",
        ]
    );
    assert_eq!(s.rt().m.master.role_reported, Role::Master);
    assert!(!s.rt().m.master.flags.o_down && !s.rt().m.master.flags.failover_in_progress);
}

#[test]
fn a_hello_with_a_newer_config_epoch_switches_an_observer() {
    let (mut s, mut out) = started(2);
    let rt = s.rt();
    let id = rt.new_id();
    rt.m.replicas.push(Instance::new(
        id,
        Kind::Replica,
        "r1:6379".into(),
        "r1".into(),
        6379,
        BASE_MS,
    ));
    s.process_hello(&mut out.ctx(at(50)), "s2,26379,peer,3,mymaster,r1,6379,3");
    assert_eq!(
        events(&out.take()),
        [
            "+sentinel sentinel peer s2 26379 @ mymaster m 6379",
            "+new-epoch 3",
            "+config-update-from sentinel peer s2 26379 @ mymaster m 6379",
            "+switch-master mymaster m 6379 r1 6379",
            "+slave slave m:6379 m 6379 @ mymaster r1 6379",
        ]
    );
    // An older or equal config epoch changes nothing.
    s.process_hello(&mut out.ctx(at(60)), "s2,26379,peer,3,mymaster,m,6379,2");
    assert!(events(&out.take()).is_empty());
    assert_eq!(s.master_view().unwrap(), MasterView { addr: "r1:6379".into(), config_epoch: 3 });
}
