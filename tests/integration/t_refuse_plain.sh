#!/usr/bin/env bash
# sw-pass: tls
# TLS listener: plain HTTP to the TLS port is refused.
. "$(dirname "$0")/lib.sh"; sw_test_init; tls_only
code=$(curl_t -sS -o body -w '%{http_code}' "http://$SW_TLS_ADDR/_ping" 2>err) || true
log "plain curl: http_code=$code, $(head -c 200 err)"
[ "$code" != 200 ] || fail "plain HTTP got HTTP 200"
out=$(printf 'GET /v1.41/version HTTP/1.0\r\nHost: x\r\n\r\n' |
	timeout -s KILL 15 socat -t 3 - "TCP:$SW_TLS_ADDR" 2>&1 | head -c 4096 | tr -d '\0' || true)
assert_not_contains "$out" "200 OK" "raw plain request"
assert_not_contains "$out" "ApiVersion" "raw plain request"
rc=0; DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker version --format '{{.Server.Version}}' >out 2>err || rc=$?
[ "$rc" != 0 ] || fail "docker CLI without TLS succeeded: $(cat out)"
# sockward still serves proper clients afterwards
out=$(docker version --format '{{.Server.Version}}')
[ -n "$out" ] || fail "no version after the refusals"
