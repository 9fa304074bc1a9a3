#!/usr/bin/env python3
"""The Lambda binaries as deployed, under a real Lambda emulator (what `make test` runs).

Builds every function of template.yaml once (debug, the test run's one build), starts
`cargo lambda watch --only-lambda-apis` (cargo-lambda's Lambda Runtime API emulator, pinned, from
PyPI) and runs each binary against it as Lambda would: its own process, the environment its
template.yaml entry gives it (Globals plus its own, `!Ref`s resolved: a fresh DynamoDB Local table
made from the template's Table, the key secrets made in moto as CloudFormation generates them, the
parameters of the sandbox stage from samconfig.toml), AWS pointed at DynamoDB Local and moto.
The key secrets are first rotated by the rotate-keys binary (its four steps), as the stack does at
creation. Then every function is invoked (`cargo lambda invoke`) with its events/<name>.json,
placeholders filled with what the other functions answered in the same run, and must answer
the status its event expects.

Between the functions and AWS sits a recording proxy: every DynamoDB and Secrets Manager call must
be allowed by the function's policy in template.yaml (actions and resources), and no SNS or SES
call may happen (the sandbox is on). A function fails when an answer is wrong, when it exits or
panics, when it logs an ERROR line, or when a call is outside its policy; its log is shown.

Usage: scripts/lambda-emulator.py   (uses $AUTH_TEST_DYNAMODB_ENDPOINT and $AUTH_TEST_MOTO_ENDPOINT
when set, as in `make test`; otherwise starts the test services itself and stops them after).
       scripts/lambda-emulator.py --write-env-json   (writes events/env.json, each function's
environment for `sam local invoke --env-vars`, from template.yaml, resolved the same way but for
DynamoDB Local on the Docker host, table `auth` and key secrets named `auth-local-*`).
"""
import os
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".tools", "lambda")
# cargo-lambda and zig as scripts/sam.sh pins them; the rest for the AWS calls and the device key.
PINS = ["cargo-lambda==1.9.2", "ziglang==0.14.1", "boto3==1.44.5", "botocore==1.44.5", "PyYAML==6.0.3",
        "cryptography==50.0.2", "jsonschema==4.26.0"]


def bootstrap():
    """Installs the pinned tools into .tools/lambda (again when a pin changes) and re-runs this
    script with that virtualenv's Python."""
    python = os.path.join(VENV, "bin", "python")
    stamp = os.path.join(VENV, ".pins")
    if not os.path.exists(stamp) or open(stamp).read() != " ".join(PINS):
        subprocess.run(["rm", "-rf", VENV], check=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q"] + PINS, check=True, stdout=sys.stderr)
        open(stamp, "w").write(" ".join(PINS))
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(python, [python] + sys.argv)


if __name__ == "__main__":
    bootstrap()

# From here on, inside the virtualenv.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spec_check  # noqa: E402  (openapi.yaml as the judge of every answer)
import base64, ctypes, fnmatch, hashlib, hmac, http.client, http.server, json, re, secrets, shutil, signal  # noqa: E402
import socket, struct, tempfile, threading, time, tomllib, urllib.parse, uuid  # noqa: E402

import boto3  # noqa: E402
import yaml  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/auth-target"))
CARGO_LAMBDA = os.path.join(VENV, "bin", "cargo-lambda")
REGION, ACCOUNT = "us-east-1", "123456789012"
PASSWORD = "correct horse battery staple"
INVOKE_TIMEOUT = 30


NO_VALUE = object()


class Failure(Exception):
    def __init__(self, function, message):
        super().__init__(f"{function}: {message}")
        self.function, self.message = function, message


# ---------------------------------------------------------------------------------------------
# template.yaml


class CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


class Stack:
    """template.yaml, resolved as the sandbox stage would be."""

    def __init__(self, table, secret_arns):
        self.doc = yaml.load(open(os.path.join(ROOT, "template.yaml")), Loader=CfnLoader)
        self.merge_nested_stacks()
        self.table, self.secret_arns = table, secret_arns
        params = {k: str(v.get("Default", "")) for k, v in self.doc["Parameters"].items()}
        config = tomllib.load(open(os.path.join(ROOT, "samconfig.toml"), "rb"))
        overrides = config["sandbox"]["deploy"]["parameters"]["parameter_overrides"]
        for pair in overrides.split():
            key, value = pair.split("=", 1)
            params[key] = value
        if params.get("Sandbox") != "true":
            raise SystemExit("samconfig.toml: the sandbox stage must deploy with Sandbox=true")
        self.params = params
        self.functions = {}
        for logical, res in self.doc["Resources"].items():
            if res["Type"] == "AWS::Serverless::Function":
                code = res["Properties"].get("CodeUri", "")
                binary = code.removeprefix("build/lambda/").rstrip("/") if code.startswith("build/lambda/") else None
                if not binary:
                    raise SystemExit(f"template.yaml: {logical}'s CodeUri is not build/lambda/<binary>/")
                self.functions[binary] = (logical, res["Properties"])

    def merge_nested_stacks(self):
        """Each nested stack's resources (stacks/, an AWS::Serverless::Application with a local
        template) taken into the root's, as the root would hold them: each of its parameters
        replaced by what the root passes, its CodeUris relative to the root. Its Globals are the
        root's (tests/api/template.rs holds them equal)."""
        def substitute(value, passed):
            if isinstance(value, dict) and list(value) == ["Ref"] and value["Ref"] in passed:
                return passed[value["Ref"]]
            if isinstance(value, dict):
                return {k: substitute(v, passed) for k, v in value.items()}
            if isinstance(value, list):
                return [substitute(v, passed) for v in value]
            return value
        for res in list(self.doc["Resources"].values()):
            location = res.get("Properties", {}).get("Location")
            if res["Type"] != "AWS::Serverless::Application" or not isinstance(location, str):
                continue
            nested = yaml.load(open(os.path.join(ROOT, location)), Loader=CfnLoader)
            passed = res["Properties"].get("Parameters", {})
            for logical, resource in nested["Resources"].items():
                resource = substitute(resource, passed)
                code = resource.get("Properties", {}).get("CodeUri")
                if isinstance(code, str) and code.startswith("../build/lambda/"):
                    resource["Properties"]["CodeUri"] = code.removeprefix("../")
                self.doc["Resources"][logical] = resource

    def bus(self):
        return f"{self.table}-security-events"

    def table_arn(self):
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.table}"

    def condition(self, value, where):
        """A condition of the template, with the stage's parameters."""
        if isinstance(value, dict) and list(value) == ["Condition"]:
            return self.condition(self.doc["Conditions"][value["Condition"]], where)
        if isinstance(value, dict) and list(value) == ["Fn::Equals"]:
            a, b = value["Fn::Equals"]
            return self.resolve(a, where) == self.resolve(b, where)
        if isinstance(value, dict) and list(value) == ["Fn::Not"]:
            return not self.condition(value["Fn::Not"][0], where)
        if isinstance(value, dict) and list(value) in (["Fn::And"], ["Fn::Or"]):
            results = [self.condition(c, where) for c in list(value.values())[0]]
            return all(results) if "Fn::And" in value else any(results)
        raise SystemExit(f"template.yaml: {where}: cannot evaluate the condition {value!r}")

    def resolve(self, value, where):
        """A value as the stack would have it; NO_VALUE for AWS::NoValue (the key is absent)."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        if value == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        if isinstance(value, dict) and list(value) == ["Fn::If"]:
            name, then, otherwise = value["Fn::If"]
            return self.resolve(then if self.condition({"Condition": name}, where) else otherwise, where)
        if isinstance(value, dict) and list(value) == ["Ref"]:
            name = value["Ref"]
            if name == "Table":
                return self.table
            if name == "EventBus":
                return self.bus()
            # The table's name stands for the stack's (the bus is named after it, as the stack's
            # is), e.g. for a metrics namespace set to the stack's name.
            if name == "AWS::StackName":
                return self.table
            if name in self.secret_arns:
                return self.secret_arns[name]
            if name in self.params:
                return self.params[name]
        if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"] == "Table.Arn":
            return self.table_arn()
        if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"] == "EventBus.Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{self.bus()}"
        if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"] == "PublishEventsDeadLetters.Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.table}-dead-letters"
        if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
            fixed = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
            return re.sub(r"\$\{([^}]+)\}", lambda m: fixed.get(m.group(1)) or self.resolve({"Ref": m.group(1)}, where),
                          value["Fn::Sub"])
        raise SystemExit(f"template.yaml: {where}: cannot resolve {value!r} for the emulator")

    def environment(self, binary):
        logical, props = self.functions[binary]
        merged = dict(self.doc["Globals"]["Function"]["Environment"]["Variables"])
        merged.update((props.get("Environment") or {}).get("Variables") or {})
        resolved = {k: self.resolve(v, f"{logical}.Environment.{k}") for k, v in merged.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def memory(self, binary):
        return str(self.functions[binary][1].get("MemorySize", self.doc["Globals"]["Function"]["MemorySize"]))

    def policy(self, binary):
        """[(actions, resources)] of the function's Allow statements."""
        logical, props = self.functions[binary]
        out = []
        for policy in props.get("Policies") or []:
            # An inline statement list, or a managed policy of the template by reference.
            if isinstance(policy, dict) and list(policy) == ["Ref"]:
                managed = self.doc["Resources"].get(policy["Ref"], {})
                if managed.get("Type") != "AWS::IAM::ManagedPolicy":
                    raise SystemExit(f"template.yaml: {logical}: {policy!r} is not a managed policy of the template")
                policy = managed["Properties"]["PolicyDocument"]
            elif not isinstance(policy, dict) or list(policy) != ["Statement"]:
                raise SystemExit(f"template.yaml: {logical}: only inline Statement policies are read: {policy!r}")
            for st in policy["Statement"]:
                if st.get("Effect") != "Allow":
                    raise SystemExit(f"template.yaml: {logical}: only Allow statements are read")
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                # The one condition in use: the partition keys a statement is limited to.
                cond = st.get("Condition")
                keys = None
                if cond is not None:
                    keys = cond.get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys")
                    if keys is None or len(cond) != 1:
                        raise SystemExit(f"template.yaml: {logical}: unsupported condition {cond!r}")
                out.append((actions, [self.resolve(r, f"{logical}.Policies") for r in res], keys))
        return out

    def allows(self, binary, action, resource, detail=""):
        pk = detail[3:] if detail.startswith("pk=") else None
        return any(any(fnmatch.fnmatchcase(action, a) for a in actions) and
                   any(fnmatch.fnmatchcase(resource, r) for r in resources) and
                   (keys is None or (pk is not None and pk in keys))
                   for actions, resources, keys in self.policy(binary))


# ---------------------------------------------------------------------------------------------
# The recording proxy in front of DynamoDB Local and moto


class Recorder:
    def __init__(self):
        self.lock, self.calls = threading.Lock(), []

    def add(self, who, service, action, resource, detail=""):
        with self.lock:
            self.calls.append((who, service, action, resource, detail))


def aws_calls(service, headers, path, body, method="POST"):
    """(action, resource, detail) of what an AWS request needs IAM permission for; the detail
    (the kind of item, from its key) only explains a refusal."""
    target = headers.get("X-Amz-Target", "")
    if service == "dynamodb":
        op, doc = target.split(".")[-1], json.loads(body or b"{}")
        table = lambda t, index=None: f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}" + (f"/index/{index}" if index else "")  # noqa: E731
        if op == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[k]}", table(v["TableName"]), kind(v)) for item in doc["TransactItems"] for k, v in item.items()]
        if op == "TransactGetItems":
            return [("dynamodb:GetItem", table(i["Get"]["TableName"]), kind(i["Get"])) for i in doc["TransactItems"]]
        if op in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{op}", table(t), "") for t in doc["RequestItems"]]
        if op == "GetItem" and doc.get("Key", {}).get("PK", {}).get("S") == "WARMUP":
            # The cold start's connection warm-up: allowed for its key alone (StoreWarmUpPolicy).
            return [("dynamodb:GetItem", table(doc.get("TableName", "?")), "pk=WARMUP")]
        return [(f"dynamodb:{op}", table(doc.get("TableName", "?"), doc.get("IndexName")), kind(doc))]
    if service == "secretsmanager":
        doc = json.loads(body or b"{}")
        return [(f"secretsmanager:{target.split('.')[-1]}", doc.get("SecretId", "?"), "")]
    if service == "events":
        doc = json.loads(body or b"{}")
        bus = lambda name: name if name.startswith("arn:") else f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"  # noqa: E731
        return [(f"events:{target.split('.')[-1]}", bus(e.get("EventBusName", "default")), "") for e in doc.get("Entries", [])]
    if service == "sns":
        form = urllib.parse.parse_qs(body.decode())
        return [(f"sns:{form.get('Action', ['?'])[0]}", "any", "")]
    if service == "s3":
        # Path-style: /bucket/key?query. Reads are GetObject; a multipart upload's create, parts
        # and completion are all authorised as PutObject; its abort is AbortMultipartUpload.
        url = urllib.parse.urlparse(path)
        obj = f"arn:aws:s3:::{urllib.parse.unquote(url.path.lstrip('/'))}"
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if method in ("GET", "HEAD"):
            return [("s3:GetObject", obj, "")]
        if method == "DELETE":
            return [("s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject", obj, "")]
        return [("s3:PutObject", obj, "")]
    return [(f"{service}:{path}", "any", "")]


def kind(request):
    """The kind of item a DynamoDB request names: its partition key's prefix (`USER#`, `RATE#`)."""
    pk = (request.get("Key") or request.get("Item") or {}).get("PK", {}).get("S", "")
    return f"an item {pk.split('#')[0]}#..." if pk else ""


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size + 2)[:size]
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += chunk
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self):
        body = self._body()
        m = re.search(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/", self.headers.get("Authorization", ""))
        who, service = (m.group(1), m.group(2)) if m else ("?", "?")
        try:
            for action, resource, detail in aws_calls(service, self.headers, self.path, body, self.command):
                self.server.recorder.add(who, service, action, resource, detail)
        except Exception as e:  # an unreadable request is recorded as such, and fails the run
            self.server.recorder.add(who, service, f"unreadable request: {e}", "?")
        up = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "content-length", "connection")}
        headers["Content-Length"] = str(len(body))
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "content-length", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def start_proxy(upstream_url, recorder):
    u = urllib.parse.urlparse(upstream_url)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    server.daemon_threads = True
    server.upstream, server.recorder = (u.hostname, u.port), recorder
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# ---------------------------------------------------------------------------------------------
# The emulator and the function processes


LIBC = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """In a child before exec: killed when this script dies, however it dies (PR_SET_PDEATHSIG)."""
    LIBC.prctl(1, signal.SIGKILL)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def access_key(binary):
    return "".join(part.capitalize() for part in binary.split("-"))


def tail(path, lines=40):
    try:
        return "\n".join(open(path, errors="replace").read().splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Emulator:
    def __init__(self, stack, workdir, ddb, moto):
        self.stack, self.workdir, self.ddb, self.moto = stack, workdir, ddb, moto
        self.procs, self.logs = {}, {}
        self.port = free_port()
        self.watch_log = os.path.join(workdir, "cargo-lambda-watch.log")
        self.watch = subprocess.Popen(
            [CARGO_LAMBDA, "lambda", "watch", "--only-lambda-apis", "--ignore-changes", "--invoke-address", "127.0.0.1",
             "--invoke-port", str(self.port)],
            cwd=ROOT, stdout=open(self.watch_log, "w"), stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            env=dict(os.environ, PATH=os.path.join(VENV, "bin") + os.pathsep + os.environ["PATH"], NO_COLOR="1"))
        deadline = time.time() + 60
        while True:
            if self.watch.poll() is not None:
                raise SystemExit(f"cargo lambda watch exited ({self.watch.returncode}); its log:\n{tail(self.watch_log)}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"cargo lambda watch did not listen on port {self.port}; its log:\n{tail(self.watch_log)}")
                time.sleep(0.1)

    def start(self, binary):
        """Runs one function's binary as Lambda would, polling the emulator for its events."""
        logical, _ = self.stack.functions[binary]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            # cargo-lambda's per-function Runtime API (lambda_runtime takes a URL with a path).
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{self.port}/.rt/{binary}",
            "AWS_LAMBDA_FUNCTION_NAME": f"emulator-{logical}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": self.stack.memory(binary),
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/emulator-{logical}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "emulator",
            "_HANDLER": "bootstrap",
            "TZ": ":UTC",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            # The function's own credentials, by which the proxy knows who called (letters only:
            # DynamoDB Local refuses other access key ids).
            "AWS_ACCESS_KEY_ID": access_key(binary), "AWS_SECRET_ACCESS_KEY": "emulator", "AWS_SESSION_TOKEN": "emulator",
            "AWS_ENDPOINT_URL_DYNAMODB": self.ddb,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto,
            "AWS_ENDPOINT_URL_SNS": self.moto,
            "AWS_ENDPOINT_URL_SESV2": self.moto,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": self.moto,
            "AWS_ENDPOINT_URL_S3": self.moto,
        }
        env.update(self.stack.environment(binary))
        log = os.path.join(self.workdir, f"{binary}.log")
        path = os.path.join(TARGET, "debug", binary)
        self.procs[binary] = subprocess.Popen([path], env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                              stdout=open(log, "w"), stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.logs[binary] = log

    def alive(self, binary):
        p = self.procs[binary]
        if p.poll() is not None:
            raise Failure(binary, f"the process exited ({p.returncode}); its output:\n{tail(self.logs[binary])}")

    def invoke(self, binary, payload):
        """`cargo lambda invoke` through the emulator; the function's answer, parsed."""
        self.alive(binary)
        data = os.path.join(self.workdir, f"event-{uuid.uuid4().hex}.json")
        with open(data, "w") as f:
            json.dump(payload, f)
        cmd = [CARGO_LAMBDA, "lambda", "invoke", binary, "--invoke-address", "127.0.0.1", "--invoke-port",
               str(self.port), "--data-file", data, "--output-format", "json", "--color", "never"]
        inv = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        deadline = time.time() + INVOKE_TIMEOUT + 5
        while inv.poll() is None:
            if self.procs[binary].poll() is not None:
                inv.kill()
                inv.wait()
                self.alive(binary)
            if time.time() > deadline:
                inv.kill()
                inv.wait()
                raise Failure(binary, f"no answer in {INVOKE_TIMEOUT} s; its output:\n{tail(self.logs[binary])}")
            time.sleep(0.01)
        out, err = inv.communicate()
        os.unlink(data)
        if inv.returncode != 0:
            raise Failure(binary, f"the invocation failed: {err.strip() or out.strip()}\nits output:\n{tail(self.logs[binary])}")
        try:
            return json.loads(out)
        except ValueError:
            raise Failure(binary, f"the answer is not JSON: {out[:300]!r}")

    def stop(self):
        procs = list(self.procs.values()) + [self.watch]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        end = time.time() + 5
        for p in procs:
            try:
                p.wait(max(0.1, end - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# ---------------------------------------------------------------------------------------------
# Events, filled in


def event(binary, fill=None, body=None):
    """events/<binary>.json with its placeholders filled (all of them, or the run fails) and,
    for the set-up calls, another body."""
    doc = json.load(open(os.path.join(ROOT, "events", f"{binary}.json")))
    if body is not None:  # before the check: a body given replaces the event's placeholders too
        doc["body"] = json.dumps(body)
    raw = json.dumps(doc)
    for key, value in (fill or {}).items():
        raw = raw.replace(f"<{key}>", value)
    left = re.findall(r"<[A-Z_]+>", raw)
    if left:
        raise Failure(binary, f"events/{binary}.json: placeholders left unfilled: {left}")
    return json.loads(raw)


class Run:
    def __init__(self, emulator):
        self.emu = emulator
        self.seen = {}  # binary -> statuses answered, in order

    def http(self, binary, expect, fill=None, body=None, keys=()):
        """Invokes an HTTP function with its event; the answer must have the status `expect`,
        `request-ref` and the body's `keys`. Returns the body, parsed."""
        ev = event(binary, fill, body)
        answer = self.emu.invoke(binary, ev)
        status = answer.get("statusCode")
        text = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        self.seen.setdefault(binary, []).append(status)
        if status != expect:
            raise Failure(binary, f"answered {status}, expected {expect}: {text[:300]}\nits output:\n{tail(self.emu.logs[binary])}")
        hdrs = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for k, v in (answer.get("multiValueHeaders") or {}).items():
            hdrs.setdefault(k.lower(), v[0] if v else "")
        if "request-ref" not in hdrs:
            raise Failure(binary, "the answer has no request-ref header")
        parsed = json.loads(text) if text else None
        # The answer must be one openapi.yaml describes (scripts/spec_check.py).
        unspecified = spec_check.check(ev["httpMethod"], ev["path"], status, parsed)
        if unspecified:
            raise Failure(binary, unspecified)
        for key in keys:
            if not isinstance(parsed, dict) or key not in parsed:
                raise Failure(binary, f"the {status} answer has no `{key}`")
        return parsed


def register_body(email, mobile=True):
    body = json.loads(json.loads(open(os.path.join(ROOT, "events", "register.json")).read())["body"])
    body["email"] = email
    if not mobile:
        body.pop("mobile", None)
    return body


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def scenario(run):
    """Every function, with its event, in an order where each finds the state it presumes."""
    emu = run.emu
    login = lambda email, pw=PASSWORD: run.http("login-with-password", 200, body={"email": email, "password": {"value": pw}}, keys=["token"])["token"]  # noqa: E731

    def tokens(email):
        auth = login(email)
        ids = run.http("list-identities", 200, fill={"AUTH_TOKEN": auth})
        identity = ids[0]["id"]["id"]
        access = run.http("access-token", 200, fill={"AUTH_TOKEN": auth, "IDENTITY_ID": identity}, keys=["token"])["token"]
        return auth, identity, access

    def id_tokens(email):
        r = run.http("auth-login", 200, body={"email": email, "password": PASSWORD}, keys=["idToken", "refreshToken"])
        return r["idToken"], r["refreshToken"]

    run.http("register", 201, keys=["userId", "identity"])  # events/register.json as it is

    # An SMS factor first: the step-up code it allows waits out the 15 s SMS cooldown meanwhile.
    run.http("register", 201, body=register_body("otp@example.com"))
    _, _, otp_access = tokens("otp@example.com")
    run.http("enrol-otp-factor", 204, fill={"ACCESS_TOKEN": otp_access})
    first_sms = time.time()
    run.http("verify-otp-factor", 204, fill={"ACCESS_TOKEN": otp_access})

    # Jane: the account of the login events.
    jane = run.http("register", 201, body=register_body("jane@example.com"))
    run.http("login-with-password", 403, body={"email": "jane@example.com", "password": {"value": "not her password"}})
    auth = run.http("login-with-password", 200, keys=["token"])["token"]
    identity = run.http("list-identities", 200, fill={"AUTH_TOKEN": auth})[0]["id"]["id"]
    access = run.http("access-token", 200, fill={"AUTH_TOKEN": auth, "IDENTITY_ID": identity}, keys=["token", "status"])["token"]
    run.http("create-identity", 201, fill={"AUTH_TOKEN": auth}, keys=["id"])
    run.http("list-factors", 200, fill={"ACCESS_TOKEN": access}, keys=["factors"])

    # The authorizer: Allow for the ACCESS token, with who is calling; Deny for anything else.
    for token, effect in ((access, "Allow"), ("not-a-token", "Deny")):
        answer = emu.invoke("authorizer", event("authorizer", {"ACCESS_TOKEN": token}))
        run.seen.setdefault("authorizer", []).append(effect)
        got = answer.get("policyDocument", {}).get("Statement", [{}])[0].get("Effect")
        if got != effect:
            raise Failure("authorizer", f"answered {got!r}, expected {effect}")
        if effect == "Allow" and answer.get("context", {}).get("userId") != jane["userId"]:
            raise Failure("authorizer", "the Allow does not name the token's user in its context")

    # Surface 2, and the idToken checked against the JWKS the jwks function serves.
    r = run.http("auth-login", 200, keys=["idToken", "refreshToken"])
    id_token, refresh = r["idToken"], r["refreshToken"]
    run.http("auth-refresh", 200, fill={"REFRESH_TOKEN": refresh}, keys=["idToken"])
    run.http("auth-me", 200, fill={"ID_TOKEN": id_token}, keys=["email", "status"])
    jwks = run.http("jwks", 200, keys=["keys"])
    # A browser's preflight, as API Gateway routes every path's OPTIONS to the preflight
    # function: the origin the sandbox stage allows (CorsOrigins) is granted, another is not.
    for origin, granted in (("http://localhost:5173", True), ("https://elsewhere.example", False)):
        pre = event("preflight")
        pre["headers"]["origin"] = origin
        pre["multiValueHeaders"] = {k: [v] for k, v in pre["headers"].items()}
        answer = run.emu.invoke("preflight", pre)
        hdrs = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for k, v in (answer.get("multiValueHeaders") or {}).items():
            hdrs.setdefault(k.lower(), v[0] if v else "")
        if (hdrs.get("access-control-allow-origin") == origin) != granted or answer.get("statusCode") not in (200, 204):
            raise Failure("preflight", f"a preflight from {origin}: {answer.get('statusCode')} {hdrs}")
        run.seen.setdefault("preflight", []).append(answer.get("statusCode"))
    header_b64, payload_b64, sig_b64 = id_token.split(".")
    kid = json.loads(b64url_decode(header_b64))["kid"]
    jwk = next((k for k in jwks["keys"] if k.get("kid") == kid), None)
    if jwk is None:
        raise Failure("jwks", f"the idToken's key {kid!r} is not in the JWKS")
    try:
        Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])).verify(b64url_decode(sig_b64), f"{header_b64}.{payload_b64}".encode())
    except Exception:
        raise Failure("jwks", "the idToken's signature does not verify with its JWKS key")

    run.http("register", 201, body=register_body("mail@example.com"))
    mail_id, _ = id_tokens("mail@example.com")
    run.http("send-otp-code", 200, fill={"ID_TOKEN": mail_id}, keys=["validUntil"])
    run.http("verify-otp-code", 200, fill={"ID_TOKEN": mail_id}, keys=["hasValidatedEmail"])

    run.http("register", 201, body=register_body("sms@example.com", mobile=False))
    sms_id, _ = id_tokens("sms@example.com")
    run.http("add-sms-method", 200, fill={"ID_TOKEN": sms_id}, keys=["phoneNumber"])

    run.http("register", 201, body=register_body("totp@example.com"))
    totp_id, _ = id_tokens("totp@example.com")
    secret = run.http("add-totp-method", 200, fill={"ID_TOKEN": totp_id}, keys=["totp"])["totp"]["secret"]
    run.http("remove-totp-method", 200, fill={"ID_TOKEN": totp_id, "TOTP_CODE": totp(secret, time.time())})

    # Push: a device key enrolled, a challenge, its status, a signed approval, then the removal
    # the step-up allows.
    run.http("register", 201, body=register_body("push@example.com"))
    _, _, push_access = tokens("push@example.com")
    device = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    public = base64.b64encode(device.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    run.http("enrol-push-factor", 200, fill={"ACCESS_TOKEN": push_access, "DEVICE_PUBLIC_KEY": public}, keys=["linkingCode"])
    challenge = run.http("stepup-push", 200, fill={"ACCESS_TOKEN": push_access}, keys=["id"])["id"]
    status = run.http("stepup-push-status", 200, fill={"ACCESS_TOKEN": push_access, "CHALLENGE_ID": challenge})["status"]
    if status != "PENDING":
        raise Failure("stepup-push-status", f"a fresh challenge is {status}, expected PENDING")
    signature = base64.b64encode(device.sign(f"{challenge}:approve".encode())).decode()
    run.http("stepup-push-answer", 204, fill={"CHALLENGE_ID": challenge, "SIGNATURE": signature})
    status = run.http("stepup-push-status", 200, fill={"ACCESS_TOKEN": push_access, "CHALLENGE_ID": challenge})["status"]
    if status != "APPROVED":
        raise Failure("stepup-push-status", f"an approved challenge is {status}, expected APPROVED")
    # Login by push: asked for, pending, approved on the device, claimed once by the poll.
    started = run.http("login-via-biometrics", 200, body={"email": "push@example.com"}, keys=["challengeId", "pollToken"])
    poll_fill = {"CHALLENGE_ID": started["challengeId"], "POLL_TOKEN": started["pollToken"]}
    if run.http("login-via-biometrics-status", 200, fill=poll_fill)["status"] != "PENDING":
        raise Failure("login-via-biometrics-status", "a fresh login by push is not PENDING")
    signature = base64.b64encode(device.sign(f"{started['challengeId']}:approve".encode())).decode()
    run.http("stepup-push-answer", 204, fill={"CHALLENGE_ID": started["challengeId"], "SIGNATURE": signature})
    claimed = run.http("login-via-biometrics-status", 200, fill=poll_fill, keys=["status", "token", "tokenType"])
    run.http("list-identities", 200, fill={"AUTH_TOKEN": claimed["token"]})
    if "token" in run.http("login-via-biometrics-status", 200, fill=poll_fill):
        raise Failure("login-via-biometrics-status", "the login was handed out twice")
    run.http("remove-push-factor", 204, fill={"ACCESS_TOKEN": push_access})
    # The SMS factor, enrolled on an account with no other factor, removed again: the removal
    # needs a step-up (409) until one is made with the factor itself.
    run.http("register", 201, body=register_body("remove-sms@example.com"))
    _, _, rm_access = tokens("remove-sms@example.com")
    run.http("enrol-otp-factor", 204, fill={"ACCESS_TOKEN": rm_access})
    run.http("verify-otp-factor", 204, fill={"ACCESS_TOKEN": rm_access}, body={"verificationCode": "123456"})
    run.http("remove-otp-factor", 409, fill={"ACCESS_TOKEN": rm_access})

    # Passkeys: each binary against the real table and its policy. The whole ceremonies, with
    # a software authenticator, run in tests/api/passkeys.rs (both stores) and in Chromium
    # (tests/browser); here a credential that is not one is refused where it is read.
    run.http("register", 201, body=register_body("passkey@example.com"))
    _, _, pk_access = tokens("passkey@example.com")
    created = run.http("enrol-passkey-factor", 200, fill={"ACCESS_TOKEN": pk_access}, keys=["publicKey"])
    if created["publicKey"]["authenticatorSelection"]["userVerification"] != "required":
        raise Failure("enrol-passkey-factor", "user verification is not required")
    bogus = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}
    run.http("verify-passkey-factor", 409, fill={"ACCESS_TOKEN": pk_access}, body=bogus)
    run.http("verify-passkey-factor", 409, fill={"ACCESS_TOKEN": pk_access}, body=bogus)  # the challenge was spent
    run.http("remove-passkey-factor", 404, fill={"ACCESS_TOKEN": pk_access, "CREDENTIAL_ID": "AAAA"})
    run.http("stepup-passkey", 409, fill={"ACCESS_TOKEN": pk_access})
    run.http("stepup-passkey-verify", 409, fill={"ACCESS_TOKEN": pk_access}, body=bogus)
    for options, finish in (("login-with-passkey-options", "login-with-passkey"), ("auth-login-passkey-options", "auth-login-passkey")):
        attempt = run.http(options, 200, keys=["challengeId", "publicKey"])
        if attempt["publicKey"].get("allowCredentials"):
            raise Failure(options, "a discoverable login names credentials")
        assertion = {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                     "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA", "userHandle": "AAAAAAAAAAAAAAAAAAAAAA"}}
        run.http(finish, 403, body={"challengeId": attempt["challengeId"], "credential": assertion})

    run.http("register", 201, body=register_body("password@example.com"))
    _, _, pw_access = tokens("password@example.com")
    run.http("update-password", 200, fill={"ACCESS_TOKEN": pw_access}, keys=["token", "passwordInfo"])
    new_password = json.loads(event("update-password", {"ACCESS_TOKEN": "x"})["body"])["newPassword"]["value"]
    login("password@example.com", new_password)

    # Issue 25: the e-mail address changed on each surface; the first change taken back.
    run.http("register", 201, body=register_body("mover@example.com"))
    _, _, mv_access = tokens("mover@example.com")
    change = {"newEmail": "moved@example.com", "password": {"value": PASSWORD}}
    run.http("change-email", 204, fill={"ACCESS_TOKEN": mv_access}, body=change)
    run.http("change-email-verify", 204, fill={"ACCESS_TOKEN": mv_access})
    login("moved@example.com")
    run.http("change-email-revert", 409, body={"email": "mover@example.com", "nonce": "000000"})
    run.http("change-email-revert", 204, body={"email": "mover@example.com", "nonce": "123456"})
    run.http("register", 201, body=register_body("mover2@example.com"))
    mv_id, mv_refresh = id_tokens("mover2@example.com")
    change = {"newEmail": "moved2@example.com", "password": {"value": PASSWORD}}
    run.http("me-email-change", 204, fill={"ID_TOKEN": mv_id}, body=change)
    run.http("me-email-change-verify", 204, fill={"ID_TOKEN": mv_id})
    moved = run.http("auth-refresh", 200, fill={"REFRESH_TOKEN": mv_refresh}, keys=["idToken"])["idToken"]
    if json.loads(b64url_decode(moved.split(".")[1])).get("email") != "moved2@example.com":
        raise Failure("me-email-change-verify", "the idToken issued afterwards does not carry the new address")

    # The step-up by SMS, once the factor's code is 15 s old.
    time.sleep(max(0.0, first_sms + 16 - time.time()))
    run.http("stepup-otp", 204, fill={"ACCESS_TOKEN": otp_access})
    run.http("stepup-otp-verify", 204, fill={"ACCESS_TOKEN": otp_access})

    # Issue 25: recovery codes. The stepped-up session generates a set (spending its step-up); a
    # code steps it up again, once; another proves a surface-2 change in x-otp, which replaces the set.
    codes = run.http("generate-recovery-codes", 200, fill={"ACCESS_TOKEN": otp_access}, keys=["codes"])["codes"]
    run.http("generate-recovery-codes", 409, fill={"ACCESS_TOKEN": otp_access})
    run.http("stepup-recovery-code-verify", 204, fill={"ACCESS_TOKEN": otp_access, "RECOVERY_CODE": codes[0]})
    run.http("stepup-recovery-code-verify", 409, fill={"ACCESS_TOKEN": otp_access, "RECOVERY_CODE": codes[0]})
    otp_id, _ = id_tokens("otp@example.com")
    run.http("add-recovery-method", 200, fill={"ID_TOKEN": otp_id, "RECOVERY_CODE": codes[1]}, keys=["codes"])
    run.http("stepup-recovery-code-verify", 409, fill={"ACCESS_TOKEN": otp_access, "RECOVERY_CODE": codes[2]})

    # Logouts last: the session and the refresh token then refused.
    run.http("logout", 204, fill={"AUTH_TOKEN": auth})
    run.http("list-identities", 401, fill={"AUTH_TOKEN": auth})
    run.http("auth-logout", 204, fill={"REFRESH_TOKEN": refresh})
    run.http("auth-refresh", 403, fill={"REFRESH_TOKEN": refresh})

    # The rest of the lifecycle: Jane forgets her password (the sandbox nonce), verifies her
    # e-mail, lists and ends her logins; then the operator's actions.
    run.http("validate-password", 204)
    run.http("lost-password-start", 204)
    run.http("lost-password-resume", 200, keys=["token", "tokenType", "identity"])
    run.http("send-email-verification", 204)
    run.http("verify-email", 204)
    new_password = json.loads(event("lost-password-resume")["body"])["newPassword"]["value"]
    jane_auth = login("jane@example.com", new_password)
    login_body = {"email": "jane@example.com", "password": new_password}
    first = run.http("auth-login", 200, body=login_body, keys=["refreshToken"])["refreshToken"]
    rotated = run.http("auth-refresh", 200, fill={"REFRESH_TOKEN": first}, keys=["idToken", "refreshToken"])
    if rotated["refreshToken"] == first:
        raise Failure("auth-refresh", "the refresh token was not rotated")
    logins = run.http("list-sessions", 200, fill={"AUTH_TOKEN": jane_auth})
    family = ".".join(first.split(".")[:2])
    if not any(entry.get("id") == family for entry in logins):
        raise Failure("list-sessions", "the surface-2 login is not in the list")
    run.http("end-session", 204, fill={"AUTH_TOKEN": jane_auth, "SESSION_ID": family})
    run.http("end-session", 404, fill={"AUTH_TOKEN": jane_auth, "SESSION_ID": family})
    id_token = run.http("auth-login", 200, body=login_body, keys=["idToken"])["idToken"]
    run.http("revoke-other-sessions", 204, fill={"ID_TOKEN": id_token})
    run.http("list-identities", 401, fill={"AUTH_TOKEN": jane_auth})
    # Her trail: what she just did, newest first.
    auth3 = login("jane@example.com", new_password)
    ident = run.http("list-identities", 200, fill={"AUTH_TOKEN": auth3})[0]["id"]["id"]
    access3 = run.http("access-token", 200, fill={"AUTH_TOKEN": auth3, "IDENTITY_ID": ident}, keys=["token"])["token"]
    trail = run.http("list-security-events", 200, fill={"ACCESS_TOKEN": access3}, keys=["events", "cursor"])
    # Newest first; events of the same second may come in any order.
    newest = [e for e in trail["events"] if e.get("at") == trail["events"][0].get("at")] if trail["events"] else []
    if not any(e.get("type") == "LOGIN_SUCCEEDED" for e in newest):
        raise Failure("list-security-events", f"the login just made is not among the newest events: {newest!r}")
    answer = emu.invoke("admin", event("admin"))
    run.seen.setdefault("admin", []).append(answer.get("action"))
    if answer.get("email") != "jane@example.com" or "changed" not in answer:
        raise Failure("admin", f"answered {answer!r}, expected what it changed")
    transfer(run, login)

    # The account, the owner's own: exported, then deleted on each surface; its tokens die with it
    # and its address is free again.
    run.http("register", 201, body=register_body("leaving@example.com", mobile=False))
    _, _, leaving_access = tokens("leaving@example.com")
    export = run.http("export-account", 200, fill={"ACCESS_TOKEN": leaving_access}, keys=["account", "securityEvents"])
    if export["account"].get("email") != "leaving@example.com" or "passwordHash" in json.dumps(export):
        raise Failure("export-account", "the export is not the caller's, or holds a secret")
    run.http("delete-account", 204, fill={"ACCESS_TOKEN": leaving_access})
    run.http("export-account", 401, fill={"ACCESS_TOKEN": leaving_access})
    run.http("register", 201, body=register_body("leaving@example.com", mobile=False))
    leaving_id, _ = id_tokens("leaving@example.com")
    run.http("auth-me-delete", 204, fill={"ID_TOKEN": leaving_id, "TOTP_CODE": "000000"})
    run.http("auth-me-delete", 403, fill={"ID_TOKEN": leaving_id, "TOTP_CODE": "000000"})


def transfer(run, login):
    """The operator's import and export through the transfer bucket: a file made elsewhere (a
    PBKDF2 hash in Django's form, a TOTP secret) read from S3; the account signs in (which
    upgrades its hash); the export written to S3 shows the upgrade and no secret."""
    emu, s3 = run.emu, run.s3
    bucket = emu.stack.params["TransferBucket"]
    salt = "emulatorsalt"
    digest = base64.b64encode(hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt.encode(), 1000)).decode()
    line = {"email": "moved-in@example.com", "email_verified": True, "password_hash": f"pbkdf2_sha256$1000${salt}${digest}",
            "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
    s3.put_object(Bucket=bucket, Key="in/users.jsonl", Body=(json.dumps(line) + "\n").encode())
    report = emu.invoke("admin", {"action": "import", "source": f"s3://{bucket}/in/users.jsonl"})
    run.seen.setdefault("admin", []).append("import")
    if report.get("imported") != 1 or report.get("refused") != 0:
        raise Failure("admin", f"the import answered {report!r}")
    login("moved-in@example.com")
    answer = emu.invoke("admin", {"action": "export", "target": f"s3://{bucket}/out/all.jsonl"})
    run.seen["admin"].append("export")
    body = s3.get_object(Bucket=bucket, Key="out/all.jsonl")["Body"].read()
    lines = [json.loads(x) for x in body.splitlines() if x.strip()]
    mine = [x for x in lines if x.get("email") == "moved-in@example.com"]
    if answer.get("exported") != len(lines) or len(mine) != 1:
        raise Failure("admin", f"the export answered {answer!r} for {len(lines)} lines")
    if not mine[0].get("password_hash", "").startswith("$argon2id$") or any("totp_secret" in x for x in lines):
        raise Failure("admin", "the export does not show the upgrade, or holds a secret it was not asked for")


def publish(run, env, stack):
    """The outbox's other half: every event item the scenario's writes committed, read from
    DynamoDB Local's stream as Lambda's event source mapping delivers it (INSERTs of `EVENT#`
    items, the template's filter), through the publish-events binary onto moto's EventBridge
    bus, and out of a queue a rule on the bus feeds. First with the bus missing: the batch must
    be reported back from its first record, and nothing put; then again, once the bus exists:
    every event arrives once, with its own id. Each batch writes its metric line: what it put,
    what failed."""
    kw = dict(region_name=REGION, aws_access_key_id="emulator", aws_secret_access_key="emulator")
    streams = boto3.client("dynamodbstreams", endpoint_url=env["AUTH_TEST_DYNAMODB_ENDPOINT"], **kw)
    ddb = boto3.client("dynamodb", endpoint_url=env["AUTH_TEST_DYNAMODB_ENDPOINT"], **kw)
    events = boto3.client("events", endpoint_url=env["AUTH_TEST_MOTO_ENDPOINT"], **kw)
    sqs = boto3.client("sqs", endpoint_url=env["AUTH_TEST_MOTO_ENDPOINT"], **kw)
    arn = ddb.describe_table(TableName=stack.table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = streams.get_records(ShardIterator=it, Limit=1000)
            records += out["Records"]
            it = out.get("NextShardIterator") if out["Records"] else None
    wanted = [r for r in records if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["SK"]["S"].startswith("EVENT#")]
    if not wanted:
        raise Failure("publish-events", "the table's stream carried no event item")
    def lambda_record(r):
        d = dict(r["dynamodb"])
        d.pop("ApproximateCreationDateTime", None)
        return {"eventID": r["eventID"], "eventName": r["eventName"], "eventSource": "aws:dynamodb", "dynamodb": d}
    batches = [{"Records": [lambda_record(r) for r in wanted[i:i + 100]]} for i in range(0, len(wanted), 100)]
    first = run.emu.invoke("publish-events", batches[0])
    run.seen.setdefault("publish-events", []).append(len(first.get("batchItemFailures", [])))
    want = [{"itemIdentifier": wanted[0]["dynamodb"]["SequenceNumber"]}]
    if first.get("batchItemFailures") != want:
        raise Failure("publish-events", f"with the bus missing it answered {first!r}, expected {want!r}")
    events.create_event_bus(Name=stack.bus())
    queue = sqs.create_queue(QueueName=f"{stack.table}-watch")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="watch", EventBusName=stack.bus(), EventPattern=json.dumps({"source": ["auth-service"]}))
    events.put_targets(Rule="watch", EventBusName=stack.bus(), Targets=[{"Id": "queue", "Arn": queue_arn}])
    for batch in batches:
        answer = run.emu.invoke("publish-events", batch)
        run.seen["publish-events"].append(len(answer.get("batchItemFailures", [])))
        if answer.get("batchItemFailures"):
            raise Failure("publish-events", f"with the bus there it answered {answer!r}")
    received = []
    while True:
        out = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not out.get("Messages"):
            break
        received += [json.loads(m["Body"]) for m in out["Messages"]]
    ids = [m["detail"]["id"] for m in received]
    # A decoy's (an unknown address's or credential's failure, written for its timing alone) is
    # never published.
    published = [r for r in wanted if not r["dynamodb"]["Keys"]["PK"]["S"].startswith("USER#decoy-")]
    if len(published) == len(wanted):
        raise Failure("publish-events", "the scenario wrote no decoy event, whose publishing it checks")
    if sorted(ids) != sorted(r["dynamodb"]["NewImage"]["id"]["S"] for r in published) or len(set(ids)) != len(ids):
        raise Failure("publish-events", f"{len(wanted)} event items, {len(ids)} events on the bus ({len(set(ids))} ids)")
    types = {m["detail-type"] for m in received}
    expected = {"LOGIN_SUCCEEDED", "LOGIN_FAILED", "LOGOUT", "PASSWORD_CHANGED", "PASSWORD_RESET", "EMAIL_VERIFIED",
                "FACTOR_ENROLLED", "FACTOR_REMOVED", "STEP_UP_STARTED", "STEP_UP_SUCCEEDED", "SESSION_REVOKED"}
    expected |= {"RECOVERY_CODES_GENERATED", "RECOVERY_CODE_USED"}  # issue 25
    expected |= {"EMAIL_CHANGE_REQUESTED", "EMAIL_CHANGED", "EMAIL_CHANGE_REVERTED"}  # issue 25, the e-mail change
    expected |= {"ACCOUNT_DELETED"}  # issue 25: the account deleted
    if not expected <= types:
        raise Failure("publish-events", f"missing on the bus: {sorted(expected - types)}")
    if any(m.get("source") != "auth-service" or m["detail-type"] != m["detail"]["type"] for m in received):
        raise Failure("publish-events", "an event on the bus without its source or type")
    # Each batch wrote its metric line (embedded metric format): what the bus took, what it did not.
    lines = [json.loads(line) for line in open(run.emu.logs["publish-events"], errors="replace") if '"_aws"' in line]
    took, refused = (sum(line.get(name, 0) for line in lines) for name in ("EventsPublished", "EventsPublishFailed"))
    if len(lines) != 1 + len(batches) or took != len(published) or refused < 1:
        raise Failure("publish-events", f"its metric lines: {len(lines)} for {1 + len(batches)} batches, "
                                        f"{took} published of {len(published)}, {refused} failed (at least 1)")


# ---------------------------------------------------------------------------------------------


def make_secrets(stack_doc, sm, run_id):
    """The key secrets as CloudFormation makes them: GenerateSecretString or SecretString."""
    arns = {}
    for logical, res in stack_doc["Resources"].items():
        if res["Type"] != "AWS::SecretsManager::Secret":
            continue
        props = res["Properties"]
        if "GenerateSecretString" in props:
            g = props["GenerateSecretString"]
            if not g.get("ExcludePunctuation"):
                raise SystemExit(f"template.yaml: {logical}: only ExcludePunctuation secrets are generated here")
            doc = json.loads(g["SecretStringTemplate"])
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            doc[g["GenerateStringKey"]] = "".join(secrets.choice(alphabet) for _ in range(int(g["PasswordLength"])))
            value = json.dumps(doc)
        else:
            value = props["SecretString"]
        arns[logical] = sm.create_secret(Name=f"emulator-{run_id}-{logical}", SecretString=value)["ARN"]
    return arns


def make_table(stack_doc, ddb, name):
    props = stack_doc["Resources"]["Table"]["Properties"]
    stream = props.get("StreamSpecification")
    extra = {"StreamSpecification": {"StreamEnabled": True, **stream}} if stream else {}
    ddb.create_table(TableName=name, BillingMode=props["BillingMode"], AttributeDefinitions=props["AttributeDefinitions"],
                     KeySchema=props["KeySchema"], **extra)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def rotate(emu, run, sm, arns):
    """The rotation the stack runs at creation (RotateImmediatelyOnUpdate) on IdTokenKeys: the four
    steps of events/rotate-keys.json, then the secret holds a new generation over the initial one
    and the public key secret both public keys."""
    token = str(uuid.uuid4())
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        payload = event("rotate-keys", {"SECRET_ARN": arns["IdTokenKeys"], "ROTATION_TOKEN": token})
        payload["Step"] = step
        answer = emu.invoke("rotate-keys", payload)
        run.seen.setdefault("rotate-keys", []).append(step)
        if answer is not None:
            raise Failure("rotate-keys", f"{step} answered {answer!r}, expected nothing")
    # The stage named: without one, moto answers the version the secret was created with.
    doc = json.loads(sm.get_secret_value(SecretId=arns["IdTokenKeys"], VersionStage="AWSCURRENT")["SecretString"])
    kids = (doc.get("current", {}).get("kid"), (doc.get("previous") or {}).get("kid"))
    if kids[1] != "initial" or kids[0] in (None, "initial"):
        raise Failure("rotate-keys", f"after the rotation the idToken secret holds generations {kids}, expected (new, 'initial')")
    public = json.loads(sm.get_secret_value(SecretId=arns["IdTokenPublicKeys"], VersionStage="AWSCURRENT")["SecretString"])
    if sorted(k["kid"] for k in public["keys"]) != sorted(kids):
        raise Failure("rotate-keys", "the public key secret does not hold both generations' public keys")


def check_after(emu, stack, recorder, binary):
    """What a right answer can hide: an exit, a panic, an ERROR line, a call outside the policy."""
    emu.alive(binary)
    text = open(emu.logs[binary], errors="replace").read()
    if "panicked at" in text:
        raise Failure(binary, f"it panicked; its output:\n{tail(emu.logs[binary])}")
    errors = [line for line in text.splitlines() if '"level":"ERROR"' in line]
    if errors:
        raise Failure(binary, "it logged errors:\n" + "\n".join(errors[-10:]))
    logical = stack.functions[binary][0]
    for who, service, action, resource, detail in recorder.calls:
        if who != access_key(binary):
            continue
        if service in ("sns", "ses"):
            raise Failure(binary, f"it called {action} although the sandbox is on")
        if not stack.allows(binary, action, resource, detail):
            raise Failure(binary, f"it called {action} on {resource} ({detail}), which {logical}'s policy in template.yaml does not allow")


def write_env_json():
    names = {"SessionKeys": "auth-local-session-keys", "IdTokenKeys": "auth-local-id-token-keys",
             "IdTokenPublicKeys": "auth-local-id-token-public-keys", "DataKeys": "auth-local-data-keys"}
    stack = Stack("auth", names)
    stack.params["LocalDynamoDbEndpoint"] = "http://host.docker.internal:8000"
    out = {}
    for binary in sorted(stack.functions, key=lambda b: stack.functions[b][0]):
        out[stack.functions[binary][0]] = dict(sorted(stack.environment(binary).items()))
    with open(os.path.join(ROOT, "events", "env.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


def main():
    if sys.argv[1:] == ["--write-env-json"]:
        return write_env_json()
    started = time.time()
    # The debug binaries of the test run's one build (scripts/local-api.sh's build_debug): the
    # same sources as deployed, with the features the tests add unified in (test doubles no
    # binary calls), so that the dependencies compile once for every test of `make test`.
    print("lambda emulator: building the functions (debug, the test run's one build) ...", file=sys.stderr)
    subprocess.run(["cargo", "build", "-q", "--locked", "--workspace", "--lib", "--bins", "--tests"],
                   cwd=ROOT, check=True)
    own_services = not (os.environ.get("AUTH_TEST_DYNAMODB_ENDPOINT") and os.environ.get("AUTH_TEST_MOTO_ENDPOINT"))
    env = dict(os.environ)
    if own_services:
        out = subprocess.run(["bash", "scripts/test-services.sh", "start"], cwd=ROOT, check=True, text=True, capture_output=True).stdout
        env.update(re.findall(r"export (\w+)=(\S+)", out))
    workdir = tempfile.mkdtemp(prefix="lambda-emulator-")
    emu, run, proxies, ok = None, None, [], False
    passed, failed = [], []
    functions = []

    def on_signal(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        run_id = uuid.uuid4().hex[:8]
        kw = dict(region_name=REGION, aws_access_key_id="emulator", aws_secret_access_key="emulator")
        ddb = boto3.client("dynamodb", endpoint_url=env["AUTH_TEST_DYNAMODB_ENDPOINT"], **kw)
        sm = boto3.client("secretsmanager", endpoint_url=env["AUTH_TEST_MOTO_ENDPOINT"], **kw)
        table = f"emulator-{run_id}"
        stack = Stack(table, {})
        make_table(stack.doc, ddb, table)
        stack.secret_arns = make_secrets(stack.doc, sm, run_id)
        # The operator's transfer bucket (the TransferBucket parameter), on moto's S3.
        s3 = boto3.client("s3", endpoint_url=env["AUTH_TEST_MOTO_ENDPOINT"], **kw)
        stack.params["TransferBucket"] = f"emulator-transfer-{run_id}"
        s3.create_bucket(Bucket=stack.params["TransferBucket"])
        functions = sorted(stack.functions)
        recorder = Recorder()
        ddb_proxy, ddb_url = start_proxy(env["AUTH_TEST_DYNAMODB_ENDPOINT"], recorder)
        moto_proxy, moto_url = start_proxy(env["AUTH_TEST_MOTO_ENDPOINT"], recorder)
        proxies = [ddb_proxy, moto_proxy]
        emu = Emulator(stack, workdir, ddb_url, moto_url)
        run = Run(emu)
        run.s3 = s3
        emu.start("rotate-keys")
        rotate(emu, run, sm, stack.secret_arns)
        for binary in functions:
            if binary != "rotate-keys":
                emu.start(binary)
        scenario(run)
        publish(run, env, stack)
        for binary in functions:  # every function checked, so that one run names every problem
            try:
                if binary not in run.seen:
                    raise Failure(binary, "no event of it was run")
                check_after(emu, stack, recorder, binary)
                passed.append(binary)
            except Failure as f:
                print(f"\nlambda {f.function}: FAILED: {f.message}", file=sys.stderr)
                failed.append(f.function)
        ok = not failed
    except Failure as f:
        print(f"\nlambda {f.function}: FAILED: {f.message}", file=sys.stderr)
        failed.append(f.function)
    except (Exception, SystemExit, KeyboardInterrupt) as e:  # the set-up itself: the run fails, loudly
        print(f"\nlambda emulator: FAILED: {e}", file=sys.stderr)
        failed.append("(set-up)")
    finally:
        if emu:
            emu.stop()
        for p in proxies:
            p.shutdown()
        if own_services:
            subprocess.run(["bash", "scripts/test-services.sh", "stop"], cwd=ROOT, capture_output=True)
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"(the functions' logs are in {workdir})", file=sys.stderr)
    seen = run.seen if run else {}
    for binary in functions:
        if binary in passed:
            print(f"lambda {binary} ... ok ({', '.join(str(s) for s in seen.get(binary, []))})")
        elif binary in failed:
            print(f"lambda {binary} ... FAILED")
        else:
            print(f"lambda {binary} ... not checked (an earlier failure stopped the run)")
    not_passed = max(len(functions) - len(passed), 1 if not ok else 0)
    print(f"{len(functions)} functions under cargo lambda watch in {time.time() - started:.1f} s")
    print(f"test result: {'ok' if ok else 'FAILED'}. {len(passed)} passed; {not_passed} failed; 0 ignored (lambda emulator)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
