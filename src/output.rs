//! What the CLI prints on standard output goes through [`Out`]: a failed write never panics (as
//! `println!` does), the first error is kept and what follows is dropped, and [`Out::finish`]
//! turns the error into the exit status: 2 with a message on standard error, except for a
//! reader that closed the pipe early (`redsim ... | head -1`), which ends quietly with the
//! status the command had. Use it with `write!` / `writeln!`, which call its `write_fmt`.
//! Messages for standard error go through [`errln!`], which cannot panic either.

use crate::colour::{self, ColorChoice};
use lab::paint::Paint;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

/// `eprintln!` that cannot panic: a message standard error cannot take has nowhere else to go,
/// so a failed write there is dropped (the exit status still tells).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use errln;

/// Standard output (or standard error, once standard output carries a file), recording the
/// first write error.
pub struct Out {
    to_stderr: bool,
    error: Option<io::Error>,
    colour: ColorChoice,
}

impl Out {
    /// Printing to standard output, without colour.
    pub fn stdout() -> Self {
        Out { to_stderr: false, error: None, colour: ColorChoice::Never }
    }

    /// Printing to standard output, coloured as `colour` says.
    pub fn with_colour(colour: ColorChoice) -> Self {
        Out { colour, ..Out::stdout() }
    }

    /// How to paint what a person reads on the stream this prints to now.
    pub fn paint(&self) -> Paint {
        let terminal =
            if self.to_stderr { io::stderr().is_terminal() } else { io::stdout().is_terminal() };
        colour::paint(self.colour, std::env::var_os("NO_COLOR").as_deref(), terminal)
    }

    /// Sends what is printed from now on to standard error: standard output carries a file
    /// (`--trace -`, `-o -`) that must not be mixed with a report.
    pub fn use_stderr(&mut self) {
        self.flush();
        self.to_stderr = true;
    }

    /// Writes formatted text (what `write!(out, ...)` calls); nothing after the first error.
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) {
        if self.error.is_some() {
            return;
        }
        let r = if self.to_stderr {
            io::stderr().write_fmt(args)
        } else {
            io::stdout().write_fmt(args)
        };
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// Writes `text` as it is.
    pub fn print(&mut self, text: &str) {
        self.write_fmt(format_args!("{text}"));
    }

    /// Writes a file's content (`-o -`) to standard output, even after [`Out::use_stderr`].
    pub fn file(&mut self, text: &str) {
        let to_stderr = std::mem::replace(&mut self.to_stderr, false);
        self.print(text);
        self.flush();
        self.to_stderr = to_stderr;
    }

    /// Records an error met writing to standard output elsewhere (a trace streamed to `-`).
    pub fn fail(&mut self, e: io::Error) {
        self.error.get_or_insert(e);
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = io::stdout().flush() {
                self.error = Some(e);
            }
        }
    }

    /// The exit status: `code`, or 2 after a write error (with a message on standard error); a
    /// closed pipe keeps `code` and says nothing.
    pub fn finish(mut self, code: ExitCode) -> ExitCode {
        self.flush();
        match self.error {
            None => code,
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
            Some(e) => {
                let to = if self.to_stderr { "standard error" } else { "standard output" };
                let _ = writeln!(io::stderr(), "error: cannot write to {to}: {e}");
                ExitCode::from(crate::BAD_INPUT)
            }
        }
    }
}
