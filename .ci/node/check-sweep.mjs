// Loads a `redsim sweep --html` heat map in headless chromium (file://, no network) and fails on
// any console error, page error or network request, when the page does not have one square per
// run (RUNS), or when clicking a square does not open that run's timeline (its page draws its
// lanes with no error). With --screenshot OUT.png, saves the heat map as it looks at 1400x900.
//
//   node check-sweep.mjs PAGE.html RUNS [--screenshot OUT.png]
import { launch, watch } from "./browser.mjs";
import { pathToFileURL } from "node:url";

const [page_file, runs, flag, shot] = process.argv.slice(2);
const browser = await launch();
const failures = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  watch(page, failures, (u) => u.startsWith("file:"));
  await page.goto(pathToFileURL(page_file).href, { waitUntil: "load" });
  const squares = await page.$$eval("a.cell[data-cell]", (as) => as.length);
  if (squares !== Number(runs)) failures.push(`${squares} squares, ${runs} runs`);
  if (flag === "--screenshot") await page.screenshot({ path: shot });
  const worst = await page.$eval("a.cell[data-cell]:last-of-type", (a) => a.dataset.cell);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`a.cell[data-cell="${worst}"]`)]);
  if (!page.url().endsWith(`cell-${worst}.html`)) failures.push(`the click opened ${page.url()}`);
  const lanes = await page.$$eval("#plot *", (es) => es.length);
  if (lanes === 0) failures.push(`cell ${worst}'s timeline draws nothing`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${page_file}:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(`${page_file}: ${runs} squares, a click opens its run's timeline`);
