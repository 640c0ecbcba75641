#!/usr/bin/env bash
# Checks the HTTP API against its OpenAPI description (Protocol/openapi.yaml, served at
# GET /openapi.yaml) with schemathesis, a property-based API fuzzer: for a bounded time it sends
# generated requests to a live fieldsync-server on loopback, with a real device token, and fails on
# any finding: a 5xx, a status, content type, header or body the description does not allow.
#
# Usage: scripts/api-fuzz.sh [BIN_DIR] [SECONDS]   (default: `swift build --show-bin-path`, 90 s)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build --show-bin-path)}"
seconds="${2:-90}"
work="$(mktemp -d)"
venv="${FIELDSYNC_FUZZ_VENV:-.build/schemathesis-venv}"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q schemathesis==4.32.5
fi

admin() { "$bin/fieldsync-server" admin --data "$work/data" "$@"; }
admin init >/dev/null  # a new store (admin commands refuse a folder that holds none)
admin team add --name north >/dev/null
admin user add --name fuzz --role TM --team north >/dev/null
code="$(admin device enrol --user fuzz --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')"

# A live-sync watch (GET /v1/changes/watch) streams until its lifetime ends: 2 s here, so every
# watch the fuzzer opens ends well inside its request timeout, with a well-formed `end` event.
"$bin/fieldsync-server" serve --data "$work/data" --port 0 --log-level warning --access-log off --watch-max-seconds 2 \
  >"$work/out" 2>"$work/err" &
server_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "fieldsync-server did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"

token="$(python3 - "$base" "$code" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/enrol", data=json.dumps({"code": sys.argv[2], "deviceName": "fuzz"}).encode(),
    headers={"FieldSync-Protocol": "1", "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=30))["token"])
PY
)"

# Retiring would revoke the fuzzer's own device, so every later request would only meet 403.
"$venv/bin/st" --no-color run "$base/openapi.yaml" --url "$base" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-path /v1/device/retire \
  -H "Authorization: Bearer $token" \
  --max-time "$seconds" --workers 1 --request-timeout 20 --seed 12 \
  --suppress-health-check all
kill -0 "$server_pid" 2>/dev/null || { echo "fieldsync-server died during the fuzz:" >&2; cat "$work/err" >&2; exit 1; }
echo "api-fuzz: no findings in ${seconds} s against $base"
