//! `model`: Redis semantics on top of the `sim` kernel.
//!
//! Crate map:
//! - [`resp`]: commands decoded once into enums, replies, RESP lengths.
//! - [`info`]: `INFO` replies as structures, rendered to Redis's text on demand.
//! - [`node`]: the actor enum the kernel runs, and what every actor shares (host directory, wire
//!   messages, timer names, notes, log-line formatting).
//! - [`server`]: a Redis 7.0 server: dataset, commands, replication, persistence.
//! - [`sentinel`]: Redis Sentinel 7.0.
//! - [`client`]: the redis-py Sentinel client, a plain client and redis-cli, with histories.
//! - [`scenario`]: the TOML scenario format, validated, with `file:line:col` errors.
//! - [`run`]: builds a deployment from a scenario and applies its timeline.
//! - [`check`]: outcomes from outside the actors: promotions, lost writes, split brain,
//!   availability, expectations.
//! - [`report`]: the human summary and the `--json` report.
//! - [`replay`]: re-running a recorded trace and finding the first line that differs.

pub mod check;
pub mod client;
pub mod dataset;
pub mod explain;
pub mod explore;
pub mod export;
pub mod info;
pub mod invariants;
pub mod node;
pub mod observe;
pub mod record;
pub mod replay;
pub mod report;
pub mod resp;
pub mod run;
pub mod scenario;
pub mod sentinel;
pub mod server;
pub mod shrink;
pub mod wire;
