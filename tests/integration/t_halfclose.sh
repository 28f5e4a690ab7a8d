#!/usr/bin/env bash
# Raw client that half-closes (shutdown(SHUT_WR); over TLS socat sends
# close_notify) right after its request: the response must still arrive.
. "$(dirname "$0")/lib.sh"; sw_test_init
case "$SW_LISTENER" in
tls)    addr="OPENSSL:$SW_TLS_ADDR,cert=$SW_CERTS/client/cert.pem,key=$SW_CERTS/client/key.pem,cafile=$SW_CERTS/client/ca.pem,commonname=localhost" ;;
unix)   addr="UNIX-CONNECT:$SW_UNIX_SOCK" ;;
direct) addr="UNIX-CONNECT:$SW_ENGINE_SOCK" ;;
esac
raw() { timeout -s KILL 20 socat -t 5 - "$addr"; }

out=$(printf 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n' | raw | tr -d '\r')
assert_contains "$out" "HTTP/1.1 200 OK" "GET /_ping after half-close"
assert_contains "$out" "OK" "GET /_ping body"

c=$(uniq_name hc); on_exit_rm_container "$c"
body='{"Image":"'"$SW_IMAGE"'","Cmd":["true"]}'
out=$(printf 'POST /v1.41/containers/create?name=%s HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	"$c" "${#body}" "$body" | raw | tr -d '\r')
assert_contains "$out" "HTTP/1.1 201 Created" "POST containers/create after half-close"
engine inspect "$c" >/dev/null
