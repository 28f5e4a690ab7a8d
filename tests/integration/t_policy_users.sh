#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 class 7: users resolved through the image's /etc/passwd
# and /etc/group as dockerd does (runc's GetExecUser), against the real
# engine.  Two images committed from $SW_IMAGE:
#   PW1: passwd maps toor to uid 0 and app to 1000:1000, group lists app in
#        no gid-0 group;
#   PW2: the same passwd, group lists app in wheel (gid 0).
# --user toor refused, --user app allowed on PW1 and refused on PW2
# (supplementary gid 0), --user 1000 allowed on PW1 (passwd gives it group
# 1000) and --user 4242 refused (no entry: gid 0); exec and start read the
# container's files as they are now (a passwd changed with cp after the
# create is judged); no sockward-passwd-* container is left on the engine;
# a second run of the same image creates no transient container (counted in
# the engine's events).  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start usr '{ "default_profile": "usr",
  "profiles": { "usr": { "base": "restricted" } } }'
DENIED="sockward: denied by policy 'usr'"
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t NOUSER < <(hard_args "$NET" user)

refused() {
	local rule=$1 rc=0; shift
	OUT=$("$@" 2>&1 </dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "[$rule] $* was allowed: $OUT"
	assert_contains "$OUT" "$DENIED" "[$rule] $*"
	assert_contains "$OUT" "[$rule]" "[$rule] $*"
	log "ok [$rule] ${*:1:14}"
}

# transient containers sockward made since T (engine events, by label)
transient() {
	sleep 1.1   # --until is in whole seconds: let the current one end
	engine events --since "$1" --until "$(date +%s)" --filter "label=io.sockward.internal=passwd" \
		--filter "event=$2" --format '{{.Actor.Attributes.name}}' | grep -c . || true
}
no_leftovers() {
	local left
	left=$(engine ps -aq --filter name=sockward-passwd-)
	[ -z "$left" ] || fail "transient containers left on the engine: $left"
}

# ---- the images ----------------------------------------------------------------------
printf 'root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0:another root:/:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > passwd
printf 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n' > group1
printf 'root:x:0:\napp:x:1000:\nwheel:x:0:app\n' > group2
PW1=local/$(uniq_name pw1):1; on_exit_rm_image "$PW1"
PW2=local/$(uniq_name pw2):1; on_exit_rm_image "$PW2"
for n in 1 2; do
	S=$(uniq_name src$n); on_exit_rm_container "$S"
	engine create --name "$S" "$IMG" true >/dev/null
	engine cp passwd "$S:/etc/passwd"
	engine cp "group$n" "$S:/etc/group"
	eval "engine commit \"$S\" \"\$PW$n\"" >/dev/null
done
# what dockerd does with them (measured)
assert_eq "1000 1000 50" "$(engine run --rm --user app "$PW1" sh -c 'echo $(id -u) $(id -G)')" \
	"the engine runs --user app on PW1 as"
assert_eq "1000 1000 0" "$(engine run --rm --user app "$PW2" sh -c 'echo $(id -u) $(id -G)')" \
	"the engine runs --user app on PW2 as"
assert_eq "0" "$(engine run --rm --user toor "$PW1" id -u)" "the engine runs --user toor as"
log "measured: --user app on PW1 -> 1000 1000 50, on PW2 -> 1000 1000 0, toor -> uid 0"

T0=$(date +%s)
# ---- creates ---------------------------------------------------------------------------
refused user.root docker run --rm "${NOUSER[@]}" --user toor "$PW1" id -u
assert_contains "$OUT" "--user toor is root (uid 0 through image $PW1's /etc/passwd)" "toor: why"
assert_contains "$OUT" "(--user 1000:1000)" "toor: the fix"
out=$(docker run --rm "${NOUSER[@]}" --user app "$PW1" sh -c 'echo $(id -u) $(id -G)' 2>&1) ||
	fail "--user app on PW1 refused: $out"
assert_eq "1000 1000 50" "$out" "--user app on PW1 through sockward"
out=$(docker run --rm "${NOUSER[@]}" --user 1000 "$PW1" id -G 2>&1) ||
	fail "--user 1000 on PW1 refused: $out"
assert_eq "1000 50" "$out" "--user 1000 on PW1 (passwd gives it group 1000, group adds staff)"
refused user.root docker run --rm "${NOUSER[@]}" --user app "$PW2" id -G
assert_contains "$OUT" "--user app is in group 0 (root): image $PW2's /etc/group lists it in group wheel" "app on PW2"
refused user.root docker run --rm "${NOUSER[@]}" --user 4242 "$PW1" id -G
assert_contains "$OUT" "--user 4242 has primary group 0 (root)" "--user 4242 on PW1 (no passwd entry)"
assert_eq "0" "$(engine run --rm --user 4242 "$PW1" id -g)" "the engine gives --user 4242 on PW1 gid"
refused user.root docker run --rm "${NOUSER[@]}" --user nosuch "$PW1" id -G
assert_contains "$OUT" "has no entry in /etc/passwd for user nosuch" "an unknown name"
no_leftovers
# one transient container per image (PW1, PW2), each deleted; a second
# run of PW1 and PW2 makes none
N1=$(transient "$T0" create)
assert_eq 2 "$N1" "transient containers made for two images"
out=$(docker run --rm "${NOUSER[@]}" --user app "$PW1" id -u 2>&1) || fail "second run refused: $out"
refused user.root docker run --rm "${NOUSER[@]}" --user app "$PW2" id -G
assert_eq 2 "$(transient "$T0" create)" "transient containers after second runs (from the cache)"
assert_eq 2 "$(transient "$T0" destroy)" "transient containers deleted"
log "measured: $(transient "$T0" create) transient creates for 8 runs of 2 images"

# ---- exec and start read the container's files as they are now --------------------------
C=$(uniq_name app); on_exit_rm_container "$C"
docker run -d --name "$C" "${NOUSER[@]}" --user app "$PW1" sleep 120 >/dev/null || fail "run -d --user app refused"
out=$(docker exec -u app "$C" id -u 2>&1) || fail "exec -u app refused: $out"
assert_eq 1000 "$out" "exec -u app"
refused exec.user docker exec -u toor "$C" id -u
assert_contains "$OUT" "docker exec --user toor is root (uid 0 through container $C's /etc/passwd)" "exec toor"
# the container's passwd rewritten on the engine: app is now uid 0
printf 'app:x:0:0::/:/bin/sh\n' > passwd0
S=$(uniq_name st); on_exit_rm_container "$S"
# (made on the engine: docker cp cannot write a --read-only rootfs, which
# this profile demands; under a profile that does not, the same happens)
engine create --name "$S" --user app "$PW1" id -u >/dev/null
engine cp passwd0 "$S:/etc/passwd"
refused user.root docker start "$S"
assert_contains "$OUT" "container $S runs as user app, which is root" "start after the passwd changed"
assert_eq created "$(engine inspect -f '{{.State.Status}}' "$S")" "the refused start did not reach the engine"
no_leftovers
log "t_policy_users: ok"
