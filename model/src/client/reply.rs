//! How the clients read what comes back: reply values, `SENTINEL` maps and their fields, and
//! connection errors in redis-py's words.

use crate::resp::{Reply, Text};
use sim::ConnectError;

pub(super) fn connect_error(e: ConnectError) -> &'static str {
    match e {
        ConnectError::Refused => "Connection refused",
        ConnectError::TimedOut => "Connection timed out",
    }
}

/// The value of a successful reply, as the application would print it.
pub(super) fn reply_value(r: &Reply, ok: &Text) -> Option<Text> {
    match r {
        Reply::Ok => Some(ok.clone()),
        Reply::Bulk(v) => v.as_deref().map(Text::from),
        Reply::Array(None) => None,
        other => Some(other.to_string().into()),
    }
}

/// `SENTINEL MASTERS` / `REPLICAS` replies: arrays of flat field/value arrays.
pub(super) fn parse_maps(r: &Reply) -> Vec<Vec<(String, String)>> {
    let Reply::Array(Some(items)) = r else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            let Reply::Array(Some(kv)) = item else { return None };
            let s = |r: &Reply| match r {
                Reply::Bulk(Some(s)) => s.clone(),
                other => other.to_string(),
            };
            Some(kv.chunks(2).filter(|p| p.len() == 2).map(|p| (s(&p[0]), s(&p[1]))).collect())
        })
        .collect()
}

pub(super) fn field<'a>(e: &'a [(String, String)], name: &str) -> Option<&'a str> {
    e.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub(super) fn flag(e: &[(String, String)], name: &str) -> bool {
    field(e, "flags").is_some_and(|f| f.split(',').any(|x| x == name))
}
