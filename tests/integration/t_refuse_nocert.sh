#!/usr/bin/env bash
# sw-pass: tls
# TLS listener: a client without a certificate is refused (no HTTP 200 from the engine).
. "$(dirname "$0")/lib.sh"; sw_test_init; tls_only
ca=$SW_CERTS/client/ca.pem
url=https://$SW_TLS_ADDR/_ping
# control: the right certificate gets through
out=$(curl_t -sS --cacert "$ca" --cert "$SW_CERTS/client/cert.pem" --key "$SW_CERTS/client/key.pem" "$url")
assert_eq OK "$out" "control request with the client certificate"

code=$(curl_t -sS -o body --cacert "$ca" -w '%{http_code}' "$url" 2>err) || true
log "curl without cert: http_code=$code, $(head -c 200 err)"
[ "$code" != 200 ] || fail "request without a client certificate got HTTP 200"
[ ! -s body ] || assert_not_contains "$(cat body)" OK "body"

# openssl s_client sends the request right after its side of the handshake
# (TLS 1.3: before it learns the server's verdict); nothing may come back.
out=$( (printf 'GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n'; sleep 2) |
	timeout -s KILL 15 openssl s_client -connect "$SW_TLS_ADDR" -CAfile "$ca" -quiet 2>&1 || true)
assert_not_contains "$out" "HTTP/1.1 200" "s_client without cert"
assert_not_contains "$out" "Api-Version" "s_client without cert"
