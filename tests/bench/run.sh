#!/usr/bin/env bash
# run.sh SOCKWARD_BIN - benchmarks, each reported against a baseline measured
# in the same run (these machines are shared and noisy): proxied vs direct
# /_ping latency, save|load through sockward vs direct, and the policy
# decision micro-benchmark.  Figures, not pass/fail tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/sockward}
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
"$ROOT/tests/engine/engine.sh" start >/dev/null
ENGINE=${SOCKWARD_ENGINE_DIR:-/tmp/swdock}/docker.sock
TMP=$(mktemp -d /tmp/swbench.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
cat > "$TMP/bench.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$TMP/sw.sock", "mode": "0600" } ],
  "upstream": { "socket": "$ENGINE" }, "log": { "level": "warn" },
  "audit": { "file": "$TMP/audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
"$BIN" -c "$TMP/bench.json" 2>"$TMP/sw.log" &
PID=$!
for _ in $(seq 50); do [ -S "$TMP/sw.sock" ] && break; sleep 0.1; done

echo "== proxy latency"
python3 "$ROOT/tests/bench/ping_bench.py" "$ENGINE" "$TMP/sw.sock" 4000 "$PID"

echo "== save | load of a 210 MiB image (wall time, 3 runs each, interleaved)"
IMG=local/swbig:210m
if DOCKER_HOST=unix://$ENGINE docker image inspect "$IMG" >/dev/null 2>&1; then
	for i in 1 2 3; do
		for via in direct sockward; do
			[ $via = direct ] && H=unix://$ENGINE || H=unix://$TMP/sw.sock
			s=$(date +%s.%N)
			DOCKER_HOST=$H docker save "$IMG" | DOCKER_HOST=$H docker load -q >/dev/null
			e=$(date +%s.%N)
			echo "$via $(awk -v a="$s" -v b="$e" 'BEGIN{print b-a}')"
		done
	done | awk '{t[$1]+=$2; n[$1]++} END {d=t["direct"]/n["direct"]; s=t["sockward"]/n["sockward"];
		printf "  direct %.2fs  via sockward %.2fs  ratio %.2fx\n", d, s, s/d}'
	echo "  sockward peak RSS: $(awk '/VmHWM/{print $2, $3}' /proc/$PID/status)"
else
	echo "  ($IMG not present: run the integration suite once to create it)"
fi

echo "== policy decision (kitchen-sink create body)"
cc -std=c11 -O2 -g -D_GNU_SOURCE -I"$ROOT" "$ROOT"/policy/*.c "$ROOT/tests/bench/policy_bench.c" \
	-o "$TMP/policy-bench" -ljansson -lm
(cd "$ROOT/tests" && "$TMP/policy-bench" 20000)
