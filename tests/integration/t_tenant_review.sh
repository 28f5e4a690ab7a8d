#!/usr/bin/env bash
# sw-pass: unix
# Tenants (issue 9), attacks: tenant blue (uid 1001) tries to see or touch
# tenant red's (uid 1000) objects through the corners of the API.
. "$(dirname "$0")/lib.sh"; sw_test_init
. "$(dirname "$0")/policy_lib.sh"
PUB=$(mktemp -d /tmp/swtrv.XXXXXX); chmod 0755 "$PUB"
mkdir -m 0777 "$PUB/cfg1000" "$PUB/cfg1001"
trap 'rc=$?; rm -rf "$PUB"; (exit $rc); _swp_exit' EXIT
sw_policy_start tenants '{ "default_profile": "restricted",
  "profiles": { "team": { "base": "baseline" },
                "small": { "base": "team", "quota": { "containers": 1, "volumes": 1 } } },
  "bindings": [ { "match": { "uid": 0 }, "profile": "baseline" },
                { "match": { "uid": 1000 }, "profile": "team", "tenant": "red" },
                { "match": { "uid": 1001 }, "profile": "team", "tenant": "blue" },
                { "match": { "uid": 1002 }, "profile": "small", "tenant": "green" } ] }' \
	"{ \"name\": \"local\", \"type\": \"unix\", \"path\": \"$PUB/t.sock\", \"mode\": \"0666\" }"
asuid() {
	local u=$1; shift
	DOCKER_CONFIG=$PUB/cfg$u DOCKER_HOST=unix://$PUB/t.sock HOME=$PUB DOCKER_TLS_VERIFY= \
		DOCKER_CERT_PATH= timeout -s KILL "$SW_CMD_TIMEOUT" \
		setpriv --reuid="$u" --regid="$u" --clear-groups "$DOCKER_CLI" "$@"
}
red()  { asuid 1000 "$@"; }
blue() { asuid 1001 "$@"; }
# braw METHOD PATH [BODY]: blue's raw request; prints "BODY STATUS"; graw: green's
braw() { uraw 1001 "$@"; }
graw() { uraw 1002 "$@"; }
uraw() {
	local u=$1 m=$2 p=$3 b=${4-} o
	o=$(setpriv --reuid="$u" --regid="$u" --clear-groups curl -s -g -w ' %{http_code}' \
		--path-as-is --unix-socket "$PUB/t.sock" -X "$m" -H 'Content-Type: application/json' \
		${b:+-d "$b"} "http://d$p")
	printf '%s' "${o//$'\n'/}"
}
IMG=$SW_IMAGE
RC=$(uniq_name red); on_exit_rm_container "$RC"
RN=$(uniq_name rednet); on_exit_rm_network "$RN"
BN=$(uniq_name bluenet); on_exit_rm_network "$BN"
BC=$(uniq_name blue); on_exit_rm_container "$BC"
RI=$(uniq_name redimg); on_exit_rm_image "$RI"
BI=$(uniq_name blueimg); on_exit_rm_image "$BI"
out=$(red network create "$RN" 2>&1) || fail "red: network create: $out"
out=$(blue network create "$BN" 2>&1) || fail "blue: network create: $out"
out=$(red run -d --name "$RC" "$IMG" sleep 300 2>&1) || fail "red: run: $out"
out=$(blue run -d --name "$BC" "$IMG" sleep 300 2>&1) || fail "blue: run: $out"
RID=$(engine inspect -f '{{.Id}}' "$RC"); RNID=$(engine network inspect -f '{{.Id}}' "$RN")
mkdir -p "$PUB/ctx"; printf 'FROM %s\nRUN echo redsecret > /s\n' "$IMG" > "$PUB/ctx/Dockerfile"
out=$(DOCKER_BUILDKIT=0 red build -q -t "$RI" "$PUB/ctx" 2>&1) || fail "red: build: $out"

# the built-in bridge: shared, but not the list of who is on it
out=$(braw GET /v1.41/networks/bridge)
assert_contains "$out" '"Name":"bridge"' "blue: network inspect bridge"
assert_contains "$out" ' 200' "blue: network inspect bridge: status"
assert_not_contains "$out" "$RID" "blue: network inspect bridge shows red's container"
assert_not_contains "$out" "$RC" "blue: network inspect bridge shows red's container name"
out=$(engine network inspect bridge)
assert_contains "$out" "$RID" "the operator's network inspect bridge"
log "ok: network inspect bridge hides who is on it"

# EndpointSettings.NetworkID: dockerd attaches to the network of that ID
BX=$(uniq_name bx); on_exit_rm_container "$BX"
out=$(braw POST "/v1.41/containers/create?name=$BX" "{\"Image\":\"$IMG\",\"Cmd\":[\"true\"],
	\"HostConfig\":{\"NetworkMode\":\"$BN\"},
	\"NetworkingConfig\":{\"EndpointsConfig\":{\"$BN\":{\"NetworkID\":\"$RNID\"}}}}")
assert_contains "$out" "network $RNID not found" "blue: create with red's NetworkID"
assert_contains "$out" ' 400' "blue: create with red's NetworkID: status"
engine inspect "$BX" >/dev/null 2>&1 && fail "blue's container with red's NetworkID was created"
out=$(braw POST "/v1.41/networks/$BN/connect" "{\"Container\":\"$BC\",\"EndpointConfig\":{\"NetworkID\":\"$RNID\"}}")
assert_eq "{\"message\":\"network $RNID not found\"} 404" "$out" "blue: connect with red's NetworkID"
engine inspect -f '{{json .NetworkSettings.Networks}}' "$BC" | grep -q "$RNID" &&
	fail "blue's container joined red's network"
out=$(blue network connect "$BN" "$BC" 2>&1) || fail "blue: network connect of its own: $out"
log "ok: EndpointSettings.NetworkID is judged as a network reference"

# HostConfig.Cgroup container:<x>
out=$(braw POST "/v1.41/containers/create" "{\"Image\":\"$IMG\",\"HostConfig\":{\"Cgroup\":\"container:$RC\"}}")
assert_contains "$out" "No such container: $RC" "blue: --cgroup container:red's"
assert_contains "$out" ' 400' "blue: --cgroup container:red's: status"

# build --cache-from red's image
out=$(cd "$PUB/ctx" && tar c . | setpriv --reuid=1001 --regid=1001 --clear-groups curl -s -w ' %{http_code}' \
	--unix-socket "$PUB/t.sock" -X POST -H 'Content-Type: application/x-tar' --data-binary @- \
	"http://d/v1.41/build?t=$BI&cachefrom=%5B%22$RI%22%5D" | tr -d '\n')
assert_eq "{\"message\":\"No such image: $RI:latest\"} 404" "$out" "blue: build --cache-from red's image"
engine image inspect "$BI" >/dev/null 2>&1 && fail "blue's build --cache-from red's image ran"
log "ok: --cgroup container: and --cache-from"

# corners that already hold: older API version, attach/ws, archive HEAD,
# save by names=, a label filter naming red
out=$(braw GET "/v1.24/containers/$RC/json")
assert_eq "{\"message\":\"No such container: $RC\"} 404" "$out" "blue: /v1.24 inspect"
out=$(braw GET "/v1.41/containers/${RID:0:4}/attach/ws?stream=1")
assert_contains "$out" "No such container: ${RID:0:4}" "blue: attach/ws by ID prefix"
out=$(setpriv --reuid=1001 --regid=1001 --clear-groups curl -s -o /dev/null -w '%{http_code}' -I \
	--unix-socket "$PUB/t.sock" "http://d/v1.41/containers/$RC/archive?path=/")
assert_eq 404 "$out" "blue: HEAD archive"
out=$(braw GET "/v1.41/images/get?names=$IMG&names=$RI:latest")
assert_eq '{"message":"reference does not exist"} 404' "$out" "blue: images/get names= red's"
# a name with no tag saves every tag of that repository, red's too: refused
# for a name that exists and one that does not alike (nothing to tell apart)
out=$(braw GET "/v1.41/images/get?names=$RI")
assert_contains "$out" 'with no tag saves every tag' "blue: images/get names= with no tag"
assert_contains "$out" ' 403' "blue: images/get names= with no tag: status"
out2=$(braw GET "/v1.41/images/get?names=${RI}nosuch")
assert_eq "$(sed "s/$RI/X/g; s/pid=[0-9]*//" <<<"$out")" "$(sed "s/${RI}nosuch/X/g; s/pid=[0-9]*//" <<<"$out2")" \
	"blue: a tagless save tells no existing name from a missing one"
out=$(braw GET "/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.sockward.tenant%3Dred%22%5D%7D")
assert_eq '[] 200' "$out" "blue: ps --filter label=tenant red"
log "ok: blue cannot reach red through the API's corners"

# a name with a leading '/' (dockerd takes "/x" for "x")
out=$(braw POST "/v1.41/containers/create?name=/$RC" "{\"Image\":\"$IMG\"}")
assert_contains "$out" "The container name \\\"/$RC\\\" is already in use by a container that is not your tenant's" \
	"blue: create --name /<red's name>"
assert_not_contains "$out" "${RID:0:12}" "blue: create --name /<red's name> leaks red's ID"
BS=$(uniq_name bslash); on_exit_rm_container "$BS"
out=$(braw POST "/v1.41/containers/create?name=/$BS" "{\"Image\":\"$IMG\"}")
assert_contains "$out" '"Id"' "blue: create --name /<free name>"
assert_eq blue "$(engine inspect -f '{{index .Config.Labels "io.sockward.tenant"}}' "$BS")" "blue: /name label"
log "ok: a container name with a leading /"

# quotas hold under concurrent creates (green: one container, one volume)
pids=()
for i in 1 2 3 4 5 6; do
	n=$(uniq_name gq); on_exit_rm_container "$n"
	( graw POST "/v1.41/containers/create?name=$n" "{\"Image\":\"$IMG\",\"Cmd\":[\"true\"]}" > "$PUB/q$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
ok=0; for i in 1 2 3 4 5 6; do grep -q '"Id"' "$PUB/q$i" && ok=$((ok + 1)); done
assert_eq 1 "$ok" "green: concurrent creates that passed a quota of one container"
assert_eq 1 "$(engine ps -aq --filter label=io.sockward.tenant=green | wc -l)" "green: containers made"
assert_contains "$(cat "$PUB"/q*)" "quota of tenant green: at most 1 containers (running or not), it has 1" \
	"green: the quota message"
pids=()
for i in 1 2 3 4; do
	on_exit_rm_volume "gv$i-$SW_RUN_ID"
	( graw POST "/v1.41/volumes/create" "{\"Name\":\"gv$i-$SW_RUN_ID\"}" > "$PUB/v$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
assert_eq 1 "$(engine volume ls -q --filter label=io.sockward.tenant=green | wc -l)" \
	"green: concurrent volume creates under a quota of one"
log "ok: quotas hold under concurrent creates"

# docker ps --filter since=/before=: the anchor is looked up by dockerd
want=$(braw GET "/v1.41/containers/json?all=1&filters=%7B%22since%22%3A%5B%22swt-ghost-$RANDOM%22%5D%7D")
out=$(braw GET "/v1.41/containers/json?all=1&filters=%7B%22since%22%3A%5B%22$RC%22%5D%7D")
assert_eq "{\"message\":\"no such container $RC\"} ${want##* }" "$out" "blue: ps --filter since=<red's container>"
out=$(braw GET "/v1.41/containers/json?all=1&filters=%7B%22before%22%3A%7B%22${RID:0:10}%22%3Atrue%7D%7D")
assert_contains "$out" "no such container ${RID:0:10}" "blue: ps --filter before=<red's ID prefix>"
out=$(blue ps -a --filter before="$BS" --format '{{.Names}}' 2>&1) || fail "blue: ps --filter before=own: $out"
assert_contains "$out" "$BC" "blue: ps --filter before=<its own container>"
assert_not_contains "$out" "$RC" "blue: ps --filter before=<its own container> shows red's"
log "ok: ps since/before"

# a new named volume with a mode a labelled Mount cannot carry (z) would be
# created by dockerd for no tenant, out of the volume quota (refused)
GZ=gz-$SW_RUN_ID-$RANDOM; on_exit_rm_volume "$GZ"
out=$(blue run --rm -v "$GZ":/x:z "$IMG" true 2>&1) && fail "blue: -v new volume :z ran: $out"
assert_contains "$out" "dockerd would create it with no tenant" "blue: -v newvol:/x:z"
engine volume inspect "$GZ" >/dev/null 2>&1 && fail "blue: -v $GZ:/x:z created the volume"
log "ok: no untenanted volume through a bind mode"

# docker images --filter before=<red's image>: dockerd's 404 for a missing one
want=$(engine images --filter before=swt-ghost-$RANDOM:1 2>&1) || true
out=$(blue images --filter before="$RI" 2>&1) && fail "blue: images --filter before=red's: $out"
assert_contains "$out" "No such image: $RI:latest" "blue: images --filter before=<red's image>"
assert_contains "$want" "No such image: swt-ghost-" "the engine's own answer for a missing anchor"
out=$(blue images --filter since="$IMG" -q 2>&1) || fail "blue: images --filter since=<shared image>: $out"
log "ok: images since/before"

# --volumes-from with an anonymous volume no donor covers: it would be made
# for no tenant (out of sight and out of the volume quota)
BD=$(uniq_name bdonor); on_exit_rm_container "$BD"
out=$(blue create --name "$BD" -v /data "$IMG" true 2>&1) || fail "blue: donor: $out"
before=$(engine volume ls -q | wc -l)
out=$(blue run --rm --volumes-from "$BD" -v /anon "$IMG" true 2>&1) && fail "blue: --volumes-from -v /anon ran: $out"
assert_contains "$out" "the anonymous volume at /anon" "blue: --volumes-from with an uncovered anonymous volume"
assert_eq "$before" "$(engine volume ls -q | wc -l)" "blue: no volume made"
out=$(blue run --rm --volumes-from "$BD":ro -v /data "$IMG" true 2>&1) || fail "blue: --volumes-from -v <donor's path>: $out"
out=$(blue run --rm --volumes-from "$BD" "$IMG" ls /data 2>&1) || fail "blue: --volumes-from: $out"
log "ok: --volumes-from and anonymous volumes"
