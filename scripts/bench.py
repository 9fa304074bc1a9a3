#!/usr/bin/env python3
"""`make bench`: the release local-api, on the memory store and on DynamoDB Local, driven over
loopback by wrk; beside it, in the same run, a trivial lambda_http handler served by the same
server and the raw Argon2id verify. Prints a markdown table (and writes it to target/bench.md).

The authenticated read (`GET /identities`) and the hello baseline run at 16 connections and are
judged against each other: at least 0.75 of hello's requests per second, and a p99 of at most
2 ms. `BENCH_STORES=memory` runs the memory store alone (no DynamoDB Local), to iterate.

Single-use operations (step-up verify, TOTP verify) are measured on their refusal path: the
code was already used, so each request does the full check (store round trip, or decrypt and
TOTP check) and is refused; the table marks them.
"""
import json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/auth-target"))
DURATION = os.environ.get("BENCH_SECONDS", "8")
# Which stores to run, in this order (`BENCH_STORES=memory` while iterating: no DynamoDB Local).
STORES = [s for s in os.environ.get("BENCH_STORES", "memory,dynamodb").split(",") if s]
# The authenticated read and its baseline are judged at this many connections.
HOT_CONNECTIONS = 16
PASSWORD = "correct horse battery staple"


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, cwd=ROOT, **kw).stdout


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def call(api, method, path, body=None, token=None, headers=None):
    req = urllib.request.Request(api + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            data = r.read()
            return r.status, json.loads(data) if data else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


LUA = """
wrk.method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then wrk.body = body end
wrk.headers["content-type"] = "application/json"
local otp = os.getenv("BENCH_OTP")
if otp ~= nil and otp ~= "" then wrk.headers["x-otp"] = otp end
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
local i = 0
request = function()
  if #tokens > 0 then
    i = i % #tokens + 1
    wrk.headers["authorization"] = "Bearer " .. tokens[i]
  end
  return wrk.format()
end
"""


def wrk(api, method, path, connections, body=None, tokens=(), otp=None):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA)
        script = f.name
    env = dict(os.environ, BENCH_METHOD=method, BENCH_BODY=json.dumps(body) if body is not None else "",
               BENCH_TOKENS=",".join(tokens), BENCH_OTP=otp or "")
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", DURATION + "s", "--latency", "-s", script, api + path],
                         check=True, text=True, capture_output=True, env=env).stdout
    os.unlink(script)
    def ms(label):
        m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0, "total": total}


def start_api(extra_env):
    port = free_port()
    env = dict(os.environ, PORT=str(port), RUST_LOG="warn", AUTH_BENCH_HELLO="true",
               AUTH_RATE_PER_IP_PER_MINUTE="100000000", AUTH_RATE_PER_ACCOUNT_PER_MINUTE="100000000",
               AUTH_SMS_PER_PHONE_PER_HOUR="100000000", AUTH_SMS_PER_ACCOUNT_PER_DAY="100000000",
               AUTH_LOCKOUT_THRESHOLD="4000000000", AUTH_ACCESS_IDLE_TIMEOUT_SECONDS="2",
               AUTH_MAX_ACCESS_TOKENS_PER_SESSION="100000", **extra_env)
    proc = subprocess.Popen([os.path.join(TARGET, "release", "local-api")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    api = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(api + "/_bench/hello"); return proc, api
        except Exception:
            time.sleep(0.05)
    raise SystemExit("local-api did not start: " + proc.stderr.read().decode())


def scenarios(api):
    status, _ = call(api, "POST", "/users", {"email": "bench@example.com", "password": {"value": PASSWORD}, "name": "Bench",
                                            "mobile": {"countryCode": "+44", "number": "7400123456"}})
    assert status == 201, status
    login = {"email": "bench@example.com", "password": {"value": PASSWORD}}
    auth = call(api, "POST", "/login_with_password", login)[1]["token"]
    identity = call(api, "GET", "/identities", token=auth)[1][0]["id"]
    access = call(api, "POST", "/access_token", {"identity": identity}, token=auth)[1]["token"]
    # ACCESS-token minting spreads over sessions, as many clients would.
    sessions = [call(api, "POST", "/login_with_password", login)[1]["token"] for _ in range(32)]
    access = call(api, "POST", "/access_token", {"identity": identity}, token=auth)[1]["token"]  # idles out in 2 s
    assert call(api, "POST", "/authentication_factors/otp/SMS", {}, token=access)[0] == 204
    assert call(api, "POST", "/authentication_factors/otp/SMS/verify", {"verificationCode": "123456"}, token=access)[0] == 204
    id_login = call(api, "POST", "/auth/login", {"email": "bench@example.com", "password": PASSWORD})[1]
    id_token, refresh = id_login["idToken"], id_login["refreshToken"]
    # The account has a second factor now: adding TOTP needs a code of it in x-otp (the SMS
    # factor's phone counts as a validated method on surface 2).
    time.sleep(16)  # one SMS per account per 15 s: the factor's code went out just now
    assert call(api, "GET", "/auth/otp/code?method=SMS", token=id_token)[0] == 200
    secret = call(api, "POST", "/auth/otp/methods/totp", {}, token=id_token, headers={"x-otp": "123456"})[1]["totp"]["secret"]
    code = sh("python3", "-c", f"import base64,hmac,hashlib,struct,time; k=base64.b32decode('{secret}'); c=struct.pack('>Q', int(time.time())//30); h=hmac.new(k,c,hashlib.sha1).digest(); o=h[-1]&15; print('%06d' % ((struct.unpack('>I', h[o:o+4])[0]&0x7fffffff)%1000000))").strip()
    assert call(api, "POST", "/auth/otp/code", {"channel": "TOTP"}, token=id_token, headers={"x-otp": code})[0] == 200
    time.sleep(16)  # and again before the step-up's SMS
    # ACCESS tokens idle out after 2 s in this run: a fresh one for the step-up.
    access = call(api, "POST", "/access_token", {"identity": identity}, token=auth)[1]["token"]
    assert call(api, "POST", "/stepup/challenges/otp/SMS", {}, token=access)[0] == 204
    assert call(api, "POST", "/stepup/challenges/otp/SMS/verify", {"verificationCode": "123456"}, token=access)[0] == 204
    # Step-up verify first: ACCESS tokens idle out after 2 s in this run (so minted grants expire).
    return [
        ("POST /stepup/challenges/otp/SMS/verify", "POST", "/stepup/challenges/otp/SMS/verify", 8, {"verificationCode": "123456"}, (access,), None, " (refused: used)"),
        ("hello lambda_http handler (baseline)", "GET", "/_bench/hello", HOT_CONNECTIONS, None, (), None, ""),
        ("POST /login_with_password", "POST", "/login_with_password", 2, login, (), None, ""),
        ("GET /identities (AUTH token)", "GET", "/identities", HOT_CONNECTIONS, None, (auth,), None, ""),
        ("POST /access_token", "POST", "/access_token", 8, {"identity": identity}, sessions, None, ""),
        ("POST /auth/login/refresh", "POST", "/auth/login/refresh", 8, {"refreshToken": refresh}, (), None, ""),
        ("DELETE /auth/otp/methods/totp (TOTP verify)", "DELETE", "/auth/otp/methods/totp", 8, None, (id_token,), code, " (refused: replay)"),
    ]


def run_store(name, extra_env):
    proc, api = start_api(extra_env)
    try:
        rows = []
        for label, method, path, conns, body, tokens, otp, note in scenarios(api):
            r = wrk(api, method, path, conns, body, tokens, otp)
            rows.append((label + note, conns, r))
        return rows
    finally:
        proc.terminate(); proc.wait()


def main():
    if not shutil.which("wrk"):
        subprocess.run(["bash", "-c", "apt-get update -qq && apt-get install -y -qq wrk"], check=True)
    print("building release local-api ...", file=sys.stderr)
    sh("cargo", "build", "--release", "-q", "-p", "local-api")
    argon = sh("cargo", "bench", "-q", "-p", "shared", "--bench", "argon2")
    argon_ms = float(re.search(r"median_ms=([\d.]+)", argon).group(1))
    results = {}
    if "memory" in STORES:
        results["memory"] = run_store("memory", {"AUTH_STORE": "memory"})
    if "dynamodb" in STORES:
        env_lines = sh("bash", "scripts/test-services.sh", "start")
        try:
            svc = dict(re.findall(r"export (\w+)=(\S+)", env_lines))
            results["dynamodb"] = run_store("dynamodb", {
                "AUTH_STORE": "dynamodb", "TABLE_NAME": "bench", "AUTH_CREATE_TABLE": "true", "AUTH_SANDBOX": "true",
                "AWS_ENDPOINT_URL_DYNAMODB": svc["AUTH_TEST_DYNAMODB_ENDPOINT"], "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        finally:
            subprocess.run(["bash", "scripts/test-services.sh", "stop"], cwd=ROOT, capture_output=True)
    cpu = sh("bash", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    lines = [f"Machine: {os.cpu_count()} cores ({cpu}); wrk, 2 threads, {DURATION} s per row; raw Argon2id verify median {argon_ms:.1f} ms.", "",
             "| store | operation | conns | req/s | p50 ms | p99 ms | non-2xx |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for store, rows in results.items():
        for label, conns, r in rows:
            lines.append(f"| {store} | {label} | {conns} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} of {r['total']} |")
    if "memory" in results:
        mem = {label: r for label, _, r in results["memory"]}
        hello = mem["hello lambda_http handler (baseline)"]
        login = mem["POST /login_with_password"]
        ident = mem["GET /identities (AUTH token)"]
        ratio = ident["rps"] / hello["rps"]
        met = lambda ok: "met" if ok else "MISSED"
        lines += ["", "Targets (memory store, same run):",
                  f"- login p50 / raw Argon2id verify: {login['p50'] / argon_ms:.2f} (target <= 1.15)",
                  f"- logins per core-second: {login['rps'] / os.cpu_count():.1f} (target >= 30)",
                  f"- GET /identities req/s / hello req/s at {HOT_CONNECTIONS} connections: {ratio:.2f} (target >= 0.75: {met(ratio >= 0.75)})",
                  f"- GET /identities p99 at {HOT_CONNECTIONS} connections: {ident['p99']:.2f} ms (target <= 2: {met(ident['p99'] <= 2)}); "
                  f"hello's own p99 in the same run: {hello['p99']:.2f} ms"]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    open(os.path.join(ROOT, "target", "bench.md"), "w").write(text + "\n")


if __name__ == "__main__":
    main()
