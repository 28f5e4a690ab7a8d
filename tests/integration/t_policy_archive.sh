#!/usr/bin/env bash
# sw-pass: unix
# Policy, issue 8 (no way around the gate): archive uploads and bind sources,
# through a sockward of this test's own (profile "ar": restricted, binds
# writable and only from $SW_TMP/binds).
#  - docker cp of a plain file into a bind mount works and lands on the host;
#  - a tar with a set-uid file, a device node, or gzip-compressed, PUT raw
#    (Content-Length and chunked), is refused 403 [archive.special_files] and
#    nothing of the bad entry lands in the bind-mounted directory (the plain
#    entry before it may, also when that entry's data went by splice);
#    docker cp of a set-uid file is refused; a 96 MiB upload lands whole,
#    chunked and with a Content-Length;
#  - a bind source that is a symlink is refused at create [mounts.bind_symlink];
#  - a container whose bind source became a symlink after its create is
#    refused at start, and starts once the directory is back.
# Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/policy_lib.sh"

BINDS=$SW_TMP/binds
mkdir -p "$BINDS/data" "$BINDS/swap"
sw_policy_start ar "{ \"default_profile\": \"ar\",
  \"profiles\": { \"ar\": { \"base\": \"restricted\", \"bind_readonly\": false,
                           \"bind_prefixes\": { \"replace\": [\"$BINDS\"] } } } }"
DENIED_AR="sockward: denied by policy 'ar'"
export DOCKER_HOST=unix://$PSOCK
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NET=$(uniq_name net); on_exit_rm_network "$NET"
engine network create "$NET" >/dev/null
mapfile -t HARD < <(hard_args "$NET")

# ---- archive uploads ---------------------------------------------------------------
C=$(uniq_name arch); on_exit_rm_container "$C"
docker run -d --name "$C" "${HARD[@]}" -v "$BINDS/data:/data" "$SW_IMAGE" sleep 300 >/dev/null
echo "plain copy" > plain.txt
docker cp plain.txt "$C:/data/plain.txt"
assert_eq "plain copy" "$(cat "$BINDS/data/plain.txt")" "docker cp of a plain file lands in the bind mount"
# a directory tree: subdirectory, executable, symlink, hard link, sticky
# directory, a long name (PAX), with the CLI 28 and the Debian 20.10 CLI
mkdir -p tree/sub tree/sticky && chmod 1777 tree/sticky
echo one > tree/sub/one.txt; printf '#!/bin/sh\n' > tree/run.sh; chmod 755 tree/run.sh
ln -s sub/one.txt tree/link; ln tree/sub/one.txt tree/hard
long=$(printf 'n%.0s' $(seq 1 150)); echo long > "tree/sub/$long"
for cli in "$DOCKER_CLI" /usr/bin/docker; do
	rm -rf "${BINDS:?}/data/tree"
	timeout -s KILL "$SW_CMD_TIMEOUT" "$cli" cp tree "$C:/data/tree"
	assert_eq one "$(cat "$BINDS/data/tree/link")" "$cli cp of a tree: symlink"
	assert_eq one "$(cat "$BINDS/data/tree/hard")" "$cli cp of a tree: hard link"
	assert_eq long "$(cat "$BINDS/data/tree/sub/$long")" "$cli cp of a tree: long name"
	[ -x "$BINDS/data/tree/run.sh" ] && [ -k "$BINDS/data/tree/sticky" ] ||
		fail "$cli cp of a tree: modes lost: $(ls -la "$BINDS/data/tree")"
done

# put FILE [chunked]: PUT the tar through sockward; prints "STATUS BODY"
put() {
	local -a te=()
	[ "${2:-}" = chunked ] && te=(-H "Transfer-Encoding: chunked")
	curl_t -sS --unix-socket "$PSOCK" -o put.out -w '%{http_code}' -X PUT \
	    -H "Content-Type: application/x-tar" "${te[@]}" --data-binary "@$1" \
	    "http://docker/v1.41/containers/$C/archive?path=/data"
	printf ' %s' "$(cat put.out)"
}

python3 - <<'PY'
import gzip, io, tarfile
def tar(entries, name):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    open(name, "wb").write(buf.getvalue())
    return buf.getvalue()
def f(name, data=b"x\n", mode=0o644, typ=tarfile.REGTYPE):
    ti = tarfile.TarInfo(name); ti.size = len(data) if typ == tarfile.REGTYPE else 0
    ti.mode = mode; ti.type = typ; ti.uid = ti.gid = 0
    if typ == tarfile.CHRTYPE: ti.devmajor, ti.devminor = 1, 3
    return ti, data if typ == tarfile.REGTYPE else None
tar([f("before.txt", b"before\n"), f("suid", b"#!/bin/sh\nid\n", 0o4755), f("after.txt")], "suid.tar")
tar([f("before2.txt", b"before\n"), f("null", typ=tarfile.CHRTYPE, mode=0o666)], "dev.tar")
tar([f("big.bin", b"b" * 300000), f("sgid", b"x", 0o2755)], "sgid.tar")
open("suid.tar.gz", "wb").write(gzip.compress(open("suid.tar", "rb").read()))
tar([f("good.txt", b"good\n"), f("exec.sh", b"#!/bin/sh\n", 0o755)], "good.tar")
PY

# refused_put FILE [chunked] ENTRY TEXT
refused_put() {
	local out; out=$(put "$1" "${2:-}")
	case "$out" in 403\ *) ;; *) fail "PUT $1 ${2:-}: want 403, got: $out" ;; esac
	assert_contains "$out" "$DENIED_AR" "PUT $1 ${2:-}"
	assert_contains "$out" "[archive.special_files]" "PUT $1 ${2:-}"
	assert_contains "$out" "$4" "PUT $1 ${2:-}"
	[ ! -e "$BINDS/data/$3" ] && [ ! -L "$BINDS/data/$3" ] ||
		fail "PUT $1 ${2:-}: $3 landed in the bind-mounted directory: $(ls -l "$BINDS/data")"
	log "ok PUT $1 ${2:-} refused, no $3 on the host"
}
refused_put suid.tar "" suid "entry suid is set-uid (mode 4755)"
[ ! -e "$BINDS/data/after.txt" ] || fail "an entry after the refused one was extracted"
refused_put suid.tar chunked suid "entry suid is set-uid"
refused_put dev.tar "" null "entry null is a character device node"
refused_put dev.tar chunked null "character device node"
refused_put sgid.tar chunked sgid "entry sgid is set-gid"
refused_put sgid.tar "" sgid "entry sgid is set-gid"   # after big.bin's data, spliced
refused_put suid.tar.gz "" suid "the archive is gzip-compressed"
wait_audit "$PAUDIT" '"verdict":"deny".*"rules":\["archive.special_files"\]'
line=$(audit_last "$PAUDIT" '"endpoint":"container.archive".*"verdict":"deny"')
assert_contains "$line" '"status":403' "audit line of a refused upload"

out=$(put good.tar chunked)
case "$out" in 200\ *) ;; *) fail "PUT good.tar (chunked): want 200, got: $out" ;; esac
assert_eq "good" "$(cat "$BINDS/data/good.txt")" "a plain tar PUT chunked lands whole"
out=$(put good.tar)
case "$out" in 200\ *) ;; *) fail "PUT good.tar: want 200, got: $out" ;; esac
[ -x "$BINDS/data/exec.sh" ] || fail "an executable (0755) file did not land"

# a large upload streams through with bounded memory; a bad entry at its start
# stops it there while the client is still sending
python3 - <<'PY'
import tarfile
def big(name, entries):
    with open(name, "wb") as out:
        for n, size, mode in entries:
            ti = tarfile.TarInfo(n); ti.size = size; ti.mode = mode
            out.write(ti.tobuf(format=tarfile.PAX_FORMAT))
            for _ in range(size >> 20):
                out.write(b"\x5a" * (1 << 20))
        out.write(b"\0" * 1024)
big("big.tar", [("big.bin", 96 << 20, 0o644)])
big("early.tar", [("early-suid", 1 << 20, 0o4755), ("early-big.bin", 64 << 20, 0o644)])
PY
before=$(awk '/^VmHWM:/{print $2}' "/proc/$PPID_SW/status")
out=$(curl_t -sS --unix-socket "$PSOCK" -o put.out -w '%{http_code}' -T big.tar \
    -H "Content-Type: application/x-tar" -H "Transfer-Encoding: chunked" \
    "http://docker/v1.41/containers/$C/archive?path=/data")
assert_eq 200 "$out" "96 MiB archive PUT chunked"
assert_eq $((96 << 20)) "$(stat -c %s "$BINDS/data/big.bin")" "96 MiB file landed whole"
rm -f "$BINDS/data/big.bin"
out=$(curl_t -sS --unix-socket "$PSOCK" -o put.out -w '%{http_code}' -T big.tar \
    -H "Content-Type: application/x-tar" "http://docker/v1.41/containers/$C/archive?path=/data")
assert_eq 200 "$out" "96 MiB archive PUT with a Content-Length (its data by splice)"
assert_eq $((96 << 20)) "$(stat -c %s "$BINDS/data/big.bin")" "96 MiB file landed whole (Content-Length)"
[ "$(tr -d Z < "$BINDS/data/big.bin" | wc -c)" = 0 ] || fail "the spliced file's bytes differ"
after=$(awk '/^VmHWM:/{print $2}' "/proc/$PPID_SW/status")
log "96 MiB archive upload: sockward VmHWM before $before KiB, after $after KiB"
record "policy_archive: 96 MiB upload, sockward VmHWM $after KiB"
if [ "${SW_SANITIZED:-0}" != 1 ]; then
	[ "$after" -lt 32768 ] || fail "sockward VmHWM $after KiB after a 96 MiB archive upload"
fi
out=$(curl_t -sS --unix-socket "$PSOCK" -o put.out -w '%{http_code}' -T early.tar \
    -H "Content-Type: application/x-tar" "http://docker/v1.41/containers/$C/archive?path=/data" || true)
assert_eq 403 "$out" "an upload whose first entry is set-uid"
assert_contains "$(cat put.out)" "entry early-suid is set-uid" "an upload whose first entry is set-uid"
[ ! -e "$BINDS/data/early-suid" ] && [ ! -e "$BINDS/data/early-big.bin" ] ||
	fail "entries of a refused upload landed: $(ls -l "$BINDS/data")"
rm -f big.tar early.tar

# the docker CLI: a set-uid file is refused with sockward's message
printf '#!/bin/sh\n' > suidfile; chmod 4755 suidfile
rc=0; out=$(docker cp suidfile "$C:/data/suidfile" 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "docker cp of a set-uid file was allowed"
assert_contains "$out" "[archive.special_files]" "docker cp of a set-uid file"
[ ! -e "$BINDS/data/suidfile" ] || fail "docker cp: the set-uid file landed on the host"
log "ok docker cp of a set-uid file refused: $out"

# ---- bind sources ------------------------------------------------------------------
ln -s "$BINDS/data" "$BINDS/link"
rc=0; out=$(docker create "${HARD[@]}" -v "$BINDS/link:/d" "$SW_IMAGE" true 2>&1) || rc=$?
[ $rc -ne 0 ] || { on_exit_rm_container "$out"; fail "a symlinked bind source was allowed"; }
assert_contains "$out" "[mounts.bind_symlink]" "symlinked bind source"
assert_contains "$out" "goes through a symlink (it is $BINDS/data" "symlinked bind source"
rc=0; out=$(docker create "${HARD[@]}" --mount "type=bind,src=$BINDS/nonexistent,dst=/d" \
    "$SW_IMAGE" true 2>&1) || rc=$?
[ $rc -ne 0 ] || { on_exit_rm_container "$out"; fail "an unresolvable bind source was allowed"; }
assert_contains "$out" "[mounts.bind_symlink]" "unresolvable bind source"
assert_contains "$out" "cannot be resolved by sockward" "unresolvable bind source"

S=$(uniq_name swap); on_exit_rm_container "$S"
docker create --name "$S" "${HARD[@]}" -v "$BINDS/swap:/d" "$SW_IMAGE" sleep 300 >/dev/null
mv "$BINDS/swap" "$BINDS/swap.real"
ln -s /etc "$BINDS/swap"
rc=0; out=$(docker start "$S" 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "a container whose bind source became a symlink was started"
assert_contains "$out" "$DENIED_AR" "start after the swap"
assert_contains "$out" "[mounts.bind_symlink]" "start after the swap"
assert_contains "$out" "it is /etc now" "start after the swap"
[ "$(engine inspect -f '{{.State.Running}}' "$S")" = false ] || fail "the container runs"
rm "$BINDS/swap"; mv "$BINDS/swap.real" "$BINDS/swap"
docker start "$S" >/dev/null
[ "$(engine inspect -f '{{.State.Running}}' "$S")" = true ] || fail "the container did not start once the directory was back"
log "ok start refused while the bind source was a symlink, allowed once it was not"
