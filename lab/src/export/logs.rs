//! `redsim export --format logs`: one log file per Redis server and sentinel, in Redis's own line
//! format (`serverLogRaw`): `<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>`, e.g.
//! `8073:X 24 Nov 2026 16:58:49.015 # +sdown master mymaster 10.162.29.33 6371`, so an operator
//! can grep them as on a real host.
//!
//! Dates are each process's wall clock (clock jumps included). Files hold what the default
//! `loglevel notice` writes (`*` and `#` lines). A Redis server's pid is the one its
//! `just started` line names (a restart gets a new one); sentinels do not model a pid, so their
//! lines carry a stand-in derived from the process name, the same in every run.

use crate::record::{Change, Record};
use crate::run::WALL_CLOCK_BASE_US;
use model::observe::{Level, Note, log_time};

/// The log line of every entry that is a log note (`None` for other notes), indexed like
/// `r.entries`.
pub fn lines(r: &Record) -> Vec<Option<String>> {
    let mut offset_us: Vec<i64> = vec![0; r.processes.len()];
    let mut pid_of: Vec<u32> = r.processes.iter().map(|p| stand_in_pid(&p.name)).collect();
    let mut jumps = r
        .kernel
        .iter()
        .filter_map(|k| match k.change {
            Change::ClockJump { pid, by_us } => Some((k.at, pid, by_us)),
            _ => None,
        })
        .peekable();
    r.entries
        .iter()
        .map(|e| {
            while let Some(&(at, pid, by_us)) = jumps.peek() {
                if at > e.at {
                    break;
                }
                if let Some(o) = offset_us.get_mut(pid) {
                    *o += by_us;
                }
                jumps.next();
            }
            let Note::Log { level, role, event, text } = &e.note else { return None };
            if let Some(pid) = started_pid(text) {
                pid_of[e.pid] = pid;
            }
            let wall = WALL_CLOCK_BASE_US
                .saturating_add_signed(offset_us[e.pid])
                .saturating_add(e.at.as_micros());
            let message = match event {
                Some(ev) => format!("{ev} {text}"),
                None => text.clone(),
            };
            Some(format!("{}:{role} {} {} {message}", pid_of[e.pid], log_time(wall), level.mark()))
        })
        .collect()
}

/// The pid in Redis's `Redis version=7.0.15, ..., pid=40379, just started`.
fn started_pid(text: &str) -> Option<u32> {
    let rest = text.strip_suffix(", just started")?;
    rest.rsplit_once("pid=")?.1.parse().ok()
}

/// A pid for a process that does not log one: FNV-1a of its name, in Linux's default pid range.
fn stand_in_pid(name: &str) -> u32 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    300 + (h % 32_000) as u32
}

/// The file name of a process's log: `redis-10.162.29.33-6371.log`, `sentinel-...-27001.log`.
fn file_name(r: &Record, pid: usize) -> String {
    let p = &r.processes[pid];
    let kind = match p.kind {
        crate::record::ProcKind::Redis => "redis",
        crate::record::ProcKind::Sentinel => "sentinel",
        crate::record::ProcKind::Client | crate::record::ProcKind::Cli => "client",
    };
    let safe: String = p
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    format!("{kind}-{safe}.log")
}

/// One `(file name, contents)` per process that wrote a line at `loglevel notice`, in process
/// order.
pub fn files(r: &Record) -> Vec<(String, String)> {
    let lines = lines(r);
    let mut contents: Vec<String> = vec![String::new(); r.processes.len()];
    for (e, line) in r.entries.iter().zip(&lines) {
        if let (Some(line), Note::Log { level, .. }) = (line, &e.note) {
            if *level >= Level::Notice {
                contents[e.pid].push_str(line);
                contents[e.pid].push('\n');
            }
        }
    }
    contents
        .into_iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(pid, c)| (file_name(r, pid), c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_come_from_the_started_line() {
        let line =
            "Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=40379, just started";
        assert_eq!(started_pid(line), Some(40379));
        assert_eq!(started_pid("Server initialized"), None);
        let p = stand_in_pid("10.162.29.33:27001");
        assert!((300..32_300).contains(&p));
        assert_eq!(p, stand_in_pid("10.162.29.33:27001"));
    }
}
