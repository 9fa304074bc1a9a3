#!/usr/bin/env bash
# The operator's actions on an account, through the deployed Admin function (invoked with IAM:
# the caller needs lambda:InvokeFunction on it; the function has no API route).
# Usage: scripts/admin.sh [--stack NAME] <block|unblock|unlock|expire_password|end_sessions|remove_factors|events|delete> <email>
# Prints what changed; exits non-zero when the function answers an error (an unknown account or
# action). The stack defaults to samconfig.toml's stack name.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stack=$(sed -n 's/^stack_name *= *"\(.*\)"/\1/p' "$root/samconfig.toml" | head -n 1)
if [ "${1:-}" = "--stack" ]; then stack=$2; shift 2; fi
# Moving accounts in and out (scripts/admin-import.sh, scripts/admin-export.sh).
if [ "${1:-}" = "import" ]; then shift; exec "$root/scripts/admin-import.sh" "$@"; fi
if [ "${1:-}" = "export" ]; then shift; exec "$root/scripts/admin-export.sh" "$@"; fi
if [ $# -ne 2 ]; then
  sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
action=$1 email=$2
case $action in
  block|unblock|unlock|expire_password|end_sessions|remove_factors|events|delete) ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
function=$(aws cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id AdminFunction \
  --query StackResourceDetail.PhysicalResourceId --output text)
payload=$(python3 -c 'import json,sys; print(json.dumps({"action": sys.argv[1], "email": sys.argv[2]}))' "$action" "$email")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
meta=$(aws lambda invoke --function-name "$function" --cli-binary-format raw-in-base64-out \
  --payload "$payload" --query FunctionError --output text "$out")
python3 -m json.tool "$out"
[ "$meta" = "None" ] || [ -z "$meta" ]
