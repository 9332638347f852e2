// Loads a redsim timeline page in headless chromium (file://, no network) and fails on any console
// error, page error or network request, or when an expected element is missing.
//
//   node check-timeline.mjs PAGE.html [--band RULE]... [--lost KEY]... [--promotion] [--dense]
//
// Every lane of the page's data must be drawn; --band names a filter rule that must be a band,
// --lost a key that must be a lost-write mark whose click shows its story, --promotion requires a
// promotion mark, --dense requires aggregated write columns that resolve into ticks when zoomed.
import puppeteer from "puppeteer";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const page_file = args.shift();
const want = { bands: [], lost: [], promotion: false, dense: false };
while (args.length) {
  const a = args.shift();
  if (a === "--band") want.bands.push(args.shift());
  else if (a === "--lost") want.lost.push(args.shift());
  else if (a === "--promotion") want.promotion = true;
  else if (a === "--dense") want.dense = true;
  else throw new Error(`unknown argument ${a}`);
}

const config = JSON.parse(readFileSync(new URL("./puppeteer.json", import.meta.url)));
const browser = await puppeteer.launch({
  executablePath: config.executablePath,
  args: [...config.args, "--disable-quic"],
  headless: true,
});
const failures = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
  const url = pathToFileURL(page_file).href;
  page.on("console", (m) => { if (m.type() === "error") failures.push(`console error: ${m.text()}`); });
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    const u = r.url();
    if (u !== url && !u.startsWith("data:")) failures.push(`network request: ${u}`);
  });
  page.on("requestfailed", (r) => failures.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "load" });

  const lanes = await page.evaluate(() => {
    const data = JSON.parse(document.getElementById("run-data").textContent);
    return data.lanes.map((l) => [l.id, !!document.querySelector(`#plot .lane[data-proc="${CSS.escape(l.id)}"]`)]);
  });
  if (!lanes.length) failures.push("no lanes in the page data");
  for (const [id, drawn] of lanes) if (!drawn) failures.push(`missing lane ${id}`);
  for (const rule of want.bands) {
    const n = await page.$$eval(`#plot .band[data-rule="${rule}"]`, (e) => e.length);
    if (!n) failures.push(`missing band ${rule}`);
  }
  if (want.promotion && !(await page.$("#plot .promotion"))) failures.push("missing promotion mark");
  for (const key of want.lost) {
    const mark = await page.$(`#plot .write-lost[data-key="${key}"]`);
    if (!mark) { failures.push(`missing lost-write mark for ${key}`); continue; }
    // A tick is a line (no area to click on): click where it is drawn, as a person would.
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
  // Drag to pan and zoom with the buttons: still no errors.
  await page.click("#zoom-in");
  const box = await (await page.$("#plot")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 80);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + 80, { steps: 5 });
  await page.mouse.up();
  await page.click("#zoom-out");
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${page_file}: ${failures.length} problem(s)`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`${page_file}: ok`);
