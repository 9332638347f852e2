//! Virtual time: [`Instant`] and [`Duration`] are integer microseconds, never floats, never the wall
//! clock. Scenario files write times as `"250us"`, `"100ms"`, `"5s"`, `"2m"`, `"1h"` (or parts in
//! decreasing units such as `"1h30m"`) and ranges as `"A..B"`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A point in virtual time, in microseconds since the start of the simulation.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Instant(u64);

/// A span of virtual time in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Duration(u64);

impl Instant {
    /// The start of every simulation.
    pub const ZERO: Instant = Instant(0);
    /// Later than any event a simulation will reach.
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `us` microseconds after the start.
    pub const fn from_micros(us: u64) -> Self {
        Instant(us)
    }
    /// An instant `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms * 1_000)
    }
    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Whole milliseconds since the start (rounded down).
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }
    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
    /// `self - d`, or zero if that would be before the start.
    pub const fn saturating_sub(self, d: Duration) -> Instant {
        Instant(self.0.saturating_sub(d.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);
    /// Longer than any simulation.
    pub const MAX: Duration = Duration(u64::MAX);

    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        Duration(us)
    }
    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000)
    }
    /// `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000)
    }
    /// Length in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Length in whole milliseconds (rounded down).
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }
    /// Length in whole seconds (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
    /// `self * k`, saturating.
    pub const fn saturating_mul(self, k: u64) -> Duration {
        Duration(self.0.saturating_mul(k))
    }
}

impl std::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl std::ops::AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl std::ops::Sub<Instant> for Instant {
    type Output = Duration;
    /// The time from `rhs` to `self`; saturates at zero.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl std::ops::Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

impl std::ops::Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        Duration(self.0.saturating_sub(d.0))
    }
}

/// Writes the largest unit that represents `us` exactly: `2m`, `5s`, `100ms`, `250us`.
fn fmt_micros(us: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if us == 0 {
        f.write_str("0s")
    } else if us % 60_000_000 == 0 {
        write!(f, "{}m", us / 60_000_000)
    } else if us % 1_000_000 == 0 {
        write!(f, "{}s", us / 1_000_000)
    } else if us % 1_000 == 0 {
        write!(f, "{}ms", us / 1_000)
    } else {
        write!(f, "{us}us")
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_micros(self.0, f)
    }
}

impl fmt::Display for Instant {
    /// Seconds with millisecond precision, as timelines show them: `26.391s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1_000_000, (self.0 / 1_000) % 1_000)
    }
}

/// Why a time string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    /// Nothing before the unit, or not a whole number.
    #[error(
        "`{0}` is not a time: expected a whole number and a unit, like 250us, 100ms, 5s, 2m or 1h"
    )]
    BadNumber(String),
    /// The unit is missing or unknown.
    #[error(
        "`{0}` has no known unit: use us, ms, s, m or h, or parts in decreasing units like 1h30m"
    )]
    BadUnit(String),
    /// The value does not fit in 64-bit microseconds.
    #[error("`{0}` is too large")]
    Overflow(String),
    /// A range whose end comes before its start.
    #[error("`{0}` is an empty range: the end comes before the start")]
    EmptyRange(String),
    /// A range without `..`.
    #[error("`{0}` is not a range: expected A..B, like 1ms..5ms")]
    NotARange(String),
}

impl FromStr for Duration {
    type Err = TimeParseError;
    /// A whole number and a unit (`us`, `ms`, `s`, `m`, `h`), or several such parts in
    /// decreasing units, which add up: `1h30m`, `1m30s`, `2s500ms`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rest = s.trim();
        if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(TimeParseError::BadNumber(s.to_string()));
        }
        let mut total: u64 = 0;
        let mut last_scale = u64::MAX;
        while !rest.is_empty() {
            let split = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let (digits, after) = rest.split_at(split);
            if digits.is_empty() {
                return Err(TimeParseError::BadUnit(s.to_string()));
            }
            let after = after.trim_start();
            let unit_len = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
            let (unit, tail) = after.split_at(unit_len);
            let scale: u64 = match unit {
                "us" => 1,
                "ms" => 1_000,
                "s" => 1_000_000,
                "m" => 60_000_000,
                "h" => 3_600_000_000,
                _ => return Err(TimeParseError::BadUnit(s.to_string())),
            };
            // Each unit at most once, largest first, as people write `1h30m`.
            if scale >= last_scale {
                return Err(TimeParseError::BadUnit(s.to_string()));
            }
            last_scale = scale;
            let n: u64 = digits.parse().map_err(|_| TimeParseError::Overflow(s.to_string()))?;
            total = n
                .checked_mul(scale)
                .and_then(|us| total.checked_add(us))
                .ok_or_else(|| TimeParseError::Overflow(s.to_string()))?;
            rest = tail.trim_start();
        }
        Ok(Duration(total))
    }
}

/// A uniform range of durations `lo..=hi`, written `"1ms..5ms"` (a single time means `lo == hi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DurationRange {
    /// Shortest value.
    pub lo: Duration,
    /// Longest value (inclusive).
    pub hi: Duration,
}

impl DurationRange {
    /// The range holding exactly `d`.
    pub const fn exactly(d: Duration) -> Self {
        DurationRange { lo: d, hi: d }
    }
    /// `lo..=hi`; `None` when `hi < lo`.
    pub fn new(lo: Duration, hi: Duration) -> Option<Self> {
        (lo <= hi).then_some(DurationRange { lo, hi })
    }
    /// Number of distinct microsecond values in the range, minus one.
    pub const fn span_micros(&self) -> u64 {
        self.hi.0 - self.lo.0
    }
}

impl FromStr for DurationRange {
    type Err = TimeParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once("..") {
            Some((a, b)) => {
                let (lo, hi): (Duration, Duration) = (a.parse()?, b.parse()?);
                DurationRange::new(lo, hi).ok_or_else(|| TimeParseError::EmptyRange(s.to_string()))
            }
            None => Ok(DurationRange::exactly(s.parse()?)),
        }
    }
}

impl fmt::Display for DurationRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}..{}", self.lo, self.hi)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!("250us".parse::<Duration>().unwrap(), Duration::from_micros(250));
        assert_eq!("100ms".parse::<Duration>().unwrap(), Duration::from_millis(100));
        assert_eq!("5s".parse::<Duration>().unwrap(), Duration::from_secs(5));
        assert_eq!("2m".parse::<Duration>().unwrap(), Duration::from_secs(120));
        assert_eq!(" 0s ".parse::<Duration>().unwrap(), Duration::ZERO);
        assert_eq!("1h".parse::<Duration>().unwrap(), Duration::from_secs(3600));
    }

    #[test]
    fn parts_in_decreasing_units_add_up() {
        assert_eq!("1h30m".parse::<Duration>().unwrap(), Duration::from_secs(5400));
        assert_eq!("1m30s".parse::<Duration>().unwrap(), Duration::from_secs(90));
        assert_eq!("2s500ms".parse::<Duration>().unwrap(), Duration::from_millis(2500));
        assert_eq!("1h 5s".parse::<Duration>().unwrap(), Duration::from_secs(3605));
        for bad in ["30m1h", "1s1s", "1h30", "1h-5m", "1hm"] {
            assert!(matches!(bad.parse::<Duration>(), Err(TimeParseError::BadUnit(_))), "{bad}");
        }
        let big = format!("{}h1h", u64::MAX);
        assert!(big.parse::<Duration>().is_err());
    }

    #[test]
    fn rejects_bad_times() {
        assert!(matches!("5".parse::<Duration>(), Err(TimeParseError::BadUnit(_))));
        assert!(matches!("5d".parse::<Duration>(), Err(TimeParseError::BadUnit(_))));
        assert!(matches!("ms".parse::<Duration>(), Err(TimeParseError::BadNumber(_))));
        assert!(matches!("-5s".parse::<Duration>(), Err(TimeParseError::BadNumber(_))));
        assert!(matches!("1.5s".parse::<Duration>(), Err(TimeParseError::BadUnit(_))));
        assert!(matches!(
            "99999999999999999999s".parse::<Duration>(),
            Err(TimeParseError::Overflow(_))
        ));
        assert!(matches!("999999999999999m".parse::<Duration>(), Err(TimeParseError::Overflow(_))));
    }

    #[test]
    fn display_round_trips() {
        for s in ["250us", "100ms", "5s", "2m", "0s", "1500ms", "90s"] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.to_string().parse::<Duration>().unwrap(), d, "{s}");
        }
        assert_eq!(Duration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(Duration::from_secs(120).to_string(), "2m");
    }

    #[test]
    fn ranges() {
        let r: DurationRange = "1ms..5ms".parse().unwrap();
        assert_eq!((r.lo, r.hi), (Duration::from_millis(1), Duration::from_millis(5)));
        assert_eq!(r.to_string(), "1ms..5ms");
        assert_eq!(
            "3ms".parse::<DurationRange>().unwrap(),
            DurationRange::exactly(Duration::from_millis(3))
        );
        assert!(matches!("5ms..1ms".parse::<DurationRange>(), Err(TimeParseError::EmptyRange(_))));
        assert!("1ms..".parse::<DurationRange>().is_err());
    }

    #[test]
    fn instant_arithmetic_saturates() {
        let t = Instant::from_millis(5);
        assert_eq!(t + Duration::from_millis(1), Instant::from_millis(6));
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!(t - Instant::ZERO, Duration::from_millis(5));
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::from_micros(26_391_000).to_string(), "26.391s");
    }
}
