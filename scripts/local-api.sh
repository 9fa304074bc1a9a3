# Sourced by the scripts that run local-api for a test (test.sh's smoke, schemathesis.sh,
# browser-test.sh): one way to start it, wait for it, and stop it whatever happens.

# Every debug binary the tests run (the test binaries, local-api, every Lambda function) in ONE
# cargo invocation, so that one feature resolution serves them all and the dependencies (the
# AWS SDK above all) compile once; `cargo test --workspace` then finds them built. Run as-is
# after a test run, it compiles nothing.
build_debug() { cargo build -q --locked --workspace --lib --bins --tests; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_local_api PORT [VAR=value ...]: the debug local-api (built already) on PORT with the
# given environment, its log in $local_api_log; returns once it answers (1, with its log, if
# it exits first). An EXIT trap stops it; `|| true` there because under `set -e` the killed
# server's status from `wait` would otherwise become the caller's.
start_local_api() {
  local port=$1
  shift
  local_api_log=$(mktemp)
  env "$@" PORT="$port" "$CARGO_TARGET_DIR/debug/local-api" >"$local_api_log" 2>&1 &
  local_api_pid=$!
  trap 'kill $local_api_pid 2>/dev/null || true; wait $local_api_pid 2>/dev/null || true; rm -f "$local_api_log"' EXIT
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/jwks.json" && return 0
    kill -0 "$local_api_pid" 2>/dev/null || { echo "local-api exited; its log:"; cat "$local_api_log"; return 1; }
    sleep 0.1
  done
}
