#!/usr/bin/env python3
"""redsim conform's driver for redis-py (and valkey-py, its fork, when SPEC's `library` says so):
the real library, driven the way the simulator's model drives it, every operation written as one
JSON line on stdout.

The contract every driver keeps (README, "Conformance"):

    driver client SPEC   run a scenario client's workload; one line per operation:
        {"seq", "op": "write"|"read", "key", "value", "invoked_us", "completed_us",
         "node": "ip:port"|null, "result": "ok"|"error"|"timeout"|"lost", "error", "reply"}
    driver probe SPEC    sample `INFO replication` of every server (SPEC's `nodes`: ip:port ->
                         its observation socket, which no filter rule sees) every interval:
        {"t_us", "node", "role": "master"|"slave"|null, "good_replicas": int|null}
    driver final SPEC    the end state of every server and sentinel (by socket), one line:
        {"servers": {node: {"role", "keys": [...], "get": {key: value|null}}},
         "sentinels": {node: {"master": "ip:port"|null, "config_epoch": int|null}}}

SPEC is one JSON object (argv[2]). Times are microseconds since SPEC's `t0` (Unix seconds, the
moment the scenario's clock reads zero). The process stops at SPEC's `end` or when stdin closes.
"""

import json
import sys
import threading
import time

# valkey-py, the fork, keeps redis-py's names (`valkey.Redis` is `valkey.Valkey`).
if len(sys.argv) > 2 and json.loads(sys.argv[2]).get("library") == "valkey-py":
    import valkey as redis
    from valkey.sentinel import Sentinel
else:
    import redis
    from redis.sentinel import Sentinel


def now_us(t0):
    return int((time.time() - t0) * 1_000_000)


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def stop_on_stdin_close(stop):
    def watch():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch, daemon=True).start()


def sleep_until(t0, at_s, stop):
    delay = t0 + at_s - time.time()
    if delay > 0:
        stop.wait(delay)


def classify(exc):
    """An exception as the outcome record's result: `error` (not applied: refused, never sent,
    an error reply), `timeout` (no reply within the socket timeout) or `lost` (the connection
    dropped with the command in flight)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, redis.exceptions.TimeoutError):
        return ("error" if "connecting" in text else "timeout"), text
    if isinstance(exc, redis.exceptions.ConnectionError):
        never_sent = (
            "connecting to" in text
            or "No master found" in text
            or "No slave found" in text
            or "previous master is now a slave" in text
            or "Connection refused" in text
        )
        return ("error" if never_sent else "lost"), text
    return "error", text


def last_node(pool):
    conns = getattr(pool, "_available_connections", None) or []
    if conns:
        c = conns[-1]
        if getattr(c, "host", None):
            return f"{c.host}:{c.port}"
    return None


def run_client(spec):
    t0 = spec["t0"]
    stop = threading.Event()
    stop_on_stdin_close(stop)
    # The scenario's settings, as redis-py spells them; what is not set keeps the release's
    # own default (its retries among them).
    kwargs = {"socket_timeout": spec["socket_timeout"]}
    if spec.get("socket_connect_timeout") is not None:
        kwargs["socket_connect_timeout"] = spec["socket_connect_timeout"]
    if spec.get("retry_on_timeout"):
        kwargs["retry_on_timeout"] = True
    if spec.get("plain"):
        host, port = spec["plain"]
        conn = redis.Redis(host=host, port=port, **kwargs)
    else:
        sentinel = Sentinel([tuple(s) for s in spec["sentinels"]], **kwargs)
        pick = sentinel.slave_for if spec.get("replica") else sentinel.master_for
        conn = pick(spec["service"], **kwargs)
    writes, reads = spec["writes_per_sec"], spec["reads_per_sec"]
    total = writes + reads
    if total == 0:
        return
    interval = 1.0 / total
    name = spec["name"]
    end = spec["end"] if spec.get("stop") is None else min(spec["end"], spec["stop"])
    next_at = spec["start"]
    n, seq, last_key = 0, 0, None
    while not stop.is_set():
        sleep_until(t0, next_at, stop)
        if stop.is_set() or time.time() - t0 >= end:
            break
        # Operation n is a write when the running share of writes crosses an integer.
        is_write = (n + 1) * writes // total > n * writes // total
        n += 1
        if is_write:
            key, value = f"{name}:{seq:06d}", f"{name}-v{seq}"
            last_key = key
        else:
            key, value = (last_key or f"{name}:000000"), None
        started = time.time()
        invoked = now_us(t0)
        record = {"seq": seq, "op": "write" if is_write else "read", "key": key, "value": value}
        try:
            reply = conn.set(key, value) if is_write else conn.get(key)
            record["result"] = "ok"
            if not is_write:
                record["reply"] = reply.decode() if isinstance(reply, bytes) else reply
        except Exception as exc:  # every failure is an outcome, never a crash
            record["result"], record["error"] = classify(exc)
        record["completed_us"] = now_us(t0)
        record["invoked_us"] = invoked
        record["node"] = last_node(conn.connection_pool)
        emit(record)
        seq += 1
        # The next operation is due one interval after this one started, or at once if late.
        next_at = max(started + interval - t0, time.time() - t0)


def observer(socket_path, timeout):
    """A connection through a process's observation socket, which no filter rule sees."""
    return redis.Redis(unix_socket_path=socket_path, socket_timeout=timeout, socket_connect_timeout=timeout)


def info_replication(conn):
    info = conn.info("replication")
    good = info.get("min_slaves_good_slaves")
    return info.get("role"), (int(good) if good is not None else None)


def run_probe(spec):
    t0 = spec["t0"]
    stop = threading.Event()
    stop_on_stdin_close(stop)
    conns = {node: observer(path, spec["timeout"]) for node, path in spec["nodes"].items()}
    sleep_until(t0, 0, stop)
    while not stop.is_set() and time.time() - t0 < spec["end"]:
        for node, conn in conns.items():
            t = now_us(t0)
            try:
                role, good = info_replication(conn)
            except Exception:
                role, good = None, None
                conn.connection_pool.disconnect()
            emit({"t_us": t, "node": node, "role": role, "good_replicas": good})
        stop.wait(spec["interval"])


def run_final(spec):
    out = {"servers": {}, "sentinels": {}}
    for node, path in spec["nodes"].items():
        conn = observer(path, spec["timeout"])
        try:
            role, _ = info_replication(conn)
            keys = sorted(k.decode() for k in conn.scan_iter(count=1000))
            got = {}
            for key in spec.get("get", []):
                v = conn.get(key)
                got[key] = v.decode() if isinstance(v, bytes) else v
            out["servers"][node] = {"role": role, "keys": keys, "get": got}
        except Exception as exc:
            out["servers"][node] = {"role": None, "error": str(exc)}
    for node, path in spec["sentinels"].items():
        conn = observer(path, spec["timeout"])
        try:
            m = conn.sentinel_master(spec["service"])
            out["sentinels"][node] = {
                "master": f"{m['ip']}:{m['port']}",
                "config_epoch": int(m.get("config-epoch", 0)),
            }
        except Exception as exc:
            out["sentinels"][node] = {"master": None, "config_epoch": None, "error": str(exc)}
    emit(out)


def main():
    mode, spec = sys.argv[1], json.loads(sys.argv[2])
    {"client": run_client, "probe": run_probe, "final": run_final}[mode](spec)


if __name__ == "__main__":
    main()
