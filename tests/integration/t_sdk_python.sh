#!/usr/bin/env bash
# Issue 12: the official Python SDK (Debian's python3-docker, run with
# /usr/bin/python3) as a client, through a sockward of this test's own whose
# default profile is baseline, on the listener of this pass: a TLS listener
# with the suite's certificates (mutual TLS, client CN=sockward-test-client)
# in the tls pass, a unix socket in the unix pass.  sdk_python.py does an
# ordinary workload (networks, volumes, a container with a host_config built
# by the SDK, exec with a hijacked socket, logs(stream=True), links and
# remove_container(link=True), a service with limits) and checks that
# breakout-class requests and engine-wide changes are refused with
# sockward's message.
# Services need swarm mode: the engine is put in it for this test only
# (directly, like t_policy_services.sh) and taken out again on exit; when it
# is already in swarm mode (another test's), services are not tested here.
. "$(dirname "$0")/lib.sh"; sw_test_init
. "$(dirname "$0")/policy_lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import docker' 2>/dev/null ||
	fail "python3-docker is not installed for $PY (tests/engine/install-deps.sh installs it)"

PREFIX=$(uniq_name sdk)
swarm=0
_sdk_exit() {
	local rc=$? id
	set +eE; trap - ERR
	# anything the script left behind (it cleans up after itself)
	for id in $(engine service ls -q --filter "name=$PREFIX" 2>/dev/null); do engine service rm "$id" >/dev/null 2>&1; done
	for id in $(engine ps -aq --filter "name=$PREFIX" 2>/dev/null); do engine rm -f "$id" >/dev/null 2>&1; done
	for id in $(engine network ls -q --filter "name=$PREFIX" 2>/dev/null); do engine network rm "$id" >/dev/null 2>&1; done
	for id in $(engine volume ls -q --filter "name=$PREFIX" 2>/dev/null); do engine volume rm -f "$id" >/dev/null 2>&1; done
	[ "$swarm" = 1 ] && { engine swarm leave --force >/dev/null 2>&1 || true; }
	(exit $rc); _swp_exit
}
trap _sdk_exit EXIT

state=$(engine info -f '{{.Swarm.LocalNodeState}}')
if [ "$state" = inactive ]; then
	if out=$(engine swarm init --advertise-addr 127.0.0.1 2>&1); then
		swarm=1
		log "engine in swarm mode for this test"
	else
		fail "docker swarm init fails on the private engine: $(echo "$out" | head -2 | tr '\n' ' ')"
	fi
else
	log "the engine is in swarm state '$state' (another test's): services not tested"
fi

case "${SW_LISTENER:-}" in
tls)
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sw_policy_start sdk '{ "default_profile": "baseline" }' \
		"{ \"name\": \"tls\", \"type\": \"tls\", \"address\": \"127.0.0.1:$PORT\",
		   \"cert\": \"$SW_CERTS/server/server-cert.pem\", \"key\": \"$SW_CERTS/server/server-key.pem\",
		   \"ca\": \"$SW_CERTS/server/ca.pem\" }"
	HOST=tcp://127.0.0.1:$PORT CERTS=$SW_CERTS/client ;;
unix|direct)
	sw_policy_start sdk '{ "default_profile": "baseline" }'
	HOST=unix://$PSOCK CERTS= ;;
*)
	fail "unknown listener '${SW_LISTENER:-}'" ;;
esac

SW_CMD_TIMEOUT=240
timeout -s KILL 240 "$PY" "$(dirname "$0")/sdk_python.py" "$HOST" "$PREFIX" "$SW_IMAGE" "$swarm" $CERTS ||
	fail "sdk_python.py failed (above)"

# every request of the run was judged by baseline; the refusals are in the audit trail
wait_audit "$PAUDIT" '"endpoint":"swarm.init".*"verdict":"deny"' || fail "no swarm.init denial in the audit log"
wait_audit "$PAUDIT" '"endpoint":"container.delete".*"verdict":"allow"' || fail "no container.delete in the audit log"
if [ "$swarm" = 1 ]; then
	wait_audit "$PAUDIT" '"endpoint":"service.create".*"verdict":"allow"' || fail "no allowed service.create in the audit log"
fi
grep -q '"profile":"baseline"' "$PAUDIT" || fail "the audit log names no baseline decision"
log "ok: python3-docker $("$PY" -c 'import docker; print(docker.__version__)') through the $SW_LISTENER listener under baseline"
