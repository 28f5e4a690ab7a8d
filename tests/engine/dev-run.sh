#!/usr/bin/env bash
# dev-run.sh - what `make run` runs: sockward in the foreground with the
# development configuration conf/sockward.dev.json and a state dir ./run/
# holding test certificates.  Nothing is written into conf/.
#
# Upstream: conf/sockward.dev.json names /var/run/docker.sock; when DOCKER_HOST
# is unix://PATH, PATH is passed with -u instead (e.g. the private engine from
# `make engine`, unix:///tmp/swdock/docker.sock).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CONF=conf/sockward.dev.json
BIN=./sockward

[ -x "$BIN" ] || { echo "dev-run: $BIN not built (make sockward)" >&2; exit 1; }
[ -f "$CONF" ] || { echo "dev-run: $CONF missing" >&2; exit 1; }

mkdir -p run
tests/engine/gen-certs.sh run/certs >/dev/null

args=(-c "$CONF")
upstream=/var/run/docker.sock
case "${DOCKER_HOST:-}" in
unix://*) upstream=${DOCKER_HOST#unix://}; args+=(-u "$upstream") ;;
"") ;;
*) echo "dev-run: DOCKER_HOST=$DOCKER_HOST is not a unix socket; using the upstream from $CONF" >&2 ;;
esac

if ! curl -fsS --max-time 3 --unix-socket "$upstream" http://d/_ping >/dev/null 2>&1; then
	cat >&2 <<MSG
dev-run: WARNING: no Docker Engine answers on $upstream.
dev-run: start the project's private engine with \`make engine\` and run
dev-run:     export DOCKER_HOST=unix:///tmp/swdock/docker.sock
dev-run: before \`make run\`.  Starting sockward anyway; requests will fail until an engine is up.
MSG
fi

cat <<MSG
sockward: upstream $upstream; clients:
  export DOCKER_HOST=tcp://127.0.0.1:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$ROOT/run/certs/client
or, over the unix listener:
  export DOCKER_HOST=unix://$ROOT/run/sockward.sock; unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH
MSG
exec "$BIN" "${args[@]}"
