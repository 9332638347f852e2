//! `redsim sweep`: the `--json` shape, a cell's reproduce command giving the cell's outcome,
//! shards merging into the unsharded run, the two-file comparison, and the `--yes` guard.

mod common;
use common::{redsim, tmp};
use serde_json::Value;

const EP: &str = "traces/explore-partition.toml";
const GRID: [&str; 4] = ["--durations", "6s", "--phases", "1"];

fn sweep(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["sweep", EP];
    args.extend_from_slice(&GRID);
    args.extend_from_slice(&["-j", "2"]);
    args.extend_from_slice(extra);
    redsim(&args)
}

fn lines(out: &str) -> Vec<Value> {
    out.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

#[test]
fn json_shape_reproduce_and_merge() {
    let (code, whole, err) = sweep(&["--json"]);
    assert_eq!(code, 0, "{err}");
    let ls = lines(&whole);
    assert_eq!(ls.len(), 33 + 1, "one line per cell, then the shard line");
    for (i, l) in ls[..33].iter().enumerate() {
        for k in [
            "fault",
            "duration_ms",
            "phase",
            "failovers",
            "lost",
            "split_brain_ms",
            "unavailable_ms",
            "reproduce",
        ] {
            assert!(l.get(k).is_some(), "cell line without {k}: {l}");
        }
        assert_eq!(l["cell"], i as u64);
        assert_eq!(l["duration_ms"], 6000);
    }
    let last = &ls[33];
    assert_eq!(last["summary"]["cells"], 33);
    assert_eq!(last["shard"]["seeds"]["end"], 33);
    assert!(last["shard"]["grid"].as_str().unwrap().contains("durations 6s"));

    // The worst cell's reproduce command: its scenario, run by `redsim run`, is the cell.
    let worst = ls[..33].iter().max_by_key(|l| l["lost"].as_u64()).unwrap();
    assert!(worst["lost"].as_u64().unwrap() > 0 && worst["failovers"].as_u64().unwrap() > 0);
    let id = worst["cell"].as_u64().unwrap().to_string();
    let file = tmp(&format!("cell-{id}.toml"));
    let (code, _, err) = sweep(&["--cell", &id, "-o", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(
        worst["reproduce"]
            .as_str()
            .unwrap()
            .contains(&format!("--cell {id} -o cell-{id}.toml && redsim run cell-{id}.toml"))
    );
    let (code, run, err) = redsim(&["run", &file, "--json"]);
    assert_eq!(code, 0, "{err}");
    let run: Value = serde_json::from_str(run.trim()).unwrap();
    assert_eq!(run["writes"]["lost"], worst["lost"]);
    assert_eq!(run["writes"]["acked"], worst["acked"]);
    assert_eq!(
        run["promotions"].as_array().unwrap().len() as u64,
        worst["failovers"].as_u64().unwrap()
    );
    assert_eq!(run["split_brain_ms"], worst["split_brain_ms"]);
    assert_eq!(run["unavailable_ms"], worst["unavailable_ms"]);
    assert_eq!(run["seed"], worst["seed"]);

    // Shards merge into the unsharded run, byte for byte; a missing shard is refused.
    let mut files = Vec::new();
    for i in 0..2 {
        let (code, out, err) = sweep(&["--json", "--shard", &format!("{i}/2")]);
        assert_eq!(code, 0, "{err}");
        let f = tmp(&format!("sweep-{i}.jsonl"));
        std::fs::write(&f, out).unwrap();
        files.push(f);
    }
    let (code, merged, err) = sweep(&["--json", "--merge", &files[0], &files[1]]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(merged, whole);
    let (code, _, err) = sweep(&["--merge", &files[0]]);
    assert_eq!(code, 2);
    assert!(err.contains("incomplete"), "{err}");
    let (code, _, err) = redsim(&[
        "sweep",
        EP,
        "--durations",
        "5s",
        "--phases",
        "1",
        "--merge",
        &files[0],
        &files[1],
    ]);
    assert_eq!(code, 2, "another grid is refused");
    assert!(err.contains("grid"), "{err}");
}

/// Side by side, A's half is A's own sweep and the cells differ where min-replicas-to-write
/// changes the outcome.
#[test]
fn two_files_side_by_side() {
    let b = "traces/explore-partition-min-replicas.toml";
    let (code, out, err) = sweep(&[b, "--json"]);
    assert_eq!(code, 0, "{err}");
    let pairs = lines(&out);
    let (_, alone, _) = sweep(&["--json"]);
    let alone = lines(&alone);
    assert_eq!(pairs.len(), 33);
    for (p, a) in pairs.iter().zip(&alone) {
        assert_eq!(p["a"], *a);
    }
    assert!(pairs.iter().any(|p| p["a"]["lost"] != p["b"]["lost"]), "min-replicas changes a cell");
    let (code, text, _) = sweep(&[b]);
    assert_eq!(code, 0);
    assert!(text.contains("cells differ"), "{text}");
}

#[test]
fn large_pair_sweeps_need_yes() {
    let (code, _, err) = redsim(&["sweep", EP, "--faults", "pairs"]);
    assert_eq!(code, 2);
    assert!(err.contains("pass --yes"), "{err}");
}

/// The heat map has one linked square per run, and each link is a timeline page written next to
/// it.
#[test]
fn the_heat_map_links_every_run_to_its_timeline() {
    let page = tmp("heat.html");
    let (code, _, err) = sweep(&["--html", &page]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    let links: Vec<&str> = html.split("data-cell=\"").skip(1).collect();
    assert_eq!(links.len(), 33, "one square per run");
    let dir = page.strip_suffix(".html").unwrap().to_string() + "-cells";
    for id in 0..33 {
        let timeline = std::fs::read_to_string(format!("{dir}/cell-{id}.html")).unwrap();
        assert!(timeline.contains("id=\"run-data\""), "cell {id}'s page is a timeline");
        assert!(html.contains(&format!("href=\"heat-cells/cell-{id}.html\"")));
    }
}
