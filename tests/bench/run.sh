#!/usr/bin/env bash
# run.sh SOCKWARD_BIN - benchmarks, each reported against a baseline measured
# in the same run (these machines are shared and noisy): proxied vs direct
# /_ping latency, save|load through sockward vs direct, the policy
# decision micro-benchmark, the memory of idle keep-alive connections, and
# throughput through sockward, HAProxy and nginx against no proxy (proxies.sh).
# Figures, not pass/fail tests.
#
# BENCH_ONLY=latency,saveload,policy,idle,proxies,tenant (comma-separated) runs only
# those parts, e.g. `make bench BENCH_ONLY=idle`.  IDLE_PLAIN / IDLE_TLS set the
# number of idle plain / mutual-TLS connections (default 10000 each).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/sockward}
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
BENCH_ONLY=${BENCH_ONLY:-}
want() { [ -z "$BENCH_ONLY" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
for part in ${BENCH_ONLY//,/ }; do
	case $part in latency|saveload|policy|idle|proxies|tenant) ;;
	*) echo "run.sh: BENCH_ONLY: unknown part '$part' (latency, saveload, policy, idle, proxies, tenant)" >&2; exit 2 ;;
	esac
done
# part "proxies" brings its own stand-in engine (nginx)
if want latency || want saveload || want idle || want tenant; then
	"$ROOT/tests/engine/engine.sh" start >/dev/null
fi
ENGINE=${SOCKWARD_ENGINE_DIR:-/tmp/swdock}/docker.sock
TMP=$(mktemp -d /tmp/swbench.XXXXXX)
PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
cat > "$TMP/bench.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$TMP/sw.sock", "mode": "0600" } ],
  "upstream": { "socket": "$ENGINE" }, "log": { "level": "warn" },
  "audit": { "file": "$TMP/audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
if want latency || want saveload; then
	"$BIN" -c "$TMP/bench.json" 2>"$TMP/sw.log" &
	PID=$!
	for _ in $(seq 50); do [ -S "$TMP/sw.sock" ] && break; sleep 0.1; done
fi

if want latency; then
echo "== proxy latency"
python3 "$ROOT/tests/bench/ping_bench.py" "$ENGINE" "$TMP/sw.sock" 4000 "$PID"
fi

if want saveload; then
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
fi

if want policy; then
echo "== policy decision (kitchen-sink create body)"
cc -std=c11 -O2 -g -D_GNU_SOURCE -I"$ROOT" "$ROOT"/policy/*.c "$ROOT/tests/bench/policy_bench.c" \
	-o "$TMP/policy-bench" -ljansson -lm
(cd "$ROOT/tests" && "$TMP/policy-bench" 5000 5)
fi

if want idle; then
# a fresh sockward per phase (started by the script, unix + mTLS listeners,
# limits.max_connections 11000); VmRSS before/after, per idle connection,
# and after every connection has closed again
echo "== idle keep-alive connections (sockward VmRSS)"
"$ROOT/tests/engine/gen-certs.sh" "$TMP/certs" >/dev/null
python3 "$ROOT/tests/bench/idle_conns.py" "$BIN" "$ENGINE" "$TMP/certs" "$TMP" \
	--plain "${IDLE_PLAIN:-10000}" --tls "${IDLE_TLS:-10000}"
fi

if want tenant; then
# a sockward of its own: uid 0 an operator, uid 1000 a tenant (issue 9)
echo "== tenant vs operator (issue 9): docker ps -a / inspect / images through one sockward"
chmod 0755 "$TMP"
cat > "$TMP/tenant.json" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$TMP/ten.sock", "mode": "0666" } ],
  "upstream": { "socket": "$ENGINE" }, "log": { "level": "warn" },
  "audit": { "file": "$TMP/tenant-audit.log" },
  "policy": { "default_profile": "restricted",
    "bindings": [ { "match": { "uid": 0 }, "profile": "unrestricted" },
                  { "match": { "uid": 1000 }, "profile": "unrestricted", "tenant": "bench" } ] } }
JSON
"$BIN" -c "$TMP/tenant.json" 2>"$TMP/tenant.log" &
TPID=$!
for _ in $(seq 50); do [ -S "$TMP/ten.sock" ] && break; sleep 0.1; done
BC=swbench-tenant-$$
# one container of the tenant, one of nobody (the tenant must not see it)
DOCKER_HOST=unix://$ENGINE docker create --name "$BC" --label io.sockward.tenant=bench \
	"${BENCH_IMAGE:-local/busybox:1.36}" true >/dev/null
DOCKER_HOST=unix://$ENGINE docker create --name "$BC-ops" "${BENCH_IMAGE:-local/busybox:1.36}" true >/dev/null
python3 "$ROOT/tests/bench/tenant_bench.py" "$ENGINE" "$TMP/ten.sock" "$BC" bench \
	"${TENANT_N:-2000}" || true
DOCKER_HOST=unix://$ENGINE docker rm -f "$BC" "$BC-ops" >/dev/null
kill "$TPID" 2>/dev/null || true
fi

if want proxies; then
# its own stand-in engine (nginx on a unix socket), HAProxy and nginx as
# plain proxies, wrk and curl; BENCH_REPS, BENCH_SECS, BENCH_STREAM_MIB
"$ROOT/tests/bench/proxies.sh" "$BIN"
fi
