#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: the rules of endpoints other than create, through a
# sockward of this test's own (default profile restricted, no bindings):
# docker exec (privileged, root, empty user looked up), docker update (limits),
# docker build (host network, BuildKit session), docker pull/tag/commit
# (:latest), docker volume create (bind in disguise), swarm/service/node/...
# endpoints, an old API version; rules no CLI command breaks (MaskedPaths,
# ReadonlyPaths, start with a HostConfig, the API window) with raw requests;
# and what an engine lookup failure does (deny; a missing image is a 404 the
# CLI pulls on).  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start ep '{ "default_profile": "restricted" }'
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")

# expect_denied RULE WHAT OUTPUT RC
expect_denied() {
	[ "$4" -ne 0 ] || fail "[$1] $2 was allowed: $3"
	assert_contains "$3" "$DENIED" "[$1] $2"
	assert_contains "$3" "[$1]" "[$1] $2"
	log "ok [$1] $2"
}
# refused RULE CMD...: a client command that must be refused with [RULE],
# and sockward's message must reach the client every time.  Requests denied
# from their head alone (build, endpoints) still have a body on the way;
# sockward reads and discards it after answering (lingering close), so the
# client never sees "broken pipe" instead of the message.  Three attempts,
# since that race showed up in about one attempt in four before the fix.
refused() {
	local rule=$1 i out rc; shift
	for i in 1 2 3; do
		out=$("$@" 2>&1 </dev/null) && rc=0 || rc=$?
		expect_denied "$rule" "$* (attempt $i)" "$out" "$rc"
	done
	LAST_OUT=$out
}
cli() { local rule=$1; shift; refused "$rule" docker "$@"; }

# ---- exec on a compliant running container (created through the proxy) ----------
C=$(uniq_name ok); on_exit_rm_container "$C"
docker run -d --name "$C" "${HARD[@]}" "$IMG" sleep 120 >/dev/null ||
	fail "the hardened docker run -d was refused"
cli exec.privileged exec --privileged "$C" true
cli exec.user       exec -u root "$C" true
cli exec.user       exec -u 0 "$C" true
cli exec.user       exec -u 0:0 "$C" true
cli exec.user       exec --user root:root "$C" true
out=$(docker exec "$C" id -u 2>&1) || fail "docker exec with the container's own (non-root) user refused: $out"
assert_eq 1000 "$out" "exec with an empty user runs as the container's user"
out=$(docker exec -u 1000:1000 "$C" id -u 2>&1) || fail "docker exec -u 1000:1000 refused: $out"
assert_eq 1000 "$out" "exec -u 1000:1000"
# a uid without a group: its groups come from the image's passwd and group files
cli exec.user       exec -u 4242 "$C" true
assert_contains "$LAST_OUT" "(docker exec --user 4242:4242)" "exec -u 4242 (no passwd entry: gid 0): the message gives the fix"
# empty exec user in a container that runs as root (created directly on the engine):
# sockward looks the container up and finds root
R=$(uniq_name root); on_exit_rm_container "$R"
engine run -d --name "$R" "$IMG" sleep 120 >/dev/null
cli exec.user exec "$R" true
# ... and a container the engine does not know: the lookup answers 404, so
# does sockward (as dockerd would), and nothing is forwarded
NOSUCH=$(uniq_name nosuch)
out=$(curl_t -sS --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' \
	-d '{"Cmd":["true"],"AttachStdout":true}' -w '\n%{http_code}' \
	"http://d/v1.41/containers/$NOSUCH/exec")
assert_eq 404 "$(tail -1 <<<"$out")" "exec create in a container the engine does not know"
assert_contains "$out" "No such container: $NOSUCH" "exec create in an unknown container"
wait_audit "$PAUDIT" "\"path\":\"/v1.41/containers/$NOSUCH/exec\".*\"verdict\":\"deny\"" ||
	fail "exec in an unknown container: no deny verdict in the audit log"
out=$(docker exec "$NOSUCH" true 2>&1) && fail "docker exec in an unknown container succeeded"
assert_contains "$out" "No such container" "docker exec in an unknown container"

# ---- update ------------------------------------------------------------------------
cli limits.memory update --memory 8g "$C"
cli limits.pids   update --pids-limit -1 "$C"
cli limits.pids   update --pids-limit 100000 "$C"
cli limits.cpu    update --cpus 8 "$C"
cli limits.cpu    update --cpu-quota -1 "$C"
# --memory 0 means "unchanged" to dockerd: forwarded, and the limit stays
docker update --memory 0 "$C" >/dev/null 2>&1 || true
assert_eq 67108864 "$(engine inspect -f '{{.HostConfig.Memory}}' "$C")" "memory limit after update --memory 0"
out=$(docker update --memory 32m --memory-swap 32m --pids-limit 32 "$C" 2>&1) ||
	fail "lowering limits with docker update was refused: $out"
assert_eq 33554432 "$(engine inspect -f '{{.HostConfig.Memory}}' "$C")" "memory limit after lowering it"

# ---- images: pull, tag, commit, build --------------------------------------------------
REPO=local/$(uniq_name img)
on_exit_rm_image "$REPO:1"; on_exit_rm_image "$REPO:latest"; on_exit_rm_image "$REPO:2"
cli image.pinned pull "${IMG%%:*}:latest"
cli image.pinned pull "${IMG%%:*}"
cli image.pinned tag "$IMG" "$REPO:latest"
cli image.pinned tag "$IMG" "$REPO"
docker tag "$IMG" "$REPO:1" || fail "docker tag to a version refused"
cli image.pinned commit "$C" "$REPO"
cli image.pinned commit "$C" "$REPO:latest"
docker commit "$C" "$REPO:2" >/dev/null || fail "docker commit to a version refused"
mkdir -p "$SW_TMP/ctx"
printf 'FROM %s\nRUN true\n' "$IMG" > "$SW_TMP/ctx/Dockerfile"
DOCKER_BUILDKIT=0 refused build.network docker20 build --network host -t "$REPO:3" "$SW_TMP/ctx"
DOCKER_BUILDKIT=0 refused image.pinned docker20 build -t "$REPO" "$SW_TMP/ctx"
# BuildKit: the 20.10 CLI opens /session first and reports only the refused
# upgrade ("unable to upgrade to h2c, received 403"); the audit trail has the rule.
out=$(DOCKER_BUILDKIT=1 docker20 build -t "$REPO:4" "$SW_TMP/ctx" 2>&1) && rc=0 || rc=$?
[ $rc -ne 0 ] || fail "a BuildKit build was allowed under restricted: $out"
case "$out" in
*"[build.session]"*) ;;
*"received 403"*) ;;
*) fail "BuildKit build: neither sockward's message nor the 403 in the CLI output: $out" ;;
esac
wait_audit "$PAUDIT" '"endpoint":"build.session".*"verdict":"deny".*"rules":\["build.session"\]' ||
	fail "no build.session denial in the audit log"
log "ok [build.session] DOCKER_BUILDKIT=1 docker build (CLI: $(grep -o 'received 403\|\[build.session\]' <<<"$out" | head -1))"
out=$(DOCKER_BUILDKIT=0 docker20 build -q -t "$REPO:5" "$SW_TMP/ctx" 2>&1) ||
	fail "a classic build with a pinned tag was refused: $out"
on_exit_rm_image "$REPO:5"

# ---- volumes -------------------------------------------------------------------------
V=$(uniq_name vol); on_exit_rm_volume "$V"
cli mounts.volume_bind volume create --opt type=none --opt o=bind --opt device=/etc "$V"
cli mounts.volume_bind volume create --driver local --opt type=none --opt o=bind --opt "device=$SW_TMP" "$V"
cli mounts.volume_bind volume create --opt o=bind --opt device=/ "$V"
cli mounts.volume_bind volume create --opt type=overlay --opt device=overlay --opt o=lowerdir=/etc "$V"
cli mounts.volume_bind volume create --opt type=proc --opt device=proc "$V"
if engine volume inspect "$V" >/dev/null 2>&1; then fail "a denied volume exists on the engine"; fi
# a local tmpfs volume gets no noexec/nosuid/nodev unless o= says so
cli mounts.tmpfs volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m "$V"
assert_contains "$LAST_OUT" "use o=size=16m,noexec,nosuid,nodev" "tmpfs volume: the fix"
cli mounts.volume_bind volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m,remount "$V"
docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m,noexec,nosuid,nodev "$V" >/dev/null ||
	fail "a tmpfs volume was refused"

# ---- swarm, services, nodes, secrets, configs, plugins -----------------------------------
cli endpoint service ls
cli endpoint swarm init
cli endpoint swarm join --token x 127.0.0.1:2377
cli endpoint node ls
cli endpoint secret ls
cli endpoint config ls
cli endpoint plugin ls
cli endpoint plugin install --grant-all-permissions vieux/sshfs
# an old client: DOCKER_API_VERSION below the window
out=$(DOCKER_API_VERSION=1.23 docker ps 2>&1) && rc=0 || rc=$?
expect_denied api.version "DOCKER_API_VERSION=1.23 docker ps" "$out" "$rc"

# ---- rules no docker CLI command breaks: raw requests -------------------------------------
python3 "$POLICY_RAW" rawrules "$PSOCK" "$NET" "$(uniq_name raw)" "$C"

# ---- engine lookups: a missing image with an empty user --------------------------------
# sockward answers 404 "No such image" as dockerd would; the CLI then pulls
# (and the pull of a local/ name fails at the registry, not at sockward).
MISSING=local/$(uniq_name missing):1.0
mapfile -t NOUSER < <(hard_args "$NET" user)
out=$(docker create "${NOUSER[@]}" "$MISSING" 2>&1) && rc=0 || rc=$?
[ $rc -ne 0 ] || fail "create of a missing image succeeded: $out"
assert_contains "$out" "Unable to find image '$MISSING' locally" "the CLI pulls after sockward's 404"
assert_not_contains "$out" "$DENIED" "missing image"
wait_audit "$PAUDIT" "\"status\":404.*No such image: $MISSING" ||
	wait_audit "$PAUDIT" "No such image: $MISSING" || fail "no 404 No such image in the audit log"
st=$(curl_t -sS --unix-socket "$PSOCK" -o "$SW_TMP/missing.out" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' \
	-d "{\"Image\":\"$MISSING\",\"HostConfig\":{\"NetworkMode\":\"$NET\",\"CapDrop\":[\"ALL\"],\"SecurityOpt\":[\"no-new-privileges\"],\"ReadonlyRootfs\":true,\"Memory\":67108864,\"NanoCpus\":500000000,\"PidsLimit\":64}}" \
	"http://d/v1.41/containers/create")
assert_eq 404 "$st" "raw create of a missing image with an empty user"
assert_contains "$(cat "$SW_TMP/missing.out")" "No such image: $MISSING" "404 body"
# with an explicit non-root user no lookup is needed: dockerd itself answers 404
out=$(docker create "${HARD[@]}" "$MISSING" 2>&1) && rc=0 || rc=$?
[ $rc -ne 0 ] && assert_contains "$out" "Unable to find image" "missing image, explicit user"
# the image exists and runs as root (no USER): denied, [user.root] names the image
out=$(docker run --rm "${NOUSER[@]}" "$IMG" true 2>&1) && rc=0 || rc=$?
expect_denied user.root "docker run (empty user, root image)" "$out" "$rc"
assert_contains "$out" "$IMG runs as root" "user.root message names the image"
# an image whose USER is non-root passes without --user (the lookup reads its config)
NR=local/$(uniq_name nonroot):1; on_exit_rm_image "$NR"
engine commit --change 'USER 1000:1000' "$R" "$NR" >/dev/null
out=$(docker run --rm "${NOUSER[@]}" "$NR" id -u 2>&1) || fail "image with USER 1000 refused: $out"
assert_eq 1000 "$out" "image USER 1000 without --user"
log "ok: endpoints, raw rules and lookups"
