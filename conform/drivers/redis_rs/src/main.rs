//! redsim conform's driver for redis-rs: the real `redis` crate (the release the model follows,
//! feature `sentinel`, on tokio), driven the way the simulator's model drives it, every
//! operation one JSON line on stdout.
//!
//! It keeps the `client` part of the contract `redis_py.py` describes (the observers, `probe`
//! and `final`, stay with the Python driver):
//!
//! ```text
//! redsim-conform-redis-rs client SPEC
//!     {"seq", "op": "write"|"read", "key", "value", "invoked_us", "completed_us",
//!      "node": "ip:port"|null, "result": "ok"|"error"|"timeout"|"lost", "error", "reply"}
//! ```
//!
//! SPEC is one JSON object (argv[2]); its `redis_rs` object holds the scenario's settings
//! (`connection_timeout_ms`, `response_timeout_ms`, `reuse_connection`). Times are microseconds
//! since SPEC's `t0` (Unix seconds). The process stops at SPEC's `end` or when stdin closes.
//!
//! The application is the one the model follows: a `SentinelClient` kept for the whole run,
//! the `MultiplexedConnection` it hands out kept until an operation fails (or dropped after
//! every operation when `reuse_connection` is false), then a new one asked for.

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, RedisError, Value};
use serde_json::{Value as Json, json};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn unix_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Where the client gets its connections: from Sentinel, or one fixed server.
enum Source {
    Sentinel(SentinelClient),
    Plain(Client),
}

impl Source {
    /// A new connection and the address it goes to (`SentinelClient::async_get_client`, then
    /// `get_multiplexed_async_connection_with_config`: what `get_async_connection_with_config`
    /// does, with the address kept for the record).
    async fn connect(
        &mut self,
        config: &AsyncConnectionConfig,
    ) -> Result<(MultiplexedConnection, String), RedisError> {
        let client = match self {
            Source::Sentinel(s) => s.async_get_client().await?,
            Source::Plain(c) => c.clone(),
        };
        let node = match client.get_connection_info().addr() {
            ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
            other => other.to_string(),
        };
        let conn = client.get_multiplexed_async_connection_with_config(config).await?;
        Ok((conn, node))
    }
}

/// A failed request as the outcome record's result: `timeout` (`response_timeout`: the command
/// may still run), `lost` (the connection closed with it in flight), `error` otherwise (an error
/// reply, or a connection already dead when the request was made: the crate fails it at once
/// with `broken pipe`, within `at_once`).
fn classify(err: &RedisError, at_once: bool) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if (err.is_connection_dropped() || err.is_io_error()) && !at_once {
        "lost"
    } else {
        "error"
    }
}

fn pair(v: &Json) -> Option<(String, u16)> {
    Some((v.get(0)?.as_str()?.to_string(), u16::try_from(v.get(1)?.as_u64()?).ok()?))
}

fn source(spec: &Json) -> Result<Source, String> {
    if let Some((host, port)) = spec.get("plain").and_then(pair) {
        return Client::open(format!("redis://{host}:{port}/"))
            .map(Source::Plain)
            .map_err(|e| e.to_string());
    }
    let sentinels: Vec<String> = spec["sentinels"]
        .as_array()
        .ok_or("SPEC has neither `plain` nor `sentinels`")?
        .iter()
        .filter_map(pair)
        .map(|(h, p)| format!("redis://{h}:{p}/"))
        .collect();
    let service = spec["service"].as_str().ok_or("SPEC has no `service`")?.to_string();
    let kind = if spec["replica"].as_bool() == Some(true) {
        SentinelServerType::Replica
    } else {
        SentinelServerType::Master
    };
    SentinelClient::build(sentinels, service, None, kind)
        .map(Source::Sentinel)
        .map_err(|e| e.to_string())
}

async fn run(spec: Json, stopped: Arc<AtomicBool>) -> Result<(), String> {
    let t0 = spec["t0"].as_f64().ok_or("SPEC has no `t0`")?;
    let now_us = || ((unix_s() - t0) * 1e6).round() as i64;
    let sleep_until = |at: f64| async move {
        let delay = t0 + at - unix_s();
        if delay > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(delay)).await;
        }
    };
    let writes = spec["writes_per_sec"].as_u64().unwrap_or(0);
    let reads = spec["reads_per_sec"].as_u64().unwrap_or(0);
    let total = writes + reads;
    if total == 0 {
        return Ok(());
    }
    let start = spec["start"].as_f64().unwrap_or(0.0);
    let end = spec["end"].as_f64().ok_or("SPEC has no `end`")?;
    let end = spec["stop"].as_f64().map_or(end, |s| s.min(end));
    let settings = &spec["redis_rs"];
    let ms =
        |key: &str, default: u64| Duration::from_millis(settings[key].as_u64().unwrap_or(default));
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(ms("connection_timeout_ms", 1000)))
        .set_response_timeout(Some(ms("response_timeout_ms", 500)));
    let reuse = settings["reuse_connection"].as_bool() != Some(false);
    let name = spec["name"].as_str().unwrap_or("client").to_string();

    sleep_until(start).await;
    // The application creates its client when its workload starts, as the model does.
    let mut source = source(&spec)?;
    let mut conn: Option<(MultiplexedConnection, String)> = None;
    let interval = 1.0 / total as f64;
    let (mut next_at, mut n, mut seq) = (start, 0u64, 0u64);
    let mut last_key: Option<String> = None;
    let mut out = std::io::stdout();
    while !stopped.load(Ordering::Relaxed) {
        sleep_until(next_at).await;
        if stopped.load(Ordering::Relaxed) || unix_s() - t0 >= end {
            break;
        }
        // Operation n is a write when the running share of writes crosses an integer.
        let is_write = (n + 1) * writes / total > n * writes / total;
        n += 1;
        let (key, value) = if is_write {
            let key = format!("{name}:{seq:06}");
            last_key = Some(key.clone());
            (key, Some(format!("{name}-v{seq}")))
        } else {
            (last_key.clone().unwrap_or_else(|| format!("{name}:000000")), None)
        };
        let started = unix_s();
        let mut record = json!({
            "seq": seq, "op": if is_write { "write" } else { "read" }, "key": key,
            "value": value, "invoked_us": now_us(), "node": null,
        });
        if conn.is_none() {
            match source.connect(&config).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    record["result"] = "error".into();
                    record["error"] = e.to_string().into();
                }
            }
        }
        if let Some((c, node)) = conn.as_mut() {
            record["node"] = node.clone().into();
            let mut cmd = redis::cmd(if is_write { "SET" } else { "GET" });
            cmd.arg(&key);
            if let Some(v) = &value {
                cmd.arg(v);
            }
            let sent = unix_s();
            match cmd.query_async::<Value>(c).await {
                Ok(reply) => {
                    record["result"] = "ok".into();
                    if !is_write {
                        record["reply"] = match reply {
                            Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned().into(),
                            _ => Json::Null,
                        };
                    }
                }
                Err(e) => {
                    let at_once = unix_s() - sent < 0.0002;
                    record["result"] = classify(&e, at_once).into();
                    record["error"] = e.to_string().into();
                }
            }
            if record["result"] != "ok" || !reuse {
                conn = None;
            }
        }
        record["completed_us"] = now_us().into();
        let _ = writeln!(out, "{record}");
        let _ = out.flush();
        seq += 1;
        next_at = (started + interval - t0).max(unix_s() - t0);
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("client") {
        eprintln!(
            "redsim-conform-redis-rs drives clients only: redsim-conform-redis-rs client SPEC"
        );
        std::process::exit(2);
    }
    let spec: Json = match args.next().map(|s| serde_json::from_str(&s)) {
        Some(Ok(spec)) => spec,
        _ => {
            eprintln!("redsim-conform-redis-rs: SPEC (argv[2]) is not a JSON object");
            std::process::exit(2);
        }
    };
    let stopped = Arc::new(AtomicBool::new(false));
    let flag = stopped.clone();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        flag.store(true, Ordering::Relaxed);
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(rt) => rt.block_on(run(spec, stopped)),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        eprintln!("redsim-conform-redis-rs: {e}");
        std::process::exit(1);
    }
}
