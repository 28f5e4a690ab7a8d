# lib.sh - helpers for the integration tests (sourced by run.sh and every t_*.sh).
#
# A test is a bash script tests/integration/t_NAME.sh, run once per listener by
# run.sh in a fresh process with this environment:
#   DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH  docker env for the listener
#   SW_LISTENER     tls | unix | direct (direct: no sockward, straight to the engine)
#   SW_TLS_ADDR     127.0.0.1:PORT of sockward's TLS listener
#   SW_UNIX_SOCK    path of sockward's unix listener
#   SW_CERTS        test PKI (gen-certs.sh layout: server/ client/ rogue/)
#   SW_ENGINE_SOCK  the private engine's socket (setup/cleanup only, never the subject)
#   SW_PID, SW_LOG  sockward's pid and stderr log (empty in direct mode)
#   SW_TMP          scratch directory of this test run (deleted afterwards)
#   SW_RUN_ID       short id of this suite run; every resource name starts swt<id>
#   SW_IMAGE        local/busybox:1.36
#   SW_SANITIZED    1 when sockward is an ASan/UBSan build
#   SW_RESULTS      file to append "key value" measurements to
# Exit status: 0 ok, 77 skipped (not applicable to this listener), else failed.

SW_IMAGE=${SW_IMAGE:-local/busybox:1.36}
SW_CMD_TIMEOUT=${SW_CMD_TIMEOUT:-60}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker)
DOCKER_CLI20=${DOCKER_CLI20:-/usr/bin/docker}
SW_SKIP=77

# Every client command runs under a hard timeout so that a hung proxy shows up
# as a failure instead of a stuck suite.
docker()   { timeout -s KILL "$SW_CMD_TIMEOUT" "$DOCKER_CLI" "$@"; }
docker20() { timeout -s KILL "$SW_CMD_TIMEOUT" "$DOCKER_CLI20" "$@"; }
compose()  { timeout -s KILL "$SW_CMD_TIMEOUT" docker-compose "$@"; }
curl_t()   { timeout -s KILL "$SW_CMD_TIMEOUT" curl "$@"; }
# ptyrun ROWS COLS CMD...: CMD on a pty of that size (for docker -t), see ptyrun.py.
SW_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ptyrun()   { timeout -s KILL "$SW_CMD_TIMEOUT" python3 "$SW_LIB_DIR/ptyrun.py" "$@"; }

# engine: talk to the private engine directly (fixtures and cleanup only).
engine() {
	DOCKER_HOST=unix://$SW_ENGINE_SOCK DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= \
		timeout -s KILL "$SW_CMD_TIMEOUT" "$DOCKER_CLI" "$@"
}

log()  { printf '  %s\n' "$*" >&2; }
fail() { trap - ERR; printf '  FAIL: %s\n' "$*" >&2; exit 1; }
skip() { trap - ERR; printf '  skip: %s\n' "$*" >&2; exit "$SW_SKIP"; }

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" == "$2" ] || fail "${3:-value}: expected [$1], got [$2]"
}
# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain [$2]: [${1:0:600}]";; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-output} contains [$2]: [${1:0:600}]";; *) ;; esac
}

# retry N DELAY CMD... : run CMD until it succeeds, at most N times.
retry() {
	local n=$1 d=$2 i; shift 2
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		[ "$i" -lt "$n" ] && sleep "$d"
	done
	return 1
}
# wait_for SECONDS CMD... : poll CMD every 0.2s until it succeeds or time runs out.
wait_for() {
	local s=$1; shift
	retry $((s * 5)) 0.2 "$@"
}

_sw_seq=0
# uniq_name [TAG] -> swt<runid>-<tag>-<n><rand>; lowercase, valid for
# containers, networks, image repos and compose projects alike.
uniq_name() {
	_sw_seq=$((_sw_seq + 1))
	printf 'swt%s-%s-%d%04x' "${SW_RUN_ID:-0}" "${1:-x}" "$_sw_seq" "$((RANDOM))"
}

# Containers/images a test made are removed through the engine when it exits
# (run.sh removes anything named swt* once more at the end).
_sw_cleanup=()
on_exit_rm_container() { _sw_cleanup+=("container:$1"); }
on_exit_rm_image()     { _sw_cleanup+=("image:$1"); }
_sw_run_cleanup() {
	local rc=$? c
	for c in "${_sw_cleanup[@]}"; do
		case "$c" in
		container:*) engine rm -f "${c#container:}" >/dev/null 2>&1 || true ;;
		image:*)     engine rmi -f "${c#image:}" >/dev/null 2>&1 || true ;;
		esac
	done
	return $rc
}

# sw_hwm_kib: sockward's peak RSS (VmHWM, KiB), empty when not applicable.
sw_hwm_kib() {
	[ -n "${SW_PID:-}" ] && awk '/^VmHWM:/{print $2}' "/proc/$SW_PID/status" 2>/dev/null
}
record() { [ -n "${SW_RESULTS:-}" ] && echo "$*" >> "$SW_RESULTS"; return 0; }

# Only for tests: strict mode, and a note saying which command failed.
sw_test_init() {
	set -Eeuo pipefail
	trap 'printf "  FAIL: line %s: %s (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR
	trap _sw_run_cleanup EXIT
	cd "$SW_TMP"
}

tls_only() {
	[ "${SW_LISTENER:-}" = tls ] || skip "TLS listener only"
}
