#!/usr/bin/env bash
# docker version with both CLIs: client and server parts, API negotiated to 1.41.
. "$(dirname "$0")/lib.sh"; sw_test_init
v=$(docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Client.APIVersion}}')
log "CLI 28: $v"
read -r sv sapi capi <<<"$v"
[ -n "$sv" ] || fail "no server version"
assert_eq 1.41 "$capi" "negotiated client API version"
v20=$(docker20 version --format '{{.Server.Version}}')
assert_eq "$sv" "$v20" "server version seen by CLI 20.10"
