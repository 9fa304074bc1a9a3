// The passkey demo page (GET /demo/passkeys on local-api) in headless Chromium, with a virtual
// authenticator from the DevTools protocol (user verification on, resident keys): every step of
// the page (register, enrol a passkey, step up, log in on both surfaces) must show its answer.
// Usage: node passkeys.mjs <base URL> [screenshot.png]
import { chromium } from "playwright-core";

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
  await browser.close();
}
console.log(failures === 0
  ? "test result: ok. 1 passed; 0 failed; 0 ignored (passkey demo page in Chromium)"
  : "test result: FAILED. 0 passed; 1 failed; 0 ignored (passkey demo page in Chromium)");
process.exit(failures === 0 ? 0 : 1);
