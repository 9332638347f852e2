//! `sim`: a deterministic, single-threaded discrete-event kernel. It knows nothing about Redis.
//!
//! Crate map:
//! - [`time`]: virtual [`Instant`]/[`Duration`] in integer microseconds; `"100ms"`, `"1ms..5ms"`.
//! - [`rng`]: one seed, a named ChaCha stream per consumer.
//! - [`queue`]: the event queue, ordered by (time, insertion sequence).
//! - [`actor`]: the [`Actor`] trait: sans-IO state machines writing effects into a [`Ctx`].
//! - [`ids`]: typed ids for hosts, processes and connection ends.
//! - [`net`]: hosts and links on a `petgraph` graph, latency and loss.
//! - [`pipe`]: link bandwidth ([`Bandwidth`]), shared by the connections using it.
//! - [`filter`]: iptables-like INPUT/OUTPUT chains and the command-line parser.
//! - [`tcp`]: connection state as Linux TCP behaves under packet filters.
//! - `kernel`: the event queue, sockets, timers, trace, notes ([`Noted`]) and counters ([`Stats`])
//!   of a world (what an OS does).
//! - [`world`]: the process table, the event loop, faults.
//! - [`trace`]: JSON Lines traces, their reader and the replay comparison.
//! - [`bench`]: the kernel benchmark workload and its floor.
//!
//! Determinism: no hash iteration, no wall clock, no threads, no unseeded randomness. Same
//! configuration and seed give the same trace, byte for byte.

pub mod actor;
pub mod bench;
pub mod filter;
pub mod ids;
mod kernel;
pub mod net;
pub mod pipe;
pub mod queue;
pub mod rng;
pub mod tcp;
pub mod time;
pub mod trace;
pub mod world;

pub use actor::{Actor, CloseReason, ConnectError, Ctx, Effect, Input, Outbox};
pub use ids::{Addr, ConnId, HostId, ProcessId};
pub use kernel::{Noted, Stats};
pub use net::Network;
pub use pipe::Bandwidth;
pub use rng::{Probability, Rng};
pub use time::{Duration, DurationRange, Instant};
pub use trace::{TraceEvent, TraceHeader, TraceLevel};
pub use world::{ProcState, World};
