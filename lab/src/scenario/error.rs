//! Scenario errors: `file:line:col: message`, then the offending line and a caret under it.

use std::fmt;
use std::ops::Range;

/// Why a scenario was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file.
    pub path: String,
    /// 1-based line (0 when the error has no position).
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong, naming the offending key, host, directive or token.
    pub message: String,
    /// The offending line of the file.
    pub source_line: String,
}

impl ScenarioError {
    /// An error at byte `offset` of `text`.
    pub fn at(path: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        let source_line = text[line_start..].lines().next().unwrap_or("").to_string();
        ScenarioError { path: path.to_string(), line, col, message: message.into(), source_line }
    }

    /// An error at the start of `span`.
    pub fn span(path: &str, text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        Self::at(path, text, span.start, message)
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn whole(path: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.to_string(),
            line: 0,
            col: 0,
            message: message.into(),
            source_line: String::new(),
        }
    }

    /// The first line: `file:line:col: message`.
    pub fn headline(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.path, self.message)
        } else {
            format!("{}:{}:{}: {}", self.path, self.line, self.col, self.message)
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for ScenarioError {
    /// The headline, then the line and a caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if self.line > 0 {
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {}^",
                "",
                self.line,
                self.source_line,
                "",
                " ".repeat(self.col - 1)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let text = "a = 1\nbb = \"x\"\n";
        let e = ScenarioError::at("f.toml", text, 11, "bad");
        assert_eq!((e.line, e.col), (2, 6));
        assert_eq!(e.headline(), "f.toml:2:6: bad");
        assert_eq!(e.to_string(), "f.toml:2:6: bad\n  |\n2 | bb = \"x\"\n  |      ^");
    }
}
