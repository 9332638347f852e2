// redsim conform's driver for ioredis: the real library (npm, the release the model follows),
// driven the way the simulator's model drives it, every operation one JSON line on stdout.
//
// It keeps the `client` part of the contract redis_py.py describes (the observers, `probe` and
// `final`, stay with the Python driver):
//
//     node ioredis.mjs client SPEC
//         {"seq", "op": "write"|"read", "key", "value", "invoked_us", "completed_us",
//          "node": "ip:port"|null, "result": "ok"|"error"|"timeout"|"lost", "error", "reply"}
//
// SPEC is one JSON object (argv[3]); its `ioredis` object holds the scenario's settings, spelled
// as ioredis spells them. Times are microseconds since SPEC's `t0` (Unix seconds). The process
// stops at SPEC's `end` or when stdin closes.

import Redis from "ioredis";

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

// An error as the outcome record's result: `timeout` (commandTimeout: the command may still
// run), `lost` (the connection closed with it in flight), `error` otherwise (an error reply,
// the offline queue failed by maxRetriesPerRequest, or enableOfflineQueue false).
function classify(err) {
  const text = (err && err.message) || String(err);
  if (text === "Command timed out") return ["timeout", text];
  if (text.startsWith("Command aborted due to connection close")) return ["lost", text];
  return ["error", text];
}

function options() {
  const s = spec.ioredis || {};
  const o = {
    failoverDetector: !!s.failoverDetector,
    enableOfflineQueue: s.enableOfflineQueue !== false,
    maxRetriesPerRequest: s.maxRetriesPerRequest === undefined ? 20 : s.maxRetriesPerRequest,
    connectTimeout: s.connectTimeout_ms === undefined ? 10000 : s.connectTimeout_ms,
    autoResendUnfulfilledCommands: s.autoResendUnfulfilledCommands !== false,
    enableReadyCheck: s.enableReadyCheck !== false,
  };
  if (s.commandTimeout_ms !== undefined && s.commandTimeout_ms !== null) {
    o.commandTimeout = s.commandTimeout_ms;
  }
  if (s.reconnectOnError === "READONLY") {
    o.reconnectOnError = (err) => err.message.startsWith("READONLY");
  }
  if (spec.plain) {
    return { host: spec.plain[0], port: spec.plain[1], ...o };
  }
  return {
    sentinels: spec.sentinels.map(([host, port]) => ({ host, port })),
    name: spec.service,
    role: spec.replica ? "slave" : "master",
    ...o,
  };
}

async function main() {
  const writes = spec.writes_per_sec, reads = spec.reads_per_sec;
  const total = writes + reads;
  if (total === 0) return;
  const end = spec.stop === null || spec.stop === undefined ? spec.end : Math.min(spec.end, spec.stop);
  await sleep((t0 + spec.start) * 1000 - Date.now());
  // The application creates its client when its workload starts, as the model does.
  const conn = new Redis(options());
  conn.on("error", () => {});
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
    const s = conn.stream;
    record.node = s && s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : null;
    emit(record);
    seq += 1;
    nextAt = Math.max(started + interval - t0, Date.now() / 1000 - t0);
  }
  conn.disconnect();
}

if (process.argv[2] !== "client") {
  process.stderr.write("ioredis.mjs drives clients only: node ioredis.mjs client SPEC\n");
  process.exit(2);
}
main().then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.stack) + "\n"); process.exit(1); });
