//! The failover state machine (`sentinelStartFailoverIfNeeded`, `sentinelFailoverStateMachine` and
//! its steps, `sentinelAbortFailover`). One state's work per tick: WAIT_START counts votes,
//! SELECT_SLAVE picks a replica, SEND_SLAVEOF_NOONE promotes it, WAIT_PROMOTION waits for its
//! INFO to say `role:master` (see `monitor.rs`), RECONF_SLAVES re-points the other replicas
//! `parallel-syncs` at a time, UPDATE_CONFIG switches the table (at the end of the tick).

use super::instance::FailoverState;
use super::select::{Periods, select};
use super::{Sentinel, Slot, mstime};
use crate::observe::Why;
use crate::observe::{Level, Note, ctime};
use crate::wire::NodeCtx;

impl Sentinel {
    /// `sentinelStartFailoverIfNeeded`: ODOWN, none in progress, and 2 x failover-timeout since
    /// the last attempt (or vote for another).
    pub(crate) fn start_failover_if_needed(&mut self, ctx: &mut NodeCtx<'_>) -> bool {
        let now = mstime(ctx);
        let failover_timeout = self.mc().failover_timeout_ms as i64;
        let rt = self.rt();
        if !rt.m.master.flags.o_down || rt.m.master.flags.failover_in_progress {
            return false;
        }
        let gate = rt.m.ms.failover_start_time + failover_timeout * 2;
        if now < gate {
            if rt.m.ms.failover_delay_logged != rt.m.ms.failover_start_time {
                rt.m.ms.failover_delay_logged = rt.m.ms.failover_start_time;
                let when = ctime((gate.max(0) as u64) * 1000);
                self.log(
                    ctx,
                    Level::Warning,
                    format!("Next failover delay: I will not start a failover before {when}"),
                );
            }
            return false;
        }
        self.start_failover(ctx);
        true
    }

    /// `sentinelStartFailover`: a new epoch, WAIT_START, and the start time with 0-999 ms jitter.
    pub(crate) fn start_failover(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let jitter = ctx.rng().below(1000) as i64;
        let rt = self.rt();
        rt.m.ms.failover_state = FailoverState::WaitStart;
        rt.m.master.flags.failover_in_progress = true;
        rt.current_epoch += 1;
        rt.m.ms.failover_epoch = rt.current_epoch;
        let epoch = rt.current_epoch;
        self.event(ctx, Level::Warning, "+new-epoch", None, &epoch.to_string());
        self.event(ctx, Level::Warning, "+try-failover", Some(Slot::Master), "");
        let rt = self.rt();
        rt.m.ms.failover_start_time = now + jitter;
        rt.m.ms.failover_state_change_time = now;
    }

    /// `sentinelFailoverStateMachine`: one step.
    pub(crate) fn failover_state_machine(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.rt().m.master.flags.failover_in_progress {
            return;
        }
        match self.rt().m.ms.failover_state {
            FailoverState::WaitStart => self.wait_start(ctx),
            FailoverState::SelectSlave => self.select_slave(ctx),
            FailoverState::SendSlaveofNoone => self.send_slaveof_noone(ctx),
            FailoverState::WaitPromotion => self.abort_if_timed_out(ctx),
            FailoverState::ReconfSlaves => self.reconf_next_slave(ctx),
            FailoverState::None | FailoverState::UpdateConfig => {}
        }
    }

    fn set_state(&mut self, ctx: &NodeCtx<'_>, state: FailoverState) {
        let now = mstime(ctx);
        let ms = &mut self.rt().m.ms;
        ms.failover_state = state;
        ms.failover_state_change_time = now;
    }

    /// `sentinelFailoverWaitStart`.
    fn wait_start(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let epoch = self.rt().m.ms.failover_epoch;
        let (leader, tally) = self.get_leader(ctx, epoch);
        let rt = self.rt();
        let is_leader = leader.as_deref() == Some(rt.my_id.as_str());
        if !is_leader && !rt.m.master.flags.force_failover {
            let timeout =
                (self.config.election_timeout_ms as i64).min(self.mc().failover_timeout_ms as i64);
            if now - self.rt().m.ms.failover_start_time > timeout {
                ctx.note(Note::Why(tally));
                self.event(
                    ctx,
                    Level::Warning,
                    "-failover-abort-not-elected",
                    Some(Slot::Master),
                    "",
                );
                self.abort_failover(ctx);
            }
            return;
        }
        ctx.note(Note::Why(tally));
        self.event(ctx, Level::Warning, "+elected-leader", Some(Slot::Master), "");
        self.set_state(ctx, FailoverState::SelectSlave);
        self.event(ctx, Level::Warning, "+failover-state-select-slave", Some(Slot::Master), "");
    }

    /// Runs `sentinelSelectSlave` on the current tables.
    pub(crate) fn pick_replica(
        &mut self,
        now: i64,
    ) -> (Option<usize>, Vec<crate::observe::Candidate>) {
        let periods = Periods {
            ping_ms: self.config.ping_period_ms as i64,
            info_ms: self.config.info_period_ms as i64,
            down_after_ms: self.mc().down_after_ms as i64,
        };
        let rt = self.rt();
        select(&rt.m.master, &rt.m.replicas, now, &periods)
    }

    /// `sentinelFailoverSelectSlave`.
    fn select_slave(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let (chosen, candidates) = self.pick_replica(now);
        let chosen_name = chosen.map(|i| self.rt().m.replicas[i].addr());
        ctx.note(Note::Why(Why::Selection { candidates, chosen: chosen_name }));
        let Some(i) = chosen else {
            self.event(
                ctx,
                Level::Warning,
                "-failover-abort-no-good-slave",
                Some(Slot::Master),
                "",
            );
            self.abort_failover(ctx);
            return;
        };
        self.event(ctx, Level::Warning, "+selected-slave", Some(Slot::Replica(i)), "");
        let rt = self.rt();
        rt.m.replicas[i].flags.promoted = true;
        rt.m.ms.promoted = Some(rt.m.replicas[i].id);
        self.set_state(ctx, FailoverState::SendSlaveofNoone);
        self.event(
            ctx,
            Level::Notice,
            "+failover-state-send-slaveof-noone",
            Some(Slot::Replica(i)),
            "",
        );
    }

    /// Aborts with `-failover-abort-slave-timeout` once the current state has lasted longer than
    /// failover-timeout (SEND_SLAVEOF_NOONE with the link down, WAIT_PROMOTION).
    fn abort_if_timed_out(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let failover_timeout = self.mc().failover_timeout_ms as i64;
        let rt = self.rt();
        if now - rt.m.ms.failover_state_change_time > failover_timeout {
            self.event(
                ctx,
                Level::Warning,
                "-failover-abort-slave-timeout",
                Some(Slot::Master),
                "",
            );
            self.abort_failover(ctx);
        }
    }

    /// `sentinelFailoverSendSlaveOfNoOne`.
    fn send_slaveof_noone(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(i) = self.rt().promoted() else { return };
        if self.rt().m.replicas[i].link.disconnected {
            self.abort_if_timed_out(ctx);
            return;
        }
        if !self.send_slaveof(ctx, Slot::Replica(i), None) {
            return;
        }
        let rt = self.rt();
        let (replica, epoch) = (rt.m.replicas[i].addr(), rt.m.ms.failover_epoch);
        ctx.note(Note::Why(Why::SentPromotion { replica, epoch }));
        self.event(
            ctx,
            Level::Notice,
            "+failover-state-wait-promotion",
            Some(Slot::Replica(i)),
            "",
        );
        self.set_state(ctx, FailoverState::WaitPromotion);
    }

    /// `sentinelAbortFailover`: the start time is kept, so the next attempt waits 2F.
    pub(crate) fn abort_failover(&mut self, ctx: &NodeCtx<'_>) {
        let now = mstime(ctx);
        let rt = self.rt();
        rt.m.master.flags.failover_in_progress = false;
        rt.m.master.flags.force_failover = false;
        rt.m.ms.failover_state = FailoverState::None;
        rt.m.ms.failover_state_change_time = now;
        if let Some(i) = rt.promoted() {
            rt.m.replicas[i].flags.promoted = false;
        }
        rt.m.ms.promoted = None;
    }

    /// `sentinelFailoverReconfNextSlave`, then `sentinelFailoverDetectEnd`.
    fn reconf_next_slave(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let reconf_timeout = self.config.slave_reconf_timeout_ms as i64;
        let parallel = self.mc().parallel_syncs;
        let Some(p) = self.rt().promoted() else { return };
        let rt = self.rt();
        let target = (rt.m.replicas[p].host.clone(), rt.m.replicas[p].port);
        let mut in_progress =
            rt.m.replicas.iter().filter(|r| r.flags.reconf_sent || r.flags.reconf_inprog).count()
                as u32;
        for i in 0..self.rt().m.replicas.len() {
            if in_progress >= parallel {
                break;
            }
            let r = &mut self.rt().m.replicas[i];
            if r.flags.promoted || r.flags.reconf_done {
                continue;
            }
            if r.flags.reconf_sent && now - r.slave_reconf_sent_time > reconf_timeout {
                r.flags.reconf_sent = false;
                r.flags.reconf_done = true;
                self.event(
                    ctx,
                    Level::Notice,
                    "-slave-reconf-sent-timeout",
                    Some(Slot::Replica(i)),
                    "",
                );
            }
            let r = &self.rt().m.replicas[i];
            if r.flags.reconf_sent || r.flags.reconf_inprog || r.link.disconnected {
                continue;
            }
            if self.send_slaveof(ctx, Slot::Replica(i), Some(target.clone())) {
                let r = &mut self.rt().m.replicas[i];
                r.flags.reconf_sent = true;
                r.slave_reconf_sent_time = now;
                self.event(ctx, Level::Notice, "+slave-reconf-sent", Some(Slot::Replica(i)), "");
                in_progress += 1;
            }
        }
        self.detect_end(ctx);
    }

    /// `sentinelFailoverDetectEnd`.
    fn detect_end(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let failover_timeout = self.mc().failover_timeout_ms as i64;
        let rt = self.rt();
        let Some(p) = rt.promoted() else { return };
        if rt.m.replicas[p].flags.s_down {
            return;
        }
        let mut not_reconfigured =
            rt.m.replicas
                .iter()
                .filter(|r| !(r.flags.promoted || r.flags.reconf_done || r.flags.s_down))
                .count();
        let timeout = now - rt.m.ms.failover_state_change_time > failover_timeout;
        if timeout {
            not_reconfigured = 0;
            self.event(ctx, Level::Warning, "+failover-end-for-timeout", Some(Slot::Master), "");
        }
        if not_reconfigured == 0 {
            self.event(ctx, Level::Warning, "+failover-end", Some(Slot::Master), "");
            self.set_state(ctx, FailoverState::UpdateConfig);
        }
        if timeout {
            let rt = self.rt();
            let target = (rt.m.replicas[p].host.clone(), rt.m.replicas[p].port);
            for i in 0..rt.m.replicas.len() {
                let f = self.rt().m.replicas[i].flags;
                if f.promoted
                    || f.reconf_done
                    || f.reconf_sent
                    || self.rt().m.replicas[i].link.disconnected
                {
                    continue;
                }
                if self.send_slaveof(ctx, Slot::Replica(i), Some(target.clone())) {
                    self.event(
                        ctx,
                        Level::Notice,
                        "+slave-reconf-sent-be",
                        Some(Slot::Replica(i)),
                        "",
                    );
                    self.rt().m.replicas[i].flags.reconf_sent = true;
                }
            }
        }
    }
}
