#!/usr/bin/env bash
# docker info: a large JSON answer (GET /info).
. "$(dirname "$0")/lib.sh"; sw_test_init
out=$(docker info --format '{{.ServerVersion}} {{.Driver}} {{.Images}}')
log "$out"
read -r sv drv n <<<"$out"
[ -n "$sv" ] && [ -n "$drv" ] || fail "incomplete info: $out"
[ "$n" -ge 1 ] || fail "engine reports $n images"
docker info >/dev/null
