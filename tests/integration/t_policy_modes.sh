#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: modes, exceptions and identity bindings over the unix
# listener, each with a sockward of its own:
#   warn      - a violating create is forwarded; the docker CLI prints
#               "WARNING: sockward: [rule] ..." lines; a privileged one too
#   audit     - forwarded; the audit line has verdict "audit" and the rule ids
#   exception - the excepted rule passes for the matching identity and image,
#               the reason is in sockward's log and audit line; other rules and
#               other images still deny
#   binding   - {"uid": 0} -> baseline lets a plain docker run pass while the
#               default (restricted) denies the same command for uid 1000
#   registry  - image.registry with an images allowlist
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
mapfile -t HARD < <(hard_args "$NET")
mapfile -t NOUSER < <(hard_args "$NET" user)

# ---- warn ------------------------------------------------------------------------------
sw_policy_start warn '{ "default_profile": "w",
  "profiles": { "w": { "base": "restricted", "mode": "warn" } } }'
c=$(uniq_name warn); on_exit_rm_container "$c"
err=$(DOCKER_HOST=unix://$PSOCK docker create --name "$c" "$IMG" true 2>&1 >/dev/null) ||
	fail "warn mode: docker create was refused: $err"
for r in capabilities.drop security.no_new_privileges limits.memory limits.cpu limits.pids \
	rootfs.readonly network.default_bridge user.root; do
	assert_contains "$err" "WARNING: sockward: [$r]" "warn mode: docker create stderr"
done
engine inspect "$c" >/dev/null || fail "warn mode: the container was not created"
c=$(uniq_name warnpriv); on_exit_rm_container "$c"
err=$(DOCKER_HOST=unix://$PSOCK docker run -d --name "$c" --privileged "${HARD[@]}" "$IMG" sleep 30 2>&1 >/dev/null) ||
	fail "warn mode: docker run -d --privileged was refused: $err"
assert_contains "$err" "WARNING: sockward: [privileged]" "warn mode: docker run -d stderr"
assert_not_contains "$err" "[user.root]" "warn mode: only the violations of the request"
assert_eq true "$(engine inspect -f '{{.HostConfig.Privileged}}' "$c")" "warn mode forwards the request as sent"
wait_audit "$PAUDIT" "\"verdict\":\"warn\".*\"rules\":\\[\"privileged\"\\]" ||
	fail "warn mode: no warn verdict with [privileged] in the audit log: $(tail -3 "$PAUDIT")"
# decoding traps are never subject to the mode
st=$(curl_t -s -o /dev/null -w '%{http_code}' --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' \
	-d '{"Image":"'"$IMG"'","HostConfig":{"Privileged":false,"Privileged":true}}' "http://d/v1.41/containers/create")
assert_eq 400 "$st" "warn mode: duplicate keys are still 400"
log "ok: warn mode"

# ---- audit -----------------------------------------------------------------------------
sw_policy_start audit '{ "default_profile": "a",
  "profiles": { "a": { "base": "restricted", "mode": "audit" } } }'
c=$(uniq_name audit); on_exit_rm_container "$c"
out=$(DOCKER_HOST=unix://$PSOCK docker create --name "$c" --pid host "${HARD[@]}" "$IMG" true 2>&1) ||
	fail "audit mode: docker create was refused: $out"
assert_not_contains "$out" "WARNING: sockward" "audit mode: no warnings for the client"
wait_audit "$PAUDIT" "\"path\":\"/v[0-9.]*/containers/create\\?name=$c\".*\"verdict\":\"audit\"" ||
	fail "audit mode: no audit verdict: $(tail -2 "$PAUDIT")"
line=$(audit_last "$PAUDIT" "\"path\":\"/v[0-9.]*/containers/create\\?name=$c\"")
assert_contains "$line" '"rules":["namespaces.pid"]' "audit mode: rule ids in the audit line"
assert_contains "$line" '"mode":"audit"' "audit mode: audit line"
assert_eq host "$(engine inspect -f '{{.HostConfig.PidMode}}' "$c")" "audit mode forwards the request"
log "ok: audit mode"

# ---- exception ---------------------------------------------------------------------------
REASON="integration: busybox runs as root by design (SW-EXC-$SW_RUN_ID)"
sw_policy_start exc '{ "default_profile": "restricted",
  "exceptions": [ { "rule": "user.root", "identity": { "uid": 0 },
                    "images": [ "local/busybox:*" ], "reason": "'"$REASON"'" } ] }'
export DOCKER_HOST=unix://$PSOCK
out=$(docker run --rm "${NOUSER[@]}" "$IMG" id -u 2>&1) ||
	fail "exception: user.root was not excepted for local/busybox: $out"
assert_eq 0 "$out" "exception: runs as root"
wait_for 5 grep -qF "\"exception_reason\":\"$REASON\"" "$PAUDIT" ||
	fail "exception: the reason is not in the audit line: $(grep containers/create "$PAUDIT" | tail -1)"
line=$(audit_last "$PAUDIT" '"endpoint":"container.create"')
assert_contains "$line" '"verdict":"allow"' "exception: audit verdict"
assert_contains "$line" '"exception":' "exception: audit line names the exception"
grep -qF "$REASON" "$PLOG" || fail "exception: the reason is not in sockward's log: $(tail -3 "$PLOG")"
# the exception covers that rule only ...
out=$(docker run --rm "${NOUSER[@]}" --privileged "$IMG" true 2>&1) && fail "exception: --privileged passed"
assert_contains "$out" "[privileged]" "exception: other rules still deny"
assert_not_contains "$out" "[user.root]" "exception: user.root stays excepted"
# ... and those images only
OTHER=local/$(uniq_name other):1; on_exit_rm_image "$OTHER"
engine tag "$IMG" "$OTHER"
out=$(docker run --rm "${NOUSER[@]}" "$OTHER" true 2>&1) && fail "exception: applied to $OTHER"
assert_contains "$out" "$DENIED" "exception: another image"
assert_contains "$out" "[user.root]" "exception: another image"
unset DOCKER_HOST
log "ok: exception"

# ---- bindings: uid 0 -> baseline, everyone else -> restricted ------------------------------
# The socket lives in a directory uid 1000 can reach, so the same command can be
# sent by a second identity.
PUB=$(mktemp -d /tmp/swpol.XXXXXX); chmod 0755 "$PUB"
trap 'rc=$?; rm -rf "$PUB"; (exit $rc); _swp_exit' EXIT   # _swp_exit reads the test's status from $?
sw_policy_start bind '{ "default_profile": "restricted",
  "bindings": [ { "match": { "uid": 0 }, "profile": "baseline" } ] }' \
	"{ \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PUB/bind.sock\", \"mode\": \"0666\" }"
out=$(DOCKER_HOST=unix://$PUB/bind.sock docker run --rm "$IMG" echo hi 2>&1) ||
	fail "binding: plain docker run refused for uid 0 (baseline): $out"
assert_eq hi "$out" "binding: plain docker run output"
line=$(audit_last "$PAUDIT" '"endpoint":"container.create"')
assert_contains "$line" '"profile":"baseline"' "binding: uid 0 judged by baseline"
out=$(DOCKER_HOST=unix://$PUB/bind.sock docker run --rm --privileged "$IMG" true 2>&1) &&
	fail "binding: baseline allowed --privileged"
assert_contains "$out" "sockward: denied by policy 'baseline'" "binding: baseline still denies"
assert_contains "$out" "[privileged]" "binding: baseline still denies --privileged"
mkdir -m 0777 "$PUB/cfg"
out=$(DOCKER_CONFIG=$PUB/cfg DOCKER_HOST=unix://$PUB/bind.sock HOME=$PUB \
	timeout -s KILL 30 setpriv --reuid=1000 --regid=1000 --clear-groups \
	"$DOCKER_CLI" run --rm "$IMG" echo hi 2>&1) && fail "binding: uid 1000 (restricted) was allowed: $out"
assert_contains "$out" "$DENIED for uid=1000" "binding: uid 1000 gets the default profile"
assert_contains "$out" "[user.root]" "binding: uid 1000 denied by restricted"
log "ok: bindings"

# ---- image.registry --------------------------------------------------------------------
sw_policy_start reg '{ "default_profile": "r",
  "profiles": { "r": { "base": "restricted", "images": [ "registry.example.com/*" ] } } }'
out=$(DOCKER_HOST=unix://$PSOCK docker create "${HARD[@]}" "$IMG" true 2>&1) &&
	fail "image.registry: $IMG outside the allowlist was allowed"
assert_contains "$out" "sockward: denied by policy 'r'" "image.registry"
assert_contains "$out" "[image.registry]" "image.registry"
log "ok: image.registry"
