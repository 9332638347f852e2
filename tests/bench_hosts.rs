//! `redsim bench hosts`: a scenario grown to many hosts builds with one link per host pair in use,
//! not a table of every pair (the figures themselves are in the README's Performance section).

mod common;
use common::redsim;

#[test]
fn a_grown_scenario_stores_only_the_links_its_clients_use() {
    let (code, out, err) = redsim(&[
        "bench",
        "hosts",
        "--scenario",
        "traces/explore-partition.toml",
        "--hosts",
        "2000",
        "--duration",
        "3s",
    ]);
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(line["hosts"], 2000);
    assert_eq!(line["clients"], 1997, "one client per added host, plus the scenario's own");
    let links = line["links_created"].as_u64().unwrap();
    // A loopback per host, a link from each added client to its server, and the scenario's own
    // few: linear in hosts, where a full table would hold 2000 x 1999 / 2 pairs.
    assert!((3990..4100).contains(&links), "{links} links");
    assert!(line["events"].as_u64().unwrap() > 2000, "every client wrote");
}

#[test]
fn a_scenario_without_a_server_is_refused() {
    let empty = common::tmp("no-redis.toml");
    std::fs::write(&empty, "name = \"x\"\nduration = \"1s\"\n[[host]]\nname = \"a\"\n").unwrap();
    let (code, _, err) = redsim(&["bench", "hosts", "--scenario", &empty, "--hosts", "5"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no [[redis]]"), "{err}");
}
