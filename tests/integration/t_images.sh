#!/usr/bin/env bash
# docker images / image inspect / image ls with a reference filter.
. "$(dirname "$0")/lib.sh"; sw_test_init
out=$(docker images --format '{{.Repository}}:{{.Tag}}')
assert_contains "$out" "$SW_IMAGE" "docker images"
out=$(docker images --filter "reference=local/busybox" -q)
[ -n "$out" ] || fail "reference filter found nothing"
u=$(docker image inspect "$SW_IMAGE" --format '{{.Config.Cmd}}')
assert_eq "[/bin/sh]" "$u" "image Cmd"
