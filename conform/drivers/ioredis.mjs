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
import { main, runClient } from "./workload.mjs";

// An error as the outcome record's result: `timeout` (commandTimeout: the command may still
// run), `lost` (the connection closed with it in flight), `error` otherwise (an error reply,
// the offline queue failed by maxRetriesPerRequest, or enableOfflineQueue false).
function classify(err) {
  const text = (err && err.message) || String(err);
  if (text === "Command timed out") return ["timeout", text];
  if (text.startsWith("Command aborted due to connection close")) return ["lost", text];
  return ["error", text];
}

function options(spec) {
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

main("ioredis.mjs", (spec) => runClient(spec, {
  open: () => {
    const conn = new Redis(options(spec));
    conn.on("error", () => {});
    return conn;
  },
  node: (conn) => {
    const s = conn.stream;
    return s && s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : null;
  },
  classify,
  close: (conn) => conn.disconnect(),
}));
