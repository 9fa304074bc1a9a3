#!/usr/bin/env bash
# `make test`: starts DynamoDB Local and moto (installing them the first time), runs every test
# of the workspace against them, stops them whatever happened, and ends with one summary line.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
trap 'scripts/test-services.sh stop' EXIT INT TERM
env_lines=$(scripts/test-services.sh start) || { echo "could not start the test services" >&2; exit 1; }
eval "$env_lines"
scripts/check-template.sh || exit 1
log=$(mktemp)
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The spec, proven against the running local API.
if [ "$status" -eq 0 ]; then
  scripts/schemathesis.sh 2>&1 | tee -a "$log" | tail -n 12
  st=${PIPESTATUS[0]}
  [ "$st" -eq 0 ] && echo "test result: ok. 1 passed; 0 failed; 0 ignored (schemathesis contract run)" >>"$log" \
    || { echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (schemathesis contract run)" >>"$log"; status=1; }
fi
# The Lambda binaries as deployed (each built alone, with its own features) answering their
# events under a fake Lambda Runtime API, against DynamoDB Local and moto. Last: it stops the
# test services when done.
if [ "$status" -eq 0 ]; then
  COLD_START_PROFILE=debug COLD_START_RUNS=1 python3 scripts/cold-start.py --check jwks register 2>&1 | tee -a "$log" | tail -n 4
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "\nall tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
