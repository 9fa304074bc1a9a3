#!/usr/bin/env bash
# Validates template.yaml with the SAM CLI and cfn-lint, from a git-ignored virtualenv that this
# script creates the first time (both work offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/sam"
if [ ! -x "$venv/bin/sam" ] || [ ! -x "$venv/bin/cfn-lint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'aws-sam-cli>=1.140' 'cfn-lint>=1.20' >&2
fi
export SAM_CLI_TELEMETRY=0
"$venv/bin/sam" validate --lint --region us-east-1 --template-file "$root/template.yaml"
"$venv/bin/cfn-lint" "$root/template.yaml"
echo "template.yaml: sam validate --lint and cfn-lint passed"
