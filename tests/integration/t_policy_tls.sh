#!/usr/bin/env bash
# sw-pass: tls
# Policy, issue 3: certificate-identity bindings over a TLS listener of this
# test's own (the suite's certificates in $SW_CERTS, plus two client
# certificates issued here by the same test CA):
#   CN=sockward-test-client         -> baseline: a plain docker run passes,
#                                      --privileged is still denied
#   SAN DNS:*.ci.example            -> a warn-mode profile: forwarded with WARNINGs
#   any other CN                    -> default restricted: denied
#   a { "uid": 0 } binding listed first never matches a certificate client.
# Runs once (tls pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = tls ] || skip "runs once, in the tls pass"
. "$(dirname "$0")/policy_lib.sh"
CA=$SW_CERTS/ca
[ -s "$CA/test.pem" ] && [ -s "$CA/test-key.pem" ] || fail "gen-certs.sh left no CA key in $CA"

# issue CN [SAN] -> $SW_TMP/pki-CN/{ca,cert,key}.pem (DOCKER_CERT_PATH layout)
issue() {
	local cn=$1 san=${2:-} d=$SW_TMP/pki-$1
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" 2>/dev/null
	openssl req -new -sha256 -key "$d/key.pem" -subj "/CN=$cn" -out "$d/req.csr" 2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature"
		echo "extendedKeyUsage=clientAuth"
		[ -z "$san" ] || echo "subjectAltName=$san"
	} > "$d/ext.cnf"
	openssl x509 -req -sha256 -days 2 -in "$d/req.csr" -CA "$CA/test.pem" -CAkey "$CA/test-key.pem" \
		-CAcreateserial -CAserial "$d/ca.srl" -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null ||
		fail "could not issue a client certificate for CN=$cn"
	cp "$SW_CERTS/client/ca.pem" "$d/ca.pem"
}
OTHER=swt-other-$SW_RUN_ID CI=ci-runner-$SW_RUN_ID
issue "$OTHER"
issue "$CI" "DNS:runner.ci.example"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
sw_policy_start tls '{ "default_profile": "restricted",
  "profiles": { "ci": { "base": "restricted", "mode": "warn" } },
  "bindings": [ { "match": { "uid": 0 }, "profile": "unrestricted" },
                { "match": { "cn": "sockward-test-client" }, "profile": "baseline" },
                { "match": { "san": "DNS:*.ci.example" }, "profile": "ci" } ] }' \
	"{ \"name\": \"tls\", \"type\": \"tls\", \"address\": \"$ADDR\",
	   \"cert\": \"$SW_CERTS/server/server-cert.pem\", \"key\": \"$SW_CERTS/server/server-key.pem\",
	   \"ca\": \"$SW_CERTS/server/ca.pem\" }"
export DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1
as() { local dir=$1; shift; DOCKER_CERT_PATH=$dir docker "$@"; }

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE

# CN=sockward-test-client -> baseline
out=$(as "$SW_CERTS/client" run --rm "$IMG" echo hi 2>&1) ||
	fail "CN binding: plain docker run refused for CN=sockward-test-client: $out"
assert_eq hi "$out" "CN binding: docker run output"
line=$(audit_last "$PAUDIT" '"endpoint":"container.create"')
assert_contains "$line" '"profile":"baseline"' "CN binding: profile in the audit line"
assert_contains "$line" 'sockward-test-client' "CN binding: identity in the audit line"
out=$(as "$SW_CERTS/client" run --rm --privileged "$IMG" true 2>&1) &&
	fail "CN binding: baseline allowed --privileged"
assert_contains "$out" "sockward: denied by policy 'baseline'" "CN binding: baseline denial"
assert_contains "$out" "[privileged]" "CN binding: baseline denial"
out=$(as "$SW_CERTS/client" run --rm -v /var/run/docker.sock:/s "$IMG" true 2>&1) &&
	fail "CN binding: baseline allowed the docker socket"
assert_contains "$out" "[mounts.docker_socket]" "CN binding: baseline denies the socket"
log "ok: CN=sockward-test-client -> baseline"

# another CN of the same CA -> default restricted (the uid 0 binding does not apply)
out=$(as "$SW_TMP/pki-$OTHER" run --rm "$IMG" echo hi 2>&1) &&
	fail "CN=$OTHER (no binding) was allowed a plain docker run: $out"
assert_contains "$out" "$DENIED" "default profile for an unbound CN"
assert_contains "$out" "$OTHER" "the denial names the certificate identity"
assert_contains "$out" "[user.root]" "restricted denial"
mapfile -t HARD < <(hard_args "$NET")
out=$(as "$SW_TMP/pki-$OTHER" run --rm "${HARD[@]}" "$IMG" echo ok 2>&1) ||
	fail "CN=$OTHER: the hardened command was refused: $out"
assert_eq ok "$out" "hardened run for an unbound CN"
log "ok: CN=$OTHER -> restricted"

# SAN DNS:runner.ci.example -> ci (warn)
c=$(uniq_name ci); on_exit_rm_container "$c"
err=$(as "$SW_TMP/pki-$CI" create --name "$c" --network "$NET" "$IMG" true 2>&1 >/dev/null) ||
	fail "SAN binding: warn-mode create refused: $err"
assert_contains "$err" "WARNING: sockward: [user.root]" "SAN binding: warnings"
line=$(audit_last "$PAUDIT" "\"path\":\"/v[0-9.]*/containers/create\\?name=$c\"")
assert_contains "$line" '"profile":"ci"' "SAN binding: profile"
assert_contains "$line" '"verdict":"warn"' "SAN binding: verdict"
log "ok: SAN DNS:*.ci.example -> ci (warn)"

# a certificate of another CA never gets as far as the policy
out=$(DOCKER_CERT_PATH=$SW_CERTS/rogue docker version --format '{{.Server.Version}}' 2>&1) &&
	fail "a rogue client certificate was accepted: $out"
log "ok: rogue certificate refused"
