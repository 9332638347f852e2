//! Typed identifiers. Every table in the kernel is a `Vec` indexed by one of these, so iteration
//! order is creation order on every run.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A host: a node of the network graph with its own packet filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HostId(pub u32);

/// A process: one actor living on a host, listening on one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProcessId(pub u32);

/// One end of a TCP connection. Connection `k` has two ends: `2k` opened the connection (it
/// called connect) and `2k + 1` accepted it; `peer()` flips between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u32);

impl ConnId {
    /// The connector's end of connection `index`.
    pub const fn connector(index: u32) -> ConnId {
        ConnId(index * 2)
    }
    /// The other end of the same connection.
    pub const fn peer(self) -> ConnId {
        ConnId(self.0 ^ 1)
    }
    /// Index of the connection this end belongs to.
    pub const fn index(self) -> usize {
        (self.0 >> 1) as usize
    }
    /// 0 for the connecting end, 1 for the accepting end.
    pub const fn side(self) -> usize {
        (self.0 & 1) as usize
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}{}", self.index(), if self.side() == 0 { 'a' } else { 'b' })
    }
}

/// A TCP address inside the simulation: a host and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Addr {
    /// The host.
    pub host: HostId,
    /// The port.
    pub port: u16,
}

impl Addr {
    /// `host:port`.
    pub const fn new(host: HostId, port: u16) -> Self {
        Addr { host, port }
    }
}
