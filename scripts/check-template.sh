#!/usr/bin/env bash
# Validates template.yaml with the SAM CLI and cfn-lint, and the deploy workflow against GitHub's workflow schema (check-jsonschema),
# from a git-ignored virtualenv that this script creates the first time (all work offline).
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
lint="$root/.tools/lint"
# Its own virtualenv: it needs a newer click than the SAM CLI pins.
if [ ! -x "$lint/bin/check-jsonschema" ]; then
  python3 -m venv "$lint"
  "$lint/bin/pip" install -q 'check-jsonschema>=0.29' >&2
fi
"$lint/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$root/.github/workflows/deploy.yml"
echo "template.yaml: sam validate --lint and cfn-lint passed; deploy workflow: valid against the GitHub workflow schema"
