# The commands of this repository. `make test` is the one CI runs (through .ci/run).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/auth-target

.PHONY: test run lint fmt build deploy bench cold-start

## Run every test, starting (and installing, the first time) DynamoDB Local and moto.
test:
	scripts/test.sh

## Serve the whole API on 127.0.0.1:$${PORT:-3000}, on the embedded store.
run:
	cargo run --release -p local-api

## Formatting and lints, as CI checks them.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

## Build every function for Lambda (arm64, release) in one cargo-lambda invocation into
## build/lambda/<function>/bootstrap, the CodeUri of each function in template.yaml; no Docker.
build:
	scripts/build.sh $(ARGS)

## Deploy the built stack: `make deploy` (asks), or ARGS="--config-env sandbox".
deploy:
	scripts/sam.sh deploy $(ARGS)

## Load benchmark: release local-api on the memory store and DynamoDB Local, driven by wrk.
bench:
	cargo bench -p shared --bench core -- --quick
	cargo bench -p shared --bench enumeration
	scripts/bench.py

## Cold start of every function's release binary under a fake Lambda Runtime API.
cold-start:
	scripts/cold-start.py
