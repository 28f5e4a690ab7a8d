#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: joining another container's namespaces (--network/--pid/
# --ipc container:X).  container_namespaces "deny" refuses it; "compliant"
# (restricted's default)
# lets it through when X (inspected through the engine) passes the
# HostConfig and mount rules, and refuses it when X is privileged.  X and
# the privileged one are created directly on the engine.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")
mapfile -t NONET < <(hard_args "$NET" net)

good=$(uniq_name good); on_exit_rm_container "$good"
engine run -d --name "$good" "${HARD[@]}" "$IMG" sleep 120 >/dev/null
bad=$(uniq_name priv); on_exit_rm_container "$bad"
engine run -d --name "$bad" --privileged "${HARD[@]}" "$IMG" sleep 120 >/dev/null

# ---- deny (restricted's default is compliant since issue 8; deny is a choice) ----------
sw_policy_start deny '{ "default_profile": "nj",
  "profiles": { "nj": { "base": "restricted", "container_namespaces": "deny" } } }'
c=$(uniq_name d); on_exit_rm_container "$c"
if out=$(DOCKER_HOST=unix://$PSOCK docker create --name "$c" "${NONET[@]}" --network "container:$good" "$IMG" true 2>&1); then
	fail "container_namespaces deny: --network container:$good was allowed"
fi
assert_contains "$out" "[namespaces.container]" "deny: rule id"
log "ok: deny"

# ---- compliant ----------------------------------------------------------------------------
sw_policy_start comp '{ "default_profile": "c",
  "profiles": { "c": { "base": "restricted", "container_namespaces": "compliant" } } }'
export DOCKER_HOST=unix://$PSOCK
for ns in network pid ipc; do
	c=$(uniq_name "ok$ns"); on_exit_rm_container "$c"
	args=("${HARD[@]}")
	[ $ns = network ] && args=("${NONET[@]}")
	out=$(docker create --name "$c" "${args[@]}" "--$ns" "container:$good" "$IMG" true 2>&1) ||
		fail "compliant: --$ns container:$good (compliant) was refused: $out"
	c=$(uniq_name "no$ns"); on_exit_rm_container "$c"
	if out=$(docker create --name "$c" "${args[@]}" "--$ns" "container:$bad" "$IMG" true 2>&1); then
		fail "compliant: --$ns container:$bad (privileged) was allowed"
	fi
	assert_contains "$out" "[namespaces.container] --$ns container:$bad: that container is not compliant ([privileged])" \
		"compliant: --$ns message"
done
log "ok: compliant"
