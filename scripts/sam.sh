#!/usr/bin/env bash
# Runs the SAM CLI from the project's virtualenv, with cargo-lambda and zig (both from PyPI) on
# PATH (scripts/build.sh cross-compiles the arm64 functions with them, without Docker). Every tool is pinned
# here (the deploy workflow pins the same versions); the virtualenv is remade when a pin changes.
# Usage: scripts/sam.sh deploy [--guided] [--config-env sandbox] | scripts/sam.sh <sam args>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/sam"
pins=(aws-sam-cli==1.170.0 cfn-lint==1.58.0 cargo-lambda==1.9.2 ziglang==0.14.1)
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "${pins[*]}" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "${pins[@]}" >&2
  echo "${pins[*]}" >"$venv/.pins"
fi
export PATH="$venv/bin:$PATH" SAM_CLI_TELEMETRY=0
cd "$root"
case "${1:-}" in
  deploy) shift; exec sam deploy "$@" ;;
  cfn-lint) shift; exec cfn-lint "$@" ;;
  *) exec sam "$@" ;;
esac
