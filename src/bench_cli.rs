//! `redsim bench kernel` (the kernel against a bare heap loop) and `redsim bench hosts` (how
//! building and running a deployment scales with the number of hosts). `bench explore` lives with
//! explore, in `explore_cli`.

use lab::run::Deployment;
use lab::scenario::Scenario;
use serde::Serialize;
use std::process::ExitCode;

use crate::BAD_INPUT;
use crate::output::{Out, errln};

/// The last line of `redsim bench hosts`.
#[derive(Serialize)]
struct HostsBench {
    workload: String,
    hosts: usize,
    clients: usize,
    parse_ms: f64,
    build_ms: f64,
    run_ms: f64,
    events: u64,
    links_created: usize,
    peak_rss_mb: Option<f64>,
}

/// The scenario at `path` grown to `hosts` hosts: each added host runs a plain client writing
/// once a second to the scenario's first `[[redis]]`, so every added host opens a connection.
fn grown(path: &str, source: &str, base: &Scenario, hosts: usize) -> Result<String, String> {
    let Some(target) = base.redis.first() else {
        return Err(format!("{path}: the scenario has no [[redis]] for the added clients"));
    };
    let target = format!("{}:{}", base.hosts[target.addr.host.0 as usize], target.addr.port);
    let mut text = source.to_string();
    for i in base.hosts.len()..hosts {
        text.push_str(&format!(
            "\n[[host]]\nname = \"bench-host-{i}\"\n[[client]]\nname = \"bench-client-{i}\"\n\
             host = \"bench-host-{i}\"\nconnect = \"{target}\"\nworkload = {{ writes-per-sec = 1 }}\n"
        ));
    }
    Ok(text)
}

/// Times a closure on the wall clock (the CLI may; simulations never do): its value and seconds.
#[allow(clippy::disallowed_types)]
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = std::time::Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

/// Seconds as milliseconds to a tenth, as the bench lines print them.
pub(crate) fn ms(secs: f64) -> f64 {
    (secs * 1e4).round() / 10.0
}

/// Applies a bench's `--duration` to `scenario` (virtual time per run instead of the file's).
pub(crate) fn set_duration(
    scenario: &mut Scenario,
    duration: Option<&str>,
) -> Result<(), ExitCode> {
    let Some(d) = duration else { return Ok(()) };
    match d.parse::<sim::Duration>() {
        Ok(d) if d > sim::Duration::ZERO => {
            scenario.duration = d;
            Ok(())
        }
        _ => {
            errln!("error: --duration `{d}`: write a duration such as 240s, 10m or 1h");
            Err(ExitCode::from(BAD_INPUT))
        }
    }
}

/// The process's peak resident memory (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// Parses, builds and runs `path` grown to `hosts` hosts, timing each step.
pub fn hosts(out: &mut Out, path: &str, hosts: usize, duration: Option<&str>) -> ExitCode {
    let fail = |e: String| {
        errln!("error: {e}");
        ExitCode::from(BAD_INPUT)
    };
    let base = match crate::load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let text = match grown(path, &base.source, &base, hosts) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let (parsed, parse_s) = timed(|| Scenario::parse(path, &text));
    let mut scenario = match parsed {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(code) = set_duration(&mut scenario, duration) {
        return code;
    }
    let seed = scenario.seed;
    let scenario = scenario.for_seed(seed);
    let (mut deployment, build_s) = timed(|| Deployment::build(&scenario, seed));
    let ((), run_s) = timed(|| deployment.run(&scenario));
    let (parse_ms, build_ms, run_ms) = (ms(parse_s), ms(build_s), ms(run_s));
    let world = &deployment.world;
    errln!(
        "hosts {}: {} hosts, {} clients: parse {parse_ms:.1} ms, build {build_ms:.1} ms, run {} in {run_ms:.1} ms",
        scenario.name,
        scenario.hosts.len(),
        scenario.clients.len(),
        scenario.duration,
    );
    let line = HostsBench {
        workload: scenario.name.clone(),
        hosts: scenario.hosts.len(),
        clients: scenario.clients.len(),
        parse_ms,
        build_ms,
        run_ms,
        events: world.stats().events,
        links_created: world.net().links_created(),
        peak_rss_mb: peak_rss_mb(),
    };
    writeln!(out, "{}", serde_json::to_string(&line).expect("serialisable"));
    ExitCode::SUCCESS
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
fn pingpong(messages: u64, partition: bool) -> (u64, f64) {
    let seed = 1;
    let mut warm = sim::bench::pingpong_world(seed, partition);
    sim::bench::run_pingpong(&mut warm, messages / 10);
    let mut world = sim::bench::pingpong_world(seed, partition);
    timed(|| sim::bench::run_pingpong(&mut world, messages))
}

/// Messages per second of a `bench kernel` pingpong of `messages`, measured now.
pub(crate) fn kernel_msgs_per_sec(messages: u64) -> f64 {
    let (delivered, wall_s) = pingpong(messages, false);
    delivered as f64 / wall_s
}

/// `redsim bench kernel`: the pingpong against the bare heap loop, timed in one process.
pub fn kernel(out: &mut Out, messages: u64, partition: bool) -> ExitCode {
    let seed = 1;
    // Warm up both loops so that neither pays for cold caches or page faults.
    std::hint::black_box(sim::bench::floor(messages / 10, seed));
    let (_, floor_s) = timed(|| std::hint::black_box(sim::bench::floor(messages, seed)));

    let (delivered, wall_s) = pingpong(messages, partition);

    let rate = delivered as f64 / wall_s;
    let floor_rate = messages as f64 / floor_s;
    errln!(
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
        wall_ms: ms(wall_s),
        msgs_per_sec: rate.round(),
        floor_msgs_per_sec: floor_rate.round(),
        ratio: (rate / floor_rate * 1000.0).round() / 1000.0,
        partition,
    };
    writeln!(out, "{}", serde_json::to_string(&line).expect("serialisable"));
    ExitCode::SUCCESS
}
