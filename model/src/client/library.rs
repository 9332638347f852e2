//! Which client library a client is, at which version, with which settings, and what that
//! decides: how long a connect may take and what redis-py's `Retry` objects retry (valkey-py,
//! its fork, keeps redis-py 5.x's rules: [`ValkeyPyVersion`]); [`MODELLED`] names the libraries
//! the model follows, [`LIBRARIES`] the ones a scenario may ask for.
//!
//! The rules, each read from that version's source (`git show <tag>:redis/...`) and checked by
//! running the real library against fake servers on loopback:
//! - `Sentinel(...)` builds a `Redis(host, port, **sentinel_kwargs)` per sentinel, so the
//!   sentinel queries carry `Redis.__init__`'s default `retry` (`redis/client.py`): none before
//!   6.0; `Retry(ExponentialWithJitterBackoff(base=1, cap=10), 3)` in 6.x and 7.x;
//!   `Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), 10)` in 8.0 and 8.1
//!   (`redis/_defaults.py`); 8.2's `Sentinel.__init__` gives them `Retry(NoBackoff(), 0)` again.
//! - `master_for`/`slave_for` pools build their connections from the `Sentinel`'s
//!   `connection_kwargs`, not through `Redis.__init__`, so a data connection keeps
//!   `AbstractConnection.__init__`'s `Retry(NoBackoff(), 0)` in every version, or
//!   `Retry(NoBackoff(), 1)` with `retry_on_timeout=True`. A plain `Redis(host, port)` gets the
//!   constructor's default above.
//! - What a command's retry catches (`Redis.execute_command`): 3.x retries a `TimeoutError` once
//!   when `retry_on_timeout` is set and nothing else; 4.x and 5.x's `_disconnect_raise` re-raises
//!   whatever is not in `retry_on_error` (only `TimeoutError`); from 6.0 `_close_connection` lets
//!   the `Retry` decide, so every `ConnectionError` (a reset, `-LOADING`'s `BusyLoadingError`, the
//!   pool's `The previous master is now a slave`) and `TimeoutError` is retried.
//! - What a connect's retry catches: nothing before 4.2; from 4.2 `AbstractConnection.connect`
//!   retries the socket connect on `socket.timeout` only; from 7.2 it retries the whole connect
//!   (`connect_check_health` with the handshake), so refused connects too. A pool's `SentinelManagedConnection.connect`
//!   (4.2 on) wraps discovery and connect in the connection's own `Retry`, which catches every
//!   `ConnectionError` (`MasterNotFoundError` included).
//! - `socket_connect_timeout` defaults to `socket_timeout` up to 7.x and to 5 s from 8.0
//!   (`DEFAULT_SOCKET_CONNECT_TIMEOUT`), for sentinel and data connections alike.
//! - `discover_master` skips a sentinel's error reply from 8.2 on (before, it propagates), and
//!   appends the sentinels' errors to `No master found` from 4.5.5 on.

use sim::{Duration, Rng};
use std::fmt;

/// Every library a scenario's `library` may name.
pub const LIBRARIES: [&str; 10] = [
    "redis-py",
    "valkey-py",
    "jedis",
    "lettuce",
    "redisson",
    "go-redis",
    "ioredis",
    "node-redis",
    "redis-rs",
    "stackexchange",
];

/// The libraries the model follows.
pub const MODELLED: [&str; 10] = [
    "redis-py",
    "ioredis",
    "valkey-py",
    "node-redis",
    "redis-rs",
    "jedis",
    "go-redis",
    "lettuce",
    "redisson",
    "stackexchange",
];

/// redis-py's release lines the model knows, with their newest patch release (PyPI).
const LINES: [(u16, u16, u16); 30] = [
    (3, 0, 1),
    (3, 1, 0),
    (3, 2, 1),
    (3, 3, 11),
    (3, 4, 1),
    (3, 5, 3),
    (4, 0, 2),
    (4, 1, 4),
    (4, 2, 2),
    (4, 3, 6),
    (4, 4, 4),
    (4, 5, 5),
    (4, 6, 0),
    (5, 0, 8),
    (5, 1, 1),
    (5, 2, 1),
    (5, 3, 1),
    (6, 0, 0),
    (6, 1, 1),
    (6, 2, 0),
    (6, 3, 0),
    (6, 4, 0),
    (7, 0, 1),
    (7, 1, 1),
    (7, 2, 2),
    (7, 3, 1),
    (7, 4, 1),
    (8, 0, 1),
    (8, 1, 0),
    (8, 2, 0),
];

/// A redis-py version as a scenario writes it: `"5.x"`, `"5.0"` or `"5.0.8"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisPyVersion {
    major: u16,
    minor: u16,
    /// The patch release; for `"5.0"` and `"5.x"`, the newest of that line.
    patch: u16,
    /// As written.
    text: String,
}

/// A version string that names no supported redis-py release.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "redis-py `{0}` is not supported: give a release line (\"3.x\" to \"8.x\", \"5.0\", \"8.1\") or a release (\"5.0.8\"); supported: 3.0-3.5, 4.0-4.6, 5.0-5.3, 6.0-6.4, 7.0-7.4, 8.0-8.2"
)]
pub struct UnknownVersion(pub String);

/// The release `"X.x"`, `"X.Y"` or `"X.Y.Z"` names among `lines` (each line with its newest patch
/// release): the newest of the line unless exact.
fn release_in(text: &str, lines: &[(u16, u16, u16)]) -> Option<(u16, u16, u16)> {
    let num = |s: &str| -> Option<u16> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 4 {
            return None;
        }
        s.parse().ok()
    };
    let line = |major: u16, minor: u16| lines.iter().find(|l| (l.0, l.1) == (major, minor));
    let parts: Vec<&str> = text.split('.').collect();
    match parts[..] {
        [major, "x"] => {
            let major = num(major)?;
            lines.iter().rev().find(|l| l.0 == major).copied()
        }
        [major, minor] => line(num(major)?, num(minor)?).copied(),
        [major, minor, patch] => {
            let (major, minor, patch) = (num(major)?, num(minor)?, num(patch)?);
            (patch <= line(major, minor)?.2).then_some((major, minor, patch))
        }
        _ => None,
    }
}

impl RedisPyVersion {
    /// Parses `"X.x"`, `"X.Y"` or `"X.Y.Z"` of a release line the model knows.
    pub fn parse(text: &str) -> Result<RedisPyVersion, UnknownVersion> {
        let (major, minor, patch) =
            release_in(text, &LINES).ok_or_else(|| UnknownVersion(text.to_string()))?;
        Ok(RedisPyVersion { major, minor, patch, text: text.to_string() })
    }

    /// The release `pip install redis==...` installs for this version: itself when exact, else
    /// the newest patch of its line.
    pub fn release(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }

    fn at_least(&self, major: u16, minor: u16, patch: u16) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }
}

impl Default for RedisPyVersion {
    /// 5.0, the version the model followed before versions existed.
    fn default() -> Self {
        RedisPyVersion::parse("5.0").expect("a known line")
    }
}

impl fmt::Display for RedisPyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// valkey-py's release lines, with their newest patch release (PyPI).
const VALKEY_LINES: [(u16, u16, u16); 3] = [(6, 0, 2), (6, 1, 1), (6, 2, 0)];

/// A valkey-py release as a scenario writes it (`"6.x"`, `"6.1"`, `"6.1.1"`). valkey-py is the
/// fork of redis-py 5.0 whose 6.0 to 6.2 releases keep, unchanged in what the model decides,
/// redis-py 5.x's `discover_master` (`valkey/sentinel.py`), `Valkey.__init__` without a default
/// `retry` and `_disconnect_raise` (`valkey/client.py`), and `AbstractConnection.connect`'s
/// retry of the socket connect only, with `socket_connect_timeout` defaulting to
/// `socket_timeout` (`valkey/connection.py`): a valkey-py client runs redis-py 5.x's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValkeyPyVersion {
    release: (u16, u16, u16),
    /// As written.
    text: String,
}

impl ValkeyPyVersion {
    /// Parses a valkey-py release line or release; the error says which are supported.
    pub fn parse(text: &str) -> Result<ValkeyPyVersion, String> {
        let release = release_in(text, &VALKEY_LINES).ok_or_else(|| {
            format!(
                "valkey-py `{text}` is not supported: give a release line (\"6.x\", \"6.1\") or a release (\"6.1.1\"); supported: 6.0-6.2"
            )
        })?;
        Ok(ValkeyPyVersion { release, text: text.to_string() })
    }

    /// The release `pip install valkey==...` installs.
    pub fn release(&self) -> String {
        let (major, minor, patch) = self.release;
        format!("{major}.{minor}.{patch}")
    }
}

impl Default for ValkeyPyVersion {
    /// The newest release line.
    fn default() -> Self {
        ValkeyPyVersion::parse("6.x").expect("a known line")
    }
}

impl fmt::Display for ValkeyPyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A client's library with its version and settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Library {
    /// redis-py.
    RedisPy(RedisPy),
    /// ioredis (5.11.1).
    Ioredis(super::Ioredis),
    /// node-redis (6.2.1).
    NodeRedis(super::NodeRedis),
    /// redis-rs (the `redis` crate 1.8.2).
    RedisRs(super::RedisRs),
    /// Jedis (7.5.3).
    Jedis(super::Jedis),
    /// go-redis (v9.22.0).
    GoRedis(super::GoRedis),
    /// Lettuce (7.7.0.RELEASE).
    Lettuce(super::Lettuce),
    /// Redisson (4.7.0).
    Redisson(super::Redisson),
    /// StackExchange.Redis (3.1.31).
    StackExchange(super::StackExchange),
}

impl Default for Library {
    /// redis-py 5.0, the library every client was before libraries existed.
    fn default() -> Self {
        Library::RedisPy(RedisPy::default())
    }
}

impl Library {
    /// The redis-py settings, if the library is redis-py.
    pub fn redis_py(&self) -> Option<&RedisPy> {
        match self {
            Library::RedisPy(py) => Some(py),
            Library::Ioredis(_)
            | Library::NodeRedis(_)
            | Library::RedisRs(_)
            | Library::Jedis(_)
            | Library::GoRedis(_)
            | Library::Lettuce(_)
            | Library::Redisson(_)
            | Library::StackExchange(_) => None,
        }
    }
}

/// A redis-py client: its version and the settings that decide a failover's outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedisPy {
    /// `library-version`.
    pub version: RedisPyVersion,
    /// `socket_connect_timeout` (`None`: the version's default).
    pub socket_connect_timeout: Option<Duration>,
    /// `retry_on_timeout`.
    pub retry_on_timeout: bool,
    /// `Some` for a valkey-py client, whose `version` is then redis-py 5.x (the rules its fork
    /// kept).
    pub valkey_py: Option<ValkeyPyVersion>,
}

/// The settings a redis-py client takes, as redis-py spells them.
pub const REDIS_PY_SETTINGS: [&str; 2] = ["socket_connect_timeout", "retry_on_timeout"];

/// How long redis-py waits before retry number `n`: `Backoff.compute(n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// `NoBackoff()`.
    None,
    /// `ExponentialWithJitterBackoff(base, cap)`: `min(cap, random() * base * 2**n)`.
    ExponentialWithJitter { base: Duration, cap: Duration },
}

impl Backoff {
    /// The wait before retry `n` (1 for the first), its jitter drawn from `rng`.
    pub fn wait(self, n: u32, rng: &mut Rng) -> Duration {
        match self {
            Backoff::None => Duration::ZERO,
            Backoff::ExponentialWithJitter { base, cap } => {
                let top = base.as_micros().saturating_mul(1u64 << n.min(40));
                let drawn = if top == 0 { 0 } else { rng.between(0, top - 1) };
                Duration::from_micros(drawn.min(cap.as_micros()))
            }
        }
    }
}

/// Which failures a retry loop catches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catch {
    /// None.
    Nothing,
    /// `TimeoutError` (reading or connecting) only.
    Timeouts,
    /// Every `ConnectionError` and `TimeoutError`.
    Everything,
}

/// A failure of a connection or a command, as redis-py classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A connect refused (`ConnectionError`).
    Refused,
    /// A connect that took longer than `socket_connect_timeout` (`TimeoutError`).
    ConnectTimeout,
    /// No reply within `socket_timeout` (`TimeoutError`).
    ReadTimeout,
    /// The connection closed or was reset (`ConnectionError`).
    Closed,
    /// `-LOADING` (`BusyLoadingError`, a `ConnectionError`).
    Loading,
    /// READONLY on a master pool (`The previous master is now a slave`, a `ConnectionError`).
    ReadOnly,
    /// No sentinel named a master (`MasterNotFoundError`, a `ConnectionError`).
    NoMaster,
}

impl Catch {
    /// True if this loop retries `f`.
    pub fn catches(self, f: Failure) -> bool {
        match self {
            Catch::Nothing => false,
            Catch::Timeouts => matches!(f, Failure::ConnectTimeout | Failure::ReadTimeout),
            Catch::Everything => true,
        }
    }
}

/// A connection's `Retry`: how many times, with which backoff, and what its two loops (around
/// a command, around a connect) catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// `retries`.
    pub retries: u32,
    /// The backoff between attempts.
    pub backoff: Backoff,
    /// What `execute_command`'s loop catches.
    pub command: Catch,
    /// What the connect's own loop catches.
    pub connect: Catch,
}

impl Retry {
    /// `Retry(NoBackoff(), 0)`.
    pub const NONE: Retry = Retry {
        retries: 0,
        backoff: Backoff::None,
        command: Catch::Nothing,
        connect: Catch::Nothing,
    };
}

/// Where one redis-py call stands in its retry loops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Failures of the command so far (non-zero: inside `execute_command`'s loop).
    pub failures: u32,
    /// Failures of the connect in progress.
    pub connect_failures: u32,
}

/// Which loop retries, and after how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Again {
    /// The command's loop (`false`: the connect's).
    pub command: bool,
    /// That loop's failure count.
    pub failures: u32,
    /// The backoff before the next attempt.
    pub wait: Duration,
}

impl Retry {
    /// What `Retry.call_with_retry` does with failure `f`: retry (which loop, after how long)
    /// or raise (`None`). A failed connect (`at_connect`) is first the connect loop's; when that
    /// loop raises, it is the command's only inside a command retry (the first connect happens
    /// in `get_connection`, outside `execute_command`'s loop).
    pub fn again(
        &self,
        a: &mut Attempts,
        f: Failure,
        at_connect: bool,
        rng: &mut Rng,
    ) -> Option<Again> {
        if at_connect {
            if self.connect.catches(f) && a.connect_failures < self.retries {
                a.connect_failures += 1;
                let wait = self.backoff.wait(a.connect_failures, rng);
                return Some(Again { command: false, failures: a.connect_failures, wait });
            }
            if a.failures == 0 {
                return None;
            }
        }
        if self.command.catches(f) && a.failures < self.retries {
            a.failures += 1;
            a.connect_failures = 0;
            let wait = self.backoff.wait(a.failures, rng);
            return Some(Again { command: true, failures: a.failures, wait });
        }
        None
    }
}

impl RedisPy {
    /// A valkey-py client of `version` with the given settings.
    pub fn valkey_py(version: ValkeyPyVersion) -> RedisPy {
        let version_rules = RedisPyVersion::parse("5.x").expect("a known line");
        RedisPy { version: version_rules, valkey_py: Some(version), ..RedisPy::default() }
    }

    /// `redis-py 8.1`, `valkey-py 6.1`: the package and version as the scenario names them.
    pub fn name(&self) -> String {
        match &self.valkey_py {
            Some(v) => format!("valkey-py {v}"),
            None => format!("redis-py {}", self.version),
        }
    }

    /// How long a connect may take: `socket_connect_timeout`, or this version's default.
    pub fn connect_timeout(&self, socket_timeout: Duration) -> Duration {
        match self.socket_connect_timeout {
            Some(t) => t,
            None if self.version.major >= 8 => Duration::from_secs(5),
            None => socket_timeout,
        }
    }

    /// `Redis.__init__`'s default `retry`, which the sentinel connections and a plain client get.
    fn constructor_retry(&self) -> Retry {
        // From 7.2 `connect` retries the whole connect, before only the socket's timeouts.
        let connect =
            if self.version.at_least(7, 2, 0) { Catch::Everything } else { Catch::Timeouts };
        match self.version.major {
            6 | 7 => Retry {
                retries: 3,
                backoff: Backoff::ExponentialWithJitter {
                    base: Duration::from_secs(1),
                    cap: Duration::from_secs(10),
                },
                command: Catch::Everything,
                connect,
            },
            8 => Retry {
                retries: 10,
                backoff: Backoff::ExponentialWithJitter {
                    base: Duration::from_millis(10),
                    cap: Duration::from_secs(1),
                },
                command: Catch::Everything,
                connect: Catch::Everything,
            },
            _ => Retry::NONE,
        }
    }

    /// The sentinel connections' `Retry` (`Redis.__init__`'s default; none again from 8.2).
    pub fn sentinel_retry(&self) -> Retry {
        if self.version.at_least(8, 2, 0) { Retry::NONE } else { self.constructor_retry() }
    }

    /// A data connection's `Retry`: a plain `Redis(host, port)` client's (`plain`) or a
    /// `master_for`/`slave_for` pool's.
    pub fn data_retry(&self, plain: bool) -> Retry {
        let v = &self.version;
        if plain && v.major >= 6 {
            return self.constructor_retry();
        }
        if !self.retry_on_timeout {
            return Retry::NONE;
        }
        let (command, connect) = match (v.major, plain) {
            _ if !v.at_least(4, 2, 0) => (Catch::Timeouts, Catch::Nothing),
            (4 | 5, true) => (Catch::Timeouts, Catch::Timeouts),
            (4 | 5, false) => (Catch::Timeouts, Catch::Everything),
            _ => (Catch::Everything, Catch::Everything),
        };
        Retry { retries: 1, backoff: Backoff::None, command, connect }
    }

    /// `discover_master` moves on past a sentinel's error reply (8.2) instead of raising it.
    pub fn skips_sentinel_error_reply(&self) -> bool {
        self.version.at_least(8, 2, 0)
    }

    /// `MasterNotFoundError` lists each sentinel's error (4.5.5 on).
    pub fn lists_sentinel_errors(&self) -> bool {
        self.version.at_least(4, 5, 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_lines_and_releases() {
        let v = RedisPyVersion::parse("8.x").unwrap();
        assert_eq!((v.release(), v.to_string()), ("8.2.0".to_string(), "8.x".to_string()));
        assert_eq!(RedisPyVersion::parse("5.0").unwrap().release(), "5.0.8");
        assert_eq!(RedisPyVersion::parse("3.5.3").unwrap().release(), "3.5.3");
        assert_eq!(RedisPyVersion::default().release(), "5.0.8");
        for bad in ["5.0.9", "5.4", "9.0", "2.10.6", "8", "8.1.0.1", "v8.1", "8.-1", "", "x.1"] {
            assert!(RedisPyVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn valkey_py_versions_run_redis_py_5s_rules() {
        let v = ValkeyPyVersion::parse("6.1").unwrap();
        assert_eq!(v.release(), "6.1.1");
        assert_eq!(ValkeyPyVersion::parse("6.x").unwrap().release(), "6.2.0");
        assert_eq!(ValkeyPyVersion::parse("6.0.1").unwrap().release(), "6.0.1");
        for bad in ["6.3", "5.0", "6.1.2", "7.x", "6"] {
            assert!(ValkeyPyVersion::parse(bad).is_err(), "{bad}");
        }
        let py = RedisPy::valkey_py(v);
        assert_eq!(py.name(), "valkey-py 6.1");
        let five = RedisPy { version: RedisPyVersion::parse("5.0").unwrap(), ..RedisPy::default() };
        assert_eq!(py.sentinel_retry(), five.sentinel_retry());
        assert_eq!(py.data_retry(false), five.data_retry(false));
        assert_eq!(py.data_retry(true), five.data_retry(true));
        assert_eq!(py.lists_sentinel_errors(), five.lists_sentinel_errors());
    }

    fn py(v: &str) -> RedisPy {
        RedisPy { version: RedisPyVersion::parse(v).unwrap(), ..RedisPy::default() }
    }

    #[test]
    fn each_line_has_its_sources_defaults() {
        assert_eq!(py("5.0").sentinel_retry(), Retry::NONE);
        assert_eq!(py("3.5").data_retry(true), Retry::NONE);
        assert_eq!(py("7.4").sentinel_retry().retries, 3);
        assert_eq!(py("8.1.0").sentinel_retry().retries, 10);
        assert_eq!(py("8.2").sentinel_retry(), Retry::NONE, "8.2 stops retrying sentinels");
        assert_eq!(py("8.2").data_retry(true).retries, 10, "but not plain clients");
        assert_eq!(py("8.1").data_retry(false), Retry::NONE, "a pool does not retry");
        let t = Duration::from_millis(100);
        assert_eq!(
            (py("7.4").connect_timeout(t), py("8.0").connect_timeout(t)),
            (t, Duration::from_secs(5))
        );
        let rot = |v: &str| RedisPy { retry_on_timeout: true, ..py(v) }.data_retry(false);
        assert_eq!((rot("3.5").command, rot("5.0").command), (Catch::Timeouts, Catch::Timeouts));
        assert_eq!(rot("6.0").command, Catch::Everything, "6.0 lets the Retry decide");
        assert!(!py("4.5.4").lists_sentinel_errors() && py("4.5.5").lists_sentinel_errors());
    }

    #[test]
    fn a_connect_failure_is_the_connect_loops_then_the_commands_inside_a_retry() {
        let r = py("8.1").sentinel_retry();
        let mut rng = Rng::stream(1, "t");
        let mut a = Attempts::default();
        for n in 1..=10 {
            let again = r.again(&mut a, Failure::Refused, true, &mut rng).unwrap();
            assert_eq!((again.command, again.failures), (false, n));
            assert!(again.wait <= Duration::from_secs(1));
        }
        assert_eq!(
            r.again(&mut a, Failure::Refused, true, &mut rng),
            None,
            "11 connects, then it raises"
        );
        // Inside a command retry the raised connect error is the command loop's.
        let mut a = Attempts { failures: 1, connect_failures: 10 };
        let again = r.again(&mut a, Failure::ConnectTimeout, true, &mut rng).unwrap();
        assert_eq!((again.command, again.failures, a.connect_failures), (true, 2, 0));
        // 6.x and 7.0-7.1 retry a connect on a timeout only, 7.2 on a refusal too.
        let r = py("7.1").sentinel_retry();
        assert_eq!(r.again(&mut Attempts::default(), Failure::Refused, true, &mut rng), None);
        let r = py("7.2").sentinel_retry();
        assert!(r.again(&mut Attempts::default(), Failure::Refused, true, &mut rng).is_some());
    }
}
