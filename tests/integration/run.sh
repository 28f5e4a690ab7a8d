#!/usr/bin/env bash
# run.sh SOCKWARD_BIN - integration suite: real Docker clients -> sockward -> private engine.
#
# Starts the private engine (tests/engine/engine.sh; a failure there is a
# suite failure, never a skip), generates fresh certificates, starts sockward
# with a TLS and a unix listener, and runs every tests/integration/t_*.sh once
# through each listener (a test marked "# sw-pass: unix|tls" on its second
# line runs in that pass only: it starts its own sockward, or needs TLS).
#
# Env:
#   SOCKWARD_SANITIZED=1   the binary is an ASan/UBSan build: stop it with
#                          SIGTERM at the end and fail on sanitizer reports
#   SOCKWARD_DIRECT=1      development aid only: no sockward, clients talk to the
#                          engine directly; always exits non-zero
#   SW_TESTS="a b"         run only t_a.sh, t_b.sh
#   SW_LISTENERS="tls"     run only these passes (tls unix)
#   SW_KEEP=1              keep the temp dir
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

DIRECT=${SOCKWARD_DIRECT:-0}
SANITIZED=${SOCKWARD_SANITIZED:-0}
BIN=${1:-}
if [ "$DIRECT" != 1 ]; then
	[ -n "$BIN" ] || { echo "usage: $0 SOCKWARD_BIN" >&2; exit 2; }
	case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
	[ -x "$BIN" ] || { echo "integration: FAIL: $BIN is not an executable" >&2; exit 1; }
fi

T0=$SECONDS
say() { printf 'integration: %s\n' "$*"; }
die() { printf 'integration: FAIL: %s\n' "$*" >&2; exit 1; }

export SOCKWARD_ENGINE_DIR=${SOCKWARD_ENGINE_DIR:-/tmp/swdock}
ENGINE_SOCK=${SOCKWARD_ENGINE_DIR%/}/docker.sock

# ---- engine ------------------------------------------------------------------
if ! "$ROOT/tests/engine/engine.sh" start; then
	die "the private Docker engine did not start (see above); nothing was tested"
fi
ver=$(DOCKER_HOST=unix://$ENGINE_SOCK timeout -s KILL 30 "$DOCKER_CLI" version \
	--format 'dockerd {{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}}' 2>&1) ||
	die "docker version against the engine failed: $ver"
say "engine: $ver at $ENGINE_SOCK"

# ---- scratch space -------------------------------------------------------------
TMP=$(mktemp -d /tmp/swit.XXXXXX)
export SW_RUN_ID=$(printf '%04x' $((RANDOM)))
export SW_ENGINE_SOCK=$ENGINE_SOCK SW_IMAGE SW_SANITIZED=$SANITIZED
export SW_RESULTS=$TMP/results
export DOCKER_CONFIG=$TMP/docker-config   # no user config, contexts or credential helpers
mkdir -p "$DOCKER_CONFIG"
unset DOCKER_CONTEXT DOCKER_TLS DOCKER_TLS_VERIFY DOCKER_CERT_PATH COMPOSE_FILE COMPOSE_PROJECT_NAME
# python-requests (docker-compose) lets these override the client's own ca.pem.
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
: > "$SW_RESULTS"

SW_PID=
SW_LOG=$TMP/sockward.log
cleanup() {
	local rc=$?
	if [ -n "$SW_PID" ] && kill -0 "$SW_PID" 2>/dev/null; then
		kill -TERM "$SW_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$SW_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$SW_PID" 2>/dev/null
	fi
	# Anything a test left behind: every name starts with swt<runid>.
	local e=(env DOCKER_HOST=unix://$ENGINE_SOCK timeout -s KILL 60 "$DOCKER_CLI")
	local ids
	ids=$("${e[@]}" ps -aq --filter "name=swt$SW_RUN_ID" 2>/dev/null)
	[ -n "$ids" ] && "${e[@]}" rm -f $ids >/dev/null 2>&1
	ids=$("${e[@]}" network ls -q --filter "name=swt$SW_RUN_ID" 2>/dev/null)
	[ -n "$ids" ] && "${e[@]}" network rm $ids >/dev/null 2>&1
	# by name, never by ID: a test may have tagged a shared image (local/busybox)
	ids=$("${e[@]}" images --format '{{.Repository}}:{{.Tag}}' --filter "reference=local/swt$SW_RUN_ID*" 2>/dev/null)
	[ -n "$ids" ] && "${e[@]}" rmi $ids >/dev/null 2>&1
	if [ "${SW_KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- fixtures: the 210 MiB image for save|load (cached in the engine) ------------
BIG_IMAGE=local/swbig:210m
export SW_BIG_IMAGE=$BIG_IMAGE
if ! engine image inspect "$BIG_IMAGE" >/dev/null 2>&1; then
	say "creating $BIG_IMAGE (once per engine)"
	stage=$TMP/big
	mkdir -p "$stage/rootfs/data"
	tar -xf "$SOCKWARD_ENGINE_DIR/busybox-rootfs.tar" -C "$stage/rootfs" 2>/dev/null ||
		cp /bin/busybox "$stage/rootfs/data/"
	head -c $((210 * 1024 * 1024)) /dev/urandom > "$stage/rootfs/data/random.bin"
	tar --numeric-owner --owner=0 --group=0 -C "$stage/rootfs" -cf - . |
		SW_CMD_TIMEOUT=300 engine import -c 'CMD ["/bin/sh"]' - "$BIG_IMAGE" >/dev/null ||
		die "could not create $BIG_IMAGE"
	rm -rf "$stage"
fi

# ---- certificates and sockward -------------------------------------------------
export SW_CERTS=$TMP/certs
"$ROOT/tests/engine/gen-certs.sh" "$SW_CERTS" >/dev/null || die "gen-certs.sh failed"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

if [ "$DIRECT" = 1 ]; then
	say "DIRECT MODE: clients talk to the engine, sockward is NOT tested"
	passes=(direct)
else
	PORT=$(free_port) || die "no free port"
	export SW_TLS_ADDR=127.0.0.1:$PORT SW_UNIX_SOCK=$TMP/sockward.sock
	write_conf() {   # write_conf WITH_POLICY
		local pol=
		[ "$1" = 1 ] && pol=',
  "policy": { "default_profile": "unrestricted" }'
		cat > "$TMP/sockward.json" <<EOF
{
  "description": "integration suite $SW_RUN_ID",
  "listeners": [
    { "name": "tls", "type": "tls", "address": "$SW_TLS_ADDR",
      "cert": "$SW_CERTS/server/server-cert.pem", "key": "$SW_CERTS/server/server-key.pem",
      "ca": "$SW_CERTS/server/ca.pem" },
    { "name": "local", "type": "unix", "path": "$SW_UNIX_SOCK", "mode": "0600" }
  ],
  "upstream": { "socket": "$ENGINE_SOCK" },
  "log": { "level": "info" },
  "audit": { "file": "$TMP/audit.log", "syslog": false, "on_failure": "fail-closed" }$pol
}
EOF
	}
	write_conf 1
	if ! out=$("$BIN" -t -c "$TMP/sockward.json" 2>&1); then
		say "config with policy {\"default_profile\": \"unrestricted\"} rejected:"
		printf '%s\n' "$out" | sed 's/^/    /'
		say "retrying without a policy section"
		write_conf 0
		out=$("$BIN" -t -c "$TMP/sockward.json" 2>&1) ||
			die "sockward -t rejects the test config:
$out
config:
$(cat "$TMP/sockward.json")"
	fi

	if [ "$SANITIZED" = 1 ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	fi
	"$BIN" -c "$TMP/sockward.json" 2>"$SW_LOG" </dev/null &
	SW_PID=$!
	export SW_PID SW_LOG SW_BIN=$BIN
	up() {
		[ -S "$SW_UNIX_SOCK" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
	}
	for _ in $(seq 1 150); do
		up && break
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! up; then
		kill -0 "$SW_PID" 2>/dev/null && st="running" || { wait "$SW_PID"; st="exited with $?"; }
		echo "integration: FAIL: sockward ($st) did not open both listeners ($SW_TLS_ADDR, $SW_UNIX_SOCK) in 15s; its log:" >&2
		tail -40 "$SW_LOG" >&2
		exit 1
	fi
	say "sockward $("$BIN" --version 2>&1 | head -1) pid $SW_PID: tls $SW_TLS_ADDR, unix $SW_UNIX_SOCK"
	passes=(tls unix)
	[ -n "${SW_LISTENERS:-}" ] && read -r -a passes <<<"$SW_LISTENERS"
fi

# ---- the tests -----------------------------------------------------------------
tests=()
if [ -n "${SW_TESTS:-}" ]; then
	for t in $SW_TESTS; do tests+=("$HERE/t_${t#t_}.sh"); done
else
	tests=("$HERE"/t_*.sh)
fi

run=0 passed=0 failed=0 skipped=0
failures=()
for pass in "${passes[@]}"; do
	case "$pass" in
	tls)    envs=(DOCKER_HOST=tcp://$SW_TLS_ADDR DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$SW_CERTS/client) ;;
	unix)   envs=(DOCKER_HOST=unix://$SW_UNIX_SOCK) ;;
	direct) envs=(DOCKER_HOST=unix://$ENGINE_SOCK) ;;
	esac
	for t in "${tests[@]}"; do
		name=$(basename "$t" .sh); name=${name#t_}
		# "# sw-pass: unix" marks a test that is listener-agnostic (it starts
		# sockward instances of its own) or tied to one listener: it runs in
		# that pass only and is not counted in the others
		only=$(sed -n '2,5s/^# sw-pass: *//p' "$t" | head -1)
		if [ -n "$only" ] && [ "$only" != "$pass" ] && [ "$pass" != direct ]; then
			continue
		fi
		tdir=$TMP/work/$pass-$name
		mkdir -p "$tdir"
		tlog=$TMP/log/$pass-$name.log
		mkdir -p "$TMP/log"
		ts=$SECONDS
		env "${envs[@]}" SW_LISTENER="$pass" SW_TMP="$tdir" SW_TEST="$name" \
			timeout -s KILL 300 bash "$t" >"$tlog" 2>&1 </dev/null
		rc=$?
		dt=$((SECONDS - ts))
		case $rc in
		0)  run=$((run + 1)); passed=$((passed + 1)); printf 'ok   %-16s [%s] %ss\n' "$name" "$pass" "$dt" ;;
		77) skipped=$((skipped + 1)); printf 'skip %-16s [%s] %s\n' "$name" "$pass" "$(grep -m1 'skip:' "$tlog" | sed 's/^ *skip: //')" ;;
		*)  run=$((run + 1)); failed=$((failed + 1)); failures+=("$name [$pass]")
		    [ $rc = 137 ] && echo "  (killed after 300s)" >>"$tlog"
		    printf 'FAIL %-16s [%s] %ss (exit %s)\n' "$name" "$pass" "$dt" "$rc"
		    tail -25 "$tlog" | sed 's/^/    | /' ;;
		esac
		if [ -n "$SW_PID" ] && ! kill -0 "$SW_PID" 2>/dev/null; then
			echo "integration: FAIL: sockward died during $name [$pass]; its log:" >&2
			tail -40 "$SW_LOG" >&2
			SW_PID=
			failed=$((failed + 1)); failures+=("sockward died")
			break 2
		fi
	done
done

# ---- sanitizer verdict -------------------------------------------------------------
if [ -n "$SW_PID" ]; then
	hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$SW_PID/status" 2>/dev/null)
	say "sockward peak RSS (VmHWM) over the whole suite: ${hwm:-?} KiB"
fi
if [ "$SANITIZED" = 1 ] && [ -n "$SW_PID" ]; then
	kill -TERM "$SW_PID" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$SW_PID" 2>/dev/null || break; sleep 0.2; done
	if kill -0 "$SW_PID" 2>/dev/null; then
		say "FAIL: sanitized sockward did not exit within 20s of SIGTERM"
		kill -KILL "$SW_PID"; failed=$((failed + 1)); failures+=("SIGTERM shutdown")
	else
		wait "$SW_PID"; st=$?
		[ $st = 0 ] || { say "FAIL: sanitized sockward exited $st after SIGTERM"; failed=$((failed + 1)); failures+=("exit status $st after SIGTERM"); }
	fi
	SW_PID=
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$SW_LOG"; then
		say "FAIL: sanitizer reports in sockward's log:"
		grep -nE -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SW_LOG" | head -80
		failed=$((failed + 1)); failures+=("sanitizer report")
	else
		say "no sanitizer reports"
	fi
fi

if [ -s "$SW_RESULTS" ]; then
	say "measurements:"; sed 's/^/    /' "$SW_RESULTS"
fi
if [ $failed -gt 0 ] && [ -s "$SW_LOG" ]; then
	say "last lines of sockward's log ($SW_LOG):"
	tail -40 "$SW_LOG" | sed 's/^/    /'
fi
summary="integration: $run run, $passed passed, $failed failed"
[ $skipped -gt 0 ] && summary+=", $skipped skipped"
summary+=" ($((SECONDS - T0))s)"
if [ "$DIRECT" = 1 ]; then
	echo "$summary -- DIRECT MODE, sockward not tested"
	exit 1
fi
echo "$summary"
[ $failed -gt 0 ] && { printf '  failed: %s\n' "${failures[@]}"; exit 1; }
exit 0
