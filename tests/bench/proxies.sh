#!/usr/bin/env bash
# proxies.sh SOCKWARD_BIN - part "proxies" of make bench (issue 10): throughput
# and p99 through sockward, HAProxy and nginx relative to no proxy, all
# measured in the same run against the same stand-in engine.  See
# tests/bench/README ("proxies") for what is measured and how to read it.
#
#   BENCH_REPS=3         repetitions of every measurement (min/median/max are printed)
#   BENCH_SECS=2         seconds per wrk run
#   BENCH_STREAM_MIB=256 size of the download / upload bodies
#   BENCH_PROXY_THREADS=1  HAProxy nbthread and nginx-proxy worker_processes
#                        (sockward is one event loop; "auto" = one per core)
#   BENCH_TLS_SUITE=TLS_AES_256_GCM_SHA384  the one TLS 1.3 suite the clients offer
#   BENCH_AUDIT_DIR=/var/tmp  where sockward's audit files go (a disk, as in production)
#   BENCH_KEEP=1         keep the work directory (configs, logs, raw results)
#
# Needs root (nginx runs its workers as root to write into its tmpfs directory),
# wrk, nginx (nginx-light), haproxy, curl, python3: the Debian packages are
# installed here when missing (make check does not need them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/bench/proxies
BIN=${1:-$ROOT/sockward}
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-2}
MIB=${BENCH_STREAM_MIB:-256}
PTHREADS=${BENCH_PROXY_THREADS:-1}
SUITE=${BENCH_TLS_SUITE:-TLS_AES_256_GCM_SHA384}
CIPHERS='ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4'   # sockward's list (daemon/tls.c)

# ---- tools ------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
	echo "proxies: installing ${need[*]}"
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then   # keep the packages from starting their services
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
		--no-install-recommends "${need[@]}" >/dev/null
	[ $made_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
fi
[ "$(id -u)" = 0 ] || { echo "proxies: run as root" >&2; exit 1; }

T=$(mktemp -d /dev/shm/swprox.XXXXXX)   # tmpfs: bodies, engine files, configs
A=$(mktemp -d "${BENCH_AUDIT_DIR:-/var/tmp}/swprox-audit.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${BENCH_KEEP:-}" ]; then echo "proxies: kept $T $A"; else rm -rf "$T" "$A"; fi
}
trap cleanup EXIT

read -r P_DIRECT P_DIRECT_TLS P_SW P_SW_TLS P_SWR P_HA P_HA_TLS P_NG < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(8)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

"$ROOT/tests/engine/gen-certs.sh" "$T/certs" >/dev/null
C=$T/certs
cat "$C/server/server-cert.pem" "$C/server/server-key.pem" > "$T/haproxy.pem"
cc -shared -fPIC -O2 "$HERE/wrk_mtls.c" -o "$T/wrk_mtls.so" -ldl -lssl

# ---- bodies -----------------------------------------------------------------
# the create body: the kitchen-sink body of the docker CLI, made compliant
# with `restricted` (checked below: each sockward must answer it 201)
cp "$HERE/create-compliant.json" "$T/create.json"
mkdir -p "$T/www/v1.41/images/bench" "$T/put" "$T/body"
# one tar archive serves both directions, as `docker save` writes and
# `docker cp` sends them: one regular file of MIB MiB (the upload is judged
# entry by entry, archive.special_files)
head -c $((MIB << 20)) /dev/urandom > "$T/layer.bin"
tar -C "$T" --owner=0 --group=0 --mode=0644 -cf "$T/www/v1.41/images/bench/get" layer.bin
rm -f "$T/layer.bin"
BLOB=$T/www/v1.41/images/bench/get
SIZE=$(stat -c %s "$BLOB")

# ---- the stand-in engine: nginx on a unix socket ----------------------------
# plus a plain TCP and a mutual-TLS listener for the no-proxy rows (wrk and
# curl talk TCP to every target, so only the proxy hop differs)
cat > "$T/engine.conf" <<EOF
user root;
worker_processes 2;
pid $T/engine.pid;
error_log $T/engine-error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000000;
	keepalive_timeout 300s;
	client_max_body_size 0;
	client_body_temp_path $T/body;
	default_type application/octet-stream;
	# dockerd's headers on every answer
	add_header Api-Version 1.41 always;
	add_header Docker-Experimental false always;
	add_header Ostype linux always;
	add_header Cache-Control "no-cache, no-store, must-revalidate" always;
	server {
		listen unix:$T/engine.sock backlog=4096;
		listen 127.0.0.1:$P_DIRECT backlog=4096;
		listen 127.0.0.1:$P_DIRECT_TLS ssl backlog=4096;
		ssl_certificate $C/server/server-cert.pem;
		ssl_certificate_key $C/server/server-key.pem;
		ssl_client_certificate $C/server/ca.pem;
		ssl_verify_client on;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers '$CIPHERS';
		ssl_prefer_server_ciphers on;
		ssl_session_tickets off;
		root $T/www;
		location ~ ^(/v[0-9.]+)?/_ping\$ {
			default_type "text/plain; charset=utf-8";
			return 200 "OK";
		}
		location ~ ^/v[0-9.]+/containers/create\$ {
			default_type application/json;
			return 201 '{"Id":"0d3c3d0b6a4f4b5c9b1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c","Warnings":[]}\n';
		}
		# what the policy looks up for the create body (--network appnet,
		# --mount source=data): dockerd's inspect answers, captured shape
		location ~ ^/networks/appnet\$ {
			default_type application/json;
			return 200 '$(cat "$HERE/network-appnet.json")';
		}
		location ~ ^/volumes/data\$ {
			default_type application/json;
			return 200 '$(cat "$HERE/volume-data.json")';
		}
		# the event stream sockward's lookup cache follows (events_stub.py)
		location = /events {
			proxy_pass http://unix:$T/events.sock;
			proxy_buffering off;
			proxy_read_timeout 3600s;
		}
		# docker save: the blob from tmpfs (sendfile)
		location = /v1.41/images/bench/get { default_type application/x-tar; }
		# docker cp into a container: the whole body is read (to tmpfs), then answered
		location = /v1.41/containers/bench/archive {
			root $T/put;
			dav_methods PUT;
			create_full_put_path on;
		}
	}
}
EOF
python3 "$HERE/events_stub.py" "$T/events.sock" &
PIDS+=($!)
nginx -e "$T/engine-error.log" -c "$T/engine.conf" -g 'daemon off;' &
PIDS+=($!); ENGINE_PID=$!

# ---- the proxies -------------------------------------------------------------
swconf() { # NAME PROFILE [TLS]
	local tls=
	[ -z "${3:-}" ] || tls=", { \"name\": \"tls\", \"type\": \"tls\", \"address\": \"127.0.0.1:$3\",
	    \"cert\": \"$C/server/server-cert.pem\", \"key\": \"$C/server/server-key.pem\", \"ca\": \"$C/server/ca.pem\" }"
	cat > "$T/$1.json" <<EOF
{ "listeners": [ { "name": "tcp", "type": "tcp", "address": "127.0.0.1:$4", "insecure": true }$tls ],
  "upstream": { "socket": "$T/engine.sock" }, "log": { "level": "warn" },
  "audit": { "file": "$A/$1-audit.log" },
  "policy": { "default_profile": "$2" } }
EOF
}
swconf sw baseline "$P_SW_TLS" "$P_SW"
swconf swr restricted "" "$P_SWR"
"$BIN" -c "$T/sw.json" 2>"$T/sw.log" &
PIDS+=($!); SW_PID=$!
"$BIN" -c "$T/swr.json" 2>"$T/swr.log" &
PIDS+=($!); SWR_PID=$!

cat > "$T/haproxy.cfg" <<EOF
global
	nbthread $([ "$PTHREADS" = auto ] && nproc || echo "$PTHREADS")
	maxconn 8192
	ssl-default-bind-ciphers $CIPHERS
	ssl-default-bind-ciphersuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
	ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
defaults
	mode http
	option http-keep-alive
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	timeout http-keep-alive 300s
frontend plain
	bind 127.0.0.1:$P_HA
	default_backend engine
frontend tls
	bind 127.0.0.1:$P_HA_TLS ssl crt $T/haproxy.pem ca-file $C/server/ca.pem verify required
	default_backend engine
backend engine
	server engine unix@$T/engine.sock
EOF
haproxy -db -q -f "$T/haproxy.cfg" 2>"$T/haproxy.log" &
PIDS+=($!); HA_PID=$!

mkdir -p "$T/ngx"
cat > "$T/ngx.conf" <<EOF
user root;
worker_processes $PTHREADS;
pid $T/ngx.pid;
error_log $T/ngx-error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	keepalive_timeout 300s;
	client_max_body_size 0;
	client_body_temp_path $T/ngx;
	proxy_temp_path $T/ngx;
	upstream engine {
		server unix:$T/engine.sock;
		keepalive 256;
		keepalive_requests 100000000;
		keepalive_timeout 300s;
	}
	server {
		listen 127.0.0.1:$P_NG backlog=4096;
		location / {
			proxy_pass http://engine;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_buffering off;
			proxy_request_buffering off;
		}
	}
}
EOF
nginx -e "$T/ngx-error.log" -c "$T/ngx.conf" -g 'daemon off;' &
PIDS+=($!); NG_PID=$!

# ---- targets -------------------------------------------------------------------
# config -> URL base and whether it is TLS
declare -A URL=(
	[direct]=http://127.0.0.1:$P_DIRECT [sw]=http://127.0.0.1:$P_SW [swr]=http://127.0.0.1:$P_SWR
	[haproxy]=http://127.0.0.1:$P_HA [nginx]=http://127.0.0.1:$P_NG
	[tls-direct]=https://127.0.0.1:$P_DIRECT_TLS [tls-sw]=https://127.0.0.1:$P_SW_TLS
	[tls-haproxy]=https://127.0.0.1:$P_HA_TLS)
CURL_TLS=(--cert "$C/client/cert.pem" --key "$C/client/key.pem" --cacert "$C/client/ca.pem"
	--tlsv1.2 --tls13-ciphers "$SUITE" --ciphers "$CIPHERS")

# the processes whose CPU is the proxy's
procs_of() {
	case $1 in
	sw|tls-sw) echo "$SW_PID" ;;
	swr) echo "$SWR_PID" ;;
	haproxy|tls-haproxy) echo "$HA_PID" ;;
	nginx) echo "$NG_PID $(pgrep -P "$NG_PID" | tr '\n' ' ')" ;;
	*) echo "$ENGINE_PID $(pgrep -P "$ENGINE_PID" | tr '\n' ' ')" ;;
	esac
}
cpu_ticks() { # PID... -> "TOTAL USER": utime+stime and utime in clock ticks, summed (threads included)
	local t=0 u=0 p tu
	for p in "$@"; do
		tu=$(awk '{sub(/.*\) /, ""); print $12 + $13, $12}' "/proc/$p/stat" 2>/dev/null || echo 0 0)
		t=$((t + ${tu% *})); u=$((u + ${tu#* }))
	done
	echo "$t $u"
}

for _ in $(seq 100); do
	ok=1
	for c in "${!URL[@]}"; do
		tls=(); [[ $c == tls-* ]] && tls=("${CURL_TLS[@]}")
		[ "$(curl -s "${tls[@]}" "${URL[$c]}/_ping" 2>/dev/null)" = OK ] || ok=0
	done
	[ $ok = 1 ] && break
	sleep 0.1
done
[ $ok = 1 ] || { echo "proxies: not every target answers GET /_ping" >&2; cat "$T"/*.log >&2; exit 1; }
# the create body must be allowed as it is measured: through each sockward
# (its lookups answered by the stand-in engine), else the rows time denials
for c in sw swr tls-sw; do
	tls=(); [[ $c == tls-* ]] && tls=("${CURL_TLS[@]}")
	code=$(curl -sS "${tls[@]}" -o "$T/create.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @"$T/create.json" "${URL[$c]}/v1.41/containers/create")
	[ "$code" = 201 ] || { echo "proxies: the create body is not allowed through $c ($code):" >&2
		cat "$T/create.out" >&2; exit 1; }
done

# ---- one measurement -> one line of $T/results ---------------------------------
# ROW CFG REP VALUE P50_US P99_US BAD CPU_TICKS N USER_TICKS   (VALUE: req/s or MiB/s; BAD: failed requests; CPU user+sys)
RES=$T/results
: > "$RES"
wrk_row() { # ROW CFG REP CONNS PATH [BODY]
	local row=$1 cfg=$2 rep=$3 conns=$4 path=$5 body=${6:-} threads=2 pre=() out c0 c1
	[ "$conns" -ge 2 ] || threads=1
	[[ $cfg == tls-* ]] && pre=(env LD_PRELOAD="$T/wrk_mtls.so" MTLS_CERT="$C/client/cert.pem"
		MTLS_KEY="$C/client/key.pem" MTLS_SUITES="$SUITE" MTLS_CIPHERS="$CIPHERS")
	read -r c0 u0 <<<"$(cpu_ticks $(procs_of "$cfg"))"
	out=$(WRK_BODY=$body "${pre[@]}" wrk -t$threads -c"$conns" -d"${SECS}s" --timeout 10s --latency \
		-s "$HERE/wrk_report.lua" "${URL[$cfg]}$path" 2>&1) || true
	read -r c1 u1 <<<"$(cpu_ticks $(procs_of "$cfg"))"
	local r
	r=$(awk '/^WRKRESULT/ {printf "%.1f %d %d %d", $2 / ($3 / 1e6), $4, $5, $6 + $7 + $8 + $9 + $10}' <<<"$out")
	[ -n "$r" ] || { r="0 0 0 1"; echo "proxies: wrk failed for $row $cfg: $out" >&2; }
	echo "$row $cfg $rep $r $((c1 - c0)) $(awk '/^WRKRESULT/ {print $2}' <<<"$out") $((u1 - u0))" >> "$RES"
}
stream_row() { # ROW CFG REP down|up|chunked
	local row=$1 cfg=$2 rep=$3 kind=$4 tls=() args=() out c0 c1
	[[ $cfg == tls-* ]] && tls=("${CURL_TLS[@]}")
	case $kind in
	down) args=("${URL[$cfg]}/v1.41/images/bench/get") ;;
	up) args=(-T "$BLOB" -H 'Expect:' "${URL[$cfg]}/v1.41/containers/bench/archive?path=/tmp") ;;
	chunked) args=(-T "$BLOB" -H 'Expect:' -H 'Transfer-Encoding: chunked'
		"${URL[$cfg]}/v1.41/containers/bench/archive?path=/tmp") ;;
	esac
	rm -f "$T/put/v1.41/containers/bench/archive"
	read -r c0 u0 <<<"$(cpu_ticks $(procs_of "$cfg"))"
	out=$(curl -sS "${tls[@]}" -o /dev/null -w '%{http_code} %{time_total} %{size_download} %{size_upload}' \
		"${args[@]}" 2>&1) || true
	read -r c1 u1 <<<"$(cpu_ticks $(procs_of "$cfg"))"
	local code tt down up bad=0
	read -r code tt down up <<<"$out" || true
	case $kind in
	down) [ "$code" = 200 ] && [ "$down" = "$SIZE" ] || bad=1 ;;
	*) # what the engine stored is the whole body (curl's count includes chunk framing)
		[[ $code == 2?? ]] && [ "$(stat -c %s "$T/put/v1.41/containers/bench/archive" 2>/dev/null)" = "$SIZE" ] ||
			bad=1 ;;
	esac
	[ $bad = 0 ] || { echo "proxies: $kind via $cfg failed: $out" >&2; tt=0; }
	echo "$row $cfg $rep $(awk -v m="$MIB" -v t="${tt:-0}" 'BEGIN{printf "%.1f", (t > 0) ? m / t : 0}') 0 0 $bad $((c1 - c0)) 1 $((u1 - u0))" >> "$RES"
}

PLAIN=(direct sw swr haproxy nginx)
TLS=(tls-direct tls-sw tls-haproxy)
run_all() { # REP
	local rep=$1 c
	for c in direct sw haproxy nginx; do wrk_row ping1 $c "$rep" 1 /_ping; done
	for c in direct sw haproxy nginx; do wrk_row ping64 $c "$rep" 64 /_ping; done
	for c in "${PLAIN[@]}"; do wrk_row create1 $c "$rep" 1 /v1.41/containers/create "$T/create.json"; done
	for c in "${PLAIN[@]}"; do wrk_row create64 $c "$rep" 64 /v1.41/containers/create "$T/create.json"; done
	for c in direct sw haproxy nginx; do stream_row down $c "$rep" down; done
	for c in direct sw haproxy nginx; do stream_row up $c "$rep" up; done
	for c in direct sw haproxy nginx; do stream_row chunked $c "$rep" chunked; done
	for c in "${TLS[@]}"; do wrk_row tls-ping64 $c "$rep" 64 /_ping; done
	for c in "${TLS[@]}"; do wrk_row tls-create1 $c "$rep" 1 /v1.41/containers/create "$T/create.json"; done
	for c in "${TLS[@]}"; do wrk_row tls-create64 $c "$rep" 64 /v1.41/containers/create "$T/create.json"; done
	for c in "${TLS[@]}"; do stream_row tls-down $c "$rep" down; done
	for c in "${TLS[@]}"; do stream_row tls-up $c "$rep" up; done
	for c in "${TLS[@]}"; do stream_row tls-chunked $c "$rep" chunked; done
}

echo "== proxies: throughput relative to no proxy, same run (issue 10)"
echo "  $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk ${SECS}s per run, ${MIB} MiB streams, $REPS reps;" \
	"HAProxy $(haproxy -v | awk 'NR==1{print $3}') nbthread/nginx workers: $PTHREADS"
for c in tls-direct tls-sw tls-haproxy; do
	neg=$(openssl s_client -connect "${URL[$c]#https://}" -cert "$C/client/cert.pem" -key "$C/client/key.pem" \
		-ciphersuites "$SUITE" </dev/null 2>/dev/null | awk '/^New,/ {print $2, $5}')
	printf '  %-12s negotiates %s\n' "$c" "${neg:-?}"
done
# warm-up: every target, a second of each small path
for c in "${PLAIN[@]}" "${TLS[@]}"; do
	WRK_BODY=$T/create.json SECS=1 wrk_row warm $c 0 64 /v1.41/containers/create "$T/create.json"
done
t0=$(date +%s)
for rep in $(seq "$REPS"); do run_all "$rep"; done
t1=$(date +%s)

audit_lines() { wc -l < "$A/$1-audit.log" 2>/dev/null || echo 0; }
python3 "$HERE/table.py" "$RES" --mib "$MIB" --elapsed $((t1 - t0)) \
	--audit "sockward baseline=$(audit_lines sw),restricted=$(audit_lines swr)"
for l in sw swr haproxy; do
	[ -s "$T/$l.log" ] && { echo "  $l log (tail):"; tail -5 "$T/$l.log" | sed 's/^/    /'; }
done
exit 0
