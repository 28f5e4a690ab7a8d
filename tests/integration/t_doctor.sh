#!/usr/bin/env bash
# sw-pass: unix
# t_doctor.sh - "sockward doctor" against a real engine.
#
# Standalone: needs only the engine socket ($SOCKWARD_ENGINE_SOCK, or
# $SW_ENGINE_SOCK when run by run.sh) and the binary ($SOCKWARD_BIN, default
# ./sockward at the top of the tree).  Exits non-zero on failure.
set -uo pipefail
# Under run.sh: once per suite (the unix pass), with the binary under test.
if [ -n "${SW_LISTENER:-}" ] && [ "$SW_LISTENER" != unix ]; then
	echo "  skip: runs once, in the unix pass"; exit 77
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SOCK=${SOCKWARD_ENGINE_SOCK:-${SW_ENGINE_SOCK:-}}
BIN=${SW_BIN:-${SOCKWARD_BIN:-$ROOT/sockward}}

fail() { printf '  FAIL: t_doctor: %s\n' "$*" >&2; exit 1; }
log()  { printf '  %s\n' "$*" >&2; }

[ -n "$SOCK" ] || fail "set SOCKWARD_ENGINE_SOCK to the engine's unix socket"
[ -S "$SOCK" ] || fail "$SOCK is not a socket"
[ -x "$BIN" ] || fail "$BIN is not an executable (set SOCKWARD_BIN)"

TMP=$(mktemp -d /tmp/sw-doctor-XXXXXX)
SOCAT_PID=
cleanup() {
	[ -n "$SOCAT_PID" ] && kill "$SOCAT_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# run_doctor ARGS... : sets OUT and RC
run_doctor() {
	OUT=$(timeout -s KILL 60 "$BIN" doctor "$@" 2>&1)
	RC=$?
}

contains() { case "$1" in *"$2"*) return 0;; esac; return 1; }

# 1. the engine directly: every checklist item is reported, the exit status
#    agrees with the number of findings
run_doctor -u "$SOCK" -d "$TMP/none.json"
log "doctor -u: exit $RC"
printf '%s\n' "$OUT" | sed 's/^/    /' >&2
[ "$RC" = 0 ] || [ "$RC" = 1 ] || fail "exit $RC with a reachable engine"
for id in rootless userns-remap live-restore log-level engine-version tcp-tls; do
	grep -Eq "^(ok|info|FINDING) +$id " <<<"$OUT" || fail "no $id item"
done
nfind=$(printf '%s\n' "$OUT" | grep -c '^FINDING' || true)
contains "$OUT" "$nfind finding" || fail "summary does not say $nfind findings"
if [ "$nfind" -gt 0 ]; then [ "$RC" = 1 ] || fail "findings but exit $RC"
else [ "$RC" = 0 ] || fail "no findings but exit $RC"; fi
# every finding names its fix
[ "$(printf '%s\n' "$OUT" | grep -c 'fix in daemon.json:')" = "$nfind" ] || fail "a finding without a fix line"
# what the API says must match what doctor says
live=$(curl -s --unix-socket "$SOCK" http://docker/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["LiveRestoreEnabled"])')
if [ "$live" = False ]; then
	grep -q '^FINDING live-restore .*' <<<"$OUT" || fail "live-restore off but not reported"
	contains "$OUT" '"live-restore": true' || fail "live-restore fix missing"
fi

# 2. the socket from a configuration file, unix:// form
printf '{"upstream": {"socket": "unix://%s"}}\n' "$SOCK" > "$TMP/sockward.json"
run_doctor -c "$TMP/sockward.json" -d "$TMP/none.json"
contains "$OUT" "engine $SOCK:" || fail "-c: upstream.socket not used: $OUT"

# 3. unreachable engine: exit 2
run_doctor -u "$TMP/no-such.sock"
[ "$RC" = 2 ] || fail "unreachable engine: exit $RC, want 2"
contains "$OUT" "unreachable" || fail "unreachable engine not explained: $OUT"
run_doctor -c "$TMP/missing.json"
[ "$RC" = 2 ] || fail "missing config: exit $RC, want 2"

# 4. the engine exposed on plain TCP (what `-H tcp://` without TLS does)
if command -v socat >/dev/null; then
	PORT=$((20000 + RANDOM % 20000))
	socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$SOCK" &
	SOCAT_PID=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/_ping" && break
		sleep 0.1
	done
	run_doctor -u "$SOCK" -p 127.0.0.1:$PORT -d "$TMP/none.json"
	[ "$RC" = 1 ] || fail "plain TCP engine: exit $RC, want 1"
	grep -q "^FINDING tcp-tls .*plain HTTP on 127.0.0.1:$PORT" <<<"$OUT" ||
		fail "plain TCP engine not reported: $OUT"
else
	fail "socat is required (make deps installs it)"
fi

# 5. daemon.json with a tcp:// host and no tlsverify
printf '{"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"], "log-level": "debug"}\n' > "$TMP/daemon.json"
run_doctor -u "$SOCK" -d "$TMP/daemon.json"
[ "$RC" = 1 ] || fail "daemon.json findings: exit $RC"
grep -q '^FINDING tcp-tls .*tcp://0.0.0.0:2375' <<<"$OUT" || fail "daemon.json tcp host not reported"
grep -q '^FINDING log-level .*daemon.json' <<<"$OUT" || fail "daemon.json debug level not reported"

# 6. who can open the engine socket: a socket that reaches the engine (a
#    socat proxy of it, so the shared engine's own socket is left alone),
#    given to a throw-away group with a throw-away non-root member
command -v useradd >/dev/null && command -v groupadd >/dev/null || fail "useradd/groupadd missing"
[ "$(id -u)" = 0 ] || fail "must run as root (it adds a throw-away user and group)"
TG=swdoc$$g TU=swdoc$$u
cleanup_ids() {
	userdel "$TU" >/dev/null 2>&1
	groupdel "$TG" >/dev/null 2>&1
}
trap 'cleanup_ids; cleanup' EXIT
groupadd "$TG" || fail "groupadd $TG"
useradd -M -N -g users -G "$TG" -s /usr/sbin/nologin "$TU" || fail "useradd $TU"
PSOCK=$TMP/engine-proxy.sock
socat UNIX-LISTEN:"$PSOCK",fork,mode=0600 UNIX-CONNECT:"$SOCK" &
SOCAT_PID2=$!
trap 'kill $SOCAT_PID2 2>/dev/null; cleanup_ids; cleanup' EXIT
for _ in $(seq 50); do [ -S "$PSOCK" ] && break; sleep 0.1; done
chown root:root "$PSOCK"; chmod 0600 "$PSOCK"
run_doctor -u "$PSOCK" -d "$TMP/none.json" -P "$TMP/no-proc"
grep -q '^ok  *socket-access .*only root and sockward can open' <<<"$OUT" ||
	fail "root-only socket not reported ok: $OUT"
chgrp "$TG" "$PSOCK"; chmod 0660 "$PSOCK"
run_doctor -u "$PSOCK" -d "$TMP/none.json" -P "$TMP/no-proc"
log "doctor on a socket of group $TG (member $TU): exit $RC"
printf '%s\n' "$OUT" | grep socket-access | sed 's/^/    /' >&2
[ "$RC" = 1 ] || fail "group member: exit $RC, want 1"
grep -q "^FINDING socket-access .*group $TG (mode 0660) and $TU in that group can open it" <<<"$OUT" ||
	fail "group member $TU not reported: $OUT"
contains "$OUT" "gpasswd -d USER $TG" || fail "no fix for the group member: $OUT"
contains "$OUT" '"group": "sockward-engine"' || fail "no fix naming sockward-engine: $OUT"
# the service user itself may be in the group
run_doctor -u "$PSOCK" -s "$TU" -d "$TMP/none.json" -P "$TMP/no-proc"
grep -q '^ok  *socket-access ' <<<"$OUT" || fail "the service user's own group reported: $OUT"
# world-writable
chgrp root "$PSOCK"; chmod 0666 "$PSOCK"
run_doctor -u "$PSOCK" -d "$TMP/none.json" -P "$TMP/no-proc"
[ "$RC" = 1 ] || fail "mode 0666: exit $RC"
grep -q "^FINDING socket-access .*mode 0666: every user on this host" <<<"$OUT" || fail "mode 0666 not reported: $OUT"
# an ACL entry for a non-root user
chmod 0600 "$PSOCK"
if command -v setfacl >/dev/null && setfacl -m "u:$TU:rw" "$PSOCK" 2>/dev/null; then
	run_doctor -u "$PSOCK" -d "$TMP/none.json" -P "$TMP/no-proc"
	[ "$RC" = 1 ] || fail "ACL user: exit $RC"
	grep -q "^FINDING socket-access .*ACL entry for user $TU" <<<"$OUT" || fail "ACL user not reported: $OUT"
else
	log "setfacl unavailable or not supported here: ACL case not run"
fi

# 7. a dockerd process listening on TCP (a socat renamed dockerd)
cp "$(command -v socat)" "$TMP/dockerd"
TPORT=$((20000 + RANDOM % 20000))
"$TMP/dockerd" TCP-LISTEN:$TPORT,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$SOCK" &
FAKE_PID=$!
trap 'kill $FAKE_PID $SOCAT_PID2 2>/dev/null; cleanup_ids; cleanup' EXIT
for _ in $(seq 50); do grep -q ":$(printf '%04X' $TPORT) .* 0A " /proc/net/tcp && break; sleep 0.1; done
run_doctor -u "$SOCK" -d "$TMP/none.json"
[ "$RC" = 1 ] || fail "dockerd on TCP: exit $RC"
grep -q "^FINDING engine-tcp .*dockerd (pid $FAKE_PID) listens on TCP port $TPORT" <<<"$OUT" ||
	fail "dockerd on TCP not reported: $OUT"
kill $FAKE_PID 2>/dev/null

log "t_doctor: ok"
exit 0
