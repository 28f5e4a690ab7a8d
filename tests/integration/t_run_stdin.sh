#!/usr/bin/env bash
# docker run -i with stdin: attach with stdin=1 before start.
. "$(dirname "$0")/lib.sh"; sw_test_init
out=$(printf 'one\ntwo\n' | docker run --rm -i "$SW_IMAGE" sh -c 'cat; echo done')
assert_eq "one
two
done" "$out" "run -i"
out=$(ptyrun 24 80 "$DOCKER_CLI" run --rm -it "$SW_IMAGE" sh -c 'echo run-it-ok')
assert_contains "$out" run-it-ok "run -it"
