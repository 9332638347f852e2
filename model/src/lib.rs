//! `model`: Redis 7.0 servers (or Redis 6.2 and Valkey 9.1, see [`build`]), Sentinels and
//! clients as sans-IO actors on the `sim` kernel, and the records they emit for whoever observes
//! them. It knows nothing of scenario files, checks or reports: those belong to the crates above
//! it.
//!
//! Crate map (each module uses only those above it in this list, and `sim`):
//! - [`build`]: which server build a process runs (Redis 7.0, Redis 6.2, Valkey 9.1) and what
//!   differs between them.
//! - [`resp`]: commands decoded once into enums, replies, RESP lengths.
//! - [`observe`]: the observation contract: every record an actor emits for the outside (notes
//!   and their payloads, log lines in Redis's words, Redis's time formats).
//! - [`info`]: `INFO` replies as structures, rendered to Redis's text on demand.
//! - [`dataset`]: a server's keyspace and its point-in-time copies (RDB payloads).
//! - [`wire`]: what actors share to talk: the host directory, connection messages, timer names,
//!   the context they write into.
//! - [`server`]: a Redis 7.0 server: dataset, commands, replication (master and replica side),
//!   backlog, persistence, config directives.
//! - [`sentinel`]: Redis Sentinel 7.0.
//! - [`client`]: client programs (the redis-py Sentinel client, a plain client, redis-cli), the
//!   workload they run, how they read replies, and what each redis-py version (3.0-8.2) retries.
//! - [`node`]: the actor enum the kernel runs, dispatching to the three kinds.

pub mod build;
pub mod client;
pub mod dataset;
pub mod info;
pub mod node;
pub mod observe;
pub mod resp;
pub mod sentinel;
pub mod server;
pub mod wire;
