#!/usr/bin/env bash
# sw-pass: unix
# Engine faults the real engine cannot produce on demand, from a fake engine
# (tests/integration/fake_engine.py): a connection dropped mid-response, a
# response trickling in byte by byte, bytes that are not HTTP, a connection
# closed without an answer, an interim 1xx before the final answer.  sockward
# must pass on what it can, answer in Docker's error form where nothing was
# sent yet, never hang, and survive.
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
: "${SW_BIN:?SW_BIN not set by run.sh}"

FAKE=$SW_TMP/fake.sock
SOCK=$SW_TMP/sw.sock
cat > "$SW_TMP/sw.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SOCK", "mode": "0600" } ],
  "upstream": { "socket": "$FAKE" },
  "audit": { "file": "$SW_TMP/audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
"$SW_BIN" -c "$SW_TMP/sw.json" 2>"$SW_TMP/sw.log" &
SW=$!
FK=
trap 'kill $SW $FK 2>/dev/null || true; _sw_run_cleanup' EXIT
wait_for 10 test -S "$SOCK"

fake() {
	[ -n "$FK" ] && { kill "$FK" 2>/dev/null || true; wait "$FK" 2>/dev/null || true; }
	rm -f "$FAKE"
	python3 "$(dirname "$0")/fake_engine.py" "$FAKE" "$1" &
	FK=$!
	wait_for 10 test -S "$FAKE"
}
req() { curl -sS --max-time 10 --unix-socket "$SOCK" -o "$SW_TMP/body" -w '%{http_code}' "$@" 2>"$SW_TMP/curl.err"; }

fake drop
code=$(req http://d/v1.41/events) && fail "a dropped chunked response looked complete"
assert_contains "$(cat "$SW_TMP/body")" "hello" "bytes before the drop were relayed"
log "dropped mid-response: client saw the truncation ($(head -c 80 "$SW_TMP/curl.err"))"

fake slow
code=$(req http://d/_ping)
assert_eq 200 "$code" "slow byte stream status"
assert_eq OK "$(cat "$SW_TMP/body")" "slow byte stream body"

fake garbage
code=$(req http://d/_ping) || true
assert_eq 502 "$code" "garbage from the engine"
assert_contains "$(cat "$SW_TMP/body")" '"message":"sockward: malformed response from the Docker engine"'

fake silent
code=$(req http://d/_ping) || true
assert_eq 502 "$code" "engine closed without answering"
assert_contains "$(cat "$SW_TMP/body")" "closed the connection"

fake interim
code=$(req http://d/_ping)
assert_eq 200 "$code" "final status after an interim 103"
assert_eq OK "$(cat "$SW_TMP/body")" "body after an interim 103"

kill -0 "$SW" || fail "sockward died"
kill -TERM "$SW"; rc=0; wait "$SW" || rc=$?
assert_eq 0 "$rc" "sockward exit status"
