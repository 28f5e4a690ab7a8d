#!/usr/bin/env bash
# docker attach to a running container with stdin open, driven like the
# attach-stdin capture: commands arrive over time, the last one exits 5.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name att); on_exit_rm_container "$c"
docker run -d -i --name "$c" "$SW_IMAGE" sh >/dev/null
rc=0
out=$( (sleep 0.7; echo "echo attach-ok"; sleep 0.7; echo "exit 5") | docker attach "$c") || rc=$?
assert_eq attach-ok "$out" "attach output"
assert_eq 5 "$rc" "attach exit status"
st=$(engine inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$c")
assert_eq "exited 5" "$st" "container state after attach"
