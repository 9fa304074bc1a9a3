#!/usr/bin/env bash
# The passkey demo page in a real browser (part of `make test`): installs Debian's chromium where
# it is missing and playwright-core (tests/browser/package-lock.json) into .tools/browser, starts
# local-api with the demo page on a free port, and drives the page with a virtual authenticator.
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
cp tests/browser/passkeys.mjs "$tools/"
cargo build -q --locked -p local-api
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp)
AUTH_STORE=memory AUTH_DEMO_PAGES=true PORT=$port AUTH_WEBAUTHN_RP_ID=localhost AUTH_WEBAUTHN_ORIGINS="http://localhost:$port" \
  "$CARGO_TARGET_DIR/debug/local-api" >"$out" 2>&1 &
pid=$!
# `|| true`: under `set -e` the killed server's status from `wait` would become the script's.
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/jwks.json" && break
  kill -0 $pid 2>/dev/null || { echo "local-api exited; its log:"; cat "$out"; exit 1; }
  sleep 0.1
done
screenshot=${1:-}
[ -n "$screenshot" ] && screenshot=$(realpath -m "$screenshot")
node "$tools/passkeys.mjs" "http://localhost:$port" $screenshot || { echo "local-api's log:"; tail -n 20 "$out"; exit 1; }
