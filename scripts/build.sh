#!/usr/bin/env bash
# `make build`: every Lambda function of the workspace, for provided.al2023 on arm64 (release), in
# one cargo-lambda invocation, so that the shared dependencies compile once. Each function's
# bootstrap lands in build/lambda/<binary>/, which is the CodeUri template.yaml gives it: `sam
# deploy`, `sam package` and `sam local invoke` use these artifacts as they are (no `sam build`).
# cargo-lambda cross-compiles with zig (both pinned in scripts/sam.sh's virtualenv); no Docker.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/sam.sh" --version >/dev/null # makes the pinned virtualenv, the first time
export PATH="$root/.tools/sam/bin:$PATH" CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
# aws-lc seeds its random generator without CPU-jitter entropy, from the OS alone (getrandom,
# which Lambda's VMs seed): the first TLS handshake of a cold start no longer waits ~23 ms for
# the jitter sampling (docs/performance.md#cold-start).
export AWS_LC_SYS_NO_JITTER_ENTROPY=1
started=$(date +%s)
cargo lambda build --release --arm64 --locked --workspace --exclude local-api --exclude integration-tests --exclude baselines \
  --lambda-dir build/lambda "$@"
echo "make build: $(ls build/lambda | wc -l) functions in build/lambda/ in $(( $(date +%s) - started )) s"
