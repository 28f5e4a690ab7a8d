#!/usr/bin/env bash
# sw-pass: unix
# Tenants (issue 9), swarm objects: under a profile that allows services
# (baseline), two tenants by uid on one sockward of this test's own:
#   uid 1000 -> tenant red, uid 1001 -> tenant blue, uid 0 -> an operator.
# Each creates a secret and a service that mounts it; both are stamped with
# io.sockward.tenant (the service in Spec.Labels and ContainerSpec.Labels,
# so its task's container is the tenant's in docker ps).  The other tenant
# cannot inspect, update, rm, read the logs of or list them (the engine's
# own text for a missing object), cannot mount the other's secret (by name
# through the CLI, or by ID through the API), and cannot take the label off.
# Node reads work, node changes are refused.
# The private engine is put in swarm mode for this test only and always
# taken out of it again on exit (as t_policy_services.sh).  Runs once (unix).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

state=$(engine info -f '{{.Swarm.LocalNodeState}}')
[ "$state" = inactive ] || skip "the engine is already in swarm state '$state'; not touching it"

PUB=$(mktemp -d /tmp/swtsw.XXXXXX); chmod 0755 "$PUB"
mkdir -m 0777 "$PUB/cfg1000" "$PUB/cfg1001"
_sws_exit() {
	local rc=$?
	set +eE; trap - ERR
	engine swarm leave --force >/dev/null 2>&1 || true
	rm -rf "$PUB"
	(exit $rc); _swp_exit
}
trap _sws_exit EXIT

if ! out=$(engine swarm init --advertise-addr 127.0.0.1 2>&1); then
	skip "docker swarm init fails on the private engine: $(echo "$out" | head -2 | tr '\n' ' ')"
fi
log "engine in swarm mode"

sw_policy_start tswarm '{ "default_profile": "restricted",
  "profiles": { "team": { "base": "baseline" } },
  "bindings": [ { "match": { "uid": 0 }, "profile": "baseline" },
                { "match": { "uid": 1000 }, "profile": "team", "tenant": "red" },
                { "match": { "uid": 1001 }, "profile": "team", "tenant": "blue" } ] }' \
	"{ \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PUB/t.sock\", \"mode\": \"0666\" }"

asuid() {
	local u=$1; shift
	DOCKER_CONFIG=$PUB/cfg$u DOCKER_HOST=unix://$PUB/t.sock HOME=$PUB \
		timeout -s KILL "$SW_CMD_TIMEOUT" \
		setpriv --reuid="$u" --regid="$u" --clear-groups "$DOCKER_CLI" "$@"
}
ured()  { asuid 1000 "$@"; }
ublue() { asuid 1001 "$@"; }
IMG=$SW_IMAGE
SVC=(--detach --no-resolve-image --limit-memory 64m --limit-cpu 0.5)

# cross NAME WHAT WHO CMD... (@ is the name): WHO gets exactly what the
# engine itself answers for a name that does not exist, and its exit status
cross() {
	local name=$1 what=$2 who=$3 ghost want wrc out rc; shift 3
	ghost=swt-ghost-$RANDOM$RANDOM
	wrc=0; want=$(engine "${@//@/$ghost}" 2>&1) || wrc=$?
	want=${want//$ghost/$name}
	[ "$wrc" != 0 ] || fail "$what: the engine gave no error for a missing object"
	rc=0; out=$("$who" "${@//@/$name}" 2>&1) || rc=$?
	assert_eq "$want" "$out" "$what (the engine's own answer for a missing object)"
	assert_eq "$wrc" "$rc" "$what: exit status"
}
label() { engine "$1" inspect -f "{{index $2 \"io.sockward.tenant\"}}" "$3"; }

# ---- each tenant's own secret and service ------------------------------------------------
RS=$(uniq_name rsec) BS=$(uniq_name bsec) RSV=$(uniq_name rsvc) BSV=$(uniq_name bsvc)
out=$(printf 'red-pass' | ured secret create "$RS" - 2>&1) || fail "red: secret create: $out"
out=$(printf 'blue-pass' | ublue secret create "$BS" - 2>&1) || fail "blue: secret create: $out"
assert_eq red "$(label secret .Spec.Labels "$RS")" "red's secret is stamped"
assert_eq blue "$(label secret .Spec.Labels "$BS")" "blue's secret is stamped"
out=$(ured service create --name "$RSV" "${SVC[@]}" --secret "$RS" --label tier=web "$IMG" \
	sleep 300 2>&1) || fail "red: service create with its own secret: $out"
out=$(ublue service create --name "$BSV" "${SVC[@]}" --secret "$BS" "$IMG" sleep 300 2>&1) ||
	fail "blue: service create with its own secret: $out"
assert_eq red "$(label service .Spec.Labels "$RSV")" "red's service: Spec.Labels stamped"
assert_eq red "$(label service .Spec.TaskTemplate.ContainerSpec.Labels "$RSV")" \
	"red's service: ContainerSpec.Labels stamped"
assert_eq web "$(engine service inspect -f '{{index .Spec.Labels "tier"}}' "$RSV")" \
	"red's own labels are kept"
log "ok: services and secrets stamped"

# ---- lists show only their own -------------------------------------------------------------
out=$(ublue service ls --format '{{.Name}}' 2>&1) || fail "blue: service ls: $out"
assert_eq "$BSV" "$out" "blue: service ls shows only its service"
out=$(ured service ls --format '{{.Name}}' 2>&1) || fail "red: service ls: $out"
assert_eq "$RSV" "$out" "red: service ls shows only its service"
out=$(ublue secret ls --format '{{.Name}}' 2>&1) || fail "blue: secret ls: $out"
assert_eq "$BS" "$out" "blue: secret ls shows only its secret"
out=$(ured service ps --format '{{.Name}}' "$RSV" 2>&1) || fail "red: service ps: $out"
assert_contains "$out" "$RSV.1" "red: service ps of its own service"
# its task's container is red's: docker ps shows it to red, not to blue
wait_for 60 sh -c "[ -n \"\$(DOCKER_HOST=unix://$SW_ENGINE_SOCK $DOCKER_CLI ps -q \
	--filter label=com.docker.swarm.service.name=$RSV)\" ]" ||
	fail "the task of $RSV did not start: $(engine service ps --no-trunc "$RSV" 2>&1 | tail -2)"
out=$(ured ps --format '{{.Names}}' 2>&1) || fail "red: ps: $out"
assert_contains "$out" "$RSV.1." "red: docker ps shows its service's task container"
out=$(ublue ps -a --format '{{.Names}}' 2>&1) || fail "blue: ps: $out"
assert_not_contains "$out" "$RSV" "blue: docker ps does not show red's task container"
out=$(ured service logs "$RSV" 2>&1) || fail "red: service logs of its own service: $out"
log "ok: lists, service ps, docker ps and logs of its own"

# ---- blue cannot touch red's -------------------------------------------------------------
cross "$RSV" "blue: service inspect" ublue service inspect @
cross "$RSV" "blue: service rm" ublue service rm @
cross "$RSV" "blue: service logs" ublue service logs @
cross "$RSV" "blue: service update" ublue service update --detach --env-add X=1 @
cross "$RSV" "blue: service ps" ublue service ps @
cross "$RS" "blue: secret inspect" ublue secret inspect @
cross "$RS" "blue: secret rm" ublue secret rm @
RSID=$(engine service inspect -f '{{.ID}}' "$RSV")
cross "${RSID:0:10}" "blue: service inspect by ID prefix" ublue service inspect @
engine service inspect "$RSV" >/dev/null || fail "red's service is gone"
engine secret inspect "$RS" >/dev/null || fail "red's secret is gone"
# mounting red's secret: the CLI looks the name up in blue's (narrowed) list
cross "$RS" "blue: service create --secret of red's secret" ublue service create \
	--name "$(uniq_name bx)" "${SVC[@]}" --secret @ "$IMG" sleep 300
# and by its ID through the API: swarmkit's own words for a missing secret
SECID=$(engine secret inspect -f '{{.ID}}' "$RS")
body='{"Name":"'"$(uniq_name bapi)"'","TaskTemplate":{"ContainerSpec":{"Image":"'"$IMG"'","Args":["sleep","300"],"Secrets":[{"SecretID":"'"$SECID"'","SecretName":"'"$RS"'","File":{"Name":"s","UID":"0","GID":"0","Mode":292}}]},"Resources":{"Limits":{"MemoryBytes":67108864}}}}'
out=$(setpriv --reuid=1001 --regid=1001 --clear-groups curl -s --max-time 20 \
	--unix-socket "$PUB/t.sock" -H 'Content-Type: application/json' -d "$body" \
	-w ' %{http_code}' http://d/v1.41/services/create)
assert_contains "$out" " 400" "blue: red's secret by ID: 400"
assert_contains "$out" "secret not found: $RS" "blue: red's secret by ID: swarmkit's words"
[ "$(engine service ls -q | wc -l)" = 2 ] || fail "blue made a service with red's secret"
log "ok: blue gets the engine's own answers for red's service and secret"

# ---- configs and overlay networks -----------------------------------------------------------
RCF=$(uniq_name rcfg) RNET=$(uniq_name rnet)
out=$(printf 'site' | ured config create "$RCF" - 2>&1) || fail "red: config create: $out"
assert_eq red "$(label config .Spec.Labels "$RCF")" "red's config is stamped"
cross "$RCF" "blue: config inspect" ublue config inspect @
out=$(ured network create -d overlay "$RNET" 2>&1) || fail "red: overlay network create: $out"
on_exit_rm_network "$RNET"
assert_eq red "$(engine network inspect -f '{{index .Labels "io.sockward.tenant"}}' "$RNET")" \
	"red's overlay network is stamped"
RSV2=$(uniq_name rsvc2)
out=$(ured service create --name "$RSV2" "${SVC[@]}" --network "$RNET" --config "$RCF" "$IMG" \
	sleep 300 2>&1) || fail "red: service on its own overlay network with its own config: $out"
cross "$RNET" "blue: service create on red's network" ublue service create \
	--name "$(uniq_name bnet)" "${SVC[@]}" --network @ "$IMG" sleep 300
cross "$RCF" "blue: service create with red's config" ublue service create \
	--name "$(uniq_name bcfg)" "${SVC[@]}" --config @ "$IMG" sleep 300
out=$(ured service rm "$RSV2" 2>&1) || fail "red: service rm $RSV2: $out"
log "ok: configs and overlay networks are the tenant's too"

# ---- docker stack deploy, and again (an update from a fresh spec) -------------------------
ST=$(uniq_name st)
mkdir -p "$PUB/stack"; chmod 0755 "$PUB/stack"
cat > "$PUB/stack/compose.yml" <<YML
version: "3.8"
services:
  app:
    image: $IMG
    command: ["sleep", "300"]
    deploy:
      resources:
        limits: { memory: 64M, cpus: "0.5" }
YML
chmod 0644 "$PUB/stack/compose.yml"
out=$(ured stack deploy --detach=true --resolve-image never -c "$PUB/stack/compose.yml" "$ST" 2>&1) ||
	fail "red: stack deploy: $out"
assert_eq red "$(label service .Spec.Labels "${ST}_app")" "a stack's service is stamped"
out=$(ured stack deploy --detach=true --resolve-image never -c "$PUB/stack/compose.yml" "$ST" 2>&1) ||
	fail "red: stack deploy again (the CLI sends a fresh spec): $out"
assert_eq red "$(label service .Spec.Labels "${ST}_app")" "a redeployed stack's service keeps the label"
out=$(ured stack ps "$ST" 2>&1) || fail "red: stack ps: $out"
cross "$ST" "blue: stack ps of red's stack" ublue stack ps @
out=$(ured stack rm "$ST" 2>&1) || fail "red: stack rm: $out"
log "ok: docker stack deploy, redeploy, ps and rm"

# ---- the label stays ---------------------------------------------------------------------
# an update without the label is stamped again (docker stack deploy sends a
# fresh spec), so --label-rm of it changes nothing; another tenant's value
# is refused
out=$(ured service update --detach --label-rm io.sockward.tenant "$RSV" 2>&1) ||
	fail "red: service update --label-rm: $out"
assert_eq red "$(label service .Spec.Labels "$RSV")" "--label-rm of the tenant label changes nothing"
if out=$(ured service update --detach --label-add io.sockward.tenant=blue "$RSV" 2>&1); then
	fail "red handed its service to blue"
fi
assert_contains "$out" "[tenant.isolation]" "label-add of another tenant: refused"
if out=$(ured service update --detach --container-label-add io.sockward.tenant=blue "$RSV" 2>&1); then
	fail "red handed its service's containers to blue"
fi
assert_contains "$out" "[tenant.isolation]" "container-label-add of another tenant: refused"
out=$(ured service update --detach --env-add A=1 "$RSV" 2>&1) || fail "red: service update: $out"
assert_eq red "$(label service .Spec.Labels "$RSV")" "the label survives an update"
assert_eq red "$(label service .Spec.TaskTemplate.ContainerSpec.Labels "$RSV")" \
	"the container label survives an update"
log "ok: the label cannot be removed or changed, an update keeps it"

# ---- nodes and the swarm -----------------------------------------------------------------
out=$(ured node ls -q 2>&1) || fail "red: node ls: $out"
[ -n "$out" ] || fail "red: node ls shows no node"
if out=$(ured node update --availability drain "$(engine info -f '{{.Swarm.NodeID}}')" 2>&1); then
	fail "red drained the node"
fi
assert_contains "$out" "sockward: denied" "red: node update refused"
if out=$(ured swarm join-token worker 2>&1); then
	fail "red read the join token"
fi
assert_contains "$out" "sockward: denied" "red: swarm join-token refused"
log "ok: nodes readable, node and swarm changes refused"

# ---- their own removal works -------------------------------------------------------------
out=$(ured service rm "$RSV" 2>&1) || fail "red: service rm: $out"
out=$(ublue service rm "$BSV" 2>&1) || fail "blue: service rm: $out"
retry 10 1 ured secret rm "$RS" >/dev/null 2>&1 || fail "red: secret rm of its own secret"
retry 10 1 ublue secret rm "$BS" >/dev/null 2>&1 || fail "blue: secret rm of its own secret"
retry 10 1 ured config rm "$RCF" >/dev/null 2>&1 || fail "red: config rm of its own config"
log "ok: each removes its own"
