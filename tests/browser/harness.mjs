// What the browser tests share: headless Chromium as this machine can run it, and a recorder of
// every answer a page receives from the API, for openapi.yaml to judge (scripts/judge-answers.py).
import { appendFileSync } from "node:fs";
import { chromium } from "playwright-core";

export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // This machine's network is closed: without these, Chromium keeps dialling out.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});

// Each answer is read before the browser closes (`await settled()`).
const reading = [];
export const settled = () => Promise.allSettled(reading);

export const record = (page, api) => page.on("response", (r) => reading.push((async () => {
  const url = new URL(r.url());
  const method = r.request().method();
  if (!r.url().startsWith(api) || method === "OPTIONS" || url.pathname.startsWith("/demo/")) return;
  let body = null;
  // (A body the browser never delivers to the page, as a refused cross-origin answer's, never
  // settles: a second bounds the wait.)
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error("no body")), 1000).unref());
  try { const text = await Promise.race([r.text(), late]); body = text ? JSON.parse(text) : null; } catch { body = "(unreadable)"; }
  appendFileSync(process.env.ANSWERS_FILE || "/dev/null",
    JSON.stringify({ method, path: url.pathname + url.search, status: r.status(), body }) + "\n");
})()));
