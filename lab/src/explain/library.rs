//! Which library a client runs, named as the story names it, and the notes the library wrote
//! for it (every modelled library writes `Note::Library`).

use super::t;
use crate::record::Record;
use crate::scenario::ClientSpec;
use model::client::Library;
use model::client::go_redis::settings::GO_REDIS_RELEASE;
use model::client::ioredis::settings::IOREDIS_RELEASE;
use model::client::node_redis::settings::NODE_REDIS_RELEASE;
use model::client::redis_rs::settings::REDIS_RS_RELEASE;
use model::client::stackexchange::settings::STACKEXCHANGE_RELEASE;
use model::observe::Note;

/// `redis-py 8.1`, `valkey-py 6.1`, `ioredis 5.11.1`, `node-redis 6.2.1`, `redis-rs 1.8.2`,
/// `go-redis v9.22.0`.
pub(super) fn library(c: &ClientSpec) -> String {
    match &c.library {
        Library::RedisPy(py) => py.name(),
        Library::Ioredis(_) => format!("ioredis {IOREDIS_RELEASE}"),
        Library::NodeRedis(_) => format!("node-redis {NODE_REDIS_RELEASE}"),
        Library::RedisRs(_) => format!("redis-rs {REDIS_RS_RELEASE}"),
        Library::GoRedis(_) => format!("go-redis {GO_REDIS_RELEASE}"),
        Library::StackExchange(_) => format!("StackExchange.Redis {STACKEXCHANGE_RELEASE}"),
    }
}

/// The library's name without its version: `ioredis`, `node-redis`, `redis-rs`, `go-redis`.
pub(super) fn library_name(c: &ClientSpec) -> &'static str {
    match &c.library {
        Library::RedisPy(py) if py.valkey_py.is_some() => "valkey-py",
        Library::RedisPy(_) => "redis-py",
        Library::Ioredis(_) => "ioredis",
        Library::NodeRedis(_) => "node-redis",
        Library::RedisRs(_) => "redis-rs",
        Library::GoRedis(_) => "go-redis",
        Library::StackExchange(_) => "StackExchange.Redis",
    }
}

/// The client's own notes (any library's, named by it), consecutive repeats folded:
/// `(time, line)`.
pub(super) fn lines(r: &Record, c: &ClientSpec) -> Vec<(u64, String)> {
    let (client, label) = (c.name.as_str(), library_name(c));
    let mut out: Vec<(u64, String, u32, u64)> = Vec::new();
    for e in &r.entries {
        let Note::Library(n) = &e.note else { continue };
        if n.client != client {
            continue;
        }
        let at = e.at.as_micros();
        match out.last_mut() {
            Some(last) if last.1 == n.text => {
                last.2 += 1;
                last.3 = at;
            }
            _ => out.push((at, n.text.clone(), 1, at)),
        }
    }
    out.into_iter()
        .map(|(at, text, n, until)| {
            let times =
                if n > 1 { format!(" ({n} times, until {})", t(until)) } else { String::new() };
            (at, format!("{:>9}  {label}: {text}{times}", t(at)))
        })
        .collect()
}
