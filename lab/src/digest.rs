//! `trace_digest`: FNV-1a 64 over the bytes of a run's trace, exactly as `redsim run --trace`
//! writes it (every line with its newline, the header and the closing outcome line included),
//! computed as the trace streams, so a run that writes no file still has its digest. It tells two
//! runs apart (the browser playground's and the CLI's), not a forger.

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;

/// A trace sink that hashes every byte on its way to another sink.
pub struct Digesting {
    inner: Box<dyn Write>,
    state: Rc<Cell<u64>>,
}

/// The digest a [`Digesting`] sink computes, readable once the trace is finished.
#[derive(Clone)]
pub struct TraceDigest(Rc<Cell<u64>>);

impl Digesting {
    /// A sink that passes everything to `inner` (`std::io::sink()` for none) and the handle that
    /// reads its digest.
    pub fn new(inner: Box<dyn Write>) -> (Digesting, TraceDigest) {
        let state = Rc::new(Cell::new(sim::rng::FNV1A64_START));
        (Digesting { inner, state: state.clone() }, TraceDigest(state))
    }
}

impl Write for Digesting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.state.set(sim::rng::fnv1a64_update(self.state.get(), &buf[..n]));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl TraceDigest {
    /// `fnv1a64:` and 16 hex digits, as the other digests of redsim are written.
    pub fn hex(&self) -> String {
        hex(self.0.get())
    }
}

/// An FNV-1a 64 state as redsim writes its digests: `fnv1a64:` and 16 hex digits.
pub fn hex(h: u64) -> String {
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_fnv1a_of_the_bytes_written() {
        let (mut sink, digest) = Digesting::new(Box::new(io::sink()));
        sink.write_all(b"{\"a\":1}\n").unwrap();
        sink.write_all(b"{\"b\":2}\n").unwrap();
        let want = sim::rng::fnv1a64(b"{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(digest.hex(), format!("fnv1a64:{want:016x}"));
    }
}
