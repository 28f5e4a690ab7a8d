#!/usr/bin/env bash
# docker events --since/--until: a bounded event query that the engine closes.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name ev); on_exit_rm_container "$c"
t0=$(date +%s)
docker create --name "$c" "$SW_IMAGE" true >/dev/null
docker rm "$c" >/dev/null
t1=$(( $(date +%s) + 1 ))
out=$(docker events --since "$t0" --until "$t1" --filter "container=$c" --format '{{.Type}} {{.Action}}')
assert_contains "$out" "container create" "events"
assert_contains "$out" "container destroy" "events"
# Streaming: an event arrives while the request is open (no --until).
timeout -s KILL 30 "$DOCKER_CLI" events --filter "container=$c-2" --filter event=start --format '{{.Action}}' >stream.out 2>&1 &
epid=$!
sleep 1   # let the CLI subscribe first
engine run --rm --name "$c-2" "$SW_IMAGE" true >/dev/null
wait_for 15 grep -q start stream.out || fail "no streamed start event: $(cat stream.out)"
kill "$epid" 2>/dev/null || true
