//! Real `redis.conf` and `sentinel.conf` syntax, read as Redis 7.0 reads it: one directive a
//! line, split into arguments by `sdssplitargs` rules (double quotes with `\n`, `\r`, `\t`, `\b`,
//! `\a`, `\xHH` and `\<any>` escapes; single quotes with `\'`; a closing quote must be followed
//! by a blank), the line trimmed of blanks first, `#` opening a comment only as its first
//! character (Redis: config.c `loadServerConfigFromString`, sds.c `sdssplitargs`), and
//! `include` replaced by the lines of the file it names, in place.
//!
//! Where an include's relative path leads: Redis opens it with `fopen` as written, so relative
//! to the server's working directory when that line is read (config.c `loadServerConfig`; an
//! earlier `dir` line moves it, `setConfigDirOption` calls `chdir`). The import cannot know that
//! directory; it resolves a relative path against the including file's directory, which is the
//! same place when the server was started from its config's directory, as most service units
//! and the fixtures do. A pattern with `*` or `?` in its last part includes every matching file
//! in name order, none being no error (as Redis's `glob`); a `[` class is refused.

use std::path::{Path, PathBuf};

/// The largest config file read (a real one is a few hundred lines).
const FILE_MAX_BYTES: u64 = 4 << 20;

/// How deep includes may nest.
const INCLUDE_DEPTH_MAX: usize = 16;

/// One directive line, its arguments split and its place kept for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The file it was read from (as named on the command line or by `include`).
    pub file: String,
    /// 1-based line number in that file.
    pub line: usize,
    /// The arguments; the first (the directive) lower-cased, as Redis does.
    pub args: Vec<String>,
    /// The line as written (trimmed), for messages and the list of what was not imported.
    pub text: String,
}

impl Line {
    /// `file:line`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// An error about this line: `file:line: message`, then the line.
    pub fn error(&self, message: impl std::fmt::Display) -> String {
        format!("{}: {message}\n  | {}", self.place(), self.text)
    }
}

/// Splits one (trimmed, non-comment) line into arguments as `sdssplitargs` does; `None` for
/// unbalanced quotes or a closing quote followed by something else than a blank. Bytes that are
/// not UTF-8 (from `\xHH`) are replaced.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let p = line.as_bytes();
    let blank = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let hex = |c: u8| (c as char).to_digit(16);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < p.len() && blank(p[i]) {
            i += 1;
        }
        if i >= p.len() {
            return Some(args);
        }
        let mut cur: Vec<u8> = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            let c = p.get(i).copied();
            let next = p.get(i + 1).copied();
            if inq {
                match c {
                    None => return None,
                    Some(b'\\') if next == Some(b'x') => {
                        match (
                            p.get(i + 2).and_then(|&c| hex(c)),
                            p.get(i + 3).and_then(|&c| hex(c)),
                        ) {
                            (Some(h), Some(l)) => {
                                cur.push((h * 16 + l) as u8);
                                i += 3;
                            }
                            _ => {
                                cur.push(b'x');
                                i += 1;
                            }
                        }
                    }
                    Some(b'\\') if next.is_some() => {
                        i += 1;
                        cur.push(match p[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if next.is_some_and(|n| !blank(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else if insq {
                match c {
                    None => return None,
                    Some(b'\\') if next == Some(b'\'') => {
                        cur.push(b'\'');
                        i += 1;
                    }
                    Some(b'\'') => {
                        if next.is_some_and(|n| !blank(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if blank(c) => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(other) => cur.push(other),
                }
            }
            i += 1;
        }
        args.push(String::from_utf8_lossy(&cur).into_owned());
    }
}

/// The directive lines of `text` (named `file` in messages), not following includes.
pub fn parse_text(file: &str, text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        let trimmed = raw.trim_matches([' ', '\t', '\r', '\n']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let place = Line {
            file: file.to_string(),
            line: n + 1,
            args: Vec::new(),
            text: trimmed.to_string(),
        };
        let Some(mut args) = split_args(trimmed) else {
            return Err(place.error("Unbalanced quotes in configuration line"));
        };
        if args.is_empty() {
            continue;
        }
        args[0] = args[0].to_ascii_lowercase();
        out.push(Line { args, ..place });
    }
    Ok(out)
}

/// Every directive of the file at `path` with its includes expanded in place. A missing file,
/// an include cycle and includes nested too deep are errors naming the including line.
pub fn read(path: &str) -> Result<Vec<Line>, String> {
    let mut stack = Vec::new();
    read_nested(path, &mut stack).map_err(|e| e.unwrap_or_else(|| format!("{path}: cannot read")))
}

/// [`read`] of one file, with the files that include it on `stack` (canonical paths). `Err(None)`
/// is left for the caller to word (the top file is named by the command line).
fn read_nested(path: &str, stack: &mut Vec<PathBuf>) -> Result<Vec<Line>, Option<String>> {
    let text = read_text(path).map_err(Some)?;
    let me = std::fs::canonicalize(path).map_err(|e| Some(format!("{path}: {e}")))?;
    stack.push(me);
    let mut out = Vec::new();
    for line in parse_text(path, &text).map_err(Some)? {
        if line.args[0] != "include" {
            out.push(line);
            continue;
        }
        if line.args.len() != 2 {
            return Err(Some(line.error("include takes one file")));
        }
        if stack.len() >= INCLUDE_DEPTH_MAX {
            return Err(Some(line.error(format!("includes nest deeper than {INCLUDE_DEPTH_MAX}"))));
        }
        for target in include_targets(path, &line.args[1]).map_err(|e| Some(line.error(e)))? {
            let name = target.to_string_lossy().into_owned();
            let canonical = std::fs::canonicalize(&target)
                .map_err(|e| Some(line.error(format!("cannot read {name}: {e}"))))?;
            if let Some(i) = stack.iter().position(|p| *p == canonical) {
                let chain: Vec<String> =
                    stack[i..].iter().map(|p| p.display().to_string()).collect();
                return Err(Some(line.error(format!(
                    "include cycle: {} includes {} again",
                    chain.join(" -> "),
                    canonical.display()
                ))));
            }
            out.extend(read_nested(&name, stack)?);
        }
    }
    stack.pop();
    Ok(out)
}

/// A file's text, at most [`FILE_MAX_BYTES`], UTF-8 (other bytes replaced).
fn read_text(path: &str) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: cannot read: {e}"))?;
    if bytes.len() as u64 > FILE_MAX_BYTES {
        return Err(format!("{path}: larger than {} MiB: not a config file", FILE_MAX_BYTES >> 20));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The files an `include` of `pattern` in `including` names, in order.
fn include_targets(including: &str, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let base = Path::new(including).parent().unwrap_or(Path::new(""));
    let raw = base.join(pattern);
    // Named plainly when that is the same file (not when a `..` follows a symbolic link).
    let tidied = tidy(&raw);
    let same = |a: &Path, b: &Path| std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok();
    let full = if same(&raw, &tidied) { tidied } else { raw };
    let name = full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = full.parent().unwrap_or(Path::new("")).to_path_buf();
    if dir.to_string_lossy().contains(['*', '?', '[']) || name.contains('[') {
        return Err(format!(
            "include {pattern}: redsim import takes `*` and `?` in the file name only; list the files instead"
        ));
    }
    if !name.contains(['*', '?']) {
        return Ok(vec![full]);
    }
    let listing =
        match std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir }) {
            Ok(entries) => entries,
            // As `glob` finding nothing: the include is skipped.
            Err(_) => return Ok(Vec::new()),
        };
    let mut found: Vec<PathBuf> = listing
        .filter_map(|e| e.ok())
        .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
        .map(|e| dir.join(e.file_name()))
        .collect();
    found.sort();
    Ok(found)
}

/// `path` with `dir/..` pairs and `.` parts taken out, as text (`r1/../common.conf` is
/// `common.conf`), so messages name the file plainly; a `..` that leads above is kept.
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() { PathBuf::from(".") } else { out.iter().collect() }
}

/// `*` and `?` matching of a whole file name (a leading `.` only by a literal `.`, as `glob`).
fn wildcard(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|k| go(rest, &n[k..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arguments_split_as_sdssplitargs_does() {
        let s = |l: &str| split_args(l);
        assert_eq!(s("save \"\"").unwrap(), ["save", ""]);
        assert_eq!(s("logfile \"/var/log/a b.log\"").unwrap(), ["logfile", "/var/log/a b.log"]);
        assert_eq!(s("x \"a\\nb\\x41\\q\"").unwrap(), ["x", "a\nbAq"]);
        assert_eq!(s("x 'it\\'s' y").unwrap(), ["x", "it's", "y"]);
        assert_eq!(s("x a\"b c\"").unwrap(), ["x", "ab c"], "a quote inside a word opens a string");
        assert_eq!(s("  port   6379  ").unwrap(), ["port", "6379"]);
        assert_eq!(s("x \"\\xZZ\"").unwrap(), ["x", "xZZ"], "not hex: the x is kept");
        assert!(s("x \"open").is_none());
        assert!(s("x \"a\"b").is_none(), "a closing quote must be followed by a blank");
        assert!(s("x 'a'b").is_none());
        assert_eq!(s("port 6379 # not a comment").unwrap().len(), 6);
    }

    #[test]
    fn comments_blank_lines_and_case() {
        let lines =
            parse_text("f", "# c\n\n  \t\nPORT 1\n  # indented comment\r\nbind a b\r\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].line, lines[0].args.clone()), (4, vec!["port".into(), "1".into()]));
        assert_eq!(lines[1].args, ["bind", "a", "b"]);
        let e = parse_text("f.conf", "port 1\nx \"y\n").unwrap_err();
        assert!(e.starts_with("f.conf:2: Unbalanced quotes"), "{e}");
    }

    #[test]
    fn wildcards_match_whole_names() {
        assert!(wildcard("*.conf", "a.conf"));
        assert!(!wildcard("*.conf", "a.conf.bak"));
        assert!(wildcard("a?.conf", "ab.conf"));
        assert!(!wildcard("*.conf", ".hidden.conf"));
    }

    #[test]
    fn includes_resolve_beside_the_including_file_and_cycles_are_errors() {
        let dir = std::env::temp_dir().join(format!("redsim-conf-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub/conf.d")).unwrap();
        let w = |n: &str, t: &str| std::fs::write(dir.join(n), t).unwrap();
        w("sub/main.conf", "port 1\ninclude common.conf\ninclude conf.d/*.conf\nport 3\n");
        w("sub/common.conf", "port 2\nsave \"\"\n");
        w("sub/conf.d/b.conf", "appendonly yes\n");
        w("sub/conf.d/a.conf", "appendonly no\n");
        let main = dir.join("sub/main.conf").to_string_lossy().into_owned();
        let lines = read(&main).unwrap();
        let args: Vec<String> = lines.iter().map(|l| l.args.join(" ")).collect();
        assert_eq!(
            args,
            ["port 1", "port 2", "save ", "appendonly no", "appendonly yes", "port 3"]
        );
        assert!(lines[1].file.ends_with("sub/common.conf") && lines[1].line == 1);
        w("sub/common.conf", "include main.conf\n");
        let e = read(&main).unwrap_err();
        assert!(e.contains("include cycle") && e.contains("common.conf:1"), "{e}");
        w("sub/common.conf", "include missing.conf\n");
        let e = read(&main).unwrap_err();
        assert!(e.contains("common.conf:1: cannot read") && e.contains("missing.conf"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_text("f", &text);
            let _ = parse_text("f", &String::from_utf8_lossy(&bytes));
            for l in text.lines() {
                let _ = split_args(l);
            }
        }

        #[test]
        fn quoted_arguments_come_back(words in proptest::collection::vec("[a-z \"'\\\\]{0,8}", 1..5)) {
            let line: Vec<String> = words.iter().map(|w| {
                let mut q = String::from("\"");
                for c in w.chars() {
                    if c == '"' || c == '\\' { q.push('\\'); }
                    q.push(c);
                }
                q.push('"');
                q
            }).collect();
            prop_assert_eq!(split_args(&line.join(" ")).unwrap(), words);
        }
    }
}
