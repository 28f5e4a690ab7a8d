#!/usr/bin/env bash
# docker-compose 1.29: up -d, ps, logs, down with a custom network; the client
# service fetches a page from the web service over that network.
. "$(dirname "$0")/lib.sh"; sw_test_init
p=$(uniq_name cmp | tr -cd 'a-z0-9')
cat > docker-compose.yml <<YML
version: "3.7"
services:
  web:
    image: $SW_IMAGE
    command: ["httpd", "-f", "-p", "80", "-h", "/var/www"]
    networks: [appnet]
  client:
    image: $SW_IMAGE
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/index.html && break; sleep 0.5; done; echo client-done; sleep 300"]
    depends_on: [web]
    networks: [appnet]
networks:
  appnet: {}
YML
down() { compose -p "$p" down -t 1 >/dev/null 2>&1 || engine rm -f "${p}_web_1" "${p}_client_1" >/dev/null 2>&1 || true; }
trap 'down; _sw_run_cleanup' EXIT
compose -p "$p" up -d
ps=$(compose -p "$p" ps)
assert_contains "$ps" "${p}_web_1" "compose ps"
assert_contains "$ps" "${p}_client_1" "compose ps"
wait_for 15 sh -c "timeout -s KILL 30 docker-compose -p $p logs --no-color client | grep -q client-done" ||
	fail "client never finished: $(compose -p "$p" logs --no-color 2>&1 | tail -5)"
logs=$(compose -p "$p" logs --no-color client)
assert_contains "$logs" hello-from-busybox "client fetched web over the custom network"
compose -p "$p" down -t 1
left=$(engine ps -aq --filter "name=${p}_")
[ -z "$left" ] || fail "containers left after down: $left"
engine network inspect "${p}_appnet" >/dev/null 2>&1 && fail "network ${p}_appnet left after down"
trap _sw_run_cleanup EXIT
