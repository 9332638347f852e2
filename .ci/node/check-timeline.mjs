// Loads a redsim timeline page in headless chromium (file://, no network) and fails on any console
// error, page error or network request, or when an expected element is missing.
//
//   node check-timeline.mjs PAGE.html [--band RULE]... [--lost KEY]... [--promotion] [--dense] [--stall]
//
// At 1400x900, always: every lane of the page's data is drawn; every client lane ends within the
// first 900 px (no scrolling to see the writes); no two sentinel event labels overlap, over the
// whole run and zoomed on each key moment; every write mark (tick, column, stall) names the
// server it went to, as the data says. --band names a filter rule that must be a band, --lost a
// key that must be a lost-write mark whose click shows its story, --promotion requires a
// promotion mark, --dense requires aggregated write columns that resolve into ticks when zoomed,
// --stall a stall bar (a write outstanding over 1 s) as wide as its write's wait.
import { launch, watch } from "./browser.mjs";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const page_file = args.shift();
const want = { bands: [], lost: [], promotion: false, dense: false, stall: false };
while (args.length) {
  const a = args.shift();
  if (a === "--band") want.bands.push(args.shift());
  else if (a === "--lost") want.lost.push(args.shift());
  else if (a === "--promotion") want.promotion = true;
  else if (a === "--dense") want.dense = true;
  else if (a === "--stall") want.stall = true;
  else throw new Error(`unknown argument ${a}`);
}

const browser = await launch();
const failures = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const url = pathToFileURL(page_file).href;
  watch(page, failures, (u) => u === url || u.startsWith("data:"));
  await page.goto(url, { waitUntil: "load" });

  const lanes = await page.evaluate(() => {
    const data = JSON.parse(document.getElementById("run-data").textContent);
    return data.lanes.map((l) => [l.id, !!document.querySelector(`#plot .lane[data-proc="${CSS.escape(l.id)}"]`)]);
  });
  if (!lanes.length) failures.push("no lanes in the page data");
  for (const [id, drawn] of lanes) if (!drawn) failures.push(`missing lane ${id}`);
  const below = await page.evaluate(() =>
    [...document.querySelectorAll('#plot .lane[data-kind="client"]')]
      .map((l) => [l.getAttribute("data-proc"), l.getBoundingClientRect().bottom + window.scrollY])
      .filter((l) => l[1] > 900));
  for (const [id, bottom] of below) failures.push(`client lane ${id} ends at ${Math.round(bottom)} px, below the fold (900 px)`);
  await labelsApart("the whole run");
  await writesNamed("the whole run");
  for (const rule of want.bands) {
    const n = await page.$$eval(`#plot .band[data-rule="${rule}"]`, (e) => e.length);
    if (!n) failures.push(`missing band ${rule}`);
  }
  if (want.promotion && !(await page.$("#plot .promotion"))) failures.push("missing promotion mark");
  for (const key of want.lost) {
    const mark = await page.$(`#plot .write-lost[data-key="${key}"]`);
    if (!mark) { failures.push(`missing lost-write mark for ${key}`); continue; }
    // A tick is a line (no area to click on): click where it is drawn, as a person would.
    await mark.scrollIntoView();
    const b = await mark.boundingBox();
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    const text = await page.$eval("#story", (e) => e.textContent);
    if (!text.includes(key) || !text.toLowerCase().includes("discarded")) failures.push(`clicking ${key} shows no story: ${text}`);
  }
  if (want.dense) {
    const buckets = await page.$$eval("#plot .write-bucket", (e) => e.length);
    if (!buckets) failures.push("a dense run shows no aggregated write columns");
    // Zoom into ten seconds with the wheel: individual ticks appear.
    const box = await (await page.$("#plot")).boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6);
    for (let i = 0; i < 12; i++) await page.mouse.wheel({ deltaY: -300 });
    const ticks = await page.$$eval("#plot line.write", (e) => e.length);
    if (!ticks) failures.push("zoomed in, a dense run still shows no single write ticks");
    const t0 = Date.now();
    await page.click("#zoom-fit");
    const ms = Date.now() - t0;
    if (ms > 2000) failures.push(`redrawing the whole run took ${ms} ms`);
  }
  if (want.stall) {
    const stalls = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById("run-data").textContent);
      return [...document.querySelectorAll("#plot .stall")].map((g) => {
        const w = data.writes[+g.getAttribute("data-w")];
        return [w[2] - w[1], g.querySelector("rect").getBoundingClientRect().width];
      });
    });
    if (!stalls.length) failures.push("no stall bar for a write outstanding over 1 s");
    for (const [us, px] of stalls) if (us <= 1e6 || px < 20) failures.push(`a stall bar of ${px} px for a wait of ${us} µs`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  // Zoomed on each key moment (the buttons above the plot), labels stay apart, writes named.
  const moments = await page.$$eval("#moments [data-at]", (b) => b.map((e) => e.getAttribute("data-at")));
  for (const at of moments) {
    await page.click(`#moments [data-at="${at}"]`);
    await labelsApart(`zoomed on ${at / 1e6}s`);
    await writesNamed(`zoomed on ${at / 1e6}s`);
  }
  await page.click("#zoom-fit");
  // Drag to pan and zoom with the buttons: still no errors.
  await page.click("#zoom-in");
  const box = await (await page.$("#plot")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 80);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + 80, { steps: 5 });
  await page.mouse.up();
  await page.click("#zoom-out");

  // No two sentinel event labels' boxes intersect.
  async function labelsApart(where) {
    const hits = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll("#plot .mark-label")].map((t) => [t.textContent, t.getBoundingClientRect()]);
      const out = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i][1], boxes[j][1]];
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${boxes[i][0]} / ${boxes[j][0]}`);
        }
      return out;
    });
    for (const h of hits) failures.push(`${where}: event labels overlap: ${h}`);
  }

  // Every write mark carries its write's server (`data-node`, empty for none) as the data has it.
  async function writesNamed(where) {
    const bad = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById("run-data").textContent);
      const out = [];
      let n = 0;
      for (const e of document.querySelectorAll("#plot line.write, #plot .stall, #plot .write-bucket")) {
        n++;
        const ids = e.hasAttribute("data-w") ? [e.getAttribute("data-w")] : e.getAttribute("data-ws").split(" ");
        const node = e.getAttribute("data-node");
        for (const i of ids) {
          const w = data.writes[+i];
          if (!w) out.push(`a write mark names no write (${i})`);
          else if (node === null || w[6] !== node) out.push(`write ${i} drawn as sent to ${node}, sent to ${w[6]}`);
        }
      }
      return [n, data.writes.length, out.slice(0, 5)];
    });
    // Zoomed on a moment with no write, none is drawn; over the whole run every write is.
    if (bad[1] && !bad[0] && where === "the whole run") failures.push("no write marks");
    for (const b of bad[2]) failures.push(`${where}: ${b}`);
  }
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${page_file}: ${failures.length} problem(s)`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`${page_file}: ok`);
