#!/usr/bin/env bash
# sw-pass: unix
# The audit trail of a sockward instance of its own: one JSON line per
# decision, checked field by field with python3 (check_audit.py) for every
# verdict -- allow, deny (enforce), warn and audit (profiles bound to uids
# 1000 and 65534), an allow through an exception, a forwarded request the
# engine answers 404, a TLS client; SIGUSR1 reopens the file after a rename;
# fail-closed refuses requests while the file cannot be written (a symlink to
# /dev/full) and "continue" sends the decisions to stderr instead.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/../fixtures/ops/ops.sh"
: "${SW_CERTS:?SW_CERTS not set by run.sh}"
CHECK=$OPS_FIXTURES/check_audit.py

# uids 1000 and 65534 must reach the socket: a directory of its own, 0755
D=$(mktemp -d /tmp/swaudit.XXXXXX)
chmod 0755 "$D"
ops_on_exit "rm -rf '$D'"
SOCK=$D/a.sock
AUDIT=$SW_TMP/audit.log
PORT=$(ops_free_port)
CONF=$SW_TMP/a.json

write_conf() {   # write_conf ON_FAILURE
	cat > "$CONF" <<JSON
{ "listeners": [
    { "name": "aud", "type": "unix", "path": "$SOCK", "mode": "0666" },
    { "name": "tls", "type": "tls", "address": "127.0.0.1:$PORT",
      "cert": "$SW_CERTS/server/server-cert.pem", "key": "$SW_CERTS/server/server-key.pem",
      "ca": "$SW_CERTS/server/ca.pem" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "audit": { "file": "$AUDIT", "on_failure": "$1" },
  "policy": {
    "default_profile": "restricted",
    "profiles": { "w": { "base": "restricted", "mode": "warn" },
                  "au": { "base": "restricted", "mode": "audit" } },
    "bindings": [ { "match": { "uid": 1000 }, "profile": "w" },
                  { "match": { "uid": 65534 }, "profile": "au" } ],
    "exceptions": [ { "rule": "privileged", "identity": { "uid": 0 },
                      "images": ["local/busybox:*"], "reason": "t_audit exception OPS-7" } ] } }
JSON
}
write_conf fail-closed
ops_start a "$CONF"
PID=$SWPID

# req UID METHOD PATH [BODY] -> OUT (body) and CODE (status)
req() {
	local u=$1 m=$2 p=$3 body=${4:-}
	local args=(-s -w '\n%{http_code}' --unix-socket "$SOCK" -X "$m") all
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary @-)
	# the answer comes back on stdout: uids 1000/65534 cannot write in $SW_TMP
	all=$(printf '%s' "$body" | setpriv --reuid="$u" --regid="$u" --clear-groups \
		timeout -s KILL 30 curl "${args[@]}" "http://d$p")
	CODE=${all##*$'\n'}
	OUT=${all%$'\n'*}
}
HC='"Memory":67108864,"NanoCpus":500000000,"PidsLimit":64,"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"NetworkMode":"none"'
COMPLIANT_PRIV='{"Image":"local/busybox:1.36","Cmd":["true"],"User":"1000:1000","HostConfig":{'"$HC"',"Privileged":true}}'
CAPADD='{"Image":"local/busybox:1.36","Cmd":["true"],"User":"1000:1000","HostConfig":{'"$HC"',"CapAdd":["SYS_ADMIN"]}}'
BAD='{"Image":"local/busybox:1.36","Cmd":["true"],"HostConfig":{"Privileged":true}}'
NINE='["privileged","capabilities.drop","security.no_new_privileges","limits.memory","limits.cpu","limits.pids","rootfs.readonly","network.default_bridge","user.root"]'

# ---- one request per verdict ------------------------------------------------------
req 0 GET /v1.41/version;                     assert_eq 200 "$CODE" "allow: GET /version"
req 0 GET "/v1.41/containers/swt-no-such-$SW_RUN_ID/json"; assert_eq 404 "$CODE" "allow: inspect of a missing container"
n_exc=$(uniq_name exc); on_exit_rm_container "$n_exc"
req 0 POST "/v1.41/containers/create?name=$n_exc" "$COMPLIANT_PRIV"
assert_eq 201 "$CODE" "allow through the privileged exception: $OUT"
n_cap=$(uniq_name cap)
req 0 POST "/v1.41/containers/create?name=$n_cap" "$CAPADD"
assert_eq 403 "$CODE" "deny: CapAdd SYS_ADMIN"
assert_contains "$OUT" "[capabilities.add]" "deny message"
n_w=$(uniq_name warn); on_exit_rm_container "$n_w"
req 1000 POST "/v1.41/containers/create?name=$n_w" "$BAD"
assert_eq 201 "$CODE" "warn: create forwarded ($OUT)"
assert_contains "$OUT" "sockward: [privileged]" "warn: Warnings in the create answer"
n_a=$(uniq_name audit); on_exit_rm_container "$n_a"
req 65534 POST "/v1.41/containers/create?name=$n_a" "$BAD"
assert_eq 201 "$CODE" "audit: create forwarded ($OUT)"
# the docker CLI: HEAD /_ping and the create on one connection
rc=0; out=$(DOCKER_HOST=unix://$SOCK docker run --rm "$SW_IMAGE" true 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "docker run allowed under restricted"
assert_contains "$out" "sockward: denied by policy 'restricted'" "docker run denial"
# a TLS client
tls_code=$(timeout -s KILL 30 curl -s -o /dev/null -w '%{http_code}' --cacert "$SW_CERTS/client/ca.pem" \
	--cert "$SW_CERTS/client/cert.pem" --key "$SW_CERTS/client/key.pem" "https://127.0.0.1:$PORT/v1.41/info")
assert_eq 200 "$tls_code" "GET /info over TLS"

ROOT_ID='{"re": "^uid=0\\(root\\) gid=0\\(root\\)"}'
UNIX='"peer": "unix", "listener": "aud"'
cat > "$SW_TMP/expect.json" <<JSON
[
 { "name": "allow", "match": { "path": "/v1.41/version" },
   "want": { "identity": $ROOT_ID, $UNIX, "method": "GET", "endpoint": "system.version",
             "image": null, "verdict": "allow", "profile": "restricted", "mode": "enforce",
             "rules": [], "exception": null, "exception_reason": null, "message": null,
             "status": 200, "bytes_in": { "min": 40 }, "bytes_out": { "min": 100 },
             "duration_ms": { "min": 0.001, "max": 10000 } } },
 { "name": "allow-404", "match": { "path": "/v1.41/containers/swt-no-such-$SW_RUN_ID/json" },
   "want": { "endpoint": "container.inspect", "verdict": "allow", "status": 404,
             "rules": [], "bytes_out": { "min": 50 } } },
 { "name": "exception", "match": { "path": "/v1.41/containers/create?name=$n_exc" },
   "want": { "identity": $ROOT_ID, $UNIX, "method": "POST", "endpoint": "container.create",
             "image": "local/busybox:1.36", "verdict": "allow", "profile": "restricted",
             "mode": "enforce", "rules": [], "exception": { "re": "privileged" },
             "exception_reason": "t_audit exception OPS-7", "message": null, "status": 201,
             "bytes_in": { "min": ${#COMPLIANT_PRIV} }, "bytes_out": { "min": 60 },
             "duration_ms": { "min": 0.001 } } },
 { "name": "deny", "match": { "path": "/v1.41/containers/create?name=$n_cap" },
   "want": { "identity": $ROOT_ID, $UNIX, "method": "POST", "endpoint": "container.create",
             "image": "local/busybox:1.36", "verdict": "deny", "profile": "restricted",
             "mode": "enforce", "rules": ["capabilities.add"], "exception": null,
             "exception_reason": null, "message": { "re": "\\\\[capabilities.add\\\\]" },
             "status": 403, "bytes_out": { "min": 100 }, "duration_ms": { "min": 0.001 } } },
 { "name": "warn", "match": { "path": "/v1.41/containers/create?name=$n_w" },
   "want": { "identity": { "re": "^uid=1000\\\\(" }, $UNIX, "endpoint": "container.create",
             "image": "local/busybox:1.36", "verdict": "warn", "profile": "w", "mode": "warn",
             "rules": $NINE, "exception": null, "message": null, "status": 201,
             "bytes_in": { "min": ${#BAD} }, "bytes_out": { "min": 100 } } },
 { "name": "audit", "match": { "path": "/v1.41/containers/create?name=$n_a" },
   "want": { "identity": { "re": "^uid=65534\\\\(" }, $UNIX, "endpoint": "container.create",
             "image": "local/busybox:1.36", "verdict": "audit", "profile": "au", "mode": "audit",
             "rules": $NINE, "exception": null, "message": null, "status": 201,
             "bytes_in": { "min": ${#BAD} } } },
 { "name": "cli-ping", "match": { "method": "HEAD", "path": "/_ping" },
   "want": { "endpoint": "system.ping", "verdict": "allow", "status": 200 } },
 { "name": "cli-create", "match": { "path": "/v1.41/containers/create" },
   "want": { "verdict": "deny", "status": 403, "image": "local/busybox:1.36",
             "rules": ["capabilities.drop","security.no_new_privileges","limits.memory","limits.cpu","limits.pids","rootfs.readonly","network.default_bridge","user.root"] },
   "same_conn_as": "cli-ping" },
 { "name": "tls", "match": { "path": "/v1.41/info" },
   "want": { "identity": "cn=sockward-test-client", "peer": { "re": "^127\\\\.0\\\\.0\\\\.1:[0-9]+$" },
             "listener": "tls", "endpoint": "system.info", "verdict": "allow", "status": 200 } }
]
JSON
python3 "$CHECK" "$AUDIT" "$SW_TMP/expect.json" || fail "audit lines (see above)"
[ "$(wc -l < "$AUDIT")" = 9 ] || { cat "$AUDIT" >&2; fail "want 9 audit lines, one per request"; }

# ---- SIGUSR1: reopen after logrotate's rename --------------------------------------
mv "$AUDIT" "$AUDIT.1"
kill -USR1 "$PID"
wait_for 5 grep -q 'SIGUSR1: audit log reopened' "$SW_TMP/a.log" || fail "no reopen logged"
req 0 GET /v1.41/version?rotated=1; assert_eq 200 "$CODE" "request after the reopen"
[ -f "$AUDIT" ] || fail "no new audit file at the original path after SIGUSR1"
grep -q 'rotated=1' "$AUDIT" || fail "the request after SIGUSR1 is not in the new file"
if grep -q 'rotated=1' "$AUDIT.1"; then fail "the request after SIGUSR1 went to the renamed file"; fi
[ "$(wc -l < "$AUDIT.1")" = 9 ] || fail "the renamed file changed"
echo '[ { "name": "rotated", "match": { "path": "/v1.41/version?rotated=1" }, "want": { "verdict": "allow", "status": 200 } } ]' > "$SW_TMP/e2.json"
python3 "$CHECK" "$AUDIT" "$SW_TMP/e2.json" || fail "audit line after the reopen"

# ---- fail-closed: the file cannot be written -----------------------------------------
rm -f "$AUDIT"; ln -s /dev/full "$AUDIT"
kill -USR1 "$PID"
wait_for 5 ops_count_is a 'SIGUSR1: audit log reopened' 2 || fail "no second reopen logged"
# the first write to /dev/full fails (ENOSPC): from then on requests are refused
req 0 GET /v1.41/version?full=1 || true
req 0 GET /v1.41/version?full=2
assert_eq 503 "$CODE" "request while the audit file cannot be written (fail-closed)"
assert_contains "$OUT" "audit log unavailable" "fail-closed refusal message"
rc=0; out=$(DOCKER_HOST=unix://$SOCK docker version --format '{{.Server.Version}}' 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "docker version succeeded while the audit log is down (fail-closed)"
assert_contains "$out" "audit log unavailable, requests are refused" "what the docker CLI prints"
# nothing is dropped: the decisions went to stderr
wait_for 5 grep -q '"path":"/v1.41/version?full=2"' "$SW_TMP/a.log" ||
	fail "the refused request's audit line is not on stderr"
grep '^{"time"' "$SW_TMP/a.log" | grep 'full=2' > "$SW_TMP/refused.json"

# recovery: a writable file again, SIGUSR1
rm -f "$AUDIT"
kill -USR1 "$PID"
wait_for 5 ops_count_is a 'SIGUSR1: audit log reopened' 3 || fail "no third reopen logged"
req 0 GET /v1.41/version?back=1; assert_eq 200 "$CODE" "request after the audit file is writable again"
grep -q 'back=1' "$AUDIT" || fail "audit line missing after recovery"

# ---- continue: decisions go to stderr, requests go on ---------------------------------
write_conf continue
ops_reload "$PID" a
grep -q 'reload: done' "$SW_TMP/a.log" || fail "reload to on_failure=continue failed"
rm -f "$AUDIT"; ln -s /dev/full "$AUDIT"
kill -USR1 "$PID"
wait_for 5 ops_count_is a 'SIGUSR1: audit log reopened' 4 || fail "no fourth reopen logged"
for i in 1 2 3; do
	req 0 GET "/v1.41/version?cont=$i"
	assert_eq 200 "$CODE" "request $i with on_failure=continue and an unwritable file"
done
v=$(DOCKER_HOST=unix://$SOCK docker version --format '{{.Server.APIVersion}}')
assert_eq 1.41 "$v" "docker version with on_failure=continue"
for i in 1 2 3; do
	wait_for 5 grep -q "\"path\":\"/v1.41/version?cont=$i\"" "$SW_TMP/a.log" ||
		fail "decision $i is not on stderr with on_failure=continue"
done
grep '^{"time"' "$SW_TMP/a.log" | grep 'cont=' > "$SW_TMP/cont.json"
echo '[ { "name": "continue", "match": { "endpoint": "system.version" }, "count": 3, "want": { "verdict": "allow", "status": 200 } } ]' > "$SW_TMP/e3.json"
python3 "$CHECK" "$SW_TMP/cont.json" "$SW_TMP/e3.json" || fail "audit lines on stderr (continue)"
rm -f "$AUDIT"

# ---- the refused request is recorded as what it was: a denial -------------------------
echo '[ { "name": "refused", "match": { "path": "/v1.41/version?full=2" }, "want": { "verdict": "deny", "status": 503, "message": { "re": "audit log" } } } ]' > "$SW_TMP/e4.json"
python3 "$CHECK" "$SW_TMP/refused.json" "$SW_TMP/e4.json" ||
	fail "the audit line of a request refused because the audit log is down (fail-closed) does not record a denial"

ops_stop "$PID" a
