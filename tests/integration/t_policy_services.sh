#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: swarm services under a profile that allows service.*.
# The private engine is put in swarm mode for this test only (docker swarm
# init directly on the engine) and always taken out of it again on exit,
# whatever happens: the tests that run afterwards expect a plain engine.
#   - a compliant docker service create passes through sockward
#   - a service binding the docker socket is refused with sockward's message
#   - a service without limits is refused, naming --limit-memory
#   - restricted (no allowance) refuses service create by the endpoint rule
#   - baseline judges services (a service with limits passes, the socket is
#     refused) and refuses swarm, node and plugin changes by the endpoint rule
# docker service create has no flag for no-new-privileges, so the profile
# switches that rule off (documented in policy-rules.md).
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

state=$(engine info -f '{{.Swarm.LocalNodeState}}')
[ "$state" = inactive ] || skip "the engine is already in swarm state '$state'; not touching it"

_svc_exit() {
	local rc=$?
	set +eE; trap - ERR
	engine swarm leave --force >/dev/null 2>&1 || true
	(exit $rc); _swp_exit
}
trap _svc_exit EXIT

if ! out=$(engine swarm init --advertise-addr 127.0.0.1 2>&1); then
	skip "docker swarm init fails on the private engine: $(echo "$out" | head -2 | tr '\n' ' ')"
fi
log "engine in swarm mode"

sw_policy_start svc '{ "default_profile": "svc",
  "profiles": { "svc": { "base": "restricted", "endpoints_allow": ["service.*"],
                         "images": ["local/*"],
                         "rules": { "security.no_new_privileges": false } } } }'
export DOCKER_HOST=unix://$PSOCK
IMG=$SW_IMAGE
HARDSVC=(--detach --no-resolve-image --user 1000:1000 --read-only --cap-drop ALL
	--limit-memory 64m --limit-cpu 0.5 --limit-pids 64)

# ---- compliant ---------------------------------------------------------------------------
s=$(uniq_name svc)
out=$(docker service create --name "$s" "${HARDSVC[@]}" "$IMG" sleep 300 2>&1) ||
	fail "compliant docker service create was refused: $out"
spec=$(engine service inspect -f '{{json .Spec.TaskTemplate}}' "$s")
assert_contains "$spec" '"ReadOnly":true' "the service spec reached the engine"
assert_contains "$spec" '"Pids":64' "the service spec reached the engine"
out=$(docker service rm "$s" 2>&1) || fail "docker service rm: $out"
log "ok: compliant service"

# ---- the docker socket ------------------------------------------------------------------
s=$(uniq_name sock)
if out=$(docker service create --name "$s" "${HARDSVC[@]}" \
	--mount type=bind,src=/var/run/docker.sock,dst=/s,readonly "$IMG" sleep 300 2>&1); then
	engine service rm "$s" >/dev/null 2>&1 || true
	fail "a service binding the docker socket was created"
fi
assert_contains "$out" "sockward: denied by policy 'svc'" "socket bind: sockward's message"
assert_contains "$out" "[mounts.docker_socket]" "socket bind: rule id"
engine service inspect "$s" >/dev/null 2>&1 && fail "socket bind: the service exists on the engine"
log "ok: docker socket bind refused"

# ---- missing limits ---------------------------------------------------------------------
s=$(uniq_name nolim)
if out=$(docker service create --name "$s" --detach --no-resolve-image --user 1000:1000 \
	--read-only --cap-drop ALL "$IMG" sleep 300 2>&1); then
	engine service rm "$s" >/dev/null 2>&1 || true
	fail "a service without limits was created"
fi
assert_contains "$out" "[limits.memory] set --limit-memory" "no limits: message names the flag"
assert_contains "$out" "[limits.pids] set --limit-pids" "no limits: message names the flag"
log "ok: missing limits refused"

# ---- published port -----------------------------------------------------------------------
s=$(uniq_name port)
if out=$(docker service create --name "$s" "${HARDSVC[@]}" -p 18080:80 "$IMG" sleep 300 2>&1); then
	engine service rm "$s" >/dev/null 2>&1 || true
	fail "a service publishing a port was created"
fi
assert_contains "$out" "swarm cannot bind a specific HostIp" "published port: message"
log "ok: published port refused"

# ---- restricted: the endpoint rule --------------------------------------------------------
s=$(uniq_name restr)
sw_policy_start restr '{ "default_profile": "restricted" }'
if out=$(DOCKER_HOST=unix://$PSOCK docker service create --name "$s" "${HARDSVC[@]}" "$IMG" sleep 300 2>&1); then
	engine service rm "$s" >/dev/null 2>&1 || true
	fail "restricted let docker service create through"
fi
assert_contains "$out" "$DENIED" "restricted: sockward's message"
assert_contains "$out" "[endpoint]" "restricted: endpoint rule"
log "ok: restricted refuses services"

# ---- baseline (issue 12): services judged like containers, swarm changes refused ----------
s=$(uniq_name base)
sw_policy_start base '{ "default_profile": "baseline" }'
out=$(DOCKER_HOST=unix://$PSOCK docker service create --name "$s" --detach --no-resolve-image \
	--limit-memory 64m --limit-cpu 0.5 "$IMG" sleep 300 2>&1) ||
	fail "baseline refused a docker service create with limits: $out"
engine service inspect "$s" >/dev/null || fail "baseline: the service is not on the engine"
out=$(DOCKER_HOST=unix://$PSOCK docker service rm "$s" 2>&1) || fail "baseline: docker service rm: $out"
log "ok: baseline lets docker service create through"
# the docker CLI names a service's networks by ID (it resolves --network
# itself): the ID is judged as the network the engine says it is
n=$(uniq_name basenet)
engine network create --driver overlay "$n" >/dev/null || fail "cannot create an overlay network"
s=$(uniq_name basenetsvc)
out=$(DOCKER_HOST=unix://$PSOCK docker service create --name "$s" --detach --no-resolve-image \
	--network "$n" --limit-memory 64m "$IMG" sleep 300 2>&1) ||
	fail "baseline refused a service on a user-defined network (named by ID by the CLI): $out"
engine service rm "$s" >/dev/null 2>&1
# the host network named by its ID (the CLI itself refuses --network host
# for a service on this engine, so the raw API): judged as the host network
hostid=$(engine network inspect -f '{{.Id}}' host)
body='{"Name":"'"$(uniq_name basehostsvc)"'","TaskTemplate":{"ContainerSpec":{"Image":"'"$IMG"'","Args":["sleep","300"]},"Networks":[{"Target":"'"$hostid"'"}],"Resources":{"Limits":{"MemoryBytes":67108864}}}}'
out=$(curl -s --max-time 20 --unix-socket "$PSOCK" -H 'Content-Type: application/json' -d "$body" \
	-w ' %{http_code}' http://d/v1.41/services/create)
assert_contains "$out" " 403" "baseline: a service on the host network named by ID is refused"
assert_contains "$out" "[namespaces.network]" "baseline: the host network by ID: rule id"
assert_contains "$out" "is the host network" "baseline: the host network by ID: what it is"
engine network rm "$n" >/dev/null 2>&1 || true
log "ok: baseline judges a service's networks named by ID as the networks they are"
s=$(uniq_name basesock)
if out=$(DOCKER_HOST=unix://$PSOCK docker service create --name "$s" --detach --no-resolve-image \
	--mount type=bind,src=/var/run/docker.sock,dst=/s "$IMG" sleep 300 2>&1); then
	engine service rm "$s" >/dev/null 2>&1 || true
	fail "baseline let a service binding the docker socket through"
fi
assert_contains "$out" "sockward: denied by policy 'baseline'" "baseline socket bind: sockward's message"
assert_contains "$out" "[mounts.docker_socket]" "baseline socket bind: rule id"
for args in "swarm update --task-history-limit 3" "swarm join-token worker" "swarm leave" \
	"node update --availability drain self" "plugin enable vieux/sshfs" "plugin rm vieux/sshfs"; do
	node=$(engine info -f '{{.Swarm.NodeID}}')
	read -r -a argv <<<"${args/self/$node}"
	if out=$(DOCKER_HOST=unix://$PSOCK docker "${argv[@]}" 2>&1 </dev/null); then
		fail "baseline let docker $args through: $out"
	fi
	assert_contains "$out" "sockward: denied by policy 'baseline'" "baseline: docker $args"
	assert_contains "$out" "[endpoint]" "baseline: docker $args"
done
[ "$(engine info -f '{{.Swarm.LocalNodeState}}')" = active ] || fail "the engine left the swarm"
log "ok: baseline refuses swarm, node and plugin changes"
