#!/usr/bin/env python3
"""Writes events/<function>.json: an API Gateway (REST, proxy) event for `sam local invoke -e`.

Usage: scripts/event.py <function> <METHOD> <resource> [--path P] [--token AUTH|ACCESS]
                        [--body JSON] [--param k=v ...] [--query k=v ...] [--header k=v ...]
Tokens are placeholders (<AUTH_TOKEN>, ...): paste a real one before invoking; the tests
substitute their own.
"""
import argparse, json, pathlib

p = argparse.ArgumentParser()
p.add_argument("function"); p.add_argument("method"); p.add_argument("resource")
p.add_argument("--path"); p.add_argument("--token"); p.add_argument("--body")
p.add_argument("--param", action="append", default=[]); p.add_argument("--query", action="append", default=[])
p.add_argument("--header", action="append", default=[])
a = p.parse_args()
path = a.path or a.resource
headers = {"accept": "application/json", "user-agent": "sam-local-invoke/1.0"}
if a.body is not None:
    headers["content-type"] = "application/json"
if a.token:
    headers["authorization"] = f"Bearer <{a.token}_TOKEN>"
for h in a.header:
    k, v = h.split("=", 1); headers[k] = v
kv = lambda items: dict(i.split("=", 1) for i in items) or None
event = {
    "resource": a.resource,
    "path": path,
    "httpMethod": a.method,
    "headers": headers,
    "multiValueHeaders": {k: [v] for k, v in headers.items()},
    "queryStringParameters": kv(a.query),
    "multiValueQueryStringParameters": {k: [v] for k, v in (kv(a.query) or {}).items()} or None,
    "pathParameters": kv(a.param),
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012", "apiId": "local", "stage": "Prod", "requestId": f"event-{a.function}",
        "resourcePath": a.resource, "httpMethod": a.method, "path": f"/Prod{path}",
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "sam-local-invoke/1.0"},
    },
    "body": json.dumps(json.loads(a.body)) if a.body is not None else None,
    "isBase64Encoded": False,
}
out = pathlib.Path(__file__).resolve().parent.parent / "events" / f"{a.function}.json"
out.write_text(json.dumps(event, indent=2) + "\n")
print(out)
