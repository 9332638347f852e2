//! `redsim conform`: argument parsing and printing; the work is the `conform` crate's.

use crate::output::{Out, errln};
use crate::{BAD_INPUT, load};
use conform::compare::Tolerance;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT, SIGTERM or SIGHUP: the run stops and cleans up.
static STOP: AtomicBool = AtomicBool::new(false);

/// Arguments of `redsim conform`.
#[derive(clap::Args)]
#[command(after_help = CONFORM_HELP)]
pub struct ConformArgs {
    /// The scenario (TOML).
    scenario: String,
    /// Real runs (each takes the scenario's duration in wall time).
    #[arg(long, default_value_t = 1)]
    runs: u32,
    /// Simulated seeds: `A..B` (B excluded), or `N` for `0..N`.
    #[arg(long, default_value = "20", value_name = "A..B|N", value_parser = lab::explore::shard::parse_seeds)]
    seeds: Range<u64>,
    /// Print `{"real": [...], "simulated": [...], "rows": [...]}` instead of the table.
    #[arg(long)]
    json: bool,
    /// Keep every real run's configuration files and logs in DIR (`run-1/`, `run-2/`, ...).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    keep: Option<PathBuf>,
    /// The server binary (default: `redis-server` on PATH).
    #[arg(long, value_name = "PATH")]
    redis_server: Option<PathBuf>,
    /// The sentinel binary (default: the server binary with `--sentinel`).
    #[arg(long, value_name = "PATH")]
    redis_sentinel: Option<PathBuf>,
    /// The exact redis-py release every client installs (in a cached venv), instead of the
    /// release its `library-version` names (5.0: 5.0.8); it must be of the same major.minor, the
    /// line the simulator models.
    #[arg(long, value_name = "VERSION")]
    redis_py: Option<String>,
    /// How far a real time may stray outside the simulated range: `MS,PCT%`, the larger applies.
    #[arg(long, default_value = "250,10%", value_name = "MS,PCT%")]
    time_tolerance: String,
    /// How far a real count may stray outside the simulated range: `N,PCT%`, the larger applies.
    #[arg(long, default_value = "5,5%", value_name = "N,PCT%")]
    count_tolerance: String,
}

const CONFORM_HELP: &str = "\
Runs the scenario on real redis-server and redis-sentinel processes and a real redis-py client,
one Linux network namespace per scenario host (all on one bridge in a namespace of its own), the
scenario's faults applied for real (SIGKILL, SIGSTOP/SIGCONT, iptables in the host's namespace),
then simulates it over the seeds and prints, field by field, where the two agree.

It needs root, ip, iptables, redis-cli and python3 (Debian/Ubuntu: apt-get install -y
redis-server redis-sentinel redis-tools iptables iproute2 python3-venv). It touches only the
namespaces, processes and files it creates, and removes them when it ends, is interrupted, or,
if it died, at the next start.

Examples:
  sudo redsim conform traces/blog-kill-master.toml
  sudo redsim conform traces/blog-partition.toml --runs 3 --seeds 50 -o conform-logs
  sudo redsim conform my.toml --redis-server ~/valkey/bin/valkey-server --json

Exit status: 0 every field is the same or within the spread; 1 something differs; 2 the input is
invalid or this machine cannot run it (what is missing is named).";

/// `N,P%` as (N, P / 100).
fn tolerance(s: &str) -> Result<(u64, f64), String> {
    let bad = || format!("`{s}`: expected `N,P%` (e.g. `250,10%`)");
    let (n, p) = s.split_once(',').ok_or_else(bad)?;
    let n = n.trim().trim_end_matches("ms").parse().map_err(|_| bad())?;
    let p: f64 = p.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
    Ok((n, p / 100.0))
}

/// `redsim conform`.
pub fn conform(out: &mut Out, a: ConformArgs) -> ExitCode {
    let scenario = match load(&a.scenario) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (time, count) = match (tolerance(&a.time_tolerance), tolerance(&a.count_tolerance)) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => {
            errln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if a.runs == 0 || a.seeds.is_empty() {
        errln!("error: --runs and --seeds need at least one run and one seed");
        return ExitCode::from(BAD_INPUT);
    }
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)) {
        errln!("error: cannot handle signals: {e}");
        return ExitCode::from(BAD_INPUT);
    }
    let opts = conform::Options {
        runs: a.runs,
        seeds: a.seeds,
        server: a.redis_server,
        sentinel: a.redis_sentinel,
        redis_py: a.redis_py,
        keep: a.keep,
        tolerance: Tolerance {
            time_ms: time.0,
            time_frac: time.1,
            count: count.0,
            count_frac: count.1,
        },
    };
    let c = match conform::conform(&scenario, &opts, &STOP) {
        Ok(c) => c,
        Err(conform::Unable(why)) => {
            errln!("error: {why}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if a.json {
        writeln!(out, "{}", serde_json::to_string(&c).expect("serialisable"));
    } else {
        for caveat in
            c.real.iter().flat_map(|o| &o.warnings).collect::<std::collections::BTreeSet<_>>()
        {
            writeln!(out, "caveat: {caveat}");
        }
        write!(out, "{}", c.table());
    }
    ExitCode::from(if c.differs() { 1 } else { 0 })
}
