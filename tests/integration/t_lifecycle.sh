#!/usr/bin/env bash
# Everyday container, image, network and volume commands (unrestricted policy).
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name life); on_exit_rm_container "$c"; on_exit_rm_container "$c-r"
docker create --name "$c" -e FOO=bar -w /tmp "$SW_IMAGE" sh -c 'echo $FOO $(pwd); sleep 300' >/dev/null
docker start "$c" >/dev/null
wait_for 10 sh -c "$DOCKER_CLI logs $c 2>&1 | grep -q 'bar /tmp'" || fail "env/workdir not applied"
docker top "$c" >/dev/null
docker stats --no-stream "$c" >/dev/null
docker pause "$c" >/dev/null
assert_eq paused "$(docker inspect -f '{{.State.Status}}' "$c")" "state after pause"
docker unpause "$c" >/dev/null
docker exec "$c" touch /tmp/changed
docker diff "$c" | grep -q /tmp/changed || fail "docker diff misses /tmp/changed"
docker rename "$c" "$c-r"
docker restart -t 0 "$c-r" >/dev/null
assert_eq running "$(docker inspect -f '{{.State.Status}}' "$c-r")" "state after restart"
img=local/$(uniq_name commit):1; on_exit_rm_image "$img"; on_exit_rm_image "$img-tag"
docker commit "$c-r" "$img" >/dev/null
docker tag "$img" "$img-tag"
docker kill "$c-r" >/dev/null
rc=$(docker wait "$c-r")
assert_eq 137 "$rc" "exit code after kill"
docker rm "$c-r" >/dev/null
docker rmi "$img-tag" >/dev/null

n=$(uniq_name net)
docker network create "$n" >/dev/null
docker run --rm --network "$n" "$SW_IMAGE" true
docker network rm "$n" >/dev/null
v=$(uniq_name vol)
docker volume create "$v" >/dev/null
out=$(docker run --rm -v "$v:/data" "$SW_IMAGE" sh -c 'echo persisted > /data/f; cat /data/f')
assert_eq persisted "$out" "volume"
docker volume rm "$v" >/dev/null
docker system df >/dev/null
docker network ls >/dev/null
docker volume ls >/dev/null
