// The passkey demo page (GET /demo/passkeys on local-api) in headless Chromium, with a virtual
// authenticator from the DevTools protocol (user verification on, resident keys): every step of
// the page (register, enrol a passkey, step up, log in on both surfaces) must show its answer.
// Usage: node passkeys.mjs <base URL> [screenshot.png]
import { launch, record, settled } from "./harness.mjs";


const [base, screenshot] = process.argv.slice(2);
const browser = await launch();
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
  await settled();
  await browser.close();
}
console.log(failures === 0
  ? "test result: ok. 1 passed; 0 failed; 0 ignored (passkey demo page in Chromium)"
  : "test result: FAILED. 0 passed; 1 failed; 0 ignored (passkey demo page in Chromium)");
process.exit(failures === 0 ? 0 : 1);
