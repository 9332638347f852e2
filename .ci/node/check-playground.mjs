// Checks the browser playground (`redsim playground -o DIR`) in headless chromium, from disk
// (file://, no network), failing on any console error, page error or network request:
//
//   node check-playground.mjs DIR/index.html [--digest SCENARIO.toml SEED DIGEST]... [--screenshot OUT.png]
//
// On load the first lesson (blog-partition, seed 1) runs: the timeline shows the promotion and
// `iwas` lost, and #digest is filled. Setting min-replicas-to-write to 1 reruns and changes the
// lost count; switching the client library to ioredis and back reruns; a bad edit shows the error at its line; each --digest scenario and seed run in the
// page gives the digest the CLI printed; a panic inside the module shows an error and the next
// run still works; a share link reopens the same run; dragging a filter band rewrites the event's
// time and reruns. It prints how long the 100 s blog scenario takes to run in the page (no timed
// assertion), and --screenshot saves the page as loaded.
import { launch, watch } from "./browser.mjs";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
const pageFile = args.shift();
const digests = [];
let screenshot = null;
while (args.length) {
  const a = args.shift();
  if (a === "--digest") digests.push([args.shift(), args.shift(), args.shift()]);
  else if (a === "--screenshot") screenshot = args.shift();
  else throw new Error(`unknown argument ${a}`);
}

const browser = await launch();
const failures = [];
function check(ok, what) { if (!ok) failures.push(what); }
const blog = readFileSync(new URL("../../traces/blog-partition.toml", import.meta.url), "utf8");

try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 1700 });
  const url = pathToFileURL(pageFile).href;
  watch(page, failures, (u) => u.startsWith(url) || u.startsWith("data:"));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("digest").textContent !== "", { timeout: 60000 });
  const first = await state(page);
  console.log(`on load: ${first.name} seed ${first.seed}, digest ${first.digest}, ${first.lost} lost, promotions ${first.promotions}`);
  check(first.name === "blog-partition.toml" && first.seed === "1", `the first run is ${first.name} seed ${first.seed}`);
  check(first.promotionMarks > 0, "no promotion mark on the timeline");
  check(first.iwasLost, "iwas is not drawn as a lost write");
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`${screenshot}: written`);
  }

  // The run time of the 100 s blog scenario, five runs.
  const times = [];
  for (let i = 0; i < 5; i++) {
    await page.evaluate((text) => window.playground.run("blog-partition.toml", text, 1), blog);
    times.push(+(await page.$eval("#timing", (e) => e.dataset.ms)));
  }
  times.sort((a, b) => a - b);
  console.log(`blog-partition (100 s simulated) runs in the page in ${times[2].toFixed(0)} ms (median of 5; min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)})`);

  // min-replicas-to-write 1: fewer writes lost.
  await setField(page, "#set-min-replicas", "1");
  const fewer = await state(page);
  check(/min-replicas-to-write = 1/.test(fewer.text), "min-replicas-to-write was not written into the scenario");
  check(fewer.lost !== first.lost, `min-replicas-to-write 1 leaves the lost count at ${fewer.lost}`);
  console.log(`min-replicas-to-write 1: ${fewer.lost} lost (was ${first.lost})`);

  // The client library switch: every sentinel client runs ioredis (its redis-py settings
  // dropped), then redis-py again; each reruns without an error.
  await setField(page, "#set-library", "ioredis");
  const io = await state(page);
  check(/library = "ioredis"/.test(io.text) && !/socket-timeout/.test(io.text), "the library switch did not rewrite the clients for ioredis");
  check(!io.error && io.digest !== fewer.digest, `the ioredis run shows ${io.error ? "an error" : "the same digest"}`);
  console.log(`library ioredis: ${io.lost} lost (redis-py ${fewer.lost})`);
  await setField(page, "#set-library", "redis-py");
  const py = await state(page);
  check(!/^library = /m.test(py.text) && !py.error && py.digest !== io.digest, "switching back to redis-py did not rerun as redis-py");

  // A bad edit: the error at its line.
  const lines = blog.split("\n"), bad = lines.findIndex((l) => l.startsWith("duration = ")) + 1;
  lines[bad - 1] = "duration = 100";
  await page.evaluate((text) => window.playground.run("blog-partition.toml", text, 1), lines.join("\n"));
  const err = await page.evaluate(() => ({
    shown: !document.getElementById("error").hidden,
    text: document.getElementById("error").textContent,
    line: document.getElementById("error").dataset.line,
    gutter: (document.querySelector("#gutter .err") || {}).textContent,
  }));
  check(err.shown && err.line === String(bad) && err.gutter === String(bad) && err.text.includes(`:${bad}:`),
    `the bad edit at line ${bad} shows ${JSON.stringify(err)}`);

  // The CLI's digests.
  for (const [file, seed, want] of digests) {
    await page.evaluate((n, text, s) => window.playground.run(n, text, s), basename(file), readFileSync(file, "utf8"), seed);
    const got = await page.$eval("#digest", (e) => e.textContent);
    check(got === want, `${file} seed ${seed}: digest ${got} in the page, ${want} from the CLI`);
    console.log(`${file} seed ${seed}: ${got} (the CLI's: ${want})`);
  }

  // A panic shows an error, and the page still runs.
  await page.evaluate(() => window.playground.panic());
  const panicked = await page.$eval("#error", (e) => !e.hidden && e.textContent.includes("panicked"));
  check(panicked, "a panic in the module shows no error");
  await page.evaluate((text) => window.playground.run("blog-partition.toml", text, 1), blog);
  const after = await state(page);
  check(after.digest === first.digest && after.error === false, "after a panic the page does not run as before");

  // A share link reopens the run.
  await page.evaluate((text) => window.playground.run("blog-partition.toml", text, 5), blog);
  const shared = await state(page);
  const link = await page.$eval("#share-link", (e) => e.value);
  const other = await browser.newPage();
  const linked = link.replace(/#.*/, "");
  watch(other, failures, (u) => u.startsWith(linked) || u.startsWith("data:"));
  await other.goto(link, { waitUntil: "load" });
  await other.waitForFunction(() => document.getElementById("digest").textContent !== "", { timeout: 60000 });
  const reopened = await state(other);
  check(reopened.digest === shared.digest && reopened.seed === "5", `the share link opens seed ${reopened.seed}, digest ${reopened.digest} (want 5, ${shared.digest})`);
  await other.close();

  // Dragging the first band (in its host's header) 100 px to the right moves its event.
  await page.evaluate((text) => window.playground.run("blog-partition.toml", text, 1), blog);
  const before = await state(page);
  const band = await page.$("#plot rect.band");
  if (band) await band.scrollIntoView();
  const box = band && (await band.boundingBox());
  if (!box) failures.push("no band to drag");
  else {
    await page.mouse.move(box.x + 20, box.y + 4);
    await page.mouse.down();
    await page.mouse.move(box.x + 70, box.y + 4, { steps: 4 });
    await page.mouse.move(box.x + 120, box.y + 4, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction((d) => document.getElementById("digest").textContent !== d, { timeout: 30000 }, before.digest).catch(() => {});
    const dragged = await state(page);
    check(dragged.text !== before.text && dragged.digest !== before.digest, "dragging a band neither rewrote the scenario nor reran it");
    const moved = dragged.text.split("\n").filter((l) => /^at = /.test(l) && !before.text.split("\n").includes(l));
    console.log(`band dragged: ${moved.join(", ") || "no event moved"}`);
  }
} finally {
  await browser.close();
}


async function state(page) {
  return page.evaluate(() => ({
    name: document.getElementById("scenario-pick").value,
    seed: document.getElementById("seed").value,
    digest: document.getElementById("digest").textContent,
    lost: document.getElementById("lost").dataset.count,
    promotions: document.getElementById("promotions").textContent,
    promotionMarks: document.querySelectorAll("#plot .promotion").length,
    iwasLost: !!document.querySelector('#plot .write-lost[data-key="iwas"]') ||
      [...document.querySelectorAll("#plot .write-bucket[data-keys]")].some((g) => g.getAttribute("data-keys").split(" ").includes("iwas")),
    text: document.getElementById("scenario").value,
    error: !document.getElementById("error").hidden,
  }));
}

async function setField(page, selector, value) {
  const digest = await page.$eval("#digest", (e) => e.textContent);
  await page.$eval(selector, (e, v) => { e.value = v; e.dispatchEvent(new Event("change")); }, value);
  await page.waitForFunction((d) => document.getElementById("digest").textContent !== d, { timeout: 30000 }, digest).catch(() => {});
}

if (failures.length) {
  console.error(`${pageFile}: ${failures.length} problem(s)`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`${pageFile}: ok`);
