// The API called from a page on another origin, in headless Chromium: a page on the allowed
// origin (AUTH_CORS_ORIGINS) signs in on surface 2 with a JSON body (a real preflight), reads the
// exposed request-ref, and calls the profile with its idToken in Authorization; a page on any
// other origin is refused by the browser. The pages are served here, on loopback ports of their
// own: other origins than the API's, in the same address space (as a local app's dev server).
// Usage: node cors.mjs <API base URL> <allowed origin, http://127.0.0.1:PORT>
import { createServer } from "node:http";
import { launch, record, settled } from "./harness.mjs";


const [api, allowed] = process.argv.slice(2);
const page = "<!doctype html><title>app</title>";
const serve = (port) => new Promise((resolve) => {
  const server = createServer((_, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end(page); });
  server.listen(port, "127.0.0.1", () => resolve(server));
});
const servers = [await serve(Number(new URL(allowed).port)), await serve(0)];
const other = `http://127.0.0.1:${servers[1].address().port}`;
const email = `cors-${Date.now()}@example.com`;
const password = "correct horse battery staple";
const registered = await fetch(`${api}/users`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, password: { value: password }, name: "Cors Test" }),
});
const browser = await launch();
let failures = registered.status === 201 ? 0 : 1;
if (failures) console.log(`FAIL register: ${registered.status}`);
const call = async (origin) => {
  const tab = await browser.newPage();
  record(tab, api);
  await tab.goto(`${origin}/`);
  return tab.evaluate(async ({ api, email, password }) => {
    try {
      const login = await fetch(`${api}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      const body = await login.json();
      const me = await fetch(`${api}/auth/me`, { headers: { authorization: `Bearer ${body.idToken}` } });
      const profile = await me.json();
      return { login: login.status, ref: login.headers.get("request-ref"), me: me.status, email: profile.email };
    } catch (e) {
      return { refused: String(e) };
    }
  }, { api, email, password });
};
try {
  const ok = await call(allowed);
  const good = ok.login === 200 && ok.me === 200 && typeof ok.ref === "string" && ok.ref.length > 0 && !!ok.email;
  console.log(`${good ? "ok  " : "FAIL"} from ${allowed}: ${JSON.stringify(ok)}`);
  if (!good) failures += 1;
  const refused = await call(other);
  const blocked = typeof refused.refused === "string";
  console.log(`${blocked ? "ok  " : "FAIL"} from ${other}: ${JSON.stringify(refused)}`);
  if (!blocked) failures += 1;
} catch (e) {
  console.log(`FAIL the pages: ${e}`);
  failures += 1;
} finally {
  await settled();
  await browser.close();
  servers.forEach((s) => s.close());
}
console.log(failures === 0
  ? "test result: ok. 1 passed; 0 failed; 0 ignored (the API from another origin in Chromium)"
  : "test result: FAILED. 0 passed; 1 failed; 0 ignored (the API from another origin in Chromium)");
process.exit(failures === 0 ? 0 : 1);
