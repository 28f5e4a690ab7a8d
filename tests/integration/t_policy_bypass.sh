#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: raw bypass forms of a privileged create, sent byte-exact
# (policy_raw.py) to a sockward of this test's own (default profile
# restricted): chunked body (CVE-2024-41110), a body over the 1 MiB cap,
# Content-Type spellings, case-variant and Unicode-folded keys, \u escapes,
# duplicate keys, encoded paths, old API versions, HostConfig at start, wrong
# Go types, trailing data, top-level HostConfig fields.  Each must be answered
# 400/403/413 with the expected message; afterwards no container of those
# requests exists and EVERY container and volume on the engine is inspected
# for non-compliance.  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start byp '{ "default_profile": "restricted" }'
NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
PREFIX=$(uniq_name byp)

python3 "$POLICY_RAW" bypass "$PSOCK" "$NET" "$PREFIX"

# The first request of the run is a compliant create (the control); every
# other one was denied, so exactly one container carries the prefix.
names=$(engine ps -a --filter "name=$PREFIX" --format '{{.Names}}')
assert_eq "$PREFIX-1" "$names" "containers the bypass requests left on the engine"
on_exit_rm_container "$PREFIX-1"
assert_eq false "$(engine inspect -f '{{.HostConfig.Privileged}}' "$PREFIX-1")" "the control container"

# the same forms through docker-compatible curl: the chunked create (as curl sends it)
body='{"Image":"'$SW_IMAGE'","User":"1000:1000","HostConfig":{"NetworkMode":"'$NET'","CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,"PidsLimit":64,"Privileged":true}}'
out=$(printf '%s' "$body" | curl_t -sS --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary @- -w '\n%{http_code}' \
	"http://d/v1.41/containers/create?name=$PREFIX-curl")
assert_eq 403 "$(tail -1 <<<"$out")" "curl chunked privileged create"
assert_contains "$out" "$DENIED" "curl chunked privileged create"
assert_contains "$out" "[privileged]" "curl chunked privileged create"
if engine inspect "$PREFIX-curl" >/dev/null 2>&1; then fail "the chunked privileged create reached the engine"; fi

# every decision went to the audit trail, none of them forwarded a privileged body
n403=$(grep -c '"status":403' "$PAUDIT" || true)
n400=$(grep -c '"status":400' "$PAUDIT" || true)
n413=$(grep -c '"status":413' "$PAUDIT" || true)
log "audit: $n403 x 403, $n400 x 400, $n413 x 413"
[ "$n413" -ge 2 ] || fail "expected the two oversize bodies as 413 in the audit log"
if grep '"verdict":"allow"' "$PAUDIT" | grep -q '"path":"/v1\.[0-9]*/containers/create?name='"$PREFIX"'-[02-9]'; then
	fail "a bypass request was forwarded: $(grep '"verdict":"allow"' "$PAUDIT" | grep "$PREFIX" | head -3)"
fi

# the inventory check itself catches non-compliance: a privileged container
# with the docker socket, created directly on the engine, must make it fail
BAD=$(uniq_name selftest); on_exit_rm_container "$BAD"
engine create --name "$BAD" --privileged --pid host -v /var/run/docker.sock:/s "$SW_IMAGE" true >/dev/null
if out=$(python3 "$POLICY_RAW" inventory "$SW_ENGINE_SOCK" 2>&1); then
	fail "the inventory check does not see a privileged container: $out"
fi
for what in "$BAD: privileged" "$BAD: PidMode=host" "docker socket"; do
	assert_contains "$out" "$what" "inventory self-test"
done
engine rm -f "$BAD" >/dev/null

# the whole engine: nothing non-compliant anywhere (other tests leave only compliant things)
python3 "$POLICY_RAW" inventory "$SW_ENGINE_SOCK"
