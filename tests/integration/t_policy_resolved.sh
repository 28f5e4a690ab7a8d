#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 (remaining items), against the real engine through a
# sockward of this test's own (profile "res": restricted, group_add lists 0,
# root and 1000 so that only user.root judges them):
#   - users as dockerd resolves them: --user 4242 and 1000 (the engine gives
#     4242 gid 0, as the image's passwd has no entry for it: measured here), --group-add 0 and
#     root, an image whose USER is a bare uid, exec -u 4242, exec in a
#     container made on the engine with --group-add 0;
#   - networks made outside sockward, attached by name: a bridge that adopts a
#     host bridge name (run, create, network connect); the driver of an
#     existing network (a profile that allows only overlay);
#   - local tmpfs volumes: o=size=16m is mounted exec,suid,dev (measured in
#     /proc/mounts), refused on create, --mount volume-opt and when it exists;
#     with noexec,nosuid,nodev it is created and mounted so;
#   - log drivers: syslog, none, an unbounded max-size refused; json-file with
#     bounded options runs.
# Each refusal must reach the docker CLI with sockward's message.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start res '{ "default_profile": "res",
  "profiles": { "res": { "base": "restricted", "group_add": ["0", "root", "1000"] } } }'
DENIED="sockward: denied by policy 'res'"
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")
mapfile -t NOUSER < <(hard_args "$NET" user)
mapfile -t NONET < <(hard_args "$NET" net)

# refused RULE CMD...: the docker CLI gets sockward's denial naming RULE;
# the output is left in OUT
refused() {
	local rule=$1 rc=0; shift
	OUT=$("$@" 2>&1 </dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "[$rule] $* was allowed: $OUT"
	assert_contains "$OUT" "$DENIED" "[$rule] $*"
	assert_contains "$OUT" "[$rule]" "[$rule] $*"
	log "ok [$rule] ${*:1:12}"
}

# ---- users -------------------------------------------------------------------------
# what dockerd does with a uid alone: the image's passwd has no entry for
# 4242, so the primary group stays 0 (runc's default), and 1000's group
# comes from its entry
g=$(engine run --rm --user 4242 "$IMG" id -G) || fail "engine run --user 4242"
assert_eq 0 "$g" "the engine runs --user 4242 with gid 0 in $IMG"
log "measured: engine run --user 4242 $IMG id -G -> $g"
refused user.root docker run --rm "${NOUSER[@]}" --user 4242 "$IMG" id -G
assert_contains "$OUT" "(--user 4242:4242)" "--user 4242: the fix"
assert_contains "$OUT" "--user 4242 has primary group 0 (root)" "--user 4242: why"
# 1000 has an entry in the image's passwd: resolved through it, allowed with
# the group the engine gives it (t_policy_users has the images made for this)
want=$(engine run --rm --user 1000 "$IMG" id -G) || fail "engine run --user 1000"
out=$(docker run --rm "${NOUSER[@]}" --user 1000 "$IMG" id -G 2>&1) || fail "--user 1000 refused: $out"
assert_eq "$want" "$out" "--user 1000 through sockward, as the engine resolves it"
refused user.root docker run --rm "${HARD[@]}" --group-add 0 "$IMG" true
assert_contains "$OUT" "--group-add 0 adds group 0 (root)" "--group-add 0"
refused user.root docker run --rm "${HARD[@]}" --group-add root "$IMG" true
out=$(docker run --rm "${HARD[@]}" --group-add 1000 "$IMG" id -G 2>&1) ||
	fail "--user 1000:1000 --group-add 1000 refused: $out"
assert_eq 1000 "$out" "groups of --user 1000:1000 --group-add 1000"
# an image whose USER is a bare uid, run without --user
BARE=local/$(uniq_name bareuid):1; on_exit_rm_image "$BARE"
R=$(uniq_name src); on_exit_rm_container "$R"
engine create --name "$R" "$IMG" true >/dev/null
engine commit --change 'USER 4242' "$R" "$BARE" >/dev/null
refused user.root docker run --rm "${NOUSER[@]}" "$BARE" id -g
assert_contains "$OUT" "runs as user 4242, which has primary group 0 (root)" "image USER 4242"
# exec
C=$(uniq_name ok); on_exit_rm_container "$C"
docker run -d --name "$C" "${HARD[@]}" "$IMG" sleep 120 >/dev/null || fail "hardened run -d refused"
refused exec.user docker exec -u 4242 "$C" id -g
assert_contains "$OUT" "(docker exec --user 4242:4242)" "exec -u 4242: the fix"
out=$(docker exec -u 1000:1000 "$C" id -g 2>&1) || fail "exec -u 1000:1000 refused: $out"
assert_eq 1000 "$out" "exec -u 1000:1000"
G0=$(uniq_name g0); on_exit_rm_container "$G0"
engine run -d --name "$G0" --user 1000:1000 --group-add 0 "$IMG" sleep 120 >/dev/null
refused exec.user docker exec -u 1000:1000 "$G0" id -G
assert_contains "$OUT" "the container's --group-add 0 adds group 0" "exec in a --group-add 0 container"

# ---- networks made on the engine, attached by name ---------------------------------------
HB=$(uniq_name hb); on_exit_rm_network "$HB"
engine network create -o "com.docker.network.bridge.name=swt$$" "$HB" >/dev/null
refused network.driver docker run --rm "${NONET[@]}" --network "$HB" "$IMG" true
assert_contains "$OUT" "com.docker.network.bridge.name=swt$$" "host bridge name of an existing network"
refused network.driver docker network connect "$HB" "$C"
refused network.driver docker create "${NONET[@]}" --network "$HB" --name "$(uniq_name hbc)" "$IMG" true
# connecting to a user-defined bridge keeps working (its body is decoded now)
N2=$(uniq_name net2); on_exit_rm_network "$N2"
engine network create "$N2" >/dev/null
out=$(docker network connect --alias web2 "$N2" "$C" 2>&1) || fail "docker network connect $N2 refused: $out"
assert_contains "$(engine inspect -f '{{json .NetworkSettings.Networks}}' "$C")" "\"$N2\"" "connected to $N2"
# NetworkID in the endpoint settings of a user-defined network is the network
# dockerd attaches (getNetworkID), whatever the key says: raw, no CLI sends it
HBID=$(engine network inspect -f '{{.Id}}' "$HB")
P=$(uniq_name nid)
body='{"Image":"'$IMG'","User":"1000:1000","HostConfig":{"NetworkMode":"'$NET'","CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,"PidsLimit":64},"NetworkingConfig":{"EndpointsConfig":{"'$NET'":{"NetworkID":"'$HBID'"}}}}'
out=$(curl_t -sS --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' --data-binary "$body" \
	-w '\n%{http_code}' "http://d/v1.41/containers/create?name=$P")
assert_eq 403 "$(tail -1 <<<"$out")" "EndpointsConfig NetworkID of a host-bridge network"
assert_contains "$out" "[network.driver]" "EndpointsConfig NetworkID"
if engine inspect "$P" >/dev/null 2>&1; then on_exit_rm_container "$P"; fail "the NetworkID create reached the engine"; fi
out=$(curl_t -sS --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' \
	--data-binary '{"Container":"'$C'","EndpointConfig":{"NetworkID":"'$HBID'"}}' \
	-w '\n%{http_code}' "http://d/v1.41/networks/$NET/connect")
assert_eq 403 "$(tail -1 <<<"$out")" "network connect with EndpointConfig.NetworkID"
assert_contains "$out" "[network.driver]" "network connect NetworkID"
log "ok [network.driver] EndpointsConfig / EndpointConfig NetworkID"
# the driver of an existing network: a profile that allows only overlay
# networks refuses the bridge network made on the engine ($NET).  (macvlan
# and ipvlan networks cannot be made on this kernel: "operation not
# supported"; the table tests cover them.)
SOCK1=$PSOCK
sw_policy_start ovl '{ "default_profile": "ovl",
  "profiles": { "ovl": { "base": "restricted", "network_drivers": { "replace": ["overlay"] } } } }'
DENIED="sockward: denied by policy 'ovl'"
refused network.driver env DOCKER_HOST="unix://$PSOCK" docker run --rm "${HARD[@]}" "$IMG" true
assert_contains "$OUT" "network $NET has driver bridge" "the driver of an existing network"
DENIED="sockward: denied by policy 'res'"
PSOCK=$SOCK1
# the user-defined bridge keeps working (the hardened run above is on $NET)

# ---- tmpfs volumes -------------------------------------------------------------------------
# what the local driver does with o=size=16m: a tmpfs without noexec/nosuid/nodev
EV=$(uniq_name ev); on_exit_rm_volume "$EV"
engine volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m "$EV" >/dev/null
m=$(engine run --rm -v "$EV:/v" "$IMG" grep ' /v ' /proc/mounts) || fail "engine run with $EV"
assert_not_contains "$m" "noexec" "a tmpfs volume with o=size=16m"
assert_not_contains "$m" "nosuid" "a tmpfs volume with o=size=16m"
log "measured: o=size=16m volume mounted as: $m"
V=$(uniq_name vol); on_exit_rm_volume "$V"
refused mounts.tmpfs docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m "$V"
assert_contains "$OUT" "use o=size=16m,noexec,nosuid,nodev" "tmpfs volume: the fix"
refused mounts.volume_bind docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m,noexec,nosuid,nodev,remount "$V"
refused mounts.tmpfs docker run --rm "${HARD[@]}" \
	--mount "type=volume,source=$(uniq_name mv),target=/v,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m" "$IMG" true
refused mounts.tmpfs docker run --rm "${HARD[@]}" -v "$EV:/v" "$IMG" true
assert_contains "$OUT" "(existing volume)" "an existing exec tmpfs volume"
if engine volume inspect "$V" >/dev/null 2>&1; then fail "a refused tmpfs volume exists on the engine"; fi
docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m,noexec,nosuid,nodev "$V" >/dev/null ||
	fail "a noexec,nosuid,nodev tmpfs volume was refused"
m=$(docker run --rm "${HARD[@]}" -v "$V:/v" "$IMG" grep ' /v ' /proc/mounts 2>&1) ||
	fail "the noexec,nosuid,nodev tmpfs volume was refused at run: $m"
for f in noexec nosuid nodev; do assert_contains "$m" "$f" "tmpfs volume created through sockward"; done

# ---- the lookup cache follows the engine's events ------------------------------------------------
# sockward keeps a volume's inspect answer while the engine's event stream is
# quiet about volumes; replacing the volume behind its back (directly on the
# engine, same name, exec tmpfs options) must be seen at the next request
CV=$(uniq_name cv); on_exit_rm_volume "$CV"
engine volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m,noexec,nosuid,nodev "$CV" >/dev/null
for i in 1 2; do
	docker run --rm "${HARD[@]}" -v "$CV:/v" "$IMG" true >/dev/null 2>&1 ||
		fail "a noexec,nosuid,nodev tmpfs volume was refused (run $i)"
done
engine volume rm "$CV" >/dev/null
engine volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=16m "$CV" >/dev/null
refused mounts.tmpfs docker run --rm "${HARD[@]}" -v "$CV:/v" "$IMG" true
assert_contains "$OUT" "(existing volume)" "the replaced volume is judged as it is now"

# a network share is mounted by the engine's host with the host's own network identity: only
# where the profile lists its type in volume_types (restricted: tmpfs alone)
refused mounts.volume_bind docker volume create --opt type=nfs --opt device=:/export \
	--opt o=addr=127.0.0.1 "$(uniq_name nfs)"
assert_contains "$OUT" "volume_types are allowed (tmpfs)" "the allowed types are named"

# ---- log drivers ------------------------------------------------------------------------------
refused logging.driver docker run --rm "${HARD[@]}" --log-driver syslog \
	--log-opt syslog-address=udp://127.0.0.1:514 "$IMG" true
assert_contains "$OUT" "json-file, local, journald" "the allowed drivers are named"
refused logging.driver docker run --rm "${HARD[@]}" --log-driver none "$IMG" true
refused logging.driver docker run --rm "${HARD[@]}" --log-opt max-size=1g "$IMG" true
refused logging.driver docker run --rm "${HARD[@]}" --log-opt fluentd-address=127.0.0.1:24224 "$IMG" true
# a named json-file keeps every line without max-size (the engine's default
# options apply only to its default driver)
refused logging.driver docker run --rm "${HARD[@]}" --log-driver json-file "$IMG" true
assert_contains "$OUT" "keeps every log line" "an unbounded json-file is explained"
L=$(uniq_name log); on_exit_rm_container "$L"
docker create --name "$L" "${HARD[@]}" --log-driver json-file --log-opt max-size=10m \
	--log-opt max-file=3 "$IMG" true >/dev/null || fail "json-file with bounded options refused"
assert_eq "json-file 10m 3" "$(engine inspect -f '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}' "$L")" \
	"the log config reached the engine as judged"
log "t_policy_resolved: ok"
