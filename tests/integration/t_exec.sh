#!/usr/bin/env bash
# docker exec without and with a tty; exit codes and stderr passed through.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name exec); on_exit_rm_container "$c"
docker run -d --name "$c" "$SW_IMAGE" sleep 300 >/dev/null

rc=0; out=$(docker exec "$c" sh -c 'echo out; echo err >&2; exit 7' 2>"$SW_TMP/err") || rc=$?
assert_eq 7 "$rc" "exit status of exec"
assert_eq out "$out" "exec stdout"
assert_eq err "$(cat "$SW_TMP/err")" "exec stderr"
out=$(docker exec --user nobody "$c" id -un)
assert_eq nobody "$out" "exec --user"

# -t needs a terminal: ptyrun.py gives the CLI a pty of a known size.
rc=0
out=$(ptyrun 24 80 "$DOCKER_CLI" exec -it "$c" sh -c 'echo tty-ok; tty; exit 3') || rc=$?
assert_eq 3 "$rc" "exit status of exec -it"
assert_contains "$out" tty-ok "exec -it output"
assert_contains "$out" /dev/pts/ "tty inside exec -it"

# The CLI sends the terminal size (POST /exec/ID/resize); the shell inside sees it.
# API 1.41 has no ConsoleSize in exec start, so the resize races the command: poll.
poll='for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do s=$(stty size 2>/dev/null); [ "$s" = "31 101" ] && break; sleep 0.2; done; echo "size=$s"'
out=$(ptyrun 31 101 "$DOCKER_CLI" exec -it "$c" sh -c "$poll" | tr -d '\r')
assert_contains "$out" "size=31 101" "terminal size inside exec -it"
