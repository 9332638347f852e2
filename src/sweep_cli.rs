//! `redsim sweep`: argument parsing, sharding, progress, printing and files. The work itself is
//! `lab::sweep`.

use lab::explore::merge::{Merged, merge};
use lab::explore::run_parallel;
use lab::scenario::Scenario;
use lab::sweep::space::{self, Cell, DEFAULT_PHASES, Space};
use lab::sweep::{CellResult, SweepSummary, cell, compare, heatmap, lines, table, thresholds};
use std::process::ExitCode;

use crate::explore_cli::{jobs_default, print_lines, progress_bar, shard};
use crate::output::{Out, errln};
use crate::{BAD_INPUT, load};

/// Runs `--faults pairs` asks `--yes` for above.
pub const CONFIRM_ABOVE: u64 = 5000;

/// Which faults a sweep enumerates.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Faults {
    /// Every single fault.
    Single,
    /// Every single fault and every ordered pair.
    Pairs,
}

/// Arguments of `redsim sweep`.
#[derive(clap::Args)]
#[command(after_help = SWEEP_HELP)]
pub struct SweepArgs {
    /// The scenario whose deployment, clients and workload are swept (its own [[event]]s and
    /// [expect] are dropped); a second file sweeps the same fault space on it, side by side.
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    files: Vec<String>,
    /// `single`: every single fault; `pairs`: also every ordered pair of them, the second
    /// starting 0, down-after-milliseconds / 2 and down-after-milliseconds after the first.
    #[arg(long, value_enum, default_value = "single")]
    faults: Faults,
    /// How long each fault lasts, e.g. `1s,5s,30s` (default: from the deployment's timers).
    #[arg(long, value_name = "LIST")]
    durations: Option<String>,
    /// Start phases: phase p runs seed `seed + p` with its fault p/N into a 10 s INFO period.
    #[arg(long, default_value_t = DEFAULT_PHASES, value_parser = clap::value_parser!(u64).range(1..=64))]
    phases: u64,
    /// Threads to run cells on (default: the number of cores). Results do not depend on it.
    #[arg(short, long)]
    jobs: Option<usize>,
    /// One JSON line per cell, then `{"shard": ..., "summary": ...}`.
    #[arg(long)]
    json: bool,
    /// Write the heat map to OUT (one square per run) and each run's timeline into the
    /// directory next to it, `OUT` without `.html` plus `-cells/`.
    #[arg(long, value_name = "OUT.html")]
    html: Option<String>,
    /// Run only shard `i` of `n` of the cells (or the Slurm / Kubernetes index variables, as
    /// `redsim explore`).
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Run a `--faults pairs` sweep of more than 5000 runs.
    #[arg(long)]
    yes: bool,
    /// Only cell ID: print its result, and with -o write its standalone scenario.
    #[arg(long, value_name = "ID")]
    cell: Option<u64>,
    /// With --cell: where to write the cell's scenario (`redsim run` it to reproduce the cell).
    #[arg(short, long, value_name = "OUT.toml", requires = "cell")]
    output: Option<String>,
    /// Merge the `--json` outputs of every shard of one sweep of FILE (with the same grid
    /// options); refused as `explore --merge` refuses.
    #[arg(long, num_args = 1.., value_name = "FILES", conflicts_with_all = ["shard", "cell", "html"])]
    merge: Option<Vec<String>>,
}

const SWEEP_HELP: &str = "\
Examples:
  redsim sweep traces/blog-partition.toml
  redsim sweep traces/explore-partition.toml --durations 2s,5s,10s --phases 2 --html sweep.html
  redsim sweep traces/explore-partition.toml traces/explore-partition-min-replicas.toml
  redsim sweep traces/blog-partition.toml --cell 17 -o cell-17.toml && redsim run cell-17.toml
  redsim sweep traces/blog-partition.toml --shard 0/2 --json > a.jsonl   # and 1/2 > b.jsonl
  redsim sweep traces/blog-partition.toml --merge a.jsonl b.jsonl

Exit status: 0 the sweep ran (whatever it found); 2 the input is invalid, a pairs sweep above
5000 runs lacks --yes, or a merge was refused.";

fn bad(msg: &str) -> ExitCode {
    errln!("error: {msg}");
    ExitCode::from(BAD_INPUT)
}

/// The grid options as given, for the commands a sweep prints.
fn grid_args(args: &SweepArgs) -> String {
    let mut s = String::new();
    if args.faults == Faults::Pairs {
        s.push_str(" --faults pairs");
    }
    if let Some(ds) = &args.durations {
        s.push_str(&format!(" --durations {ds}"));
    }
    if args.phases != DEFAULT_PHASES {
        s.push_str(&format!(" --phases {}", args.phases));
    }
    s
}

/// The space of `s` as the arguments ask.
fn space_of(s: &Scenario, args: &SweepArgs) -> Result<Space, String> {
    let durations = match &args.durations {
        Some(list) => space::parse_durations(list)?,
        None => space::default_durations(s),
    };
    Ok(Space::new(s, durations, space::phases(s, args.phases), args.faults == Faults::Pairs))
}

/// What the sweep is, for people (and the heat map).
fn notes(path: &str, s: &Scenario, space: &Space) -> Vec<String> {
    let mut n = Vec::new();
    n.push(format!(
        "{} faults x {} durations x {} phases{} = {} runs",
        space.faults.len(),
        space.durations.len(),
        space.phases.len(),
        if space.pair_offsets.is_empty() { "" } else { ", with ordered pairs" },
        space.cell_count()
    ));
    let mut dropped = Vec::new();
    if !s.events.is_empty() {
        dropped.push(format!("{} [[event]]s", s.events.len()));
    }
    if s.explore.is_some() {
        dropped.push("[explore] table".to_string());
    }
    dropped.push("[expect]".to_string());
    n.push(format!(
        "dropped from {path}: its {}; each run has only its cell's faults, checked against the \
         built-in invariants",
        dropped.join(", ")
    ));
    let ds: Vec<String> =
        space.durations.iter().map(|d| format!("{} ({})", d.length, d.from)).collect();
    n.push(format!("durations: {}", ds.join(", ")));
    let ps: Vec<String> =
        space.phases.iter().map(|p| format!("seed {} at {}", p.seed, p.start)).collect();
    n.push(format!("phases: {}", ps.join(", ")));
    n.push(format!(
        "each run lasts until {} after its last fault ends, so `converges` is checked",
        lab::invariants::convergence_bound(s)
    ));
    n
}

/// `redsim sweep`.
pub fn sweep(out: &mut Out, args: SweepArgs) -> ExitCode {
    let path = args.files[0].clone();
    let s = match load(&path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let space = match space_of(&s, &args) {
        Ok(sp) => sp,
        Err(e) => return bad(&e),
    };
    if space.faults.is_empty() || space.durations.is_empty() {
        return bad(&format!("{path}: no fault to sweep (no process, no host)"));
    }
    let total = space.cell_count();
    if args.faults == Faults::Pairs && total > CONFIRM_ABOVE && !args.yes && args.cell.is_none() {
        return bad(&format!(
            "--faults pairs makes {total} runs (more than {CONFIRM_ABOVE}): pass --yes to run \
             them, or fewer --durations / --phases"
        ));
    }
    let reproduce = |id: u64| {
        format!(
            "redsim sweep {path}{} --cell {id} -o cell-{id}.toml && redsim run cell-{id}.toml",
            grid_args(&args)
        )
    };
    let cells = space.cells();
    if let Some(files) = &args.merge {
        return merge_files(out, &path, &s, &space, &cells, files, args.json);
    }
    if let Some(id) = args.cell {
        return one_cell(out, &path, &s, &space, &cells, id, &args, &reproduce(id));
    }
    if args.files.len() == 2 {
        return side_by_side(out, &s, &space, &cells, &args);
    }
    let shard = match shard(args.shard.as_deref()) {
        Ok(sh) => sh,
        Err(e) => return bad(&e),
    };
    let ids = lines::shard_cells(&space, shard);
    let mine: Vec<Cell> = ids.iter().map(|&i| cells[i as usize].clone()).collect();
    let notes = notes(&path, &s, &space);
    errln!(
        "sweep: {} runs{}",
        mine.len(),
        if ids.len() as u64 == total {
            String::new()
        } else {
            format!(" of {total} (shard {}/{})", shard.index, shard.count)
        }
    );
    let jobs = args.jobs.unwrap_or_else(jobs_default).clamp(1, 256);
    let bar = progress_bar(mine.len(), "runs");
    let timelines = match &args.html {
        Some(html) => match cells_dir(html) {
            Ok(dir) => Some(dir),
            Err(e) => return bad(&e),
        },
        None => None,
    };
    let written: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let results = run_parallel(&mine, jobs, &bar, &|c: &Cell| {
        let (r, ()) = lab::sweep::run_cell_then(&s, &space, c, reproduce(c.id), &|run, d, o| {
            if let Some((dir, _)) = &timelines {
                let mut record = lab::record::Record::from_run(run, run.seed, d, o);
                record.scenario.path = format!("cell-{}.toml", c.id);
                record.scenario.description = format!(
                    "Cell {} of the sweep of {path}; write its scenario with: {}",
                    c.id,
                    reproduce(c.id)
                );
                let page = lab::export::html::page(&record);
                let file = format!("{dir}/{}", heatmap::cell_page(c.id));
                if let Err(e) = std::fs::write(&file, page) {
                    *written.lock().expect("no worker panicked") = Some(format!("{file}: {e}"));
                }
            }
        });
        r
    });
    if let Some(e) = written.into_inner().expect("no worker panicked") {
        return bad(&format!("cannot write a timeline: {e}"));
    }
    if let (Some(html), Some((_, rel))) = (&args.html, &timelines) {
        let title = format!("sweep of {} ({path})", s.name);
        let page = heatmap::page(&title, &space, &mine, &results, rel, &notes);
        if let Err(e) = crate::files::emit(out, Some(html), &page) {
            return bad(&format!("the heat map: {e}"));
        }
        errln!("wrote {html} and {} timelines in {rel}/", results.len());
    }
    if args.json {
        print_lines(out, &lines::json_lines(&s, &space, shard, &results));
        return ExitCode::SUCCESS;
    }
    writeln!(out, "sweep {} ({path}{})", s.name, grid_args(&args));
    for n in &notes {
        writeln!(out, "  {n}");
    }
    report(out, &s, &space, &mine, &results, jobs, ids.len() as u64 == total);
    ExitCode::SUCCESS
}

/// The last line of `redsim bench sweep`.
#[derive(serde::Serialize)]
struct SweepBench {
    workload: String,
    faults: usize,
    durations: usize,
    phases: usize,
    runs: usize,
    jobs: usize,
    wall_ms: f64,
    runs_per_sec: f64,
    runs_per_sec_per_core: f64,
}

/// `redsim bench sweep`: the single-fault sweep of `path`'s deployment over its default grid
/// (every fault x the durations from its timers x 4 phases, or `durations`), timed on the wall
/// clock; the thresholds' bisection runs are not in it.
pub fn bench(out: &mut Out, path: &str, jobs: usize, durations: Option<&str>) -> ExitCode {
    let s = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let durations = match durations.map(space::parse_durations) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return bad(&e),
        None => space::default_durations(&s),
    };
    let space = Space::new(&s, durations, space::phases(&s, DEFAULT_PHASES), false);
    let cells = space.cells();
    let quiet = |_: usize| {};
    let run = |c: &Cell| lab::sweep::run_cell(&s, &space, c, String::new());
    let (results, wall_s) = crate::bench_cli::timed(|| run_parallel(&cells, jobs, &quiet, &run));
    let rate = results.len() as f64 / wall_s;
    errln!(
        "sweep {}: {} runs ({} faults x {} durations x {} phases) in {wall_s:.2} s on {jobs} threads: {rate:.1} runs/s",
        s.name,
        results.len(),
        space.faults.len(),
        space.durations.len(),
        space.phases.len(),
    );
    let line = SweepBench {
        workload: s.name.clone(),
        faults: space.faults.len(),
        durations: space.durations.len(),
        phases: space.phases.len(),
        runs: results.len(),
        jobs,
        wall_ms: crate::bench_cli::ms(wall_s),
        runs_per_sec: (rate * 10.0).round() / 10.0,
        runs_per_sec_per_core: (rate / jobs as f64 * 10.0).round() / 10.0,
    };
    writeln!(out, "{}", serde_json::to_string(&line).expect("serialisable"));
    ExitCode::SUCCESS
}

/// The directory for the timelines next to `html` (created), and its name relative to the page.
fn cells_dir(html: &str) -> Result<(String, String), String> {
    if html == crate::files::STDIO {
        return Err("--html needs a file: the timelines go into a directory next to it".into());
    }
    let stem = html.strip_suffix(".html").unwrap_or(html);
    let dir = format!("{stem}-cells");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
    let rel = dir.rsplit(['/', '\\']).next().unwrap_or(&dir).to_string();
    Ok((dir, rel))
}

/// The tables, the thresholds (bisected when the whole single-fault grid ran) and the totals.
fn report(
    out: &mut Out,
    s: &Scenario,
    space: &Space,
    cells: &[Cell],
    results: &[CellResult],
    jobs: usize,
    whole: bool,
) {
    let over = table::grid(space, results, cells);
    writeln!(
        out,
        "cell: the most acknowledged writes lost over the phases; F failed over in every phase, f \
         in some; ! an invariant failed"
    );
    out.print(&table::render_tables(space, &over, out.paint()));
    if whole {
        let tasks = thresholds::tasks(space, &over, cells, results);
        let quiet = |_: usize| {};
        let found = run_parallel(&tasks, jobs, &quiet, &|t| thresholds::bisect(s, space, t));
        let ths = thresholds::thresholds(space, &over, &tasks, &found);
        let runs: usize = found.iter().map(|f| f.runs).sum();
        writeln!(
            out,
            "\nthresholds (each phase bisected to {} ms between the grid durations, {runs} more \
             runs):",
            thresholds::PRECISION_MS
        );
        if ths.is_empty() {
            writeln!(out, "  none: no fault starts failing over between two grid durations");
        }
        for t in &ths {
            writeln!(out, "  {}", thresholds::sentence(space, t));
        }
    }
    writeln!(out);
    out.print(&table::render_summary(&SweepSummary::of(results), results, out.paint()));
}

/// `--cell ID`: its result, and with `-o` its scenario.
#[allow(clippy::too_many_arguments)]
fn one_cell(
    out: &mut Out,
    path: &str,
    s: &Scenario,
    space: &Space,
    cells: &[Cell],
    id: u64,
    args: &SweepArgs,
    reproduce: &str,
) -> ExitCode {
    let Some(c) = cells.get(id as usize) else {
        return bad(&format!("--cell {id}: this sweep has cells 0..{}", cells.len()));
    };
    if let Some(o) = &args.output {
        let io = crate::files::check_outputs(&[("the scenario", path)], &[("-o", o)]);
        if let Err(e) = io {
            return bad(&e.to_string());
        }
        let command = format!("redsim sweep {path}{}", grid_args(args));
        let text = match cell::cell_file(s, space, c, &command) {
            Ok(t) => t,
            Err(e) => return bad(&format!("the cell's scenario does not parse (a bug): {e}")),
        };
        if let Err(e) = crate::files::emit(out, Some(o), &text) {
            return bad(&e.to_string());
        }
        if o == crate::files::STDIO {
            out.use_stderr();
        }
    }
    let r = lab::sweep::run_cell(s, space, c, reproduce.to_string());
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&r).expect("serialisable"));
    } else {
        writeln!(
            out,
            "cell {}: {} for {} ms, phase {} (seed {}, from {} ms): {} failovers, {} of {} \
             acknowledged writes lost (window {} ms), split brain {} ms, unavailable {} ms, {}",
            r.cell,
            r.fault,
            r.duration_ms,
            r.phase,
            r.seed,
            r.start_ms,
            r.failovers,
            r.lost,
            r.acked,
            r.lost_window_ms,
            r.split_brain_ms,
            r.unavailable_ms,
            if r.converged { "converged" } else { "did not converge" }
        );
        for f in &r.failures {
            writeln!(out, "  {f}");
        }
        if let Some(o) = &args.output {
            writeln!(out, "wrote {o}; reproduce with: redsim run {o}");
        }
    }
    ExitCode::SUCCESS
}

/// `redsim sweep A.toml B.toml`.
fn side_by_side(
    out: &mut Out,
    a: &Scenario,
    space: &Space,
    cells: &[Cell],
    args: &SweepArgs,
) -> ExitCode {
    let path_b = &args.files[1];
    let b = match load(path_b) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(e) = compare::same_faults(space, &Space::new(&b, vec![], vec![], false)) {
        return bad(&format!("{} and {path_b}: {e}", args.files[0]));
    }
    let jobs = args.jobs.unwrap_or_else(jobs_default).clamp(1, 256);
    let both: Vec<(bool, &Cell)> =
        cells.iter().map(|c| (false, c)).chain(cells.iter().map(|c| (true, c))).collect();
    let bar = progress_bar(both.len(), "runs");
    let results = run_parallel(&both, jobs, &bar, &|(second, c)| {
        let (s, p) = if *second { (&b, path_b) } else { (a, &args.files[0]) };
        let cmd = format!(
            "redsim sweep {p}{} --cell {} -o cell-{}.toml && redsim run cell-{}.toml",
            grid_args(args),
            c.id,
            c.id,
            c.id
        );
        lab::sweep::run_cell(s, space, c, cmd)
    });
    let (ra, rb) = results.split_at(cells.len());
    if args.json {
        for (x, y) in ra.iter().zip(rb) {
            let line = serde_json::json!({ "cell": x.cell, "fault": x.fault, "duration_ms": x.duration_ms, "phase": x.phase, "a": x, "b": y });
            writeln!(out, "{line}");
        }
        return ExitCode::SUCCESS;
    }
    writeln!(out, "sweep {} ({}) against {} ({path_b})", a.name, args.files[0], b.name);
    for n in notes(&args.files[0], a, space) {
        writeln!(out, "  {n}");
    }
    writeln!(
        out,
        "  the grid is {}'s (its timers and seed); cell: A/B where they differ",
        args.files[0]
    );
    let (oa, ob) = (table::grid(space, ra, cells), table::grid(space, rb, cells));
    out.print(&compare::render(space, &oa, &ob, out.paint()));
    for (name, r) in [("A", ra), ("B", rb)] {
        let sum = SweepSummary::of(r);
        writeln!(
            out,
            "{name}: {} cells failed over, {} lost writes (at most {}), {} split brain, {} did not converge",
            sum.failed_over, sum.lost_writes, sum.lost.max, sum.split_brain, sum.not_converged
        );
    }
    ExitCode::SUCCESS
}

/// `redsim sweep FILE --merge FILES...`.
fn merge_files(
    out: &mut Out,
    path: &str,
    s: &Scenario,
    space: &Space,
    cells: &[Cell],
    files: &[String],
    json: bool,
) -> ExitCode {
    let merged: Merged<CellResult> = match merge(files, Some(&s.digest()), false) {
        Ok(m) => m,
        Err(e) => return bad(&e.to_string()),
    };
    if merged.info.grid.as_deref() != Some(space.describe().as_str())
        || merged.info.seeds != (0..space.cell_count())
    {
        return bad(&format!(
            "the shards are of the grid `{}`, these options make `{}`: give the options the \
             shards were run with",
            merged.info.grid.as_deref().unwrap_or("-"),
            space.describe()
        ));
    }
    if json {
        let summary = SweepSummary::of(&merged.results);
        print_lines(out, &merged.lines);
        print_lines(out, &[lab::explore::shard::shard_line(&merged.info, &summary)]);
        return ExitCode::SUCCESS;
    }
    writeln!(out, "merge of {} files: sweep {} ({path})", files.len(), s.name);
    report(out, s, space, cells, &merged.results, 1, false);
    ExitCode::SUCCESS
}
