#!/usr/bin/env bash
# The passkey demo page in a real browser (part of `make test`): installs Debian's chromium where
# it is missing and playwright-core (tests/browser/package-lock.json) into .tools/browser, starts
# local-api with the demo page on a free port, and drives the page with a virtual authenticator;
# then calls the API from pages on another origin (tests/browser/cors.mjs).
# Usage: scripts/browser-test.sh [screenshot.png]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium ..." >&2
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get install -y -q chromium >/dev/null 2>&1 || { $sudo_ apt-get update -q >/dev/null && $sudo_ apt-get install -y -q chromium >/dev/null; }
fi
tools="$root/.tools/browser"
if ! cmp -s tests/browser/package-lock.json "$tools/package-lock.json" 2>/dev/null || [ ! -d "$tools/node_modules/playwright-core" ]; then
  mkdir -p "$tools"
  cp tests/browser/package.json tests/browser/package-lock.json "$tools/"
  (cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund -q >/dev/null)
fi
cp tests/browser/harness.mjs tests/browser/passkeys.mjs "$tools/"
ANSWERS_FILE=$(mktemp)
export ANSWERS_FILE
. scripts/local-api.sh
build_debug
port=$(free_port)
allowed_origin=http://127.0.0.1:$(free_port)
start_local_api "$port" AUTH_STORE=memory AUTH_DEMO_PAGES=true AUTH_WEBAUTHN_RP_ID=localhost \
  AUTH_WEBAUTHN_ORIGINS="http://localhost:$port" AUTH_CORS_ORIGINS="$allowed_origin"
screenshot=${1:-}
[ -n "$screenshot" ] && screenshot=$(realpath -m "$screenshot")
node "$tools/passkeys.mjs" "http://localhost:$port" $screenshot || { echo "local-api's log:"; tail -n 20 "$local_api_log"; exit 1; }
cp tests/browser/cors.mjs "$tools/"
node "$tools/cors.mjs" "http://localhost:$port" "$allowed_origin" || { echo "local-api's log:"; tail -n 20 "$local_api_log"; exit 1; }
# Every answer the pages received, judged by openapi.yaml.
python3 scripts/judge-answers.py "$ANSWERS_FILE" "every answer the browser pages received, as openapi.yaml describes"
