#!/usr/bin/env python3
"""Login latency of one or more local-api binaries, side by side: for each binary and store
(memory, and DynamoDB Local when AUTH_TEST_DYNAMODB_ENDPOINT is set), registers an account and
times N sequential successful logins over loopback; prints p50 and p90 in milliseconds.

    scripts/login-latency.py OLD_BINARY NEW_BINARY [N]

Used to measure what reserving an attempt before the hash costs (one more conditional write).
Sequential on purpose: it measures one login's latency, not throughput (`make bench` does that).
"""
import json, os, socket, subprocess, sys, time, urllib.request

PASSWORD = "correct horse battery staple"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def post(api, path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def measure(binary, store, n):
    port = free_port()
    env = dict(os.environ, PORT=str(port), AUTH_RATE_PER_IP_PER_MINUTE="1000000", RUST_LOG="warn")
    if store == "dynamodb":
        env.update(AUTH_STORE="dynamodb", TABLE_NAME=f"latency{port}", AUTH_CREATE_TABLE="true", AUTH_SANDBOX="true",
                   AWS_ENDPOINT_URL=os.environ["AUTH_TEST_DYNAMODB_ENDPOINT"], AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    server = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
            except OSError:
                time.sleep(0.05)
        user = {"email": "bench@example.com", "password": {"value": PASSWORD}, "name": "Bench",
                "mobile": {"countryCode": "+44", "number": "7400900123"}}
        assert post(api, "/users", user) == 201
        login = {"email": "bench@example.com", "password": {"value": PASSWORD}}
        for _ in range(20):  # warm up
            post(api, "/login_with_password", login)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            assert post(api, "/login_with_password", login) == 200
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        return times[len(times) // 2], times[int(len(times) * 0.9)]
    finally:
        server.terminate(); server.wait()


def main():
    args = sys.argv[1:]
    n = int(args.pop()) if args and args[-1].isdigit() else 300
    stores = ["memory"] + (["dynamodb"] if os.environ.get("AUTH_TEST_DYNAMODB_ENDPOINT") else [])
    print("| binary | store | login p50 ms | login p90 ms |\n| --- | --- | --- | --- |")
    for store in stores:
        for binary in args:
            p50, p90 = measure(binary, store, n)
            print(f"| {os.path.basename(binary)} | {store} | {p50:.2f} | {p90:.2f} |", flush=True)


if __name__ == "__main__":
    main()
