//! The part of the machine a real run uses, and only that: one network namespace per scenario
//! host, each with a veth pair to one bridge that lives in a namespace of its own (so the host's
//! own filter tables and bridge settings never see the traffic), the processes started in them,
//! and a registry of everything created, so that a run that died is cleaned up by the next.
//!
//! The registry is a file per run under [`REGISTRY`]: the owner's pid and start time, then one
//! line per namespace, process and directory as it is created. Cleaning up kills only processes
//! whose pid *and* start time match a line (never a process that reused the pid), deletes only
//! the namespaces listed, and removes only the directories listed.

use crate::plan::Host;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where runs record what they created.
pub const REGISTRY: &str = "/run/redsim-conform";

/// A process's start time (clock ticks since boot, `/proc/PID/stat` field 22): with the pid, it
/// names one process for good.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Runs a command to completion; its stderr becomes the error.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Sends a signal (`KILL`, `STOP`, `CONT`) to a process this run started.
pub fn signal(pid: u32, sig: &str) -> Result<(), String> {
    run("kill", &[&format!("-{sig}"), &pid.to_string()])
}

/// The namespaces and processes of one run.
pub struct Machine {
    /// The per-run prefix of every name (`rc<pid>`): two runs at once never collide.
    pub prefix: String,
    registry: PathBuf,
    /// Each host's namespace, by host index.
    pub namespaces: Vec<String>,
}

impl Machine {
    /// Claims a prefix and its registry file, after cleaning up what dead runs left.
    pub fn new() -> Result<Machine, String> {
        fs::create_dir_all(REGISTRY).map_err(|e| format!("cannot create {REGISTRY}: {e}"))?;
        clean_dead_runs();
        let me = std::process::id();
        let prefix = format!("rc{me}");
        let registry = Path::new(REGISTRY).join(format!("{prefix}.run"));
        let line = format!("owner {me} {}\n", start_time(me).unwrap_or(0));
        fs::write(&registry, line)
            .map_err(|e| format!("cannot write {}: {e}", registry.display()))?;
        Ok(Machine { prefix, registry, namespaces: Vec::new() })
    }

    fn note(&self, line: &str) {
        if let Ok(mut f) = fs::OpenOptions::new().append(true).open(&self.registry) {
            let _ = writeln!(f, "{line}");
        }
    }

    /// Records a directory to remove when the run ends.
    pub fn note_dir(&self, dir: &Path) {
        self.note(&format!("dir {}", dir.display()));
    }

    fn netns(&self, name: &str) -> Result<(), String> {
        self.note(&format!("netns {name}"));
        run("ip", &["netns", "add", name])
    }

    /// The bridge namespace and one namespace per host, each host's `eth0` holding its address
    /// and every other address reachable on the link (a default route through `eth0`; the bridge
    /// has no way out, so nothing leaves the namespaces).
    pub fn network(&mut self, hosts: &[Host]) -> Result<(), String> {
        let bridge = format!("{}-br", self.prefix);
        self.netns(&bridge)?;
        run("ip", &["-n", &bridge, "link", "add", "br0", "type", "bridge"])?;
        run("ip", &["-n", &bridge, "link", "set", "br0", "up"])?;
        for (i, h) in hosts.iter().enumerate() {
            let ns = format!("{}-h{i}", self.prefix);
            self.netns(&ns)?;
            let outer = format!("{}v{i}", self.prefix);
            run(
                "ip",
                &[
                    "-n", &bridge, "link", "add", &outer, "type", "veth", "peer", "name", "eth0",
                    "netns", &ns,
                ],
            )?;
            run("ip", &["-n", &bridge, "link", "set", &outer, "master", "br0", "up"])?;
            let ip = format!("{}/32", h.ip);
            run("ip", &["-n", &ns, "addr", "add", &ip, "dev", "eth0"])?;
            run("ip", &["-n", &ns, "link", "set", "lo", "up"])?;
            run("ip", &["-n", &ns, "link", "set", "eth0", "up"])?;
            run("ip", &["-n", &ns, "route", "add", "default", "dev", "eth0"])?;
            self.namespaces.push(ns);
        }
        Ok(())
    }

    /// A command run inside host `host`'s namespace, with `TZ=UTC` (log times are read as UTC).
    pub fn command(&self, host: usize, program: &Path, args: &[String]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.namespaces[host], "env", "TZ=UTC"]).arg(program).args(args);
        c
    }

    /// Starts a process in host `host`'s namespace and records it (`ip netns exec` and `env`
    /// exec into it, so the child's pid is the process's own).
    pub fn spawn(
        &self,
        host: usize,
        program: &Path,
        args: &[String],
        out: Stdio,
        err: Stdio,
        input: Stdio,
    ) -> Result<Child, String> {
        let child = self
            .command(host, program, args)
            .stdin(input)
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let pid = child.id();
        self.note(&format!("proc {pid} {}", start_time(pid).unwrap_or(0)));
        Ok(child)
    }

    /// `iptables ARGS` on a host's own filter table.
    pub fn iptables(&self, host: usize, args: &[String]) -> Result<(), String> {
        let mut a: Vec<&str> = vec!["netns", "exec", &self.namespaces[host], "iptables"];
        a.extend(args.iter().map(String::as_str));
        run("ip", &a)
    }

    /// Kills every process, deletes every namespace and directory this run recorded.
    pub fn clean_up(&self) {
        clean(&self.registry);
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.clean_up();
    }
}

/// Cleans up after a registry file: processes, then namespaces, then directories, then the file.
fn clean(registry: &Path) {
    let Ok(text) = fs::read_to_string(registry) else { return };
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    for l in &lines {
        if let ["proc", pid, started] = l[..] {
            if let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) {
                if start_time(pid) == Some(started) {
                    let _ = signal(pid, "KILL");
                }
            }
        }
    }
    for l in lines.iter().rev() {
        if let ["netns", name] = l[..] {
            let _ = run("ip", &["netns", "del", name]);
        }
    }
    for l in &lines {
        if l.first() == Some(&"dir") {
            let _ = fs::remove_dir_all(l[1..].join(" "));
        }
    }
    let _ = fs::remove_file(registry);
}

/// Cleans up after every run whose owner is no longer alive.
fn clean_dead_runs() {
    let Ok(entries) = fs::read_dir(REGISTRY) else { return };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else { continue };
        let owner = text.lines().next().and_then(|l| {
            let mut w = l.split(' ');
            if w.next() != Some("owner") {
                return None;
            }
            Some((w.next()?.parse::<u32>().ok()?, w.next()?.parse::<u64>().ok()?))
        });
        let alive = owner.is_some_and(|(pid, started)| start_time(pid) == Some(started));
        if !alive {
            crate::say(format_args!(
                "conform: cleaning up after a run that died ({})",
                f.display()
            ));
            clean(&f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_named_by_its_pid_and_start_time() {
        let me = std::process::id();
        let t = start_time(me).expect("this process has a start time");
        assert_eq!(start_time(me), Some(t));
        assert_eq!(start_time(u32::MAX), None);
    }
}
