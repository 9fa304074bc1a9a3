#!/usr/bin/env bash
# The operator's export of every account, from a local-api started with AUTH_ADMIN_LOCAL=true
# (docs/migration.md). Usage: scripts/admin.sh export [--url URL] [--include-secrets] FILE
# Streams URL/_admin/export (URL defaults to http://localhost:3000) into FILE (JSON Lines, the
# import's shape), counting the accounts on stderr as they arrive; --include-secrets writes the
# TOTP secrets too (FILE is then created readable by its owner only).
set -euo pipefail
url=http://localhost:3000 query=
while [ $# -gt 1 ]; do
  case $1 in
    --url) url=$2; shift 2 ;;
    --include-secrets) query="?include_secrets=true"; shift ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ]; then
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
umask 077
curl -sS -N --fail-with-body -X POST "$url/_admin/export$query" | python3 -c '
import sys
count, out = 0, open(sys.argv[1], "wb")
for line in sys.stdin.buffer:
    out.write(line)
    count += 1
    if count % 1000 == 0:
        print(f"\r{count} accounts", end="", file=sys.stderr, flush=True)
out.close()
print(f"\rexported {count} accounts to {sys.argv[1]}", file=sys.stderr)
' "$1"
