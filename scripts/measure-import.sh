#!/usr/bin/env bash
# Measures the operator's import as docs/migration.md reports it: N accounts (default 100000,
# each a PBKDF2 hash in Django's form, as a migration brings them) imported through
# `scripts/admin.sh import` into local-api on DynamoDB Local (the test services), timed end to
# end; then the write units one account costs, as DynamoDB Local counts them for the very write
# the import makes (the profile's conditional put and the address's reservation check, in one
# transaction), read back with ReturnConsumedCapacity.
# Usage: scripts/measure-import.sh [N]   (uses $AUTH_TEST_DYNAMODB_ENDPOINT, or starts the test services)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/auth-target}
n=${1:-100000}
. scripts/local-api.sh
if [ -z "${AUTH_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  eval "$(scripts/test-services.sh start)"
  stop_services() { scripts/test-services.sh stop; }
else
  stop_services() { :; }
fi
build_debug
work=$(mktemp -d)
port=$(free_port)
table=measure-import-$RANDOM$RANDOM
start_local_api "$port" AUTH_STORE=dynamodb TABLE_NAME="$table" AUTH_CREATE_TABLE=true AUTH_SANDBOX=true \
  AUTH_ADMIN_LOCAL=true AWS_ENDPOINT_URL_DYNAMODB="$AUTH_TEST_DYNAMODB_ENDPOINT" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=measure AWS_SECRET_ACCESS_KEY=measure RUST_LOG=warn
trap 'kill $local_api_pid 2>/dev/null || true; wait $local_api_pid 2>/dev/null || true; rm -rf "$work" "$local_api_log"; stop_services' EXIT
python3 - "$n" "$work/accounts.jsonl" <<'PY'
import base64, hashlib, json, sys
n, path = int(sys.argv[1]), sys.argv[2]
digest = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"correct horse battery staple", b"importsalt", 1000)).decode()
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"email": f"user{i}@example.com", "email_verified": True, "name": f"User {i}",
                            "password_hash": f"pbkdf2_sha256$1000$importsalt${digest}",
                            "created_at": "2023-01-31T10:00:00Z"}) + "\n")
PY
start=$(date +%s.%N)
scripts/admin.sh import --url "http://127.0.0.1:$port" "$work/accounts.jsonl" > "$work/report.json"
end=$(date +%s.%N)
python3 - "$n" "$start" "$end" "$work/report.json" "$AUTH_TEST_DYNAMODB_ENDPOINT" "$table" <<'PY'
import json, sys
import boto3
n, start, end, report, endpoint, table = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
r = json.load(open(report))
assert r["imported"] == n, r
secs = end - start
ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="measure", aws_secret_access_key="measure")
item = ddb.get_item(TableName=table, Key={"PK": {"S": "ACCOUNT#user0@example.com"}, "SK": {"S": "PROFILE"}})["Item"]
size = sum(len(k) + len(json.dumps(v)) for k, v in item.items())
# The import's write of one account, again, for another address: what it consumes.
item["PK"] = {"S": "ACCOUNT#measure@example.com"}
out = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
    {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
    {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "ACCOUNT#measure@example.com"}, "SK": {"S": "MOVED"}},
                        "ConditionExpression": "attribute_not_exists(PK)"}}])
wcu = sum(c.get("CapacityUnits", 0) for c in out.get("ConsumedCapacity", []))
print(f"imported {n} accounts in {secs:.1f} s ({n / secs:.0f} accounts/s); one account's item is about {size} bytes; "
      f"its write consumes {wcu:g} write units (DynamoDB Local's count of the transaction)")
PY
