// Makes the README's picture of the timeline: `node .ci/node/screenshot.mjs PAGE.html OUT.png KEY`
// loads the page in Debian's chromium, clicks the lost write KEY so its story shows, and saves a
// full-page PNG (docs/timeline.png is `redsim run traces/blog-partition.toml --html` with KEY iwas).
import { launch } from "./browser.mjs";
import { pathToFileURL } from "node:url";

const [page_file, out, key] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 1050 });
  await page.goto(pathToFileURL(page_file).href, { waitUntil: "load" });
  if (key) {
    const mark = await page.$(`#plot .write-lost[data-key="${key}"]`);
    if (!mark) throw new Error(`no lost write ${key}`);
    await mark.scrollIntoView();
    const b = await mark.boundingBox();
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.move(5, 5);
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
