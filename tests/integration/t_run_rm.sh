#!/usr/bin/env bash
# docker run --rm (attach + wait?condition=removed + start), exit status passed through.
. "$(dirname "$0")/lib.sh"; sw_test_init
out=$(docker run --rm "$SW_IMAGE" echo hi)
assert_eq hi "$out" "docker run --rm echo hi"
out=$(docker20 run --rm "$SW_IMAGE" echo hi-from-cli20)
assert_eq hi-from-cli20 "$out" "CLI 20.10 run"
rc=0; docker run --rm "$SW_IMAGE" sh -c 'echo to-stderr >&2; exit 3' 2>"$SW_TMP/err" || rc=$?
assert_eq 3 "$rc" "exit status of run"
assert_eq to-stderr "$(cat "$SW_TMP/err")" "stderr of run"
out=$(docker run --rm --user 1000 "$SW_IMAGE" id -u)
assert_eq 1000 "$out" "id -u"
