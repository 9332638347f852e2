//! One cell as a scenario: the file's deployment, clients and workload, none of its own
//! `[[event]]`s, the cell's faults as events, the built-in invariants as its only expectations,
//! the phase's seed and a length that lets `converges` be checked. The same scenario is written
//! out as a standalone file by `redsim sweep --cell ID -o FILE`, whose `redsim run` is the cell.

use super::space::{Cell, FAMILIES, Space, hosts};
use crate::scenario::write::{event_table, quote, with_key, with_seed, without_tables};
use crate::scenario::{
    Expect, ExploreSpace, Fault, Invariant, ProcRef, Scenario, ScenarioError, describe,
};
use sim::{Duration, DurationRange};
use std::fmt::Write;

/// The faults of `cell`, in start order.
pub fn cell_faults(space: &Space, cell: &Cell) -> Vec<Fault> {
    let start = space.phases[cell.phase].start;
    let length = space.durations[cell.duration].length;
    cell.faults
        .iter()
        .enumerate()
        .map(|(k, &f)| Fault {
            at: if k == 0 { start } else { start + cell.offset },
            length,
            action: space.faults[f].action.clone(),
        })
        .collect()
}

/// The scenario a cell runs: see the module comment.
pub fn cell_scenario(s: &Scenario, space: &Space, cell: &Cell) -> Scenario {
    let faults = cell_faults(space, cell);
    let mut base = s.clone();
    base.events.clear();
    base.expect = Expect { invariants: Invariant::ALL.to_vec(), ..Expect::default() };
    base.duration = space.run_length(s, cell);
    base.seed = space.phases[cell.phase].seed;
    let processes = (0..s.redis.len())
        .map(ProcRef::Redis)
        .chain((0..s.sentinels.len()).map(ProcRef::Sentinel))
        .collect();
    let at = faults.first().map_or(Duration::ZERO, |f| Duration::from_micros(f.at.as_micros()));
    let length = space.durations[cell.duration].length;
    base.explore = Some(ExploreSpace {
        faults: (faults.len() as u32, faults.len() as u32),
        window: DurationRange { lo: at, hi: at + cell.offset },
        length: DurationRange { lo: length, hi: length },
        kinds: FAMILIES.to_vec(),
        hosts: hosts(s),
        processes,
        rules: Vec::new(),
        invariants: Invariant::ALL.to_vec(),
    });
    base.with_faults(&faults)
}

/// The standalone scenario file of `cell` (`command` is the sweep that numbered it, for the
/// comment at the end); it parses to a scenario that runs as the cell does.
pub fn cell_file(
    s: &Scenario,
    space: &Space,
    cell: &Cell,
    command: &str,
) -> Result<String, ScenarioError> {
    let run = cell_scenario(s, space, cell);
    let mut text = without_tables(&s.source, &["explore", "expect", "event"]);
    text = with_seed(&text, run.seed);
    text = with_key(&text, "duration", &quote(&run.duration.to_string()));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "\n# Cell {} of `{command}` (the file's own [[event]]s and [expect] dropped):",
        cell.id
    );
    for f in &run.schedule {
        let _ = writeln!(text, "#   {}", describe(&run, f));
    }
    for ev in &run.events {
        text.push_str(&event_table(&run, ev));
    }
    let names: Vec<String> = Invariant::ALL.iter().map(|i| quote(i.name())).collect();
    let _ = write!(text, "\n[expect]\ninvariants = [{}]\n", names.join(", "));
    Scenario::parse(&s.path, &text)?;
    Ok(text)
}
