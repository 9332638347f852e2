//! Colour for a person reading on a terminal: the printing code asks a [`Paint`] to mark the
//! few words that decide a reading (a lost write, a failed expectation), and a plain `Paint`
//! leaves the text as it is. Who decides whether colour is on (a terminal, `--color`,
//! `NO_COLOR`) is the caller's business; files, `--json` and the deterministic outputs are
//! always written with [`Paint::PLAIN`].

/// Whether to mark words with ANSI colour codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

/// Select Graphic Rendition codes used (ECMA-48): red, green, and the reset.
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

impl Paint {
    /// No colour: the text as it is.
    pub const PLAIN: Paint = Paint { on: false };
    /// ANSI colour.
    pub const ANSI: Paint = Paint { on: true };

    /// Colour when `on`.
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }

    /// Whether this paints at all.
    pub fn is_on(self) -> bool {
        self.on
    }

    /// `text` marked as bad news (red).
    pub fn bad(self, text: &str) -> String {
        self.wrap(RED, text)
    }

    /// `text` marked as good news (green).
    pub fn good(self, text: &str) -> String {
        self.wrap(GREEN, text)
    }

    /// `text` red when `bad`, as it is otherwise.
    pub fn bad_if(self, bad: bool, text: &str) -> String {
        if bad { self.bad(text) } else { text.to_string() }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() { format!("{code}{text}{RESET}") } else { text.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_leaves_text_alone_and_ansi_wraps_it() {
        assert_eq!(Paint::PLAIN.bad("3 lost"), "3 lost");
        assert_eq!(Paint::PLAIN.good("all hold"), "all hold");
        assert_eq!(Paint::ANSI.bad("3 lost"), "\x1b[31m3 lost\x1b[0m");
        assert_eq!(Paint::ANSI.good("ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(Paint::ANSI.bad_if(false, "0 lost"), "0 lost");
        assert_eq!(Paint::ANSI.bad(""), "");
    }
}
