#!/usr/bin/env bash
# BuildKit with CLI 20.10: POST /session (Upgrade: h2c) + POST /build?version=2.
# It does not use POST /grpc (build.grpc, refused by every built-in profile;
# tests/fixtures/captures/build-buildkit-cli20* hold the whole exchange: /_ping,
# /session, /build), so it keeps working under the suite's profile.
. "$(dirname "$0")/lib.sh"; sw_test_init
img=local/$(uniq_name bk):1; on_exit_rm_image "$img"
mkdir ctx
printf 'FROM %s\nCOPY msg.txt /msg.txt\nRUN echo built-by-buildkit >> /msg.txt\nCMD ["cat","/msg.txt"]\n' "$SW_IMAGE" > ctx/Dockerfile
echo hello-buildkit > ctx/msg.txt
DOCKER_BUILDKIT=1 timeout -s KILL 120 "$DOCKER_CLI20" build --progress=plain --no-cache -t "$img" ctx >build.log 2>&1 ||
	{ tail -30 build.log >&2; fail "BuildKit build failed"; }
out=$(docker run --rm "$img")
assert_eq "hello-buildkit
built-by-buildkit" "$out" "built image output"
