#!/usr/bin/env bash
# echo data | docker exec -i c cat: stdin through the hijacked stream, then a
# half-close (TLS: close_notify) must end cat and the exec.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name execin); on_exit_rm_container "$c"
docker run -d --name "$c" "$SW_IMAGE" sleep 300 >/dev/null
out=$(echo data | docker exec -i "$c" cat)
assert_eq data "$out" "exec -i cat"
out=$(echo 'echo from-stdin; exit 4' | docker exec -i "$c" sh; echo "rc=$?")
assert_eq "from-stdin
rc=4" "$out" "exec -i sh"
# 1 MiB through stdin and back.
head -c 1048576 /dev/urandom > "$SW_TMP/in.bin"
docker exec -i "$c" cat < "$SW_TMP/in.bin" > "$SW_TMP/out.bin"
cmp "$SW_TMP/in.bin" "$SW_TMP/out.bin" || fail "1 MiB round trip through exec -i differs"
