#!/usr/bin/env bash
# `make test`: starts DynamoDB Local and moto (installing them the first time), runs every test
# of the workspace against them, stops them whatever happened, and ends with one summary line.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
trap 'scripts/test-services.sh stop' EXIT INT TERM
. scripts/local-api.sh

# local-api on a free port, scripts/smoke.sh against it, local-api stopped whatever happened.
smoke_local() (
  port=$(free_port)
  start_local_api "$port" AUTH_STORE=memory || exit 1
  scripts/smoke.sh "http://127.0.0.1:$port" || { echo "local-api's log:"; tail -n 20 "$local_api_log"; exit 1; }
)
env_lines=$(scripts/test-services.sh start) || { echo "could not start the test services" >&2; exit 1; }
eval "$env_lines"
build_debug || exit 1
log=$(mktemp)
# template.yaml (sam validate, cfn-lint, the stack's resource count), events/env.json and the
# deploy workflow.
scripts/check-template.sh 2>&1 | tee "$log" || { rm -f "$log"; exit 1; }
echo "test result: ok. 1 passed; 0 failed; 0 ignored (template, resource count, env.json, workflow)" >>"$log"
cargo test --workspace --locked "$@" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
# The spec, proven against the running local API.
if [ "$status" -eq 0 ]; then
  scripts/schemathesis.sh 2>&1 | tee -a "$log" | tail -n 12
  st=${PIPESTATUS[0]}
  [ "$st" -eq 0 ] && echo "test result: ok. 1 passed; 0 failed; 0 ignored (schemathesis contract run)" >>"$log" \
    || { echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (schemathesis contract run)" >>"$log"; status=1; }
fi
# scripts/smoke.sh, which the deploy runs against the sandbox stage, against local-api (debug
# build, memory store) on a free port.
if [ "$status" -eq 0 ]; then
  smoke_local 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] && echo "test result: ok. 1 passed; 0 failed; 0 ignored (smoke.sh against local-api)" >>"$log" \
    || { echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (smoke.sh against local-api)" >>"$log"; status=1; }
fi
# The metrics as CloudWatch reads them: local-api's stdout after flows on both surfaces, every
# EMF line valid, no personal dimension value, every metric the template names written
# (scripts/metrics-check.py prints its own test result line).
if [ "$status" -eq 0 ]; then
  python3 scripts/metrics-check.py 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# The passkey demo page in headless Chromium with a virtual authenticator (scripts/browser-test.sh
# prints its own test result line).
if [ "$status" -eq 0 ]; then
  scripts/browser-test.sh 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# The OpenID Connect provider driven by a client library nobody here wrote (Authlib), against
# local-api (scripts/oidc-client-test.sh prints its own test result line).
if [ "$status" -eq 0 ]; then
  scripts/oidc-client-test.sh 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# Every Lambda binary as deployed, under cargo-lambda's Lambda emulator, answering its events with
# the environment and policy template.yaml gives it, against DynamoDB Local and moto.
if [ "$status" -eq 0 ]; then
  python3 scripts/lambda-emulator.py 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "\nall tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
