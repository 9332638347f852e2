//! A chatty test actor: it connects to its peers, sends numbered messages on a tick, reconnects
//! when a connection fails, and notes everything it sees, so tests can check what arrived when.

#![allow(dead_code)]

use serde::Serialize;
use sim::{
    Actor, Addr, CloseReason, ConnId, ConnectError, Ctx, Duration, HostId, Input, Instant, Network,
    World,
};
use sim::{DurationRange, Probability, ProcessId};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// One numbered message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Msg {
    pub from: u32,
    pub seq: u32,
    pub sent_at_us: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Timer {
    Tick,
    Named(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Note {
    Started,
    /// A connect to the chatter on host `to` was issued.
    Dialing {
        conn: ConnId,
        to: u32,
    },
    Sent {
        conn: ConnId,
        msg: Msg,
    },
    Connected(ConnId),
    ConnectFailed(ConnId, ConnectError),
    Accepted(ConnId),
    Got {
        conn: ConnId,
        msg: Msg,
    },
    Closed(ConnId, CloseReason),
    Fired(u32),
}

pub struct Chatter {
    pub me: u32,
    pub peers: Vec<Addr>,
    pub period: Duration,
    /// Outgoing connections: (peer index, conn, connected).
    pub out: Vec<(usize, ConnId, bool)>,
    pub seq: u32,
    pub reconnect: bool,
    /// Timers to set at start: (name, after).
    pub timers: Vec<(u32, Duration)>,
    /// Timers to cancel at start, after setting them.
    pub cancels: Vec<u32>,
}

type C<'a> = Ctx<'a, Msg, Timer, Note>;

impl Chatter {
    pub fn new(me: u32, peers: Vec<Addr>, period: Duration) -> Self {
        Chatter {
            me,
            peers,
            period,
            out: Vec::new(),
            seq: 0,
            reconnect: true,
            timers: Vec::new(),
            cancels: Vec::new(),
        }
    }
}

impl Actor for Chatter {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn start(&mut self, ctx: &mut C<'_>) {
        ctx.note(Note::Started);
        self.out = Vec::new();
        for (i, &p) in self.peers.iter().enumerate() {
            let conn = ctx.connect(p);
            ctx.note(Note::Dialing { conn, to: p.host.0 });
            self.out.push((i, conn, false));
        }
        if self.period > Duration::ZERO {
            ctx.set_timer(Timer::Tick, self.period);
        }
        for &(name, after) in &self.timers {
            ctx.set_timer(Timer::Named(name), after);
        }
        for &name in &self.cancels {
            ctx.cancel_timer(Timer::Named(name));
        }
    }

    fn handle(&mut self, ctx: &mut C<'_>, input: Input<Msg, Timer>) {
        match input {
            Input::Timer(Timer::Tick) => {
                for i in 0..self.out.len() {
                    let (peer, conn, up) = self.out[i];
                    if up {
                        self.seq += 1;
                        let msg =
                            Msg { from: self.me, seq: self.seq, sent_at_us: ctx.now().as_micros() };
                        ctx.send(conn, msg);
                        ctx.note(Note::Sent { conn, msg });
                    } else if conn == ConnId(u32::MAX) && self.reconnect {
                        let c = ctx.connect(self.peers[peer]);
                        ctx.note(Note::Dialing { conn: c, to: self.peers[peer].host.0 });
                        self.out[i] = (peer, c, false);
                    }
                }
                ctx.set_timer(Timer::Tick, self.period);
            }
            Input::Timer(Timer::Named(n)) => ctx.note(Note::Fired(n)),
            Input::Connected(c) => {
                ctx.note(Note::Connected(c));
                if let Some(e) = self.out.iter_mut().find(|e| e.1 == c) {
                    e.2 = true;
                }
            }
            Input::ConnectFailed(c, err) => {
                ctx.note(Note::ConnectFailed(c, err));
                if let Some(e) = self.out.iter_mut().find(|e| e.1 == c) {
                    *e = (e.0, ConnId(u32::MAX), false);
                }
            }
            Input::Accepted(c, _) => ctx.note(Note::Accepted(c)),
            Input::Message(conn, msg) => ctx.note(Note::Got { conn, msg }),
            Input::Closed(c, reason) => {
                ctx.note(Note::Closed(c, reason));
                if let Some(e) = self.out.iter_mut().find(|e| e.1 == c) {
                    *e = (e.0, ConnId(u32::MAX), false);
                }
            }
        }
    }

    fn crash(&mut self) {
        self.out.clear();
    }

    fn msg_size(_msg: &Msg) -> u64 {
        MSG_BYTES
    }
}

/// Every message's size on the wire: one millisecond at 1 Gbit/s (it matters only on links with a
/// bandwidth).
pub const MSG_BYTES: u64 = 125_000;

pub const PORT: u16 = 5000;

/// `hosts` hosts named h0.., one chatter each; chatter i connects to every chatter in `peers[i]`.
pub fn world(
    seed: u64,
    hosts: usize,
    peers: &[Vec<usize>],
    period: Duration,
    latency: &str,
) -> World<Chatter> {
    let mut net = Network::new(seed);
    let ids: Vec<HostId> = (0..hosts)
        .map(|i| net.add_host(&format!("h{i}"), DurationRange::exactly(Duration::from_micros(30))))
        .collect();
    net.full_mesh(latency.parse().unwrap(), Probability::NEVER);
    let mut w = World::new(net, seed);
    for i in 0..hosts {
        let addrs = peers[i].iter().map(|&j| Addr::new(ids[j], PORT)).collect();
        w.add_process(
            ids[i],
            Some(PORT),
            &format!("h{i}:{PORT}"),
            Chatter::new(i as u32, addrs, period),
        );
    }
    w
}

pub fn start_all(w: &mut World<Chatter>) {
    for pid in w.pids().collect::<Vec<_>>() {
        w.start(pid);
    }
}

/// Every message received by `pid`: (arrival, conn, msg).
pub fn received(w: &World<Chatter>, pid: ProcessId) -> Vec<(Instant, ConnId, Msg)> {
    w.notes()
        .iter()
        .filter(|n| n.pid == pid)
        .filter_map(|n| match n.note {
            Note::Got { conn, msg } => Some((n.at, conn, msg)),
            _ => None,
        })
        .collect()
}

/// A `Write` into a shared buffer, to capture a trace in memory.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
