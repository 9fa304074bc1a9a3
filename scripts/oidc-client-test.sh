#!/usr/bin/env bash
# The OpenID Connect provider driven by a client library nobody here wrote: Authlib (PyPI, in a
# git-ignored virtualenv) against local-api (memory store, sandbox, the operator's actions on,
# the issuer its own URL). tests/oidc/client.py prints its own test result line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
venv="$root/.tools/oidc-client"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import authlib, requests' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'authlib==1.9.6' 'requests>=2.32,<3' >&2
fi
. scripts/local-api.sh
build_debug
port=$(free_port)
start_local_api "$port" AUTH_STORE=memory AUTH_ADMIN_LOCAL=true AUTH_ISSUER="http://127.0.0.1:$port"
"$venv/bin/python" tests/oidc/client.py "http://127.0.0.1:$port" || { echo "local-api's log:"; tail -n 20 "$local_api_log"; exit 1; }
