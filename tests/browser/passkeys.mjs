// The passkey demo page (GET /demo/passkeys on local-api) in headless Chromium, with a virtual
// authenticator from the DevTools protocol (user verification on, resident keys): every step of
// the page (register, enrol a passkey, step up, log in on both surfaces) must show its answer.
// Usage: node passkeys.mjs <base URL> [screenshot.png]
import { appendFileSync } from "node:fs";
import { chromium } from "playwright-core";

// Every answer the page receives from the API, for openapi.yaml to judge (scripts/judge-answers.py).
// Each is read before the browser closes (`await Promise.allSettled(reading)`).
const reading = [];
const record = (page, api) => page.on("response", (r) => reading.push((async () => {
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

const [base, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // This machine's network is closed: without these, Chromium keeps dialling out.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let failures = 0;
try {
  const page = await browser.newPage();
  record(page, base);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(`${base}/demo/passkeys`);
  const steps = [
    ["register", "register-result", /^registered and logged in: AUTH$/],
    ["enrol", "enrol-result", /^enrolled: PASSKEY ACTIVE$/],
    ["stepup", "stepup-result", /^stepped up: 204$/],
    ["login", "login-result", /^surface 1: 200 AUTH$/],
    ["login2", "login2-result", /^surface 2: 200 amr hwk,user$/],
  ];
  for (const [button, result, expected] of steps) {
    await page.click(`#${button}`);
    const el = page.locator(`#${result}`);
    await el.filter({ hasText: /./ }).waitFor({ timeout: 15000 });
    const text = (await el.textContent()).trim();
    const ok = expected.test(text) && (await el.getAttribute("class")) === "ok";
    console.log(`${ok ? "ok  " : "FAIL"} ${button}: ${text}`);
    if (!ok) failures += 1;
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  console.log(`FAIL the page: ${e}`);
  failures += 1;
} finally {
  await Promise.allSettled(reading);
  await browser.close();
}
console.log(failures === 0
  ? "test result: ok. 1 passed; 0 failed; 0 ignored (passkey demo page in Chromium)"
  : "test result: FAILED. 0 passed; 1 failed; 0 ignored (passkey demo page in Chromium)");
process.exit(failures === 0 ? 0 : 1);
