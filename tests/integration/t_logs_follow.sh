#!/usr/bin/env bash
# docker run -d, then docker logs -f: read the first line, stop following.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name logs); on_exit_rm_container "$c"
docker run -d --name "$c" "$SW_IMAGE" sh -c 'i=0; while :; do echo line$i; i=$((i+1)); sleep 0.2; done' >/dev/null
first=$( (timeout -s KILL 20 "$DOCKER_CLI" logs -f "$c" || true) | head -n1)
assert_eq line0 "$first" "first line of logs -f"
# Follow mode keeps streaming: a later line shows up too.
got=$( (timeout -s KILL 20 "$DOCKER_CLI" logs -f --tail 0 "$c" || true) | head -n1)
case "$got" in line[0-9]*) ;; *) fail "no streamed line after --tail 0: [$got]";; esac
out=$(docker logs --tail 2 "$c")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "logs --tail 2 gave: $out"
docker stop -t 0 "$c" >/dev/null
