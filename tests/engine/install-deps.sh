#!/usr/bin/env bash
# install-deps.sh - install (Debian 12, apt) whatever the build and the test
# suites need and is not installed yet.  Safe to run repeatedly: apt is not
# touched at all when everything is present.  No systemd assumed: package
# scripts are kept from starting the distribution's dockerd (which would claim
# /var/run/docker.sock) with a temporary /usr/sbin/policy-rc.d that exits 101.
set -euo pipefail

PKGS=(
	build-essential pkg-config libevent-dev libjansson-dev libssl-dev check node-llhttp
	docker.io busybox-static docker-compose socat curl openssl
	mandoc prometheus systemd procps
	iproute2 util-linux python3 ca-certificates acl
	python3-docker
)

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
	SUDO=sudo
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi
command -v apt-get >/dev/null || { echo "install-deps: missing ${missing[*]} and no apt-get" >&2; exit 1; }

made_policy=0
cleanup() { if [ "$made_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 0755 /usr/sbin/policy-rc.d
	made_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: missing: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	install -y -qq --no-install-recommends "${missing[@]}"

still=()
for p in "${missing[@]}"; do installed "$p" || still+=("$p"); done
if [ ${#still[@]} -gt 0 ]; then
	echo "install-deps: FAILED to install: ${still[*]}" >&2
	exit 1
fi
echo "install-deps: installed ${missing[*]}"
