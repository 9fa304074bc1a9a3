#!/usr/bin/env python3
"""`make cold-start`: spawns each function's release binary under a fake Lambda Runtime API on
127.0.0.1 (it serves one event from events/ and takes the answer), with DynamoDB Local and moto
standing in for AWS, and measures the time from spawn to the first `next` (init) and to the
response, the peak RSS and the binary size. Beside them, measured the same way in the same run:
a hello `lambda_http` binary, and the calls an init waits on, each alone in a fresh process
(`baselines/src/bin/init-calls.rs`: the SDK configuration, a Secrets Manager fetch, DynamoDB's
first call), and those two together as an init makes them. Each function's init is judged
against hello + the slowest of those calls alone + 3 ms. The emulators are warmed first
(COLD_START_WARM_UP requests of each kind, default 300), and the runs go round the binaries in
turn, in a new random order each round (COLD_START_RUNS rounds, default 7), so that the machine's other load falls on all alike.
Usage: scripts/cold-start.py [all | function ...] (default: one function of every kind).
Whether each binary answers its events right is checked by scripts/lambda-emulator.py."""
import http.server, json, os, random, re, socket, subprocess, sys, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/auth-target"))
RUNS = int(os.environ.get("COLD_START_RUNS", "7"))
# One function of every kind, by what its init and first request do.
KINDS = {
    "list-identities": "session-checked (ACCESS token, DynamoDB)",
    "auth-me": "idToken (verified offline, then the account)",
    "login-with-password": "login (Argon2id, DynamoDB)",
    "jwks": "JWKS (public keys from Secrets Manager)",
    "authorizer": "Lambda authorizer for other APIs",
    "publish-events": "DynamoDB stream consumer (EventBridge)",
    "preflight": "CORS preflight (no AWS call)",
}
SLACK_MS = 3.0
WARM_UP = int(os.environ.get("COLD_START_WARM_UP", "300"))
PROFILE = os.environ.get("COLD_START_PROFILE", "release")


class Runtime(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, event):
        super().__init__(("127.0.0.1", 0), Handler)
        self.event, self.served, self.t_next, self.t_done, self.done = event, False, None, None, threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path.endswith("/invocation/next"):
            if self.server.served:
                self.server.done.wait(30)  # the function waits here for its next event
                self.send_response(500); self.end_headers(); return
            self.server.served, self.server.t_next = True, time.perf_counter()
            body = self.server.event.encode()
            self.send_response(200)
            for k, v in {"Lambda-Runtime-Aws-Request-Id": "req-1", "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                         "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                         "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000", "Content-Type": "application/json"}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if "/invocation/" in self.path or "/init/error" in self.path:
            self.server.t_done = time.perf_counter(); self.server.ok = self.path.endswith("/response")
            try:
                self.server.status = json.loads(body).get("statusCode")
            except Exception:
                self.server.status = None
            self.send_response(202); self.end_headers(); self.wfile.write(b"{}")
            self.server.done.set()


def measure(binary, event, env):
    rt = Runtime(event)
    threading.Thread(target=rt.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{rt.server_address[1]}")
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rt.done.wait(30)
    rss = 0
    try:
        rss = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{proc.pid}/status").read()).group(1))
    except Exception:
        pass
    proc.kill(); proc.wait(); rt.shutdown()
    if rt.t_next is None or rt.t_done is None:
        return None
    return {"init": (rt.t_next - t0) * 1000, "first": (rt.t_done - t0) * 1000, "rss": rss / 1024, "ok": getattr(rt, "ok", False),
            "status": getattr(rt, "status", None)}


def median(xs):
    xs = sorted(xs); return xs[len(xs) // 2]


def main():
    wanted = sys.argv[1:]
    functions = sorted(d for d in os.listdir(os.path.join(ROOT, "functions")) if d != "local-api")
    if wanted != ["all"]:
        functions = [f for f in functions if f in (wanted or KINDS)]
    release = ["--release"] if PROFILE == "release" else []
    print(f"building {len(functions)} {PROFILE} binaries and the baselines, in one invocation ...", file=sys.stderr)
    # As `make build` builds the fleet (scripts/build.sh): aws-lc seeded from the OS alone.
    os.environ["AWS_LC_SYS_NO_JITTER_ENTROPY"] = "1"
    built = time.perf_counter()
    subprocess.run(["cargo", "build", "-q", "--locked"] + release + sum((["-p", f] for f in functions), []) + ["-p", "baselines"],
                   cwd=ROOT, check=True)
    print(f"built in {time.perf_counter() - built:.0f} s", file=sys.stderr)
    svc = dict(re.findall(r"export (\w+)=(\S+)", subprocess.run(["bash", "scripts/test-services.sh", "start"], cwd=ROOT, check=True, text=True, capture_output=True).stdout))
    try:
        moto, ddb = svc["AUTH_TEST_MOTO_ENDPOINT"], svc["AUTH_TEST_DYNAMODB_ENDPOINT"]
        base = dict(os.environ, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                    AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                    AWS_LAMBDA_LOG_STREAM_NAME="s", AWS_LAMBDA_LOG_GROUP_NAME="g", RUST_LOG="warn",
                    AWS_ENDPOINT_URL_DYNAMODB=ddb, AWS_ENDPOINT_URL_SECRETS_MANAGER=moto, AWS_ENDPOINT_URL_SNS=moto,
                    AWS_ENDPOINT_URL_SESV2=moto, AWS_ENDPOINT_URL_EVENTBRIDGE=moto, AUTH_EVENT_BUS_NAME="default",
                    AUTH_STORE="dynamodb", TABLE_NAME="coldstart", AUTH_SIGNING_SECRET_ID="coldstart-keys")
        # The table and the key secret, as the stack would have them.
        subprocess.run([sys.executable, "-c", f"""
import boto3
WARM_UP = {WARM_UP}
kw = dict(region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
d = boto3.client('dynamodb', endpoint_url='{ddb}', **kw)
try:
    d.create_table(TableName='coldstart', BillingMode='PAY_PER_REQUEST', AttributeDefinitions=[{{'AttributeName':'PK','AttributeType':'S'}},{{'AttributeName':'SK','AttributeType':'S'}}], KeySchema=[{{'AttributeName':'PK','KeyType':'HASH'}},{{'AttributeName':'SK','KeyType':'RANGE'}}])
except d.exceptions.ResourceInUseException: pass
s = boto3.client('secretsmanager', endpoint_url='{moto}', **kw)
try: s.create_secret(Name='coldstart-keys', SecretString='{{"kid":"initial","seed":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"}}')
except s.exceptions.ResourceExistsException: pass
# Warm: DynamoDB Local is a JVM and moto a Python server, both just started; the services in
# AWS are neither cold nor interpreted. Without this, whatever runs first pays their warm-up.
for _ in range(WARM_UP):
    d.get_item(TableName='coldstart', Key={{'PK': {{'S': 'WARMUP'}}, 'SK': {{'S': 'WARMUP'}}}})
    s.get_secret_value(SecretId='coldstart-keys')
"""], check=True, executable=os.path.join(ROOT, ".tools", "venv", "bin", "python"))
        # The calls an init waits on, each alone, then the two together, in a fresh process per
        # run; and every binary's cold starts. Run after run, each binary in turn, so that what
        # else the machine does at some moment falls on all of them alike.
        init_calls = os.path.join(TARGET, PROFILE, "init-calls")
        hello_event = open(os.path.join(ROOT, "events", "jwks.json")).read()
        binaries = [("hello (lambda_http baseline)", os.path.join(TARGET, PROFILE, "hello-lambda"), hello_event)] + \
            [(f, os.path.join(TARGET, PROFILE, f), open(os.path.join(ROOT, "events", f + ".json")).read()) for f in functions]
        calls, runs = [], {name: [] for name, _, _ in binaries}
        order = list(binaries)
        for _ in range(RUNS):
            random.shuffle(order)  # nor on whichever comes first after the emulators' last work
            alone = json.loads(subprocess.run([init_calls], env=base, check=True, text=True, capture_output=True).stdout)
            together = subprocess.run([init_calls, "together"], env=base, check=True, text=True, capture_output=True).stdout
            calls.append(dict(alone, **json.loads(together)))
            for name, binary, event in order:
                r = measure(binary, event, base)
                if r:
                    runs[name].append(r)
        call = {k: median([c[k] for c in calls]) for k in calls[0]}
        rows = []
        for name, binary, _ in binaries:
            if not runs[name]:
                rows.append((name, None, os.path.getsize(binary))); continue
            m = {k: median([r[k] for r in runs[name]]) for k in ("init", "first", "rss")}
            m["status"] = runs[name][-1]["status"]
            rows.append((name, m, os.path.getsize(binary)))
    finally:
        subprocess.run(["bash", "scripts/test-services.sh", "stop"], cwd=ROOT, capture_output=True)
    hello_init = rows[0][1]["init"]
    slowest = max(call["secret_fetch_ms"], call["dynamodb_first_ms"])
    limit = hello_init + slowest + SLACK_MS
    lines = [f"Median of {RUNS} cold starts per binary; init = spawn to the first `next`, first = spawn to the response.",
             f"Alone, in a fresh process: SDK configuration {call['config_ms']:.1f} ms, Secrets Manager fetch "
             f"{call['secret_fetch_ms']:.1f} ms, DynamoDB first call {call['dynamodb_first_ms']:.1f} ms, "
             f"aws-lc's first random bytes {call['random_first_ms']:.1f} ms (a TLS handshake's, in AWS); "
             f"the fetch and the DynamoDB call made together, as an init makes them: {call['together_ms']:.1f} ms. "
             f"Limit = hello {hello_init:.1f} + slowest call {slowest:.1f} + {SLACK_MS:.0f} = {limit:.1f} ms.", "",
             "| binary | kind | init ms | limit ms | | first response ms | peak RSS MiB | size MiB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    missed = []
    for name, m, size in rows:
        kind = KINDS.get(name, "")
        if m is None:
            lines.append(f"| {name} | {kind} | failed | | | | | {size / 2**20:.1f} |"); missed.append(name); continue
        verdict = "" if name.startswith("hello") else ("met" if m["init"] <= limit else "MISSED")
        if verdict == "MISSED":
            missed.append(name)
        lines.append(f"| {name} | {kind} | {m['init']:.1f} | {'' if name.startswith('hello') else f'{limit:.1f}'} | {verdict} | "
                     f"{m['first']:.1f} | {m['rss']:.1f} | {size / 2**20:.1f} |")
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    open(os.path.join(ROOT, "target", "cold-start.md"), "w").write(text + "\n")
    if missed:
        print(f"\nover the limit: {', '.join(missed)}", file=sys.stderr)


if __name__ == "__main__":
    main()
