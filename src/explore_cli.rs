//! `redsim explore`, `redsim shrink` and `redsim bench explore`: argument parsing, sharding,
//! progress, printing. The work itself is `lab::explore` and `lab::shrink`.

use lab::explore::summary::{Summary, merge};
use lab::explore::{SeedResult, run_seeds};
use lab::scenario::Scenario;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::output::{Out, errln};
use crate::{BAD_INPUT, load};

/// Arguments of `redsim explore`.
#[derive(clap::Args)]
pub struct ExploreArgs {
    /// The scenario (TOML, usually with an `[explore]` table; `-`: standard input).
    #[arg(required_unless_present = "merge")]
    scenario: Option<String>,
    /// Seeds to run: `A..B` (B excluded) or one seed.
    #[arg(long, default_value = "0..1000")]
    seeds: String,
    /// Run only shard `i` of `n` (seeds whose position in the range is `i` modulo `n`). Without
    /// it, a Slurm array (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes
    /// Indexed Job (`JOB_COMPLETION_INDEX`, with the count in `REDSIM_SHARD_COUNT`) sets it.
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Threads to run seeds on (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Print one JSON line per seed, then one with the summary.
    #[arg(long)]
    json: bool,
    /// Merge the `--json` outputs of several runs (shards) and print their summary (each file
    /// is streamed, a line at most 1 MiB).
    #[arg(long, num_args = 1.., value_name = "FILES", conflicts_with_all = ["seeds", "shard", "jobs"])]
    merge: Option<Vec<String>>,
}

/// Arguments of `redsim shrink`.
#[derive(clap::Args)]
pub struct ShrinkArgs {
    /// The scenario (TOML with an `[explore]` table; `-`: standard input).
    scenario: String,
    /// The failing seed.
    #[arg(long)]
    seed: u64,
    /// Where to write the standalone scenario that reproduces the failure: written atomically,
    /// never over the input; `-`: standard output (the report then goes to standard error).
    #[arg(short, long, value_name = "OUT.toml")]
    output: String,
    /// The property to keep failing (an expectation key such as `lost-writes`, or an invariant
    /// such as `converges`); default: the seed's first failure.
    #[arg(long)]
    property: Option<String>,
}

/// Seeds one invocation runs at most (ask for more through shards).
const MAX_SEEDS: u64 = 10_000_000;

/// `A..B` or `N`.
fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("--seeds `{s}`: write A..B (B excluded) or one seed");
    match s.split_once("..") {
        Some((a, b)) => {
            let (a, b): (u64, u64) =
                (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
            if a >= b {
                return Err(format!("--seeds `{s}` is empty"));
            }
            Ok(a..b)
        }
        None => {
            let n: u64 = s.trim().parse().map_err(|_| bad())?;
            let end =
                n.checked_add(1).ok_or_else(|| format!("--seeds {n}: at most {}", u64::MAX - 1))?;
            Ok(n..end)
        }
    }
}

/// The seeds of `range` that shard `i` of `n` runs (all of them without a shard), at most
/// [`MAX_SEEDS`].
fn shard_seeds(range: std::ops::Range<u64>, shard: Option<(u64, u64)>) -> Result<Vec<u64>, String> {
    let (i, n) = shard.unwrap_or((0, 1));
    let count = (range.end - range.start).saturating_sub(i).div_ceil(n);
    if count > MAX_SEEDS {
        return Err(format!(
            "{count} seeds in one run: at most {MAX_SEEDS}; split the range with --shard"
        ));
    }
    let step = usize::try_from(n).map_err(|_| format!("shard count {n} is too large"))?;
    Ok((range.start.saturating_add(i)..range.end).step_by(step).collect())
}

/// The shard to run: `--shard i/n`, or what a job runner's environment says.
fn shard(arg: Option<&str>) -> Result<Option<(u64, u64)>, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let num = |what: &str, v: &str| {
        v.trim().parse::<u64>().map_err(|_| format!("{what} `{v}` is not a number"))
    };
    let (i, n) = if let Some(s) = arg {
        let (i, n) = s.split_once('/').ok_or(format!("--shard `{s}`: write i/n, e.g. 0/4"))?;
        (num("--shard index", i)?, num("--shard count", n)?)
    } else if let (Some(id), Some(count)) =
        (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT"))
    {
        let min = env("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| num("SLURM_ARRAY_TASK_MIN", &m))?;
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        (id.saturating_sub(min), num("SLURM_ARRAY_TASK_COUNT", &count)?)
    } else if let Some(index) = env("JOB_COMPLETION_INDEX") {
        let count = env("REDSIM_SHARD_COUNT").ok_or(
            "JOB_COMPLETION_INDEX is set but REDSIM_SHARD_COUNT is not: set it to the Job's completions",
        )?;
        (num("JOB_COMPLETION_INDEX", &index)?, num("REDSIM_SHARD_COUNT", &count)?)
    } else {
        return Ok(None);
    };
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: the index must be below the count"));
    }
    Ok(Some((i, n)))
}

fn jobs_default() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Draws a progress bar on stderr, at most every 1% of the seeds.
fn progress_bar(total: usize) -> impl Fn(usize) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |done: usize| {
        if !tty || (done % (total / 100).max(1) != 0 && done != total) {
            return;
        }
        let width = 40;
        let filled = done * width / total.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} seeds",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
        if done == total {
            let _ = writeln!(err);
        }
    }
}

fn print_results(out: &mut Out, path: &str, results: &[SeedResult], summary: &Summary, json: bool) {
    let reproduce = |seed: u64| format!("redsim run {path} --seed {seed}");
    if json {
        for r in results {
            let mut v = serde_json::to_value(r).expect("serialisable");
            if !r.passed {
                v["reproduce"] = serde_json::Value::String(reproduce(r.seed));
            }
            writeln!(out, "{v}");
        }
        writeln!(out, "{}", serde_json::json!({ "summary": summary }));
    } else {
        out.print(&summary.render(results, &reproduce));
    }
}

/// Times a closure on the wall clock (the CLI may; simulations never do).
#[allow(clippy::disallowed_types)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = std::time::Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

/// `redsim explore`.
pub fn explore(out: &mut Out, args: ExploreArgs) -> ExitCode {
    if let Some(files) = &args.merge {
        return match merge(files) {
            Ok(results) => {
                let summary = Summary::of(&results);
                let path = args.scenario.as_deref().unwrap_or("SCENARIO");
                print_results(out, path, &results, &summary, args.json);
                exit_of(&summary)
            }
            Err(e) => {
                errln!("error: {e}");
                ExitCode::from(BAD_INPUT)
            }
        };
    }
    let path = args.scenario.as_deref().expect("clap requires it without --merge");
    let scenario = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let plan = parse_seeds(&args.seeds)
        .and_then(|range| shard_seeds(range, shard(args.shard.as_deref())?));
    let seeds = match plan {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if scenario.explore.is_none() {
        errln!("note: {path} has no [explore] table: every seed runs the same timeline");
    }
    // More threads than cores only adds switching; more than seeds does nothing.
    let jobs = args.jobs.unwrap_or_else(jobs_default).clamp(1, 256);
    let bar = progress_bar(seeds.len());
    let (results, wall_s) = timed(|| run_seeds(&scenario, &seeds, jobs, &bar));
    let mut summary = Summary::of(&results);
    let rate = results.len() as f64 / wall_s.max(1e-9);
    summary.seeds_per_sec = Some((rate * 10.0).round() / 10.0);
    summary.seeds_per_sec_per_core =
        Some((rate / jobs.min(seeds.len()).max(1) as f64 * 10.0).round() / 10.0);
    if !args.json {
        writeln!(out, "explore {} ({path}), seeds {}, {jobs} jobs", scenario.name, args.seeds);
    }
    print_results(out, path, &results, &summary, args.json);
    if !args.json {
        // Wall-clock speed, last and on its own line: everything above is the same on every run.
        writeln!(
            out,
            "speed: {:.1} seeds/s ({:.1} per core)",
            rate,
            rate / jobs.min(seeds.len()).max(1) as f64
        );
    }
    exit_of(&summary)
}

fn exit_of(summary: &Summary) -> ExitCode {
    if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// `redsim shrink`.
pub fn shrink(out: &mut Out, args: ShrinkArgs) -> ExitCode {
    let io =
        crate::files::check_outputs(&[("the scenario", &args.scenario)], &[("-o", &args.output)]);
    if let Err(e) = io {
        errln!("error: {e}");
        return ExitCode::from(BAD_INPUT);
    }
    let scenario = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let shrunk = match lab::shrink::shrink(&scenario, args.seed, args.property.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if let Err(e) = crate::files::emit(out, Some(&args.output), &shrunk.text) {
        errln!("error: {e}");
        return ExitCode::from(BAD_INPUT);
    }
    if args.output == crate::files::STDIO {
        out.use_stderr();
    }
    writeln!(
        out,
        "seed {}: `{}` fails with {} of {} faults ({} runs):",
        args.seed,
        shrunk.property,
        shrunk.faults.len(),
        shrunk.original.len(),
        shrunk.runs
    );
    for f in &shrunk.faults {
        writeln!(out, "  {}", lab::scenario::describe(&scenario, f));
    }
    writeln!(out, "  -> {}", shrunk.failure);
    writeln!(out, "wrote {}; reproduce with: redsim run {}", args.output, args.output);
    ExitCode::SUCCESS
}

/// The last line of `redsim bench explore`.
#[derive(serde::Serialize)]
struct ExploreBench {
    workload: String,
    seeds: usize,
    jobs: usize,
    virtual_s_per_seed: f64,
    wall_ms: f64,
    seeds_per_sec: f64,
    seeds_per_sec_per_core: f64,
    /// Kernel queue events per seed (messages delivered, timers fired, connection steps).
    events_per_seed: u64,
    /// Events per second on one core: `events_per_seed` x `seeds_per_sec_per_core`.
    events_per_sec: f64,
    /// A `bench kernel` pingpong (1,000,000 messages) measured in this process right before.
    kernel_msgs_per_sec: f64,
    /// `kernel_msgs_per_sec` / `events_per_sec`: what a model event costs in kernel messages.
    cost_ratio: f64,
    /// Heap allocations (alloc, alloc_zeroed, realloc) per seed, counted in a second pass.
    allocs_per_seed: u64,
}

/// `redsim bench explore`: seeds per second on one scenario, one thread per job.
pub fn bench(
    out: &mut Out,
    path: &str,
    seeds: usize,
    jobs: usize,
    duration: Option<&str>,
) -> ExitCode {
    let mut scenario: Scenario = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(d) = duration {
        match d.parse::<sim::Duration>() {
            Ok(d) if d > sim::Duration::ZERO => scenario.duration = d,
            _ => {
                errln!("error: --duration `{d}`: write a duration such as 240s or 10m");
                return ExitCode::from(BAD_INPUT);
            }
        }
    }
    let seeds: Vec<u64> = (0..seeds as u64).collect();
    let quiet = |_: usize| {};
    // Warm up caches and the allocator.
    run_seeds(&scenario, &seeds[..seeds.len().min(8)], jobs, &quiet);
    let kernel = crate::kernel_msgs_per_sec(1_000_000);
    let (results, wall_s) = timed(|| run_seeds(&scenario, &seeds, jobs, &quiet));
    let rate = results.len() as f64 / wall_s;
    let per_core = rate / jobs as f64;
    // Events and allocations are the same on every run: count them on one thread, untimed.
    let (events, allocs) = crate::alloc::count(|| {
        let events_of =
            |&seed: &u64| lab::simulate::simulate(&scenario, seed).1.world.stats().events;
        seeds.iter().map(events_of).sum::<u64>()
    });
    let n = seeds.len().max(1) as u64;
    let events_per_seed = events / n;
    let events_per_sec = events as f64 / n as f64 * per_core;
    errln!(
        "explore {}: {} seeds of {} in {:.2} s on {jobs} threads: {rate:.1} seeds/s, {per_core:.1} per core",
        scenario.name,
        results.len(),
        scenario.duration,
        wall_s
    );
    let line = ExploreBench {
        workload: scenario.name.clone(),
        seeds: results.len(),
        jobs,
        virtual_s_per_seed: scenario.duration.as_millis() as f64 / 1000.0,
        wall_ms: (wall_s * 1e4).round() / 10.0,
        seeds_per_sec: (rate * 10.0).round() / 10.0,
        seeds_per_sec_per_core: (per_core * 10.0).round() / 10.0,
        events_per_seed,
        events_per_sec: events_per_sec.round(),
        kernel_msgs_per_sec: kernel.round(),
        cost_ratio: (kernel / events_per_sec * 100.0).round() / 100.0,
        allocs_per_seed: allocs / n,
    };
    writeln!(out, "{}", serde_json::to_string(&line).expect("serialisable"));
    ExitCode::SUCCESS
}
