#!/usr/bin/env bash
# sw-pass: unix
# t_systemd.sh - the systemd units pass `systemd-analyze verify`, and report
# the `systemd-analyze security` exposure score of sockward.service.
#
# Standalone (needs no running systemd).  The units name
# /usr/local/sbin/sockward, which verify requires to exist: they are copied to
# a temp dir with ExecStart and friends pointing at the built binary
# ($SOCKWARD_BIN, default ./sockward at the top of the tree), and the man
# pages named in Documentation= are put on a temporary MANPATH so verify
# checks them too.
set -uo pipefail
# Under run.sh: once per suite (the unix pass), with the binary under test.
if [ -n "${SW_LISTENER:-}" ] && [ "$SW_LISTENER" != unix ]; then
	echo "  skip: runs once, in the unix pass"; exit 77
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${SW_BIN:-${SOCKWARD_BIN:-$ROOT/sockward}}
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac

fail() { printf '  FAIL: t_systemd: %s\n' "$*" >&2; exit 1; }
log()  { printf '  %s\n' "$*" >&2; }

command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed (make deps installs systemd)"
[ -x "$BIN" ] || fail "$BIN is not an executable (set SOCKWARD_BIN)"

TMP=$(mktemp -d /tmp/sw-systemd-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/units" "$TMP/man/man8" "$TMP/man/man5"
for u in sockward.service sockward.socket; do
	[ -f "$ROOT/systemd/$u" ] || fail "systemd/$u missing"
	sed "s|/usr/local/sbin/sockward|$BIN|g" "$ROOT/systemd/$u" > "$TMP/units/$u"
done
cp "$ROOT/man/sockward.8" "$TMP/man/man8/" || fail "man/sockward.8 missing"
cp "$ROOT/man/sockward.json.5" "$TMP/man/man5/" || fail "man/sockward.json.5 missing"

# What the issue requires of the service, checked on the file itself.
svc=$ROOT/systemd/sockward.service
for want in 'Type=notify' 'User=sockward' 'SupplementaryGroups=sockward-engine' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
	'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' 'ProtectKernelTunables=yes' \
	'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' 'ProtectControlGroups=yes' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'RestrictNamespaces=yes' \
	'LockPersonality=yes' 'MemoryDenyWriteExecute=yes' 'SystemCallFilter=@system-service' \
	'CapabilityBoundingSet=' 'ReadWritePaths=/run/sockward /var/log/sockward'; do
	grep -qxF -- "$want" "$svc" || fail "sockward.service lacks the line: $want"
done
grep -q '^ExecStartPre=.*sockward --check-config' "$svc" || fail "no ExecStartPre config check"
grep -q '^ExecReload=.*sockward --check-config' "$svc" || fail "no ExecReload config check"
[ "$(grep -c '^ReadWritePaths=' "$svc")" = 1 ] || fail "more than one ReadWritePaths="
# Issue 8: no shipped file hands out the engine.  Clients get sockward-users
# (sockward.socket, conf/sockward.json); only sockward is in sockward-engine,
# the group the engine's socket gets (sysusers, the docker.socket drop-in).
grep -qxF 'SocketGroup=sockward-users' "$ROOT/systemd/sockward.socket" || fail "sockward.socket: SocketGroup is not sockward-users"
for f in systemd/sockward.service systemd/sockward.socket systemd/sockward.sysusers conf/sockward.json; do
	if grep -vE '^[[:space:]]*#' "$ROOT/$f" | grep -qE '(Groups?=|"group": *"|^m sockward )docker\b'; then
		fail "$f gives someone the docker group"
	fi
done
grep -qxF 'm sockward sockward-engine' "$ROOT/systemd/sockward.sysusers" || fail "sysusers: sockward is not in sockward-engine"
[ "$(grep -c '^m ' "$ROOT/systemd/sockward.sysusers")" = 1 ] || fail "sysusers: more members than sockward in sockward-engine"
grep -qxF 'g sockward-users -' "$ROOT/systemd/sockward.sysusers" || fail "sysusers: no group sockward-users"
grep -qxF 'SocketGroup=sockward-engine' "$ROOT/systemd/docker.socket-sockward.conf" || fail "docker.socket drop-in: SocketGroup is not sockward-engine"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["listeners"]; sys.exit(0 if all(x.get("group") == "sockward-users" for x in l if x["type"] == "unix") else 1)' \
	"$ROOT/conf/sockward.json" || fail "conf/sockward.json: a unix listener's group is not sockward-users"

out=$(cd "$TMP" && MANPATH="$TMP/man" systemd-analyze verify "$TMP/units/sockward.service" \
	"$TMP/units/sockward.socket" 2>&1)
rc=$?
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /' >&2
[ "$rc" = 0 ] || fail "systemd-analyze verify: exit $rc"
[ -z "$out" ] || fail "systemd-analyze verify printed warnings"
log "systemd-analyze verify: clean"

# The exposure score.  --offline needs systemd >= 250 and no running manager.
if sec=$(systemd-analyze security --offline=yes "$TMP/units/sockward.service" 2>&1); then
	score=$(printf '%s\n' "$sec" | grep 'Overall exposure level' | sed 's/.*: //')
	log "systemd-analyze security: $score"
	[ -n "${SW_RESULTS:-}" ] && echo "systemd_security ${score%% *}" >> "$SW_RESULTS"
	case "$score" in
	*OK*|*SAFE*) ;;
	*) fail "exposure is not OK or better: $score" ;;
	esac
else
	log "systemd-analyze security could not run here:"
	printf '%s\n' "$sec" | sed 's/^/    /' >&2
	fail "no security score"
fi
log "t_systemd: ok"
exit 0
