//! `redsim sweep A.toml B.toml`: one fault space on two deployments of the same topology, side
//! by side: each table cell shows both outcomes where they differ.

use super::space::Space;
use super::table::{Over, family_tables};
use crate::paint::Paint;
use std::fmt::Write;

/// Whether `b`'s faults are `a`'s (same hosts and processes, so the same cells mean the same).
pub fn same_faults(a: &Space, b: &Space) -> Result<(), String> {
    let names = |s: &Space| s.faults.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    let (na, nb) = (names(a), names(b));
    if na == nb {
        return Ok(());
    }
    let diff = na.iter().zip(&nb).find(|(x, y)| x != y).map_or_else(
        || format!("{} faults against {}", na.len(), nb.len()),
        |(x, y)| format!("`{x}` against `{y}`"),
    );
    Err(format!(
        "the two deployments do not have the same fault space ({diff}): compare deployments \
         with the same hosts, processes and master"
    ))
}

/// The side-by-side tables (`A/B` where the cells differ) and a count of the differences.
pub fn render(space: &Space, a: &[Vec<Over>], b: &[Vec<Over>], paint: Paint) -> String {
    let (mut differ, mut total) = (0, 0);
    let mut s = family_tables(
        space,
        11,
        |_| true,
        |f, d| {
            total += 1;
            let (ta, tb) = (a[f][d].text(), b[f][d].text());
            if ta == tb {
                format!("{ta:>11}")
            } else {
                differ += 1;
                paint.bad(&format!("{:>11}", format!("{ta}/{tb}")))
            }
        },
    );
    let _ = writeln!(s, "\n{differ} of {total} (fault, duration) cells differ");
    s
}
