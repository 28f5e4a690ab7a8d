#!/usr/bin/env bash
# sw-pass: unix
# The admin endpoint of sockward instances of their own: GET /metrics on
# loopback TCP and on a unix socket passes `promtool check metrics` and has
# the documented series with plausible values after allowed, denied and
# hijacked requests, a good and a bad reload, and (second instance, dead
# upstream) an upstream error; GET /healthz is 200 with the engine up and
# 503 with it unreachable.  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/../fixtures/ops/ops.sh"
command -v promtool >/dev/null || fail "promtool missing (package prometheus)"

SOCK=$SW_TMP/m.sock
APORT=$(ops_free_port)
CONF=$SW_TMP/m.json
cat > "$CONF" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SOCK", "mode": "0600" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "audit": { "file": "$SW_TMP/m-audit.log" },
  "admin": { "address": "127.0.0.1:$APORT" },
  "policy": { "default_profile": "baseline" } }
JSON
ops_start m "$CONF"
PID=$SWPID
export DOCKER_HOST=unix://$SOCK

# scrape URL|unix:PATH OUT: GET /metrics; promtool must be silent and happy
scrape() {
	if [ "${1#unix:}" != "$1" ]; then
		curl_t -sf --unix-socket "${1#unix:}" http://admin/metrics -o "$2"
	else
		curl_t -sf "$1/metrics" -o "$2"
	fi
	local out rc=0
	out=$(promtool check metrics < "$2" 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || { printf '%s\n' "$out" >&2; fail "promtool check metrics: exit $rc"; }
}
# val FILE SERIES: the value of one exact series line (empty if absent)
val() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
# want FILE SERIES OP N: numeric comparison (awk), e.g. want m.txt 'x' '>=' 1
want() {
	local v; v=$(val "$1" "$2")
	[ -n "$v" ] || { grep -F "${2%%\{*}" "$1" >&2 || true; fail "series $2 missing"; }
	awk -v a="$v" -v b="$4" "BEGIN { exit !(a $3 b) }" || fail "$2 is $v, want $3 $4"
}
hz() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---- traffic --------------------------------------------------------------------
docker version >/dev/null                                 # allowed: _ping, version
c=$(uniq_name m); on_exit_rm_container "$c"
engine run -d --name "$c" "$SW_IMAGE" sleep 60 >/dev/null
rc=0; out=$(docker run --rm --privileged "$SW_IMAGE" true 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "docker run --privileged allowed under baseline"
assert_contains "$out" "[privileged]" "denial message"
# a hijacked exec, open while we scrape
docker exec "$c" sh -c 'echo hijacked; sleep 2' > "$SW_TMP/exec.out" &
EX=$!
wait_for 5 grep -q hijacked "$SW_TMP/exec.out" || fail "exec produced nothing"
scrape "http://127.0.0.1:$APORT" "$SW_TMP/open.txt"
want "$SW_TMP/open.txt" sockward_hijacked_sessions_active '>=' 1
want "$SW_TMP/open.txt" sockward_connections_active '>=' 1
wait "$EX" || fail "docker exec failed"
# an archive upload with a Content-Length (docker cp sends its tar chunked):
# its entry is judged (archive.special_files), the entry's data goes by
# splice, and the file lands whole
head -c $((8 << 20)) /dev/urandom > "$SW_TMP/blob.bin"
tar -C "$SW_TMP" -cf "$SW_TMP/blob.tar" blob.bin
code=$(curl_t -sS --unix-socket "$SOCK" -o "$SW_TMP/put.out" -w '%{http_code}' -T "$SW_TMP/blob.tar" \
    -H 'Expect:' -H 'Content-Type: application/x-tar' "http://docker/v1.41/containers/$c/archive?path=/tmp")
assert_eq 200 "$code" "PUT archive with a Content-Length: $(cat "$SW_TMP/put.out")"
assert_eq "$(md5sum < "$SW_TMP/blob.bin" | cut -d' ' -f1)" \
    "$(engine exec "$c" md5sum /tmp/blob.bin | cut -d' ' -f1)" "the archive's file, its data spliced"

# ---- reloads: one good, one bad -----------------------------------------------------
ops_reload "$PID" m
cp "$CONF" "$SW_TMP/good.json"
echo '{ "listeners": [' > "$CONF"
ops_reload "$PID" m
cp "$SW_TMP/good.json" "$CONF"

# ---- the metrics -----------------------------------------------------------------------
closed() { scrape "http://127.0.0.1:$APORT" "$SW_TMP/m.txt"; [ "$(val "$SW_TMP/m.txt" sockward_connections_active)" = 0 ]; }
wait_for 5 closed || fail "connections_active is not 0 once every client is gone"
M=$SW_TMP/m.txt
want $M 'sockward_requests_total{endpoint="system.version",verdict="allow"}' '>=' 1
want $M 'sockward_requests_total{endpoint="system.ping",verdict="allow"}' '>=' 3
want $M 'sockward_requests_total{endpoint="container.create",verdict="deny"}' '==' 1
want $M 'sockward_requests_total{endpoint="exec.create",verdict="allow"}' '==' 1
want $M 'sockward_requests_total{endpoint="exec.start",verdict="allow"}' '==' 1
want $M 'sockward_denials_total{rule="privileged"}' '==' 1
want $M sockward_hijacked_sessions_total '>=' 1
want $M sockward_hijacked_sessions_active '==' 0
want $M sockward_connections_total '>=' 3
want $M 'sockward_bytes_total{direction="client_to_engine"}' '>' 500
want $M 'sockward_bytes_total{direction="engine_to_client"}' '>' 1000
want $M sockward_spliced_bytes_total '>=' $((4 << 20))   # most of the archive's 8 MiB entry
want $M 'sockward_bytes_total{direction="client_to_engine"}' '>' $((8 << 20))
total=$(awk '$1 ~ /^sockward_requests_total\{/ { s += $2 } END { print s }' $M)
want $M sockward_request_duration_seconds_count '==' "$total"
want $M 'sockward_request_duration_seconds_bucket{le="+Inf"}' '==' "$(val $M sockward_request_duration_seconds_count)"
want $M sockward_request_duration_seconds_sum '>' 0
grep -q '^# TYPE sockward_request_duration_seconds histogram$' $M || fail "duration is not a histogram"
want $M sockward_config_reloads_total '==' 2
want $M sockward_config_reload_failures_total '==' 1
want $M sockward_config_last_reload_successful '==' 0
want $M sockward_config_last_reload_success_timestamp_seconds '>=' "$(val $M sockward_start_time_seconds)"
want $M sockward_start_time_seconds '>' 1600000000
ver=$("$SW_BIN" --version | awk '{print $NF}')
grep -qE "^sockward_build_info\{version=\"$ver\",[^}]*\} 1$" $M || { grep build_info $M >&2; fail "build_info{version=\"$ver\"} missing"; }
want $M sockward_audit_write_failures_total '==' 0
grep -q '^# TYPE sockward_upstream_errors_total counter$' $M || fail "upstream_errors_total not declared"
assert_eq 200 "$(hz "http://127.0.0.1:$APORT/healthz")" "/healthz with the engine up"
assert_eq 404 "$(hz "http://127.0.0.1:$APORT/nope")" "unknown admin path"
assert_eq 405 "$(hz -X POST "http://127.0.0.1:$APORT/metrics")" "POST /metrics"

# ---- a second instance: admin on a unix socket, upstream dead ------------------------------
ASOCK=$SW_TMP/admin.sock
cat > "$SW_TMP/d.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SW_TMP/d.sock", "mode": "0600" } ],
  "upstream": { "socket": "$SW_TMP/no-engine.sock" },
  "audit": { "file": "$SW_TMP/d-audit.log" },
  "admin": { "path": "$ASOCK" },
  "policy": { "default_profile": "unrestricted" } }
JSON
ops_start d "$SW_TMP/d.json"
DPID=$SWPID
code=$(curl_t -s -o "$SW_TMP/d.out" -w '%{http_code}' --unix-socket "$SW_TMP/d.sock" http://d/v1.41/version)
assert_eq 502 "$code" "a request with the engine unreachable"
assert_eq 503 "$(hz --unix-socket "$ASOCK" http://admin/healthz)" "/healthz with the engine unreachable"
assert_eq 200 "$(hz --unix-socket "$ASOCK" http://admin/metrics)" "/metrics on the unix admin socket"
scrape "unix:$ASOCK" "$SW_TMP/d.txt"
want "$SW_TMP/d.txt" 'sockward_upstream_errors_total{kind="connect"}' '>=' 1
ops_stop "$DPID" d
[ ! -e "$ASOCK" ] || fail "the admin socket is left behind after a stop"
ops_stop "$PID" m
