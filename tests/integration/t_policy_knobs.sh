#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 class 4 and the seed checklist, against the engine through
# sockwards of this test's own:
#  - restricted: docker run -p 127.0.0.2:PORT:80 works (loopback is
#    127.0.0.0/8), -p 10.0.0.1 is refused [ports.host_ip];
#  - restricted: --network container:X of a compliant X works, and compose's
#    network_mode: service:web too; a privileged X is refused;
#  - a team profile that denies one more endpoint keeps restricted's
#    (docker secret ls refused) and denies its own (docker export);
#  - env.secrets: restricted refuses docker run -e DB_PASSWORD=...; baseline
#    prints a WARNING; the value is in no message, log or audit line;
#  - restart.policy, mounts.tmpfs refused under restricted, bounded forms
#    work; network.icc warned (audit verdict warn) and quiet with
#    enable_icc=false;
#  - docker tag of an image whose names are all outside images is refused;
#  - POST /grpc is refused with the reason by restricted, baseline and unrestricted, and
#    forwarded by a profile that names build.grpc.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create -o com.docker.network.bridge.enable_icc=false "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")
mapfile -t NONET < <(hard_args "$NET" net)

# refused DENIED RULE WHAT TEXT CMD...: the command fails with sockward's message
refused() {
	local denied=$1 rule=$2 what=$3 text=$4 out rc=0; shift 4
	out=$("$@" 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "[$rule] $what was allowed: $out"
	assert_contains "$out" "$denied" "[$rule] $what"
	assert_contains "$out" "[$rule]" "[$rule] $what"
	[ -z "$text" ] || assert_contains "$out" "$text" "[$rule] $what"
	log "ok [$rule] $what"
}

# ---- restricted (with limits), the built-in defaults --------------------------------
sw_policy_start r '{ "default_profile": "restricted" }'
R_SOCK=$PSOCK R_AUDIT=$PAUDIT R_LOG=$PLOG
export DOCKER_HOST=unix://$R_SOCK

# (b) loopback is 127.0.0.0/8
PORT=$((20000 + RANDOM % 20000))
c=$(uniq_name lo); on_exit_rm_container "$c"
docker run -d --name "$c" "${HARD[@]}" -p "127.0.0.2:$PORT:8080" "$IMG" \
	httpd -f -p 8080 -h /var/www >/dev/null || fail "docker run -p 127.0.0.2:$PORT:8080 under restricted was refused"
assert_eq "127.0.0.2" "$(engine inspect -f '{{(index (index .HostConfig.PortBindings "8080/tcp") 0).HostIp}}' "$c")" \
	"published HostIp"
# the engine's own view of the running publish (this test engine proxies no
# ports to the host, so the page itself cannot be fetched here)
assert_contains "$(docker port "$c")" "8080/tcp -> 127.0.0.2:$PORT" "docker port of the running container"
log "ok: docker run -p 127.0.0.2:$PORT:8080 works under restricted"
refused "$DENIED" ports.host_ip "docker run -p 10.0.0.1:$PORT:80" "published on '10.0.0.1'" \
	docker create --name "$(uniq_name lo2)" "${HARD[@]}" -p "10.0.0.1:$PORT:80" "$IMG" true

# (c) joining a compliant container's namespaces
good=$(uniq_name good); on_exit_rm_container "$good"
docker run -d --name "$good" "${HARD[@]}" "$IMG" sleep 120 >/dev/null
j=$(uniq_name join); on_exit_rm_container "$j"
out=$(docker run --rm --name "$j" "${NONET[@]}" --network "container:$good" "$IMG" sh -c 'echo joined' 2>&1) ||
	fail "restricted: --network container:$good (compliant) was refused: $out"
assert_eq joined "$out" "restricted: joined a compliant container's network"
bad=$(uniq_name priv); on_exit_rm_container "$bad"
engine run -d --name "$bad" --privileged "${HARD[@]}" "$IMG" sleep 120 >/dev/null
refused "$DENIED" namespaces.container "--network container:$bad (privileged)" \
	"that container is not compliant ([privileged])" \
	docker create --name "$(uniq_name j2)" "${NONET[@]}" --network "container:$bad" "$IMG" true

# compose: network_mode: service:web under restricted
if command -v docker-compose >/dev/null; then
	p=$(uniq_name kc | tr -cd 'a-z0-9')
	mkdir -p compose && cat > compose/docker-compose.yml <<YML
version: "2.4"
x-hard: &hard
  image: $IMG
  user: "1000:1000"
  read_only: true
  cap_drop: [ALL]
  security_opt: [no-new-privileges]
  mem_limit: 64m
  cpus: 0.5
  pids_limit: 64
services:
  web:
    <<: *hard
    command: ["httpd", "-f", "-p", "8080", "-h", "/var/www"]
    networks: [appnet]
  sidecar:
    <<: *hard
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/index.html && break; sleep 0.5; done; echo sidecar-done; sleep 300"]
    network_mode: "service:web"
    depends_on: [web]
networks:
  appnet:
    driver_opts:
      com.docker.network.bridge.enable_icc: "false"
YML
	cdown() { (cd compose && compose -p "$p" down -t 1 >/dev/null 2>&1) || engine rm -f "${p}_web_1" "${p}_sidecar_1" >/dev/null 2>&1 || true; }
	trap '_rc=$?; cdown; (exit $_rc); _swp_exit' EXIT
	(cd compose && compose -p "$p" up -d) >compose.log 2>&1 || fail "compose up under restricted: $(tail -5 compose.log)"
	wait_for 20 sh -c "cd compose && timeout -s KILL 30 docker-compose -p $p logs --no-color sidecar | grep -q sidecar-done" ||
		fail "sidecar never finished: $(cd compose && compose -p "$p" logs --no-color 2>&1 | tail -5)"
	logs=$(cd compose && compose -p "$p" logs --no-color sidecar)
	assert_contains "$logs" hello-from-busybox "sidecar reached web over the shared network namespace"
	cdown
	trap _swp_exit EXIT
	log "ok: compose network_mode: service:web under restricted"
else
	log "note: docker-compose not installed, compose case skipped"
fi

# env.secrets: refused, the value nowhere
SECRET="hunter2-$RANDOM$RANDOM"
out=$(docker run --rm --name "$(uniq_name env)" "${HARD[@]}" -e "DB_PASSWORD=$SECRET" "$IMG" true 2>&1) &&
	fail "restricted: docker run -e DB_PASSWORD=... was allowed"
assert_contains "$out" "[env.secrets] Env DB_PASSWORD looks like a password or secret" "env.secrets message"
assert_not_contains "$out" "$SECRET" "env.secrets: the CLI's message"
out=$(docker run --rm --name "$(uniq_name env)" "${HARD[@]}" -e "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE" "$IMG" true 2>&1) &&
	fail "restricted: docker run -e AWS_ACCESS_KEY_ID=AKIA... was allowed"
assert_contains "$out" "Env AWS_ACCESS_KEY_ID looks like a cloud access key" "env.secrets: AWS key id"
assert_not_contains "$out" "AKIAIOSFODNN7EXAMPLE" "env.secrets: the CLI's message"
out=$(docker exec -e "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" "$good" true 2>&1) &&
	fail "restricted: docker exec -e GITHUB_TOKEN=ghp_... was allowed"
assert_contains "$out" "[env.secrets] docker exec Env GITHUB_TOKEN looks like a token" "env.secrets: exec"
log "ok [env.secrets] restricted refuses, names the variable and the kind"

# restart.policy
refused "$DENIED" restart.policy "docker run --restart always" "--restart always is not allowed" \
	docker create --name "$(uniq_name rs)" "${HARD[@]}" --restart always "$IMG" true
refused "$DENIED" restart.policy "docker run --restart on-failure (unbounded)" "use --restart on-failure:5" \
	docker create --name "$(uniq_name rs)" "${HARD[@]}" --restart on-failure "$IMG" true
c=$(uniq_name rs); on_exit_rm_container "$c"
docker create --name "$c" "${HARD[@]}" --restart on-failure:3 "$IMG" true >/dev/null
assert_eq "on-failure:3" "$(engine inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' "$c")" \
	"restart policy of a bounded create"
refused "$DENIED" restart.policy "docker update --restart unless-stopped" "--restart unless-stopped is not allowed" \
	docker update --restart unless-stopped "$c"
log "ok [restart.policy] --restart on-failure:3 works"

# mounts.tmpfs: the default flags are kept; exec is refused
refused "$DENIED" mounts.tmpfs "docker run --tmpfs /scratch:exec" "--tmpfs /scratch with exec is not allowed" \
	docker create --name "$(uniq_name tf)" "${HARD[@]}" --tmpfs /scratch:rw,exec "$IMG" true
out=$(docker run --rm --name "$(uniq_name tf)" "${HARD[@]}" --tmpfs /scratch:rw,size=1m "$IMG" \
	sh -c 'grep " /scratch " /proc/mounts')
for f in nosuid nodev noexec; do assert_contains "$out" "$f" "--tmpfs /scratch mount flags"; done
log "ok [mounts.tmpfs] --tmpfs keeps noexec,nosuid,nodev"

# network.icc: warned (forwarded, audit verdict warn), quiet with enable_icc=false
N1=$(uniq_name icc); on_exit_rm_network "$N1"
docker network create "$N1" >/dev/null || fail "restricted: docker network create was refused"
wait_audit "$R_AUDIT" "\"endpoint\":\"network.create\".*\"verdict\":\"warn\".*network\\.icc"
N2=$(uniq_name noicc); on_exit_rm_network "$N2"
docker network create -o com.docker.network.bridge.enable_icc=false "$N2" >/dev/null
log "ok [network.icc] warned in the audit trail, quiet with enable_icc=false"

# ---- baseline: env.secrets warns -------------------------------------------------------
sw_policy_start b '{ "default_profile": "baseline" }'
B_AUDIT=$PAUDIT B_LOG=$PLOG
c=$(uniq_name bw); on_exit_rm_container "$c"
out=$(DOCKER_HOST=unix://$PSOCK docker create --name "$c" -e "DB_PASSWORD=$SECRET" "$IMG" true 2>&1) ||
	fail "baseline: docker create -e DB_PASSWORD=... was refused: $out"
assert_contains "$out" "WARNING: sockward: [env.secrets] Env DB_PASSWORD looks like a password or secret" "baseline warning"
assert_not_contains "$out" "$SECRET" "baseline warning"
wait_audit "$B_AUDIT" "\"endpoint\":\"container.create\".*\"verdict\":\"warn\""
# /grpc under baseline: refused with the reason
out=$(curl_t -s --unix-socket "$PSOCK" -X POST -H 'Upgrade: h2c' -H 'Connection: Upgrade' http://docker/grpc)
assert_contains "$out" "denied by policy 'baseline'" "baseline POST /grpc"
assert_contains "$out" "(build.grpc) is not allowed: BuildKit's gRPC endpoint" "baseline POST /grpc"
assert_contains "$out" "build with DOCKER_BUILDKIT=0" "baseline POST /grpc"
log "ok [env.secrets] baseline warns; [endpoint] baseline refuses /grpc with the reason"

# the secret is in no log or audit line of either sockward
for f in "$R_AUDIT" "$R_LOG" "$B_AUDIT" "$B_LOG"; do
	if grep -q "$SECRET" "$f"; then fail "the secret value is in $(basename "$f")"; fi
	if grep -q "AKIAIOSFODNN7EXAMPLE\|ghp_a1B2" "$f"; then fail "a secret value is in $(basename "$f")"; fi
done
log "ok: no secret value in any log or audit line"

# /grpc under restricted (the first sockward)
out=$(curl_t -s --unix-socket "$R_SOCK" -X POST -H 'Upgrade: h2c' -H 'Connection: Upgrade' http://docker/grpc)
assert_contains "$out" "denied by policy 'restricted'" "restricted POST /grpc"
assert_contains "$out" "cannot inspect yet" "restricted POST /grpc"

# /grpc under unrestricted (audit-only): refused all the same, what cannot be
# inspected is never forwarded
sw_policy_start u '{ "default_profile": "unrestricted" }'
out=$(curl_t -s --unix-socket "$PSOCK" -X POST -H 'Upgrade: h2c' -H 'Connection: Upgrade' http://docker/grpc)
assert_contains "$out" "denied by policy 'unrestricted'" "unrestricted POST /grpc"
assert_contains "$out" "(build.grpc) is not allowed: BuildKit's gRPC endpoint" "unrestricted POST /grpc"
log "ok [endpoint] unrestricted refuses /grpc too"

# ---- a team profile extends restricted; an images allow-list; /grpc by name ------------
sw_policy_start t '{ "default_profile": "team",
  "profiles": { "team": { "base": "restricted", "endpoints_deny": ["container.export"],
                          "images": ["local/*"], "endpoints_allow": ["build.grpc"], "buildkit": true } } }'
export DOCKER_HOST=unix://$PSOCK
DENIED_T="sockward: denied by policy 'team'"
refused "$DENIED_T" endpoint "docker secret ls (restricted's deny kept)" "(secret.list) is not allowed" \
	docker secret ls
refused "$DENIED_T" endpoint "docker export (the team's own deny)" "(container.export) is not allowed" \
	docker export -o x.tar "$good"
EVIL=evil.example.com/$(uniq_name tl):1; on_exit_rm_image "$EVIL"
engine tag "$IMG" "$EVIL"
EVIL2=evil.example.com/$(uniq_name tl2):1; on_exit_rm_image "$EVIL2"
src=$(uniq_name srcc); on_exit_rm_container "$src"
engine create --name "$src" --user 1000:1000 "$IMG" true >/dev/null
engine commit --change 'LABEL sockward.test=knobs' "$src" "$EVIL2" >/dev/null
LAUNDER=local/$(uniq_name ld):1; on_exit_rm_image "$LAUNDER"
refused "$DENIED_T" image.registry "docker tag $EVIL2 $LAUNDER (tag laundering)" \
	"an image cannot be given an allowed name this way" docker tag "$EVIL2" "$LAUNDER"
if engine image inspect "$LAUNDER" >/dev/null 2>&1; then fail "the refused tag exists"; fi
id=$(engine image inspect -f '{{.Id}}' "$EVIL2")
refused "$DENIED_T" image.registry "docker tag <ID of $EVIL2> $LAUNDER" "not from an allowed registry" \
	docker tag "${id#sha256:}" "$LAUNDER"
OKT=local/$(uniq_name okt):1; on_exit_rm_image "$OKT"
docker tag "$IMG" "$OKT" || fail "docker tag $IMG $OKT was refused"
log "ok [image.registry] docker tag judges its source"
# /grpc named in endpoints_allow: forwarded (the engine answers, not sockward)
out=$(curl_t -s --max-time 5 --unix-socket "$PSOCK" -X POST http://docker/grpc || true)
assert_not_contains "$out" "denied by policy" "POST /grpc with build.grpc allowed"
wait_audit "$PAUDIT" "\"endpoint\":\"build.grpc\".*\"verdict\":\"allow\""
log "ok [endpoint] /grpc forwarded by a profile that names build.grpc"
log "t_policy_knobs: ok"
