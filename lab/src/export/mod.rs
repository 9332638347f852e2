//! Views of a recorded run for people and for other tools, each a function of a [`Record`]:
//! the HTML timeline ([`html`]), Chrome/Perfetto trace events, a Mermaid sequence diagram, Jepsen histories
//! (EDN and JSON) and per-process log files. [`timeline`] derives what they share.

pub mod html;
pub mod jepsen;
pub mod logs;
pub mod mermaid;
pub mod perfetto;
pub mod timeline;

use crate::record::Record;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Chrome trace-event JSON.
    Perfetto,
    /// A Mermaid sequence diagram.
    Mermaid,
    /// The Jepsen history as EDN.
    Edn,
    /// The Jepsen history as JSON.
    JepsenJson,
    /// One log file per process.
    Logs,
    /// The timeline page.
    Html,
}

impl Format {
    /// Every format: its name on the command line and what it is.
    pub const ALL: [(Format, &'static str, &'static str); 6] = [
        (
            Format::Perfetto,
            "perfetto",
            "Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing)",
        ),
        (Format::Mermaid, "mermaid", "A Mermaid sequenceDiagram"),
        (Format::Edn, "edn", "The Jepsen history, EDN (one operation per line)"),
        (Format::JepsenJson, "jepsen-json", "The Jepsen history, JSON (an array of operations)"),
        (Format::Logs, "logs", "One log file per Redis server and sentinel (`-o DIR` required)"),
        (Format::Html, "html", "The timeline page: one self-contained HTML file"),
    ];

    /// The format called `name`.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.iter().find(|(_, n, _)| *n == name).map(|(f, _, _)| *f)
    }
}

/// What an export produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendered {
    /// One document.
    One(String),
    /// Named files for a directory.
    Files(Vec<(String, String)>),
}

/// Renders `r` in `format`.
pub fn render(r: &Record, format: Format) -> Rendered {
    match format {
        Format::Perfetto => Rendered::One(perfetto::perfetto(r)),
        Format::Mermaid => Rendered::One(mermaid::mermaid(r)),
        Format::Edn => Rendered::One(jepsen::edn(r)),
        Format::JepsenJson => Rendered::One(jepsen::json(r)),
        Format::Logs => Rendered::Files(logs::files(r)),
        Format::Html => Rendered::One(html::page(r)),
    }
}
