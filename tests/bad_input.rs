//! Bad input exits 2 with one line naming file:line:column and the offending key, host, token,
//! directive or time, then the line and a caret. Never a panic.

mod common;
use common::redsim;

/// Runs `tests/bad/<file>` and returns the error's first line.
fn first_line(file: &str) -> String {
    let path = format!("tests/bad/{file}");
    let (code, stdout, stderr) = redsim(&["run", &path]);
    assert_eq!(code, 2, "{file}: exit status; stderr:\n{stderr}");
    assert!(stdout.is_empty(), "{file}: nothing on stdout");
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    let line = stderr.lines().next().unwrap_or_default().to_string();
    assert!(line.starts_with(&format!("error: {path}:")), "{file}: {line}");
    line
}

#[test]
fn a_toml_syntax_error_names_its_position() {
    let line = first_line("syntax.toml");
    assert!(line.starts_with("error: tests/bad/syntax.toml:3:"), "{line}");
}

#[test]
fn an_unknown_key_is_named() {
    let line = first_line("unknown-key.toml");
    assert!(line.starts_with("error: tests/bad/unknown-key.toml:10:1:"), "{line}");
    assert!(line.contains("replicas"), "{line}");
}

#[test]
fn an_unknown_host_is_named() {
    let line = first_line("unknown-host.toml");
    assert!(line.starts_with("error: tests/bad/unknown-host.toml:10:24:"), "{line}");
    assert!(line.contains("10.0.0.9"), "{line}");
}

#[test]
fn an_unsupported_iptables_token_is_named_at_its_column() {
    let line = first_line("iptables-token.toml");
    // `-i` is the 10th character of the rule, whose opening quote is in column 12.
    assert!(line.starts_with("error: tests/bad/iptables-token.toml:15:22:"), "{line}");
    assert!(line.contains("`-i`"), "{line}");
}

#[test]
fn a_directive_the_model_does_not_implement_is_named() {
    let line = first_line("unknown-directive.toml");
    assert!(line.starts_with("error: tests/bad/unknown-directive.toml:10:12:"), "{line}");
    assert!(line.contains("maxmemory"), "{line}");
}

#[test]
fn a_bad_time_is_named() {
    let line = first_line("bad-time.toml");
    assert!(line.starts_with("error: tests/bad/bad-time.toml:2:12:"), "{line}");
    assert!(line.contains("10 seconds"), "{line}");
}

#[test]
fn a_missing_file_exits_2() {
    let (code, _, stderr) = redsim(&["run", "tests/bad/does-not-exist.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: tests/bad/does-not-exist.toml: cannot read the scenario"),
        "{stderr}"
    );
}

#[test]
fn the_error_shows_the_line_and_a_caret() {
    let (_, _, stderr) = redsim(&["run", "tests/bad/unknown-host.toml"]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[2], "10 | config = { replicaof = \"10.0.0.9 6379\" }");
    assert_eq!(lines[3], "   |                        ^");
}

#[test]
fn a_pause_that_would_resume_after_the_end_is_refused_like_an_event_after_the_end() {
    let line = first_line("pause-past-end.toml");
    assert!(line.starts_with("error: tests/bad/pause-past-end.toml:14:7:"), "{line}");
    assert!(
        line.contains("resumes the process at 35.000s, after the end of the run (30s)"),
        "{line}"
    );
}

#[test]
fn a_workload_that_starts_at_the_end_is_refused() {
    let line = first_line("workload-past-end.toml");
    assert!(line.starts_with("error: tests/bad/workload-past-end.toml:15:43:"), "{line}");
    assert!(line.contains("`start = \"30s\"` is not before the end of the run (30s)"), "{line}");
}

#[test]
fn a_bad_directive_value_says_what_is_accepted_not_serdes_wording() {
    let line = first_line("directive-value.toml");
    assert!(line.starts_with("error: tests/bad/directive-value.toml:10:31:"), "{line}");
    assert!(line.contains("a string, an integer, a boolean (true means yes) or a list"), "{line}");
    assert!(!line.contains("untagged"), "{line}");
}

/// A scenario of one server with `extra` appended, written to a scratch file; its run's exit
/// status and standard error.
fn run_with(name: &str, extra: &str) -> (i32, String) {
    let text = format!(
        "name = \"{name}\"\nduration = \"30s\"\n[[host]]\nname = \"10.0.0.1\"\n[[redis]]\nhost = \"10.0.0.1\"\nport = 6379\n{extra}"
    );
    let path = common::tmp(&format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = redsim(&["run", &path]);
    (code, stderr)
}

#[test]
fn no_value_of_the_wrong_shape_leaks_serdes_wording() {
    let cases = [
        (
            "final-master",
            "[expect]\nfinal-master = 3\n",
            "\"host:port\", a list of them, or a table",
        ),
        ("lost-writes", "[expect]\nlost-writes = true\n", "a count (0) or a list of keys"),
        (
            "get-value",
            "[expect]\nget = [{ on = \"master\", key = \"k\", value = 1 }]\n",
            "a string, or false for nil",
        ),
        (
            "explore-faults",
            "[explore]\nfaults = 1.5\nwindow = \"1s..2s\"\nlength = \"1s\"\nkinds = [\"kill\"]\n",
            "a count (2) or a range",
        ),
        ("directive-table", "config = { save = { a = 1 } }\n", "a directive value"),
    ];
    for (name, extra, says) in cases {
        let (code, stderr) = run_with(name, extra);
        assert_eq!(code, 2, "{name}: {stderr}");
        let line = stderr.lines().next().unwrap_or_default();
        assert!(line.contains(says) && !line.contains("untagged"), "{name}: {line}");
        assert!(line.contains(&format!("{name}.toml:")), "{name}: file:line:col in {line}");
    }
}

#[test]
fn a_workload_stop_after_the_end_or_before_its_start_is_refused() {
    let client = "[[client]]\nname = \"app1\"\nhost = \"10.0.0.1\"\nconnect = \"10.0.0.1:6379\"\n";
    let (code, stderr) =
        run_with("stop-late", &format!("{client}workload = {{ stop = \"31s\" }}\n"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":12:21: `stop = \"31s\"` is after the end of the run (30s)"),
        "{stderr}"
    );
    let early = format!("{client}workload = {{ start = \"5s\", stop = \"5s\" }}\n");
    let (code, stderr) = run_with("stop-early", &early);
    assert_eq!(code, 2);
    assert!(stderr.contains("`stop = \"5s\"` is not after the workload's start"), "{stderr}");
}

#[test]
fn directive_names_in_capitals_are_checked_like_any_other() {
    let (code, stderr) = run_with("caps-replicaof", "config = { REPLICAOF = \"nohost 6379\" }\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown host `nohost` in replicaof"), "{stderr}");
    let sentinel = "[[sentinel]]\nhost = \"10.0.0.1\"\nport = 26379\nconfig = { \"SENTINEL MONITOR\" = \"m 10.0.0.1 7000 1\" }\n";
    let (code, stderr) = run_with("caps-monitor", sentinel);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("which is no [[redis]] of this scenario"), "{stderr}");
}

#[test]
fn an_unknown_server_build_lists_the_three() {
    let line = first_line("unknown-server.toml");
    assert!(line.starts_with("error: tests/bad/unknown-server.toml:11:10:"), "{line}");
    for name in ["redis-7.2", "redis-7.0", "redis-6.2", "valkey-9.1"] {
        assert!(line.contains(name), "{line}");
    }
}

#[test]
fn a_directive_the_build_does_not_have_is_refused() {
    let line = first_line("directive-not-in-build.toml");
    assert!(line.starts_with("error: tests/bad/directive-not-in-build.toml:11:12:"), "{line}");
    assert!(line.contains("repl-diskless-sync-max-replicas"), "{line}");
    assert!(line.contains("redis-6.2 has no such directive"), "{line}");
}

#[test]
fn an_unsupported_library_version_lists_the_supported_ones() {
    let line = first_line("library-version.toml");
    assert!(line.starts_with("error: tests/bad/library-version.toml:21:19:"), "{line}");
    for v in ["`5.4`", "3.0-3.5", "5.0-5.3", "8.0-8.2"] {
        assert!(line.contains(v), "{line}");
    }
}

#[test]
fn an_unknown_library_setting_is_named_with_the_librarys_known_ones() {
    let line = first_line("library-setting.toml");
    assert!(line.starts_with("error: tests/bad/library-setting.toml:21:1:"), "{line}");
    for k in ["`readTimeout`", "library-version", "socket_connect_timeout", "retry_on_timeout"] {
        assert!(line.contains(k), "{line}");
    }
}

#[test]
fn a_setting_of_the_other_library_is_refused_where_it_is_written() {
    let client = |lib: &str, setting: &str| {
        format!(
            "[[sentinel]]\nhost = \"10.0.0.1\"\nport = 26379\nconfig = {{ \"sentinel monitor\" = \"mymaster 10.0.0.1 6379 1\" }}\n[[client]]\nname = \"app1\"\nhost = \"10.0.0.1\"\n{lib}sentinels = [\"10.0.0.1:26379\"]\nservice = \"mymaster\"\n{setting}\n"
        )
    };
    let cases = [
        (
            "py-on-ioredis",
            "library = \"ioredis\"\n",
            "retry_on_timeout = true",
            "`retry_on_timeout` is a redis-py setting; an ioredis client takes: failoverDetector,",
        ),
        (
            "ioredis-on-py",
            "",
            "failoverDetector = true",
            "`failoverDetector` is an ioredis setting; a redis-py client takes: socket_connect_timeout, retry_on_timeout",
        ),
        (
            "socket-timeout",
            "library = \"ioredis\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is redis-py's socket_timeout; ioredis has no socket timeout",
        ),
        (
            "reconnect-fn",
            "library = \"ioredis\"\n",
            "reconnectOnError = \"(err) => true\"",
            "a scenario cannot hold a function",
        ),
        (
            "ioredis-version",
            "library = \"ioredis\"\nlibrary-version = \"4.28\"\n",
            "",
            "ioredis `4.28` is not supported: the model follows ioredis 5.11.1",
        ),
        (
            "ioredis-unknown",
            "library = \"ioredis\"\n",
            "retryStrategy = \"1s\"",
            "an ioredis setting (failoverDetector, enableOfflineQueue, maxRetriesPerRequest",
        ),
        (
            "ioredis-on-node-redis",
            "library = \"node-redis\"\n",
            "failoverDetector = true",
            "`failoverDetector` is not a node-redis setting; a node-redis client takes: scanInterval, maxCommandRediscovers",
        ),
        (
            "node-redis-on-ioredis",
            "library = \"ioredis\"\n",
            "scanInterval = \"10s\"",
            "`scanInterval` is a node-redis setting; an ioredis client takes: failoverDetector",
        ),
        (
            "node-redis-on-py",
            "",
            "\"commandOptions.timeout\" = \"2s\"",
            "`commandOptions.timeout` is a node-redis setting; a redis-py client takes: socket_connect_timeout",
        ),
        (
            "node-redis-strategy",
            "library = \"node-redis\"\n",
            "reconnectStrategy = true",
            "a scenario cannot hold a function",
        ),
        (
            "node-redis-version",
            "library = \"node-redis\"\nlibrary-version = \"4.7\"\n",
            "",
            "node-redis `4.7` is not supported: the model follows node-redis 6.2.1",
        ),
        (
            "node-redis-unknown",
            "library = \"node-redis\"\n",
            "disableOfflineQueue = true",
            "a node-redis setting (scanInterval, maxCommandRediscovers, masterPoolSize",
        ),
        (
            "ioredis-on-redis-rs",
            "library = \"redis-rs\"\n",
            "commandTimeout = \"1s\"",
            "`commandTimeout` is not a redis-rs setting; a redis-rs client takes: connection_timeout, response_timeout, reuse-connection",
        ),
        (
            "socket-timeout-on-redis-rs",
            "library = \"redis-rs\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is not a redis-rs setting",
        ),
        (
            "redis-rs-on-ioredis",
            "library = \"ioredis\"\n",
            "response_timeout = \"1s\"",
            "`response_timeout` is a redis-rs setting, not one of ioredis'",
        ),
        (
            "redis-rs-version",
            "library = \"redis-rs\"\nlibrary-version = \"0.32\"\n",
            "",
            "redis-rs `0.32` is not supported: the model follows the redis crate 1.8.2",
        ),
        (
            "redis-rs-unknown",
            "library = \"redis-rs\"\n",
            "max_delay = \"1s\"",
            "a redis-rs setting (connection_timeout, response_timeout, reuse-connection), a Jedis setting (connectionTimeout, soTimeout, sentinelConnectionTimeout, sentinelSoTimeout, sentinelReconnectDelay), a go-redis setting (MaxRetries, MinRetryBackoff",
        ),
        (
            "redis-rs-on-lettuce",
            "library = \"lettuce\"\n",
            "reuse-connection = false",
            "`reuse-connection` is not a Lettuce setting; a Lettuce client takes: timeout, connectTimeout, autoReconnect, disconnectedBehavior, requestQueueSize, reconnectDelay",
        ),
        (
            "socket-timeout-on-lettuce",
            "library = \"lettuce\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is not a Lettuce setting",
        ),
        (
            "lettuce-on-redis-rs",
            "library = \"redis-rs\"\n",
            "autoReconnect = false",
            "`autoReconnect` is a Lettuce setting, not one of redis-rs'",
        ),
        (
            "lettuce-on-py",
            "",
            "timeout = \"5s\"",
            "`timeout` is a Redisson setting, not one of redis-py's",
        ),
        (
            "lettuce-version",
            "library = \"lettuce\"\nlibrary-version = \"6.8\"\n",
            "",
            "Lettuce `6.8` is not supported: the model follows Lettuce 7.7.0.RELEASE",
        ),
        (
            "lettuce-behavior",
            "library = \"lettuce\"\n",
            "disconnectedBehavior = \"QUEUE\"",
            "disconnectedBehavior `QUEUE`: one of DEFAULT, ACCEPT_COMMANDS, REJECT_COMMANDS",
        ),
        (
            "lettuce-queue",
            "library = \"lettuce\"\n",
            "requestQueueSize = -1",
            "requestQueueSize is a Java int from 0 to 2147483647",
        ),
        (
            "lettuce-replica",
            "library = \"lettuce\"\nrole = \"replica\"\n",
            "",
            "reaches the master only",
        ),
        (
            "redis-rs-on-go-redis",
            "library = \"go-redis\"\n",
            "response_timeout = \"1s\"",
            "`response_timeout` is not a go-redis setting; a go-redis client takes: MaxRetries, MinRetryBackoff, MaxRetryBackoff, DialTimeout, ReadTimeout, DialerRetries, DialerRetryTimeout, RouteByLatency",
        ),
        (
            "socket-timeout-on-go-redis",
            "library = \"go-redis\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is not a go-redis setting",
        ),
        (
            "go-redis-on-redis-rs",
            "library = \"redis-rs\"\n",
            "MaxRetries = 3",
            "`MaxRetries` is a go-redis setting, not one of redis-rs'",
        ),
        (
            "go-redis-version",
            "library = \"go-redis\"\nlibrary-version = \"8.11\"\n",
            "",
            "go-redis `8.11` is not supported: the model follows go-redis v9.22.0",
        ),
        (
            "go-redis-route-by-latency",
            "library = \"go-redis\"\n",
            "RouteByLatency = true",
            "go-redis' NewFailoverClient panics",
        ),
        (
            "go-redis-max-retries",
            "library = \"go-redis\"\n",
            "MaxRetries = -2",
            "`MaxRetries` below -1",
        ),
        ("go-redis-duration", "library = \"go-redis\"\n", "DialTimeout = \"five\"", "five"),
        (
            "go-redis-unknown",
            "library = \"go-redis\"\n",
            "PoolSize = 10",
            ", a go-redis setting (MaxRetries, MinRetryBackoff",
        ),
        (
            "stackexchange-unknown",
            "library = \"stackexchange\"\n",
            "abortConnect = false",
            "nor a StackExchange.Redis setting (syncTimeout, connectTimeout)",
        ),
        (
            "go-redis-on-stackexchange",
            "library = \"stackexchange\"\n",
            "ReadTimeout = \"1s\"",
            "`ReadTimeout` is not a StackExchange.Redis setting; a stackexchange client takes: syncTimeout, connectTimeout",
        ),
        (
            "socket-timeout-on-stackexchange",
            "library = \"stackexchange\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is not a StackExchange.Redis setting",
        ),
        (
            "stackexchange-on-go-redis",
            "library = \"go-redis\"\n",
            "syncTimeout = \"1s\"",
            "`syncTimeout` is a StackExchange.Redis setting, not one of go-redis's",
        ),
        (
            "stackexchange-version",
            "library = \"stackexchange\"\nlibrary-version = \"2.8\"\n",
            "",
            "StackExchange.Redis `2.8` is not supported: the model follows StackExchange.Redis 3.1.31",
        ),
        (
            "stackexchange-zero",
            "library = \"stackexchange\"\n",
            "syncTimeout = \"0s\"",
            "`syncTimeout` must be above zero",
        ),
        (
            "stackexchange-duration",
            "library = \"stackexchange\"\n",
            "connectTimeout = \"five\"",
            "five",
        ),
        (
            "redis-rs-on-jedis",
            "library = \"jedis\"\n",
            "response_timeout = \"1s\"",
            "`response_timeout` is not a Jedis setting; a Jedis client takes: connectionTimeout, soTimeout, sentinelConnectionTimeout, sentinelSoTimeout, sentinelReconnectDelay",
        ),
        (
            "socket-timeout-on-jedis",
            "library = \"jedis\"\n",
            "socket-timeout = \"1s\"",
            "`socket-timeout` is not a Jedis setting",
        ),
        (
            "jedis-on-redis-py",
            "",
            "soTimeout = \"1s\"",
            "`soTimeout` is a Jedis setting, not one of redis-py's",
        ),
        (
            "jedis-version",
            "library = \"jedis\"\nlibrary-version = \"5.2\"\n",
            "",
            "Jedis `5.2` is not supported: the model follows Jedis 7.5.3",
        ),
        ("jedis-bad-duration", "library = \"jedis\"\n", "sentinelReconnectDelay = \"five\"", ""),
        (
            "jedis-zero-timeout",
            "library = \"jedis\"\n",
            "soTimeout = \"0s\"",
            "`soTimeout` of 0 is Java's \"no timeout\"",
        ),
        (
            "jedis-on-redisson",
            "library = \"redisson\"\n",
            "soTimeout = \"1s\"",
            "`soTimeout` is not a Redisson setting; a Redisson client takes: timeout, connectTimeout, retryAttempts, retryInterval, scanInterval, checkSentinelsList",
        ),
        (
            "redisson-on-jedis",
            "library = \"jedis\"\n",
            "retryAttempts = 3",
            "`retryAttempts` is a Redisson setting, not one of jedis's",
        ),
        (
            "redisson-version",
            "library = \"redisson\"\nlibrary-version = \"3.27\"\n",
            "",
            "Redisson `3.27` is not supported: the model follows Redisson 4.7.0",
        ),
        ("redisson-bad-duration", "library = \"redisson\"\n", "scanInterval = \"five\"", ""),
    ];
    for (name, lib, setting, want) in cases {
        let (code, stderr) = run_with(name, &client(lib, setting));
        assert_eq!(code, 2, "{name}: {stderr}");
        let path = common::tmp(&format!("{name}.toml"));
        assert!(
            stderr.starts_with(&format!("error: {path}:")),
            "{name}: file:line:col first: {stderr}"
        );
        assert!(stderr.contains(want), "{name}: {stderr}");
    }
}

/// With several monitored masters, whatever means "the master" is ambiguous and refused where it
/// is written, naming the masters: a `sentinel-failover`, `on = "master"` of a command or a
/// read, and a `final-master` that is not a table by master name.
#[test]
fn a_step_meaning_the_master_is_refused_with_several_masters() {
    let text = std::fs::read_to_string("traces/two-masters.toml").unwrap();
    let body = &text[..text.find("[expect]").unwrap()];
    for (name, extra, says) in [
        (
            "failover",
            "[[event]]\nat = \"30s\"\nsentinel-failover = \"h2:26379\"\n",
            "`sentinel-failover`: `h2:26379` monitors several masters (cache, sessions)",
        ),
        (
            "command",
            "[[event]]\nat = \"30s\"\ncommand = [\"INFO\"]\non = \"master\"\nfrom = \"app\"\n",
            "`on = \"master\"` is ambiguous: the sentinels monitor several masters (cache, sessions)",
        ),
        (
            "get",
            "[expect]\nget = [{ on = \"master\", key = \"k\", value = false }]\n",
            "`on = \"master\"` is ambiguous",
        ),
        (
            "final",
            "[expect]\nfinal-master = \"h2:6379\"\n",
            "final-master: the sentinels monitor several masters (cache, sessions)",
        ),
    ] {
        let path = common::tmp(&format!("several-{name}.toml"));
        std::fs::write(&path, format!("{body}{extra}")).unwrap();
        let (code, _, stderr) = redsim(&["run", &path]);
        assert_eq!(code, 2, "{name}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("error: {path}:")), "{name}: {first}");
        assert!(first.contains(says), "{name}: {first}");
    }
}

#[test]
fn a_dataset_with_appendonly_is_refused_at_the_dataset() {
    let extra =
        "config = { appendonly = \"yes\" }\ndataset = { keys = 1000, value-size = \"1kb\" }\n";
    let (code, stderr) = run_with("dataset-aof", extra);
    assert_eq!(code, 2, "{stderr}");
    let line = stderr.lines().next().unwrap_or_default();
    assert!(line.contains("dataset-aof.toml:9:11:"), "{line}");
    assert!(line.contains("`dataset` with `appendonly yes` is not modelled"), "{line}");
}

#[test]
fn a_dataset_whose_per_key_overhead_overflows_is_refused() {
    // value-size 0: the values weigh nothing, the 64 bytes of each key's overhead still count.
    for (name, keys) in
        [("dataset-huge", "18_446_744_073_709_551_615"), ("dataset-pb", "20_000_000_000_000")]
    {
        let extra = format!("dataset = {{ keys = {keys}, value-size = \"0\" }}\n");
        let (code, stderr) = run_with(name, &extra);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let line = stderr.lines().next().unwrap_or_default();
        assert!(line.contains(&format!("{name}.toml:8:")), "{line}");
        assert!(line.contains("the dataset is larger than 1 PB"), "{line}");
    }
}
