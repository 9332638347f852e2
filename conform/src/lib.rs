//! `conform`: the same scenario file run on real processes, and compared with the simulator.
//!
//! Everything that touches the machine lives here, out of the simulation crates: network
//! namespaces, veth pairs and a bridge, iptables rules inside those namespaces, real
//! `redis-server` / `redis-sentinel` processes, a real client library through a driver program,
//! and the wall clock. The deterministic core (`sim`, `model`, `lab`) never sees any of it; this
//! crate only uses the lab's scenario and outcome types.
//!
//! Crate map, bottom to top:
//! - [`plan`]: a scenario as a real run: addresses, processes, clients, steps, caveats.
//! - [`render`]: the processes' configuration files.
//! - [`logs`]: reading the real log lines.
//! - [`observe`]: what a real run collected, as the outcome record.
//! - [`compare`]: real outcomes against simulated ones, field by field, with a verdict each.
//! - [`machine`]: namespaces, processes and the registry that cleans up after them.
//! - [`preflight`]: what the machine must have, and each client library's install or build.
//! - [`real`]: one real run.

pub mod compare;
pub mod logs;
pub mod machine;
pub mod observe;
pub mod plan;
pub mod preflight;
pub mod real;
pub mod render;

use lab::outcome::Outcome;
use lab::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// The redis-py version the model follows (`redis/sentinel.py` 5.0), the default for real runs.
pub const REDIS_PY: &str = "5.0.8";

/// The redis-py driver, carried in the binary and written next to each run's files.
pub const REDIS_PY_DRIVER: &str = include_str!("../drivers/redis_py.py");

/// The ioredis driver (`node ioredis.mjs client SPEC`), written next to its npm install.
pub const IOREDIS_DRIVER: &str = include_str!("../drivers/ioredis.mjs");

/// The node-redis driver (`node node_redis.mjs client SPEC`), written next to its npm install.
pub const NODE_REDIS_DRIVER: &str = include_str!("../drivers/node_redis.mjs");

/// The workload loop the node drivers import (`./workload.mjs`), written next to each.
pub const NODE_WORKLOAD: &str = include_str!("../drivers/workload.mjs");

/// How to conform.
#[derive(Clone, Debug)]
pub struct Options {
    /// Real runs.
    pub runs: u32,
    /// Simulated seeds.
    pub seeds: std::ops::Range<u64>,
    /// `--redis-server`.
    pub server: Option<PathBuf>,
    /// `--redis-sentinel`.
    pub sentinel: Option<PathBuf>,
    /// The redis-py release every redis-py client installs instead of its `library-version`'s
    /// (same major.minor), if given (valkey-py clients keep theirs).
    pub redis_py: Option<String>,
    /// `-o DIR`: keep every real log there.
    pub keep: Option<PathBuf>,
    /// The spread a real value may stray from the simulated range.
    pub tolerance: compare::Tolerance,
}

/// A line for the person watching, on standard error; a closed standard error is not an error
/// (`eprintln!` would panic).
pub(crate) fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `major.minor` of a release (`5.0.8` -> `5.0`).
fn line(release: &str) -> String {
    release.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Why a conform run could not be done (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unable(pub String);

/// Refuses a scenario whose sentinels monitor several masters: the real run renders, drives and
/// observes one master (its `sentinel.conf`, its `SENTINEL FAILOVER`, the final master it asks
/// for), so its comparison of several would be wrong.
fn one_master(scenario: &Scenario) -> Result<(), Unable> {
    if !lab::masters::several(scenario) {
        return Ok(());
    }
    Err(Unable(
        "conform cannot run this scenario: its sentinels monitor several masters, and the real \
         run renders, drives and observes one"
            .to_string(),
    ))
}

/// The real runs and the simulated seeds of `scenario`, compared. `stop` is set by a signal;
/// everything created is cleaned up whatever happens.
pub fn conform(
    scenario: &Scenario,
    opts: &Options,
    stop: &AtomicBool,
) -> Result<compare::Comparison, Unable> {
    one_master(scenario)?;
    let missing = preflight::missing(opts.server.as_deref());
    if !missing.is_empty() {
        return Err(Unable(format!("conform cannot run here:\n  {}", missing.join("\n  "))));
    }
    let server = opts.server.clone().or_else(|| preflight::which("redis-server")).expect("checked");
    let version = preflight::version(&server).map_err(Unable)?;
    same_build(scenario, &server, &version)?;
    let cli = preflight::which("redis-cli").expect("checked");
    // One fault schedule for every run: an `[explore]` scenario's faults as its own seed draws
    // them, so the seeds vary only timing, as real runs do.
    let mut scenario = scenario.for_seed(scenario.seed);
    scenario.explore = None;
    // A model-only library (Jedis, Lettuce, Redisson, go-redis, StackExchange.Redis) has no driver here: its clients are left
    // out of the real runs and the simulated ones alike, each named in a caveat.
    let (kept, left): (Vec<_>, Vec<_>) = std::mem::take(&mut scenario.clients)
        .into_iter()
        .partition(|c| plan::model_only(&c.library).is_none());
    scenario.clients = kept;
    let scenario = &scenario;
    let mut plan = plan::Plan::new(scenario);
    for c in &left {
        let why = plan::model_only(&c.library).unwrap_or_default();
        plan.caveats.push(format!(
            "client {} cannot run here ({why}): left out of the real runs and of the simulated seeds they are compared with",
            c.name
        ));
    }
    let python = preflight::venv(REDIS_PY).map_err(Unable)?;
    let drivers = venvs(&plan, opts.redis_py.as_deref())?;
    let simulated: Vec<Outcome> =
        opts.seeds.clone().map(|seed| lab::simulate::simulate_lean(scenario, seed).2).collect();
    let mut real = Vec::new();
    for run in 0..opts.runs {
        let dir = match &opts.keep {
            Some(d) => d.join(format!("run-{}", run + 1)),
            None => std::env::temp_dir().join(format!(
                "redsim-conform-{}-{}",
                std::process::id(),
                run + 1
            )),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Unable(format!("{}: {e}", dir.display())))?;
        // Absolute: a server resolves `logfile` after moving into its `dir`.
        let dir =
            std::fs::canonicalize(&dir).map_err(|e| Unable(format!("{}: {e}", dir.display())))?;
        let driver = dir.join("redis_py.py");
        std::fs::write(&driver, REDIS_PY_DRIVER).map_err(|e| Unable(e.to_string()))?;
        let programs = real::Programs {
            server: server.clone(),
            sentinel: opts.sentinel.clone(),
            cli: cli.clone(),
            python: python.clone(),
            client_pythons: drivers.pythons.clone(),
            node_drivers: drivers.node.clone(),
            native_drivers: drivers.native.clone(),
            driver,
            build: version.build(),
        };
        let label =
            format!("real run {}/{} ({} {})", run + 1, opts.runs, version.product, version.number);
        let seen = real::run(scenario, &plan, &programs, (&dir, opts.keep.is_some()), &label, stop);
        real.push(observe::outcome(scenario, &plan, &seen.map_err(Unable)?, u64::from(run)));
    }
    Ok(compare::Comparison::new(real, simulated, &opts.tolerance))
}

/// Refuses a scenario whose processes are not all of the binary's build.
fn same_build(
    scenario: &Scenario,
    server: &std::path::Path,
    version: &preflight::Version,
) -> Result<(), Unable> {
    let builds: std::collections::BTreeSet<&str> = scenario
        .redis
        .iter()
        .map(|r| r.server.name())
        .chain(scenario.sentinels.iter().map(|s| s.server.name()))
        .collect();
    if builds.len() > 1 {
        let names: Vec<&str> = builds.into_iter().collect();
        return Err(Unable(format!(
            "conform runs one server build at a time; this scenario mixes {}",
            names.join(" and ")
        )));
    }
    match builds.first() {
        Some(&want) if want != version.server => Err(Unable(format!(
            "the scenario's server is {want}, but {} is {} {} ({}): give --redis-server PATH of a {want} build",
            server.display(),
            version.product,
            version.number,
            version.server
        ))),
        _ => Ok(()),
    }
}

/// A program per client library release, by release.
type ByRelease = BTreeMap<String, PathBuf>;

/// The client drivers a plan needs, by release.
struct Drivers {
    /// The Python of a venv per redis-py or valkey-py release.
    pythons: ByRelease,
    /// The driver in an npm install per ioredis or node-redis release, run by `node`.
    node: ByRelease,
    /// The built driver program per redis-rs release.
    native: ByRelease,
}

/// A venv per redis-py client release (`override_release`, `--redis-py`, replaces each client's
/// release with another of the same line), the driver in an npm install per ioredis and
/// node-redis release, and the redis-rs driver built per redis-rs release, by release.
fn venvs(plan: &plan::Plan, override_release: Option<&str>) -> Result<Drivers, Unable> {
    let mut pythons = BTreeMap::new();
    let mut node = BTreeMap::new();
    let mut native = BTreeMap::new();
    for c in &plan.clients {
        if let Some(version) = c.release.strip_prefix("redis-rs-") {
            if !native.contains_key(&c.release) {
                native.insert(c.release.clone(), preflight::redis_rs(version).map_err(Unable)?);
            }
            continue;
        }
        if let Some(version) = c.release.strip_prefix("ioredis-") {
            if !node.contains_key(&c.release) {
                node.insert(
                    c.release.clone(),
                    preflight::ioredis(version, IOREDIS_DRIVER).map_err(Unable)?,
                );
            }
            continue;
        }
        if let Some(version) = c.release.strip_prefix("node-redis-") {
            if !node.contains_key(&c.release) {
                node.insert(
                    c.release.clone(),
                    preflight::node_redis(version, NODE_REDIS_DRIVER).map_err(Unable)?,
                );
            }
            continue;
        }
        let install = match override_release {
            _ if c.release.starts_with("valkey-") => &c.release,
            Some(r) if line(r) != line(&c.release) => {
                return Err(Unable(format!(
                    "--redis-py {r} is not of client `{}`'s library-version line ({}): the simulator would model another release",
                    c.name,
                    line(&c.release)
                )));
            }
            Some(r) => r,
            None => &c.release,
        };
        if let std::collections::btree_map::Entry::Vacant(e) = pythons.entry(c.release.clone()) {
            e.insert(preflight::venv(install).map_err(Unable)?);
        }
    }
    Ok(Drivers { pythons, node, native })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario with two monitored masters is refused before anything is installed or started;
    /// one with a single master passes the check.
    #[test]
    fn several_masters_are_refused() {
        let two = Scenario::load("../traces/two-masters.toml").unwrap();
        let err = one_master(&two).unwrap_err();
        assert!(err.0.contains("several masters"), "{}", err.0);
        let one = Scenario::load("../traces/blog-partition.toml").unwrap();
        assert_eq!(one_master(&one), Ok(()));
    }
}
