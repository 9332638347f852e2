//! Replaying a trace: the header names the format version, the seed, the trace level and embeds
//! the scenario; the run is repeated and every line it produces is compared with the recorded one
//! as it is produced. The first differing line is reported by its 1-based number.
//!
//! Every view of a trace (`explain`, `export`) goes through [`verified_record`]: a trace is read
//! only once its replay has matched it line for line, so an edited, truncated, reordered or
//! mismatched trace is refused instead of being believed.

use crate::check;
use crate::record::{Record, RecordError, ReplayError, embedded_scenario};
use crate::run::Deployment;
use crate::scenario::Scenario;
use sim::trace::{CompareWriter, Divergence};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::rc::Rc;

/// The result of a replay.
#[derive(Debug)]
pub struct Replayed {
    /// The scenario that was run again.
    pub scenario: Scenario,
    /// The seed.
    pub seed: u64,
    /// The first line that differs, if any.
    pub divergence: Option<Divergence>,
    /// Lines produced by the replay.
    pub lines: u64,
}

/// A `Write` into a shared comparer, so it can be finished after the world lets go of it.
struct Shared(Rc<RefCell<CompareWriter<BufReader<File>>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs the trace's scenario again with its seed and level, comparing line by line.
pub fn replay(path: &str) -> Result<Replayed, ReplayError> {
    let (scenario, header) = embedded_scenario(path)?;
    let read = |e: io::Error| ReplayError::Read { path: path.to_string(), source: e.into() };
    let recorded = BufReader::new(File::open(path).map_err(read)?);
    let cmp = Rc::new(RefCell::new(CompareWriter::new(recorded)));
    let mut d = Deployment::build(&scenario, header.seed);
    d.trace_to(&scenario, Box::new(Shared(cmp.clone())), header.level).map_err(read)?;
    d.run(&scenario);
    let outcome = check::outcome(&scenario, header.seed, &d);
    let lines = d.finish_trace(&outcome).map_err(read)?;
    drop(d);
    let cmp =
        Rc::try_unwrap(cmp).map_err(|_| ()).expect("the world released the trace").into_inner();
    let divergence = cmp.finish().map_err(read)?;
    Ok(Replayed { scenario, seed: header.seed, divergence, lines })
}

/// The first differing line as `redsim replay` reports it: its number, the recorded line and the
/// replayed one, each on its own line.
pub fn describe(path: &str, d: &Divergence) -> String {
    format!(
        "{path}: line {} differs\n  recorded: {}\n  replayed: {}",
        d.line,
        d.recorded.as_deref().unwrap_or("(the recording ends here)"),
        d.replayed.as_deref().unwrap_or("(the replay ends here)")
    )
}

/// Why a trace was not read as a record.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file cannot be used as a trace at all (exit status 2).
    #[error(transparent)]
    Unusable(#[from] RecordError),
    /// The trace is readable but its replay differs (exit status 1, as `redsim replay`).
    #[error(
        "{}\n{path} does not replay as it was recorded (edited, truncated, reordered, or written by another build): nothing in it is reported",
        describe(path, divergence)
    )]
    Differs { path: String, divergence: Divergence },
}

/// Reads the trace at `path` as a record, after replaying it and finding every line identical.
pub fn verified_record(path: &str) -> Result<Record, VerifyError> {
    let replayed = replay(path).map_err(RecordError::from)?;
    if let Some(divergence) = replayed.divergence {
        return Err(VerifyError::Differs { path: path.to_string(), divergence });
    }
    Ok(Record::from_trace(path)?)
}
