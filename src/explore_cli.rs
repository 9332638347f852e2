//! `redsim explore`, `redsim shrink` and `redsim bench explore`: argument parsing, sharding,
//! progress, printing. The work itself is `lab::explore` and `lab::shrink`.

use lab::explore::merge::{Merged, merge};
use lab::explore::run_seeds;
use lab::explore::shard::{Shard, json_lines, parse_seeds, shard_line};
use lab::explore::summary::Summary;
use lab::scenario::Scenario;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::process::ExitCode;

use crate::bench_cli::{ms, timed};
use crate::output::{Out, errln};
use crate::{BAD_INPUT, load};

/// Arguments of `redsim explore`.
#[derive(clap::Args)]
#[command(after_help = EXPLORE_HELP)]
pub struct ExploreArgs {
    /// The scenario (TOML, usually with an `[explore]` table; `-`: standard input). With
    /// --merge, optional: the shards are then checked to be of this scenario.
    #[arg(required_unless_present = "merge")]
    scenario: Option<String>,
    /// Seeds to run: `A..B` (B excluded), or `N` for `0..N`.
    #[arg(long, default_value = "0..1000", value_name = "A..B|N", value_parser = parse_seeds)]
    seeds: Range<u64>,
    /// Run only shard `i` of `n` (seeds whose position in the range is `i` modulo `n`). Without
    /// it, a Slurm array (shard (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) /
    /// SLURM_ARRAY_TASK_STEP of SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
    /// (`JOB_COMPLETION_INDEX`, with the count in `REDSIM_SHARD_COUNT`) sets it.
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Threads to run seeds on (default: the number of cores). Results do not depend on it.
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Print one JSON line per seed, then `{"shard": ..., "summary": ...}`.
    #[arg(long)]
    json: bool,
    /// Merge the `--json` outputs of every shard of one run and print their summary. Refuses
    /// (exit 2, with the reason) a missing shard or seed, a file of another scenario or range,
    /// a seed in two files, and a file cut short or edited. Each file is streamed, a line at
    /// most 1 MiB.
    #[arg(long, num_args = 1.., value_name = "FILES", conflicts_with_all = ["seeds", "shard", "jobs"])]
    merge: Option<Vec<String>>,
    /// With --merge: merge what is there even if seeds are missing; the summary then says
    /// PARTIAL (and `--json` carries `"partial"`). Nothing else is let through.
    #[arg(long, requires = "merge")]
    partial: bool,
}

const EXPLORE_HELP: &str = "\
Examples:
  redsim explore traces/explore-partition.toml --seeds 0..2000 -j 4
  redsim explore traces/explore-weak.toml --seeds 100          # seeds 0..100
  redsim explore traces/explore-partition.toml --seeds 0..10000 --shard 1/4 --json > shard-1.jsonl
  redsim explore traces/explore-partition.toml --merge shard-*.jsonl

Exit status: 0 every seed passed; 1 a seed failed (each failing seed prints the command that
reproduces it); 2 the input is invalid, or a merge was refused (it names the missing seeds or
the file that is foreign, overlapping, truncated or edited).";

/// Arguments of `redsim shrink`.
#[derive(clap::Args)]
#[command(after_help = "\
Example:
  redsim shrink traces/explore-weak.toml --seed 0 -o seed-0.toml && redsim run seed-0.toml

Exit status: 0 shrunk and written; 2 the input is invalid, the seed does not fail, or the output
cannot be written.")]
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

/// The shard to run: `--shard i/n`, or what a job runner's environment says.
pub(crate) fn shard(arg: Option<&str>) -> Result<Shard, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let num = |what: &str, v: &str| {
        v.trim().parse::<u64>().map_err(|_| format!("{what} `{v}` is not a number"))
    };
    let opt = |k: &str| env(k).map(|v| num(k, &v)).transpose();
    if let Some(s) = arg {
        let (i, n) = s.split_once('/').ok_or(format!("--shard `{s}`: write i/n, e.g. 0/4"))?;
        Shard::new(num("--shard index", i)?, num("--shard count", n)?)
    } else if let (Some(id), Some(count)) =
        (opt("SLURM_ARRAY_TASK_ID")?, opt("SLURM_ARRAY_TASK_COUNT")?)
    {
        let min = opt("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = opt("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
        Shard::of_slurm(id, min, opt("SLURM_ARRAY_TASK_MAX")?, step, count)
    } else if let Some(index) = opt("JOB_COMPLETION_INDEX")? {
        let count = opt("REDSIM_SHARD_COUNT")?.ok_or(
            "JOB_COMPLETION_INDEX is set but REDSIM_SHARD_COUNT is not: set it to the Job's completions",
        )?;
        Shard::new(index, count)
    } else {
        Ok(Shard::WHOLE)
    }
}

pub(crate) fn jobs_default() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Draws a progress bar on stderr when it is a terminal, at most every 1% of the seeds, with
/// the rate and the time left (wall clock: stderr only, never in results).
#[allow(clippy::disallowed_types)]
pub(crate) fn progress_bar(total: usize, unit: &'static str) -> impl Fn(usize) + Sync {
    let tty = std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    move |done: usize| {
        if !tty || (done % (total / 100).max(1) != 0 && done != total) {
            return;
        }
        let width = 30;
        let filled = done * width / total.max(1);
        let elapsed = start.elapsed().as_secs_f64();
        let rate = done as f64 / elapsed.max(1e-9);
        let left = (total - done) as f64 / rate.max(1e-9);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} {unit}, {rate:.1}/s, {} left   ",
            "#".repeat(filled),
            ".".repeat(width - filled),
            clock(left)
        );
        if done == total {
            let _ = writeln!(err);
        }
    }
}

/// `42s`, `3m05s`, `2h10m`.
fn clock(secs: f64) -> String {
    let s = secs.round().min(1e9) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Prints lines on `out`.
pub(crate) fn print_lines(out: &mut Out, lines: &[String]) {
    for l in lines {
        writeln!(out, "{l}");
    }
}

/// `redsim explore`.
pub fn explore(out: &mut Out, args: ExploreArgs) -> ExitCode {
    if let Some(files) = &args.merge {
        return merge_files(out, files, args.scenario.as_deref(), args.partial, args.json);
    }
    let path = args.scenario.as_deref().expect("clap requires it without --merge");
    let scenario = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let range = args.seeds.clone();
    let plan = shard(args.shard.as_deref()).and_then(|s| Ok((s, s.seeds(&range)?)));
    let (shard, seeds) = match plan {
        Ok(p) => p,
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
    let bar = progress_bar(seeds.len(), "seeds");
    let (results, wall_s) = timed(|| run_seeds(&scenario, &seeds, jobs, &bar));
    let reproduce = |seed: u64| format!("redsim run {path} --seed {seed}");
    let summary = Summary::of(&results);
    if args.json {
        print_lines(out, &json_lines(&scenario, range, shard, &results, &reproduce));
    } else {
        let of = if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(", shard {}/{}", shard.index, shard.count)
        };
        writeln!(
            out,
            "explore {} ({path}), seeds {}..{}{of}",
            scenario.name, range.start, range.end
        );
        out.print(&summary.render(&results, &reproduce, &shrink_hint(path), out.paint()));
    }
    // Wall-clock speed on stderr: stdout is the same on every run, whatever the machine or -j.
    let used = jobs.min(seeds.len()).max(1);
    let rate = results.len() as f64 / wall_s.max(1e-9);
    errln!("speed: {rate:.1} seeds/s on {used} jobs ({:.1} per job)", rate / used as f64);
    exit_of(&summary)
}

/// The `redsim shrink` command for a seed of the scenario at `path`.
fn shrink_hint(path: &str) -> impl Fn(u64) -> String + '_ {
    move |seed| format!("redsim shrink {path} --seed {seed} -o seed-{seed}.toml")
}

/// `redsim explore [SCENARIO] --merge FILES... [--partial]`.
fn merge_files(
    out: &mut Out,
    files: &[String],
    path: Option<&str>,
    partial: bool,
    json: bool,
) -> ExitCode {
    let digest = match path.map(load).transpose() {
        Ok(s) => s.map(|s| s.digest()),
        Err(code) => return code,
    };
    let merged: Merged = match merge(files, digest.as_deref(), partial) {
        Ok(m) => m,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let summary = merged.summary();
    if json {
        print_lines(out, &merged.lines);
        print_lines(out, &[shard_line(&merged.info, &summary)]);
    } else {
        let i = &merged.info;
        writeln!(
            out,
            "merge of {} files: explore {}, seeds {}..{}",
            files.len(),
            i.scenario,
            i.seeds.start,
            i.seeds.end
        );
        let reproduce = |seed| written_reproduce(&merged, seed);
        let shrink = |seed| {
            let cmd = written_reproduce(&merged, seed);
            let from = cmd.strip_prefix("redsim run ").and_then(|c| c.rsplit_once(" --seed "));
            shrink_hint(path.or(from.map(|f| f.0)).unwrap_or("SCENARIO"))(seed)
        };
        out.print(&summary.render(&merged.results, &reproduce, &shrink, out.paint()));
    }
    exit_of(&summary)
}

/// The `reproduce` command a shard wrote for a failing seed.
fn written_reproduce(merged: &Merged, seed: u64) -> String {
    let line =
        merged.results.binary_search_by_key(&seed, |r| r.seed).ok().map(|k| &merged.lines[k]);
    line.and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["reproduce"].as_str().map(String::from))
        .unwrap_or_else(|| format!("redsim run SCENARIO --seed {seed}"))
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
    seeds: Range<u64>,
    jobs: usize,
    duration: Option<&str>,
) -> ExitCode {
    let mut scenario: Scenario = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(code) = crate::bench_cli::set_duration(&mut scenario, duration) {
        return code;
    }
    let seeds = match Shard::WHOLE.seeds(&seeds) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let quiet = |_: usize| {};
    // Warm up caches and the allocator.
    run_seeds(&scenario, &seeds[..seeds.len().min(8)], jobs, &quiet);
    let kernel = crate::bench_cli::kernel_msgs_per_sec(1_000_000);
    let (results, wall_s) = timed(|| run_seeds(&scenario, &seeds, jobs, &quiet));
    let rate = results.len() as f64 / wall_s;
    let per_core = rate / jobs as f64;
    // Events and allocations are the same on every run: count them on one thread, untimed.
    let (events, allocs) = crate::alloc::count(|| {
        let events_of =
            |&seed: &u64| lab::simulate::simulate_lean(&scenario, seed).1.world.stats().events;
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
        wall_ms: ms(wall_s),
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
