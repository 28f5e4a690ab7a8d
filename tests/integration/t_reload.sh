#!/usr/bin/env bash
# sw-pass: unix
# SIGHUP reload on a sockward instance of its own (unix and TLS listeners):
#   - a `docker logs -f` (over unix and over TLS) and an `exec -it` session
#     stay connected across five reloads and still work afterwards;
#   - a policy change applies to the next request (unrestricted -> restricted:
#     `docker run` goes from allowed to denied with sockward's message);
#   - the TLS certificate and key are read again: a new connection sees the
#     new serial, the open TLS connection is not dropped;
#   - a listener change is logged as needing a restart;
#   - bad reloads (invalid JSON, an unknown key) keep the old configuration
#     and log the error with file:line:col.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/../fixtures/ops/ops.sh"
: "${SW_CERTS:?SW_CERTS not set by run.sh}"
command -v script >/dev/null || fail "script(1) missing (util-linux)"

SOCK=$SW_TMP/r.sock
PORT=$(ops_free_port)
APORT=$(ops_free_port)
TLS=$SW_TMP/tls
mkdir -p "$TLS"
cp "$SW_CERTS/server/server-cert.pem" "$TLS/cert.pem"
cp "$SW_CERTS/server/server-key.pem" "$TLS/key.pem"
CONF=$SW_TMP/r.json

# write_conf PROFILE [UNIX_MODE] [LOG_LEVEL]
write_conf() {
	cat > "$CONF.new" <<JSON
{ "description": "t_reload",
  "listeners": [
    { "name": "local", "type": "unix", "path": "$SOCK", "mode": "${2:-0600}" },
    { "name": "tls", "type": "tls", "address": "127.0.0.1:$PORT",
      "cert": "$TLS/cert.pem", "key": "$TLS/key.pem", "ca": "$SW_CERTS/server/ca.pem" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "admin": { "address": "127.0.0.1:$APORT" },
  "log": { "level": "${3:-info}" },
  "limits": { "shutdown_timeout_ms": 2000 },
  "audit": { "file": "$SW_TMP/r-audit.log" },
  "policy": { "default_profile": "$1" } }
JSON
	mv "$CONF.new" "$CONF"
}

# serial of the certificate a new TLS connection is shown
tls_serial() {
	timeout -s KILL 10 openssl s_client -connect "127.0.0.1:$PORT" -showcerts \
		-cert "$SW_CERTS/client/cert.pem" -key "$SW_CERTS/client/key.pem" \
		-CAfile "$SW_CERTS/server/ca.pem" </dev/null 2>/dev/null |
		openssl x509 -noout -serial | sed 's/^serial=//'
}

export DOCKER_HOST=unix://$SOCK
tlsenv=(env DOCKER_HOST=tcp://127.0.0.1:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$SW_CERTS/client)

write_conf unrestricted
ops_start r "$CONF"
PID=$SWPID

# ---- long-lived sessions ------------------------------------------------------
c=$(uniq_name reload); on_exit_rm_container "$c"
engine run -d --name "$c" "$SW_IMAGE" \
	sh -c 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done' >/dev/null

"$DOCKER_CLI" logs -f "$c" > "$SW_TMP/logs-unix.out" 2>&1 &
LOGS_UNIX=$!
"${tlsenv[@]}" "$DOCKER_CLI" logs -f "$c" > "$SW_TMP/logs-tls.out" 2>&1 &
LOGS_TLS=$!
mkfifo "$SW_TMP/exec.in"
script -qec "$DOCKER_CLI exec -it $c sh" /dev/null < "$SW_TMP/exec.in" > "$SW_TMP/exec.out" 2>&1 &
EXEC=$!
exec 3>"$SW_TMP/exec.in"
ops_on_exit 'exec 3>&-; kill $LOGS_UNIX $LOGS_TLS $EXEC'

# exec_answers N: the shell computes a marker we can tell from the typed echo
exec_answers() {
	echo "echo X\$((1000+$1))Y" >&3
	wait_for 10 grep -q "X$((1000 + $1))Y" "$SW_TMP/exec.out"
}
exec_answers 1 || { cat -A "$SW_TMP/exec.out" >&2; fail "exec -it session does not answer before the reloads"; }
wait_for 10 grep -q tick "$SW_TMP/logs-unix.out" || fail "logs -f (unix) receives nothing"
wait_for 10 grep -q tick "$SW_TMP/logs-tls.out" || fail "logs -f (tls) receives nothing"

# ---- reload 1: same file ------------------------------------------------------
docker run --rm "$SW_IMAGE" true || fail "docker run denied under the unrestricted profile"
ops_reload "$PID" r

# ---- reload 2: policy change applies to the next request ---------------------
write_conf restricted
ops_reload "$PID" r
rc=0; out=$(docker run --rm "$SW_IMAGE" true 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "docker run still allowed after switching to the restricted profile"
assert_contains "$out" "sockward: denied by policy 'restricted'" "docker run after the policy change"

# ---- reload 3: TLS certificate and key replaced -------------------------------
serial1=$(tls_serial)
[ -n "$serial1" ] || fail "no certificate from the TLS listener"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/key2.pem" 2>/dev/null
openssl req -new -sha256 -key "$TLS/key2.pem" -subj "/CN=localhost" -out "$TLS/req.csr" 2>/dev/null
printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
	extendedKeyUsage=serverAuth "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" > "$TLS/ext.cnf"
openssl x509 -req -sha256 -days 2 -in "$TLS/req.csr" -CA "$SW_CERTS/ca/test.pem" \
	-CAkey "$SW_CERTS/ca/test-key.pem" -set_serial 0x5eed0123 -extfile "$TLS/ext.cnf" \
	-out "$TLS/cert2.pem" 2>/dev/null
mv "$TLS/cert2.pem" "$TLS/cert.pem"
mv "$TLS/key2.pem" "$TLS/key.pem"
assert_eq "$serial1" "$(tls_serial)" "serial before the reload (the old context stays until SIGHUP)"
ops_reload "$PID" r
assert_eq "5EED0123" "$(tls_serial)" "serial a new TLS connection sees after the reload"
v=$("${tlsenv[@]}" timeout -s KILL 30 "$DOCKER_CLI" version --format '{{.Server.APIVersion}}')
assert_eq 1.41 "$v" "docker version over TLS with the new certificate"

# ---- reload 4: listener change needs a restart --------------------------------
write_conf restricted 0660
ops_reload "$PID" r
wait_for 5 grep -qE 'reload: listeners changed; that part takes effect only after a restart' "$SW_TMP/r.log" ||
	fail "no 'needs a restart' log line for a listener change"
assert_eq 600 "$(stat -c %a "$SOCK")" "mode of the unix socket (unchanged until a restart)"

# ---- reload 5: log level -------------------------------------------------------
write_conf restricted 0660 debug
ops_reload "$PID" r
assert_eq 5 "$(ops_count r 'reload: done; new requests use the new configuration')" "successful reloads"

# ---- the sessions survived -----------------------------------------------------
for p in "$LOGS_UNIX" "$LOGS_TLS" "$EXEC"; do
	kill -0 "$p" 2>/dev/null || fail "a long-lived client exited during the reloads (pid $p)"
done
n_unix=$(grep -c tick "$SW_TMP/logs-unix.out"); n_tls=$(grep -c tick "$SW_TMP/logs-tls.out")
sleep 1.2
[ "$(grep -c tick "$SW_TMP/logs-unix.out")" -gt "$n_unix" ] || fail "logs -f (unix) stopped receiving after the reloads"
[ "$(grep -c tick "$SW_TMP/logs-tls.out")" -gt "$n_tls" ] || fail "logs -f (tls) stopped receiving after the reloads"
exec_answers 2 || { cat -A "$SW_TMP/exec.out" | tail -5 >&2; fail "exec -it session does not answer after the reloads"; }
log "logs -f: $(grep -c tick "$SW_TMP/logs-unix.out") lines (unix), $(grep -c tick "$SW_TMP/logs-tls.out") (tls); exec -it answered"

# ---- bad reloads keep the old configuration --------------------------------------
fails0=$(ops_count r 'reload failed; the previous configuration stays in force')
cp "$CONF" "$SW_TMP/good.json"
# invalid JSON (a missing comma on line 2) that would switch to unrestricted
sed -e 's/"restricted"/"unrestricted"/' -e '2s/\[$/[ ,,/' "$SW_TMP/good.json" > "$CONF"
ops_reload "$PID" r
grep -qE "reload: $CONF:2:[0-9]+: " "$SW_TMP/r.log" ||
	{ tail -5 "$SW_TMP/r.log" >&2; fail "invalid JSON: no error with $CONF:2:col in the log"; }
rc=0; out=$(docker run --rm "$SW_IMAGE" true 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "a bad reload (invalid JSON) replaced the policy"
assert_contains "$out" "sockward: denied by policy 'restricted'" "docker run after a bad reload"

# an unknown key, on a known line
sed -e 's/"restricted"/"unrestricted"/' \
	-e 's/"level": "debug"/"level": "debug", "colour": true/' "$SW_TMP/good.json" > "$CONF"
line=$(grep -n '"colour"' "$CONF" | cut -d: -f1)
ops_reload "$PID" r
grep -qE "reload: $CONF:$line:[0-9]+: log\.colour: " "$SW_TMP/r.log" ||
	{ tail -5 "$SW_TMP/r.log" >&2; fail "unknown key: no error with $CONF:$line:col and the key path in the log"; }
rc=0; out=$(docker run --rm "$SW_IMAGE" true 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "a bad reload (unknown key) replaced the policy"
assert_contains "$out" "sockward: denied by policy 'restricted'" "docker run after a bad reload"
assert_eq $((fails0 + 2)) "$(ops_count r 'reload failed; the previous configuration stays in force')" "failed reloads"
# the old TLS context is still there too
assert_eq "5EED0123" "$(tls_serial)" "serial after the failed reloads"

# ---- stop ------------------------------------------------------------------------
echo exit >&3; exec 3>&-
wait "$EXEC" 2>/dev/null || true
# the clients going away ends their streams (a logs -f writes every 0.2s)
kill "$LOGS_UNIX" "$LOGS_TLS"
wait "$LOGS_UNIX" "$LOGS_TLS" 2>/dev/null || true
# every client is gone: no connection may stay open (each logs -f stream
# gets a line every 0.2s, so a dead peer is noticed on the next write)
active() {
	ACTIVE=$(curl -s "http://127.0.0.1:$APORT/metrics" | awk '$1 == "sockward_connections_active" {print $2}')
	[ "$ACTIVE" = 0 ]
}
wait_for 3 active || {
	grep -E 'logs\?follow|closed' "$SW_TMP/r.log" | tail -6 >&2
	ss -tnp 2>/dev/null | grep ":$PORT " >&2 || true
	fail "$ACTIVE connection(s) still open 3s after every client exited"
}
ops_stop "$PID" r
