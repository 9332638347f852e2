//! `--color auto|always|never` and `NO_COLOR`: whether what a person reads is painted
//! ([`lab::paint::Paint`]). Auto paints only a terminal, and not when `NO_COLOR` is set to
//! anything non-empty (no-color.org); files, pipes and `--json` are never painted in auto.

use lab::paint::Paint;
use std::ffi::OsStr;

/// The `--color` choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Colour even into a pipe or a file.
    Always,
    /// Never colour.
    Never,
}

/// The paint for a stream, given the choice, the value of `NO_COLOR`, and whether the stream
/// is a terminal.
pub fn paint(choice: ColorChoice, no_color: Option<&OsStr>, terminal: bool) -> Paint {
    Paint::new(match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(OsStr::is_empty),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_paints_a_terminal_unless_no_color_is_non_empty() {
        let on = |c, v: Option<&str>, t| paint(c, v.map(OsStr::new), t).is_on();
        assert!(on(ColorChoice::Auto, None, true));
        assert!(on(ColorChoice::Auto, Some(""), true));
        assert!(!on(ColorChoice::Auto, Some("1"), true));
        assert!(!on(ColorChoice::Auto, None, false));
        assert!(on(ColorChoice::Always, Some("1"), false));
        assert!(!on(ColorChoice::Never, None, true));
    }
}
