//! The documentation points at things that exist: every relative path the README and `docs/*.md`
//! link to (`[text](path)`) or name in a code span (`` `traces/foo.toml` ``, `` `.ci/run` ``)
//! is a file or directory of the repository (a glob such as `traces/*.toml` matches at least one),
//! and the scenario reference documents every key the scenario format accepts.
//!
//! A code span counts as a path when it has no spaces, contains `/`, is made of path characters
//! only, and either starts at an existing top-level entry (`traces/`, `docs/`, `.ci/`, ...) or
//! ends in a file extension of this repository (`.md`, `.toml`, `.rs`, ...): `sdown/odown` or
//! `p50/p99` are words, `reference/x.md` is a path that must exist. A path the build or CI
//! creates, listed in `.gitignore` from the root (`/.ci/node/node_modules`), need not exist.
//! Fenced code blocks are skipped (they hold commands and outputs, whose paths the `readme` test
//! runs).

use std::fs;
use std::path::{Path, PathBuf};

/// File extensions that make a code span with a `/` a repository path.
const EXTENSIONS: &[&str] =
    &["md", "toml", "rs", "jsonl", "json", "png", "sh", "mjs", "html", "snap", "lock"];

/// The documents checked: the README and every `docs/*.md`, sorted.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = fs::read_dir("docs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    docs.insert(0, PathBuf::from("README.md"));
    docs
}

/// The lines of `text` outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// The targets of the `[text](target)` links of a line.
fn link_targets(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else { break };
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

/// The contents of the code spans of a line.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Whether a code span names a repository path (see the module's rule).
fn is_repo_path(span: &str, top_level: &[String]) -> bool {
    let path_chars = |c: char| c.is_ascii_alphanumeric() || "._/*-".contains(c);
    if !span.contains('/') || !span.chars().all(path_chars) {
        return false;
    }
    if span.starts_with(['/', '-']) {
        return false;
    }
    let first = span.split('/').next().unwrap_or("");
    let extension = span.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    top_level.iter().any(|t| t == first) || EXTENSIONS.contains(&extension)
}

/// `*` matches any run of characters (within one path component).
fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|i| {
                    name.is_char_boundary(head.len() + i) && wildcard(tail, &name[head.len() + i..])
                })
        }
    }
}

/// Whether `path` (relative to `base`) exists, or, with a `*` in its last component, matches
/// at least one entry.
fn resolves(base: &Path, path: &str) -> bool {
    let path = path.split('#').next().unwrap_or("").trim_end_matches('/');
    if path.is_empty() {
        return true;
    }
    let full = base.join(path);
    if !path.contains('*') {
        return full.exists();
    }
    let (dir, pattern) = match path.rsplit_once('/') {
        Some((d, p)) if !d.contains('*') => (base.join(d), p.to_string()),
        _ => return false,
    };
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| wildcard(&pattern, &e.file_name().to_string_lossy()))
}

#[test]
fn every_relative_path_the_docs_name_exists() {
    let top_level: Vec<String> = fs::read_dir(".")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "target")
        .collect();
    let generated: Vec<String> = fs::read_to_string(".gitignore")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix('/'))
        .map(str::to_string)
        .collect();
    let is_generated = |span: &str| generated.iter().any(|g| span.starts_with(g.as_str()));
    let mut missing = Vec::new();
    for doc in documents() {
        let text = fs::read_to_string(&doc).unwrap();
        let base = doc.parent().unwrap_or(Path::new(""));
        for (n, line) in prose_lines(&text) {
            for target in link_targets(line) {
                let external = target.contains("://")
                    || target.starts_with(['#', '/'])
                    || target.starts_with("mailto:");
                if !external && !resolves(base, target) {
                    missing
                        .push(format!("{}:{n}: link to `{target}`: no such file", doc.display()));
                }
            }
            for span in code_spans(line) {
                // A code span names a path from the repository's root, as commands are run.
                if is_repo_path(span, &top_level)
                    && !is_generated(span)
                    && !resolves(Path::new(""), span)
                {
                    missing.push(format!("{}:{n}: `{span}`: no such file", doc.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "paths the docs name that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn the_path_rule_tells_paths_from_words() {
    let top = vec!["traces".to_string(), ".ci".to_string()];
    assert!(is_repo_path("traces/*.toml", &top));
    assert!(is_repo_path(".ci/run", &top));
    assert!(is_repo_path("reference/scenario-format.md", &top));
    assert!(!is_repo_path("sdown/odown", &top));
    assert!(!is_repo_path("redsim run traces/x.toml", &top));
    assert!(!is_repo_path("/tmp/x.jsonl", &top));
    assert!(!is_repo_path("traces/<name>.trace.jsonl", &top));
    assert!(wildcard("*.toml", "a.toml") && !wildcard("*.toml", "a.jsonl"));
    assert!(resolves(Path::new(""), "traces/*.trace.jsonl"));
    assert!(!resolves(Path::new(""), "traces/*.nothing"));
}

/// The section of `doc` under the first heading containing `heading`, up to the next heading.
fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let start = doc.lines().position(|l| l.starts_with('#') && l.contains(heading))?;
    let lines: Vec<&str> = doc.lines().collect();
    let end = (start + 1..lines.len()).find(|&i| lines[i].starts_with('#')).unwrap_or(lines.len());
    let from = lines[..start].iter().map(|l| l.len() + 1).sum::<usize>();
    let to = lines[..end].iter().map(|l| l.len() + 1).sum::<usize>().min(doc.len());
    Some(&doc[from..to])
}

#[test]
fn the_scenario_reference_documents_every_key() {
    let doc = fs::read_to_string("docs/scenario-format.md").unwrap();
    let mut undocumented = Vec::new();
    for table in lab::scenario::keys::tables() {
        let Some(text) = section(&doc, table.heading) else {
            undocumented.push(format!("no section with {} in its heading", table.heading));
            continue;
        };
        for key in table.keys {
            if !text.contains(&format!("`{key}`")) && !text.contains(&format!("`{key} =")) {
                undocumented.push(format!("{}: `{key}`", table.heading));
            }
        }
    }
    for directive in model::server::config::DIRECTIVES {
        if !doc.contains(&format!("`{directive}`")) {
            undocumented.push(format!("redis directive `{directive}`"));
        }
    }
    assert!(
        undocumented.is_empty(),
        "docs/scenario-format.md does not document (add each to its table's section):\n{}",
        undocumented.join("\n")
    );
}
