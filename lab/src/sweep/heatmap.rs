//! `redsim sweep --html OUT`: the sweep as a heat map, one self-contained page in the timeline's
//! style (its stylesheet, no script, no network: opens from disk). One table per fault family:
//! a row per fault, a column per duration and phase, one square per run coloured by the
//! acknowledged writes it lost (and outlined when it failed over), each a link to that run's
//! timeline page in the directory next to the page.

use super::CellResult;
use super::space::{Cell, FAMILIES, Space};
use std::fmt::Write;

const CSS: &str = include_str!("../export/html/timeline.css");

/// What the heat map adds to the timeline's stylesheet.
const HEAT_CSS: &str = "
table.heat { border-collapse: collapse; margin: 0 0 1.5em 0; font-size: 12px; }
table.heat th { font-weight: normal; text-align: left; padding: 2px 8px 2px 0; white-space: nowrap; }
table.heat th.d { text-align: center; border-left: 1px solid #ccc; }
table.heat td { padding: 1px; }
table.heat td.first { border-left: 1px solid #ccc; padding-left: 4px; }
a.cell { display: block; width: 18px; height: 18px; border-radius: 2px; background: #e8efe8; }
a.cell.l1 { background: #f4c7a1; } a.cell.l2 { background: #ec9a63; }
a.cell.l3 { background: #d9572b; } a.cell.l4 { background: #9e2a12; }
a.cell.fo { box-shadow: inset 0 0 0 2px #3569b0; }
a.cell.bad { outline: 2px solid #000; }
a.cell:hover { outline: 2px solid #444; }
.heatlegend span { margin-right: 1.2em; } .heatlegend a.cell { display: inline-block; vertical-align: middle; }
";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The colour class of a cell's lost writes: none, 1-2, 3-9, 10-49, 50 or more.
fn level(lost: u64) -> &'static str {
    match lost {
        0 => "",
        1..=2 => " l1",
        3..=9 => " l2",
        10..=49 => " l3",
        _ => " l4",
    }
}

/// The file name of cell `id`'s timeline inside the cells directory.
pub fn cell_page(id: u64) -> String {
    format!("cell-{id}.html")
}

/// The page: `title` heads it, `cells_dir` is the directory (relative to the page) holding the
/// timelines, `notes` are lines said above the tables (what was dropped, where durations come
/// from).
pub fn page(
    title: &str,
    space: &Space,
    cells: &[Cell],
    results: &[CellResult],
    cells_dir: &str,
    notes: &[String],
) -> String {
    let mut body = String::new();
    let _ = write!(body, "<header><h1>{}</h1>", esc(title));
    for n in notes {
        let _ = write!(body, "<p class=\"desc\">{}</p>", esc(n));
    }
    body.push_str(
        "<p class=\"heatlegend\"><span><a class=\"cell\"></a> no write lost</span>\
         <span><a class=\"cell l1\"></a> 1-2</span><span><a class=\"cell l2\"></a> 3-9</span>\
         <span><a class=\"cell l3\"></a> 10-49</span><span><a class=\"cell l4\"></a> 50+ lost</span>\
         <span><a class=\"cell fo\"></a> failed over</span>\
         <span><a class=\"cell bad\"></a> an invariant failed</span>\
         <span>click a square for its run's timeline</span></p></header>\n<main>",
    );
    let by_id: std::collections::BTreeMap<u64, &CellResult> =
        results.iter().map(|r| (r.cell, r)).collect();
    let nd = space.durations.len();
    let np = space.phases.len();
    for family in FAMILIES {
        let rows: Vec<usize> =
            (0..space.faults.len()).filter(|&f| space.faults[f].kind == family).collect();
        let present: Vec<&Cell> = cells
            .iter()
            .filter(|c| c.faults.len() == 1 && rows.contains(&c.faults[0]))
            .filter(|c| by_id.contains_key(&c.id))
            .collect();
        if present.is_empty() {
            continue;
        }
        let _ = write!(
            body,
            "<h2>{}</h2>\n<table class=\"heat\" data-family=\"{}\"><tr><th></th>",
            family.name(),
            family.name()
        );
        for d in &space.durations {
            let _ = write!(body, "<th class=\"d\" colspan=\"{np}\">{}</th>", d.length);
        }
        body.push_str("</tr>\n");
        for f in rows {
            let _ = write!(body, "<tr><th>{}</th>", esc(&space.faults[f].name));
            let mut grid: Vec<Option<&CellResult>> = vec![None; nd * np];
            for c in present.iter().filter(|c| c.faults[0] == f) {
                grid[c.duration * np + c.phase] = by_id.get(&c.id).copied();
            }
            for (k, r) in grid.iter().enumerate() {
                let first = if k % np == 0 { " class=\"first\"" } else { "" };
                match r {
                    Some(r) => {
                        let fo = if r.failed_over() { " fo" } else { "" };
                        let bad = if r.failures.is_empty() { "" } else { " bad" };
                        let tip = format!(
                            "cell {}: {} for {} ms, phase {} (seed {}): {} failovers, {} of {} \
                             acknowledged writes lost, split brain {} ms, unavailable {} ms{}",
                            r.cell,
                            r.fault,
                            r.duration_ms,
                            r.phase,
                            r.seed,
                            r.failovers,
                            r.lost,
                            r.acked,
                            r.split_brain_ms,
                            r.unavailable_ms,
                            if r.failures.is_empty() {
                                String::new()
                            } else {
                                format!("; {}", r.failures.join("; "))
                            }
                        );
                        let _ = write!(
                            body,
                            "<td{first}><a class=\"cell{}{fo}{bad}\" data-cell=\"{}\" href=\"{}/{}\" title=\"{}\"></a></td>",
                            level(r.lost),
                            r.cell,
                            esc(cells_dir),
                            cell_page(r.cell),
                            esc(&tip)
                        );
                    }
                    None => {
                        let _ = write!(body, "<td{first}></td>");
                    }
                }
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</table>\n");
    }
    body.push_str("</main>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{}: redsim sweep</title>\n<style>\n{CSS}{HEAT_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(title)
    )
}
