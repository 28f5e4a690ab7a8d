#!/usr/bin/env bash
# Classic builder: POST /build with a tar body, streamed JSON progress.
. "$(dirname "$0")/lib.sh"; sw_test_init
img=local/$(uniq_name bc):1; on_exit_rm_image "$img"
mkdir ctx
printf 'FROM %s\nCOPY msg.txt /msg.txt\nRUN echo built-by-classic >> /msg.txt\nUSER 1000\nCMD ["cat","/msg.txt"]\n' "$SW_IMAGE" > ctx/Dockerfile
echo hello-build > ctx/msg.txt
head -c 2000000 /dev/urandom > ctx/filler.bin
DOCKER_BUILDKIT=0 timeout -s KILL 120 "$DOCKER_CLI" build --no-cache -t "$img" ctx >build.log 2>&1 ||
	{ cat build.log >&2; fail "classic build failed"; }
out=$(docker run --rm "$img")
assert_eq "hello-build
built-by-classic" "$out" "built image output"
