//! The `redsim` command line: parsing, dispatch and printing only.

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
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
    Run {
        /// The scenario (TOML).
        scenario: std::path::PathBuf,
    },
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
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchKind {
    /// The kernel alone: 8 actors ping-ponging over a full mesh.
    Kernel,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario } => {
            eprintln!(
                "redsim run {}: not yet: the Redis model arrives with the next issue",
                scenario.display()
            );
            ExitCode::from(2)
        }
        Command::Bench { which: BenchKind::Kernel, messages, partition } => {
            bench_kernel(messages, partition)
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

#[allow(clippy::disallowed_types)] // the CLI may time itself; simulations never read a clock
fn bench_kernel(messages: u64, partition: bool) -> ExitCode {
    use std::time::Instant;
    let seed = 1;
    // Warm up both loops so that neither pays for cold caches or page faults.
    std::hint::black_box(sim::bench::floor(messages / 10, seed));
    let mut warm = sim::bench::pingpong_world(seed, partition);
    sim::bench::run_pingpong(&mut warm, messages / 10);

    let t = Instant::now();
    std::hint::black_box(sim::bench::floor(messages, seed));
    let floor_s = t.elapsed().as_secs_f64();

    let mut world = sim::bench::pingpong_world(seed, partition);
    let t = Instant::now();
    let delivered = sim::bench::run_pingpong(&mut world, messages);
    let wall_s = t.elapsed().as_secs_f64();

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
