#!/usr/bin/env bash
# sw-pass: unix
# A client that gives up on a request the engine is still working on (here a
# POST /containers/{id}/stop?t=30 of a container whose PID 1 ignores SIGTERM,
# which the engine holds unanswered for 30 s) must not keep its session, and
# a connection slot, until the engine is done: its close ends the engine
# connection (dockerd's signal to cancel) and sockward_connections_active
# goes back to 0 at once.  Real engine.
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
: "${SW_BIN:?SW_BIN not set by run.sh}"

SOCK=$SW_TMP/sw.sock ADMIN=$SW_TMP/admin.sock
cat > "$SW_TMP/sw.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SOCK", "mode": "0600" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "admin": { "path": "$ADMIN" },
  "audit": { "file": "$SW_TMP/audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
"$SW_BIN" -c "$SW_TMP/sw.json" 2>"$SW_TMP/sw.log" &
SW=$!
trap 'kill $SW 2>/dev/null || true; _sw_run_cleanup' EXIT
wait_for 10 test -S "$SOCK"
wait_for 10 test -S "$ADMIN"

c=$(uniq_name cancel); on_exit_rm_container "$c"
engine run -d --name "$c" "$SW_IMAGE" sleep 120 >/dev/null || fail "cannot start the test container"

active() {
	curl -s --max-time 5 --unix-socket "$ADMIN" http://a/metrics |
		awk '$1 == "sockward_connections_active" { print $2 }'
}
active_is() { test "$(active)" = "$1"; }

# five clients ask for the stop and give up after two seconds
pids=()
for i in 1 2 3 4 5; do
	python3 - "$SOCK" "$c" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.41/containers/%s/stop?t=30 HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n" % sys.argv[2].encode())
time.sleep(2)
s.close()
PY
	pids+=($!)
done
wait_for 5 active_is 5 || fail "connections_active while the clients wait: $(active), not 5"
wait "${pids[@]}"
wait_for 5 active_is 0 || fail "abandoned requests still hold $(active) session(s)"
n=$(grep -c "closed: client gone; request abandoned" "$SW_TMP/sw.log")
assert_eq 5 "$n" "sessions ended as abandoned"
# the engine is still working on the stop: what ended the sessions was the
# clients leaving, not an answer
[ "$(engine inspect -f '{{.State.Running}}' "$c")" = true ] || fail "the container stopped already"
# and sockward serves the next client
code=$(curl -s --max-time 10 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' http://d/_ping)
assert_eq 200 "$code" "next request after the abandoned ones"
