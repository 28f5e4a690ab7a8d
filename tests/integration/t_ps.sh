#!/usr/bin/env bash
# docker ps / ps -a / ps --filter sees a container made through the engine.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name ps); on_exit_rm_container "$c"
engine create --name "$c" --label sw.test=ps "$SW_IMAGE" true >/dev/null
docker ps >/dev/null
out=$(docker ps -a --filter "name=$c" --format '{{.Names}} {{.Status}}')
assert_contains "$out" "$c" "ps -a"
out=$(docker ps -a --filter label=sw.test=ps --no-trunc -q)
[ -n "$out" ] || fail "label filter found nothing"
docker inspect "$c" --format '{{.Name}}' | grep -qx "/$c"
