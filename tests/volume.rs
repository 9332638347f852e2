//! The byte-sized scenarios do what their descriptions say: the log lines of each phase, at the
//! times the bytes give (read from the recorded trace of a run of the binary).

mod common;

use common::redsim;

/// (time in ms, process index, log text) of every log line of a run of `scenario`.
fn logs(scenario: &str) -> Vec<(u64, u64, String)> {
    let (code, out, err) = redsim(&["run", scenario, "--trace", "-"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["note"]["note"] == "log")
        .map(|v| {
            let t = v["t"].as_u64().unwrap() / 1000;
            (t, v["pid"].as_u64().unwrap(), v["note"]["text"].as_str().unwrap().to_string())
        })
        .collect()
}

fn times(logs: &[(u64, u64, String)], pid: u64, text: &str) -> Vec<u64> {
    logs.iter().filter(|(_, p, l)| *p == pid && l.contains(text)).map(|(t, ..)| *t).collect()
}

#[test]
fn heavy_writes_restart_the_full_sync_until_they_stop() {
    let l = logs("traces/sync-loop.toml");
    let closed =
        times(&l, 0, "scheduled to be closed ASAP for overcoming of output buffer limits.");
    let cut = times(&l, 1, "I/O error trying to sync with MASTER: connection lost");
    assert!(closed.len() >= 5, "{closed:?}");
    assert_eq!(closed.len(), cut.len());
    // Never done while the writes go on (until 120 s); done once, after.
    let done = times(&l, 1, "MASTER <-> REPLICA sync: Finished with success");
    assert_eq!(done.len(), 1);
    assert!(done[0] > 120_000 && closed.iter().all(|&t| t < done[0]));
    // The RDB of 1 GB takes about 80 s at 100 Mbit/s and 3.4 s to load at 300 MB/s.
    let loading = times(&l, 1, "MASTER <-> REPLICA sync: Loading DB in memory");
    assert!((3_000..4_000).contains(&(done[0] - loading[0])), "{loading:?} {done:?}");
}

#[test]
fn a_backlog_too_small_for_the_cut_forces_a_full_resync() {
    let l = logs("traces/backlog-overrun.toml");
    assert_eq!(times(&l, 0, "for lack of backlog").len(), 1);
    assert_eq!(times(&l, 1, "Full resync from master").len(), 1);
    assert_eq!(
        times(&l, 2, "Partial resynchronization request from 10.0.0.4:6379 accepted").len(),
        2
    );
    assert!(times(&l, 3, "Full resync from master").is_empty());
}

#[test]
fn the_restarted_master_of_a_large_dataset_loads_for_its_bytes() {
    let l = logs("traces/large-dataset-failover.toml");
    let full = times(&l, 0, "Full resync from master");
    let loading = times(&l, 0, "MASTER <-> REPLICA sync: Loading DB in memory");
    let done = times(&l, 0, "MASTER <-> REPLICA sync: Finished with success");
    assert_eq!((full.len(), loading.len(), done.len()), (1, 1, 1));
    // 10 GB at 1 Gbit/s: 80 s on the wire; loaded at 300 MB/s: about 34 s.
    assert!((80_000..84_000).contains(&(loading[0] - full[0])), "{full:?} {loading:?}");
    assert!((33_000..35_000).contains(&(done[0] - loading[0])), "{loading:?} {done:?}");
    // Meanwhile (150 s) a GET gets -LOADING and INFO says loading:1.
    let (_, out, _) = redsim(&["run", "traces/large-dataset-failover.toml", "--trace", "-"]);
    let ops: Vec<&str> =
        out.lines().filter(|l| l.contains("\"client\":\"redis-cli@app\"")).collect();
    assert!(
        ops.iter()
            .any(|l| l.contains("\"error\":\"LOADING Redis is loading the dataset in memory\""))
    );
    assert!(ops.iter().any(|l| l.contains("loading:1")));
}

/// `logs` of `traces/large-dataset-failover.toml` with `extra` top-level lines and no `[expect]`
/// (the story differs), run from `name`.
fn logs_of_variant(name: &str, extra: &str) -> Vec<(u64, u64, String)> {
    let text = std::fs::read_to_string("traces/large-dataset-failover.toml").unwrap();
    let text = text.split("[expect]").next().unwrap();
    let path = common::tmp(name);
    std::fs::write(&path, format!("{extra}\n{text}")).unwrap();
    logs(&path)
}

#[test]
fn a_disk_based_sync_of_10_gb_is_online_after_the_transfer_and_pinged_during_the_load() {
    // redis-6.2 syncs through the disk: 80 s on the wire plus 34 s of load exceed repl-timeout
    // (60 s), yet the loading replica's newlines keep the master from timing it out.
    let l = logs_of_variant("disk-sync-10gb.toml", "server = \"redis-6.2\"");
    assert!(times(&l, 1, "Disconnecting timedout replica").is_empty());
    assert!(times(&l, 2, "Disconnecting timedout replica").is_empty());
    let full = times(&l, 0, "Full resync from master");
    let done = times(&l, 0, "MASTER <-> REPLICA sync: Finished with success");
    assert_eq!((full.len(), done.len()), (1, 1), "{full:?} {done:?}");
    // The new master says the sync succeeded when the RDB has crossed (80 s), not at the fork.
    let ok: Vec<u64> = (1..3)
        .flat_map(|p| times(&l, p, "Synchronization with replica 10.0.0.1:6379 succeeded"))
        .collect();
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert!((80_000..84_000).contains(&(ok[0] - full[0])), "{full:?} {ok:?}");
    // A disk-based transfer announces its size (`$<count>`), not an EOF mark.
    let sized = times(&l, 0, " bytes from master to disk");
    assert_eq!(sized.len(), 1, "{l:?}");
    assert!(times(&l, 0, "receiving streamed RDB from master with EOF").is_empty());
    let line = &l.iter().find(|(_, p, t)| *p == 0 && t.contains("bytes from master")).unwrap().2;
    let n: u64 = line.split_whitespace().nth(5).unwrap().parse().unwrap();
    assert!(n > 10_000_000_000, "{line}");
}

#[test]
fn a_flowing_transfer_on_a_slow_link_never_trips_the_replicas_repl_timeout() {
    // 1 GB at 100 Mbit/s with repl-timeout 5: 80 s on the wire, bytes arriving all along.
    let scenario = r#"
name = "slow-transfer"
duration = "100s"
[network]
bandwidth = "100Mbit"
[[host]]
name = "a"
[[host]]
name = "b"
[[redis]]
host = "a"
port = 6379
dataset = { keys = 1_000_000, value-size = "1kb" }
[[redis]]
host = "b"
port = 6379
config = { replicaof = "a 6379", repl-timeout = 5 }
"#;
    let path = common::tmp("slow-transfer.toml");
    std::fs::write(&path, scenario).unwrap();
    let l = logs(&path);
    assert!(times(&l, 1, "Timeout receiving bulk data").is_empty(), "{l:?}");
    let done = times(&l, 1, "MASTER <-> REPLICA sync: Finished with success");
    assert_eq!(done.len(), 1, "{l:?}");
    assert!((80_000..95_000).contains(&done[0]), "{done:?}");
}

#[test]
fn redis_7_never_lets_a_replicas_hard_limit_be_below_the_backlog_size() {
    let text = std::fs::read_to_string("traces/sync-loop.toml").unwrap();
    let first_close = |name: &str, text: &str| {
        let path = common::tmp(name);
        std::fs::write(&path, text).unwrap();
        let l = logs(&path);
        times(&l, 0, "for overcoming of output buffer limits")[0]
    };
    // The scenario's 256kb backlog keeps the 256kb hard limit: closed once it fills (about 13 s).
    let hard = first_close("sync-loop-256kb.toml", &text);
    // With the default 1mb backlog the hard limit is 1mb: the soft limit (64kb for 10 s) closes
    // it later.
    let default_backlog = text.replace(", repl-backlog-size = \"256kb\"", "");
    assert_ne!(default_backlog, text);
    let soft = first_close("sync-loop-1mb.toml", &default_backlog);
    assert!(soft > hard + 3_000, "{hard} {soft}");
    // Redis 6.2 has no such floor: with the 1mb backlog its 256kb hard limit still closes early.
    let old =
        first_close("sync-loop-62.toml", &format!("server = \"redis-6.2\"\n{default_backlog}"));
    assert!(old + 3_000 < soft, "{old} {soft}");
}

#[test]
fn valkey_loads_a_downloaded_mass_for_its_bytes_answering_loading() {
    let l = logs_of_variant("valkey-10gb.toml", "server = \"valkey-9.1\"");
    let start = times(&l, 0, "Loading the RDB and finalizing primary-replica sync...");
    // (The restarts at 0 s and 40 s load an RDB from disk too.)
    let done: Vec<u64> =
        times(&l, 0, "DB loaded from disk").into_iter().filter(|&t| t > 40_000).collect();
    assert_eq!((start.len(), done.len()), (1, 1), "{start:?} {done:?}");
    // 10 GB loaded at 300 MB/s: about 34 s after the main thread picks the download up.
    assert!((33_000..35_000).contains(&(done[0] - start[0])), "{start:?} {done:?}");
    let (_, out, _) = redsim(&["run", &common::tmp("valkey-10gb.toml"), "--trace", "-"]);
    assert!(
        out.lines().any(
            |l| l.contains("\"client\":\"redis-cli@app\"") && l.contains("\"error\":\"LOADING")
        )
    );
}

#[test]
fn a_disk_based_replica_is_send_bulk_in_info_while_its_rdb_crosses() {
    let text = std::fs::read_to_string("traces/large-dataset-failover.toml").unwrap();
    let text = text.split("[expect]").next().unwrap();
    let info = "[[event]]\nat = \"100s\"\ncommand = [\"INFO\", \"replication\"]\non = \"10.0.0.3:6379\"\nfrom = \"app\"\n";
    let path = common::tmp("disk-sync-info.toml");
    std::fs::write(&path, format!("server = \"redis-6.2\"\n{text}{info}")).unwrap();
    let (code, out, err) = redsim(&["run", &path, "--trace", "-"]);
    assert_eq!(code, 0, "{err}");
    // At 100 s the restarted old master's RDB (from 50 s, 80 s on the wire) is still crossing.
    let reply = out
        .lines()
        .find(|l| l.contains("\"client\":\"redis-cli@app\"") && l.contains("connected_slaves"))
        .expect("the INFO reply");
    assert!(reply.contains("ip=10.0.0.1,port=6379,state=send_bulk"), "{reply}");
}
