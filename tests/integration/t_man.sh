#!/usr/bin/env bash
# sw-pass: unix
# t_man.sh - the manual pages are clean under `mandoc -Tlint`, sockward.8
# documents the options, commands, signals and socket activation, and
# sockward.json.5 documents every key of `sockward --print-keys` (default and
# reload behaviour) and every policy rule (tests/fixtures/ops/rule-ids.txt).
#
# Every message mandoc prints fails the test, with one exception: the
# style-level cross-reference check ("referenced manual not found",
# "outdated mandoc.db lacks ...") depends on which manuals are installed on
# the machine and whether makewhatis(8) was run, not on the pages, so those
# lines are shown but tolerated.  Standalone; exits non-zero on failure.
set -uo pipefail
# Under run.sh: once per suite (the unix pass), with the binary under test.
if [ -n "${SW_LISTENER:-}" ] && [ "$SW_LISTENER" != unix ]; then
	echo "  skip: runs once, in the unix pass"; exit 77
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${SW_BIN:-${SOCKWARD_BIN:-$ROOT/sockward}}
RULES=$ROOT/tests/fixtures/ops/rule-ids.txt

fail() { printf '  FAIL: t_man: %s\n' "$*" >&2; exit 1; }
log()  { printf '  %s\n' "$*" >&2; }

command -v mandoc >/dev/null || fail "mandoc not installed (make deps installs it)"

bad=0
for page in "$ROOT/man/sockward.8" "$ROOT/man/sockward.json.5"; do
	[ -f "$page" ] || fail "$page missing"
	out=$(mandoc -Tlint "$page" 2>&1)
	env_only=$(printf '%s\n' "$out" | grep -E 'referenced manual not found|outdated mandoc.db lacks' || true)
	real=$(printf '%s\n' "$out" | grep -vE 'referenced manual not found|outdated mandoc.db lacks' | grep -v '^$' || true)
	if [ -n "$real" ]; then
		printf '%s\n' "$real" | sed 's/^/    /' >&2
		bad=1
	fi
	if [ -n "$env_only" ]; then
		log "$(basename "$page"): cross-references not installed here (tolerated):"
		printf '%s\n' "$env_only" | sed 's/^/      /' >&2
	fi
	# renders without error in both output formats people use
	mandoc -Tutf8 "$page" >/dev/null 2>&1 || { log "$(basename "$page"): -Tutf8 failed"; bad=1; }
	mandoc -Thtml "$page" >/dev/null 2>&1 || { log "$(basename "$page"): -Thtml failed"; bad=1; }
done
[ "$bad" = 0 ] || fail "mandoc -Tlint reported problems"

# the pages document what the code has
for s in SIGTERM SIGHUP SIGUSR1 'EXIT STATUS' 'SECURITY CONSIDERATIONS' FILES EXAMPLES; do
	grep -q "$s" "$ROOT/man/sockward.8" || fail "sockward.8 lacks $s"
done
for s in 'Fl \\-print-keys' ' Fl u ' 'Cm eval' 'Cm doctor' LISTEN_FDS LISTEN_FDNAMES sockward.socket \
	NOTIFY_SOCKET RELOADING=1 STOPPING=1; do
	grep -q -- "$s" "$ROOT/man/sockward.8" || fail "sockward.8 lacks $s"
done

# sockward.json.5 documents every configuration key: its entry, and a row
# "key type default reload|restart" in the summary that equals --print-keys
[ -x "$BIN" ] || fail "$BIN is not an executable (set SW_BIN or SOCKWARD_BIN)"
# (a file, not printf | grep -q: with pipefail, grep -q exiting early fails
# the pipeline through SIGPIPE)
PAGE=$(mktemp /tmp/sw-man-XXXXXX)
trap 'rm -f "$PAGE"' EXIT
mandoc -Tascii -O width=250 "$ROOT/man/sockward.json.5" | col -b | tr -s ' \t' ' ' > "$PAGE"
keys=$("$BIN" --print-keys) || fail "$BIN --print-keys failed"
nkeys=0
while read -r key type def live _; do
	[ "$key" = KEY ] && continue
	nkeys=$((nkeys + 1))
	[ "$def" = - ] && def=--
	grep -qxF " $key $type $def $live" "$PAGE" ||
		fail "sockward.json.5: no summary row \"$key $type $def $live\" (as --print-keys says)"
	[ "$key" = policy ] && continue
	# and an entry of its own (listeners[].x is written listeners[].x)
	grep -v " $type $def $live\$" "$PAGE" | grep -F -- "$key" >/dev/null ||
		fail "sockward.json.5 does not describe $key outside the summary"
done <<<"$keys"
[ "$nkeys" -ge 20 ] || fail "only $nkeys keys from --print-keys"

# ... and every policy rule id, with its CIS number; the fixture list is
# checked against the rule table in policy/rules.c
[ -f "$RULES" ] || fail "$RULES missing"
if [ -f "$ROOT/policy/rules.c" ]; then
	from_src=$(grep -E '^\s*\[R_' "$ROOT/policy/rules.c" | sed -E 's/^[^"]*"([^"]+)".*/\1/' | sort)
	from_fix=$(grep -v '^#' "$RULES" | awk '{print $1}' | sort)
	[ "$from_src" = "$from_fix" ] || { diff <(echo "$from_fix") <(echo "$from_src") >&2; fail "$RULES differs from policy/rules.c"; }
fi
nrules=0
while read -r id cis; do
	case "$id" in '#'*|'') continue ;; esac
	nrules=$((nrules + 1))
	[ "$cis" = - ] && cis=--
	grep -qE "^ ${id//./\\.} ${cis//./\\.} .*; fix: " "$PAGE" ||
		fail "sockward.json.5: rule $id (CIS $cis, with its fix) not in the rule table"
done < "$RULES"
[ "$nrules" -ge 40 ] || fail "only $nrules rules in $RULES"
for p in restricted baseline unrestricted enforce warn audit base mode bindings exceptions \
	api.min_version api.max_version default_profile endpoints_deny unknown_endpoints; do
	grep -qw -- "$p" "$PAGE" || fail "sockward.json.5 does not mention $p"
done
if grep -q 'incomplete' "$PAGE"; then fail "sockward.json.5 still has a placeholder"; fi
log "t_man: $nkeys keys, $nrules rules documented"
log "t_man: ok"
exit 0
