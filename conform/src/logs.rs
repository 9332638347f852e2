//! The real processes' log files, read: Sentinel's events, its run id, and the promotions a
//! server logs (`MASTER MODE enabled (user request from '... name=sentinel-<id8>-cmd ...')`;
//! Valkey writes `PRIMARY MODE enabled`). Lines look like
//! `2183:X 07 Dec 2026 13:45:29.123 # +sdown master mymaster 10.162.29.37 6371`: pid and role
//! letter, the local time (conform runs every process with `TZ=UTC`), the level mark, the message.

/// One parsed log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Unix time in milliseconds.
    pub unix_ms: u64,
    /// The message after the level mark.
    pub message: &'a str,
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses one line; `None` for anything that is not a timestamped log line (the ASCII logo).
pub fn parse(line: &str) -> Option<Line<'_>> {
    let mut rest = line.trim_end();
    let mut next = || -> Option<&str> {
        let s = rest.trim_start();
        let end = s.find(' ').unwrap_or(s.len());
        let (word, tail) = s.split_at(end);
        rest = tail;
        (!word.is_empty()).then_some(word)
    };
    let pid_role = next()?;
    if !pid_role.contains(':') {
        return None;
    }
    let day: u32 = next()?.parse().ok()?;
    let month_name = next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year: i64 = next()?.parse().ok()?;
    let clock = next()?;
    let _level = next()?;
    let (hms, millis) = clock.split_once('.')?;
    let mut hms = hms.split(':').map(|x| x.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let millis: u64 = millis.parse().ok()?;
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let unix_ms = ((days * 24 + h) * 60 + m) * 60_000 + s * 1000 + millis;
    Some(Line { unix_ms, message: rest.trim_start() })
}

/// A Sentinel event: `(unix ms, token, detail)` for a message such as `+sdown master ...`.
pub fn event<'a>(line: &Line<'a>) -> Option<(&'a str, &'a str)> {
    let (token, detail) = line.message.split_once(' ').unwrap_or((line.message, ""));
    let is_event = (token.starts_with('+') || token.starts_with('-'))
        && token.len() > 1
        && token[1..].chars().all(|c| c.is_ascii_lowercase() || c == '-');
    is_event.then_some((token, detail))
}

/// The run id a sentinel logs at startup (`Sentinel ID is <40 hex digits>`).
pub fn sentinel_id(line: &Line<'_>) -> Option<String> {
    line.message.strip_prefix("Sentinel ID is ").map(|id| id.trim().to_string())
}

/// A promotion a server logs: the client name of the connection that sent `REPLICAOF NO ONE`
/// (empty for an unnamed one, redis-cli's).
pub fn promotion<'a>(line: &Line<'a>) -> Option<&'a str> {
    let m = line.message;
    let rest = m
        .strip_prefix("MASTER MODE enabled (user request from '")
        .or_else(|| m.strip_prefix("PRIMARY MODE enabled (user request from '"))?;
    Some(
        rest.split(' ')
            .find_map(|kv| kv.strip_prefix("name="))
            .unwrap_or("")
            .trim_end_matches(['\'', ')']),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTINEL: &str = include_str!("../tests/fixtures/sentinel-7.0.log");
    const SERVER: &str = include_str!("../tests/fixtures/redis-7.0-promoted.log");
    const VALKEY: &str = include_str!("../tests/fixtures/valkey-9.1-replica.log");
    const VALKEY_PROMOTED: &str = include_str!("../tests/fixtures/valkey-9.1-promoted.log");

    #[test]
    fn timestamps_are_utc_milliseconds() {
        let l = parse("2183:X 07 Dec 2026 13:45:29.123 # +sdown master mymaster 10.162.29.37 6371")
            .unwrap();
        assert_eq!(l.unix_ms, 1_796_651_129_123);
        assert_eq!(l.message, "+sdown master mymaster 10.162.29.37 6371");
        assert_eq!(parse("1:X 29 Feb 2024 00:00:00.000 * x").unwrap().unix_ms, 1_709_164_800_000);
        assert!(
            parse("                _._                                                  ")
                .is_none()
        );
        assert!(parse("").is_none());
    }

    #[test]
    fn a_real_sentinel_log_gives_its_id_and_events() {
        let lines: Vec<Line> = SENTINEL.lines().filter_map(parse).collect();
        assert!(lines.iter().filter_map(sentinel_id).any(|id| id.len() == 40));
        let events: Vec<&str> = lines.iter().filter_map(event).map(|(t, _)| t).collect();
        for want in ["+monitor", "+sdown", "+odown", "+switch-master"] {
            assert!(events.contains(&want), "{want} in {events:?}");
        }
        assert!(!events.iter().any(|e| !e.starts_with(['+', '-'])));
        let (_, detail) =
            lines.iter().filter_map(event).find(|(t, _)| *t == "+switch-master").unwrap();
        assert!(detail.starts_with("mymaster "), "{detail}");
    }

    #[test]
    fn a_real_server_log_gives_the_promoting_sentinel() {
        let names: Vec<&str> =
            SERVER.lines().filter_map(parse).filter_map(|l| promotion(&l)).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].starts_with("sentinel-") && names[0].ends_with("-cmd"), "{names:?}");
        // Every line of a real Valkey log parses (its banner and PRIMARY wording included).
        let lines: Vec<&str> =
            VALKEY.lines().filter(|l| l.contains(" * ") || l.contains(" # ")).collect();
        assert!(lines.iter().all(|l| parse(l).is_some()), "{lines:?}");
        assert!(
            lines
                .iter()
                .filter_map(|l| parse(l))
                .any(|l| l.message.starts_with("Connecting to PRIMARY"))
        );
        // Valkey redacts the client name: the promoter is then found from the sentinels' events.
        let redacted: Vec<&str> =
            VALKEY_PROMOTED.lines().filter_map(parse).filter_map(|l| promotion(&l)).collect();
        assert_eq!(redacted, ["*redacted*"]);
        let valkey = parse("7:M 07 Dec 2026 10:00:00.000 * PRIMARY MODE enabled (user request from 'id=3 addr=10.0.0.1:5 laddr=10.0.0.2:6379 fd=9 name= age=0')").unwrap();
        assert_eq!(promotion(&valkey), Some(""));
    }
}
