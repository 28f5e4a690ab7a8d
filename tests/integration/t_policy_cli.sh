#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 3: every restricted rule a `docker create`/`docker run` can
# break, broken once per row of the table below through a sockward of this
# test's own (default profile restricted, no bindings: the unix peer uid 0 gets
# restricted).  Each row starts from the fully hardened flags, drops the
# groups it names and adds its own arguments; the CLI must fail and print
# sockward's message with the rule id in brackets, and nothing may be created.
# Then the fully hardened command of the issue must run.  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start cli '{ "default_profile": "restricted" }'
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
IMG=$SW_IMAGE
# a compliant running container: target of --volumes-from / container:<id>
PEER=$(uniq_name peer); on_exit_rm_container "$PEER"
engine run -d --name "$PEER" --user 1000:1000 "$IMG" sleep 120 >/dev/null
# host paths for the mount rows
ln -s "$SW_ENGINE_SOCK" "$SW_TMP/engine-link.sock"   # a symlink to the engine's socket
ln -s /etc "$SW_TMP/etc-link"
mkdir -p "$SW_TMP/data"
ln -s "$SW_TMP/data" "$SW_TMP/data-link"
DENY_PREFIX=$(uniq_name deny)

rows=0
covered=" "
# deny RULE DROP-GROUPS ARGS... : docker create must be refused with [RULE]
deny() {
	local rule=$1 drops=$2; shift 2
	local name=$DENY_PREFIX-$rows out rc=0
	rows=$((rows + 1))
	local -a flags
	# shellcheck disable=SC2086
	mapfile -t flags < <(hard_args "$NET" ${drops//,/ })
	out=$(docker create --name "$name" "${flags[@]}" "$@" 2>&1) || rc=$?
	[ $rc -ne 0 ] || { on_exit_rm_container "$name"; fail "[$rule] docker create $* was allowed"; }
	assert_contains "$out" "$DENIED" "[$rule] docker create $*"
	assert_contains "$out" "[$rule]" "[$rule] docker create $*"
	covered+="$rule "
	log "ok [$rule] docker create $*"
}

# rule                       drop        arguments (image last)
deny privileged              -           --privileged "$IMG"
deny namespaces.network      net         --network host "$IMG"
deny namespaces.pid          -           --pid host "$IMG"
deny namespaces.ipc          -           --ipc host "$IMG"
deny namespaces.uts          -           --uts host "$IMG"
deny namespaces.userns       -           --userns host "$IMG"
deny namespaces.cgroupns     -           --cgroupns host "$IMG"
deny namespaces.container    net         --network "container:$PEER" "$IMG"
deny namespaces.container    -           --pid "container:$PEER" "$IMG"
deny namespaces.container    -           --ipc "container:$PEER" "$IMG"
deny mounts.docker_socket    -           -v /var/run/docker.sock:/var/run/docker.sock "$IMG"
deny mounts.docker_socket    -           -v /run/docker.sock:/s:ro "$IMG"
deny mounts.docker_socket    -           -v /run:/host-run:ro "$IMG"
deny mounts.docker_socket    -           -v /var/run:/host-run:ro "$IMG"
deny mounts.docker_socket    -           -v "$SW_TMP/engine-link.sock:/s:ro" "$IMG"
deny mounts.docker_socket    -           --mount "type=bind,src=$SW_TMP/engine-link.sock,dst=/s,readonly" "$IMG"
deny mounts.docker_socket    -           -v "$SW_ENGINE_SOCK:/s:ro" "$IMG"
deny mounts.sensitive        -           -v /:/host:ro "$IMG"
deny mounts.sensitive        -           -v /etc:/host-etc:ro "$IMG"
deny mounts.sensitive        -           -v /etc/.:/host-etc:ro "$IMG"
deny mounts.sensitive        -           -v //etc:/host-etc:ro "$IMG"
deny mounts.sensitive        -           -v /tmp/../etc:/host-etc:ro "$IMG"
deny mounts.sensitive        -           -v "$SW_TMP/etc-link:/host-etc:ro" "$IMG"
deny mounts.sensitive        -           -v /etc/shadow:/shadow:ro "$IMG"
deny mounts.sensitive        -           -v /var/lib/docker:/d:ro "$IMG"
deny mounts.sensitive        -           -v /root:/r:ro "$IMG"
deny mounts.sensitive        -           --mount type=bind,src=/proc,dst=/p,readonly "$IMG"
deny mounts.sensitive        -           --mount type=bind,src=/var/log,dst=/l,readonly "$IMG"
deny mounts.volumes_from     -           --volumes-from "$PEER" "$IMG"
deny mounts.volume_bind      -           --mount "type=volume,dst=/d,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc" "$IMG"
deny mounts.volume_bind      -           --mount "type=volume,dst=/d,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=$SW_TMP/data" "$IMG"
deny mounts.volume_bind      -           --mount "type=volume,dst=/d,volume-opt=type=overlay,volume-opt=device=overlay,volume-opt=o=lowerdir=/etc" "$IMG"
deny mounts.propagation      -           -v "$SW_TMP/data:/d:ro,rshared" "$IMG"
deny mounts.propagation      -           --mount "type=bind,src=$SW_TMP/data,dst=/d,readonly,bind-propagation=shared" "$IMG"
deny mounts.bind_prefix      -           -v "$SW_TMP/data:/d:ro" "$IMG"
deny mounts.bind_readonly    -           -v "$SW_TMP/data:/d" "$IMG"
deny mounts.bind_readonly    -           --mount "type=bind,src=$SW_TMP/data,dst=/d" "$IMG"
deny mounts.bind_symlink     -           -v "$SW_TMP/data-link:/d:ro" "$IMG"
deny mounts.bind_symlink     -           --mount "type=bind,src=$SW_TMP/no-such-dir,dst=/d,readonly" "$IMG"
deny capabilities.add        -           --cap-add NET_ADMIN "$IMG"
deny capabilities.add        -           --cap-add cap_sys_admin "$IMG"
deny capabilities.add        -           --cap-add ALL "$IMG"
deny capabilities.drop       caps        "$IMG"
deny capabilities.drop       caps        --cap-drop NET_RAW "$IMG"
deny security.seccomp        -           --security-opt seccomp=unconfined "$IMG"
deny security.seccomp        -           --security-opt seccomp:unconfined "$IMG"
deny security.apparmor       -           --security-opt apparmor=unconfined "$IMG"
deny security.apparmor       -           --security-opt apparmor:unconfined "$IMG"
deny security.label          -           --security-opt label=disable "$IMG"
deny security.label          -           --security-opt label:disable "$IMG"
deny security.systempaths    -           --security-opt systempaths=unconfined "$IMG"
deny security.no_new_privileges nnp      "$IMG"
deny security.no_new_privileges nnp      --security-opt no-new-privileges=false "$IMG"
deny devices                 -           --device /dev/null "$IMG"
deny devices                 -           --device /dev/fuse:/dev/fuse:rwm "$IMG"
deny devices.cgroup_rules    -           --device-cgroup-rule "c 1:3 rwm" "$IMG"
deny devices.requests        -           --gpus all "$IMG"
deny sysctls                 -           --sysctl kernel.msgmax=65536 "$IMG"
deny sysctls                 -           --sysctl net.ipv4.ip_forward=1 "$IMG"
deny cgroup_parent           -           --cgroup-parent /escape "$IMG"
deny runtime                 -           --runtime runsc "$IMG"
deny group_add               -           --group-add 0 "$IMG"
deny group_add               -           --group-add docker "$IMG"
deny limits.memory           mem         "$IMG"
deny limits.memory           mem         --memory 8g "$IMG"
deny limits.cpu              cpu         "$IMG"
deny limits.cpu              cpu         --cpus 8 "$IMG"
deny limits.cpu              cpu         --cpu-quota 900000 "$IMG"
deny limits.pids             pids        "$IMG"
deny limits.pids             pids        --pids-limit 100000 "$IMG"
deny limits.pids             pids        --pids-limit -1 "$IMG"
deny user.root               user        --user root "$IMG"
deny user.root               user        --user 0 "$IMG"
deny user.root               user        --user 0:0 "$IMG"
deny user.root               user        --user root:root "$IMG"
deny user.root               user        --user 0:1000 "$IMG"
deny user.root               user        --user 00 "$IMG"
deny user.root               user        "$IMG"                      # empty User, image has no USER
deny user.root               user        --user "" "$IMG"
deny rootfs.readonly         ro          "$IMG"
deny ports.host_ip           -           -p 8080:80 "$IMG"
deny ports.host_ip           -           -p 0.0.0.0:8080:80 "$IMG"
deny ports.host_ip           -           -p "[::]:8080:80" "$IMG"
deny ports.privileged        -           -p 80:80 "$IMG"
deny ports.privileged        -           -p 127.0.0.1:80:80 "$IMG"
deny ports.publish_all       -           -P --expose 8080 "$IMG"
deny network.default_bridge  net         "$IMG"
deny network.default_bridge  net         --network bridge "$IMG"
deny network.default_bridge  net         --network default "$IMG"
deny image.pinned            -           "${IMG%%:*}"                 # no tag = latest
deny image.pinned            -           "${IMG%%:*}:latest"

# every rule a docker create can break is in the table
for r in privileged namespaces.network namespaces.pid namespaces.ipc namespaces.uts \
	namespaces.userns namespaces.cgroupns namespaces.container mounts.docker_socket \
	mounts.sensitive mounts.volumes_from mounts.volume_bind mounts.propagation \
	mounts.bind_prefix mounts.bind_readonly mounts.bind_symlink capabilities.add capabilities.drop \
	security.seccomp security.apparmor security.label security.systempaths \
	security.no_new_privileges devices devices.cgroup_rules devices.requests sysctls \
	cgroup_parent runtime group_add limits.memory limits.cpu limits.pids user.root \
	rootfs.readonly ports.host_ip ports.publish_all ports.privileged \
	network.default_bridge image.pinned; do
	assert_contains "$covered" " $r " "rules covered by the table"
done

# nothing of the denied rows reached the engine
left=$(engine ps -aq --filter "name=$DENY_PREFIX")
assert_eq "" "$left" "containers created by denied rows"
# the symlink row was judged by where it points: the audit names the resolved socket
grep -q "engine-link.sock" "$PAUDIT" || fail "the symlink row is not in the audit log"

# the hardened command of the issue runs, through the proxy, on a user-defined network
out=$(docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
	--memory 64m --cpus 0.5 --pids-limit 64 --user 1000:1000 --network "$NET" \
	"$IMG" echo ok 2>&1) || fail "the hardened docker run was refused: $out"
assert_eq ok "$out" "hardened docker run output"
# ... also with the allowed variations: a 127.0.0.1 high port, a named volume, a tmpfs
VOL=$(uniq_name vol); on_exit_rm_volume "$VOL"
mapfile -t flags < <(hard_args "$NET")
out=$(docker run --rm "${flags[@]}" -p 127.0.0.1:18080:80 -v "$VOL:/data" --tmpfs /tmp \
	--cap-add NET_BIND_SERVICE --security-opt no-new-privileges=true "$IMG" \
	sh -c 'id -u; touch /data/x /tmp/y && echo rw' 2>&1) &&
	fail "NET_BIND_SERVICE is not in restricted's cap_add allowlist, yet allowed: $out"
assert_contains "$out" "[capabilities.add]" "cap-add NET_BIND_SERVICE"
out=$(docker run --rm "${flags[@]}" -p 127.0.0.1:18080:80 -v "$VOL:/data" --tmpfs /tmp \
	"$IMG" sh -c 'id -u; touch /tmp/y && echo rw' 2>&1) || fail "compliant variations refused: $out"
assert_contains "$out" "1000" "runs as uid 1000"
assert_contains "$out" "rw" "named volume and tmpfs writable"
log "ok: $rows denied rows; the hardened command ran"
