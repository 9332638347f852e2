//! Formatting helpers every report, explanation and export shares.

/// Virtual milliseconds as seconds: `26.391s`.
pub fn secs(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// A short duration: whole milliseconds below a second (`12ms`), seconds above (`15.000s`).
pub fn ms(ms: u64) -> String {
    if ms < 1000 { format!("{ms}ms") } else { secs(ms) }
}
