//! ODOWN and the leader election (`sentinelCheckObjectivelyDown`,
//! `sentinelAskMasterStateToOtherSentinels`, `sentinelReceiveIsMasterDownReply`,
//! `sentinelVoteLeader`, `sentinelGetLeader`).
//!
//! ODOWN needs this sentinel's own SDOWN plus enough peers whose last "down" answer is under 5 s
//! old to reach the quorum. A vote request is the same `is-master-down-by-addr` query carrying the
//! candidate's id and epoch; one vote per epoch, first requester wins, granted whatever the
//! voter's own view of the master and even in TILT. A leader needs a strict majority of every
//! sentinel known (reachable or not) and at least the quorum.

use super::{Sentinel, Slot, mstime};

use crate::observe::Why;
use crate::observe::{Level, Note};
use crate::resp::Reply;
use crate::wire::NodeCtx;
use std::collections::BTreeMap;

impl Sentinel {
    /// `sentinelCheckObjectivelyDown`.
    pub(crate) fn check_odown(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = mstime(ctx);
        let quorum = self.mc().quorum;
        let rt = self.rt();
        let mut agreeing = Vec::new();
        if rt.m.master.flags.s_down {
            agreeing.push(format!("{} (itself)", self.dir.addr(ctx.addr())));
            let rt = self.rt();
            agreeing
                .extend(rt.m.sentinels.iter().filter(|s| s.flags.master_down).map(|s| s.addr()));
        }
        let count = agreeing.len() as u32;
        let odown = count > 0 && count >= quorum;
        let rt = self.rt();
        if odown && !rt.m.master.flags.o_down {
            rt.m.master.flags.o_down = true;
            rt.m.master.o_down_since_time = now;
            let master = rt.m.master.addr();
            ctx.note(Note::Why(Why::Odown { master, agreeing, quorum }));
            self.event(
                ctx,
                Level::Warning,
                "+odown",
                Some(Slot::Master),
                &format!("#quorum {count}/{quorum}"),
            );
        } else if !odown && rt.m.master.flags.o_down {
            rt.m.master.flags.o_down = false;
            self.event(ctx, Level::Warning, "-odown", Some(Slot::Master), "");
        }
    }

    /// `sentinelAskMasterStateToOtherSentinels`: forget answers older than 5 ask periods; while
    /// the master is SDOWN, ask every connected peer whose last answer is older than one period
    /// (all of them when `forced`).
    pub(crate) fn ask_other_sentinels(&mut self, ctx: &mut NodeCtx<'_>, forced: bool) {
        let now = mstime(ctx);
        let ask = self.config.ask_period_ms as i64;
        let rt = self.rt();
        let sdown = rt.m.master.flags.s_down;
        for i in 0..rt.m.sentinels.len() {
            let si = &mut self.rt().m.sentinels[i];
            let elapsed = now - si.last_master_down_reply_time;
            if elapsed > ask * 5 {
                si.flags.master_down = false;
                si.leader = None;
            }
            if !sdown || si.link.disconnected || (!forced && elapsed < ask) {
                continue;
            }
            self.send_is_master_down(ctx, Slot::Sentinel(i));
        }
    }

    /// `sentinelReceiveIsMasterDownReply`: `[0|1, leader-runid|*, leader-epoch]`.
    pub(crate) fn is_master_down_reply(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        slot: Slot,
        reply: &Reply,
    ) {
        let Reply::Array(Some(items)) = reply else { return };
        let [Reply::Int(down), Reply::Bulk(Some(leader)), Reply::Int(epoch)] = items.as_slice()
        else {
            return;
        };
        let now = mstime(ctx);
        let si = self.rt().inst_mut(slot);
        si.last_master_down_reply_time = now;
        si.flags.master_down = *down == 1;
        if leader != "*" {
            let epoch = *epoch as u64;
            if si.leader_epoch != epoch {
                let line = format!("{} voted for {leader} {epoch}", si.name);
                self.log(ctx, Level::Warning, line);
            }
            let si = self.rt().inst_mut(slot);
            si.leader = Some(leader.clone());
            si.leader_epoch = epoch;
        }
    }

    /// `sentinelVoteLeader`: adopt a higher epoch; vote for the requester if no vote was cast in
    /// this epoch yet. Returns the vote held and its epoch.
    pub(crate) fn vote_leader(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        req_epoch: u64,
        req_runid: &str,
    ) -> (Option<String>, u64) {
        let now = mstime(ctx);
        let rt = self.rt();
        if req_epoch > rt.current_epoch {
            rt.current_epoch = req_epoch;
            rt.flush = true;
            self.event(ctx, Level::Warning, "+new-epoch", None, &req_epoch.to_string());
        }
        let rt = self.rt();
        if rt.m.ms.leader_epoch < req_epoch && rt.current_epoch <= req_epoch {
            rt.m.ms.leader = Some(req_runid.to_string());
            rt.m.ms.leader_epoch = rt.current_epoch;
            rt.flush = true;
            let text = format!("{req_runid} {}", rt.current_epoch);
            let other = req_runid != rt.my_id;
            self.event(ctx, Level::Warning, "+vote-for-leader", None, &text);
            if other {
                // A sentinel that voted for another holds back its own attempts for 2F.
                let jitter = ctx.rng().below(1000) as i64;
                self.rt().m.ms.failover_start_time = now + jitter;
            }
        }
        let rt = self.rt();
        (rt.m.ms.leader.clone(), rt.m.ms.leader_epoch)
    }

    /// `sentinelGetLeader`: tally the peers' votes for the current epoch, cast our own (for the
    /// most voted peer's choice, else ourselves), and return the winner if it has a majority of
    /// the known sentinels and at least the quorum. Ties go to the smallest run id (Redis takes
    /// the first in its hash table's order).
    /// Also returns the tally, for the explanation of the round that decides.
    pub(crate) fn get_leader(
        &mut self,
        ctx: &mut NodeCtx<'_>,
        epoch: u64,
    ) -> (Option<String>, Why) {
        let rt = self.rt();
        let voters = rt.m.sentinels.len() as u64 + 1;
        let mut counters: BTreeMap<String, u64> = BTreeMap::new();
        let mut votes: Vec<(String, String)> = Vec::new();
        for s in &rt.m.sentinels {
            if let Some(l) = s.leader.as_ref().filter(|_| s.leader_epoch == rt.current_epoch) {
                *counters.entry(l.clone()).or_default() += 1;
                votes.push((s.addr(), l.clone()));
            }
        }
        let mut winner: Option<String> = None;
        let mut max = 0;
        for (id, &n) in &counters {
            if n > max {
                max = n;
                winner = Some(id.clone());
            }
        }
        let my_id = rt.my_id.clone();
        let candidate = winner.clone().unwrap_or_else(|| my_id.clone());
        let (my_vote, leader_epoch) = self.vote_leader(ctx, epoch, &candidate);
        if let (Some(v), true) = (my_vote, leader_epoch == epoch) {
            let n = counters.entry(v.clone()).or_default();
            *n += 1;
            votes.push(("itself".to_string(), v.clone()));
            if *n > max {
                max = *n;
                winner = Some(v);
            }
        }
        let needed = (voters / 2 + 1).max(u64::from(self.mc().quorum));
        let winner = winner.filter(|_| max >= needed);
        let name = self.rt.as_ref().and_then(|rt| rt.several().then(|| rt.m.conf.name.clone()));
        (winner.clone(), Why::Votes { epoch, votes, winner, needed, sentinels: voters, name })
    }
}
