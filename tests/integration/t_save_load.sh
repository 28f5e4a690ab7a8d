#!/usr/bin/env bash
# docker save | docker load of a >= 200 MiB image: both directions stream
# through sockward; its peak RSS must stay small (< 32 MiB for the release build).
. "$(dirname "$0")/lib.sh"; sw_test_init
img=${SW_BIG_IMAGE:-local/swbig:210m}
engine image inspect "$img" >/dev/null || fail "fixture image $img missing (run.sh creates it)"
before=$(sw_hwm_kib || true)
docker save "$img" > /dev/null & spid=$!
# save and load at the same time, to stress both directions at once
SW_CMD_TIMEOUT=240 docker save "$img" | tee >(wc -c > bytes) | SW_CMD_TIMEOUT=240 docker load > load.out
wait $spid || fail "the parallel docker save failed"
sleep 0.2
n=$(cat bytes)
[ "$n" -ge $((200 * 1024 * 1024)) ] || fail "docker save produced only $n bytes"
assert_contains "$(cat load.out)" "Loaded image" "docker load"
after=$(sw_hwm_kib || true)
log "saved+loaded $((n / 1048576)) MiB; sockward VmHWM before ${before:-n/a} KiB, after ${after:-n/a} KiB"
record "save_load[$SW_LISTENER]: $((n / 1048576)) MiB, sockward VmHWM ${after:-n/a} KiB"
if [ -n "$after" ] && [ "${SW_SANITIZED:-0}" != 1 ]; then
	[ "$after" -lt $((32 * 1024)) ] || fail "sockward peak RSS $after KiB >= 32 MiB"
fi

# A consumer that stalls: sockward must stop reading from the engine (bounded
# buffers) rather than soak up the image.
SW_CMD_TIMEOUT=240 docker save "$img" | (sleep 4; wc -c > slow.bytes)
assert_eq "$n" "$(cat slow.bytes)" "bytes saved to a slow reader"
after=$(sw_hwm_kib || true)
log "after a stalled reader: sockward VmHWM ${after:-n/a} KiB"
record "save_load[$SW_LISTENER] stalled reader: sockward VmHWM ${after:-n/a} KiB"
if [ -n "$after" ] && [ "${SW_SANITIZED:-0}" != 1 ]; then
	[ "$after" -lt $((32 * 1024)) ] || fail "sockward peak RSS $after KiB >= 32 MiB after a stalled reader"
fi
