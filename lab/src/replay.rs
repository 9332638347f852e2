//! Replaying a trace: the header names the format version, the seed, the trace level and embeds
//! the scenario; the run is repeated and every line it produces is compared with the recorded one
//! as it is produced. The first differing line is reported by its 1-based number.
//!
//! Every view of a trace (`explain`, `export`) goes through [`verified_record`]: a trace is read
//! only once its replay has matched it line for line, so an edited, truncated, reordered or
//! mismatched trace is refused instead of being believed.

use crate::check;
use crate::limits::shorten;
use crate::record::{Record, RecordError, ReplayError, read_embedded, trace_lines};
use crate::run::Deployment;
use crate::scenario::Scenario;
use sim::trace::{CompareWriter, Divergence};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
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
struct Shared(Rc<RefCell<CompareWriter<Box<dyn BufRead>>>>);

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
    let file = File::open(path)
        .map_err(|e| ReplayError::Read { path: path.to_string(), source: e.into() })?;
    replay_from(path, Box::new(BufReader::new(file)))
}

/// [`replay`] of a trace read from `input` (a file, standard input) in one pass, named `path`
/// in errors; each line at most [`crate::limits::TRACE_LINE_MAX_BYTES`].
pub fn replay_from(path: &str, input: Box<dyn BufRead>) -> Result<Replayed, ReplayError> {
    let read = |e: io::Error| ReplayError::Read { path: path.to_string(), source: e.into() };
    let mut input = trace_lines(input);
    let (scenario, header, first) = read_embedded(path, &mut input)?;
    // The comparison starts at the header, which was read already.
    let recorded: Box<dyn BufRead> = Box::new(io::Cursor::new(first).chain(input));
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
        d.recorded.as_deref().map_or("(the recording ends here)".into(), shorten),
        d.replayed.as_deref().map_or("(the replay ends here)".into(), shorten)
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

/// Reads a trace (named `path` in messages) as a record, after replaying it and finding every
/// line identical. The trace is read once, into memory, and used twice: compared with its replay,
/// then read back.
pub fn verified_record(path: &str, input: impl BufRead) -> Result<Record, VerifyError> {
    let mut bytes = Vec::new();
    trace_lines(input)
        .read_to_end(&mut bytes)
        .map_err(|e| ReplayError::Read { path: path.to_string(), source: e.into() })
        .map_err(RecordError::from)?;
    let bytes: Rc<[u8]> = bytes.into();
    let replayed =
        replay_from(path, Box::new(io::Cursor::new(bytes.clone()))).map_err(RecordError::from)?;
    if let Some(divergence) = replayed.divergence {
        return Err(VerifyError::Differs { path: path.to_string(), divergence });
    }
    Ok(Record::read_trace(path, io::Cursor::new(bytes))?)
}
