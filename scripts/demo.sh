#!/usr/bin/env bash
# The main job: build FieldSync, start a server on the embedded SQLite default, and let two
# devices (a personal adviser and a social worker) write, sync, merge and resolve a visit record.
# The server runs on 127.0.0.1 with its data in a temp folder; it is stopped at the end
# (KEEP_RUNNING=1 leaves it running and prints how to stop it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product fieldsync-server
swift build --product fieldsync
BIN=$(swift build --show-bin-path)
DEMO=$(mktemp -d -t fieldsync-demo.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && [ "${KEEP_RUNNING:-0}" != "1" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
admin() { "$BIN/fieldsync-server" admin --data "$DEMO/server" "$@"; }

say "Starting fieldsync-server (data: $DEMO/server)"
"$BIN/fieldsync-server" serve --data "$DEMO/server" --port "${PORT:-0}" >"$DEMO/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$DEMO/server.log" && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$DEMO/server.log" | head -1)
[ -n "$URL" ] || { cat "$DEMO/server.log"; exit 1; }
echo "server at $URL (pid $SERVER_PID)"

say "Admin adds a team, two people, allocates a young person to both (joint working) and makes enrolment codes"
YP=$(cat /proc/sys/kernel/random/uuid)
admin team add --name leaving-care-north
admin user add --name priya --role PA --team leaving-care-north
admin user add --name sam --role SW --team leaving-care-north
admin allocate --young-person "$YP" --user priya --role key
admin allocate --young-person "$YP" --user sam --role co
CODE_P=$(admin device enrol --user priya --json | sed -n 's/.*"code" : "\(.*\)".*/\1/p')
CODE_S=$(admin device enrol --user sam --json | sed -n 's/.*"code" : "\(.*\)".*/\1/p')

export FIELDSYNC_KEY_DIR="$DEMO/keys"   # device store keys live outside the stores
P=(--store "$DEMO/priya.sqlite"); S=(--store "$DEMO/sam.sqlite")
"$BIN/fieldsync" enrol "${P[@]}" --server "$URL" --code "$CODE_P"
"$BIN/fieldsync" enrol "${S[@]}" --server "$URL" --code "$CODE_S"

say "Priya writes a visit record (offline-capable: it is saved locally first, encrypted)"
VISIT=$("$BIN/fieldsync" visit new "${P[@]}" --young-person "$YP" kind=JOINT_SW_PA contactMode=FACE_TO_FACE \
  locationType=SUPPORTED_ACCOM "childViews=Likes the new flat.

Worried about money for food.")
echo "visit $VISIT"
"$BIN/fieldsync" status "${P[@]}"
"$BIN/fieldsync" sync "${P[@]}"

say "Sam pulls it"
"$BIN/fieldsync" sync "${S[@]}"

say "Both edit offline: different paragraphs of the young person's views, and the same scalar differently"
"$BIN/fieldsync" set "${P[@]}" "$VISIT" "childViews=Likes the new flat and the neighbours.

Worried about money for food." bedroomSeen=yes
"$BIN/fieldsync" set "${S[@]}" "$VISIT" "childViews=Likes the new flat.

Worried about money for food; agreed to apply for a grant." bedroomSeen=no
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${S[@]}"
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" show "${P[@]}" "$VISIT"

say "Priya resolves the conflict; both converge"
CONFLICT=$("$BIN/fieldsync" conflicts "${P[@]}" --json | sed -n 's/.*"id" : "\(.*\)".*/\1/p' | head -1)
"$BIN/fieldsync" conflict show "${P[@]}" "$CONFLICT"
"$BIN/fieldsync" conflict resolve "${P[@]}" "$CONFLICT" --keep mine
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${S[@]}"
"$BIN/fieldsync" show "${S[@]}" "$VISIT"
say "History"
"$BIN/fieldsync" history "${S[@]}" "$VISIT"
say "Devices as the admin sees them"
admin device list
say "The audit trail for this young person, and its integrity check against an anchor (keep anchors elsewhere)"
admin audit --young-person "$YP" | tail -5
admin audit anchor --out "$DEMO/audit-anchor.json"
admin audit --verify --anchor "$DEMO/audit-anchor.json"

if [ "${KEEP_RUNNING:-0}" = "1" ]; then
  echo; echo "Server still running at $URL (pid $SERVER_PID); stop it with: kill $SERVER_PID"
fi
