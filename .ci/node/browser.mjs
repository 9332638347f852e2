// What the browser checks share: Debian's chromium launched headless as puppeteer.json says (npm
// never downloads a browser), and a page watched for console errors, page errors and failed or
// unexpected requests, each pushed onto `failures`.
import puppeteer from "puppeteer";
import { readFileSync } from "node:fs";

export function launch() {
  const config = JSON.parse(readFileSync(new URL("./puppeteer.json", import.meta.url)));
  return puppeteer.launch({
    executablePath: config.executablePath,
    args: [...config.args, "--disable-quic"],
    headless: true,
  });
}

// `allowed(url)`: whether the page may request `url` (its own file, data: URLs, ...).
export function watch(page, failures, allowed) {
  page.on("console", (m) => { if (m.type() === "error") failures.push(`console error: ${m.text()}`); });
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  page.on("request", (r) => { if (!allowed(r.url())) failures.push(`network request: ${r.url()}`); });
  page.on("requestfailed", (r) => failures.push(`request failed: ${r.url()}`));
}
