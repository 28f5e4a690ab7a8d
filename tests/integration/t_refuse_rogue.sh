#!/usr/bin/env bash
# sw-pass: tls
# TLS listener: a client certificate from an unrelated CA is refused.
. "$(dirname "$0")/lib.sh"; sw_test_init; tls_only
ca=$SW_CERTS/client/ca.pem
r=$SW_CERTS/rogue
url=https://$SW_TLS_ADDR/_ping
code=$(curl_t -sS -o body --cacert "$ca" --cert "$r/cert.pem" --key "$r/key.pem" -w '%{http_code}' "$url" 2>err) || true
log "curl with rogue cert: http_code=$code, $(head -c 200 err)"
[ "$code" != 200 ] || fail "rogue client certificate got HTTP 200"

out=$( (printf 'GET /v1.41/version HTTP/1.1\r\nHost: localhost\r\n\r\n'; sleep 2) |
	timeout -s KILL 15 openssl s_client -connect "$SW_TLS_ADDR" -CAfile "$ca" \
		-cert "$r/cert.pem" -key "$r/key.pem" -quiet 2>&1 || true)
assert_not_contains "$out" "HTTP/1.1 200" "s_client with rogue cert"
assert_not_contains "$out" "ApiVersion" "s_client with rogue cert"

# the docker CLI with the rogue cert path
rc=0; DOCKER_CERT_PATH=$r docker version --format '{{.Server.Version}}' >out 2>err || rc=$?
[ "$rc" != 0 ] || fail "docker CLI with the rogue certificate succeeded: $(cat out)"

# A certificate from the right CA but for the wrong purpose (the server's own
# certificate: extendedKeyUsage=serverAuth only) is no client certificate.
code=$(curl_t -sS -o body --cacert "$ca" --cert "$SW_CERTS/server/server-cert.pem" \
	--key "$SW_CERTS/server/server-key.pem" -w '%{http_code}' "$url" 2>err) || true
log "curl with a serverAuth-only cert: http_code=$code, $(head -c 200 err)"
[ "$code" != 200 ] || fail "a serverAuth-only certificate was accepted as a client certificate"
