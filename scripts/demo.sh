#!/usr/bin/env bash
# The main job: build FieldSync, start a server on the embedded SQLite default, and let two
# devices (a personal adviser and a social worker) write a visit record, edit it while the server
# is down, sync when it is back (a line merge and a conflict), settle the conflict, and a team
# manager authorise it and pull the reconciled export.
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

start_server() {
  : >"$DEMO/server.log"
  "$BIN/fieldsync-server" serve --data "$DEMO/server" --port "$1" >"$DEMO/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$DEMO/server.log" && break; sleep 0.1; done
  URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$DEMO/server.log" | head -1)
  [ -n "$URL" ] || { cat "$DEMO/server.log"; exit 1; }
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
# A sync that cannot reach the server exits 75 and keeps everything: show that, and go on.
offline_sync() { "$BIN/fieldsync" sync "$@" && echo "(synced)" || echo "(exit $?: nothing lost, it will be sent on the next sync)"; }

say "Starting fieldsync-server (data: $DEMO/server)"
start_server "${PORT:-0}"
PORT=${URL##*:}
echo "server at $URL (pid $SERVER_PID)"

say "Admin adds a team, an adviser, a social worker and their manager, allocates a young person to both workers (joint working) and makes enrolment codes"
YP=$(cat /proc/sys/kernel/random/uuid)
admin team add --name leaving-care-north
admin user add --name priya --role PA --team leaving-care-north
admin user add --name sam --role SW --team leaving-care-north
admin user add --name maria --role TM --team leaving-care-north
admin allocate --young-person "$YP" --user priya --role key
admin allocate --young-person "$YP" --user sam --role co
code() { admin device enrol --user "$1" --json | sed -n 's/.*"code" : "\(.*\)".*/\1/p'; }

export FIELDSYNC_KEY_DIR="$DEMO/keys"   # device store keys live outside the stores
P=(--store "$DEMO/priya.sqlite"); S=(--store "$DEMO/sam.sqlite"); M=(--store "$DEMO/maria.sqlite")
"$BIN/fieldsync" enrol "${P[@]}" --server "$URL" --code "$(code priya)"
"$BIN/fieldsync" enrol "${S[@]}" --server "$URL" --code "$(code sam)"
"$BIN/fieldsync" enrol "${M[@]}" --server "$URL" --code "$(code maria)"

say "Priya writes a visit record (saved on her device first, encrypted) and syncs; Sam pulls it"
VISIT=$("$BIN/fieldsync" visit new "${P[@]}" --young-person "$YP" kind=JOINT_SW_PA contactMode=FACE_TO_FACE \
  locationType=SUPPORTED_ACCOM actualStart=2026-11-20T10:00:00Z actualEnd=2026-11-20T11:00:00Z childSeen=yes \
  childSeenAlone=yes childViewsMethod=CONVERSATION "observations=Flat is clean and warm." "analysis=Settling well." \
  nextVisitDue=2026-12-31 "childViews=Likes the new flat.

Worried about money for food.")
echo "visit $VISIT"
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${S[@]}"

say "No signal: the server is stopped (pid $SERVER_PID) while both edit the visit"
stop_server
echo "Priya rewrites the first paragraph of the young person's views and says the bedroom was seen;"
"$BIN/fieldsync" set "${P[@]}" "$VISIT" "childViews=Likes the new flat and the neighbours.

Worried about money for food." bedroomSeen=yes
echo "Sam adds to the second paragraph and says it was not."
"$BIN/fieldsync" set "${S[@]}" "$VISIT" "childViews=Likes the new flat.

Worried about money for food; agreed to apply for a grant." bedroomSeen=no
offline_sync "${P[@]}"
offline_sync "${S[@]}"
"$BIN/fieldsync" status "${S[@]}"

say "Signal is back: the server starts again on $URL and both devices sync"
start_server "$PORT"
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${S[@]}"
"$BIN/fieldsync" sync "${P[@]}"
echo
echo "Look at childViews below: the two edits touched different paragraphs, so the server merged them line"
echo "by line and kept both. bedroomSeen was set two ways: that is the conflict Sam's sync reported (conflicts 1),"
echo "kept for a person to settle, with both values and who wrote them:"
"$BIN/fieldsync" show "${P[@]}" "$VISIT"

say "Priya settles the conflict (she saw the bedroom); both devices converge"
CONFLICT=$("$BIN/fieldsync" conflicts "${P[@]}" --json | sed -n 's/.*"id" : "\(.*\)".*/\1/p' | head -1)
"$BIN/fieldsync" conflict show "${P[@]}" "$CONFLICT"
"$BIN/fieldsync" conflict resolve "${P[@]}" "$CONFLICT" --keep mine
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${S[@]}"
"$BIN/fieldsync" show "${S[@]}" "$VISIT"

say "Priya completes and submits the visit; Maria, their manager, authorises it"
"$BIN/fieldsync" transition "${P[@]}" "$VISIT" COMPLETED
"$BIN/fieldsync" transition "${P[@]}" "$VISIT" SUBMITTED
"$BIN/fieldsync" sync "${P[@]}"
"$BIN/fieldsync" sync "${M[@]}"
echo "Priya may not authorise her own visit; the device says so before anything is sent:"
"$BIN/fieldsync" transition "${P[@]}" "$VISIT" AUTHORISED || true
"$BIN/fieldsync" transition "${M[@]}" "$VISIT" AUTHORISED
"$BIN/fieldsync" sync "${M[@]}"

say "Maria pulls the reconciled export: authorised, conflict-free records only (CSV for a spreadsheet)"
"$BIN/fieldsync" export "${M[@]}" --reconciled --format csv --out "$DEMO/reconciled.csv"
cut -c1-160 "$DEMO/reconciled.csv"
say "History of the visit"
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
