// redsim conform's driver for node-redis: the real library (npm's `redis` package, the release
// the model follows), driven the way the simulator's model drives it, every operation one JSON
// line on stdout.
//
// It keeps the `client` part of the contract redis_py.py describes (the observers, `probe` and
// `final`, stay with the Python driver):
//
//     node node_redis.mjs client SPEC
//         {"seq", "op": "write"|"read", "key", "value", "invoked_us", "completed_us",
//          "node": "ip:port"|null, "result": "ok"|"error"|"timeout"|"lost", "error", "reply"}
//
// SPEC is one JSON object (argv[3]); its `node_redis` object holds the scenario's settings,
// spelled as node-redis spells them. Times are microseconds since SPEC's `t0` (Unix seconds).
// The process stops at SPEC's `end` or when stdin closes. `node` is the master the sentinel
// client last reported (`topology-change` MASTER_CHANGE): node-redis does not expose the
// socket a command went out on.

import { createSentinel } from "redis";

const spec = JSON.parse(process.argv[3]);
const t0 = spec.t0;
const nowUs = () => Math.round((Date.now() / 1000 - t0) * 1e6);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
let stopped = false;
process.stdin.on("end", () => { stopped = true; });
process.stdin.on("close", () => { stopped = true; });
process.stdin.resume();

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// An error as the outcome record's result: `timeout` (commandOptions.timeout: the command may
// still run), `lost` (the socket closed with it in flight, maxCommandRediscovers times), `error`
// otherwise (an error reply, READONLY after maxCommandRediscovers retries).
function classify(err) {
  const text = (err && err.message) || String(err);
  if (err && err.name === "TimeoutError") return ["timeout", text];
  if (text.startsWith("Socket closed unexpectedly")) return ["lost", text];
  return ["error", text];
}

function options() {
  const s = spec.node_redis || {};
  const socket = { connectTimeout: s.connectTimeout === undefined ? 5000 : s.connectTimeout };
  if (s.socketTimeout !== undefined && s.socketTimeout !== null) socket.socketTimeout = s.socketTimeout;
  if (s.reconnectStrategy !== undefined && s.reconnectStrategy !== null) {
    socket.reconnectStrategy = s.reconnectStrategy;
  }
  return {
    name: spec.service,
    sentinelRootNodes: spec.sentinels.map(([host, port]) => ({ host, port })),
    scanInterval: s.scanInterval || 0,
    maxCommandRediscovers: s.maxCommandRediscovers === undefined ? 16 : s.maxCommandRediscovers,
    masterPoolSize: s.masterPoolSize || 1,
    nodeClientOptions: { socket },
    sentinelClientOptions: { socket: { connectTimeout: socket.connectTimeout } },
    commandOptions: { timeout: s.commandTimeout === undefined ? 5000 : s.commandTimeout },
  };
}

async function main() {
  const writes = spec.writes_per_sec, reads = spec.reads_per_sec;
  const total = writes + reads;
  if (total === 0) return;
  const end = spec.stop === null || spec.stop === undefined ? spec.end : Math.min(spec.end, spec.stop);
  await sleep((t0 + spec.start) * 1000 - Date.now());
  // The application creates its client when its workload starts, as the model does.
  if (spec.plain || spec.replica) throw new Error("node_redis.mjs drives createSentinel master clients only");
  const conn = createSentinel(options());
  let master = null;
  conn.on("error", () => {});
  conn.on("client-error", () => {});
  conn.on("topology-change", (e) => {
    if (e.type === "MASTER_CHANGE") master = `${e.node.host}:${e.node.port}`;
  });
  await conn.connect();
  const interval = 1 / total;
  let nextAt = spec.start, n = 0, seq = 0, lastKey = null;
  const name = spec.name;
  while (!stopped) {
    await sleep((t0 + nextAt) * 1000 - Date.now());
    if (stopped || Date.now() / 1000 - t0 >= end) break;
    const isWrite = Math.floor(((n + 1) * writes) / total) > Math.floor((n * writes) / total);
    n += 1;
    let key, value = null;
    if (isWrite) {
      key = `${name}:${String(seq).padStart(6, "0")}`;
      value = `${name}-v${seq}`;
      lastKey = key;
    } else {
      key = lastKey || `${name}:000000`;
    }
    const started = Date.now() / 1000;
    const record = { seq, op: isWrite ? "write" : "read", key, value, invoked_us: nowUs() };
    try {
      const reply = isWrite ? await conn.set(key, value) : await conn.get(key);
      record.result = "ok";
      if (!isWrite) record.reply = reply;
    } catch (err) {
      [record.result, record.error] = classify(err);
    }
    record.completed_us = nowUs();
    record.node = master;
    emit(record);
    seq += 1;
    nextAt = Math.max(started + interval - t0, Date.now() / 1000 - t0);
  }
  conn.destroy();
}

if (process.argv[2] !== "client") {
  process.stderr.write("node_redis.mjs drives clients only: node node_redis.mjs client SPEC\n");
  process.exit(2);
}
main().then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.stack) + "\n"); process.exit(1); });
