#!/usr/bin/env bash
# The operator's import of accounts from another system, into a local-api started with
# AUTH_ADMIN_LOCAL=true (README "Moving users in").
# Usage: scripts/admin.sh import [--url URL] [--dry-run] [--firebase KEY SEPARATOR ROUNDS MEM_COST] FILE
# Streams FILE (JSON Lines) to URL/_admin/import (URL defaults to http://localhost:3000), shows the
# upload's progress on stderr, prints the report and exits non-zero when a line was refused.
set -euo pipefail
url=http://localhost:3000 query=()
while [ $# -gt 1 ]; do
  case $1 in
    --url) url=$2; shift 2 ;;
    --dry-run) query+=("dry_run=true"); shift ;;
    --firebase)
      enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
      query+=("base64_signer_key=$(enc "$2")" "base64_salt_separator=$(enc "$3")" "rounds=$4" "mem_cost=$5")
      shift 5 ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ] || [ ! -r "$1" ]; then
  sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
qs=$(IFS='&'; echo "${query[*]:-}")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "importing $(wc -l < "$1") lines from $1" >&2
status=$(curl --progress-bar -o "$out" -w '%{http_code}' -X POST -H 'content-type: application/x-ndjson' \
  -T "$1" "$url/_admin/import${qs:+?$qs}")
python3 -m json.tool "$out"
[ "$status" = 200 ] || exit 1
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("imported %d, skipped %d, refused %d" % (r["imported"], r["skipped"], r["refused"]), file=sys.stderr); sys.exit(1 if r["refused"] else 0)' "$out"
