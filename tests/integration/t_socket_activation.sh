#!/usr/bin/env bash
# sw-pass: unix
# Socket activation (systemd/sockward.socket): systemd-socket-activate plays
# systemd's part, passing a listening unix socket named "local"; sockward
# must serve on it instead of binding its own, and must refuse a passed
# socket whose name matches no listener.
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
: "${SW_BIN:?SW_BIN not set by run.sh}"
command -v systemd-socket-activate >/dev/null || fail "systemd-socket-activate missing (package systemd)"

sock=$SW_TMP/activated.sock
cat > "$SW_TMP/sa.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$sock" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "audit": { "file": "$SW_TMP/audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
systemd-socket-activate -l "$sock" --fdname=local "$SW_BIN" -c "$SW_TMP/sa.json" 2>"$SW_TMP/sa.log" &
SA=$!
trap 'kill $SA 2>/dev/null || true; _sw_run_cleanup' EXIT
wait_for 10 test -S "$sock"
out=$(DOCKER_HOST=unix://$sock docker version --format '{{.Server.APIVersion}}')
assert_eq "1.41" "$out" "API version through the activated socket"
wait_for 5 grep -q "using the socket passed by systemd" "$SW_TMP/sa.log"
kill -TERM $SA; wait $SA || true

sed -i 's/"name": "local"/"name": "other"/' "$SW_TMP/sa.json"
rm -f "$sock"
rc=0
timeout 20 systemd-socket-activate -l "$sock" --fdname=local "$SW_BIN" -c "$SW_TMP/sa.json" \
	2>"$SW_TMP/sa2.log" &
SA=$!
wait_for 10 test -S "$sock"
curl -s --max-time 5 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 || true
wait $SA || rc=$?
[ "$rc" -ne 0 ] || fail "sockward accepted a passed socket that matches no listener"
assert_contains "$(cat "$SW_TMP/sa2.log")" "matches no listener name"
