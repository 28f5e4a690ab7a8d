#!/usr/bin/env bash
# sw-pass: tls
# Tenants (issue 9), visibility over mutual TLS: two client certificates of
# the suite's CA bound to two tenants by CN; each one's ps -a, volume ls,
# network ls, images and system df show its own objects (plus the shared
# base image and the built-in networks), never the other's; the suite's own
# client certificate (no tenant: an operator) sees both.
#
# The objects are made through the engine with the tenant label set
# explicitly: stamping it on a tenant's own creates is the ownership part of
# issue 9, not this test's subject.
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = tls ] || skip "runs once, in the tls pass"
. "$(dirname "$0")/policy_lib.sh"
CA=$SW_CERTS/ca
[ -s "$CA/test.pem" ] && [ -s "$CA/test-key.pem" ] || fail "gen-certs.sh left no CA key in $CA"

# issue CN -> $SW_TMP/pki-CN/{ca,cert,key}.pem (DOCKER_CERT_PATH layout)
issue() {
	local cn=$1 d=$SW_TMP/pki-$1
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" 2>/dev/null
	openssl req -new -sha256 -key "$d/key.pem" -subj "/CN=$cn" -out "$d/req.csr" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
		> "$d/ext.cnf"
	openssl x509 -req -sha256 -days 2 -in "$d/req.csr" -CA "$CA/test.pem" -CAkey "$CA/test-key.pem" \
		-CAcreateserial -CAserial "$d/ca.srl" -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null ||
		fail "could not issue a client certificate for CN=$cn"
	cp "$SW_CERTS/client/ca.pem" "$d/ca.pem"
}
TA=ta-$SW_RUN_ID TB=tb-$SW_RUN_ID L=io.sockward.tenant
issue "team-a-$SW_RUN_ID"; issue "team-b-$SW_RUN_ID"
PA=$SW_TMP/pki-team-a-$SW_RUN_ID PB=$SW_TMP/pki-team-b-$SW_RUN_ID

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
sw_policy_start tenants-tls '{ "default_profile": "restricted",
  "profiles": { "ten": { "base": "baseline" } },
  "bindings": [ { "match": { "cn": "sockward-test-client" }, "profile": "unrestricted" },
                { "match": { "cn": "team-a-*" }, "profile": "ten", "tenant": "'"$TA"'" },
                { "match": { "cn": "team-b-*" }, "profile": "ten", "tenant": "'"$TB"'" } ] }' \
	"{ \"name\": \"tls\", \"type\": \"tls\", \"address\": \"$ADDR\",
	   \"cert\": \"$SW_CERTS/server/server-cert.pem\", \"key\": \"$SW_CERTS/server/server-key.pem\",
	   \"ca\": \"$SW_CERTS/server/ca.pem\" }"
export DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1
as() { local dir=$1; shift; DOCKER_CERT_PATH=$dir docker "$@"; }

for who in a b; do
	t=$TA; [ "$who" = b ] && t=$TB
	c=$(uniq_name "c$who"); on_exit_rm_container "$c"; eval "C_$who=$c"
	v=$(uniq_name "v$who"); on_exit_rm_volume "$v"; eval "V_$who=$v"
	n=$(uniq_name "n$who"); on_exit_rm_network "$n"; eval "N_$who=$n"
	engine create --name "$c" --label "$L=$t" "$SW_IMAGE" true >/dev/null
	engine volume create --label "$L=$t" "$v" >/dev/null
	engine network create --label "$L=$t" "$n" >/dev/null
	i=local/$(uniq_name "i$who"):1; on_exit_rm_image "$i"; eval "I_$who=$i"
	mkdir -p "$SW_TMP/ctx-$who"; printf 'FROM %s\n' "$SW_IMAGE" > "$SW_TMP/ctx-$who/Dockerfile"
	DOCKER_BUILDKIT=0 engine build -q --label "$L=$t" -t "$i" "$SW_TMP/ctx-$who" >/dev/null 2>&1
done

# see CERTDIR OWN OTHER
see() {
	local d=$1 own=$2 other=$3 out who=${1##*/}
	local c_own=C_$own v_own=V_$own n_own=N_$own i_own=I_$own
	local c_oth=C_$other v_oth=V_$other n_oth=N_$other i_oth=I_$other
	out=$(as "$d" ps -a --format '{{.Names}}')
	assert_contains "$out" "${!c_own}" "$who: ps -a"
	assert_not_contains "$out" "${!c_oth}" "$who: ps -a"
	out=$(as "$d" volume ls -q)
	assert_contains "$out" "${!v_own}" "$who: volume ls"
	assert_not_contains "$out" "${!v_oth}" "$who: volume ls"
	out=$(as "$d" network ls --format '{{.Name}}')
	assert_contains "$out" "${!n_own}" "$who: network ls"
	printf '%s\n' "$out" | grep -qx bridge || fail "$who: network ls lacks bridge: $out"
	assert_not_contains "$out" "${!n_oth}" "$who: network ls"
	out=$(as "$d" images --format '{{.Repository}}:{{.Tag}}')
	assert_contains "$out" "${!i_own}" "$who: images"
	assert_contains "$out" "$SW_IMAGE" "$who: images (shared base image)"
	assert_not_contains "$out" "${!i_oth}" "$who: images"
	out=$(as "$d" system df -v)
	assert_contains "$out" "${!c_own}" "$who: system df -v"
	assert_not_contains "$out" "${!c_oth}" "$who: system df -v"
	assert_not_contains "$out" "${!v_oth}" "$who: system df -v"
}
see "$PA" a b
see "$PB" b a
log "ok: two certificates, two tenants: each sees its own"

out=$(as "$SW_CERTS/client" ps -a --format '{{.Names}}')
assert_contains "$out" "$C_a" "operator certificate: ps -a"
assert_contains "$out" "$C_b" "operator certificate: ps -a"
out=$(as "$SW_CERTS/client" images --format '{{.Repository}}:{{.Tag}}')
assert_contains "$out" "$I_a" "operator certificate: images"
assert_contains "$out" "$I_b" "operator certificate: images"
log "ok: the operator's certificate sees both"

as "$PB" container prune -f >/dev/null
engine inspect "$C_b" >/dev/null 2>&1 && fail "container prune of B left B's container"
engine inspect "$C_a" >/dev/null 2>&1 || fail "container prune of B removed A's container"
log "ok: prune over TLS spares the other tenant"
