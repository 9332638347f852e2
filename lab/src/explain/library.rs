//! Which library a client runs, named as the story names it, and the notes the library wrote
//! for it (every modelled library writes `Note::Library`).

use super::t;
use crate::record::Record;
use crate::scenario::ClientSpec;
use model::client::Library;
use model::client::go_redis::settings::GO_REDIS_RELEASE;
use model::client::ioredis::settings::IOREDIS_RELEASE;
use model::client::jedis::settings::JEDIS_RELEASE;
use model::client::lettuce::settings::LETTUCE_RELEASE;
use model::client::node_redis::settings::NODE_REDIS_RELEASE;
use model::client::redis_rs::settings::REDIS_RS_RELEASE;
use model::client::redisson::settings::REDISSON_RELEASE;
use model::client::stackexchange::settings::STACKEXCHANGE_RELEASE;
use model::observe::Note;

/// `redis-py 8.1`, `valkey-py 6.1`, `ioredis 5.11.1`, `node-redis 6.2.1`, `redis-rs 1.8.2`,
/// `Jedis 7.5.3`, `go-redis v9.22.0`, `Lettuce 7.7.0.RELEASE`, `Redisson 4.7.0`.
pub(super) fn library(c: &ClientSpec) -> String {
    match &c.library {
        Library::RedisPy(py) => py.name(),
        Library::Ioredis(_) => format!("ioredis {IOREDIS_RELEASE}"),
        Library::NodeRedis(_) => format!("node-redis {NODE_REDIS_RELEASE}"),
        Library::RedisRs(_) => format!("redis-rs {REDIS_RS_RELEASE}"),
        Library::Jedis(_) => format!("Jedis {JEDIS_RELEASE}"),
        Library::GoRedis(_) => format!("go-redis {GO_REDIS_RELEASE}"),
        Library::Lettuce(_) => format!("Lettuce {LETTUCE_RELEASE}"),
        Library::Redisson(_) => format!("Redisson {REDISSON_RELEASE}"),
        Library::StackExchange(_) => format!("StackExchange.Redis {STACKEXCHANGE_RELEASE}"),
    }
}

/// The library's name without its version: `ioredis`, `node-redis`, `redis-rs`, `jedis`,
/// `go-redis`, `lettuce`, `redisson`.
pub(super) fn library_name(c: &ClientSpec) -> &'static str {
    match &c.library {
        Library::RedisPy(py) if py.valkey_py.is_some() => "valkey-py",
        Library::RedisPy(_) => "redis-py",
        Library::Ioredis(_) => "ioredis",
        Library::NodeRedis(_) => "node-redis",
        Library::RedisRs(_) => "redis-rs",
        Library::Jedis(_) => "jedis",
        Library::GoRedis(_) => "go-redis",
        Library::Lettuce(_) => "lettuce",
        Library::Redisson(_) => "redisson",
        Library::StackExchange(_) => "StackExchange.Redis",
    }
}

/// How the library finds the master through the sentinels, one sentence (the field report's
/// first question, asked of each library a sentinel client runs).
pub(super) fn discovery(c: &ClientSpec) -> &'static str {
    match &c.library {
        Library::RedisPy(_) => {
            "when it opens a connection it asks them in turn (SENTINEL MASTERS), skips any that flags the master down, and connects to the address named"
        }
        Library::Ioredis(_) => {
            "each (re)connect asks them in list order from the one after the sentinel that answered last (SENTINEL GET-MASTER-ADDR-BY-NAME, no flag checked) and connects to the address named"
        }
        Library::NodeRedis(_) => {
            "it asks the first sentinel that answers (SENTINEL SENTINELS, MASTER and REPLICAS), refuses a master flagged down or in failover, keeps its master clients connected, and asks again on any message its sentinel client's pattern subscription hears"
        }
        Library::RedisRs(_) => {
            "each connection it is asked for asks them in list order (SENTINEL MASTERS, never reordered), checks the named master with ROLE and connects to it"
        }
        Library::Jedis(_) => {
            "the pool asks them once, in the iteration order of the application's HashSet (SENTINEL GET-MASTER-ADDR-BY-NAME, no flag or ROLE checked), and a listener per sentinel subscribed to +switch-master replaces the pool when one announces a new master"
        }
        Library::GoRedis(_) => {
            "each new connection asks the sentinel it cached (SENTINEL GET-MASTER-ADDR-BY-NAME, no flag or ROLE checked), or all of them at once, shuffled, keeping the first to answer; a +switch-master subscription on the cached sentinel closes the connections to the old master"
        }
        Library::Lettuce(_) => {
            "each connect and reconnect asks them in list order, moving on only when a sentinel cannot be connected to (SENTINEL GET-MASTER-ADDR-BY-NAME, no flag or ROLE checked), and connects to the address named; nothing subscribes to +switch-master"
        }
        Library::Redisson(_) => {
            "no subscription: every scanInterval it asks the first reachable sentinel of a freshly shuffled list (SENTINEL GET-MASTER-ADDR-BY-NAME, no flag or ROLE checked) and moves to whatever address it names"
        }
        Library::StackExchange(_) => {
            "it asks them all at once (SENTINEL GET-MASTER-ADDR-BY-NAME, the first answer wins, no flag checked), checks the address with ROLE, and asks again on +switch-master and, every second, after a lost connection"
        }
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
