#!/usr/bin/env bash
# Smoke test of a running API: a deployed stage (sandbox) or local-api. Registers a fresh account
# (a unique e-mail per run), logs in, lists its identities, gets an ACCESS token, logs out (the
# ACCESS token is then refused) and reads the JWKS, checking each status, the key fields of each
# body and the request-ref header. Stops at the first failure with a message naming the step.
# Needs curl and python3. Usage: scripts/smoke.sh <API URL>, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/sandbox
set -euo pipefail
api=${1:?usage: scripts/smoke.sh <API URL>}
api=${api%/}
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "smoke: FAILED: $tool is not installed" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
email="smoke-$(date +%s)-$RANDOM$RANDOM@example.com"
password="correct horse battery staple"
steps=0

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

# call <step> <expected status> <method> <path> [token] [JSON body]: the answer's body in $tmp/body.
call() {
  local step=$1 want=$2 method=$3 path=$4 token=${5:-} data=${6:-} status
  local args=(-sS -X "$method" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --max-time 30
    -H 'accept: application/json' -H 'user-agent: smoke/1.0')
  [ -z "$token" ] || args+=(-H "authorization: Bearer $token")
  [ -z "$data" ] || args+=(-H 'content-type: application/json' --data "$data")
  status=$(curl "${args[@]}" "$api$path") || fail "$step: $method $path: no answer from $api"
  [ "$status" = "$want" ] || fail "$step: $method $path answered $status, expected $want: $(head -c 300 "$tmp/body")"
  grep -qi '^request-ref:' "$tmp/headers" || fail "$step: $method $path: the answer has no request-ref header"
  judge "$step" "$method" "$path" "$status"
  steps=$((steps + 1))
  echo "smoke: $step ... $status"
}

# judge <step> <method> <path> <status>: the answer (in $tmp/body) must be one openapi.yaml
# describes (scripts/spec_check.py), where Python has PyYAML and jsonschema (else said once).
spec_dir=$(cd "$(dirname "$0")" && pwd)
if python3 -c 'import yaml, jsonschema, referencing' 2>/dev/null; then judging=1; else
  judging=0; echo "smoke: the answers are not checked against openapi.yaml (no PyYAML/jsonschema here)"; fi
judge() {
  [ "$judging" = 1 ] || return 0
  python3 - "$spec_dir" "$2" "$3" "$4" "$tmp/body" <<'PY' || fail "$1: $2 $3: the answer is not what openapi.yaml describes"
import json, sys
sys.path.insert(0, sys.argv[1])
from spec_check import check
raw = open(sys.argv[5]).read().strip()
problem = check(sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(raw) if raw else None)
if problem:
    print(problem, file=sys.stderr)
    sys.exit(1)
PY
}

# field <step> <Python expression on the body d>: prints it; fails the step when it is missing or empty.
field() {
  python3 - "$2" "$tmp/body" <<'PY' || fail "$1: the body has no $2: $(head -c 300 "$tmp/body")"
import json, sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1], {}, {"d": d})
if v in (None, "", [], {}):
    sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v))
PY
}

call register 201 POST /users "" \
  "{\"email\":\"$email\",\"password\":{\"value\":\"$password\"},\"name\":\"Smoke Test\",\"mobile\":{\"countryCode\":\"+44\",\"number\":\"7400900123\"}}"
field register 'd["userId"]' >/dev/null
call login 200 POST /login_with_password "" "{\"email\":\"$email\",\"password\":{\"value\":\"$password\"}}"
[ "$(field login 'd["tokenType"]')" = AUTH ] || fail "login: tokenType is not AUTH"
auth=$(field login 'd["token"]')
call identities 200 GET /identities "$auth"
identity=$(field identities 'd[0]["id"]')
call access-token 200 POST /access_token "$auth" "{\"identity\":$identity}"
[ "$(field access-token 'd["tokenType"]')" = ACCESS ] || fail "access-token: tokenType is not ACCESS"
access=$(field access-token 'd["token"]')
call logout 204 POST /logout "$auth"
call after-logout 401 GET /identities "$access"
call jwks 200 GET /.well-known/jwks.json
[ "$(field jwks '[k["crv"] for k in d["keys"] if k.get("kty") == "OKP"][0]')" = Ed25519 ] || fail "jwks: no Ed25519 key"
echo "smoke: ok, $steps requests against $api"
