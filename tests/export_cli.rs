//! `redsim export` and `redsim run --html` from the command line: the page of a run and of its
//! trace are the same bytes, logs need a directory, and broken traces are refused, never a panic.

mod common;
use common::{redsim, tmp};

/// `run --html` and `export TRACE --format html` of the same run write identical pages, and so
/// does `export SCENARIO`.
#[test]
fn the_page_of_a_run_is_the_page_of_its_trace() {
    let (run_page, trace, export_page) = (tmp("run.html"), tmp("run.jsonl"), tmp("export.html"));
    let (code, _, err) = redsim(&[
        "run",
        "traces/blog-partition.toml",
        "--html",
        &run_page,
        "--trace",
        &trace,
        "--trace-level",
        "messages",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = redsim(&["export", &trace, "--format", "html", "-o", &export_page]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read(&run_page).unwrap();
    assert_eq!(page, std::fs::read(&export_page).unwrap());
    let (code, stdout, _) = redsim(&["export", "traces/blog-partition.toml", "--format", "html"]);
    assert_eq!((code, stdout.as_bytes()), (0, page.as_slice()));
}

#[test]
fn logs_are_written_into_a_directory() {
    let dir = tmp("logs");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, err) =
        redsim(&["export", "traces/blog-kill-master.trace.jsonl", "--format", "logs", "-o", &dir]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.contains(&"sentinel-10.162.29.37-27003.log".to_string()), "{names:?}");
    let (code, _, err) =
        redsim(&["export", "traces/blog-kill-master.trace.jsonl", "--format", "logs"]);
    assert_eq!(code, 2);
    assert!(err.contains("-o DIR"), "{err}");
}

/// A trace cut short, a line that is not JSON, an event naming a process the header lacks: each
/// fails its replay, so it is refused with the first differing line and exit status 1 (as
/// `redsim replay`), never a panic.
#[test]
fn a_broken_trace_is_bad_input() {
    let good = std::fs::read_to_string("traces/blog-partition.trace.jsonl").unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let cut = lines[..lines.len() - 1].join("\n");
    let garbage = format!("{}\nnot json\n", lines[..3].join("\n"));
    let bad_pid =
        format!("{}\n{{\"ev\":\"kill\",\"t\":5,\"pid\":99}}\n{}", lines[0], lines[1..].join("\n"));
    for (name, text, needle) in [
        ("cut.jsonl", cut, "(the recording ends here)"),
        ("garbage.jsonl", garbage, "line 4 differs"),
        ("pid.jsonl", bad_pid, "line 2 differs"),
    ] {
        let path = tmp(name);
        std::fs::write(&path, text).unwrap();
        for format in ["html", "perfetto", "mermaid", "edn", "jepsen-json"] {
            let (code, stdout, err) = redsim(&["export", &path, "--format", format]);
            assert_eq!(code, 1, "{name} {format}: {err}");
            assert!(
                stdout.is_empty() && err.starts_with("error: ") && err.contains(needle),
                "{name}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}
