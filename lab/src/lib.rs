//! `lab`: experiments on the Redis actors of `model`: the scenario format, building and running a
//! deployment, checks and invariants, traces and their replay, explanations, reports, explore,
//! shrink and exports. Nothing here runs a process, reads a clock or spawns a thread inside a
//! simulation; files are only read and written where a caller asks (`replay`), so the crate
//! builds for `wasm32-unknown-unknown`.
//!
//! Crate map:
//! - [`scenario`]: the TOML scenario format, validated, with `file:line:col` errors.
//! - [`run`]: builds a deployment from a scenario and applies its timeline.
//! - [`check`]: outcomes from outside the actors: promotions, lost writes, split brain,
//!   availability, expectations.
//! - [`invariants`]: properties every run must keep.
//! - [`report`]: the human summary and the `--json` report.
//! - [`record`]: a run's records read back from a trace.
//! - [`replay`]: re-running a recorded trace and finding the first line that differs.
//! - [`explain`]: the story of a run in words.
//! - [`explore`] and [`shrink`]: many seeds of a fault space, and the smallest failing schedule.
//! - [`export`]: the timeline page and other formats.

pub mod check;
pub mod expectations;
pub mod explain;
pub mod explore;
pub mod export;
pub mod invariants;
pub mod outcome;
pub mod record;
pub mod replay;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shrink;
pub mod simulate;
pub mod text;
