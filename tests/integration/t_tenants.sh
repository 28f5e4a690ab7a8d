#!/usr/bin/env bash
# sw-pass: tls
# Tenants (issue 9), ownership: two tenants on one engine, over mutual TLS
# (two client certificates of the test CA) and over a unix listener (two
# uids), on one sockward of this test's own:
#   CN=red-<id>,  uid 1000  -> tenant red
#   CN=blue-<id>, uid 1001  -> tenant blue
#   CN=green-<id>           -> tenant green, with a quota of one container
#   uid 0                   -> an operator (no tenant)
# Every cross-tenant operation fails with the engine's own 404 text (the
# text the engine gives for a name that does not exist), each tenant's own
# workflow works, labels are stamped and cannot be spoofed, an ID prefix of
# the other tenant's container resolves to nothing, a quota is enforced.
# Runs once (tls pass).
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
RED=red-$SW_RUN_ID BLUE=blue-$SW_RUN_ID GREEN=green-$SW_RUN_ID
issue "$RED"; issue "$BLUE"; issue "$GREEN"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
PUB=$(mktemp -d /tmp/swten.XXXXXX); chmod 0755 "$PUB"
mkdir -m 0777 "$PUB/cfg1000" "$PUB/cfg1001"
trap 'rc=$?; rm -rf "$PUB"; (exit $rc); _swp_exit' EXIT
sw_policy_start tenants "{ \"default_profile\": \"restricted\",
  \"profiles\": { \"team\": { \"base\": \"baseline\" },
                \"small\": { \"base\": \"team\", \"quota\": { \"containers\": 1, \"volumes\": 1 } } },
  \"bindings\": [ { \"match\": { \"uid\": 0 }, \"profile\": \"baseline\" },
                { \"match\": { \"cn\": \"$RED\" }, \"profile\": \"team\", \"tenant\": \"red\" },
                { \"match\": { \"uid\": 1000 }, \"profile\": \"team\", \"tenant\": \"red\" },
                { \"match\": { \"cn\": \"$BLUE\" }, \"profile\": \"team\", \"tenant\": \"blue\" },
                { \"match\": { \"uid\": 1001 }, \"profile\": \"team\", \"tenant\": \"blue\" },
                { \"match\": { \"cn\": \"$GREEN\" }, \"profile\": \"small\", \"tenant\": \"green\" } ] }" \
	"{ \"name\": \"tls\", \"type\": \"tls\", \"address\": \"$ADDR\",
	   \"cert\": \"$SW_CERTS/server/server-cert.pem\", \"key\": \"$SW_CERTS/server/server-key.pem\",
	   \"ca\": \"$SW_CERTS/server/ca.pem\" },
	 { \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PUB/t.sock\", \"mode\": \"0666\" }"

# red/blue/green over TLS; ured/ublue over the unix listener as uid 1000/1001
red()   { DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$SW_TMP/pki-$RED docker "$@"; }
blue()  { DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$SW_TMP/pki-$BLUE docker "$@"; }
green() { DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$SW_TMP/pki-$GREEN docker "$@"; }
asuid() {
	local u=$1; shift
	DOCKER_CONFIG=$PUB/cfg$u DOCKER_HOST=unix://$PUB/t.sock HOME=$PUB DOCKER_TLS_VERIFY= \
		DOCKER_CERT_PATH= timeout -s KILL "$SW_CMD_TIMEOUT" \
		setpriv --reuid="$u" --regid="$u" --clear-groups "$DOCKER_CLI" "$@"
}
ured()  { asuid 1000 "$@"; }
ublue() { asuid 1001 "$@"; }
ops()   { DOCKER_HOST=unix://$PUB/t.sock DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker "$@"; }
IMG=$SW_IMAGE

# what the engine itself answers for a name that does not exist, with the
# name put back: the text (and exit status) a tenant must get for another
# tenant's object.  cross NAME WHAT WHO CMD...: CMD with @ for the name.
cross() {
	local name=$1 what=$2 who=$3 ghost want wrc out rc; shift 3
	ghost=swt-ghost-$RANDOM$RANDOM
	wrc=0; want=$(engine "${@//@/$ghost}" 2>&1) || wrc=$?
	want=${want//$ghost/$name}
	[ "$wrc" != 0 ] || [ -n "$want" ] || fail "$what: the engine gave no error for a missing object"
	rc=0; out=$("$who" "${@//@/$name}" 2>&1) || rc=$?
	assert_eq "$want" "$out" "$what (the engine's own 404)"
	assert_eq "$wrc" "$rc" "$what: exit status"
}
# ---- red's own workflow ----------------------------------------------------------------
RC=$(uniq_name red); on_exit_rm_container "$RC"
RV=$(uniq_name redvol); on_exit_rm_volume "$RV"
RN=$(uniq_name rednet); on_exit_rm_network "$RN"
out=$(red volume create "$RV" 2>&1) || fail "red: volume create: $out"
out=$(red network create -o com.docker.network.bridge.enable_icc=false "$RN" 2>&1) ||
	fail "red: network create: $out"
out=$(red run -d --name "$RC" --network "$RN" -v "$RV":/data -v /anon "$IMG" sleep 300 2>&1) ||
	fail "red: run -d: $out"
RID=$(engine inspect -f '{{.Id}}' "$RC")
assert_eq red "$(engine inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$RC")" "container label"
assert_eq red "$(engine volume inspect -f '{{index .Labels "io.sockward.tenant"}}' "$RV")" "volume label"
assert_eq red "$(engine network inspect -f '{{index .Labels "io.sockward.tenant"}}' "$RN")" "network label"
anon=$(engine inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' "$RC")
[ -n "$anon" ] || fail "no anonymous volume at /anon"
assert_eq red "$(engine volume inspect -f '{{index .Labels "io.sockward.tenant"}}' "$anon")" \
	"the anonymous volume belongs to the tenant"
out=$(red exec "$RC" sh -c 'echo hello > /data/f; cat /data/f' 2>&1) || fail "red: exec: $out"
assert_eq hello "$out" "red: exec"
out=$(red logs "$RC" 2>&1) || fail "red: logs: $out"
out=$(red cp "$RC":/data/f "$SW_TMP/f" 2>&1) || fail "red: cp: $out"
assert_eq hello "$(cat "$SW_TMP/f")" "red: cp"
out=$(red inspect -f '{{.Name}}' "$RC" 2>&1) || fail "red: inspect: $out"
assert_eq "/$RC" "$out" "red: inspect"
# a named volume that does not exist yet: dockerd creates it, as the tenant's
RV2=$(uniq_name redvol2); on_exit_rm_volume "$RV2"
out=$(red run --rm -v "$RV2":/v:ro "$IMG" true 2>&1) || fail "red: run -v new volume: $out"
assert_eq red "$(engine volume inspect -f '{{index .Labels "io.sockward.tenant"}}' "$RV2")" \
	"a volume made by docker run -v belongs to the tenant"
# its own container by ID prefix, and its own network connect/disconnect
out=$(red exec "${RID:0:12}" cat /data/f 2>&1) || fail "red: exec by ID prefix: $out"
assert_eq hello "$out" "red: exec by ID prefix"
RC2=$(uniq_name red2); on_exit_rm_container "$RC2"
out=$(red run -d --name "$RC2" "$IMG" sleep 300 2>&1) || fail "red: second container: $out"
out=$(red network connect "$RN" "$RC2" 2>&1) || fail "red: network connect: $out"
engine inspect -f '{{json .NetworkSettings.Networks}}' "$RC2" | grep -q "\"$RN\"" ||
	fail "red: $RC2 is not on $RN after network connect"
out=$(red network disconnect "$RN" "$RC2" 2>&1) || fail "red: network disconnect: $out"
out=$(red rm -f "$RC2" 2>&1) || fail "red: rm -f $RC2: $out"
# logs -f to the end of a container's output
LF=$(uniq_name redlf); on_exit_rm_container "$LF"
out=$(red run -d --name "$LF" "$IMG" sh -c 'echo one; sleep 1; echo two' 2>&1) || fail "red: run: $out"
out=$(red logs -f "$LF" 2>&1) || fail "red: logs -f: $out"
assert_eq "one
two" "$out" "red: logs -f"
# docker build (classic): the image is red's; blue cannot see, run or remove it
RI=$(uniq_name redimg); on_exit_rm_image "$RI"
mkdir -p "$SW_TMP/ctx"; printf 'FROM %s\nLABEL io.example.team=web\n' "$IMG" > "$SW_TMP/ctx/Dockerfile"
out=$(DOCKER_BUILDKIT=0 red build -q -t "$RI" "$SW_TMP/ctx" 2>&1) || fail "red: build: $out"
assert_eq red "$(engine image inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$RI")" "built image label"
cross "$RI" "blue: image inspect" blue image inspect @
cross "$RI" "blue: rmi" blue rmi @
cross "$RI" "blue: history" blue history @
out=$(red run --rm "$RI" echo built 2>&1) || fail "red: run its image: $out"
assert_eq built "$out" "red: run its own image"
# the same tenant over the unix listener (uid 1000) shares red's objects
out=$(ured exec "$RC" cat /data/f 2>&1) || fail "uid 1000 (tenant red): exec: $out"
assert_eq hello "$out" "uid 1000 (tenant red): exec"
log "ok: red's own workflow (run, exec, logs, cp, inspect) over TLS and unix; labels stamped"

# ---- blue cannot see or touch any of it ---------------------------------------------------
cross "$RC" "blue: exec"    blue exec @ true
cross "$RC" "blue: logs"    blue logs @
cross "$RC" "blue: inspect" blue inspect @
cross "$RC" "blue: export"  blue export -o "$SW_TMP/x.tar" @
cross "$RC" "blue: attach"  blue attach --no-stdin @
cross "$RC" "blue: rm -f"   blue rm -f @
cross "$RC" "blue: stop"    blue stop -t 1 @
cross "$RC" "blue: cp"      blue cp @:/data/f "$SW_TMP/g"
cross "$RC" "uid 1001 (blue): logs" ublue logs @
cross "$RC" "uid 1001 (blue): exec" ublue exec @ true
cross "$RV" "blue: volume inspect" blue volume inspect @
cross "$RV" "blue: volume rm"      blue volume rm @
cross "$RN" "blue: network inspect" blue network inspect @
# an ID prefix of red's container resolves to nothing
PFX=${RID:0:12}
cross "$PFX" "blue: logs by ID prefix" blue logs @
cross "$RID" "blue: exec by full ID"   blue exec @ true
engine inspect "$RC" >/dev/null 2>&1 || fail "red's container is gone after blue's attempts"
log "ok: blue gets the engine's own 404 for red's container, volume, network, ID prefix and full ID"

# blue's own container, and references to red's objects inside blue's bodies
BC=$(uniq_name blue); on_exit_rm_container "$BC"
out=$(blue run -d --name "$BC" "$IMG" sleep 300 2>&1) || fail "blue: run -d: $out"
out=$(blue run --rm -v "$RV":/x "$IMG" true 2>&1) && fail "blue mounted red's volume: $out"
assert_contains "$out" "get $RV: no such volume" "blue: -v red's volume"
out=$(blue run --rm --volumes-from "$RC" "$IMG" true 2>&1) && fail "blue: --volumes-from red's: $out"
assert_contains "$out" "No such container: $RC" "blue: --volumes-from"
out=$(blue run --rm --network container:"$RC" "$IMG" true 2>&1) && fail "blue: --network container: $out"
assert_contains "$out" "No such container: $RC" "blue: --network container:"
out=$(blue run --rm --network "$RN" "$IMG" true 2>&1) && fail "blue joined red's network: $out"
assert_contains "$out" "network $RN not found" "blue: --network red's network"
cross "$RN" "blue: network connect (red's network)" blue network connect @ "$BC"
out=$(blue network connect bridge "$RC" 2>&1) && fail "blue connected red's container: $out"
assert_contains "$out" "No such container: $RC" "blue: network connect of red's container"
# the name red's container has: a 409 that does not carry red's ID
out=$(blue create --name "$RC" "$IMG" true 2>&1) && fail "blue created a second $RC: $out"
assert_contains "$out" "The container name \"/$RC\" is already in use" "blue: name conflict"
assert_not_contains "$out" "$PFX" "blue: name conflict leaks red's ID"
# the engine's own 409 (the name checked free or the tenant's own, then taken):
# the answer is rewritten without the ID
out=$(red create --name "$RC" "$IMG" true 2>&1) && fail "red created a second $RC: $out"
assert_contains "$out" "The container name \"/$RC\" is already in use by another container" "red: engine's 409"
assert_not_contains "$out" "$PFX" "red: the engine's 409 keeps an ID"
log "ok: blue's bodies cannot reference red's volume, container or network; no ID in a name conflict"

# exec instances go with their container
EID=$(curl_t -s --unix-socket "$SW_ENGINE_SOCK" -X POST -H 'Content-Type: application/json' \
	-d '{"Cmd":["true"]}' "http://d/v1.41/containers/$RID/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
out=$(setpriv --reuid=1001 --regid=1001 --clear-groups curl -s --unix-socket "$PUB/t.sock" \
	"http://d/v1.41/exec/$EID/json")
assert_eq "{\"message\":\"No such exec instance: $EID\"}" "$out" "uid 1001: red's exec instance"
out=$(setpriv --reuid=1000 --regid=1000 --clear-groups curl -s --unix-socket "$PUB/t.sock" \
	"http://d/v1.41/exec/$EID/json")
assert_contains "$out" "\"ContainerID\":\"$RID\"" "uid 1000: its own exec instance"
log "ok: exec instances"

# ---- labels cannot be spoofed --------------------------------------------------------------
out=$(blue run --rm --label io.sockward.tenant=red "$IMG" true 2>&1) && fail "blue set red's label: $out"
assert_contains "$out" "[tenant.isolation]" "spoofed label"
assert_contains "$out" "the label io.sockward.tenant is set by sockward only" "spoofed label"
out=$(blue volume create --label io.sockward.tenant=red 2>&1) && fail "blue: spoofed volume label: $out"
assert_contains "$out" "[tenant.isolation]" "spoofed volume label"
out=$(blue commit --change 'LABEL io.sockward.tenant=red' "$BC" 2>&1) && fail "blue: spoofed commit: $out"
assert_contains "$out" "[tenant.isolation]" "spoofed commit label"
wait_audit "$PAUDIT" '"rules":\["tenant.isolation"\]' || fail "no audit line with tenant.isolation"
log "ok: labels cannot be spoofed; refusals audited as tenant.isolation"

# ---- the ownership cache follows the engine's events --------------------------------------
# red's container is looked up (and cached); the engine then removes it and
# makes blue's container under the same name: red must never reach it, and
# soon gets the engine's 404 for the name
SN=$(uniq_name swap); on_exit_rm_container "$SN"
out=$(red create --name "$SN" "$IMG" true 2>&1) || fail "red: create $SN: $out"
red inspect -f '{{.Id}}' "$SN" >/dev/null 2>&1 || fail "red: inspect $SN"
red inspect -f '{{.Id}}' "$SN" >/dev/null 2>&1 || fail "red: inspect $SN again"
engine rm "$SN" >/dev/null
engine create --name "$SN" --label io.sockward.tenant=blue "$IMG" true >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
	out=$(red inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$SN" 2>&1) &&
		fail "red reached blue's container through a stale answer: $out"
	case "$out" in *"No such object: $SN"*) break ;; esac
	sleep 0.2
done
assert_contains "$out" "No such object: $SN" "red: a name swapped to blue's container"
out=$(blue inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$SN" 2>&1) || fail "blue: inspect $SN: $out"
assert_eq blue "$out" "blue: its new container"
log "ok: a name swapped between tenants on the engine is never reached through the cache"

# ---- the operator sees everything -----------------------------------------------------------
out=$(ops logs "$RC" 2>&1) || fail "operator: logs of red's container: $out"
out=$(ops inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$BC" 2>&1) || fail "operator: inspect: $out"
assert_eq blue "$out" "operator: blue's container"
log "ok: an operator acts on every tenant's objects"

# ---- quota ----------------------------------------------------------------------------------
GC=$(uniq_name green); on_exit_rm_container "$GC"
out=$(green create --name "$GC" "$IMG" true 2>&1) || fail "green: first container: $out"
G2=$(uniq_name green); on_exit_rm_container "$G2"
out=$(green create --name "$G2" "$IMG" true 2>&1) && fail "green: over its quota: $out"
assert_contains "$out" "[tenant.quota] quota of tenant green: at most 1 containers (running or not), it has 1" \
	"quota message"
assert_contains "$out" "remove one (docker rm)" "quota fix"
out=$(green rm "$GC" 2>&1) || fail "green: rm: $out"
out=$(green create --name "$G2" "$IMG" true 2>&1) || fail "green: after rm, within quota: $out"
log "ok: container quota"

# ---- compose: two tenants, two projects, one engine ----------------------------------------
# (project names differ: container, network and volume names start with them)
mkdir -p "$SW_TMP/compose"
cat > "$SW_TMP/compose/docker-compose.yml" <<YML
version: "3.7"
services:
  web:
    image: $IMG
    command: ["sh", "-c", "echo up-\$\$TEAM; sleep 300"]
    environment: [TEAM]
    volumes: [data:/data]
    networks: [appnet]
networks:
  appnet: {}
volumes:
  data: {}
YML
RP=$(uniq_name rp | tr -cd 'a-z0-9') BP=$(uniq_name bp | tr -cd 'a-z0-9')
compose_as() {   # compose_as CERT-CN PROJECT ARGS...
	local cn=$1 p=$2; shift 2
	(cd "$SW_TMP/compose" && TEAM=$cn DOCKER_HOST=tcp://$ADDR DOCKER_TLS_VERIFY=1 \
		DOCKER_CERT_PATH=$SW_TMP/pki-$cn compose -p "$p" "$@")
}
cdown() {
	set +eE; trap - ERR
	compose_as "$RED" "$RP" down -v -t 1 >/dev/null 2>&1
	compose_as "$BLUE" "$BP" down -v -t 1 >/dev/null 2>&1
	engine rm -f "${RP}_web_1" "${BP}_web_1" >/dev/null 2>&1
	engine network rm "${RP}_appnet" "${BP}_appnet" >/dev/null 2>&1
	engine volume rm "${RP}_data" "${BP}_data" >/dev/null 2>&1
	return 0
}
trap 'rc=$?; cdown; rm -rf "$PUB"; (exit $rc); _swp_exit' EXIT
out=$(compose_as "$RED" "$RP" up -d 2>&1) || fail "red: compose up: $out"
out=$(compose_as "$BLUE" "$BP" up -d 2>&1) || fail "blue: compose up: $out"
for p in "$RP" "$BP"; do
	t=$(engine inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "${p}_web_1")
	[ "$p" = "$RP" ] && want=red || want=blue
	assert_eq "$want" "$t" "compose container of $p"
	assert_eq "$want" "$(engine network inspect -f '{{index .Labels "io.sockward.tenant"}}' "${p}_appnet")" "compose network of $p"
	assert_eq "$want" "$(engine volume inspect -f '{{index .Labels "io.sockward.tenant"}}' "${p}_data")" "compose volume of $p"
done
wait_for 10 sh -c "DOCKER_HOST=unix://$SW_ENGINE_SOCK docker logs ${RP}_web_1 2>&1 | grep -q up-$RED" ||
	fail "red's compose service did not start"
out=$(compose_as "$RED" "$RP" logs --no-color web 2>&1) || fail "red: compose logs: $out"
assert_contains "$out" "up-$RED" "red: compose logs"
out=$(red logs "${BP}_web_1" 2>&1) && fail "red read blue's compose logs: $out"
assert_contains "$out" "No such container: ${BP}_web_1" "red: logs of blue's compose service"
out=$(compose_as "$RED" "$RP" down -v -t 1 2>&1) || fail "red: compose down: $out"
engine inspect "${BP}_web_1" >/dev/null 2>&1 || fail "red's compose down removed blue's service"
out=$(compose_as "$BLUE" "$BP" down -v -t 1 2>&1) || fail "blue: compose down: $out"
[ -z "$(engine ps -aq --filter "name=${RP}_" --filter "name=${BP}_")" ] || fail "compose left containers"
log "ok: compose up/logs/down of two tenants, each stamped and isolated"

# ---- red cleans up its own ------------------------------------------------------------------
out=$(red rmi "$RI" 2>&1) || fail "red: rmi its image: $out"
out=$(red rm -f -v "$RC" 2>&1) || fail "red: rm -f: $out"
out=$(red volume rm "$RV" "$RV2" 2>&1) || fail "red: volume rm: $out"
out=$(red network rm "$RN" 2>&1) || fail "red: network rm: $out"
engine volume inspect "$anon" >/dev/null 2>&1 && fail "rm -v left the anonymous volume"
log "ok: red removes its own container, volume and network"
