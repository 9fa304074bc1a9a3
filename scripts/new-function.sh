#!/usr/bin/env bash
# Creates functions/<name>, the ten-line Lambda binary of one endpoint, over
# shared::handlers::<name_with_underscores>::handle. Usage: scripts/new-function.sh <name> "<METHOD /path>"
set -euo pipefail
name=$1; route=$2
module=${name//-/_}
dir="$(cd "$(dirname "$0")/.." && pwd)/functions/$name"
[ -e "$dir" ] && { echo "$dir exists" >&2; exit 1; }
mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.1.0"
description = "Lambda function for $route"
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[[bin]]
name = "$name"
path = "src/main.rs"
test = false
doctest = false

[dependencies]
shared.workspace = true
lambda_http.workspace = true
tokio.workspace = true

[lints]
workspace = true
TOML
cat >"$dir/src/main.rs" <<RS
//! Lambda function for \`$route\`; the logic is in [\`shared::handlers::$module\`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::$module, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| $module::handle(&app, req))).await
}
RS
echo "created $dir"
