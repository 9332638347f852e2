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
import { main, runClient } from "./workload.mjs";

// An error as the outcome record's result: `timeout` (commandOptions.timeout: the command may
// still run), `lost` (the socket closed with it in flight, maxCommandRediscovers times), `error`
// otherwise (an error reply, READONLY after maxCommandRediscovers retries).
function classify(err) {
  const text = (err && err.message) || String(err);
  if (err && err.name === "TimeoutError") return ["timeout", text];
  if (text.startsWith("Socket closed unexpectedly")) return ["lost", text];
  return ["error", text];
}

function options(spec) {
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

// The master the sentinel client last reported (`topology-change` MASTER_CHANGE).
let master = null;

main("node_redis.mjs", (spec) => runClient(spec, {
  open: async () => {
    if (spec.plain || spec.replica) throw new Error("node_redis.mjs drives createSentinel master clients only");
    const conn = createSentinel(options(spec));
    conn.on("error", () => {});
    conn.on("client-error", () => {});
    conn.on("topology-change", (e) => {
      if (e.type === "MASTER_CHANGE") master = `${e.node.host}:${e.node.port}`;
    });
    await conn.connect();
    return conn;
  },
  node: () => master,
  classify,
  close: (conn) => conn.destroy(),
}));
