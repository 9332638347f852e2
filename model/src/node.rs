//! The actor the kernel runs: one enum over every kind of process in a deployment, so the event
//! loop stays monomorphised.

use crate::client::Client;
use crate::observe::Note;
use crate::sentinel::Sentinel;
use crate::server::Server;
use crate::wire::{Msg, NodeCtx, Timer};
use sim::{Actor, Input};

/// A process of the deployment.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    /// A Redis server.
    Server(Box<Server>),
    /// A Sentinel.
    Sentinel(Box<Sentinel>),
    /// A client application (redis-py Sentinel client, plain client, or redis-cli).
    Client(Box<Client>),
}

impl Actor for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn start(&mut self, ctx: &mut NodeCtx<'_>) {
        match self {
            Node::Server(s) => s.start(ctx),
            Node::Sentinel(s) => s.start(ctx),
            Node::Client(c) => c.start(ctx),
        }
    }

    #[inline]
    fn handle(&mut self, ctx: &mut NodeCtx<'_>, input: Input<Msg, Timer>) {
        match self {
            Node::Server(s) => s.handle(ctx, input),
            Node::Sentinel(s) => s.handle(ctx, input),
            Node::Client(c) => c.handle(ctx, input),
        }
    }

    #[inline]
    fn msg_size(msg: &Msg) -> u64 {
        msg.wire_size()
    }

    fn crash(&mut self) {
        match self {
            Node::Server(s) => s.crash(),
            Node::Sentinel(s) => s.crash(),
            Node::Client(c) => c.crash(),
        }
    }

    fn power_loss(&mut self, now: sim::Instant, wall_us: u64) {
        match self {
            Node::Server(s) => s.power_loss(now, wall_us),
            // Sentinel's config file is fsynced on every flush (`sentinelFlushConfig`); clients
            // keep nothing.
            Node::Sentinel(_) | Node::Client(_) => self.crash(),
        }
    }
}

impl Node {
    /// The server, if this is one.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            Node::Server(s) => Some(s),
            _ => None,
        }
    }
    /// The sentinel, if this is one.
    pub fn as_sentinel(&self) -> Option<&Sentinel> {
        match self {
            Node::Sentinel(s) => Some(s),
            _ => None,
        }
    }
    /// The client, if this is one.
    pub fn as_client(&self) -> Option<&Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }
    /// The client, mutably (to hand it an operator's command).
    pub fn as_client_mut(&mut self) -> Option<&mut Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }
}
