//! The `redsim` command line: parsing, dispatch and printing only.

mod alloc;
mod bench_cli;
mod colour;
mod conform_cli;
mod explore_cli;
mod files;
mod generate_cli;
mod import;
mod output;
mod playground_cli;
mod sweep_cli;

#[global_allocator]
static GLOBAL: alloc::Counting<tikv_jemallocator::Jemalloc> =
    alloc::Counting(tikv_jemallocator::Jemalloc);

use clap::{Parser, Subcommand, ValueEnum};
use lab::record::Record;
use lab::run::Deployment;
use lab::scenario::Scenario;
use lab::{check, explain, export, report};
use output::{Out, errln};
use sim::TraceLevel;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "redsim",
    version,
    about = "A deterministic simulator of Redis Sentinel deployments",
    after_help = CLI_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour what a person reads (`auto`: only on a terminal, and not when `NO_COLOR` is set
    /// to anything); files, `--json` and pipes stay plain unless `always`.
    #[arg(long, global = true, value_enum, default_value_t = colour::ColorChoice::Auto,
          value_name = "WHEN")]
    color: colour::ColorChoice,
}

const CLI_HELP: &str = "\
Examples:
  redsim run traces/manual-failover.toml
  redsim explain traces/blog-kill-master.toml
  redsim explore traces/explore-partition.toml --seeds 0..2000 -j 4
  redsim help run

Exit status: 0 ok; 1 an expectation or invariant failed, or a trace does not replay as recorded;
2 the input is invalid or an output cannot be written.";

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and report what happened to every write.
    ///
    /// Prints the summary (with `--events`, the sentinel events after it), or nothing with
    /// `--quiet`, for scripts that read the exit status.
    ///
    /// Files are written atomically (a temporary file renamed into place); an output that is the
    /// scenario itself (by identity: `./x.toml`, a link) is refused. With `--trace -` or
    /// `--html -` the file goes to standard output and the report to standard error. A scenario
    /// is read up to 4 MiB.
    ///
    /// Examples: `redsim run traces/blog-partition.toml --seed 7 --trace run.jsonl`,
    /// `redsim run traces/blog-kill-master.toml --events`, `cat x.toml | redsim run - --json`,
    /// `redsim run x.toml --quiet || echo failed`.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 when the input is invalid
    /// or an output cannot be written (standard output included; a closed pipe is not an error).
    Run {
        /// The scenario (TOML; `-`: standard input).
        scenario: String,
        /// Seed for every random stream (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Print the JSON report (one object) instead of the summary.
        #[arg(long)]
        json: bool,
        /// Write the trace (JSON Lines) to this file while the run streams (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        trace: Option<String>,
        /// What the trace records: `events` (faults, log lines, state changes, client operations)
        /// or `messages` (also every message, connection and timer).
        #[arg(long, value_enum, default_value_t = Level::Events)]
        trace_level: Level,
        /// Print the explanation of the run (as `redsim explain`) instead of the summary.
        #[arg(long, conflicts_with = "json")]
        explain: bool,
        /// After the summary, list every sentinel event (time, sentinel, event).
        #[arg(long, conflicts_with_all = ["json", "explain"])]
        events: bool,
        /// Print nothing on standard output (errors still go to standard error): the exit
        /// status tells whether every expectation held. Files asked for are still written.
        #[arg(short, long, conflicts_with_all = ["json", "explain", "events"])]
        quiet: bool,
        /// Also write the timeline page (one self-contained HTML file: roles over time, filter
        /// bands, sentinel events, every write; open it from disk) to this file (`-`: standard
        /// output).
        #[arg(long, value_name = "FILE")]
        html: Option<String>,
    },
    /// Tell the story of a run: why each sentinel event happened, what each client saw, what was
    /// lost and why, and the field report's two questions answered for this run.
    ///
    /// A trace is replayed first and believed only when every line matches.
    ///
    /// Examples: `redsim explain traces/blog-partition.toml`, `redsim explain run.jsonl`,
    /// `redsim explain run.jsonl --json`.
    ///
    /// Exit status: 0 when explained (a scenario: 1 when an expectation fails), 1 when a trace
    /// does not replay as recorded (its first differing line is shown, as `redsim replay` shows
    /// it), 2 when the input cannot be read or standard output cannot be written.
    Explain {
        /// A scenario (TOML), or a trace written by `redsim run --trace` (`-`: standard input).
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
    /// A trace is replayed first and exported only when every line matches. The output is
    /// written atomically (a temporary file renamed into place) and may not be the input (by
    /// identity, not by spelling).
    ///
    /// Example: `redsim export run.jsonl --format perfetto -o run.perfetto.json`.
    ///
    /// Exit status: 0 when written, 1 when a trace does not replay as recorded, 2 when the input
    /// cannot be read or the output written.
    Export {
        /// A trace written by `redsim run --trace`, or a scenario (TOML), which is run first
        /// (`-`: standard input).
        file: String,
        /// The output format.
        #[arg(long, value_parser = export_format())]
        format: export::Format,
        /// Where to write: a file (default and `-`: standard output), or for `logs` a directory.
        #[arg(short, long, value_name = "OUT")]
        output: Option<String>,
        /// Seed for a scenario (default: the scenario's `seed`; a trace has its own).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Re-run a recorded trace and compare it line by line.
    ///
    /// The trace is streamed, each line at most 32 MiB; a differing line longer than 1,000
    /// characters is echoed cut.
    ///
    /// Example: `redsim replay traces/blog-partition.trace.jsonl`.
    ///
    /// Exit status: 0 when every line matches, 1 at the first differing line (reported as
    /// `line N`), 2 when the trace cannot be read or standard output cannot be written.
    Replay {
        /// The trace (written by `redsim run --trace`; `-`: standard input).
        trace: String,
    },
    /// Run many seeds of a scenario, each with the fault schedule it draws from the scenario's
    /// `[explore]` table, and summarise the outcomes and the failed properties.
    ///
    /// Exit status: 0 when every seed passes, 1 when one fails, 2 when the input is invalid or
    /// standard output cannot be written (a closed pipe is not an error).
    Explore(explore_cli::ExploreArgs),
    /// Reduce a failing seed's fault schedule to a minimal one that still fails the same
    /// property, and write it out as a standalone scenario.
    ///
    /// Example: `redsim shrink traces/explore-weak.toml --seed 0 -o shrunk.toml`.
    ///
    /// Exit status: 0 when written, 2 when the input is invalid, the seed does not fail, or the
    /// output cannot be written.
    Shrink(explore_cli::ShrinkArgs),
    /// Write a scenario of your own deployment, from its redis.conf and sentinel.conf files or
    /// from its running sentinels (see `redsim help import`).
    ///
    /// Exit status: 0 written, 2 an input is invalid or does not answer.
    Import(import::ImportArgs),
    /// Run the whole fault space of a scenario's deployment: every kill, pause, isolation,
    /// split and one-way cut, over durations from its timers and several start phases; a table
    /// per fault family, the thresholds in words, the command that reproduces each cell.
    ///
    /// Exit status: 0 when the sweep ran, 2 when the input is invalid.
    Sweep(sweep_cli::SweepArgs),
    /// Run a scenario on real Redis processes in network namespaces and compare with the
    /// simulator, field by field (needs root; see `redsim help conform`).
    ///
    /// Exit status: 0 the same or within the spread, 1 something differs, 2 the input is invalid
    /// or this machine cannot run it.
    Conform(conform_cli::ConformArgs),
    /// Write the browser playground: one self-contained page running the simulator compiled to
    /// WebAssembly, with the bundled scenarios and guided lessons (builds the module with cargo).
    ///
    /// Example: `redsim playground -o site`, then open site/index.html in a browser.
    ///
    /// Exit status: 0 when written, 2 when the module cannot be built or the site written.
    Playground(playground_cli::PlaygroundArgs),
    /// Print a completion script for a shell, generated from redsim's own verbs and options.
    ///
    /// Examples: `redsim completions bash > ~/.local/share/bash-completion/completions/redsim`,
    /// `redsim completions zsh > ~/.zfunc/_redsim` (with `fpath+=~/.zfunc` before `compinit`),
    /// `redsim completions fish > ~/.config/fish/completions/redsim.fish`.
    ///
    /// Exit status: 0, or 2 when standard output cannot be written.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of redsim, or of one verb, generated from the same
    /// definitions as `--help`.
    ///
    /// Examples: `redsim man | man -l -`, `redsim man run > redsim-run.1`,
    /// `redsim man > ~/.local/share/man/man1/redsim.1`.
    ///
    /// Exit status: 0, or 2 for an unknown verb or when standard output cannot be written.
    Man {
        /// The verb whose page to print (`run`: the page `redsim-run(1)`); default: redsim's.
        verb: Option<String>,
    },
    /// Measure the simulator; the last line printed is one JSON object.
    ///
    /// Examples: `redsim bench explore --seeds 200 --jobs 2`, `redsim bench kernel --partition`,
    /// `redsim bench hosts --hosts 10000 --duration 60s`,
    /// `redsim bench sweep --scenario traces/blog-partition.toml --jobs 2`.
    ///
    /// Exit status: 0, or 2 when the scenario is invalid or standard output cannot be written.
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
        /// The scenario (explore, hosts and sweep benchmarks).
        #[arg(long, default_value = "traces/explore-partition.toml")]
        scenario: String,
        /// Seeds to run (explore benchmark): `A..B` (B excluded), or `N` for `0..N`.
        #[arg(long, default_value = "400", value_name = "A..B|N",
              value_parser = lab::explore::shard::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Threads (explore and sweep benchmarks).
        #[arg(short, long, default_value_t = 1)]
        jobs: usize,
        /// Virtual time per seed instead of the scenario's (explore and hosts benchmarks), e.g.
        /// `240s`.
        #[arg(long)]
        duration: Option<String>,
        /// Hosts to grow the scenario to (hosts benchmark): each added host runs a plain client
        /// writing once a second.
        #[arg(long, default_value_t = 1000)]
        hosts: usize,
        /// The sweep's durations (sweep benchmark), e.g. `1s,5s,30s` (default: from the
        /// deployment's timers, as `redsim sweep`).
        #[arg(long, value_name = "LIST")]
        durations: Option<String>,
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
    /// Parse, build and run a scenario grown to `--hosts` hosts.
    Hosts,
    /// Runs per second of `redsim sweep`'s single-fault grid on a scenario.
    Sweep,
}

/// Parses `--format`, offering the names of [`export::Format::ALL`] (with their help) to clap.
fn export_format() -> impl clap::builder::TypedValueParser<Value = export::Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let names = export::Format::ALL.map(|(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(names)
        .map(|name| export::Format::parse(&name).expect("clap offered only these names"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help, version, or a usage error (exit 2); help on a full disk is an error too.
        Err(e) => {
            let mut out = Out::stdout();
            match e.print() {
                Err(io) if !e.use_stderr() => out.fail(io),
                _ => {}
            }
            let code = u8::try_from(e.exit_code()).unwrap_or(BAD_INPUT);
            return out.finish(ExitCode::from(code));
        }
    };
    let mut out = Out::with_colour(cli.color);
    let code = match cli.command {
        Command::Run { scenario, seed, json, trace, trace_level, explain, html, events, quiet } => {
            let output = if json {
                Output::Json
            } else if explain {
                Output::Explain
            } else if quiet {
                Output::Quiet
            } else {
                Output::Summary { events }
            };
            let files = Files { trace: trace.as_deref(), html: html.as_deref() };
            run(&mut out, &scenario, seed, output, files, trace_level.into())
        }
        Command::Explain { file, seed, json } => explain(&mut out, &file, seed, json),
        Command::Export { file, format, output, seed } => {
            export(&mut out, &file, seed, format, output.as_deref())
        }
        Command::Replay { trace } => replay(&mut out, &trace),
        Command::Explore(args) => explore_cli::explore(&mut out, args),
        Command::Shrink(args) => explore_cli::shrink(&mut out, args),
        Command::Sweep(args) => sweep_cli::sweep(&mut out, args),
        Command::Conform(args) => conform_cli::conform(&mut out, args),
        Command::Import(args) => import::import(&mut out, args),
        Command::Playground(args) => playground_cli::playground(args),
        Command::Completions { shell } => generate_cli::completions(&mut out, shell),
        Command::Man { verb } => generate_cli::man(&mut out, verb.as_deref()),
        Command::Bench { which: BenchKind::Kernel, messages, partition, .. } => {
            bench_cli::kernel(&mut out, messages, partition)
        }
        Command::Bench { which: BenchKind::Explore, scenario, seeds, jobs, duration, .. } => {
            explore_cli::bench(&mut out, &scenario, seeds, jobs.max(1), duration.as_deref())
        }
        Command::Bench { which: BenchKind::Hosts, scenario, hosts, duration, .. } => {
            bench_cli::hosts(&mut out, &scenario, hosts, duration.as_deref())
        }
        Command::Bench { which: BenchKind::Sweep, scenario, jobs, durations, .. } => {
            sweep_cli::bench(&mut out, &scenario, jobs.max(1), durations.as_deref())
        }
    };
    out.finish(code)
}

/// Exit status for invalid input.
const BAD_INPUT: u8 = 2;

/// Prints `error: {e}` and returns the bad-input status.
fn bad(e: &dyn std::fmt::Display) -> ExitCode {
    errln!("error: {e}");
    ExitCode::from(BAD_INPUT)
}

/// The scenario at `path` (`-`: standard input), read up to [`lab::limits::SCENARIO_MAX_BYTES`].
fn load(path: &str) -> Result<Scenario, ExitCode> {
    if path == files::STDIO {
        return Scenario::read(files::STDIN_NAME, std::io::stdin().lock()).map_err(|e| bad(&e));
    }
    Scenario::load(path).map_err(|e| bad(&e))
}

/// The input at `path` (`-`: standard input), and whether it is a trace rather than a scenario.
fn open_input(path: &str) -> Result<(Box<dyn BufRead>, bool), ExitCode> {
    let name = files::input_name(path);
    let mut input = files::open(path).map_err(|e| bad(&format!("{name}: cannot read: {e}")))?;
    let trace = files::starts_like_trace(&mut input)
        .map_err(|e| bad(&format!("{name}: cannot read: {e}")))?;
    Ok((input, trace))
}

/// What `redsim run` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// The summary, and the sentinel events after it when `events`.
    Summary {
        events: bool,
    },
    Json,
    Explain,
    /// Nothing: the exit status says it.
    Quiet,
}

/// Files `redsim run` writes besides what it prints.
#[derive(Clone, Copy, Default)]
struct Files<'a> {
    trace: Option<&'a str>,
    html: Option<&'a str>,
}

/// Runs `scenario`, read from `path`.
fn run(
    out: &mut Out,
    path: &str,
    seed: Option<u64>,
    output: Output,
    files: Files<'_>,
    level: TraceLevel,
) -> ExitCode {
    let outputs: Vec<(&str, &str)> = [("--trace", files.trace), ("--html", files.html)]
        .into_iter()
        .filter_map(|(what, p)| Some((what, p?)))
        .collect();
    if let Err(e) = files::check_outputs(&[("the scenario", path)], &outputs) {
        return bad(&e);
    }
    match load(path) {
        Ok(scenario) => run_loaded(out, path, scenario, seed, output, files, level),
        Err(code) => code,
    }
}

/// [`run`] of a scenario already read.
fn run_loaded(
    out: &mut Out,
    path: &str,
    scenario: Scenario,
    seed: Option<u64>,
    output: Output,
    files: Files<'_>,
    level: TraceLevel,
) -> ExitCode {
    let seed = seed.unwrap_or(scenario.seed);
    let scenario = scenario.for_seed(seed);
    let mut deployment = Deployment::build(&scenario, seed);
    if files.trace == Some(files::STDIO) || files.html == Some(files::STDIO) {
        // Standard output carries a file: the report goes to standard error.
        out.use_stderr();
    }
    let mut pending = None;
    // `--json` reports the trace's digest: the trace is hashed as it streams, written or not.
    let mut digest = None;
    if files.trace.is_some() || output == Output::Json {
        let file = files.trace.unwrap_or_default();
        let sink: Box<dyn std::io::Write> = if files.trace.is_none() {
            Box::new(std::io::sink())
        } else if file == files::STDIO {
            Box::new(std::io::BufWriter::new(std::io::stdout()))
        } else {
            match files::create(file) {
                Ok((f, p)) => {
                    pending = p;
                    Box::new(std::io::BufWriter::new(f))
                }
                Err(e) => return bad(&format!("cannot write the trace to {file}: {e}")),
            }
        };
        let (sink, d) = lab::digest::Digesting::new(sink);
        digest = Some(d);
        if let Err(e) = deployment.trace_to(&scenario, Box::new(sink), level) {
            return bad(&format!("cannot write the trace to {file}: {e}"));
        }
    }
    deployment.run(&scenario);
    // Only the timeline and the explanation read the operation notes again: otherwise they move.
    let outcome = if files.html.is_some() || output == Output::Explain {
        check::outcome(&scenario, seed, &deployment)
    } else {
        check::outcome_taking(&scenario, seed, &mut deployment)
    };
    let finished = deployment.finish_trace(&outcome);
    if let Some(file) = files.trace {
        // The file is put in place only once complete; on an error `pending` removes it.
        match finished.and_then(|_| pending.map_or(Ok(()), files::Pending::commit)) {
            Err(e) if file == files::STDIO => out.fail(e),
            Err(e) => return bad(&format!("cannot write the trace to {file}: {e}")),
            Ok(()) => {}
        }
    }
    if let Some(file) = files.html {
        let page = export::html::page(&Record::from_run(&scenario, seed, &deployment, &outcome));
        if let Err(e) = files::emit(out, Some(file), &page) {
            return bad(&format!("the timeline: {e}"));
        }
    }
    match output {
        Output::Json => {
            let digest = digest.map(|d| d.hex()).unwrap_or_default();
            writeln!(out, "{}", report::json(&outcome, &digest))
        }
        Output::Summary { events } => {
            out.print(&report::painted_summary(&outcome, out.paint()));
            if events {
                out.print(&report::events(&outcome));
            }
        }
        Output::Quiet => {}
        Output::Explain => {
            out.print(&explain::explain(&Record::from_run(&scenario, seed, &deployment, &outcome)))
        }
    }
    if outcome.expectations.passed {
        ExitCode::SUCCESS
    } else {
        if output != Output::Json && output != Output::Quiet {
            errln!("reproduce with: redsim run {path} --seed {seed}");
        }
        ExitCode::from(1)
    }
}

fn explain(out: &mut Out, path: &str, seed: Option<u64>, json: bool) -> ExitCode {
    let (input, trace) = match open_input(path) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let record = match read_record(path, input, trace, seed) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let text = if json { explain::explain_json(&record) + "\n" } else { explain::explain(&record) };
    out.print(&text);
    // A scenario's failed expectation is exit status 1, as `run --explain` has it.
    if !trace && !record.outcome.expectations.passed {
        errln!("reproduce with: redsim run {path} --seed {}", record.seed);
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Exit status for a trace whose replay differs (as `redsim replay`).
const DIFFERS: u8 = 1;

/// The record of `path`: a trace read back once its replay matched it line for line, or a fresh
/// run of a scenario.
fn record(path: &str, seed: Option<u64>) -> Result<Record, ExitCode> {
    let (input, trace) = open_input(path)?;
    read_record(path, input, trace, seed)
}

/// The record of `input` (named by `path`): a trace read back once its replay matched it line
/// for line, or a fresh run of a scenario.
fn read_record(
    path: &str,
    input: Box<dyn BufRead>,
    trace: bool,
    seed: Option<u64>,
) -> Result<Record, ExitCode> {
    let name = files::input_name(path);
    if trace {
        if seed.is_some() {
            return Err(bad(&"a trace records its own seed; --seed applies to scenarios"));
        }
        return lab::replay::verified_record(name, input).map_err(|e| match e {
            lab::replay::VerifyError::Unusable(e) => bad(&e),
            differs @ lab::replay::VerifyError::Differs { .. } => {
                errln!("error: {differs}");
                ExitCode::from(DIFFERS)
            }
        });
    }
    let scenario = lab::input::scenario_or_neither(name, input).map_err(|e| bad(&e))?;
    let seed = seed.unwrap_or(scenario.seed);
    let (scenario, d, outcome) = lab::simulate::simulate(&scenario, seed);
    Ok(Record::from_run(&scenario, seed, &d, &outcome))
}

fn export(
    out: &mut Out,
    path: &str,
    seed: Option<u64>,
    format: export::Format,
    output: Option<&str>,
) -> ExitCode {
    let input = [("the input", path)];
    if let Err(e) = files::check_outputs(&input, &[("-o", output.unwrap_or(files::STDIO))]) {
        return bad(&e);
    }
    let r = match record(path, seed) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match export::render(&r, format) {
        export::Rendered::One(text) => match files::emit(out, output, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => bad(&e),
        },
        export::Rendered::Files(written) => {
            let Some(dir) = output.filter(|&d| d != files::STDIO) else {
                return bad(
                    &"--format logs writes one file per process: name a directory with -o DIR",
                );
            };
            let dir = std::path::Path::new(dir);
            if let Err(e) = std::fs::create_dir_all(dir) {
                return bad(&format!("cannot create {}: {e}", dir.display()));
            }
            for (name, text) in &written {
                let file = dir.join(name).to_string_lossy().into_owned();
                let checked = files::check_outputs(&input, &[("-o", &file)]);
                if let Err(e) = checked.and_then(|()| files::write(&file, text.as_bytes())) {
                    return bad(&e);
                }
                errln!("{file}");
            }
            ExitCode::SUCCESS
        }
    }
}

fn replay(out: &mut Out, path: &str) -> ExitCode {
    let name = files::input_name(path);
    let replayed = match files::open(path) {
        Ok(input) => lab::replay::replay_from(name, input),
        Err(e) => return bad(&format!("{name}: cannot read: {e}")),
    };
    let replayed = match replayed {
        Ok(r) => r,
        Err(e) => return bad(&e),
    };
    match replayed.divergence {
        None => {
            writeln!(
                out,
                "{name}: replayed {} lines of {} (seed {}): identical",
                replayed.lines, replayed.scenario.name, replayed.seed
            );
            ExitCode::SUCCESS
        }
        Some(d) => {
            writeln!(out, "{}", lab::replay::describe(name, &d));
            ExitCode::from(DIFFERS)
        }
    }
}
