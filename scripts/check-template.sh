#!/usr/bin/env bash
# Validates template.yaml with the SAM CLI and cfn-lint, and the deploy workflow against GitHub's workflow schema (check-jsonschema),
# from a git-ignored virtualenv that this script creates the first time (all work offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The SAM CLI and cfn-lint come pinned from scripts/sam.sh's virtualenv.
"$root/scripts/sam.sh" validate --lint --region us-east-1 --template-file "$root/template.yaml"
"$root/scripts/sam.sh" cfn-lint "$root/template.yaml"
lint="$root/.tools/lint"
# Its own virtualenv: it needs a newer click than the SAM CLI pins.
if [ ! -x "$lint/bin/check-jsonschema" ]; then
  python3 -m venv "$lint"
  "$lint/bin/pip" install -q 'check-jsonschema==0.39.0' >&2
fi
"$lint/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$root/.github/workflows/deploy.yml"
echo "template.yaml: sam validate --lint and cfn-lint passed; deploy workflow: valid against the GitHub workflow schema"
