//! The redis-py Sentinel client's discovery (`redis/sentinel.py`, 5.0; `super::library` says
//! what other versions change): which sentinel it asks, in which order, what it accepts as an
//! answer, and how `slave_for` walks the replicas.

use super::library::{Attempts, Failure};
use super::reply::{field, flag, parse_maps};
use super::{Client, ClientKind, Pending, Query, SentinelConn, Stage};
use crate::observe::{Belief, Note, OpResult};
use crate::resp::{Command, Reply, SentinelCmd};
use crate::wire::{Msg, NodeCtx};
use sim::{Addr, ConnId};

impl Client {
    pub(super) fn sentinels(&self) -> &[Addr] {
        match &self.kind {
            ClientKind::Sentinel { sentinels, .. } => sentinels,
            _ => &[],
        }
    }

    /// Sends the discovery query to the sentinel at the current position of the list.
    pub(super) fn ask_sentinel(&mut self, ctx: &mut NodeCtx<'_>) {
        let Some(Pending { stage: Stage::Discover { pos, query, .. }, .. }) = &self.pending else {
            return;
        };
        let (pos, query) = (*pos, *query);
        if pos >= self.order.len() {
            return self.discovery_failed(ctx);
        }
        let idx = self.order[pos];
        let query = match (&self.kind, query) {
            (ClientKind::Sentinel { service, .. }, Query::Replicas) => {
                SentinelCmd::Replicas(service.clone())
            }
            _ => SentinelCmd::Masters,
        };
        let sc = match self.sentinel_conns[idx] {
            Some(sc) => sc,
            None => {
                let conn = ctx.connect(self.sentinels()[idx]);
                let sc = SentinelConn { conn, up: false };
                self.sentinel_conns[idx] = Some(sc);
                sc
            }
        };
        // Sent at once: the kernel holds it until the connection is up. The timer covers the
        // connect, then the read (`connected` re-arms it when the two timeouts differ).
        ctx.send(sc.conn, Msg::Cmd(Command::Sentinel(query)));
        self.arm_timeout(ctx, !sc.up);
    }

    /// The sentinel at the current position failed (`error`): try the next one.
    pub(super) fn next_sentinel(&mut self, ctx: &mut NodeCtx<'_>, error: Option<String>) {
        let Some(Pending { stage: Stage::Discover { pos, .. }, .. }) = &self.pending else {
            return;
        };
        let idx = self.order[*pos];
        let text = error.map(|e| format!("{} - {e}", self.dir.addr(self.sentinels()[idx])));
        if text.is_some() {
            if let Some(sc) = self.sentinel_conns[idx].take() {
                ctx.close(sc.conn);
            }
        }
        if let Some(Pending { stage: Stage::Discover { pos, errors, attempts, .. }, .. }) =
            &mut self.pending
        {
            errors.extend(text);
            *pos += 1;
            *attempts = Attempts::default();
        }
        self.ask_sentinel(ctx);
    }

    /// No sentinel answered usefully. A `slave_for` pool that found no replica falls back to
    /// the master (`rotate_slaves` yields `get_master_address()` last); when that fails too it
    /// raises `SlaveNotFoundError`, without the sentinels' errors.
    pub(super) fn discovery_failed(&mut self, ctx: &mut NodeCtx<'_>) {
        let (service, replica) = match &self.kind {
            ClientKind::Sentinel { service, replica, .. } => (service.clone(), *replica),
            _ => return,
        };
        let (errors, query) = match &self.pending {
            Some(Pending { stage: Stage::Discover { errors, query, .. }, .. }) => {
                (errors.clone(), *query)
            }
            _ => (Vec::new(), Query::Masters),
        };
        if query == Query::Replicas {
            return self.discover(ctx, Query::Masters);
        }
        let error = if replica {
            format!("No slave found for '{service}'")
        } else {
            let info = if errors.is_empty() || !self.library.lists_sentinel_errors() {
                String::new()
            } else {
                format!(" : {}", errors.join(", "))
            };
            format!("No master found for '{service}'{info}")
        };
        self.believe(ctx, None, "no sentinel named a usable master".to_string());
        // MasterNotFoundError and SlaveNotFoundError are ConnectionErrors, raised by the connect.
        self.data_failed(ctx, Failure::NoMaster, true, OpResult::Error { error });
    }

    pub(super) fn believe(&mut self, ctx: &mut NodeCtx<'_>, master: Option<Addr>, via: String) {
        if self.believed == Some(master) {
            return;
        }
        self.believed = Some(master);
        ctx.note(Note::Believe(Belief {
            client: self.name.to_string(),
            master: master.map(|a| self.dir.addr(a)),
            via,
        }));
    }

    /// A reply from sentinel `idx` to the discovery query.
    pub(super) fn sentinel_reply(&mut self, ctx: &mut NodeCtx<'_>, idx: usize, r: Reply) {
        let service = match &self.kind {
            ClientKind::Sentinel { service, .. } => service.clone(),
            _ => return,
        };
        let Some(Pending { stage: Stage::Discover { pos, query, .. }, .. }) = &self.pending else {
            return;
        };
        let (pos, query) = (*pos, *query);
        if let Reply::Error(e) = &r {
            // discover_master lets a ResponseError propagate (8.2 skips it, with its text);
            // discover_slaves skips it.
            if query == Query::Replicas {
                return self.next_sentinel(ctx, None);
            }
            if self.library.skips_sentinel_error_reply() {
                let text =
                    format!("{} - ResponseError('{e}')", self.dir.addr(self.sentinels()[idx]));
                if let Some(Pending { stage: Stage::Discover { errors, .. }, .. }) =
                    &mut self.pending
                {
                    errors.push(text);
                }
                return self.next_sentinel(ctx, None);
            }
            return self.finish(ctx, OpResult::Error { error: e.clone() });
        }
        let entries = parse_maps(&r);
        let via = self.dir.addr(self.sentinels()[idx]);
        if query == Query::Replicas {
            let alive: Vec<Addr> = entries
                .iter()
                .filter(|e| !flag(e, "s_down") && !flag(e, "o_down"))
                .filter_map(|e| self.entry_addr(e))
                .collect();
            if alive.is_empty() {
                return self.next_sentinel(ctx, None);
            }
            // rotate_slaves: round robin from a random start kept by the pool; every replica
            // once, then the master.
            let n = alive.len();
            let start = *self.rr.get_or_insert_with(|| ctx.rng().below(n));
            let mut order: Vec<(usize, Addr)> =
                (1..=n).map(|k| (start + k) % n).map(|i| (i, alive[i])).collect();
            let (first, addr) = order.remove(0);
            self.rr = Some(first);
            self.believe(ctx, Some(addr), format!("{via} answered"));
            return self.open_data_then(ctx, addr, Some(order));
        }
        let found = entries
            .iter()
            .find(|e| field(e, "name") == Some(service.as_str()))
            .filter(|e| flag(e, "master") && !flag(e, "s_down") && !flag(e, "o_down"))
            .and_then(|e| self.entry_addr(e));
        let Some(addr) = found else { return self.next_sentinel(ctx, None) };
        // Put this sentinel at the top of the list (a swap, as redis-py does).
        self.order.swap(0, pos);
        self.believe(ctx, Some(addr), format!("{via} answered"));
        self.open_data(ctx, addr);
    }

    /// A `slave_for` connection failed with a `ConnectionError`: the next replica, else the
    /// master (found through the sentinels). True if the pool moved on.
    pub(super) fn next_replica(&mut self, ctx: &mut NodeCtx<'_>) -> bool {
        let Some(Pending { stage: Stage::Connecting { rest, .. }, .. }) = &mut self.pending else {
            return false;
        };
        let Some(rest) = rest.take() else { return false };
        match rest.split_first() {
            Some((&(i, addr), more)) => {
                self.rr = Some(i);
                self.open_data_then(ctx, addr, Some(more.to_vec()));
            }
            None => self.discover(ctx, Query::Masters),
        }
        true
    }

    pub(super) fn entry_addr(&self, e: &[(String, String)]) -> Option<Addr> {
        let host = self.dir.resolve(field(e, "ip")?)?;
        Some(Addr::new(host, field(e, "port")?.parse().ok()?))
    }

    pub(super) fn sentinel_index(&self, conn: ConnId) -> Option<usize> {
        self.sentinel_conns.iter().position(|c| c.is_some_and(|c| c.conn == conn))
    }

    pub(super) fn is_asking(&self, idx: usize) -> bool {
        matches!(&self.pending, Some(Pending { stage: Stage::Discover { pos, .. }, .. }) if self.order.get(*pos) == Some(&idx))
    }
}
