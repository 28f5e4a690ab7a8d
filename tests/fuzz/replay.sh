#!/bin/sh
# replay.sh - run every harness over its saved regression inputs, once each,
# without fuzzing (deterministic, a few seconds).  Builds the harnesses first
# unless NO_BUILD=1.  Exit status: 0 when every input passes.
#
#   tests/fuzz/replay.sh
set -eu
cd "$(dirname "$0")"
[ "${NO_BUILD:-0}" = 1 ] || ./build.sh >/dev/null
fail=0
for dir in regressions/*/; do
	t=$(basename "$dir")
	bin=build/fuzz_$t
	[ -x "$bin" ] || { echo "replay: no harness $bin" >&2; fail=1; continue; }
	n=$(ls "$dir" | wc -l)
	[ "$n" -gt 0 ] || continue
	# libFuzzer runs file arguments as single inputs; stop at the first failure
	if ASAN_OPTIONS=detect_leaks=1 "$bin" -timeout=10 "$dir"* >"build/replay-$t.log" 2>&1; then
		echo "replay: $t: $n inputs ok"
	else
		echo "replay: $t: FAILED (see tests/fuzz/build/replay-$t.log)" >&2
		fail=1
	fi
done
exit $fail
