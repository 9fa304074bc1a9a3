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
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "\nall tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
