// The workload loop redsim conform's node drivers share (ioredis.mjs, node_redis.mjs): the
// scenario client's operations at its rate, each written as one JSON line on stdout, as the
// `client` part of the contract redis_py.py describes. conform writes this file next to each
// driver in its npm install.
//
// A driver gives `runClient` its library's part: `open()` the client (when the workload
// starts, as the model does), `node(conn)` the address the last command went to (or null),
// `classify(err)` an error as [result, text], and `close(conn)`.

export async function runClient(spec, { open, node, classify, close }) {
  const t0 = spec.t0;
  const nowUs = () => Math.round((Date.now() / 1000 - t0) * 1e6);
  const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
  let stopped = false;
  process.stdin.on("end", () => { stopped = true; });
  process.stdin.on("close", () => { stopped = true; });
  process.stdin.resume();
  const writes = spec.writes_per_sec, reads = spec.reads_per_sec;
  const total = writes + reads;
  if (total === 0) return;
  const end = spec.stop === null || spec.stop === undefined ? spec.end : Math.min(spec.end, spec.stop);
  await sleep((t0 + spec.start) * 1000 - Date.now());
  const conn = await open();
  const interval = 1 / total;
  let nextAt = spec.start, n = 0, seq = 0, lastKey = null;
  const name = spec.name;
  while (!stopped) {
    await sleep((t0 + nextAt) * 1000 - Date.now());
    if (stopped || Date.now() / 1000 - t0 >= end) break;
    // Operation n is a write when the running share of writes crosses an integer.
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
    record.node = node(conn);
    process.stdout.write(JSON.stringify(record) + "\n");
    seq += 1;
    nextAt = Math.max(started + interval - t0, Date.now() / 1000 - t0);
  }
  close(conn);
}

// The driver's entry point: `node DRIVER client SPEC` runs `body(spec)`, anything else is
// refused; the process exits when the workload ends.
export function main(file, body) {
  if (process.argv[2] !== "client") {
    process.stderr.write(`${file} drives clients only: node ${file} client SPEC\n`);
    process.exit(2);
  }
  const spec = JSON.parse(process.argv[3]);
  body(spec).then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.stack) + "\n"); process.exit(1); });
}
