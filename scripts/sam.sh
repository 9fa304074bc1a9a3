#!/usr/bin/env bash
# Runs the SAM CLI from the project's virtualenv, with cargo-lambda and zig (both from PyPI)
# on PATH so `sam build` cross-compiles the arm64 functions without Docker.
# Usage: scripts/sam.sh build | scripts/sam.sh deploy [--guided] [--config-env sandbox]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/sam"
if [ ! -x "$venv/bin/sam" ] || [ ! -x "$venv/bin/cargo-lambda" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'aws-sam-cli>=1.140' 'cfn-lint>=1.20' cargo-lambda ziglang >&2
fi
export PATH="$venv/bin:$PATH" SAM_CLI_TELEMETRY=0
cd "$root"
case "${1:-}" in
  build) shift; exec sam build --beta-features "$@" ;;
  deploy) shift; exec sam deploy "$@" ;;
  *) exec sam "$@" ;;
esac
