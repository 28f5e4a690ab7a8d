#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 (classes 3, 5, 6, 7), against the real engine through
# sockward instances of this test's own:
#   - create bodies judged as dockerd 20.10 applies them: HostConfig fields at
#     the top level (absent/null HostConfig, the merged fields), raw requests
#     (policy_raw.py values), and docker-py's create_container(runtime='runc')
#     working through sockward (profile baseline);
#   - form bodies (multipart, urlencoded with Go's Unicode lowering and
#     spaces, repeated Content-Type) refused on /build;
#   - strings with U+0000 refused whole;
#   - values judged by allow-list, each refused with sockward's message in
#     the docker CLI: seccomp profiles ({}, an allowing default action, a rule
#     gated on a default capability: shown to work on the engine directly),
#     AppArmor, SELinux label, volume drivers, ulimits, OOM score, unlimited
#     swap, users with gid 0 or names, NetworkingConfig attachments to the
#     default bridge, network connect, network creates (macvlan, host bridge
#     name), classic builds' --network (a bridge naming its host bridge) and --ulimit; and
#     a refusing seccomp profile that still runs, a build on a user network.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

sw_policy_start base '{ "default_profile": "baseline" }'
BSOCK=$PSOCK
sw_policy_start val '{ "default_profile": "restricted" }'
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
PREFIX=$(uniq_name val)
mapfile -t HARD < <(hard_args "$NET")

# raw requests: classes 3, 5 and 6
python3 "$POLICY_RAW" values "$PSOCK" "$NET" "$PREFIX" "$SW_ENGINE_SOCK"
for c in $(engine ps -a --filter "name=$PREFIX" --format '{{.Names}}'); do on_exit_rm_container "$c"; done

# docker-py: create_container(image, cmd, runtime='runc') puts Runtime at the
# top level of the body with no HostConfig; dockerd applies it, so must we
PYNAME=$(uniq_name py); on_exit_rm_container "$PYNAME"
out=$(timeout -s KILL "$SW_CMD_TIMEOUT" python3 - "$BSOCK" "$SW_IMAGE" "$PYNAME" <<'PY' 2>&1
import sys, docker
api = docker.APIClient(base_url="unix://" + sys.argv[1], version="1.41")
c = api.create_container(sys.argv[2], "true", runtime="runc", name=sys.argv[3])
print(c["Id"])
PY
) || fail "docker-py create_container(runtime='runc') through sockward: $out"
assert_eq runc "$(engine inspect -f '{{.HostConfig.Runtime}}' "$PYNAME")" "docker-py container's runtime"
log "ok docker-py create_container(runtime='runc') -> created, Runtime runc"

# refused RULE CMD...: the docker CLI gets sockward's denial naming RULE
refused() {
	local rule=$1 out rc=0; shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "[$rule] $* was allowed: $out"
	assert_contains "$out" "$DENIED" "[$rule] $*"
	assert_contains "$out" "[$rule]" "[$rule] $*"
	log "ok [$rule] ${*:2:8}"
}
run_hard() { docker run --rm "${HARD[@]}" "$@"; }

printf '{}' > "$SW_TMP/empty.json"
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]}' > "$SW_TMP/allow.json"
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ALLOW"}]}' > "$SW_TMP/unshare.json"
refused security.seccomp run_hard --security-opt "seccomp=$SW_TMP/empty.json" "$SW_IMAGE" true
refused security.seccomp run_hard --security-opt "seccomp=$SW_TMP/allow.json" "$SW_IMAGE" true
refused security.seccomp run_hard --security-opt "seccomp=$SW_TMP/unshare.json" "$SW_IMAGE" true
# a refusing profile whose only rule for unshare is gated on CAP_CHOWN, a capability every
# container holds by default: dockerd applies the rule, so a --user 1000 container enters a
# user namespace (shown on the engine directly); sockward judges the rule (baseline too)
SCBASE='"read","write","exit","exit_group","execve","brk","mmap","munmap","mprotect","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","getrandom","close","fstat","newfstatat","openat","openat2","rt_sigaction","rt_sigprocmask","rt_sigreturn","futex","getuid","getgid","geteuid","getegid","getpid","getppid","ioctl","fcntl","access","faccessat","faccessat2","readlink","readlinkat","uname","capget","capset","prctl","getcwd","chdir","stat","lstat","open","poll","wait4","setgroups","setuid","setgid","setresuid","setresgid","sched_getaffinity","sigaltstack","fstatfs","statfs","getdents64","lseek","dup2","dup3","pipe2","clock_gettime","nanosleep","statx","writev","getresuid","getresgid","kill","tgkill","gettid","umask","mkdir","mkdirat","pread64","epoll_pwait"'
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[%s],"action":"SCMP_ACT_ALLOW"},{"names":["unshare"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_CHOWN"]}}]}' \
	"$SCBASE" > "$SW_TMP/gated.json"
out=$(engine run --rm --user 1000:1000 --security-opt "seccomp=$SW_TMP/gated.json" "$SW_IMAGE" unshare -U id 2>&1) || true
assert_contains "$out" "uid=65534" "the engine applies a seccomp rule gated on CAP_CHOWN (unshare -U)"
log "engine: unshare -U under the CAP_CHOWN-gated profile: $(head -1 <<<"$out")"
refused security.seccomp run_hard --security-opt "seccomp=$SW_TMP/gated.json" "$SW_IMAGE" true
rc=0; out=$(DOCKER_HOST=unix://$BSOCK docker run --rm --user 1000:1000 \
	--security-opt "seccomp=$SW_TMP/gated.json" "$SW_IMAGE" unshare -U id 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "baseline let the CAP_CHOWN-gated seccomp profile through: $out"
assert_contains "$out" "sockward: denied by policy 'baseline'" "baseline, CAP_CHOWN-gated seccomp profile"
assert_contains "$out" "[security.seccomp]" "baseline, CAP_CHOWN-gated seccomp profile"
assert_not_contains "$out" "uid=65534" "baseline, CAP_CHOWN-gated seccomp profile"
log "ok [security.seccomp] baseline: a rule gated on CAP_CHOWN"
refused security.apparmor run_hard --security-opt apparmor=unconfined "$SW_IMAGE" true
refused security.apparmor run_hard --security-opt apparmor=my-profile "$SW_IMAGE" true
refused security.label run_hard --security-opt label=type:spc_t "$SW_IMAGE" true
refused volumes.driver run_hard --volume-driver convoy "$SW_IMAGE" true
refused volumes.driver run_hard --mount type=volume,source=x,target=/x,volume-driver=sshfs "$SW_IMAGE" true
refused volumes.driver docker volume create -d rexray "$(uniq_name vol)"
refused ulimits run_hard --ulimit memlock=-1:-1 "$SW_IMAGE" true
refused oom.score_adj run_hard --oom-score-adj -500 "$SW_IMAGE" true
refused oom.kill_disable run_hard --oom-kill-disable "$SW_IMAGE" true
refused limits.memory run_hard --memory-swap -1 "$SW_IMAGE" true
mapfile -t NOUSER < <(hard_args "$NET" user)
refused user.root docker run --rm "${NOUSER[@]}" --user 1000:0 "$SW_IMAGE" true
refused user.root docker run --rm "${NOUSER[@]}" --user nosuchuser "$SW_IMAGE" true
refused network.driver docker network create -d macvlan -o parent=lo "$(uniq_name mv)"
refused network.driver docker network create -o com.docker.network.bridge.name=docker0 "$(uniq_name br)"

# classic builds: --network names a network the RUN containers are attached to (looked up and
# judged like a container's), --ulimit gives them ulimits (judged like docker run's)
mkdir -p "$SW_TMP/bctx"
printf 'FROM %s\nRUN true\n' "$SW_IMAGE" > "$SW_TMP/bctx/Dockerfile"
BIMG=local/$(uniq_name bimg):1
out=$(DOCKER_BUILDKIT=0 timeout -s KILL 120 docker build --no-cache --network "$NET" -t "$BIMG" "$SW_TMP/bctx" 2>&1) ||
	fail "classic build on the user network $NET: $out"
engine rmi "$BIMG" >/dev/null 2>&1 || true
log "ok classic build with --network $NET (a user-defined bridge, looked up)"
# (macvlan cannot be made on this kernel: a bridge that names its host bridge, which the
# network create rules refuse, made on the engine directly)
BR=$(uniq_name br); on_exit_rm_network "$BR"
engine network create -o com.docker.network.bridge.name="swb$RANDOM" "$BR" >/dev/null
refused network.driver env DOCKER_BUILDKIT=0 docker build --no-cache --network "$BR" "$SW_TMP/bctx"
refused ulimits env DOCKER_BUILDKIT=0 docker build --no-cache --ulimit memlock=-1:-1 "$SW_TMP/bctx"
# a container on a user network, then attached to the default bridge
C=$(uniq_name c); on_exit_rm_container "$C"
docker create --name "$C" "${HARD[@]}" "$SW_IMAGE" sleep 30 >/dev/null
refused network.default_bridge docker network connect bridge "$C"
# NetworkingConfig.EndpointsConfig naming the default bridge (no CLI flag sends it beside another
# network): raw
body='{"Image":"'$SW_IMAGE'","User":"1000:1000","HostConfig":{"NetworkMode":"'$NET'","CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,"PidsLimit":64},"NetworkingConfig":{"EndpointsConfig":{"bridge":{}}}}'
out=$(curl_t -sS --unix-socket "$PSOCK" -X POST -H 'Content-Type: application/json' --data-binary "$body" \
	-w '\n%{http_code}' "http://d/v1.41/containers/create?name=$PREFIX-ep")
assert_eq 403 "$(tail -1 <<<"$out")" "EndpointsConfig bridge"
assert_contains "$out" "[network.default_bridge]" "EndpointsConfig bridge"
if engine inspect "$PREFIX-ep" >/dev/null 2>&1; then fail "the EndpointsConfig bridge create reached the engine"; fi
log "ok [network.default_bridge] NetworkingConfig.EndpointsConfig bridge"

# what stays allowed: a refusing custom seccomp profile, apparmor docker-default is not
# testable without AppArmor; the compliant run with --ulimit nofile and --memory-swap
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["%s"],"action":"SCMP_ACT_ALLOW"}]}' \
	"$(python3 -c 'print("\",\"".join(["read","write","exit","exit_group","execve","brk","mmap","munmap","mprotect","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","getrandom","close","fstat","newfstatat","openat","rt_sigaction","rt_sigprocmask","futex","getuid","getgid","geteuid","getegid","getpid","getppid","ioctl","fcntl","access","readlink","uname","capget","capset","prctl","getcwd","chdir","stat","lstat","open","poll","wait4","setgroups","setuid","setgid","setresuid","setresgid","sched_getaffinity","sigaltstack","exit"]))')" \
	> "$SW_TMP/strict.json"
out=$(run_hard --security-opt "seccomp=$SW_TMP/strict.json" --ulimit nofile=1024:2048 --memory-swap 128m "$SW_IMAGE" true 2>&1) ||
	assert_not_contains "$out" "$DENIED" "a refusing seccomp profile with nofile and swap limits"
log "ok a refusing seccomp profile, --ulimit nofile, --memory-swap 128m are not denied"
