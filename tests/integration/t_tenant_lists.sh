#!/usr/bin/env bash
# sw-pass: unix
# Tenants (issue 9), visibility: lists, events, system df and prunes of an
# identity with a tenant show and remove only that tenant's objects (plus
# untenanted images and the built-in networks).  Two tenants over the unix
# listener, by uid: uid 1000 -> tenant A, uid 65534 -> tenant B; uid 0 is an
# operator (no tenant).
#
# The objects are made by the operator with the tenant label set
# explicitly (--label io.sockward.tenant=<t>): stamping the label on a
# tenant's own creates is the ownership part of issue 9 (other tests), and
# this one does not depend on it.
. "$(dirname "$0")/lib.sh"; sw_test_init
. "$(dirname "$0")/policy_lib.sh"

TA=ta-$SW_RUN_ID TB=tb-$SW_RUN_ID L=io.sockward.tenant
PUB=$(mktemp -d /tmp/swten.XXXXXX); chmod 0755 "$PUB"
mkdir -m 0777 "$PUB/cfg"
trap 'rc=$?; rm -rf "$PUB"; (exit $rc); _swp_exit' EXIT   # keep the test's status
sw_policy_start tenants '{ "default_profile": "restricted",
  "profiles": { "ten": { "base": "baseline" } },
  "bindings": [ { "match": { "uid": 0 }, "profile": "unrestricted" },
                { "match": { "uid": 1000 }, "profile": "ten", "tenant": "'"$TA"'" },
                { "match": { "uid": 65534 }, "profile": "ten", "tenant": "'"$TB"'" } ] }' \
	"{ \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PUB/t.sock\", \"mode\": \"0666\" }"
export DOCKER_HOST=unix://$PUB/t.sock
# as UID ARGS...: the docker CLI as that uid (tenant A: 1000, B: 65534, operator: 0)
as() {
	local u=$1; shift
	DOCKER_CONFIG=$PUB/cfg HOME=$PUB timeout -s KILL "$SW_CMD_TIMEOUT" \
		setpriv --reuid="$u" --regid="$u" --clear-groups "$DOCKER_CLI" "$@"
}
# req UID METHOD PATH -> CODE, OUT (curl, for what the CLI does not say)
req() {
	local all
	all=$(timeout -s KILL "$SW_CMD_TIMEOUT" setpriv --reuid="$1" --regid="$1" --clear-groups \
		curl -s -w '\n%{http_code}' --unix-socket "$PUB/t.sock" -X "$2" "http://d$3")
	CODE=${all##*$'\n'} OUT=${all%$'\n'*}
}

# ---- objects of A, of B and of nobody, made by the operator -------------------------
t0=$(date +%s)
for who in a b ops; do
	lab=(); [ "$who" = a ] && lab=(--label "$L=$TA"); [ "$who" = b ] && lab=(--label "$L=$TB")
	c=$(uniq_name "c$who"); on_exit_rm_container "$c"; eval "C_$who=$c"
	v=$(uniq_name "v$who"); on_exit_rm_volume "$v"; eval "V_$who=$v"
	n=$(uniq_name "n$who"); on_exit_rm_network "$n"; eval "N_$who=$n"
	as 0 create --name "$c" "${lab[@]}" "$SW_IMAGE" true >/dev/null
	as 0 volume create "${lab[@]}" "$v" >/dev/null
	as 0 network create "${lab[@]}" "$n" >/dev/null
done
# images: built (classic builder) with the label; the base image is untenanted
for who in a b; do
	i=local/$(uniq_name "i$who"):1; on_exit_rm_image "$i"; eval "I_$who=$i"
	t=$TA; [ "$who" = b ] && t=$TB
	mkdir -p "$SW_TMP/ctx-$who"; printf 'FROM %s\nLABEL tier=%s\n' "$SW_IMAGE" "$who" > "$SW_TMP/ctx-$who/Dockerfile"
	DOCKER_BUILDKIT=0 engine build -q --label "$L=$t" -t "$i" "$SW_TMP/ctx-$who" >/dev/null
done
t1=$(( $(date +%s) + 1 ))
log "objects: A=$C_a,$V_a,$N_a,$I_a B=$C_b,$V_b,$N_b,$I_b ops=$C_ops,$V_ops,$N_ops"

# ---- each tenant sees its own, never the other's, never the operator's ----------------
# see UID OWN OTHER OPS
see() {
	local u=$1 own=$2 other=$3 out
	local c_own=C_$own v_own=V_$own n_own=N_$own i_own=I_$own
	local c_oth=C_$other v_oth=V_$other n_oth=N_$other i_oth=I_$other
	out=$(as "$u" ps -a --format '{{.Names}}')
	assert_contains "$out" "${!c_own}" "uid $u: ps -a shows its own container"
	assert_not_contains "$out" "${!c_oth}" "uid $u: ps -a hides the other tenant's container"
	assert_not_contains "$out" "$C_ops" "uid $u: ps -a hides untenanted containers"
	out=$(as "$u" ps -a --filter "name=${!c_oth}" -q)
	assert_eq "" "$out" "uid $u: ps -a --filter name=<other's> finds nothing"
	out=$(as "$u" ps -a --filter "label=$L" --format '{{.Names}}')
	assert_contains "$out" "${!c_own}" "uid $u: the client's label filter still applies (ANDed)"
	assert_not_contains "$out" "${!c_oth}" "uid $u: the client's label filter cannot widen"

	out=$(as "$u" volume ls -q)
	assert_contains "$out" "${!v_own}" "uid $u: volume ls shows its own"
	assert_not_contains "$out" "${!v_oth}" "uid $u: volume ls hides the other's"
	assert_not_contains "$out" "$V_ops" "uid $u: volume ls hides untenanted volumes"

	out=$(as "$u" network ls --format '{{.Name}}')
	assert_contains "$out" "${!n_own}" "uid $u: network ls shows its own"
	for b in bridge host none; do
		printf '%s\n' "$out" | grep -qx "$b" || fail "uid $u: network ls lacks built-in $b: $out"
	done
	assert_not_contains "$out" "${!n_oth}" "uid $u: network ls hides the other's"
	assert_not_contains "$out" "$N_ops" "uid $u: network ls hides untenanted networks"

	out=$(as "$u" images --format '{{.Repository}}:{{.Tag}}')
	assert_contains "$out" "${!i_own}" "uid $u: images shows its own"
	assert_contains "$out" "$SW_IMAGE" "uid $u: images shows the untenanted (shared) base image"
	assert_not_contains "$out" "${!i_oth}" "uid $u: images hides the other's"

	out=$(as "$u" system df -v 2>&1)
	assert_contains "$out" "${!c_own}" "uid $u: system df -v shows its container"
	assert_contains "$out" "${!v_own}" "uid $u: system df -v shows its volume"
	assert_contains "$out" "${!i_own%:*}" "uid $u: system df -v shows its image"
	assert_not_contains "$out" "${!c_oth}" "uid $u: system df -v hides the other's container"
	assert_not_contains "$out" "${!v_oth}" "uid $u: system df -v hides the other's volume"
	assert_not_contains "$out" "${!i_oth%:*}" "uid $u: system df -v hides the other's image"
	assert_not_contains "$out" "$C_ops" "uid $u: system df -v hides untenanted containers"

	out=$(as "$u" events --since "$t0" --until "$t1" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}')
	assert_contains "$out" "container create ${!c_own}" "uid $u: events show its container"
	assert_not_contains "$out" "${!c_oth}" "uid $u: events hide the other's container"
	assert_not_contains "$out" "$C_ops" "uid $u: events hide untenanted containers"
	assert_not_contains "$out" "${!n_oth}" "uid $u: events hide the other's network"
}
see 1000 a b
see 65534 b a
log "ok: ps -a, volume ls, network ls, images, system df, events of A and of B"

# the operator sees everything, as before
out=$(as 0 ps -a --format '{{.Names}}')
for c in "$C_a" "$C_b" "$C_ops"; do assert_contains "$out" "$c" "operator ps -a"; done
out=$(as 0 network ls --format '{{.Name}}')
for n in "$N_a" "$N_b" "$N_ops"; do assert_contains "$out" "$n" "operator network ls"; done
log "ok: the operator sees all"

# malformed filters: dockerd's text, 400, nothing forwarded
req 1000 GET '/v1.41/containers/json?filters=%7B%22label%22%3A%22x%22%7D'
assert_eq 400 "$CODE" "malformed filters"
assert_contains "$OUT" 'json: cannot unmarshal string into Go value of type map[string]bool' "malformed filters"
# the legacy form is read too
req 1000 GET "/v1.41/containers/json?all=1&filters=%7B%22name%22%3A%5B%22$C_a%22%5D%7D"
assert_eq 200 "$CODE" "legacy filters form"
assert_contains "$OUT" "$C_a" "legacy filters form"
req 1000 GET "/v1.41/containers/json?all=1&filters=%7B%22name%22%3A%5B%22$C_b%22%5D%7D"
assert_eq "[]" "$(printf '%s' "$OUT" | tr -d '\n')" "legacy filters naming the other's container"
log "ok: filters forms"

# ---- prune spares the other tenant and the operator -----------------------------------
as 1000 container prune -f >/dev/null
engine inspect "$C_a" >/dev/null 2>&1 && fail "container prune of A left A's stopped container"
engine inspect "$C_b" >/dev/null 2>&1 || fail "container prune of A removed B's container"
engine inspect "$C_ops" >/dev/null 2>&1 || fail "container prune of A removed the operator's container"
as 1000 volume prune -f >/dev/null
engine volume inspect "$V_a" >/dev/null 2>&1 && fail "volume prune of A left A's volume"
engine volume inspect "$V_b" >/dev/null 2>&1 || fail "volume prune of A removed B's volume"
engine volume inspect "$V_ops" >/dev/null 2>&1 || fail "volume prune of A removed the operator's volume"
as 1000 network prune -f >/dev/null
engine network inspect "$N_a" >/dev/null 2>&1 && fail "network prune of A left A's network"
engine network inspect "$N_b" >/dev/null 2>&1 || fail "network prune of A removed B's network"
engine network inspect "$N_ops" >/dev/null 2>&1 || fail "network prune of A removed the operator's network"
as 1000 image prune -af >/dev/null
engine image inspect "$I_a" >/dev/null 2>&1 && fail "image prune -a of A left A's unused image"
engine image inspect "$I_b" >/dev/null 2>&1 || fail "image prune -a of A removed B's image"
engine image inspect "$SW_IMAGE" >/dev/null 2>&1 || fail "image prune -a of A removed the shared image"
log "ok: container/volume/network/image prune of A spare B and the operator"

out=$(as 65534 builder prune -f 2>&1) && fail "builder prune allowed for a tenant: $out"
assert_contains "$out" "[tenant.isolation]" "builder prune of a tenant"
assert_contains "$out" "build cache" "builder prune of a tenant"
wait_audit "$PAUDIT" '"endpoint":"build.prune"'
line=$(audit_last "$PAUDIT" '"endpoint":"build.prune"')
assert_contains "$line" '"rules":["tenant.isolation"]' "builder prune audited with tenant.isolation"
log "ok: builder prune refused for a tenant (tenant.isolation)"
