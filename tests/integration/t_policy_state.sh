#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 class 2: state stored in the engine is looked up and judged
# when a request uses it, through a sockward of this test's own (profile "st":
# restricted with images local/*).  Things made directly on the engine:
#  - a local volume with -o o=bind -o device=/ : docker run -v vol:/x and
#    --mount type=volume,source=vol are refused [mounts.volume_bind]; a plain
#    existing volume and a new one work;
#  - a container with --cpu-quota 800000 --cpu-period 1000000 (0.8 CPUs):
#    docker update --cpu-period 100000 (8 CPUs) is refused [limits.cpu], and
#    the container is unchanged; a lower quota works;
#  - an image whose only name is on a registry not allowed: docker create by
#    its ID (and ID prefix) is refused [image.registry]; by the ID of an
#    allowed image it works;
#  - docker commit --change 'USER root' and docker import --change 'USER root'
#    are refused [user.root] and create no image; USER 1000 works;
#  - docker load is refused [image.load].
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start st '{ "default_profile": "st",
  "profiles": { "st": { "base": "restricted", "images": ["local/*"] } } }'
DENIED_ST="sockward: denied by policy 'st'"
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")

# refused RULE WHAT TEXT CMD...: the command fails with sockward's message
refused() {
	local rule=$1 what=$2 text=$3 out rc=0; shift 3
	out=$("$@" 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "[$rule] $what was allowed: $out"
	assert_contains "$out" "$DENIED_ST" "[$rule] $what"
	assert_contains "$out" "[$rule]" "[$rule] $what"
	[ -z "$text" ] || assert_contains "$out" "$text" "[$rule] $what"
	log "ok [$rule] $what"
}

# ---- named volumes ------------------------------------------------------------
VOL=$(uniq_name hostroot); on_exit_rm_volume "$VOL"
engine volume create -d local -o type=none -o o=bind -o device=/ "$VOL" >/dev/null
refused mounts.volume_bind "docker run -v $VOL:/x (a bind volume made on the engine)" \
	"-v $VOL (existing volume): local volume with device=/ o=bind binds a host path" \
	docker run --rm --name "$(uniq_name vr)" "${HARD[@]}" -v "$VOL:/x:ro" "$IMG" true
refused mounts.volume_bind "docker run --mount type=volume,source=$VOL" "--mount source $VOL (existing volume)" \
	docker run --rm --name "$(uniq_name vm)" "${HARD[@]}" \
	--mount "type=volume,source=$VOL,target=/x,readonly" "$IMG" true
refused mounts.volume_bind "docker create -v $VOL:/x" "" \
	docker create --name "$(uniq_name vc)" "${HARD[@]}" -v "$VOL:/x:ro" "$IMG" true
PLAIN=$(uniq_name plain); on_exit_rm_volume "$PLAIN"
engine volume create "$PLAIN" >/dev/null
out=$(docker run --rm "${HARD[@]}" -v "$PLAIN:/x" "$IMG" sh -c 'test -d /x && echo ok')
assert_eq ok "$out" "docker run -v an existing plain volume"
NEWV=$(uniq_name newv); on_exit_rm_volume "$NEWV"
out=$(docker run --rm "${HARD[@]}" -v "$NEWV:/x" "$IMG" sh -c 'test -d /x && echo ok')
assert_eq ok "$out" "docker run -v a volume dockerd creates"
assert_eq local "$(engine volume inspect -f '{{.Driver}}' "$NEWV")" "the new volume's driver"

# ---- docker update merged with the container -------------------------------------
UPD=$(uniq_name upd); on_exit_rm_container "$UPD"
engine run -d --name "$UPD" --user 1000:1000 --cpu-quota 800000 --cpu-period 1000000 \
	--memory 64m --pids-limit 64 "$IMG" sleep 120 >/dev/null
refused limits.cpu "docker update --cpu-period 100000 under --cpu-quota 800000" \
	"after this update container $UPD could use 8 CPUs" \
	docker update --cpu-period 100000 "$UPD"
assert_eq 1000000 "$(engine inspect -f '{{.HostConfig.CpuPeriod}}' "$UPD")" "CpuPeriod after the refused update"
docker update --cpu-quota 200000 "$UPD" >/dev/null
assert_eq 200000 "$(engine inspect -f '{{.HostConfig.CpuQuota}}' "$UPD")" "CpuQuota after a lower quota"

# ---- an image by ID -------------------------------------------------------------------
SRC=$(uniq_name src); on_exit_rm_container "$SRC"
engine create --name "$SRC" --user 1000:1000 "$IMG" true >/dev/null
EVIL=evil.example.com/$(uniq_name st):1; on_exit_rm_image "$EVIL"
engine commit --change 'LABEL sockward.test=state' "$SRC" "$EVIL" >/dev/null
ID=$(engine image inspect -f '{{.Id}}' "$EVIL"); HEX=${ID#sha256:}
for ref in "$ID" "${HEX:0:12}" "${HEX:0:6}"; do
	refused image.registry "docker create $ref (an image named only $EVIL)" "is $EVIL, not from an allowed" \
		docker create --name "$(uniq_name idc)" "${HARD[@]}" "$ref" true
done
OK_ID=$(engine image inspect -f '{{.Id}}' "$IMG"); OKC=$(uniq_name okid); on_exit_rm_container "$OKC"
docker create --name "$OKC" "${HARD[@]}" "${OK_ID#sha256:}" true >/dev/null ||
	fail "docker create by the ID of $IMG was refused"

# ---- commit, import, load ---------------------------------------------------------------
SNAP=local/$(uniq_name snap):1
refused user.root "docker commit --change 'USER root'" "--change 'USER root' makes the image run as root" \
	docker commit --change 'USER root' "$SRC" "$SNAP"
if engine image inspect "$SNAP" >/dev/null 2>&1; then fail "the refused commit made $SNAP"; fi
on_exit_rm_image "$SNAP"
docker commit --change 'USER 1000' "$SRC" "$SNAP" >/dev/null
assert_eq 1000 "$(engine image inspect -f '{{.Config.User}}' "$SNAP")" "committed image's user"

tar -cf empty.tar -T /dev/null
IMP=local/$(uniq_name imp):1
refused user.root "docker import --change 'USER root'" "docker import --change 'USER root'" \
	docker import --change 'USER root' empty.tar "$IMP"
if engine image inspect "$IMP" >/dev/null 2>&1; then on_exit_rm_image "$IMP"; fail "the refused import made $IMP"; fi

engine save -o img.tar "$IMG"
refused image.load "docker load" "docker load is not allowed" docker load -i img.tar
log "t_policy_state: ok"
