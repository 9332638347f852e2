//! `conform`: the same scenario file run on real processes, and compared with the simulator.
//!
//! Everything that touches the machine lives here, out of the simulation crates: network
//! namespaces, veth pairs and a bridge, iptables rules inside those namespaces, real
//! `redis-server` / `redis-sentinel` processes, a real client library through a driver program,
//! and the wall clock. The deterministic core (`sim`, `model`, `lab`) never sees any of it; this
//! crate only uses the lab's scenario and outcome types.
//!
//! Crate map, bottom to top:
//! - [`compare`]: real outcomes against simulated ones, field by field, with a verdict each.

pub mod compare;
