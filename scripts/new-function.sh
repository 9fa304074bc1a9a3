#!/usr/bin/env bash
# Creates functions/<name>, the nine-line Lambda binary of one endpoint (it serves the routes the
# route table gives that function, the constant <NAME> in shared/src/api/routes.rs), and events/<name>.json.
# Usage: scripts/new-function.sh <name> "<METHOD /path>" [surface1|surface2]
set -euo pipefail
name=$1; route=$2; surface=${3:-surface1}
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
//! Lambda function for \`$route\`; its handler is [\`shared::api::$surface::$module\`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("$name").await
}
RS
python3 "$(dirname "$0")/event.py" "$name" "${route%% *}" "${route#* }" >/dev/null 2>&1 || echo "write events/$name.json (scripts/event.py)" >&2
echo "created $dir"
