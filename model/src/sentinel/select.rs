//! Replica selection (`sentinelSelectSlave`, `compareSlavesForPromotion`): the filter, then the
//! order. Pure: it reads the tables and the time, and says why each replica was or was not
//! chosen.

use super::instance::Instance;
use crate::observe::Candidate;
use std::cmp::Ordering;

/// The timers selection depends on.
pub(crate) struct Periods {
    pub ping_ms: i64,
    pub info_ms: i64,
    pub down_after_ms: i64,
}

/// Why `r` cannot be promoted, if it cannot.
fn exclusion(master: &Instance, r: &Instance, now: i64, p: &Periods) -> Option<String> {
    let mut max_master_down = p.down_after_ms * 10;
    if master.flags.s_down {
        max_master_down += now - master.s_down_since_time;
    }
    let info_validity = if master.flags.s_down { p.ping_ms * 5 } else { p.info_ms * 3 };
    if r.flags.s_down || r.flags.o_down {
        Some("it is SDOWN".to_string())
    } else if r.link.disconnected {
        Some("its link is disconnected".to_string())
    } else if now - r.link.last_avail_time > p.ping_ms * 5 {
        Some(format!(
            "no valid PING reply for {} ms (> {})",
            now - r.link.last_avail_time,
            p.ping_ms * 5
        ))
    } else if r.slave_priority == 0 {
        Some("replica-priority is 0".to_string())
    } else if now - r.info_refresh > info_validity {
        Some(format!("its last INFO is {} ms old (> {info_validity})", now - r.info_refresh))
    } else if r.master_link_down_time > max_master_down {
        Some(format!(
            "its master link has been down {} ms (> {max_master_down} = 10 x down-after-milliseconds + this sentinel's SDOWN time)",
            r.master_link_down_time
        ))
    } else {
        None
    }
}

/// `compareSlavesForPromotion`: lower priority, then higher offset, then smaller run id (a
/// replica with no run id yet last).
fn better(a: &Instance, b: &Instance) -> Ordering {
    a.slave_priority
        .cmp(&b.slave_priority)
        .then(b.slave_repl_offset.cmp(&a.slave_repl_offset))
        .then_with(|| match (&a.runid, &b.runid) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
        })
}

/// The index of the replica to promote (if any), and every replica weighed, best first, the
/// excluded ones after.
pub(crate) fn select(
    master: &Instance,
    replicas: &[Instance],
    now: i64,
    p: &Periods,
) -> (Option<usize>, Vec<Candidate>) {
    let mut ok: Vec<usize> = Vec::new();
    let mut excluded: Vec<(usize, String)> = Vec::new();
    for (i, r) in replicas.iter().enumerate() {
        match exclusion(master, r, now, p) {
            None => ok.push(i),
            Some(why) => excluded.push((i, why)),
        }
    }
    ok.sort_by(|&a, &b| better(&replicas[a], &replicas[b]));
    let candidate = |i: usize, why: Option<String>| Candidate {
        name: replicas[i].name.clone(),
        priority: replicas[i].slave_priority,
        offset: replicas[i].slave_repl_offset,
        run_id: replicas[i].runid.clone().unwrap_or_default(),
        excluded: why,
    };
    let mut all: Vec<Candidate> = ok.iter().map(|&i| candidate(i, None)).collect();
    all.extend(excluded.into_iter().map(|(i, w)| candidate(i, Some(w))));
    (ok.first().copied(), all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentinel::instance::Kind;

    const NOW: i64 = 1_000_000;

    fn replica(name: &str, priority: u32, offset: i64, runid: Option<&str>) -> Instance {
        let mut r = Instance::new(1, Kind::Replica, name.into(), name.into(), 6379, NOW);
        r.link.disconnected = false;
        r.link.last_avail_time = NOW - 100;
        r.info_refresh = NOW - 500;
        r.slave_priority = priority;
        r.slave_repl_offset = offset;
        r.runid = runid.map(String::from);
        r
    }

    fn master_sdown_since(t: i64) -> Instance {
        let mut m = Instance::new(0, Kind::Master, "mymaster".into(), "m".into(), 6379, NOW);
        m.flags.s_down = true;
        m.s_down_since_time = t;
        m
    }

    const P: Periods = Periods { ping_ms: 1000, info_ms: 10_000, down_after_ms: 5000 };

    fn chosen(replicas: &[Instance]) -> Option<String> {
        let (i, _) = select(&master_sdown_since(NOW - 1000), replicas, NOW, &P);
        i.map(|i| replicas[i].name.clone())
    }

    #[test]
    fn priority_then_offset_then_run_id() {
        let a = replica("a", 100, 2084, Some("4a4c"));
        let b = replica("b", 100, 2084, Some("4469"));
        assert_eq!(
            chosen(&[a.clone(), b.clone()]).as_deref(),
            Some("b"),
            "equal offsets: smaller run id"
        );
        let c = replica("c", 100, 2085, Some("ffff"));
        assert_eq!(
            chosen(&[a.clone(), b.clone(), c]).as_deref(),
            Some("c"),
            "higher offset beats run id"
        );
        let d = replica("d", 50, 1, Some("ffff"));
        assert_eq!(chosen(&[a.clone(), d]).as_deref(), Some("d"), "lower priority beats offset");
        let e = replica("e", 100, 2084, None);
        assert_eq!(chosen(&[e, a]).as_deref(), Some("a"), "no run id sorts last");
    }

    #[test]
    fn the_filter_excludes_and_says_why() {
        let zero = replica("zero", 0, 9999, Some("0"));
        let mut down = replica("down", 100, 9999, Some("1"));
        down.flags.s_down = true;
        let mut stale = replica("stale", 100, 9999, Some("2"));
        stale.info_refresh = NOW - 6000;
        let mut long_down = replica("long", 100, 9999, Some("3"));
        long_down.master_link_down_time = 52_000;
        let ok = replica("ok", 100, 1, Some("9"));
        let all = [zero, down, stale, long_down, ok];
        let (i, cands) = select(&master_sdown_since(NOW - 1000), &all, NOW, &P);
        assert_eq!(i, Some(4));
        assert_eq!(cands[0].name, "ok");
        let why: Vec<&str> = cands[1..].iter().map(|c| c.excluded.as_deref().unwrap()).collect();
        assert!(why[0].contains("replica-priority is 0"), "{why:?}");
        assert!(why[1].contains("SDOWN"));
        assert!(why[2].contains("last INFO"));
        assert!(why[3].contains("master link has been down 52000 ms (> 51000"), "{why:?}");
        // Every replica at priority 0: nobody.
        assert_eq!(chosen(&[replica("z", 0, 1, Some("1"))]), None);
    }
}
