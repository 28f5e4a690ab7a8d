#!/usr/bin/env bash
# Many clients at once: short requests, streams and containers side by side.
. "$(dirname "$0")/lib.sh"; sw_test_init
pids=()
for i in $(seq 1 12); do
	( out=$(docker version --format '{{.Server.Version}}') && [ -n "$out" ] ) & pids+=($!)
done
for i in $(seq 1 4); do
	( out=$(docker run --rm --name "$(uniq_name par)-$i" "$SW_IMAGE" echo "par-$i") && [ "$out" = "par-$i" ] ) & pids+=($!)
done
for i in $(seq 1 3); do
	( docker save "$SW_IMAGE" | tar -tf - >/dev/null ) & pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
[ "$bad" -eq 0 ] || fail "$bad of ${#pids[@]} parallel clients failed"
