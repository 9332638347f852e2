//! The kernel's side of bandwidth ([`crate::pipe`]): a payload on a link direction with a finite
//! rate waits in that direction's pipe, and goes on the wire when its last byte has left.

use super::{Event, Kernel};
use crate::ids::ConnId;
use crate::net::LinkId;
use crate::pipe::{Bandwidth, Pipe};
use crate::tcp::Payload;
use serde::Serialize;

impl<M: Serialize, T: Copy + Eq + Serialize, N: Serialize> Kernel<M, T, N> {
    /// A pipe's wake-up: unless stale, every message whose last byte has left goes on the wire.
    pub(super) fn pipe_done(&mut self, pipe: u32, generation: u32) {
        let p = &mut self.pipes[pipe as usize];
        if p.generation == generation {
            for (from, n, payload) in p.take_done(self.now) {
                self.put_on_wire(from, n, payload);
            }
            self.wake_pipe(pipe);
        }
    }

    /// Sends a payload: through the link's pipe when it has a finite bandwidth (and the payload
    /// has bytes, or follows some still queued), else straight onto the wire.
    pub(super) fn deliver(&mut self, from: ConnId, n: u32, payload: Payload<M>) {
        if let Some((pipe, bw)) = self.shaped_link(from) {
            let bytes = match &payload {
                Payload::Data(m) => (self.size_of)(m),
                Payload::Fin | Payload::Rst => 0,
            };
            let queued =
                self.pipe_of.get(&pipe).is_some_and(|&p| !self.pipes[p as usize].idle_for(from));
            if bytes > 0 || queued {
                let p = self.pipe_index(pipe, bw);
                self.pipes[p as usize].push(self.now, from, n, payload, bytes);
                self.wake_pipe(p);
                return;
            }
        }
        self.put_on_wire(from, n, payload);
    }

    /// The pipe key and bandwidth of direction `from` -> peer, if its link has a finite one.
    #[inline]
    fn shaped_link(&self, from: ConnId) -> Option<(u64, Bandwidth)> {
        if !self.net.shaped() {
            return None;
        }
        let c = &self.conns[from.index()];
        let link: LinkId = c.link?;
        let bw = self.net.bandwidth_on(link)?;
        let (a, b) = (c.ends[from.side()].addr.host, c.ends[from.side() ^ 1].addr.host);
        Some((self.net.direction(link, a, b), bw))
    }

    fn pipe_index(&mut self, key: u64, bw: Bandwidth) -> u32 {
        let next = self.pipes.len() as u32;
        let p = *self.pipe_of.entry(key).or_insert(next);
        if p == next {
            self.pipes.push(Pipe::new(bw));
        }
        p
    }

    /// Schedules the pipe's next completion (a pending older one becomes stale).
    fn wake_pipe(&mut self, pipe: u32) {
        let p = &mut self.pipes[pipe as usize];
        p.generation = p.generation.wrapping_add(1);
        if let Some(at) = p.next_done() {
            let generation = p.generation;
            self.queue.push(at.max(self.now), Event::PipeDone { pipe, generation });
        }
    }

    /// Drops what direction `from` -> peer still has queued on its pipe: its socket is gone.
    pub(super) fn purge_pipe(&mut self, from: ConnId) {
        let Some((key, _)) = self.shaped_link(from) else { return };
        let Some(&p) = self.pipe_of.get(&key) else { return };
        if !self.pipes[p as usize].idle_for(from) {
            self.pipes[p as usize].purge(self.now, from);
            self.wake_pipe(p);
        }
    }
}
