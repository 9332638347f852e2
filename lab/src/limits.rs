//! How much redsim reads, in one place: the largest scenario, the longest line of a trace or of
//! an explore result file, and how much of a line an error message echoes. Inputs are read
//! through these caps, so a huge file, `/dev/zero` or an endless pipe is refused after at most
//! the limit instead of filling memory. Pure `std::io` (readers, no files), so the crate still
//! builds for `wasm32-unknown-unknown`.

use std::io::{self, BufRead, Read};

/// The largest scenario file read, in bytes (4 MiB; the bundled ones are under 10 KiB).
pub const SCENARIO_MAX_BYTES: u64 = 4 << 20;

/// The longest line of a trace, in bytes (32 MiB): room for the header, which embeds a scenario
/// of up to [`SCENARIO_MAX_BYTES`] in JSON escaping; every other line is far shorter.
pub const TRACE_LINE_MAX_BYTES: u64 = 32 << 20;

/// The longest line of a `redsim explore --json` file, in bytes (1 MiB; a seed's line is well
/// under 10 KiB).
pub const RESULT_LINE_MAX_BYTES: u64 = 1 << 20;

/// How many characters of a line an error message echoes before shortening it: an ordinary
/// trace line (under 500) is echoed whole, a pathological one cut.
pub const ECHO_MAX_CHARS: usize = 1000;

/// Reads all of `input`, refusing it as soon as it holds more than `max` bytes (at most `max + 1`
/// bytes are ever read). `what` names the kind of input in the error, e.g. "a scenario".
pub fn read_capped(input: impl Read, max: u64, what: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {} (the limit for {what})", size(max)),
        ));
    }
    Ok(bytes)
}

/// `bytes` in the largest binary unit that divides it (`4 MiB`), else in bytes.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// `line` as an error message may echo it: whole up to [`ECHO_MAX_CHARS`] characters, else its
/// first ones and its length, `{"t":1,…… (5000 bytes)`.
pub fn shorten(line: &str) -> String {
    match line.char_indices().nth(ECHO_MAX_CHARS) {
        None => line.to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", &line[..end], line.len()),
    }
}

/// A reader of lines that fails, with the line's number, on a line longer than its cap, before
/// the consumer has buffered more than the cap. Wrap any `BufRead` in it (`read_line`, `lines`,
/// `io::copy` all see the cap).
pub struct CappedLines<R> {
    inner: R,
    max: u64,
    /// Bytes of the current line consumed so far.
    run: u64,
    /// 1-based number of the current line.
    line: u64,
    /// The first over-long line met while consuming, reported by the next `fill_buf`.
    over: Option<u64>,
}

impl<R: BufRead> CappedLines<R> {
    /// `inner`, with lines of at most `max` bytes (the newline not counted).
    pub fn new(inner: R, max: u64) -> Self {
        CappedLines { inner, max, run: 0, line: 1, over: None }
    }

    fn too_long(&self, line: u64) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {line} is longer than {}, the limit for one line", size(self.max)),
        )
    }
}

impl<R: BufRead> Read for CappedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CappedLines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(line) = self.over {
            return Err(self.too_long(line));
        }
        let (run, max) = (self.run, self.max);
        let err = self.too_long(self.line);
        let buf = self.inner.fill_buf()?;
        // The current line's bytes in view: up to its newline, or all of them.
        let ahead = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len()) as u64;
        if run + ahead > max {
            return Err(err);
        }
        Ok(buf)
    }

    fn consume(&mut self, amt: usize) {
        // `fill_buf` checked the current line; the lines after it in the same buffer are checked
        // here, and an over-long one is reported by the next `fill_buf`.
        let (mut run, mut line, mut over) = (self.run, self.line, self.over);
        if let Ok(buf) = self.inner.fill_buf() {
            for part in buf[..amt.min(buf.len())].split_inclusive(|&b| b == b'\n') {
                let newline = part.ends_with(b"\n");
                run += part.len() as u64 - u64::from(newline);
                if run > self.max && over.is_none() {
                    over = Some(line);
                }
                if newline {
                    (run, line) = (0, line + 1);
                }
            }
        }
        (self.run, self.line, self.over) = (run, line, over);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_refused_with_its_number() {
        let text = format!("short\n{}\nshort\n", "x".repeat(100));
        let mut lines = CappedLines::new(text.as_bytes(), 50).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "short");
        let e = lines.next().unwrap().unwrap_err();
        assert_eq!(e.to_string(), "line 2 is longer than 50 bytes, the limit for one line");
        let ok = CappedLines::new(text.as_bytes(), 100).lines().count();
        assert_eq!(ok, 3);
        // Through a small buffer too, where a line spans several fills.
        let small = io::BufReader::with_capacity(7, text.as_bytes());
        assert!(CappedLines::new(small, 50).lines().nth(1).unwrap().is_err());
        let mut all = Vec::new();
        let small = io::BufReader::with_capacity(7, text.as_bytes());
        CappedLines::new(small, 100).read_to_end(&mut all).unwrap();
        assert_eq!(all, text.as_bytes());
    }

    #[test]
    fn reading_stops_after_the_cap() {
        assert!(read_capped(io::repeat(0), 1000, "a scenario").is_err());
        assert_eq!(read_capped(&b"abc"[..], 3, "x").unwrap(), b"abc");
        let e = read_capped(&b"abcd"[..], 3, "a scenario").unwrap_err();
        assert_eq!(e.to_string(), "more than 3 bytes (the limit for a scenario)");
        assert_eq!(size(SCENARIO_MAX_BYTES), "4 MiB");
    }

    #[test]
    fn echoed_lines_are_shortened() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(1500);
        let s = shorten(&long);
        assert!(s.starts_with(&"é".repeat(1000)) && s.ends_with("… (3000 bytes)"), "{s}");
        assert!(!s.starts_with(&"é".repeat(1001)));
    }
}
