//! The README shows real output of the current binary. Every block introduced by a marker line
//!
//! ```text
//! <!-- redsim ARGS -->                        the whole output of `redsim ARGS`
//! <!-- redsim ARGS | from TEXT | lines 1-9 --> filters, applied in order:
//!      lines A-B      lines A to B (1-based)
//!      grep T1\|T2    the lines containing T1 or T2
//!      drop T         the lines that do not contain T
//!      from T         from the first line containing T
//!      to T           up to the first line containing T (included)
//!      cut N          each line cut to N characters (`...` marks a cut line)
//!      raw            no `$ redsim ARGS` line first (for blocks GitHub renders, like mermaid)
//! ```
//!
//! is compared with a fresh run (stdout, then stderr); a filtered block ends with `...` when lines
//! were left out after it. To refresh the README after an intended change:
//! `REDSIM_BLESS=1 cargo test --test readme`.

use std::process::Command;

/// A marker: the arguments and the filters.
struct Marker {
    args: Vec<String>,
    filters: Vec<String>,
}

fn marker(line: &str) -> Option<Marker> {
    let inner = line.trim().strip_prefix("<!-- redsim ")?.strip_suffix("-->")?.trim();
    let mut parts = inner.split(" | ");
    let args = parts.next()?.split_whitespace().map(String::from).collect();
    Some(Marker { args, filters: parts.map(|f| f.trim().to_string()).collect() })
}

/// Applies one filter; the bool says whether lines after the kept ones were dropped.
fn filter<'a>(lines: Vec<&'a str>, f: &str) -> (Vec<&'a str>, bool) {
    let (name, arg) = f.split_once(' ').unwrap_or((f, ""));
    let find = |t: &str| lines.iter().position(|l| l.contains(t));
    match name {
        "lines" => {
            let (a, b) = arg.split_once('-').expect("lines A-B");
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            let cut = b < lines.len();
            (lines[(a - 1).min(lines.len())..b.min(lines.len())].to_vec(), cut)
        }
        "grep" => {
            let any: Vec<&str> = arg.split("\\|").collect();
            let last = lines.iter().rposition(|l| any.iter().any(|t| l.contains(t)));
            let cut = last.is_some_and(|i| i + 1 < lines.len());
            (lines.into_iter().filter(|l| any.iter().any(|t| l.contains(t))).collect(), cut)
        }
        "drop" => (lines.into_iter().filter(|l| !l.contains(arg)).collect(), false),
        "from" => {
            let i = find(arg).unwrap_or_else(|| panic!("no line contains `{arg}`"));
            (lines[i..].to_vec(), false)
        }
        "to" => {
            let i = find(arg).unwrap_or_else(|| panic!("no line contains `{arg}`"));
            (lines[..=i].to_vec(), i + 1 < lines.len())
        }
        "cut" | "raw" => (lines, false),
        other => panic!("unknown README filter `{other}`"),
    }
}

/// What the block after `m` must hold: the command line, then its output.
fn expected(m: &Marker) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_redsim"))
        .args(&m.args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("the binary runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut kept: Vec<&str> = text.lines().collect();
    let mut cut = false;
    for f in &m.filters {
        let (k, c) = filter(kept, f);
        kept = k;
        cut |= c;
    }
    let width = m.filters.iter().find_map(|f| f.strip_prefix("cut ")?.trim().parse::<usize>().ok());
    let mut lines: Vec<String> = kept
        .iter()
        .map(|l| match width {
            Some(w) if l.chars().count() > w => {
                format!("{}...", l.chars().take(w).collect::<String>())
            }
            _ => l.to_string(),
        })
        .collect();
    if cut {
        lines.push("...".to_string());
    }
    let body = lines.join("\n");
    if m.filters.iter().any(|f| f == "raw") {
        format!("{body}\n")
    } else {
        format!("$ redsim {}\n{body}\n", m.args.join(" "))
    }
}

#[test]
fn readme_outputs_come_from_the_current_binary() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let lines: Vec<&str> = readme.split_inclusive('\n').collect();
    let mut out = String::with_capacity(readme.len());
    let mut stale = Vec::new();
    let mut checked = 0;
    let mut i = 0;
    while i < lines.len() {
        out.push_str(lines[i]);
        let Some(m) = marker(lines[i]) else {
            i += 1;
            continue;
        };
        // The fenced block that follows the marker.
        let fence = lines[i + 1];
        assert!(fence.starts_with("```"), "README line {}: a block after the marker", i + 2);
        let end = (i + 2..lines.len())
            .find(|&j| lines[j].trim_end() == "```")
            .unwrap_or_else(|| panic!("README line {}: unclosed block", i + 2));
        let shown: String = lines[i + 2..end].concat();
        let want = expected(&m);
        if shown != want {
            stale.push(format!("README line {}: `redsim {}`", i + 1, m.args.join(" ")));
        }
        checked += 1;
        out.push_str(fence);
        out.push_str(&want);
        out.push_str(lines[end]);
        i = end + 1;
    }
    assert!(checked >= 10, "only {checked} outputs are checked");
    if std::env::var("REDSIM_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write("README.md", out).unwrap();
    } else {
        assert!(
            stale.is_empty(),
            "outputs in the README differ from the binary's (refresh with REDSIM_BLESS=1 cargo test --test readme):\n{}",
            stale.join("\n")
        );
    }
}
