#!/usr/bin/env bash
# Proves openapi.yaml true: starts local-api (memory store, sandbox) on a free loopback port,
# makes an account and an ACCESS token so the authenticated operations are really exercised,
# and runs schemathesis (PyPI, in a git-ignored virtualenv) against it: no server errors, no
# response outside the spec, no undocumented status code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
venv="$root/.tools/schemathesis"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5' >&2
fi
. scripts/local-api.sh
build_debug
port=$(free_port)
# Generous limits: the fuzzer is one client and must not mostly meet 429s (they are documented).
start_local_api "$port" AUTH_RATE_PER_IP_PER_MINUTE=1000000 AUTH_RATE_PER_ACCOUNT_PER_MINUTE=1000000 \
  AUTH_SMS_PER_PHONE_PER_HOUR=1000000 AUTH_SMS_PER_ACCOUNT_PER_DAY=1000000 AUTH_LOCKOUT_THRESHOLD=1000000 \
  AUTH_SMS_PER_IP_PER_HOUR=1000000 AUTH_SMS_GLOBAL_PER_DAY=1000000 AUTH_EMAIL_PER_ADDRESS_PER_DAY=1000000 \
  AUTH_PUSH_PER_ACCOUNT_PER_10_MINUTES=1000000
api=http://127.0.0.1:$port
J='content-type: application/json'
curl -sf "$api/users" -H "$J" -d '{"email":"fuzz@example.com","password":{"value":"correct horse battery staple"},"name":"Fuzz","mobile":{"countryCode":"+44","number":"7400123456"}}' >/dev/null
auth=$(curl -sf "$api/login_with_password" -H "$J" -d '{"email":"fuzz@example.com","password":{"value":"correct horse battery staple"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
identity=$(curl -sf "$api/identities" -H "authorization: Bearer $auth" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["id"]))')
access=$(curl -sf "$api/access_token" -H "$J" -H "authorization: Bearer $auth" -d "{\"identity\":$identity}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# One worker: with two, schemathesis sometimes crashes inside hypothesis (CPython 3.11's "AST
# constructor recursion depth mismatch" when two threads describe lambdas at once), a Runtime
# Error of the tool, not a failed check.
"$venv/bin/schemathesis" run openapi.yaml --url "$api" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 1 --workers 1 \
  --exclude-path /logout \
  -H "Authorization: Bearer $access" --warnings off
