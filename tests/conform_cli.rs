//! `redsim conform` refuses what it cannot run, before it touches the machine: a bad option, a
//! scenario file that does not parse, a server binary that is not Redis. (The real runs are
//! `.ci/conform`'s: they need root, namespaces and Redis.)

mod common;
use common::redsim;

#[test]
fn a_bad_tolerance_is_refused_with_its_form() {
    let (code, _, err) =
        redsim(&["conform", "traces/blog-kill-master.toml", "--time-tolerance", "fast"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`fast`: expected `N,P%`"), "{err}");
}

#[test]
fn a_bad_scenario_is_refused_with_its_place() {
    let (code, _, err) = redsim(&["conform", "tests/bad/no-such-file.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-file.toml"), "{err}");
}

#[test]
fn a_server_that_is_not_redis_is_refused_before_anything_is_created() {
    let (code, _, err) =
        redsim(&["conform", "traces/blog-kill-master.toml", "--redis-server", "/bin/echo"]);
    assert_eq!(code, 2, "{err}");
    // Not root (or no `ip`): the missing things, with how to install them; as root with the
    // tools: the binary's version refused.
    assert!(
        err.contains("conform cannot run here") || err.contains("not a Redis or Valkey server"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
