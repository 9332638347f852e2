//! `redsim explore --merge`: the `--json` outputs of shards, checked, into one result.
//!
//! A merge answers for the whole seed range or refuses. Each file must end with its shard line
//! ([`super::shard::ShardInfo`]), hold exactly the seed lines that line counts and digests, and
//! hold exactly its shard's seeds with the summary they add up to. All files must be of one
//! scenario (by digest), one range and one shard count; no seed may appear twice; every seed of
//! the range must be there. Only missing seeds can be let through, by asking for a partial merge,
//! and the result then says it is partial. Files are read line by line, each line at most
//! [`MAX_LINE`] bytes.

use super::SeedResult;
use super::shard::{FORMAT, LinesDigest, ShardInfo};
use super::summary::{Partial, Summary};
use std::collections::BTreeMap;
use std::io::{BufRead, Read};

/// One line of a sharded `--json` output: an item of the range (a seed, a sweep's cell), keyed
/// by its place in it, and what the shard line's summary of such items is.
pub trait ShardItem: serde::de::DeserializeOwned + Clone {
    /// The command whose output the lines are, for messages: `redsim explore --json`.
    const COMMAND: &'static str;
    /// Its place in the range.
    fn key(&self) -> u64;
    /// The summary the shard line carries for `items`, as JSON.
    fn summary(items: &[Self]) -> serde_json::Value;
}

impl ShardItem for SeedResult {
    const COMMAND: &'static str = "redsim explore --json";
    fn key(&self) -> u64 {
        self.seed
    }
    fn summary(items: &[Self]) -> serde_json::Value {
        serde_json::to_value(Summary::of(items)).expect("a summary serialises")
    }
}

/// The longest line a merge reads (a seed line is a few kilobytes at most).
pub const MAX_LINE: usize = crate::limits::RESULT_LINE_MAX_BYTES as usize;

/// Seeds named in a "missing" message.
const SHOWN: usize = 5;

/// Why result files could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file holds nothing.
    #[error("{path}: empty: not the output of `{command}`")]
    Empty {
        /// The file.
        path: String,
        /// The command whose output was expected.
        command: &'static str,
    },
    /// A line is not one the command writes.
    #[error("{path}:{line}: not a line of `{command}`: {message}")]
    Line {
        /// The file.
        path: String,
        /// The command whose output was expected.
        command: &'static str,
        /// 1-based.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A file does not end with its shard line.
    #[error(
        "{path}: truncated: {seeds} seed lines and no shard line after them (the run did not \
         finish, the file was cut, or an older redsim wrote it)"
    )]
    Truncated {
        /// The file.
        path: String,
        /// Seed lines read.
        seeds: usize,
    },
    /// A file's lines do not match what its shard line says.
    #[error("{path}: tampered: {why}")]
    Tampered {
        /// The file.
        path: String,
        /// What does not match.
        why: String,
    },
    /// Files of different scenarios, ranges or shard counts, or of another scenario than given.
    #[error("{path}: foreign: {why}")]
    Foreign {
        /// The file.
        path: String,
        /// How it differs.
        why: String,
    },
    /// Two files hold the same seed.
    #[error("{path} and {other} overlap: both hold seed {seed} ({what})")]
    Overlap {
        /// One file.
        path: String,
        /// The other.
        other: String,
        /// The first seed both hold.
        seed: u64,
        /// What each says it is.
        what: String,
    },
    /// Seeds of the range are in no file.
    #[error(
        "incomplete: {missing} of {total} seeds missing ({shards}; seeds {first}); give every \
         shard's file, or pass --partial to merge what is there"
    )]
    Missing {
        /// Seeds missing.
        missing: u64,
        /// Seeds in the range.
        total: u64,
        /// The shards no file was given for.
        shards: String,
        /// The first missing seeds.
        first: String,
    },
}

/// One verified file.
struct ShardFile<R> {
    path: String,
    info: ShardInfo,
    /// Seed lines as written, and their results.
    seeds: Vec<(String, R)>,
}

/// Reads one file and checks it against its own shard line.
fn read<R: ShardItem>(path: &str, partial_ok: bool) -> Result<ShardFile<R>, MergeError> {
    let file = std::fs::File::open(path)
        .map_err(|source| MergeError::Read { path: path.into(), source })?;
    let mut reader = std::io::BufReader::new(file);
    let mut seeds = Vec::new();
    let mut info: Option<(ShardInfo, serde_json::Value)> = None;
    let mut buf = Vec::new();
    let mut lines = 0;
    loop {
        buf.clear();
        let n = Read::take(&mut reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| MergeError::Read { path: path.into(), source })?;
        if n == 0 {
            break;
        }
        lines += 1;
        let bad = |message: String| MergeError::Line {
            path: path.into(),
            command: R::COMMAND,
            line: lines,
            message,
        };
        if buf.len() > MAX_LINE {
            return Err(bad(format!("longer than {}", crate::limits::size(MAX_LINE as u64))));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let line = std::str::from_utf8(&buf).map_err(|_| bad("not UTF-8".into()))?;
        if line.trim().is_empty() {
            continue;
        }
        if info.is_some() {
            return Err(bad("a line after the shard line".into()));
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        if let Some(shard) = v.get("shard") {
            let i: ShardInfo =
                serde_json::from_value(shard.clone()).map_err(|e| bad(format!("shard: {e}")))?;
            info = Some((i, v.get("summary").cloned().unwrap_or_default()));
        } else if v.get("summary").is_some() {
            return Err(bad("a summary without a shard line (written by an older redsim?)".into()));
        } else {
            let r: R = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
            seeds.push((line.to_string(), r));
        }
    }
    if lines == 0 {
        return Err(MergeError::Empty { path: path.into(), command: R::COMMAND });
    }
    let (info, summary) =
        info.ok_or(MergeError::Truncated { path: path.into(), seeds: seeds.len() })?;
    let file = ShardFile { path: path.into(), info, seeds };
    verify(&file, &summary, partial_ok)?;
    Ok(file)
}

/// Checks a file's seed lines against its shard line: count, digest, seeds, summary.
fn verify<R: ShardItem>(
    f: &ShardFile<R>,
    summary: &serde_json::Value,
    partial_ok: bool,
) -> Result<(), MergeError> {
    let tampered = |why: String| MergeError::Tampered { path: f.path.clone(), why };
    let i = &f.info;
    if i.format != FORMAT {
        return Err(tampered(format!(
            "shard line format {}, this redsim reads {FORMAT}: merge with the redsim that wrote it",
            i.format
        )));
    }
    if i.count == 0 || i.index >= i.count || i.seeds.start >= i.seeds.end {
        return Err(tampered(format!("its shard line describes no shard ({})", i.describe())));
    }
    if f.seeds.len() as u64 != i.seed_count {
        return Err(tampered(format!(
            "{} seed lines, its shard line says {} (lines deleted or added)",
            f.seeds.len(),
            i.seed_count
        )));
    }
    let mut digest = LinesDigest::default();
    f.seeds.iter().for_each(|(line, _)| digest.add(line));
    if digest.hex() != i.lines_digest {
        return Err(tampered(format!(
            "its seed lines' digest is {}, its shard line says {} (lines edited or reordered)",
            digest.hex(),
            i.lines_digest
        )));
    }
    let shard = i.shard();
    let mut expected = shard.iter(&i.seeds);
    for (_, r) in &f.seeds {
        // A whole shard holds each of its seeds in order; a partial merge some of them, in order.
        let next = if i.partial { expected.find(|&s| s >= r.key()) } else { expected.next() };
        if next != Some(r.key()) {
            return Err(tampered(format!(
                "seed {} is not the next seed of {}",
                r.key(),
                i.describe()
            )));
        }
    }
    if !i.partial && expected.next().is_some() {
        return Err(tampered(format!("it lacks seeds of {}", i.describe())));
    }
    if i.partial && !partial_ok {
        let total = shard.seed_count(&i.seeds);
        return Err(MergeError::Missing {
            missing: total.saturating_sub(f.seeds.len() as u64),
            total,
            shards: format!("{} is itself a partial merge", f.path),
            first: "not listed".into(),
        });
    }
    let results: Vec<R> = f.seeds.iter().map(|(_, r)| r.clone()).collect();
    let mut recomputed = R::summary(&results);
    let mut written = summary.clone();
    for v in [&mut recomputed, &mut written] {
        if let Some(o) = v.as_object_mut() {
            o.remove("partial");
        }
    }
    if recomputed != written {
        return Err(tampered("its summary is not the summary of its seed lines".into()));
    }
    Ok(())
}

/// A merge: every seed line in seed order, their results, and the shard line of the whole.
#[derive(Debug)]
pub struct Merged<R = SeedResult> {
    /// The seed lines as the shards wrote them, by seed.
    pub lines: Vec<String>,
    /// Their results, by seed.
    pub results: Vec<R>,
    /// The whole range as one shard (`partial` when seeds are missing).
    pub info: ShardInfo,
    /// What is missing, in a partial merge.
    pub partial: Option<Partial>,
}

impl Merged<SeedResult> {
    /// The summary of the merge, saying it is partial when it is.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::of(&self.results);
        s.partial = self.partial.clone();
        s
    }
}

/// Merges the `--json` outputs of shards at `paths`. `digest` is the digest of the scenario the
/// caller expects (when it names one); `partial` lets seeds be missing.
pub fn merge<R: ShardItem>(
    paths: &[String],
    digest: Option<&str>,
    partial: bool,
) -> Result<Merged<R>, MergeError> {
    let mut files: Vec<ShardFile<R>> = Vec::new();
    for path in paths {
        let f = read(path, partial)?;
        let foreign = |why: String| MergeError::Foreign { path: path.clone(), why };
        if let Some(d) = digest
            && f.info.scenario_digest != d
        {
            return Err(foreign(format!(
                "of scenario `{}` ({}), not of the scenario given ({d})",
                f.info.scenario, f.info.scenario_digest
            )));
        }
        if let Some(first) = files.first() {
            let (a, b) = (&first.info, &f.info);
            if a.grid != b.grid {
                return Err(foreign(format!(
                    "of the grid `{}`, {} is of `{}`",
                    b.grid.as_deref().unwrap_or("-"),
                    first.path,
                    a.grid.as_deref().unwrap_or("-")
                )));
            }
            if a.scenario_digest != b.scenario_digest || a.scenario != b.scenario {
                return Err(foreign(format!(
                    "of scenario `{}` ({}), {} is of `{}` ({})",
                    b.scenario, b.scenario_digest, first.path, a.scenario, a.scenario_digest
                )));
            }
            if a.seeds != b.seeds || a.count != b.count {
                return Err(foreign(format!(
                    "{}, {} is {}: shards of one run share a range and a count",
                    b.describe(),
                    first.path,
                    a.describe()
                )));
            }
        }
        files.push(f);
    }
    let Some(first) = files.first() else {
        return Err(MergeError::Empty { path: "(no files)".into(), command: R::COMMAND });
    };
    let mut info = first.info.clone();
    let mut owner: BTreeMap<u64, (usize, String, R)> = BTreeMap::new();
    for (k, f) in files.iter().enumerate() {
        for (line, r) in &f.seeds {
            if let Some((j, _, _)) = owner.get(&r.key()) {
                let g = &files[*j];
                return Err(MergeError::Overlap {
                    path: g.path.clone(),
                    other: f.path.clone(),
                    seed: r.key(),
                    what: format!("{} and {}", g.info.describe(), f.info.describe()),
                });
            }
            owner.insert(r.key(), (k, line.clone(), r.clone()));
        }
    }
    let total = info.seeds.end - info.seeds.start;
    let missing = total - owner.len() as u64;
    let partial_of = if missing == 0 {
        None
    } else {
        let first: Vec<u64> =
            info.seeds.clone().filter(|s| !owner.contains_key(s)).take(SHOWN).collect();
        let p = Partial { missing, of: total, first_missing: first };
        if !partial {
            let given: std::collections::BTreeSet<u64> =
                files.iter().filter(|f| !f.info.partial).map(|f| f.info.index).collect();
            let absent: Vec<String> = (0..info.count)
                .filter(|i| !given.contains(i))
                .take(SHOWN)
                .map(|i| format!("{i}/{}", info.count))
                .collect();
            let shards = if absent.is_empty() {
                "every shard given, some partial".to_string()
            } else {
                format!("no file for shard {}", absent.join(", "))
            };
            return Err(MergeError::Missing { missing, total, shards, first: list(&p) });
        }
        Some(p)
    };
    let mut digest = LinesDigest::default();
    let (mut lines, mut results) = (Vec::new(), Vec::new());
    for (_, (_, line, r)) in owner {
        digest.add(&line);
        lines.push(line);
        results.push(r);
    }
    info.index = 0;
    info.count = 1;
    info.seed_count = lines.len() as u64;
    info.lines_digest = digest.hex();
    info.partial = partial_of.is_some();
    Ok(Merged { lines, results, info, partial: partial_of })
}

/// `2, 5, 8, 11, 14, ...`
fn list(p: &Partial) -> String {
    let mut s: Vec<String> = p.first_missing.iter().map(u64::to_string).collect();
    if p.missing > p.first_missing.len() as u64 {
        s.push("...".into());
    }
    s.join(", ")
}
