//! One real run of a plan: processes started at their times, the timeline applied in wall time,
//! the clients' drivers and the probes running alongside, the end state read, everything
//! collected into [`Observed`]. Threads and the wall clock are fine here: nothing of this reaches
//! a simulation.

use crate::machine::{self, Machine};
use crate::observe::{Final, Observed, OpLine, Sample};
use crate::plan::{Kind, Plan, Step, Target};
use crate::render::{self, Build};
use lab::scenario::Scenario;
use model::observe::{Op, OpRecord, OpResult};
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The programs a real run uses.
#[derive(Clone, Debug)]
pub struct Programs {
    /// `redis-server`.
    pub server: PathBuf,
    /// `redis-sentinel`, or `None` for `redis-server --sentinel`.
    pub sentinel: Option<PathBuf>,
    /// `redis-cli`.
    pub cli: PathBuf,
    /// The Python of the venv the observers (probe, end state) run in.
    pub python: PathBuf,
    /// The Python of each client library release's venv, by release (`5.0.8`).
    pub client_pythons: std::collections::BTreeMap<String, PathBuf>,
    /// The driver program.
    pub driver: PathBuf,
    /// The ioredis driver of each ioredis release, by release (`ioredis-5.11.1`), run by `node`.
    pub node_drivers: std::collections::BTreeMap<String, PathBuf>,
    /// The driver program of each redis-rs release, by release (`redis-rs-1.8.2`), run itself.
    pub native_drivers: std::collections::BTreeMap<String, PathBuf>,
    /// What the server build accepts.
    pub build: Build,
}

/// The wall clock, in Unix ms: the one clock of a real run (the logs' timestamps are on it).
#[allow(clippy::disallowed_types)] // conform runs real processes in real time, never a simulation
fn unix_ms() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A `command` event's redis-cli, finished: (seq, argv, invoked µs, completed µs, node, what it
/// printed); records hold shared text, so they are made on the main thread.
type Finished = (u64, Vec<String>, u64, u64, Option<String>, Result<std::process::Output, String>);

/// A server process and its files.
struct Server {
    dir: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// SIGKILL, and reaped, if it is running.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `plan` once for real, its files under `dir` (removed at the end unless `keep`); `stop`
/// is set by a signal.
pub fn run(
    scenario: &Scenario,
    plan: &Plan,
    programs: &Programs,
    (dir, keep): (&Path, bool),
    label: &str,
    stop: &AtomicBool,
) -> Result<Observed, String> {
    let mut machine = Machine::new()?;
    if !keep {
        machine.note_dir(dir);
    }
    machine.network(&plan.hosts)?;
    let mut caveats = plan.caveats.clone();
    tune_network(scenario, plan, &machine, &mut caveats);
    let mut servers: Vec<Server> = Vec::new();
    let mut debug = Vec::new();
    for (i, p) in plan.procs.iter().enumerate() {
        let d = dir.join(p.name.replace(':', "-"));
        fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let r = render::render(plan, i, &d, programs.build);
        fs::write(d.join("redis.conf"), r.text).map_err(|e| format!("{}: {e}", d.display()))?;
        debug.push(r.debug);
        servers.push(Server { dir: d, child: None });
    }
    // The scenario clock starts a little ahead, so the drivers are ready at zero.
    let t0 = unix_ms() + 1500;
    let end = plan.duration_ms;
    let mut clients = Vec::new();
    for c in &plan.clients {
        let mut spec = c.spec.clone();
        spec["t0"] = (t0 as f64 / 1000.0).into();
        spec["end"] = (end as f64 / 1000.0).into();
        clients.push((
            c.name.clone(),
            driver(&machine, programs, c.host, "client", &spec, (dir, &c.name))?,
        ));
    }
    // One probe for every server, through their observation sockets (from the first host's
    // namespace; a Unix socket belongs to no network).
    let nodes = sockets(plan, &servers, Kind::Redis);
    let spec = serde_json::json!({"t0": t0 as f64 / 1000.0, "end": end as f64 / 1000.0 + 5.0, "nodes": nodes, "interval": 0.1, "timeout": 0.2});
    let probe = driver(&machine, programs, 0, "probe", &spec, (dir, "probe"))?;

    // The timeline: starts, the scenario's steps, SENTINEL DEBUG once a sentinel is up.
    enum Due {
        Start(usize),
        Step(usize),
        Debug(usize),
    }
    let mut due: Vec<(u64, Due)> =
        (0..plan.procs.len()).map(|i| (plan.procs[i].start_ms, Due::Start(i))).collect();
    due.extend((0..plan.steps.len()).map(|i| (plan.steps[i].at_ms, Due::Step(i))));
    due.sort_by_key(|(t, _)| *t);
    let mut due = std::collections::VecDeque::from(due);
    let (tx, rx) = mpsc::channel::<Finished>();
    let mut commands: Vec<OpRecord> = Vec::new();
    let mut in_flight: Vec<(u64, Vec<String>)> = Vec::new();
    let mut cli_pids: Vec<u32> = Vec::new();
    let tty = std::io::stderr().is_terminal();
    let mut seq = 0u64;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        let wall = unix_ms();
        if wall >= t0 + end {
            break;
        }
        let now = wall.saturating_sub(t0);
        while let Ok(done) = rx.try_recv() {
            in_flight.retain(|(s, _)| *s != done.0);
            commands.push(finished(done));
        }
        if wall >= t0 && due.front().is_some_and(|(t, _)| *t <= now) {
            let (at, what) = due.pop_front().expect("checked");
            match what {
                Due::Start(i) => {
                    start(&machine, plan, programs, &mut servers, i)?;
                    if !debug[i].is_empty() {
                        let pos = due.iter().position(|(t, _)| *t > at + 300).unwrap_or(due.len());
                        due.insert(pos, (at + 300, Due::Debug(i)));
                    }
                }
                Due::Debug(i) => {
                    for (param, value) in &debug[i] {
                        let argv =
                            vec!["SENTINEL".into(), "DEBUG".into(), param.clone(), value.clone()];
                        let _ = cli(
                            &machine,
                            programs,
                            plan.procs[i].host,
                            &plan.proc_addr(i),
                            &argv,
                            Duration::from_secs(2),
                        );
                    }
                }
                Due::Step(k) => {
                    let t = &plan.steps[k];
                    if !tty {
                        crate::say(format_args!(
                            "  {label} {}.{:03}s {}",
                            at / 1000,
                            at % 1000,
                            t.label
                        ));
                    }
                    match &t.step {
                        Step::Command { argv, target, from } => {
                            let invoked_us = unix_ms().saturating_sub(t0) * 1000;
                            let s = seq;
                            seq += 1;
                            in_flight.push((s, argv.clone()));
                            command(
                                &machine,
                                plan,
                                programs,
                                s,
                                invoked_us,
                                t0,
                                argv,
                                target,
                                *from,
                                tx.clone(),
                                &mut cli_pids,
                            );
                        }
                        step => {
                            apply(&machine, plan, programs, &mut servers, step, &mut caveats, at)?
                        }
                    }
                }
            }
            continue;
        }
        if tty {
            let next = due.iter().find_map(|(t, d)| matches!(d, Due::Step(_)).then_some(*t));
            let next = next.map_or(String::new(), |t| {
                let k = due
                    .iter()
                    .find_map(|(at, d)| match d {
                        Due::Step(k) if *at == t => Some(*k),
                        _ => None,
                    })
                    .unwrap_or(0);
                format!("  next {}.{:03}s {}", t / 1000, t % 1000, plan.steps[k].label)
            });
            let width = 30;
            let done = (now.min(end) * width / end.max(1)) as usize;
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[K  {label} [{}{}] {:>5.1}s / {:.1}s{next}",
                "#".repeat(done),
                ".".repeat(width as usize - done),
                now as f64 / 1000.0,
                end as f64 / 1000.0
            );
            let _ = std::io::stderr().flush();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if tty {
        crate::say(format_args!(""));
    }

    // The end: the clients stop, the end state is read, everything is stopped.
    for (_, c) in &mut clients {
        drop(c.stdin.take());
    }
    let mut probe = probe;
    drop(probe.stdin.take());
    let end_state = read_end(scenario, &machine, plan, programs, &servers)?;
    while let Ok(done) = rx.try_recv() {
        in_flight.retain(|(s, _)| *s != done.0);
        commands.push(finished(done));
    }
    for pid in cli_pids {
        let _ = machine::signal(pid, "KILL");
    }
    for (s, argv) in in_flight {
        commands.push(cli_record(
            s,
            argv,
            end * 1000,
            end * 1000,
            None,
            OpResult::Lost { error: "no reply before the end of the run".into() },
        ));
    }
    let mut ops = std::collections::BTreeMap::new();
    for (name, c) in clients {
        let file = dir.join(format!("{name}.jsonl"));
        ops.insert(name.clone(), lines::<OpLine>(c, &format!("client {name}"), &file)?);
    }
    let samples = lines::<Sample>(probe, "probe", &dir.join("probe.jsonl"))?;
    servers.iter_mut().for_each(Server::stop);
    let logs = plan
        .procs
        .iter()
        .zip(&servers)
        .map(|(p, s)| fs::read_to_string(s.dir.join(render::log_name(p.kind))).unwrap_or_default())
        .collect();
    machine.clean_up();
    Ok(Observed { t0_unix_ms: t0, logs, ops, commands, samples, end: end_state, caveats })
}

/// Link latency and loss with `tc netem` on each host's `eth0` where the kernel has it; the SYN
/// retry schedule with the namespace's own sysctl.
fn tune_network(scenario: &Scenario, plan: &Plan, machine: &Machine, caveats: &mut Vec<String>) {
    let (lo, hi) = (scenario.latency.lo.as_micros(), scenario.latency.hi.as_micros());
    let mut netem = vec![
        "qdisc".to_string(),
        "add".into(),
        "dev".into(),
        "eth0".into(),
        "root".into(),
        "netem".into(),
    ];
    netem.extend(["delay".into(), format!("{}us", (lo + hi) / 2), format!("{}us", (hi - lo) / 2)]);
    if scenario.loss.as_f64() > 0.0 {
        netem.extend(["loss".into(), format!("{}%", scenario.loss.as_f64() * 100.0)]);
    }
    let failed = !everywhere(plan, machine, "tc", &netem);
    if failed {
        caveats.push(format!(
            "[network] latency {}..{}{}: not applied: tc netem is not available on this kernel (sch_netem); real veth latency (tens of µs) was used",
            scenario.latency.lo,
            scenario.latency.hi,
            if scenario.loss.as_f64() > 0.0 { " and loss" } else { "" }
        ));
    }
    let arg = vec![
        "-q".to_string(),
        "-w".into(),
        format!("net.ipv4.tcp_syn_linear_timeouts={}", scenario.syn_linear_timeouts),
    ];
    let failed = !everywhere(plan, machine, "sysctl", &arg);
    if failed {
        caveats.push("tcp-syn-linear-timeouts: this kernel has no net.ipv4.tcp_syn_linear_timeouts; its own SYN retry schedule was used".into());
    }
}

/// Runs `program ARGS` in every host's namespace; true when it succeeded in all of them.
fn everywhere(plan: &Plan, machine: &Machine, program: &str, args: &[String]) -> bool {
    (0..plan.hosts.len()).all(|h| {
        let status = machine.command(h, Path::new(program), args).stderr(Stdio::null()).status();
        status.is_ok_and(|s| s.success())
    })
}

/// Starts (or restarts) process `i` with the configuration file it last wrote.
fn start(
    machine: &Machine,
    plan: &Plan,
    programs: &Programs,
    servers: &mut [Server],
    i: usize,
) -> Result<(), String> {
    let p = &plan.procs[i];
    let s = &mut servers[i];
    s.stop();
    let conf = s.dir.join("redis.conf").display().to_string();
    let (program, args) = match (p.kind, &programs.sentinel) {
        (Kind::Redis, _) => (&programs.server, vec![conf]),
        (Kind::Sentinel, Some(sentinel)) => (sentinel, vec![conf]),
        (Kind::Sentinel, None) => (&programs.server, vec![conf, "--sentinel".into()]),
    };
    let out = fs::File::create(s.dir.join("stdout.log")).map_err(|e| e.to_string())?;
    s.child = Some(machine.spawn(
        p.host,
        program,
        &args,
        Stdio::from(out),
        Stdio::null(),
        Stdio::null(),
    )?);
    Ok(())
}

fn apply(
    machine: &Machine,
    plan: &Plan,
    programs: &Programs,
    servers: &mut [Server],
    step: &Step,
    caveats: &mut Vec<String>,
    at: u64,
) -> Result<(), String> {
    let pid = |servers: &[Server], i: usize| servers[i].child.as_ref().map(Child::id);
    match step {
        Step::Kill(i) => servers[*i].stop(),
        Step::Restart(i) => start(machine, plan, programs, servers, *i)?,
        Step::Pause(i, _) | Step::Resume(i) => {
            let sig = if matches!(step, Step::Pause(..)) { "STOP" } else { "CONT" };
            match pid(servers, *i) {
                Some(p) => machine::signal(p, sig)?,
                None => caveats.push(format!(
                    "{}.{:03}s: {} is not running: SIG{sig} not sent",
                    at / 1000,
                    at % 1000,
                    plan.procs[*i].name
                )),
            }
        }
        Step::Iptables { host, args } => machine.iptables(*host, args)?,
        Step::Command { .. } => unreachable!("commands run on their own thread"),
    }
    Ok(())
}

fn finished((seq, argv, invoked_us, completed_us, node, out): Finished) -> OpRecord {
    let result = match out {
        Ok(out) => cli_result(&out),
        Err(error) => OpResult::Error { error },
    };
    cli_record(seq, argv, invoked_us, completed_us, node, result)
}

fn cli_record(
    seq: u64,
    argv: Vec<String>,
    invoked_us: u64,
    completed_us: u64,
    node: Option<String>,
    result: OpResult,
) -> OpRecord {
    OpRecord {
        client: "redis-cli".into(),
        seq,
        op: Op::Command { argv },
        invoked_us,
        completed_us,
        node: node.map(|n| n.as_str().into()),
        result,
    }
}

/// `redis-cli --no-raw -h IP -p PORT ARGV...` from `host`, its output piped.
fn spawn_cli(
    machine: &Machine,
    programs: &Programs,
    host: usize,
    addr: &str,
    argv: &[String],
) -> Result<Child, String> {
    let (ip, port) = addr.rsplit_once(':').unwrap_or((addr, "6379"));
    let mut args = vec!["--no-raw".to_string(), "-h".into(), ip.into(), "-p".into(), port.into()];
    args.extend(argv.iter().cloned());
    machine.spawn(host, &programs.cli, &args, Stdio::piped(), Stdio::piped(), Stdio::null())
}

/// Runs redis-cli against `addr` from `host`, killed after `limit`: its reply as the history
/// records it.
fn cli(
    machine: &Machine,
    programs: &Programs,
    host: usize,
    addr: &str,
    argv: &[String],
    limit: Duration,
) -> OpResult {
    let child = match spawn_cli(machine, programs, host, addr, argv) {
        Ok(child) => child,
        Err(error) => return OpResult::Error { error },
    };
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(out)) => cli_result(&out),
        Ok(Err(e)) => OpResult::Error { error: e.to_string() },
        Err(_) => {
            let _ = machine::signal(pid, "KILL");
            OpResult::Timeout
        }
    }
}

/// redis-cli's formatted output (`--no-raw`) as a result.
pub fn cli_result(out: &std::process::Output) -> OpResult {
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if let Some(e) = stdout.strip_prefix("(error) ") {
        return OpResult::Error { error: e.to_string() };
    }
    if stderr.starts_with("Could not connect")
        || (stdout.is_empty() && stderr.contains("Connection refused"))
    {
        return OpResult::Error { error: stderr };
    }
    if stdout.is_empty() || stdout.starts_with("Error:") {
        return OpResult::Lost { error: if stderr.is_empty() { stdout } else { stderr } };
    }
    let value = stdout.trim_matches('"').to_string();
    OpResult::Ok { value: Some(value.as_str().into()) }
}

#[allow(clippy::too_many_arguments)]
fn command(
    machine: &Machine,
    plan: &Plan,
    programs: &Programs,
    seq: u64,
    invoked_us: u64,
    t0: u64,
    argv: &[String],
    target: &Target,
    from: usize,
    tx: mpsc::Sender<Finished>,
    pids: &mut Vec<u32>,
) {
    // Resolve `on = "master"` as `redis-cli -h $(SENTINEL get-master-addr-by-name ...)` would:
    // the first sentinel that answers within a second.
    let addr = match target {
        Target::Proc(i) => Some(plan.proc_addr(*i)),
        Target::Master(sentinels) => sentinels.iter().find_map(|&s| {
            let service = plan.procs[s].service.clone().unwrap_or_default();
            let argv = ["SENTINEL", "get-master-addr-by-name", &service].map(String::from);
            match cli(machine, programs, from, &plan.proc_addr(s), &argv, Duration::from_secs(1)) {
                OpResult::Ok { value: Some(v) } => {
                    let parts: Vec<&str> = v
                        .lines()
                        .map(|l| {
                            l.trim()
                                .trim_start_matches(|c: char| {
                                    c.is_ascii_digit() || c == ')' || c == ' '
                                })
                                .trim_matches('"')
                        })
                        .collect();
                    (parts.len() == 2).then(|| format!("{}:{}", parts[0], parts[1]))
                }
                _ => None,
            }
        }),
    };
    let name = |a: &str| plan.name_of(a).map_or_else(|| a.to_string(), str::to_string);
    let Some(addr) = addr else {
        let error = Err("no sentinel answered get-master-addr-by-name".to_string());
        let _ = tx.send((seq, argv.to_vec(), invoked_us, invoked_us, None, error));
        return;
    };
    let child = match spawn_cli(machine, programs, from, &addr, argv) {
        Ok(child) => child,
        Err(error) => {
            let _ = tx.send((seq, argv.to_vec(), invoked_us, invoked_us, None, Err(error)));
            return;
        }
    };
    pids.push(child.id());
    let (argv, node) = (argv.to_vec(), name(&addr));
    std::thread::spawn(move || {
        let out = child.wait_with_output().map_err(|e| e.to_string());
        let done = unix_ms().saturating_sub(t0) * 1000;
        let _ = tx.send((seq, argv, invoked_us, done, Some(node), out));
    });
}

/// Starts a driver in a host's namespace, its stdout to `<name>.jsonl` and its stderr to
/// `<name>.stderr` in `dir`; it stops when its stdin closes. A client runs in its release's venv
/// (the spec's `library_version`), the observers in the default one.
fn driver(
    machine: &Machine,
    programs: &Programs,
    host: usize,
    mode: &str,
    spec: &serde_json::Value,
    (dir, name): (&Path, &str),
) -> Result<Child, String> {
    let file =
        |ext: &str| fs::File::create(dir.join(format!("{name}.{ext}"))).map_err(|e| e.to_string());
    let release = spec["library_version"].as_str();
    let node = release.and_then(|r| programs.node_drivers.get(r));
    let native = release.and_then(|r| programs.native_drivers.get(r));
    let venv = release.and_then(|r| programs.client_pythons.get(r));
    let node_program = PathBuf::from("node");
    // `program [driver] mode SPEC`: a native driver is the program itself.
    let (program, driver) = match (native, node) {
        (Some(n), _) => (n, None),
        (None, Some(d)) => (&node_program, Some(d)),
        (None, None) => (venv.unwrap_or(&programs.python), Some(&programs.driver)),
    };
    let args: Vec<String> = driver
        .map(|d| d.display().to_string())
        .into_iter()
        .chain([mode.to_string(), spec.to_string()])
        .collect();
    machine.spawn(
        host,
        program,
        &args,
        Stdio::from(file("jsonl")?),
        Stdio::from(file("stderr")?),
        Stdio::piped(),
    )
}

/// A driver's JSON lines, from the file its stdout went to, once it has stopped (killed if it has
/// not 10 s after being told to).
fn lines<T: serde::de::DeserializeOwned>(
    mut child: Child,
    what: &str,
    file: &Path,
) -> Result<Vec<T>, String> {
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = machine::signal(child.id(), "KILL");
        let _ = child.wait();
    }
    let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    text.lines()
        .map(|line| {
            serde_json::from_str(line)
                .map_err(|e| format!("{what} wrote a line conform cannot read ({e}): {line}"))
        })
        .collect()
}

/// `{"ip:port": observation socket}` of the processes of one kind.
fn sockets(
    plan: &Plan,
    servers: &[Server],
    kind: Kind,
) -> serde_json::Map<String, serde_json::Value> {
    (0..plan.procs.len())
        .filter(|&i| plan.procs[i].kind == kind)
        .map(|i| {
            (
                plan.proc_addr(i),
                render::observe_socket(&servers[i].dir).display().to_string().into(),
            )
        })
        .collect()
}

/// The end state of every server and sentinel, read through their observation sockets.
fn read_end(
    scenario: &Scenario,
    machine: &Machine,
    plan: &Plan,
    programs: &Programs,
    servers: &[Server],
) -> Result<Final, String> {
    let get: Vec<String> = scenario.expect.get.iter().map(|g| g.key.clone()).collect();
    let service = plan.procs.iter().find_map(|p| p.service.clone()).unwrap_or_default();
    let spec = serde_json::json!({
        "nodes": sockets(plan, servers, Kind::Redis),
        "sentinels": sockets(plan, servers, Kind::Sentinel),
        "service": service, "get": get, "timeout": 0.5,
    });
    let args = vec![programs.driver.display().to_string(), "final".into(), spec.to_string()];
    let out = machine
        .command(0, &programs.python, &args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim())
        .map_err(|e| format!("the final readout: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}
