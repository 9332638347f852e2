//! The `redsim` command line: parsing, dispatch and printing only.

mod alloc;
mod explore_cli;

#[global_allocator]
static GLOBAL: alloc::Counting<tikv_jemallocator::Jemalloc> =
    alloc::Counting(tikv_jemallocator::Jemalloc);

use clap::{Parser, Subcommand, ValueEnum};
use lab::record::Record;
use lab::run::Deployment;
use lab::scenario::Scenario;
use lab::{check, explain, export, report};
use serde::Serialize;
use sim::TraceLevel;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "redsim",
    version,
    about = "A deterministic simulator of Redis Sentinel deployments"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and report what happened to every write.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 when the input is invalid.
    Run {
        /// The scenario (TOML).
        scenario: String,
        /// Seed for every random stream (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Print the JSON report (one object) instead of the summary.
        #[arg(long)]
        json: bool,
        /// Write the trace (JSON Lines) to this file while the run streams.
        #[arg(long, value_name = "FILE")]
        trace: Option<String>,
        /// What the trace records: `events` (faults, log lines, state changes, client operations)
        /// or `messages` (also every message, connection and timer).
        #[arg(long, value_enum, default_value_t = Level::Events)]
        trace_level: Level,
        /// Print the explanation of the run (as `redsim explain`) instead of the summary.
        #[arg(long, conflicts_with = "json")]
        explain: bool,
        /// Also write the timeline page (one self-contained HTML file: roles over time, filter
        /// bands, sentinel events, every write; open it from disk) to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<String>,
    },
    /// Tell the story of a run: why each sentinel event happened, what each client saw, what was
    /// lost and why, and the field report's two questions answered for this run.
    ///
    /// A trace is replayed first and believed only when every line matches.
    ///
    /// Exit status: 0 when explained, 1 when a trace does not replay as recorded (its first
    /// differing line is shown, as `redsim replay` shows it), 2 when the input is invalid.
    Explain {
        /// A scenario (TOML), or a trace written by `redsim run --trace`.
        file: String,
        /// Seed for a scenario (default: the scenario's `seed`; a trace has its own).
        #[arg(long)]
        seed: Option<u64>,
        /// Print the same findings as one JSON object (sections of lines, writes, clients,
        /// stops, the reproduce command).
        #[arg(long)]
        json: bool,
    },
    /// Write a run in another tool's format: Perfetto, Mermaid, Jepsen (EDN or JSON), log files,
    /// or the HTML timeline.
    ///
    /// `perfetto`: Chrome trace-event JSON for ui.perfetto.dev or chrome://tracing (message
    /// arrows only from a trace recorded with `--trace-level messages`). `mermaid`: a
    /// sequenceDiagram of what changed state. `edn` / `jepsen-json`: the client history as
    /// Jepsen operations in Elle's rw-register shape, ending with a read of every written key on
    /// the final master (check with `elle-cli --model rw-register`). `logs`: one Redis-format log
    /// file per server and sentinel, into the directory `-o` names. `html`: the timeline page.
    ///
    /// A trace is replayed first and exported only when every line matches.
    ///
    /// Exit status: 0 when written, 1 when a trace does not replay as recorded, 2 when the input
    /// cannot be read or the output written.
    Export {
        /// A trace written by `redsim run --trace`, or a scenario (TOML), which is run first.
        file: String,
        /// The output format.
        #[arg(long, value_parser = export_format())]
        format: export::Format,
        /// Where to write: a file (default: standard output), or for `logs` a directory.
        #[arg(short, long, value_name = "OUT")]
        output: Option<String>,
        /// Seed for a scenario (default: the scenario's `seed`; a trace has its own).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Re-run a recorded trace and compare it line by line.
    ///
    /// Exit status: 0 when every line matches, 1 at the first differing line (reported as
    /// `line N`), 2 when the trace cannot be read.
    Replay {
        /// The trace (written by `redsim run --trace`).
        trace: String,
    },
    /// Run many seeds of a scenario, each with the fault schedule it draws from the scenario's
    /// `[explore]` table, and summarise the outcomes and the failed properties.
    ///
    /// Exit status: 0 when every seed passes, 1 when one fails, 2 when the input is invalid.
    Explore(explore_cli::ExploreArgs),
    /// Reduce a failing seed's fault schedule to a minimal one that still fails the same
    /// property, and write it out as a standalone scenario.
    Shrink(explore_cli::ShrinkArgs),
    /// Measure the simulator; the last line printed is one JSON object.
    Bench {
        /// Which benchmark.
        which: BenchKind,
        /// Messages to deliver (kernel benchmark).
        #[arg(long, default_value_t = 1_000_000)]
        messages: u64,
        /// Install a partition (sixteen DROP rules that match no pingpong packet), so every
        /// packet takes the filtered path.
        #[arg(long)]
        partition: bool,
        /// The scenario (explore benchmark).
        #[arg(long, default_value = "traces/explore-partition.toml")]
        scenario: String,
        /// Seeds to run (explore benchmark).
        #[arg(long, default_value_t = 400)]
        seeds: usize,
        /// Threads (explore benchmark).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Virtual time per seed instead of the scenario's (explore benchmark), e.g. `240s`.
        #[arg(long)]
        duration: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Level {
    /// Faults, log lines, state changes, client operations.
    Events,
    /// Also every message, connection event and timer.
    Messages,
}

impl From<Level> for TraceLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Events => TraceLevel::Events,
            Level::Messages => TraceLevel::Messages,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchKind {
    /// The kernel alone: 8 actors ping-ponging over a full mesh.
    Kernel,
    /// Seeds per second of `redsim explore` on a scenario.
    Explore,
}

/// Parses `--format`, offering the names of [`export::Format::ALL`] (with their help) to clap.
fn export_format() -> impl clap::builder::TypedValueParser<Value = export::Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let names = export::Format::ALL.map(|(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(names)
        .map(|name| export::Format::parse(&name).expect("clap offered only these names"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, seed, json, trace, trace_level, explain, html } => {
            let output = if json {
                Output::Json
            } else if explain {
                Output::Explain
            } else {
                Output::Summary
            };
            let files = Files { trace: trace.as_deref(), html: html.as_deref() };
            match load(&scenario) {
                Ok(loaded) => run(&scenario, loaded, seed, output, files, trace_level.into()),
                Err(code) => code,
            }
        }
        Command::Explain { file, seed, json } => explain(&file, seed, json),
        Command::Export { file, format, output, seed } => {
            export(&file, seed, format, output.as_deref())
        }
        Command::Replay { trace } => replay(&trace),
        Command::Explore(args) => explore_cli::explore(args),
        Command::Shrink(args) => explore_cli::shrink(args),
        Command::Bench { which: BenchKind::Kernel, messages, partition, .. } => {
            bench_kernel(messages, partition)
        }
        Command::Bench { which: BenchKind::Explore, scenario, seeds, jobs, duration, .. } => {
            explore_cli::bench(&scenario, seeds, jobs.max(1), duration.as_deref())
        }
    }
}

/// Exit status for invalid input.
const BAD_INPUT: u8 = 2;

fn load(path: &str) -> Result<Scenario, ExitCode> {
    Scenario::load(path).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(BAD_INPUT)
    })
}

/// What `redsim run` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Summary,
    Json,
    Explain,
}

/// Files `redsim run` writes besides what it prints.
#[derive(Clone, Copy, Default)]
struct Files<'a> {
    trace: Option<&'a str>,
    html: Option<&'a str>,
}

/// Runs `scenario`, read from `path`.
fn run(
    path: &str,
    scenario: Scenario,
    seed: Option<u64>,
    output: Output,
    files: Files<'_>,
    level: TraceLevel,
) -> ExitCode {
    let trace = files.trace;
    let seed = seed.unwrap_or(scenario.seed);
    let scenario = scenario.for_seed(seed);
    let mut deployment = Deployment::build(&scenario, seed);
    if let Some(file) = trace {
        let out = match std::fs::File::create(file) {
            Ok(f) => std::io::BufWriter::new(f),
            Err(e) => {
                eprintln!("error: cannot write the trace to {file}: {e}");
                return ExitCode::from(BAD_INPUT);
            }
        };
        if let Err(e) = deployment.trace_to(&scenario, Box::new(out), level) {
            eprintln!("error: cannot write the trace to {file}: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    }
    deployment.run(&scenario);
    let outcome = check::outcome(&scenario, seed, &deployment);
    if let Err(e) = deployment.finish_trace(&outcome) {
        eprintln!("error: writing the trace failed: {e}");
        return ExitCode::from(BAD_INPUT);
    }
    if let Some(file) = files.html {
        let page = export::html::page(&Record::from_run(&scenario, seed, &deployment, &outcome));
        if let Err(e) = std::fs::write(file, page) {
            eprintln!("error: cannot write the timeline to {file}: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    }
    match output {
        Output::Json => println!("{}", report::json(&outcome)),
        Output::Summary => print!("{}", report::summary(&outcome)),
        Output::Explain => print!(
            "{}",
            explain::explain(&Record::from_run(&scenario, seed, &deployment, &outcome))
        ),
    }
    if outcome.expectations.passed {
        ExitCode::SUCCESS
    } else {
        if output != Output::Json {
            eprintln!("reproduce with: redsim run {path} --seed {seed}");
        }
        ExitCode::from(1)
    }
}

fn explain(path: &str, seed: Option<u64>, json: bool) -> ExitCode {
    let record = match record(path, seed) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let text = if json { explain::explain_json(&record) + "\n" } else { explain::explain(&record) };
    let written = write_out(None, &text);
    // A scenario's failed expectation is exit status 1, as `run --explain` has it.
    if written == ExitCode::SUCCESS
        && !record.outcome.expectations.passed
        && !lab::input::is_trace(path)
    {
        eprintln!("reproduce with: redsim run {path} --seed {}", record.seed);
        return ExitCode::from(1);
    }
    written
}

/// Exit status for a trace whose replay differs (as `redsim replay`).
const DIFFERS: u8 = 1;

/// The record of `path`: a trace read back once its replay matched it line for line, or a fresh
/// run of a scenario.
fn record(path: &str, seed: Option<u64>) -> Result<Record, ExitCode> {
    let bad = |e: &dyn std::fmt::Display| {
        eprintln!("error: {e}");
        ExitCode::from(BAD_INPUT)
    };
    if lab::input::is_trace(path) {
        if seed.is_some() {
            return Err(bad(&"a trace records its own seed; --seed applies to scenarios"));
        }
        return lab::replay::verified_record(path).map_err(|e| match e {
            lab::replay::VerifyError::Unusable(e) => bad(&e),
            differs @ lab::replay::VerifyError::Differs { .. } => {
                eprintln!("error: {differs}");
                ExitCode::from(DIFFERS)
            }
        });
    }
    let scenario = lab::input::trace_or_scenario(path).map_err(|e| bad(&e))?;
    let seed = seed.unwrap_or(scenario.seed);
    let (scenario, d, outcome) = lab::simulate::simulate(&scenario, seed);
    Ok(Record::from_run(&scenario, seed, &d, &outcome))
}

/// Writes `text` to `out`, or to standard output.
fn write_out(out: Option<&str>, text: &str) -> ExitCode {
    use std::io::Write;
    let result = match out {
        Some(file) => std::fs::write(file, text).map_err(|e| format!("cannot write {file}: {e}")),
        // A reader that stops early (`| head`) is not an error.
        None => match std::io::stdout().write_all(text.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|e| e.to_string()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn export(path: &str, seed: Option<u64>, format: export::Format, out: Option<&str>) -> ExitCode {
    let r = match record(path, seed) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match export::render(&r, format) {
        export::Rendered::One(text) => write_out(out, &text),
        export::Rendered::Files(files) => {
            let Some(dir) = out else {
                eprintln!(
                    "error: --format logs writes one file per process: name a directory with -o DIR"
                );
                return ExitCode::from(BAD_INPUT);
            };
            let dir = std::path::Path::new(dir);
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("error: cannot create {}: {e}", dir.display());
                return ExitCode::from(BAD_INPUT);
            }
            for (name, text) in &files {
                let file = dir.join(name);
                if let Err(e) = std::fs::write(&file, text) {
                    eprintln!("error: cannot write {}: {e}", file.display());
                    return ExitCode::from(BAD_INPUT);
                }
                eprintln!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
    }
}

fn replay(path: &str) -> ExitCode {
    let replayed = match lab::replay::replay(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    match replayed.divergence {
        None => {
            println!(
                "{path}: replayed {} lines of {} (seed {}): identical",
                replayed.lines, replayed.scenario.name, replayed.seed
            );
            ExitCode::SUCCESS
        }
        Some(d) => {
            println!("{}", lab::replay::describe(path, &d));
            ExitCode::from(DIFFERS)
        }
    }
}

/// The last line of `redsim bench kernel`.
#[derive(Serialize)]
struct KernelBench {
    workload: &'static str,
    messages: u64,
    wall_ms: f64,
    msgs_per_sec: f64,
    floor_msgs_per_sec: f64,
    ratio: f64,
    partition: bool,
}

/// The pingpong benchmark: (messages delivered, seconds), after a warm-up.
#[allow(clippy::disallowed_types)] // the CLI may time itself; simulations never read a clock
fn pingpong(messages: u64, partition: bool) -> (u64, f64) {
    let seed = 1;
    let mut warm = sim::bench::pingpong_world(seed, partition);
    sim::bench::run_pingpong(&mut warm, messages / 10);
    let mut world = sim::bench::pingpong_world(seed, partition);
    let t = std::time::Instant::now();
    let delivered = sim::bench::run_pingpong(&mut world, messages);
    (delivered, t.elapsed().as_secs_f64())
}

/// Messages per second of a `bench kernel` pingpong of `messages`, measured now.
pub(crate) fn kernel_msgs_per_sec(messages: u64) -> f64 {
    let (delivered, wall_s) = pingpong(messages, false);
    delivered as f64 / wall_s
}

#[allow(clippy::disallowed_types)] // the CLI may time itself; simulations never read a clock
fn bench_kernel(messages: u64, partition: bool) -> ExitCode {
    use std::time::Instant;
    let seed = 1;
    // Warm up both loops so that neither pays for cold caches or page faults.
    std::hint::black_box(sim::bench::floor(messages / 10, seed));

    let t = Instant::now();
    std::hint::black_box(sim::bench::floor(messages, seed));
    let floor_s = t.elapsed().as_secs_f64();

    let (delivered, wall_s) = pingpong(messages, partition);

    let rate = delivered as f64 / wall_s;
    let floor_rate = messages as f64 / floor_s;
    eprintln!(
        "pingpong{}: {delivered} messages in {:.1} ms ({:.2} M/s); bare heap loop {:.1} ms ({:.2} M/s)",
        if partition { " with a partition installed" } else { "" },
        wall_s * 1e3,
        rate / 1e6,
        floor_s * 1e3,
        floor_rate / 1e6
    );
    let line = KernelBench {
        workload: "pingpong",
        messages: delivered,
        wall_ms: (wall_s * 1e4).round() / 10.0,
        msgs_per_sec: rate.round(),
        floor_msgs_per_sec: floor_rate.round(),
        ratio: (rate / floor_rate * 1000.0).round() / 1000.0,
        partition,
    };
    println!("{}", serde_json::to_string(&line).expect("serialisable"));
    ExitCode::SUCCESS
}
