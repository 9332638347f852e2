//! `lab`: experiments on the Redis actors of `model`: the scenario format, building and running a
//! deployment, checks and invariants, traces and their replay, explanations, reports, explore,
//! shrink and exports. Nothing here runs a process, reads a clock or spawns a thread inside a
//! simulation; files are only read and written where a caller asks (`replay`), so the crate
//! builds for `wasm32-unknown-unknown`.
//!
//! Crate map, bottom to top (each module uses only those before it, `model` and `sim`):
//! - [`text`]: formatting helpers every report shares.
//! - [`digest`]: `trace_digest`, FNV-1a over a trace's bytes as they stream.
//! - [`paint`]: colour for a terminal reader, which the printing code asks (off by default).
//! - [`limits`]: how much is read: the largest scenario, the longest trace or result line, and
//!   how much of a line an error echoes.
//! - [`scenario`]: the TOML scenario format, validated, with `file:line:col` errors; it owns the
//!   fault vocabulary (faults, the `[explore]` space and what a seed draws from it) and the
//!   checkers' vocabulary (`[expect]`, built-in invariant names).
//! - [`input`]: telling a trace from a scenario, for the verbs that take either.
//! - [`run`]: builds a deployment from a scenario and applies its timeline.
//! - [`outcome`]: what a run showed, as the `--json` report carries it.
//! - [`invariants`]: the built-in invariants, checked on a finished deployment.
//! - [`expectations`]: an outcome held against `[expect]` and the invariants.
//! - [`availability`]: unavailability and latency as each client felt them.
//! - [`check`]: outcomes from outside the actors: promotions, lost writes, split brain,
//!   availability; [`tally`] the counts it shares with [`masters`], the same outcome per master
//!   of a sentinel group.
//! - [`simulate`]: the one place where running and checking meet.
//! - [`record`]: a run's records, from a deployment or read back from a trace (header included).
//! - [`replay`]: re-running a recorded trace and finding the first line that differs.
//! - [`report`], [`explain`], [`export`]: the summary and `--json` report, the story in words,
//!   the timeline page and other formats.
//! - [`explore`] and [`shrink`]: many seeds of a fault space, and the smallest failing schedule.
//! - [`sweep`]: a deployment's whole fault space, enumerated, one run per cell.

pub mod availability;
pub mod check;
pub mod digest;
pub mod expectations;
pub mod explain;
pub mod explore;
pub mod export;
pub mod input;
pub mod invariants;
pub mod limits;
pub mod masters;
pub mod outcome;
pub mod paint;
pub mod record;
pub mod replay;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shrink;
pub mod simulate;
pub mod sweep;
pub mod tally;
pub mod text;
