#!/usr/bin/env bash
# engine.sh - the project's own private Docker Engine for tests and development.
#
#   engine.sh start   start dockerd (if not running) and import the test image
#   engine.sh stop    stop that dockerd, unmount its leftovers, drop its netns
#   engine.sh wipe    stop, then delete its data-root and exec-root
#   engine.sh env     print the `export DOCKER_HOST=...` line for it
#   engine.sh status  exit 0 when the engine answers /_ping
#
# No systemd needed.  dockerd runs in its own network namespace so that it can
# have its own docker0, bridges and iptables chains next to any other engine
# on the host (a second dockerd in the host namespace would rewrite the first
# one's DOCKER-* chains).  Clients reach it through its unix socket only.
#
# Env: SOCKWARD_ENGINE_DIR (default /tmp/swdock; keep it short, containerd puts
# unix sockets under it and sun_path holds 108 bytes), TEST_IMAGE (default
# local/busybox:1.36), DOCKERD_EXTRA_ARGS.
set -euo pipefail

DIR=${SOCKWARD_ENGINE_DIR:-/tmp/swdock}
DIR=${DIR%/}
SOCK=$DIR/docker.sock
PIDFILE=$DIR/docker.pid
LOG=$DIR/dockerd.log
IMAGE=${TEST_IMAGE:-local/busybox:1.36}
# netns names are file names under /run/netns; derive one from the directory.
NETNS=sw-$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
DOCKER=${DOCKER:-$(command -v /usr/local/bin/docker || command -v docker || true)}

say() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] FATAL: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "must run as root (dockerd needs it) and sudo is missing"
	exec sudo -E "$0" "$@"
fi

dockerd_pid() {
	[ -f "$PIDFILE" ] || return 1
	local p; p=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -qa dockerd "/proc/$p/cmdline" && echo "$p"
}

ping_ok() { curl -fsS --max-time 3 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

unmount_leftovers() {
	# dockerd leaves nsfs (netns), overlay and shm mounts behind when killed;
	# deepest first.  Fields in /proc/mounts escape spaces, which DIR has none of.
	local m
	awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
	while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

stop_engine() {
	local p
	if p=$(dockerd_pid); then
		say "stopping dockerd pid $p"
		kill "$p"
		for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$p" 2>/dev/null; then
			say "dockerd $p did not stop in 30s; killing it"
			kill -KILL "$p" || true
			sleep 0.5
		fi
	fi
	rm -f "$PIDFILE"
	# containerd normally exits with dockerd; one that lost its parent is ours
	# only if its config lives under our exec-root.
	local c
	for c in $(pgrep -x containerd 2>/dev/null || true); do
		if grep -qa -- "$DIR/exec/containerd/containerd.toml" "/proc/$c/cmdline" 2>/dev/null; then
			say "killing orphaned containerd $c"; kill "$c" 2>/dev/null || true
		fi
	done
	unmount_leftovers
	if [ -e "/run/netns/$NETNS" ]; then ip netns del "$NETNS" 2>/dev/null || true; fi
}

write_runc_wrapper() {
	# Some VMs run with a capability bounding set lacking CAP_SYS_RESOURCE;
	# runc then fails "unable to apply caps" for --privileged or --cap-add ALL.
	# The wrapper strips that capability from OCI specs before runc sees them.
	cat > "$DIR/runc-wrapper" <<'EOF'
#!/bin/sh
strip() {
  [ -f "$1" ] || return 0
  sed -i -e 's/,[[:space:]]*"CAP_SYS_RESOURCE"//g' -e 's/"CAP_SYS_RESOURCE"[[:space:]]*,\{0,1\}//g' "$1"
}
prev=
for a in "$@"; do
  case "$prev" in
    --bundle|-b) strip "$a/config.json" ;;
    --process|-p) strip "$a" ;;
  esac
  case "$a" in
    --bundle=*) strip "${a#--bundle=}/config.json" ;;
    --process=*) strip "${a#--process=}" ;;
  esac
  prev=$a
done
exec runc "$@"
EOF
	chmod 0755 "$DIR/runc-wrapper"
}

start_dockerd() {
	local missing=() b
	for b in dockerd containerd runc curl ip nsenter; do command -v "$b" >/dev/null || missing+=("$b"); done
	[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (run tests/engine/install-deps.sh)"
	[ -n "$DOCKER" ] || die "no docker CLI found (run tests/engine/install-deps.sh)"

	mkdir -p "$DIR/data" "$DIR/exec"
	chmod 0711 "$DIR"
	rm -f "$PIDFILE"
	if [ -S "$SOCK" ] && ! ping_ok; then rm -f "$SOCK"; fi
	unmount_leftovers

	if [ ! -e "/run/netns/$NETNS" ]; then
		ip netns add "$NETNS" || die "cannot create network namespace $NETNS"
	fi
	ip -n "$NETNS" link set lo up || die "cannot bring up lo in netns $NETNS"

	local runtime_args=() capbnd
	capbnd=$(awk '/^CapBnd:/{print $2}' /proc/self/status)
	if (( (16#$capbnd >> 24 & 1) == 0 )); then
		write_runc_wrapper
		runtime_args=(--add-runtime "runc-wrapper=$DIR/runc-wrapper" --default-runtime runc-wrapper)
		say "CapBnd=$capbnd lacks CAP_SYS_RESOURCE: default runtime is $DIR/runc-wrapper"
	fi

	say "starting dockerd in netns $NETNS (log: $LOG)"
	: >>"$LOG"
	printf '\n==== engine.sh start %s ====\n' "$(date -u +%FT%TZ)" >>"$LOG"
	# shellcheck disable=SC2086
	setsid nohup nsenter --net="/run/netns/$NETNS" -- dockerd \
		--host "unix://$SOCK" \
		--data-root "$DIR/data" \
		--exec-root "$DIR/exec" \
		--pidfile "$PIDFILE" \
		"${runtime_args[@]}" ${DOCKERD_EXTRA_ARGS:-} \
		>>"$LOG" 2>&1 </dev/null &
	local launcher=$!
	for _ in $(seq 1 600); do
		ping_ok && break
		if ! kill -0 "$launcher" 2>/dev/null; then break; fi
		sleep 0.1
	done
	if ! ping_ok; then
		echo "[engine] FATAL: dockerd did not become ready (dir $DIR); last log lines:" >&2
		tail -30 "$LOG" >&2
		exit 1
	fi
	say "dockerd ready (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
}

import_image() {
	export DOCKER_HOST=unix://$SOCK
	if timeout -s KILL 60 "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
		return 0
	fi
	[ -x /bin/busybox ] || die "/bin/busybox missing (package busybox-static)"
	/bin/busybox --list >/dev/null 2>&1 || die "/bin/busybox is not a working static busybox"
	local rf
	rf=$(mktemp -d "$DIR/rootfs.XXXXXX")
	mkdir -p "$rf"/{bin,etc,tmp,root,proc,sys,dev,var/www,usr}
	chmod 1777 "$rf/tmp"
	cp /bin/busybox "$rf/bin/busybox"
	local a
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$rf/bin/$a"; done
	ln -s bin "$rf/sbin"; ln -s ../bin "$rf/usr/bin"; ln -s ../bin "$rf/usr/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rf/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' > "$rf/etc/group"
	echo hello-from-busybox > "$rf/var/www/index.html"
	tar --numeric-owner --owner=0 --group=0 -C "$rf" -cf "$DIR/busybox-rootfs.tar" .
	rm -rf "$rf"
	timeout -s KILL 120 "$DOCKER" import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' \
		"$DIR/busybox-rootfs.tar" "$IMAGE" >/dev/null || die "docker import of $IMAGE failed"
	say "imported $IMAGE"
}

case "${1:-}" in
start)
	mkdir -p "$DIR"
	if p=$(dockerd_pid) && ping_ok; then
		say "dockerd already running (pid $p, $SOCK)"
	else
		stop_engine
		start_dockerd
	fi
	import_image
	timeout -s KILL 60 "$DOCKER" run --rm "$IMAGE" true || {
		echo "[engine] FATAL: smoke test 'docker run --rm $IMAGE true' failed; last log lines:" >&2
		tail -30 "$LOG" >&2
		exit 1
	}
	say "engine ready: export DOCKER_HOST=unix://$SOCK"
	;;
stop)
	stop_engine
	;;
wipe)
	stop_engine
	if grep -q " $DIR/" /proc/mounts; then
		echo "[engine] refusing to wipe: mounts still under $DIR:" >&2
		grep " $DIR/" /proc/mounts >&2
		exit 1
	fi
	rm -rf --one-file-system "$DIR/data" "$DIR/exec" "$DIR/cache"
	say "wiped $DIR"
	;;
env)
	echo "export DOCKER_HOST=unix://$SOCK"
	;;
status)
	ping_ok
	;;
*)
	echo "usage: $0 start|stop|wipe|env|status" >&2
	exit 2
	;;
esac
