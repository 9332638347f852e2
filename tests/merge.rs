//! `redsim explore --merge` answers for the whole range or refuses: the merge of every shard is
//! the unsharded run byte for byte, and a missing, foreign, overlapping, truncated, empty or
//! edited shard is refused with exit 2 and the reason, unless `--partial` asks for what is there
//! (and the summary then says so). Slurm arrays, stepped ones included, map to shards without
//! gaps.

mod common;
use common::{redsim_env, tmp};
use std::sync::OnceLock;

const WEAK: &str = "traces/explore-weak.toml";

/// `redsim ARGS` with no job-runner variables.
fn redsim(args: &[&str]) -> (i32, String, String) {
    redsim_env(args, &[])
}

/// `explore --json` of `scenario` written to a scratch file `name`.
fn explore_to(name: &str, scenario: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["explore", scenario, "--json", "-j", "1"];
    args.extend_from_slice(extra);
    let (code, out, err) = redsim_env(&args, env);
    assert!(code == 0 || code == 1, "{args:?}: {err}");
    let path = tmp(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// Shards 0..3 of seeds 0..12 of the weak scenario, and the unsharded run, made once.
struct Runs {
    shards: Vec<String>,
    whole: String,
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| Runs {
        shards: (0..3)
            .map(|i| {
                let shard = format!("{i}/3");
                explore_to(
                    &format!("s{i}.jsonl"),
                    WEAK,
                    &["--seeds", "0..12", "--shard", &shard],
                    &[],
                )
            })
            .collect(),
        whole: explore_to("whole.jsonl", WEAK, &["--seeds", "12"], &[]),
    })
}

/// `explore --merge FILES` plus `extra`.
fn merge(files: &[&str], extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["explore"];
    args.extend_from_slice(extra);
    args.push("--merge");
    args.extend_from_slice(files);
    redsim(&args)
}

/// Asserts that merging `files` is refused with exit 2 and a message containing each of `why`.
fn refused(files: &[&str], extra: &[&str], why: &[&str]) {
    let (code, out, err) = merge(files, extra);
    assert_eq!(code, 2, "{files:?}: {out}{err}");
    assert!(out.is_empty(), "a refused merge prints no summary: {out}");
    assert!(err.starts_with("error: "), "{err}");
    for w in why {
        assert!(err.contains(w), "expected `{w}` in: {err}");
    }
}

/// A scratch copy of `from` with its text changed by `edit`.
fn edited(name: &str, from: &str, edit: impl FnOnce(String) -> String) -> String {
    let path = tmp(name);
    std::fs::write(&path, edit(std::fs::read_to_string(from).unwrap())).unwrap();
    path
}

/// `t` with `from` replaced by `to` in its last line (which must hold it).
fn last_line_edited(t: &str, from: &str, to: &str) -> String {
    let (body, last) = t.trim_end().rsplit_once('\n').unwrap();
    assert!(last.contains(from), "{last}");
    format!("{body}\n{}\n", last.replacen(from, to, 1))
}

fn text(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The lines of a file, without the last (the shard line).
fn seed_lines(path: &str) -> Vec<String> {
    let t = text(path);
    let mut l: Vec<String> = t.lines().map(String::from).collect();
    l.pop();
    l
}

#[test]
fn the_merge_of_every_shard_is_the_unsharded_run_per_seed_and_in_summary() {
    let r = runs();
    let files: Vec<&str> = r.shards.iter().map(String::as_str).collect();
    // In any order of the files.
    for order in [files.clone(), files.iter().rev().copied().collect()] {
        let (code, out, err) = merge(&order, &["--json"]);
        assert_eq!(code, 1, "the weak scenario has failing seeds: {err}");
        assert_eq!(out, text(&r.whole), "byte for byte");
    }
    let (_, merged, _) = merge(&files, &["--json"]);
    let parsed: Vec<serde_json::Value> =
        merged.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (last, seeds) = parsed.split_last().unwrap();
    assert_eq!(
        seeds.iter().map(|s| s["seed"].as_u64().unwrap()).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    assert_eq!(last["summary"]["seeds"], 12);
    assert_eq!(last["shard"]["index"], 0);
    assert_eq!(last["shard"]["count"], 1);
    assert!(last["summary"].get("partial").is_none());
    // The text summary is the unsharded run's, after its own header line.
    let (_, text_merge, _) = merge(&files, &[]);
    let (_, text_whole, _) = redsim(&["explore", WEAK, "--seeds", "0..12"]);
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(text_merge.starts_with("merge of 3 files: explore explore-weak, seeds 0..12\n"));
    assert_eq!(body(&text_merge), body(&text_whole));
    // Naming the scenario checks the shards are of it.
    assert_eq!(merge(&files, &["--json", WEAK]).1, text(&r.whole));
}

#[test]
fn a_missing_shard_is_refused_with_the_missing_seeds() {
    let r = runs();
    refused(
        &[&r.shards[0], &r.shards[1]],
        &[],
        &[
            "incomplete: 4 of 12 seeds missing",
            "no file for shard 2/3",
            "seeds 2, 5, 8, 11",
            "--partial",
        ],
    );
}

#[test]
fn a_partial_merge_says_it_is_partial() {
    let r = runs();
    let (code, out, err) = merge(&[&r.shards[0], &r.shards[1]], &["--partial"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("merge of 2 files"), "{out}");
    assert!(out.contains("PARTIAL: 4 of 12 seeds missing (first: 2, 5, 8, 11)"), "{out}");
    assert!(out.contains("\n8 seeds: "), "{out}");
    let (_, json, _) = merge(&[&r.shards[0], &r.shards[1]], &["--partial", "--json"]);
    let last: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["partial"]["missing"], 4);
    assert_eq!(last["summary"]["partial"]["of"], 12);
    assert_eq!(last["shard"]["partial"], true);
    // A partial merge is itself refused as input unless --partial is given again.
    let p = tmp("partial.jsonl");
    std::fs::write(&p, &json).unwrap();
    refused(&[&p], &[], &["incomplete", "partial"]);
    let (code, again, _) = merge(&[&p], &["--partial", "--json"]);
    assert_eq!(code, 1);
    assert_eq!(again, json, "a partial merge merges to itself");
    // --partial lets only missing seeds through: a foreign file is still refused.
    let other = explore_to("other-range.jsonl", WEAK, &["--seeds", "0..15", "--shard", "2/3"], &[]);
    refused(&[&r.shards[0], &other], &["--partial"], &["foreign"]);
}

#[test]
fn a_shard_of_another_scenario_is_refused() {
    let r = runs();
    let other = explore_to(
        "partition-s2.jsonl",
        "traces/explore-partition.toml",
        &["--seeds", "0..12", "--shard", "2/3"],
        &[],
    );
    refused(
        &[&r.shards[0], &r.shards[1], &other],
        &[],
        &[
            "partition-s2.jsonl: foreign: of scenario `explore-partition`",
            "s0.jsonl is of `explore-weak`",
        ],
    );
    // Every shard of the weak scenario, checked against another scenario named on the line.
    let files: Vec<&str> = r.shards.iter().map(String::as_str).collect();
    refused(
        &files,
        &["traces/explore-partition.toml"],
        &["s0.jsonl: foreign: of scenario `explore-weak`", "not of the scenario given"],
    );
}

#[test]
fn a_shard_of_another_seed_range_or_count_is_refused() {
    let r = runs();
    let range = explore_to("range-s2.jsonl", WEAK, &["--seeds", "0..15", "--shard", "2/3"], &[]);
    refused(
        &[&r.shards[0], &r.shards[1], &range],
        &[],
        &["range-s2.jsonl: foreign: shard 2/3 of seeds 0..15", "is shard 0/3 of seeds 0..12"],
    );
    refused(&[&r.shards[0], &r.whole], &[], &["whole.jsonl: foreign: shard 0/1 of seeds 0..12"]);
}

#[test]
fn overlapping_shards_are_refused() {
    let r = runs();
    refused(
        &[&r.shards[0], &r.shards[1], &r.shards[2], &r.shards[1]],
        &[],
        &[
            "s1.jsonl and ",
            "s1.jsonl overlap: both hold seed 1 (shard 1/3 of seeds 0..12 and shard 1/3",
        ],
    );
}

#[test]
fn a_shard_with_a_seed_line_deleted_or_added_is_refused() {
    let r = runs();
    let deleted = edited("deleted.jsonl", &r.shards[1], |t| {
        let mut l: Vec<&str> = t.lines().collect();
        l.remove(2);
        l.join("\n") + "\n"
    });
    refused(
        &[&r.shards[0], &deleted, &r.shards[2]],
        &[],
        &["deleted.jsonl: tampered: 3 seed lines, its shard line says 4"],
    );
    let added = edited("added.jsonl", &r.shards[1], |t| {
        let first = t.lines().next().unwrap().to_string();
        format!("{first}\n{t}")
    });
    refused(&[&r.shards[0], &added, &r.shards[2]], &[], &["added.jsonl: tampered: 5 seed lines"]);
}

#[test]
fn a_shard_with_an_edited_or_reordered_line_is_refused() {
    let r = runs();
    let lines = seed_lines(&r.shards[0]);
    let lost = lines.iter().find(|l| !l.contains(r#""lost":0}"#)).unwrap();
    let edited_file = edited("edited.jsonl", &r.shards[0], |t| {
        t.replacen(lost.as_str(), &lost.replace(r#""passed":false"#, r#""passed":true"#), 1)
    });
    refused(
        &[&edited_file, &r.shards[1], &r.shards[2]],
        &[],
        &["edited.jsonl: tampered: its seed lines' digest is", "(lines edited or reordered)"],
    );
    let swapped = edited("swapped.jsonl", &r.shards[0], |t| {
        let mut l: Vec<&str> = t.lines().collect();
        l.swap(0, 1);
        l.join("\n") + "\n"
    });
    refused(
        &[&swapped, &r.shards[1], &r.shards[2]],
        &[],
        &["swapped.jsonl: tampered: its seed lines' digest"],
    );
}

#[test]
fn a_shard_whose_summary_or_index_was_edited_is_refused() {
    let r = runs();
    let summary = edited("summary.jsonl", &r.shards[0], |t| {
        last_line_edited(&t, r#""failed":3"#, r#""failed":0"#)
    });
    refused(
        &[&summary, &r.shards[1], &r.shards[2]],
        &[],
        &["summary.jsonl: tampered: its summary is not the summary of its seed lines"],
    );
    // Renamed shard 0 as shard 1: its seeds are not shard 1's.
    let index = edited("index.jsonl", &r.shards[0], |t| {
        last_line_edited(&t, r#""index":0"#, r#""index":1"#)
    });
    refused(
        &[&index],
        &["--partial"],
        &["index.jsonl: tampered: seed 0 is not the next seed of shard 1/3"],
    );
}

#[test]
fn an_empty_truncated_or_summary_only_file_is_refused() {
    let r = runs();
    let empty = tmp("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    refused(&[&empty], &[], &["empty.jsonl: empty"]);
    let blank = tmp("blank.jsonl");
    std::fs::write(&blank, "\n\n").unwrap();
    refused(&[&blank], &[], &["blank.jsonl: truncated: 0 seed lines and no shard line"]);
    let only = tmp("only-summary.jsonl");
    std::fs::write(&only, "{\"summary\":{}}\n").unwrap();
    refused(&[&only], &[], &["only-summary.jsonl:1: ", "a summary without a shard line"]);
    refused(&[&only], &["--partial"], &["a summary without a shard line"]);
    // The run was killed before its last line.
    let cut =
        edited("no-shard-line.jsonl", &r.shards[2], |_| seed_lines(&r.shards[2]).join("\n") + "\n");
    refused(
        &[&r.shards[0], &r.shards[1], &cut],
        &["--partial"],
        &["no-shard-line.jsonl: truncated: 4 seed lines and no shard line"],
    );
    // Cut in the middle of a line.
    let half = edited("half.jsonl", &r.shards[2], |t| t[..t.len() / 2].to_string());
    refused(&[&r.shards[0], &r.shards[1], &half], &[], &["half.jsonl:"]);
    // Two files concatenated.
    let both = edited("both.jsonl", &r.shards[0], |t| t + &text(&r.shards[1]));
    refused(&[&both], &[], &["both.jsonl:6: ", "a line after the shard line"]);
}

#[test]
fn files_that_are_not_explore_output_are_refused() {
    refused(
        &["traces/explore-weak.toml"],
        &[],
        &["traces/explore-weak.toml:1: not a line of `redsim explore --json`"],
    );
    refused(&["/nonexistent/shard.jsonl"], &[], &["/nonexistent/shard.jsonl: "]);
    let long = tmp("long.jsonl");
    std::fs::write(&long, "x".repeat(2 << 20)).unwrap();
    refused(&[&long], &[], &["long.jsonl:1: ", "longer than"]);
}

/// `sbatch --array=0-6:2` runs tasks 0, 2, 4, 6 with SLURM_ARRAY_TASK_STEP=2 and count 4: shard
/// (id - min) / step of count, so the four tasks cover the range once.
#[test]
fn a_stepped_slurm_array_covers_every_seed_once() {
    let r = runs();
    let files: Vec<String> = [0, 2, 4, 6]
        .iter()
        .map(|id| {
            let id = id.to_string();
            let env = [
                ("SLURM_ARRAY_TASK_ID", id.as_str()),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ];
            explore_to(&format!("slurm-{id}.jsonl"), WEAK, &["--seeds", "0..12"], &env)
        })
        .collect();
    let last: serde_json::Value =
        serde_json::from_str(text(&files[2]).lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["shard"]["index"].as_u64(), last["shard"]["count"].as_u64()),
        (Some(2), Some(4))
    );
    let (code, out, err) =
        merge(&files.iter().map(String::as_str).collect::<Vec<_>>(), &["--json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, text(&r.whole));
    // An array of listed ids (--array=1,3,8) cannot be numbered without gaps: refused.
    let (code, _, err) = redsim_env(
        &["explore", WEAK, "--seeds", "0..12"],
        &[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.starts_with("error: Slurm array task 3 (min 1, max 8, step 1, count 3)"), "{err}");
}

/// Any one flipped bit, anywhere in any shard, is refused (exit 2, no panic) or changes nothing.
#[test]
fn a_flipped_bit_anywhere_is_refused_never_merged_into_another_answer() {
    let r = runs();
    let whole = text(&r.whole);
    let mut tried = 0;
    for (k, shard) in r.shards.iter().enumerate() {
        let bytes = std::fs::read(shard).unwrap();
        for at in (k..bytes.len()).step_by(23) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1 << (at % 7);
            let path = tmp(&format!("flip-{k}-{at}.jsonl"));
            std::fs::write(&path, &flipped).unwrap();
            let mut files: Vec<&str> = r.shards.iter().map(String::as_str).collect();
            files[k] = &path;
            let (code, out, err) = merge(&files, &["--json"]);
            std::fs::remove_file(&path).unwrap();
            assert!(!err.contains("panicked"), "byte {at} of shard {k}: {err}");
            assert!(code == 2 || out == whole, "byte {at} of shard {k} merged to another answer");
            tried += 1;
        }
    }
    assert!(tried > 100, "{tried} flips");
}
