#!/usr/bin/env bash
# t_man.sh - the manual pages are clean under `mandoc -Tlint`.
#
# Every message mandoc prints fails the test, with one exception: the
# style-level cross-reference check ("referenced manual not found",
# "outdated mandoc.db lacks ...") depends on which manuals are installed on
# the machine and whether makewhatis(8) was run, not on the pages, so those
# lines are shown but tolerated.  Standalone; exits non-zero on failure.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

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
log "t_man: ok"
exit 0
