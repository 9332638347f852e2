//! What a real run needs from the machine, found or refused before anything is touched: root,
//! `ip`, `iptables`, `redis-cli`, a server build whose version matches the scenario, and a venv
//! with the client library (created once and cached).

use crate::render::Build;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to get what is missing on Debian or Ubuntu.
const INSTALL: &str =
    "apt-get install -y redis-server redis-sentinel redis-tools iptables iproute2 python3-venv";

/// A program on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The machine's shortcomings, each with how to fix it; empty when a run can go ahead.
pub fn missing(server: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    if !is_root() {
        out.push(
            "root: conform creates network namespaces and filter rules; run it as root (sudo)"
                .to_string(),
        );
    }
    for (program, package) in [
        ("ip", "iproute2"),
        ("iptables", "iptables"),
        ("redis-cli", "redis-tools"),
        ("python3", "python3"),
    ] {
        if which(program).is_none() {
            out.push(format!("`{program}` is not on PATH: apt-get install -y {package}"));
        }
    }
    if server.is_none() && which("redis-server").is_none() {
        out.push("`redis-server` is not on PATH (or give --redis-server PATH): apt-get install -y redis-server redis-sentinel".to_string());
    }
    if !out.is_empty() {
        out.push(format!("on Debian/Ubuntu, everything at once: {INSTALL}"));
    }
    out
}

/// A server build as `--version` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// `redis` or `valkey`.
    pub product: String,
    /// `7.0.15`.
    pub number: String,
    /// The scenario `server` name it matches: `redis-7.0`, `redis-6.2`, `valkey-9.1`.
    pub server: String,
}

impl Version {
    /// Parses `Redis server v=7.0.15 sha=...` or `Valkey server v=9.1.2 ...`.
    pub fn parse(line: &str) -> Option<Version> {
        let product = if line.starts_with("Valkey") {
            "valkey"
        } else if line.starts_with("Redis") {
            "redis"
        } else {
            return None;
        };
        let number = line.split_whitespace().find_map(|w| w.strip_prefix("v="))?.to_string();
        let mut parts = number.split('.');
        let server = format!("{product}-{}.{}", parts.next()?, parts.next()?);
        Some(Version { product: product.into(), number, server })
    }

    /// What this build's configuration accepts.
    pub fn build(&self) -> Build {
        let major: u32 = self.number.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Build::of_version(if self.product == "valkey" { 7 + major } else { major })
    }
}

/// Asks a server binary its version.
pub fn version(server: &Path) -> Result<Version, String> {
    let out = Command::new(server)
        .arg("--version")
        .output()
        .map_err(|e| format!("{}: {e}", server.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Version::parse(text.trim()).ok_or_else(|| {
        format!(
            "{}: not a Redis or Valkey server (--version said `{}`)",
            server.display(),
            text.trim()
        )
    })
}

/// The Python of a venv holding `redis==<release>` (or `valkey==<v>` for `release`
/// `valkey-<v>`), created under the cache directory on first use (`$XDG_CACHE_HOME` or
/// `~/.cache`, then `redsim/conform/redis-py-<release>` or `valkey-py-<v>`).
pub fn venv(release: &str) -> Result<PathBuf, String> {
    let (package, version) = match release.strip_prefix("valkey-") {
        Some(v) => ("valkey", v),
        None => ("redis", release),
    };
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .ok_or("no cache directory: set HOME or XDG_CACHE_HOME")?;
    let dir = cache.join("redsim").join("conform").join(format!("{package}-py-{version}"));
    let python = dir.join("bin").join("python");
    let has = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {package}; print({package}.__version__)")])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == version)
    };
    if has(&python) {
        return Ok(python);
    }
    crate::say(format_args!(
        "conform: creating a venv with {package}-py {version} in {} (once)",
        dir.display()
    ));
    crate::machine::run("python3", &["-m", "venv", &dir.display().to_string()])
        .map_err(|e| format!("{e}\n  (on Debian/Ubuntu: apt-get install -y python3-venv)"))?;
    let pip = dir.join("bin").join("pip").display().to_string();
    crate::machine::run(&pip, &["install", "-q", &format!("{package}=={version}")])?;
    if has(&python) {
        Ok(python)
    } else {
        Err(format!("{package}-py {version} did not install into {}", dir.display()))
    }
}

/// The directory of an npm install of ioredis `version` in the cache (created once), with the
/// driver written next to its `node_modules` so that `import "ioredis"` finds it; returns the
/// driver's path. Needs `node` and `npm` (Debian: `apt-get install -y nodejs npm`).
pub fn ioredis(version: &str, driver: &str) -> Result<PathBuf, String> {
    npm("ioredis", "ioredis", version, "ioredis.mjs", driver)
}

/// node-redis (npm's `redis` package) `version`, as [`ioredis`] installs ioredis, into
/// `node-redis-<version>`.
pub fn node_redis(version: &str, driver: &str) -> Result<PathBuf, String> {
    npm("node-redis", "redis", version, "node_redis.mjs", driver)
}

/// `npm install <package>@<version>` into the cache's `<library>-<version>` (once), and the
/// driver written there as `file`.
fn npm(
    library: &str,
    package: &str,
    version: &str,
    file: &str,
    driver: &str,
) -> Result<PathBuf, String> {
    for program in ["node", "npm"] {
        if which(program).is_none() {
            return Err(format!(
                "`{program}` is not on PATH, and an {library} client needs it: apt-get install -y nodejs npm"
            ));
        }
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .ok_or("no cache directory: set HOME or XDG_CACHE_HOME")?;
    let dir = cache.join("redsim").join("conform").join(format!("{library}-{version}"));
    let installed = dir.join("node_modules").join(package).join("package.json");
    let has = || {
        std::fs::read_to_string(&installed)
            .is_ok_and(|p| p.contains(&format!("\"version\": \"{version}\"")))
    };
    if !has() {
        crate::say(format_args!(
            "conform: installing {library} {version} with npm into {} (once)",
            dir.display()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let prefix = dir.display().to_string();
        let spec = format!("{package}@{version}");
        crate::machine::run(
            "npm",
            &["install", "--silent", "--no-save", "--prefix", &prefix, &spec],
        )?;
        if !has() {
            return Err(format!("{library} {version} did not install into {}", dir.display()));
        }
    }
    let js = dir.join(file);
    std::fs::write(&js, driver).map_err(|e| format!("{}: {e}", js.display()))?;
    Ok(js)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_their_scenario_server() {
        let v = Version::parse("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0").unwrap();
        assert_eq!((v.server.as_str(), v.build()), ("redis-7.0", Build { bind_source_addr: true }));
        let v = Version::parse("Redis server v=6.2.14 sha=00000000:0 malloc=libc bits=64 build=1")
            .unwrap();
        assert_eq!(
            (v.server.as_str(), v.build()),
            ("redis-6.2", Build { bind_source_addr: false })
        );
        let v = Version::parse("Valkey server v=9.1.2 sha=00000000:0 malloc=libc bits=64 build=1")
            .unwrap();
        assert_eq!(v.server, "valkey-9.1");
        assert!(Version::parse("Python 3.11").is_none());
    }
}
