//! A client library's part of the story: which library and version a client is and what that
//! version decides, and the retries its `Retry` made, told in runs (one command on one node).

use super::library::library;
use super::t;
use crate::record::Record;
use crate::scenario::{ClientMode, ClientSpec, Scenario};
use model::client::Library;
use model::client::library::{Backoff, Retry};
use model::observe::Note;
use std::collections::BTreeMap;

/// True when a client of the scenario is not the default redis-py 5.0: then every client's
/// library is named.
pub(super) fn libraries_matter(s: &Scenario) -> bool {
    s.clients.iter().any(|c| c.library != Library::default())
}

fn retry_text(r: &Retry) -> String {
    if r.retries == 0 {
        return "not retried".to_string();
    }
    let backoff = match r.backoff {
        Backoff::None => "no backoff".to_string(),
        Backoff::ExponentialWithJitter { base, cap } => {
            format!("exponential backoff with jitter, base {base}, cap {cap}")
        }
    };
    format!("retried up to {} times ({backoff})", r.retries)
}

/// What the client's version decides, one sentence.
pub(super) fn rules(c: &ClientSpec) -> String {
    let lib = match &c.library {
        Library::RedisPy(py) => py,
        Library::Ioredis(io) => return super::ioredis::rules(c, io),
        Library::NodeRedis(nr) => return super::node_redis::rules(nr),
        Library::RedisRs(rs) => return super::redis_rs::rules(c, rs),
        Library::Jedis(jd) => return super::jedis::rules(c, jd),
        Library::GoRedis(go) => return super::go_redis::rules(c, go),
        Library::Lettuce(lt) => return super::lettuce::rules(c, lt),
        Library::Redisson(rd) => return super::redisson::rules(c, rd),
        Library::StackExchange(se) => return super::stackexchange::rules(c, se),
    };
    let plain = matches!(c.mode, ClientMode::Plain(_));
    let mut parts =
        vec![format!("socket_connect_timeout {}", lib.connect_timeout(c.socket_timeout))];
    if !plain {
        parts.push(format!("sentinel queries {}", retry_text(&lib.sentinel_retry())));
    }
    parts.push(format!("commands {}", retry_text(&lib.data_retry(plain))));
    format!("{}: {}", library(c), parts.join("; "))
}

/// A client's consecutive retries of one command on one node.
pub(super) struct Run {
    /// The first retry.
    pub at_us: u64,
    /// The last one.
    pub until_us: u64,
    command: String,
    node: String,
    /// Caught by the loop around the command, and around the connects.
    by_command: u32,
    by_connect: u32,
    backoff_us: u64,
    errors: BTreeMap<String, usize>,
}

/// The runs of `client`'s retries, in time order.
pub(super) fn runs(r: &Record, client: &str) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for e in &r.entries {
        let Note::Retry(n) = &e.note else { continue };
        if n.client != client {
            continue;
        }
        let at = e.at.as_micros();
        let same = runs.last().is_some_and(|l| l.command == n.command && l.node == n.node);
        if !same {
            runs.push(Run {
                at_us: at,
                until_us: at,
                command: n.command.clone(),
                node: n.node.clone(),
                by_command: 0,
                by_connect: 0,
                backoff_us: 0,
                errors: BTreeMap::new(),
            });
        }
        let run = runs.last_mut().expect("pushed");
        run.until_us = at;
        if n.caught_by == "command" {
            run.by_command += 1;
        } else {
            run.by_connect += 1;
        }
        run.backoff_us += n.backoff_us;
        *run.errors.entry(n.error.clone()).or_default() += 1;
    }
    runs
}

impl Run {
    /// `redis-py 8.1 retried SENTINEL MASTERS on 10.0.0.1:26379 110 times (...)`.
    pub(super) fn describe(&self, library: &str) -> String {
        let n = self.by_command + self.by_connect;
        let errors: Vec<String> = self.errors.iter().map(|(e, k)| format!("{k} x {e}")).collect();
        let on = if self.node.is_empty() { String::new() } else { format!(" on {}", self.node) };
        format!(
            "{library} retried {}{on} {n} times until {} ({} by the retry around the command, {} by the one around its connects; {} of backoff): {}",
            self.command,
            t(self.until_us),
            self.by_command,
            self.by_connect,
            t(self.backoff_us),
            errors.join("; ")
        )
    }
}
