//! Formatting helpers every report, explanation and export shares.

/// Virtual milliseconds as seconds: `26.391s`.
pub fn secs(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}
