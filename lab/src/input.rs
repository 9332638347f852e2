//! What a file handed to `explain` or `export` is: a trace (its first line is a trace header) or
//! a scenario (TOML), and a clear error for a file that is neither.

use crate::scenario::{Scenario, ScenarioError};
use std::io::Read;

/// How every trace begins: its header's first field.
const TRACE_START: &[u8] = b"{\"redsim_trace\"";

/// True when the file at `path` starts like a trace (its header line).
pub fn is_trace(path: &str) -> bool {
    let mut head = [0u8; TRACE_START.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| head[..n].starts_with(TRACE_START))
}

/// Loads the scenario at `path` for a verb that also takes traces. A file that is not TOML at
/// all is reported as what it is not (neither a trace nor a scenario) rather than by the TOML
/// parser's first complaint; a TOML file that is not a valid scenario keeps its scenario error.
pub fn trace_or_scenario(path: &str) -> Result<Scenario, String> {
    Scenario::load(path).map_err(|e| {
        let toml = std::fs::read(path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|text| text.parse::<toml::Table>().is_ok());
        if toml || e.line == 0 && e.message.starts_with("cannot read") {
            e.to_string()
        } else {
            neither(path, &e)
        }
    })
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
