#!/usr/bin/env python3
"""The service's metrics read as CloudWatch would read them (part of `make test`).

Starts the debug local-api (memory store, sandbox codes 123456, a free port; built with
`cargo build -p local-api` only when missing) with its stdout captured, runs flows over HTTP on
both surfaces that between them make every metric of the catalogue (shared/src/metrics/mod.rs),
stops it and reads its stdout as CloudWatch Logs would:

- every line is one JSON object (no duplicate keys), and every line carrying `_aws` is valid
  embedded metric format: Timestamp an integer of milliseconds near now; CloudWatchMetrics an
  array of directives, each with the Namespace (AUTH_METRICS_NAMESPACE, set here), Dimensions
  an array of arrays of at most 30 strings, each a top-level string member, and Metrics an array
  of 1 to 100 definitions with a Name (a top-level number member) and a Unit CloudWatch knows;
- dimension keys come from {Operation, Surface, Method, Channel, Check, Country, Budget}, and
  no dimension value looks like an e-mail, an IP address, a phone number or a random token or
  id, nor is one of the run's e-mails, ids, tokens or request refs; no metric field of a line
  holds any of those either (only its own `request_ref` log field names its request);
- every request answered made exactly one `handled` line, with its request ref;
- every metric of the catalogue was written, with the dimensions its flow should give it
  (EventsPublished and EventsPublishFailed come from the publish-events function, which
  local-api does not run; a unit test checks its line,
  publish::tests::each_batch_writes_what_was_published_and_what_failed_as_metrics, and
  scripts/lambda-emulator.py the deployed binary's);
- drift: every metric that template.yaml names in the stack's namespace (alarms, metric-math
  alarms' MetricStat, the dashboard's body) is one the flows wrote.

Prints one `test result:` line, as cargo's tests do, and exits non-zero on failure.
Usage: scripts/metrics-check.py   (CARGO_TARGET_DIR as the other scripts: ~/.cache/auth-target;
METRICS_CHECK_LOG=<file> keeps local-api's stdout there)
"""
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.expanduser("~/.cache/auth-target")
BINARY = os.path.join(TARGET, "debug", "local-api")
NAMESPACE = "auth-metrics-check"
PASSWORD = "correct horse battery staple"
CODE = "123456"
RESULT = "(metrics: EMF lines, dimensions, drift)"
DIMENSION_KEYS = {"Operation", "Surface", "Method", "Channel", "Check", "Country", "Budget"}
UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
         "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
         "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
         "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
# Written by the publish-events function, checked by a Rust unit test and the Lambda emulator.
ELSEWHERE = {"EventsPublished", "EventsPublishFailed"}
# What the flows below must have written, by dimension (metric -> {dimension: value}); a metric
# listed with {} must appear in total.
EXPECTED = [
    ("LoginSucceeded", {"Surface": "surface1", "Method": "password"}),
    ("LoginSucceeded", {"Surface": "surface2", "Method": "password"}),
    ("LoginFailed", {"Surface": "surface1", "Method": "password"}),
    ("LoginFailed", {"Surface": "surface2", "Method": "password"}),
    ("AccountLocked", {}),
    ("StepUpStarted", {"Channel": "SMS"}),
    ("StepUpSucceeded", {"Channel": "SMS"}),
    ("StepUpFailed", {"Channel": "SMS"}),
    ("VerificationFailed", {"Check": "ENROLMENT_CODE"}),
    ("RefreshTokenReused", {}),
    ("SmsSent", {"Country": "GB"}),
    ("SmsRefused", {"Budget": "SMS_PER_IP"}),
    ("EmailsSent", {}),
    ("ClientErrors", {"Operation": "login-with-password"}),
    ("Requests", {"Operation": "auth-refresh"}),
]

problems = []


def problem(text):
    problems.append(text)


# --- reading a line as CloudWatch does -------------------------------------------------------

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"^\+?[\d\s().-]{6,}$")
LONG_DIGITS = re.compile(r"\d{6,}")
TOKEN = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-+/=.]{16,}$")


def looks_personal(value):
    """Why a dimension value must not be one, or None."""
    if EMAIL.search(value):
        return "an e-mail address"
    try:
        ipaddress.ip_address(value)
        return "an IP address"
    except ValueError:
        pass
    if re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", value):
        return "an IP address"
    if PHONE.match(value) or LONG_DIGITS.search(value):
        return "a phone number or a numeric id"
    if TOKEN.match(value) or len(value) > 64:
        return "a token or an id"
    return None


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError(f"duplicate keys {sorted(dupes)}")
    return dict(pairs)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def emf_problems(line, namespace, now_ms):
    """What makes `line` (a parsed object with `_aws`) not valid EMF, or not ours."""
    out = []
    aws = line.get("_aws")
    if not isinstance(aws, dict):
        return ["_aws is not an object"]
    ts = aws.get("Timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool):
        out.append(f"Timestamp {ts!r} is not an integer")
    elif not now_ms - 14 * 86_400_000 <= ts <= now_ms + 2 * 3_600_000:
        out.append(f"Timestamp {ts} is not milliseconds near now")
    directives = aws.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return out + ["CloudWatchMetrics is not a non-empty array"]
    names = []
    for d in directives:
        if not isinstance(d, dict):
            out.append("a directive is not an object")
            continue
        if d.get("Namespace") != namespace:
            out.append(f"Namespace {d.get('Namespace')!r}, expected {namespace!r}")
        sets = d.get("Dimensions")
        if not isinstance(sets, list):
            out.append("Dimensions is not an array")
            sets = []
        for keys in sets:
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                out.append(f"dimension set {keys!r} is not an array of strings")
                continue
            if len(keys) > 30:
                out.append(f"dimension set of {len(keys)} keys (at most 30)")
            for k in keys:
                if k not in DIMENSION_KEYS:
                    out.append(f"dimension key {k!r} is not one of ours")
                value = line.get(k)
                if not isinstance(value, str) or not value or len(value) > 1024:
                    out.append(f"dimension {k!r} is not a top-level string member ({value!r})")
                elif looks_personal(value):
                    out.append(f"dimension {k}={value!r} looks like {looks_personal(value)}")
        metrics = d.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            out.append("Metrics is not an array of 1 to 100 definitions")
            continue
        for m in metrics:
            name = m.get("Name") if isinstance(m, dict) else None
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                out.append(f"metric definition {m!r} has no Name")
                continue
            names.append(name)
            if m.get("Unit") not in UNITS:
                out.append(f"{name}: unit {m.get('Unit')!r} is not CloudWatch's")
            value = line.get(name)
            ok = is_number(value) or (isinstance(value, list) and 0 < len(value) <= 100 and all(map(is_number, value)))
            if not ok:
                out.append(f"metric {name!r} is not a top-level number member ({value!r})")
    if len(names) != len(set(names)):
        out.append(f"a metric is defined twice in one line: {names}")
    return out


def self_test():
    """The reader itself must catch what it is there to catch."""
    now = int(time.time() * 1000)
    good = {"_aws": {"Timestamp": now, "CloudWatchMetrics": [
        {"Namespace": "n", "Dimensions": [["Surface"], []], "Metrics": [{"Name": "X", "Unit": "Count"}]}]},
        "Surface": "surface1", "X": 1}
    assert emf_problems(good, "n", now) == [], emf_problems(good, "n", now)
    bad = [
        dict(good, Surface="jane@example.com"),
        dict(good, Surface="203.0.113.9"),
        dict(good, Surface="+447400900123"),
        dict(good, Surface="19870kC2t7syYtshJZeyaw"),
        dict(good, X="1"),
        {k: v for k, v in good.items() if k != "Surface"},
        dict(good, _aws=dict(good["_aws"], Timestamp=now / 1000)),
        dict(good, _aws=dict(good["_aws"], CloudWatchMetrics=[dict(good["_aws"]["CloudWatchMetrics"][0],
                                                                  Metrics=[{"Name": "X", "Unit": "Things"}])])),
    ]
    for b in bad:
        assert emf_problems(b, "n", now), f"the reader let this pass: {b}"
    # Both readers of the template find the names in both forms, and only the stack's.
    sample = """Resources:
  LoginFailures:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: !Ref AWS::StackName
      MetricName: LoginFailed
      Dimensions: []
  SmsSpend:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SNS
      MetricName: NumberOfNotificationsDelivered
  ErrorRate:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - Id: errors
          MetricStat:
            Metric:
              Namespace: !Ref AWS::StackName
              MetricName: ServerErrors
            Stat: Sum
        - Id: all
          MetricStat:
            Metric:
              MetricName: Requests
              Namespace: !Ref AWS::StackName
        - Id: rate
          Expression: errors / all
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: !Sub |
        {"widgets": [{"type": "metric", "properties": {"region": "${AWS::Region}", "metrics": [
          ["${AWS::StackName}", "SmsSent", "Country", "GB"], [".", "SmsRefused"],
          ["AWS/Lambda", "Errors"]]}}]}
"""
    want = {"LoginFailed", "ServerErrors", "Requests", "SmsSent", "SmsRefused"}
    found, _ = template_metric_names(sample)
    assert found == want, found
    assert template_names_by_pattern(sample) == want, template_names_by_pattern(sample)


# --- the flows -------------------------------------------------------------------------------

class Api:
    def __init__(self, base):
        self.base, self.refs, self.secrets = base, [], set()

    def call(self, method, path, body=None, token=None, expect=None, step=""):
        headers = {"accept": "application/json", "user-agent": "metrics-check/1.0"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw, ref = r.status, r.read(), r.headers.get("request-ref")
        except urllib.error.HTTPError as e:
            status, raw, ref = e.code, e.read(), e.headers.get("request-ref")
        self.refs.append(ref)
        text = raw.decode(errors="replace")
        if expect is not None and status != expect:
            raise SystemExit(f"metrics-check: {step}: {method} {path} answered {status}, expected {expect}: {text[:300]}")
        body = json.loads(text) if text.strip().startswith(("{", "[")) else None
        self.keep(body)
        return status, body

    def keep(self, body):
        """Remembers what the answers hold that must never become a metric: ids and tokens."""
        if isinstance(body, dict):
            for k, v in body.items():
                if isinstance(v, str) and (k.lower().endswith(("token", "id")) or k in ("token",)):
                    self.secrets.add(v)
                else:
                    self.keep(v)
        elif isinstance(body, list):
            for v in body:
                self.keep(v)


def flows(api, run):
    mobile = {"countryCode": "+44", "number": "7400900123"}
    api.secrets.update(["+447400900123", "7400900123", PASSWORD, "127.0.0.1"])

    def register(name):
        email = f"metrics-{name}-{run}@example.com"
        api.secrets.add(email)
        api.call("POST", "/users", {"email": email, "password": {"value": PASSWORD}, "name": name.title(),
                                    "mobile": mobile}, expect=201, step=f"register {name}")
        return email

    def surface1_access(email, step):
        _, login = api.call("POST", "/login_with_password", {"email": email, "password": {"value": PASSWORD}},
                            expect=200, step=step)
        auth = login["token"]
        _, ids = api.call("GET", "/identities", token=auth, expect=200, step=step)
        _, access = api.call("POST", "/access_token", {"identity": ids[0]["id"]}, token=auth, expect=200, step=step)
        return access["token"]

    # A: surface-1 login, the SMS factor (a wrong code first), later a step-up by SMS.
    a = register("a")
    access_a = surface1_access(a, "login a")
    api.call("POST", "/authentication_factors/otp/SMS", token=access_a, expect=204, step="enrol SMS")
    enrolled_at = time.monotonic()
    api.call("POST", "/authentication_factors/otp/SMS/verify", {"verificationCode": "654321"}, token=access_a,
             expect=409, step="enrol SMS, wrong code")
    api.call("POST", "/authentication_factors/otp/SMS/verify", {"verificationCode": CODE}, token=access_a,
             expect=204, step="enrol SMS")

    # B: wrong passwords until the lock.
    b = register("b")
    for attempt in range(10):
        status, _ = api.call("POST", "/login_with_password", {"email": b, "password": {"value": "wrong guess"}},
                             step="lockout")
        if status == 423:
            break
        if status != 403:
            raise SystemExit(f"metrics-check: lockout: a wrong password answered {status}")
    else:
        raise SystemExit("metrics-check: lockout: no 423 after 10 wrong passwords")

    # Surface 2: an unknown e-mail's failed login, A's login, a refresh and the reuse of the spent token.
    nobody = f"metrics-nobody-{run}@example.com"
    api.secrets.add(nobody)
    api.call("POST", "/auth/login", {"email": nobody, "password": "wrong guess"}, expect=403, step="unknown e-mail")
    _, login2 = api.call("POST", "/auth/login", {"email": a, "password": PASSWORD}, expect=200, step="auth/login")
    first = login2["refreshToken"]
    api.call("POST", "/auth/login/refresh", {"refreshToken": first}, expect=200, step="refresh")
    api.call("POST", "/auth/login/refresh", {"refreshToken": first}, expect=403, step="refresh-token reuse")

    # An e-mailed code: the address's verification.
    api.call("POST", "/users/verification/email/send", {"email": a}, expect=204, step="e-mail verification")

    # A's step-up by SMS, once the account's SMS cooldown (15 s) has passed.
    time.sleep(max(0.0, 15.5 - (time.monotonic() - enrolled_at)))
    api.call("POST", "/stepup/challenges/otp/SMS", token=access_a, expect=204, step="step-up start")
    api.call("POST", "/stepup/challenges/otp/SMS/verify", {"verificationCode": "654321"}, token=access_a,
             expect=409, step="step-up, wrong code")
    api.call("POST", "/stepup/challenges/otp/SMS/verify", {"verificationCode": CODE}, token=access_a,
             expect=204, step="step-up")

    # D: an SMS past the per-IP budget (2 an hour here: A's two SMS spent it).
    d = register("d")
    access_d = surface1_access(d, "login d")
    api.call("POST", "/authentication_factors/otp/SMS", token=access_d, expect=429, step="SMS budget")


# --- template.yaml -------------------------------------------------------------------------------

def template_metric_names(text):
    """The metric names template.yaml names in the stack's namespace: in alarms (and their
    metric-math MetricStat) and in the dashboard's body. With PyYAML when Python has it,
    otherwise by the two forms the template uses."""
    try:
        import yaml
    except ImportError:
        return template_names_by_pattern(text), "patterns"

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Fn::" + suffix if suffix not in ("Ref", "Condition") else suffix: value}

    Loader.add_multi_constructor("!", tagged)
    doc = yaml.load(text, Loader=Loader)
    names = set()

    def ours(namespace):
        return namespace in ({"Ref": "AWS::StackName"}, {"Fn::Sub": "${AWS::StackName}"})

    for resource in (doc.get("Resources") or {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            if ours(props.get("Namespace")) and isinstance(props.get("MetricName"), str):
                names.add(props["MetricName"])
            for m in props.get("Metrics") or []:
                metric = ((m or {}).get("MetricStat") or {}).get("Metric") or {}
                if ours(metric.get("Namespace")) and isinstance(metric.get("MetricName"), str):
                    names.add(metric["MetricName"])
        if resource.get("Type") == "AWS::CloudWatch::Dashboard":
            body = props.get("DashboardBody")
            body = body.get("Fn::Sub") if isinstance(body, dict) else body
            body = body[0] if isinstance(body, list) else body
            if isinstance(body, str):
                names |= dashboard_names(body)
    return names, "PyYAML"


def dashboard_names(body):
    """Metric names of the stack's namespace in a dashboard body (`!Sub` JSON): each metric array
    `["${AWS::StackName}", "Name", ...]`, and `"."` repeating the array before's."""
    names = set()
    try:
        parsed = json.loads(re.sub(r"\$\{[^}]*\}", lambda m: "@STACK@" if m.group(0) == "${AWS::StackName}" else "@X@", body))
    except json.JSONDecodeError:
        return set(re.findall(r'\[\s*"\$\{AWS::StackName\}"\s*,\s*"([^"]+)"', body))
    for widget in parsed.get("widgets", []):
        previous = [None, None]
        for m in (widget.get("properties") or {}).get("metrics") or []:
            # A SEARCH expression over the stack's namespace: `SEARCH('{${AWS::StackName},Dim}
            # MetricName="Name"', ...)`.
            for part in m if isinstance(m, list) else []:
                expression = part.get("expression", "") if isinstance(part, dict) else ""
                if re.search(r"\{@STACK@[,}]", expression):
                    names.update(re.findall(r'MetricName="([^"]+)"', expression))
            if not isinstance(m, list) or len(m) < 2 or not all(isinstance(x, str) for x in m[:2]):
                continue
            ns = previous[0] if m[0] == "." else m[0]
            name = previous[1] if m[1] == "." else m[1]
            previous = [ns, name]
            if ns == "@STACK@" and name:
                names.add(name)
    return names


def template_names_by_pattern(text):
    names = set(re.findall(r'\[\s*"\$\{AWS::StackName\}"\s*,\s*"([^"]+)"', text))
    lines = text.splitlines()
    # A dashboard body written as a block scalar (`DashboardBody: !Sub |`): read as JSON.
    for i, line in enumerate(lines):
        if re.match(r"^\s*DashboardBody:\s*!Sub\s*[|>]", line):
            indent = len(line) - len(line.lstrip())
            body = []
            for other in lines[i + 1:]:
                if other.strip() and len(other) - len(other.lstrip()) <= indent:
                    break
                body.append(other)
            names |= dashboard_names("\n".join(body))
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(?:-\s+)?MetricName:\s*['\"]?([A-Za-z0-9_.-]+)", line)
        if not m:
            continue
        indent = len(line) - len(line.lstrip(" -"))
        # The sibling keys of the same mapping: up and down until a line indented less.
        block = []
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(lines):
                other = lines[j]
                if other.strip() and not other.lstrip().startswith("#"):
                    other_indent = len(other) - len(other.lstrip(" -"))
                    if other_indent < indent:
                        break
                    if other_indent == indent:
                        block.append(other)
                    if step == 1 and other.lstrip().startswith("- ") and other_indent == indent:
                        break
                    if step == -1 and other.lstrip().startswith("- ") and other_indent == indent:
                        break
                j += step
        if any(re.search(r"Namespace:\s*(!Ref\s+AWS::StackName|!Sub\s+['\"]?\$\{AWS::StackName\}['\"]?)\s*$", b)
               for b in block):
            names.add(m.group(2))
    return names


# --- the run -------------------------------------------------------------------------------------

def catalogue():
    source = open(os.path.join(ROOT, "shared", "src", "metrics", "mod.rs")).read()
    body = source.split("pub fn name(self) -> &'static str {", 1)[-1].split("pub fn unit(self)", 1)[0]
    names = re.findall(r'Metric::\w+ => "(\w+)"', body)
    if len(names) < 10:
        raise SystemExit("metrics-check: could not read the catalogue from shared/src/metrics/mod.rs")
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_local_api(workdir):
    if not os.path.exists(BINARY):
        subprocess.run(["cargo", "build", "-q", "--locked", "-p", "local-api"], cwd=ROOT, check=True)
    port = free_port()
    env = dict(os.environ, PORT=str(port), AUTH_STORE="memory", AUTH_SANDBOX="true", RUST_LOG="info",
               AUTH_METRICS_NAMESPACE=NAMESPACE, AUTH_LOCKOUT_THRESHOLD="3", AUTH_REFRESH_REUSE_GRACE_SECONDS="0",
               AUTH_SMS_PER_IP_PER_HOUR="2")
    out_path = os.path.join(workdir, "stdout")
    err_path = os.path.join(workdir, "stderr")
    proc = subprocess.Popen([BINARY], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=open(out_path, "wb"), stderr=open(err_path, "wb"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit(f"metrics-check: local-api exited: {open(err_path).read()[-2000:]}")
        try:
            urllib.request.urlopen(base + "/.well-known/jwks.json", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, out_path


def main():
    self_test()
    run = f"{int(time.time())}{os.getpid()}"
    with tempfile.TemporaryDirectory() as workdir:
        proc, base, out_path = run_local_api(workdir)
        api = Api(base)
        try:
            flows(api, run)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        raw_lines = open(out_path, encoding="utf-8", errors="replace").read().splitlines()
        if os.environ.get("METRICS_CHECK_LOG"):
            open(os.environ["METRICS_CHECK_LOG"], "w").write("\n".join(raw_lines) + "\n")
    now_ms = int(time.time() * 1000)
    emitted = {}  # metric name -> list of (dimension values of the line)
    handled = {}
    for n, raw in enumerate(raw_lines, 1):
        try:
            line = json.loads(raw, object_pairs_hook=no_duplicates)
        except ValueError as e:
            problem(f"stdout line {n} is not one JSON object ({e}): {raw[:200]}")
            continue
        if not isinstance(line, dict) or "_aws" not in line:
            continue
        for p in emf_problems(line, NAMESPACE, now_ms):
            problem(f"stdout line {n}: {p}: {raw[:300]}")
        for key, value in line.items():
            if key == "request_ref":
                continue
            text = json.dumps(value)
            for secret in api.secrets | {r for r in api.refs if r}:
                if secret and secret in text:
                    problem(f"stdout line {n}: member {key!r} holds one of the run's secrets or ids ({secret[:6]}…)")
        if line.get("message") == "handled":
            handled[line.get("request_ref")] = handled.get(line.get("request_ref"), 0) + 1
        for d in line["_aws"].get("CloudWatchMetrics", []):
            keys = {k for s in d.get("Dimensions", []) for k in s}
            for m in d.get("Metrics", []):
                emitted.setdefault(m.get("Name"), []).append({k: line.get(k) for k in keys})
    for ref in api.refs:
        if handled.get(ref) != 1:
            problem(f"the request {ref} made {handled.get(ref, 0)} `handled` lines, expected 1")
    names = catalogue()
    for name in ELSEWHERE - set(names):
        problem(f"{name}, exempted here as publish-events', is not in the catalogue")
    for name in names:
        if name not in emitted and name not in ELSEWHERE:
            problem(f"the flows wrote no {name}")
    for name, dims in EXPECTED:
        if not any(all(d.get(k) == v for k, v in dims.items()) for d in emitted.get(name, [])):
            problem(f"no {name} with {dims}; written with {emitted.get(name, [])[:5]}")
    template = open(os.path.join(ROOT, "template.yaml")).read()
    named, how = template_metric_names(template)
    for name in sorted(named):
        # publish-events' two are the catalogue's, written (and checked) by its unit test.
        if name not in emitted and name not in ELSEWHERE:
            problem(f"template.yaml names the metric {name!r} (namespace the stack's), which no flow wrote")
    emf_lines = sum(1 for r in raw_lines if '"_aws"' in r)
    print(f"metrics-check: {len(raw_lines)} stdout lines, {emf_lines} with EMF, {len(api.refs)} requests; "
          f"{len(set(emitted) & set(names))} of the catalogue's {len(names)} metrics written "
          f"({', '.join(sorted(ELSEWHERE))} by publish-events' unit test)")
    print(f"metrics-check: drift: {len(named)} metric name(s) in template.yaml's namespace checked ({how})")
    if problems:
        for p in problems[:40]:
            print(f"metrics-check: {p}")
        print(f"test result: FAILED. 0 passed; 1 failed; 0 ignored {RESULT}")
        sys.exit(1)
    print(f"test result: ok. 1 passed; 0 failed; 0 ignored {RESULT}")


if __name__ == "__main__":
    try:
        main()
    except SystemExit as e:
        if e.code in (0, None, 1):
            raise
        print(e.code)
        print(f"test result: FAILED. 0 passed; 1 failed; 0 ignored {RESULT}")
        sys.exit(1)
    except Exception:  # a crash is a failure too, with its summary line
        import traceback
        traceback.print_exc(file=sys.stdout)
        print(f"test result: FAILED. 0 passed; 1 failed; 0 ignored {RESULT}")
        sys.exit(1)
