# policy_lib.sh - helpers for the policy tests (t_policy_*.sh), sourced after
# lib.sh and sw_test_init.  Each test starts sockward instances of its own with
# a "policy" section; nothing here touches the suite's sockward.

: "${SW_BIN:?SW_BIN not set by run.sh}"
POLICY_RAW="$(dirname "${BASH_SOURCE[0]}")/policy_raw.py"
DENIED="sockward: denied by policy 'restricted'"

_swp_pids=() _swp_networks=() _swp_volumes=()
on_exit_rm_network() { _swp_networks+=("$1"); }
on_exit_rm_volume()  { _swp_volumes+=("$1"); }

_swp_exit() {
	local rc=$? p n
	set +eE; trap - ERR    # clean up everything, also after a failure
	for p in "${_swp_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	(exit $rc); _sw_run_cleanup    # containers first: they hold networks and volumes
	for n in "${_swp_networks[@]}"; do engine network rm "$n" >/dev/null 2>&1 || true; done
	for n in "${_swp_volumes[@]}"; do engine volume rm -f "$n" >/dev/null 2>&1 || true; done
	for p in "${_swp_pids[@]}"; do
		for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
	done
	exit $rc
}
trap _swp_exit EXIT

# sw_policy_start NAME POLICY_JSON [LISTENERS_JSON]
#   -> PSOCK (unix listener path), PAUDIT (audit file), PLOG (stderr), PPID_SW
# The default listener is a unix socket in $SW_TMP; the upstream is the
# private engine.
sw_policy_start() {
	local name=$1 policy=$2 listeners=${3:-}
	PSOCK=$SW_TMP/$name.sock PAUDIT=$SW_TMP/$name-audit.log PLOG=$SW_TMP/$name.log
	[ -n "$listeners" ] ||
		listeners="{ \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PSOCK\", \"mode\": \"0600\" }"
	cat > "$SW_TMP/$name.json" <<JSON
{ "description": "policy test $SW_TEST: $name",
  "listeners": [ $listeners ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "log": { "level": "info" },
  "audit": { "file": "$PAUDIT", "syslog": false, "on_failure": "fail-closed" },
  "policy": $policy }
JSON
	"$SW_BIN" -t -c "$SW_TMP/$name.json" >"$SW_TMP/$name-check.out" 2>&1 ||
		fail "sockward -t rejects $name.json: $(cat "$SW_TMP/$name-check.out")"
	"$SW_BIN" -c "$SW_TMP/$name.json" 2>"$PLOG" </dev/null &
	PPID_SW=$!
	_swp_pids+=("$PPID_SW")
	wait_for 10 grep -q " ready; upstream " "$PLOG" ||
		fail "sockward $name did not get ready: $(tail -5 "$PLOG")"
	kill -0 "$PPID_SW" 2>/dev/null || fail "sockward $name exited: $(tail -5 "$PLOG")"
}

# The fully hardened flags of the issue, on a user-defined network.
# hard_args NETWORK [GROUP...]: the flags without the named groups
# (ro caps nnp mem cpu pids user net).
hard_args() {
	local net=$1 g; shift
	local -A drop=()
	for g in "$@"; do drop[$g]=1; done
	[ -n "${drop[ro]:-}" ]   || printf '%s\n' --read-only
	[ -n "${drop[caps]:-}" ] || printf '%s\n' --cap-drop ALL
	[ -n "${drop[nnp]:-}" ]  || printf '%s\n' --security-opt no-new-privileges
	[ -n "${drop[mem]:-}" ]  || printf '%s\n' --memory 64m
	[ -n "${drop[cpu]:-}" ]  || printf '%s\n' --cpus 0.5
	[ -n "${drop[pids]:-}" ] || printf '%s\n' --pids-limit 64
	[ -n "${drop[user]:-}" ] || printf '%s\n' --user 1000:1000
	[ -n "${drop[net]:-}" ]  || printf '%s\n' --network "$net"
}

# audit_last FILE FIELD-REGEX: the last audit line matching a grep -E pattern
audit_last() { grep -E "$2" "$1" | tail -1; }

# wait_audit FILE PATTERN: the audit line is written when the request ends
wait_audit() { wait_for 5 grep -qE "$2" "$1"; }
