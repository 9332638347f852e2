//! What an input handed to `explain` or `export` is: a trace (its first line is a trace header)
//! or a scenario (TOML), and a clear error for one that is neither.

use crate::scenario::{Scenario, ScenarioError};
use std::io::Read;

/// How every trace begins: its header's first field.
pub const TRACE_START: &[u8] = b"{\"redsim_trace\"";

/// Reads a scenario (named `path` in messages) for a verb that also takes traces. An input that
/// is not TOML at all is reported as what it is not (neither a trace nor a scenario) rather than
/// by the TOML parser's first complaint; a TOML file that is not a valid scenario keeps its
/// scenario error.
pub fn scenario_or_neither(path: &str, input: impl Read) -> Result<Scenario, String> {
    let bytes = Scenario::read_bytes(path, input).map_err(|e| e.to_string())?;
    let e = match Scenario::from_bytes(path, &bytes) {
        Ok(s) => return Ok(s),
        Err(e) => e,
    };
    let toml = std::str::from_utf8(&bytes).is_ok_and(|t| t.parse::<toml::Table>().is_ok());
    if toml { Err(e.to_string()) } else { Err(neither(path, &e)) }
}

fn neither(path: &str, e: &ScenarioError) -> String {
    let why = if e.line == 0 {
        e.message.clone()
    } else {
        format!("as TOML, line {} column {}: {}", e.line, e.col, e.message)
    };
    format!(
        "{path} is neither a trace written by `redsim run --trace` (its first line would start with {}) nor a scenario file (TOML; {why})",
        String::from_utf8_lossy(TRACE_START)
    )
}
