#!/usr/bin/env bash
# sw-pass: unix
# HTTP edge behaviour with raw sockets, against sockward instances of its own
# (their configurations differ from the suite's): framing attacks -> 400 in
# Docker's JSON form, the inspected-body cap -> 413, pipelining in order,
# /_ping headers untouched, the head and inspected-body timeouts, a
# half-close while the policy waits on a lookup, 502 while the engine is down
# and recovery on the same connection, and a graceful SIGTERM that lets an
# in-flight request finish.  Runs once (unix pass); it is listener-agnostic.
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
: "${SW_BIN:?SW_BIN not set by run.sh}"
EDGES="$(dirname "$0")/edges.py"

start_sockward() {   # start_sockward NAME UPSTREAM EXTRA_JSON -> sets PID, SOCK
	local name=$1 upstream=$2 extra=$3
	SOCK=$SW_TMP/$name.sock
	cat > "$SW_TMP/$name.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SOCK", "mode": "0600" } ],
  "upstream": { "socket": "$upstream" },
  "audit": { "file": "$SW_TMP/$name-audit.log" },
  "policy": { "default_profile": "unrestricted" }$extra }
JSON
	"$SW_BIN" -c "$SW_TMP/$name.json" 2>"$SW_TMP/$name.log" &
	PID=$!
	wait_for 10 test -S "$SOCK"
}

start_sockward main "$SW_ENGINE_SOCK" ', "limits": { "header_timeout_ms": 1000, "shutdown_timeout_ms": 8000 }'
MAIN_PID=$PID MAIN_SOCK=$SOCK
for check in framing body_cap pipelining header_timeout body_timeout halfclose_lookup; do
	python3 "$EDGES" "$check" "$MAIN_SOCK"
done
python3 "$EDGES" ping_headers "$MAIN_SOCK" "$SW_ENGINE_SOCK"

# engine down: a dangling upstream path, then a relay appears there
start_sockward down "$SW_TMP/engine-link.sock" ''
python3 "$EDGES" engine_down "$SOCK" "$SW_TMP/engine-link.sock" "$SW_ENGINE_SOCK"
kill -TERM "$PID"; wait "$PID" || fail "sockward (engine-down instance) exited non-zero"

# graceful stop: a request in flight when SIGTERM arrives still gets its answer
c=$(uniq_name term); on_exit_rm_container "$c"
engine run -d --name "$c" "$SW_IMAGE" sleep 2 >/dev/null
curl_t -sS --unix-socket "$MAIN_SOCK" -X POST "http://d/v1.41/containers/$c/wait" -o "$SW_TMP/wait.out" &
CURL=$!
sleep 0.5
kill -TERM "$MAIN_PID"
sleep 0.3
if curl -s --max-time 2 --unix-socket "$MAIN_SOCK" http://d/_ping >/dev/null 2>&1; then
	fail "a new connection was accepted after SIGTERM"
fi
wait "$CURL" || fail "the in-flight request failed during graceful stop"
assert_contains "$(cat "$SW_TMP/wait.out")" '"StatusCode":0' "wait answered after SIGTERM"
rc=0; wait "$MAIN_PID" || rc=$?
assert_eq "$rc" 0 "sockward exit status after SIGTERM"
assert_contains "$(cat "$SW_TMP/main.log")" "SIGTERM: no longer accepting" "shutdown logged"
