//! The layout rules the architecture depends on, checked on the sources themselves: no import
//! circle between the files (or the modules) of any crate, no source file over 800 lines, and the
//! actors crate free of the lab's vocabulary.
//!
//! Imports are read as text: `use crate::...`, `use super::...` and `crate::a::b` paths written
//! inline. A path names the file of the longest module prefix that exists, so `crate::server::
//! Server` is `model/src/server/mod.rs` and `crate::server::config::ServerConfig` is
//! `model/src/server/config.rs`. Files named `tests.rs` and `#[cfg(test)]` modules are tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crates whose sources are checked: (name, source root).
const CRATES: &[(&str, &str)] = &[
    ("sim", "sim/src"),
    ("model", "model/src"),
    ("lab", "lab/src"),
    ("conform", "conform/src"),
    ("playground", "playground/src"),
    ("redsim", "src"),
];

/// One crate's files by module path (`["server", "config"]`), each with its text.
struct Crate {
    files: BTreeMap<Vec<String>, (PathBuf, String)>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn load(root: &str) -> Crate {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    let files = paths
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "tests.rs")
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (module_path(&root, &p), (p, text))
        })
        .collect();
    Crate { files }
}

/// The source without its `#[cfg(test)]` module (the rest of the file from that line on).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod ").map_or(text, |i| &text[..i])
}

/// The module paths `text` (of module `me`) imports, resolved to absolute module paths.
fn imported_paths(me: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let parent = &me[..me.len().saturating_sub(1)];
    let code = without_tests(text);
    for stmt in code.split(';') {
        let s = stmt.trim_start();
        let s = s.strip_prefix("pub(crate) ").or_else(|| s.strip_prefix("pub ")).unwrap_or(s);
        let Some(body) = s.strip_prefix("use ") else { continue };
        let (base, rest): (Vec<String>, &str) = if let Some(r) = body.strip_prefix("crate::") {
            (Vec::new(), r)
        } else if let Some(r) = body.strip_prefix("super::") {
            (parent.to_vec(), r)
        } else if let Some(r) = body.strip_prefix("self::") {
            (me.to_vec(), r)
        } else {
            continue;
        };
        flatten(&base, rest, &mut out);
    }
    // Inline `crate::a::b` paths outside `use` statements (comments are not code).
    let code: String =
        code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    for (i, _) in code.match_indices("crate::") {
        let tail: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let parts: Vec<String> =
            tail.split("::").filter(|p| !p.is_empty()).map(str::to_string).collect();
        out.push(parts);
    }
    out
}

/// `a::{b, c::d}` under `base` as whole paths.
fn flatten(base: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut head = base.to_vec();
        head.extend(
            tree[..open].split("::").filter(|p| !p.trim().is_empty()).map(|p| p.trim().to_string()),
        );
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    flatten(&head, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        flatten(&head, &inner[start..], out);
        return;
    }
    let path = tree.split(" as ").next().unwrap_or(tree);
    let mut full = base.to_vec();
    full.extend(
        path.split("::").map(|p| p.trim().to_string()).filter(|p| !p.is_empty() && p != "self"),
    );
    out.push(full);
}

/// The file-level import graph of a crate: module path -> the module paths it imports.
fn file_graph(c: &Crate) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut graph = BTreeMap::new();
    for (me, (_, text)) in &c.files {
        let mut targets = BTreeSet::new();
        for p in imported_paths(me, text) {
            let target =
                (0..=p.len()).rev().map(|n| p[..n].to_vec()).find(|m| c.files.contains_key(m));
            if let Some(t) = target {
                // A module's own file and its parent's `mod` declarations are not imports.
                if t != *me && !t.is_empty() {
                    targets.insert(t);
                }
            }
        }
        graph.insert(me.clone(), targets);
    }
    graph
}

/// A circle in `graph`, if there is one, as the modules along it.
fn find_circle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        n: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|s| s == n).unwrap();
                return Some(stack[from..].iter().chain([n]).map(|m| m.join("::")).collect());
            }
            None => {}
        }
        marks.insert(n.clone(), Mark::Open);
        stack.push(n.clone());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(n.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph.keys().find_map(|n| visit(n, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn no_import_circle_between_files_or_modules() {
    for (name, root) in CRATES {
        let c = load(root);
        let files = file_graph(&c);
        assert!(
            find_circle(&files).is_none(),
            "crate {name}: files import each other in a circle: {}",
            find_circle(&files).unwrap().join(" -> ")
        );
        // The same graph folded onto each module's top-level ancestor.
        let mut top: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (from, tos) in &files {
            let f: Vec<String> = from.iter().take(1).cloned().collect();
            let entry = top.entry(f.clone()).or_default();
            entry.extend(
                tos.iter()
                    .map(|t| t.iter().take(1).cloned().collect::<Vec<_>>())
                    .filter(|t| *t != f),
            );
        }
        assert!(
            find_circle(&top).is_none(),
            "crate {name}: top-level modules import each other in a circle: {}",
            find_circle(&top).unwrap().join(" -> ")
        );
    }
}

#[test]
fn the_checker_finds_a_planted_circle() {
    // One intent: the graph reading is not vacuous.
    let mut files = BTreeMap::new();
    let a = vec!["a".to_string()];
    let b = vec!["b".to_string()];
    let text_a = "use crate::b::Thing;\n".to_string();
    let text_b = "fn f() { crate::a::g() }\n".to_string();
    files.insert(a.clone(), (PathBuf::from("src/a.rs"), text_a));
    files.insert(b.clone(), (PathBuf::from("src/b.rs"), text_b));
    let graph = file_graph(&Crate { files });
    assert_eq!(graph[&a], BTreeSet::from([b.clone()]));
    assert_eq!(find_circle(&graph), Some(vec!["a".into(), "b".into(), "a".into()]));
}

#[test]
fn no_source_file_over_800_lines() {
    for (_, root) in CRATES {
        for (path, text) in load(root).files.values() {
            let lines = text.lines().count();
            assert!(lines <= 800, "{} has {lines} lines (at most 800)", path.display());
        }
    }
}

#[test]
fn the_actors_know_nothing_of_the_lab() {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("model/Cargo.toml")).unwrap();
    assert!(!manifest.contains("toml"), "model/Cargo.toml depends on toml");
    assert!(!manifest.contains("lab"), "model/Cargo.toml depends on the lab");
    let lab_types = [
        "Scenario",
        "ScenarioError",
        "Outcome",
        "Deployment",
        "Record",
        "TraceHeader",
        "toml",
        "lab",
    ];
    for (path, text) in load("model/src").files.values() {
        let words: BTreeSet<&str> =
            text.split(|c: char| !c.is_alphanumeric() && c != '_').collect();
        for t in lab_types {
            assert!(!words.contains(t), "{} mentions `{t}`", path.display());
        }
    }
}
