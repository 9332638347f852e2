//! `redsim import` on the real config files of `tests/fixtures/import/` (written by Redis 7.0.15
//! and Sentinel after a failover: its README): the scenario runs, and with the same fault its
//! outcome is the hand-written scenario's; bad input exits 2 naming the file, the line and the
//! directive.

mod common;
use common::{redsim, tmp};

const DIR: &str = "tests/fixtures/import";

/// The import arguments of the fixture deployment.
fn fixture_args() -> Vec<String> {
    let mut args = vec!["import".to_string()];
    for r in ["r1", "r2", "r3"] {
        args.extend(["--redis".to_string(), format!("{DIR}/{r}/redis.conf")]);
    }
    for s in ["s1", "s2", "s3"] {
        args.extend(["--sentinel".to_string(), format!("{DIR}/{s}/sentinel.conf")]);
    }
    args
}

fn run(args: &[String]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    redsim(&args)
}

/// The `--json` outcome of `text` (a scenario), without its name.
fn outcome(text: &str, file: &str) -> serde_json::Value {
    let path = tmp(file);
    std::fs::write(&path, text).unwrap();
    let (code, stdout, stderr) = redsim(&["run", &path, "--json"]);
    assert_eq!(code, 0, "{file}: {stderr}");
    let mut v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // The scenario's name and the trace's digest (its header names the file) differ by
    // construction; the outcome must not.
    let fields = v.as_object_mut().unwrap();
    fields.remove("scenario");
    fields.remove("trace_digest");
    v
}

/// The master dies 30 s in: the sentinels must fail over, under both scenarios alike.
const KILL: &str = "\n[[event]]\nat = \"30s\"\nkill = \"127.0.0.3:47001\"\n";

#[test]
fn the_fixture_files_import_into_the_hand_written_deployment() {
    let out = tmp("fixture.toml");
    let mut args = fixture_args();
    args.extend(["-o".to_string(), out.clone()]);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "the scenario went to -o");
    let text = std::fs::read_to_string(&out).unwrap();
    // What was left out is listed, with a reason, in the file and on standard error.
    for (directive, why) in [
        ("maxmemory (", "memory limits"),
        ("sentinel known-replica (", "state Sentinel saved"),
        ("sentinel config-epoch (", "epoch 0"),
        ("rename-command (", "access control"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("#   {directive}")))
            .unwrap_or_else(|| panic!("{directive} listed"));
        assert!(line.contains(why), "{line}");
        assert!(stderr.contains(&format!("  {directive}")), "{directive} on stderr");
    }
    assert!(
        text.contains("# ADJUST:") && stderr.contains("adjust:"),
        "the defaults are pointed out"
    );
    // `save 3600 1`, `save 300 100` then `save ""` in the included file: no RDB.
    assert!(text.contains("save = \"\"\n"));
    // Sentinel's rewritten monitor line names the master after the failover.
    assert!(text.contains("\"sentinel monitor\" = \"mymaster 127.0.0.3 47001 2\""));
    let imported = outcome(&format!("{text}{KILL}"), "imported-kill.toml");
    let hand = std::fs::read_to_string(format!("{DIR}/hand-written.toml")).unwrap();
    let expected = outcome(&format!("{hand}{KILL}"), "hand-kill.toml");
    assert_eq!(imported, expected);
    assert_eq!(imported["promotions"].as_array().unwrap().len(), 1, "the kill fails over");
    // Without a fault: the same steady run.
    assert_eq!(outcome(&text, "imported.toml"), outcome(&hand, "hand.toml"));
}

#[test]
fn an_existing_output_is_replaced_and_an_input_is_never_overwritten() {
    let out = tmp("replaced.toml");
    std::fs::write(&out, "old").unwrap();
    let mut args = fixture_args();
    args.extend(["-o".to_string(), out.clone()]);
    assert_eq!(run(&args).0, 0);
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("# Imported by `redsim import`"));
    let mut onto_input = fixture_args();
    onto_input.extend(["-o".to_string(), format!("{DIR}/./r1/redis.conf")]);
    let (code, _, stderr) = run(&onto_input);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to overwrite an input"), "{stderr}");
    let mut onto_include = fixture_args();
    onto_include.extend(["-o".to_string(), format!("{DIR}/common.conf")]);
    let (code, _, stderr) = run(&onto_include);
    assert_eq!(code, 2);
    assert!(stderr.contains("is the included file") && stderr.contains("common.conf"), "{stderr}");
    assert!(std::fs::read_to_string(format!("{DIR}/common.conf")).unwrap().starts_with("# Shared"));
}

/// A scratch directory with `files` (name, text) in it.
fn scratch(name: &str, files: &[(&str, &str)]) -> String {
    let dir = tmp(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (f, t) in files {
        std::fs::write(format!("{dir}/{f}"), t).unwrap();
    }
    dir
}

/// `redsim import` of these `--redis` files (in `dir`), expected to fail: its standard error.
fn refused(dir: &str, redis: &[&str], sentinels: &[&str]) -> String {
    let mut args = vec!["import".to_string()];
    for r in redis {
        args.extend(["--redis".to_string(), format!("{dir}/{r}")]);
    }
    for s in sentinels {
        args.extend(["--sentinel".to_string(), format!("{dir}/{s}")]);
    }
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty() && !stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_files_are_named_with_their_line_and_directive() {
    let dir = scratch(
        "bad-import",
        &[
            ("quote.conf", "port 6379\nlogfile \"/var/log/x.log\n"),
            ("arity.conf", "port 6379\nbind 10.0.0.1\nrepl-timeout 30 60\n"),
            ("value.conf", "bind 10.0.0.1\nreplica-priority high\n"),
            ("cycle.conf", "bind 10.0.0.1\ninclude cycle2.conf\n"),
            ("cycle2.conf", "include cycle.conf\n"),
            ("missing.conf", "bind 10.0.0.1\ninclude nowhere.conf\n"),
            ("a.conf", "bind 10.0.0.1\nport 6379\n"),
            ("b.conf", "bind 10.0.0.1\nport 6379\n"),
            (
                "s.conf",
                "sentinel monitor m 10.0.0.1 6379 2\nsentinel down-after-milliseconds other 5000\n",
            ),
            ("s2.conf", "bind 10.0.0.1\nsentinel monitor m 10.0.0.9 6379 2\n"),
            ("s3.conf", "sentinel monitor m 10.0.0.1 6379 2\nsentinel flying-pigs m yes\n"),
        ],
    );
    let e = refused(&dir, &["quote.conf"], &[]);
    assert!(e.contains("quote.conf:2: Unbalanced quotes") && e.contains("logfile"), "{e}");
    let e = refused(&dir, &["arity.conf"], &[]);
    assert!(
        e.contains("arity.conf:3: wrong number of arguments") && e.contains("repl-timeout 30 60"),
        "{e}"
    );
    let e = refused(&dir, &["value.conf"], &[]);
    assert!(e.contains("value.conf:2: replica-priority:") && e.contains("high"), "{e}");
    let e = refused(&dir, &["cycle.conf"], &[]);
    assert!(e.contains("cycle2.conf:1: include cycle"), "{e}");
    let e = refused(&dir, &["missing.conf"], &[]);
    assert!(e.contains("missing.conf:2: cannot read") && e.contains("nowhere.conf"), "{e}");
    let e = refused(&dir, &["nonexistent.conf"], &[]);
    assert!(e.contains("nonexistent.conf: cannot read"), "{e}");
    let e = refused(&dir, &["a.conf", "b.conf"], &[]);
    assert!(e.contains("both listen on 10.0.0.1:6379"), "{e}");
    let e = refused(&dir, &["a.conf"], &["s.conf"]);
    assert!(e.contains("s.conf:2: No such master with specified name."), "{e}");
    let e = refused(&dir, &["a.conf"], &["s2.conf"]);
    assert!(e.contains("s2.conf:2: no --redis file is the server at 10.0.0.9:6379"), "{e}");
    let e = refused(&dir, &["a.conf"], &["s3.conf"]);
    assert!(e.contains("s3.conf:2: Unrecognized sentinel configuration statement."), "{e}");
    let e = refused(&dir, &["s.conf"], &[]);
    assert!(e.contains("sentinel directive while not in sentinel mode"), "{e}");
}

#[test]
fn a_host_not_in_its_own_file_comes_from_the_others() {
    // The replica binds every address; the sentinel's known-replica line names it.
    let dir = scratch(
        "infer-import",
        &[
            ("m.conf", "bind 10.0.0.1\n"),
            ("r.conf", "bind 0.0.0.0\nreplicaof 10.0.0.1 6379\n"),
            (
                "s.conf",
                "bind 10.0.0.1\nsentinel monitor m 10.0.0.1 6379 1\nsentinel known-replica m 10.0.0.2 6379\n",
            ),
        ],
    );
    let (code, stdout, stderr) = run(&[
        "import",
        "--redis",
        &format!("{dir}/m.conf"),
        "--redis",
        &format!("{dir}/r.conf"),
        "--sentinel",
        &format!("{dir}/s.conf"),
    ]
    .map(String::from));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("host = \"10.0.0.2\"\nport = 6379"), "{stdout}");
    assert!(stderr.contains("its host 10.0.0.2 is how") && stderr.contains("s.conf:3"), "{stderr}");
}

#[test]
fn host_names_are_kept_as_the_files_write_them() {
    // `resolve-hostnames yes` and `announce-hostnames yes`: the files name hosts, not addresses;
    // the second sentinel binds every address and is placed by the first one's known-sentinel.
    let dir = scratch(
        "hostnames-import",
        &[
            ("r1.conf", "replica-announce-ip redis-1.example\n"),
            ("r2.conf", "replica-announce-ip redis-2.example\nreplicaof redis-1.example 6379\n"),
            (
                "s1.conf",
                "sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\nsentinel announce-ip sentinel-1.example\nsentinel monitor m redis-1.example 6379 2\nsentinel known-sentinel m sentinel-2.example 26379 0123456789012345678901234567890123456789\n",
            ),
            (
                "s2.conf",
                "bind 0.0.0.0\nsentinel resolve-hostnames yes\nsentinel monitor m redis-1.example 6379 2\n",
            ),
        ],
    );
    let f = |n: &str| format!("{dir}/{n}");
    let args = [
        "import",
        "--redis",
        &f("r1.conf"),
        "--redis",
        &f("r2.conf"),
        "--sentinel",
        &f("s1.conf"),
        "--sentinel",
        &f("s2.conf"),
    ]
    .map(String::from);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    for host in ["redis-1.example", "redis-2.example", "sentinel-1.example", "sentinel-2.example"] {
        assert!(stdout.contains(&format!("[[host]]\nname = \"{host}\"")), "{host}: {stdout}");
    }
    assert!(stdout.contains("replicaof = \"redis-1.example 6379\""));
    assert!(stdout.contains("#   sentinel resolve-hostnames ("), "listed with its reason");
}
