#!/usr/bin/env bash
# sw-pass: unix
# `make install DESTDIR=... PREFIX=/usr` puts the binary, both manual pages,
# the example configurations, a default configuration and the systemd units
# in place (sysusers.d entry too), the installed service names the
# installed binary, and the installed binary runs.  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# install depends on the normal build; it must not rebuild the binary under
# the running suite (nor with other flags): only run when it is up to date
make -s -C "$ROOT" -q sockward 2>/dev/null || skip "./sockward is not up to date (make sockward first)"

R=$SW_TMP/root
out=$(make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr 2>&1) ||
	{ printf '%s\n' "$out" >&2; fail "make install failed"; }

mode() { stat -c %a "$1"; }
for f in usr/sbin/sockward usr/share/man/man8/sockward.8 usr/share/man/man5/sockward.json.5 \
	usr/lib/systemd/system/sockward.service usr/lib/systemd/system/sockward.socket \
	usr/lib/sysusers.d/sockward.conf etc/sockward/sockward.json; do
	[ -f "$R/$f" ] || { (cd "$R" && find . -type f) >&2; fail "make install did not install /$f"; }
done
assert_eq 755 "$(mode "$R/usr/sbin/sockward")" "mode of the installed binary"
assert_eq 640 "$(mode "$R/etc/sockward/sockward.json")" "mode of the installed configuration"
for f in "$ROOT"/conf/*.json; do
	cmp -s "$f" "$R/usr/share/doc/sockward/examples/$(basename "$f")" ||
		fail "example $(basename "$f") not installed under /usr/share/doc/sockward/examples"
done
cmp -s "$ROOT/man/sockward.8" "$R/usr/share/man/man8/sockward.8" || fail "sockward.8 differs"
# issue 8: the engine's side of the deployment ships as an example drop-in
cmp -s "$ROOT/systemd/docker.socket-sockward.conf" "$R/usr/share/doc/sockward/examples/docker.socket-sockward.conf" ||
	fail "docker.socket-sockward.conf not installed under /usr/share/doc/sockward/examples"
grep -qxF 'SupplementaryGroups=sockward-engine' "$R/usr/lib/systemd/system/sockward.service" ||
	fail "installed sockward.service does not reach the engine through sockward-engine"
grep -qxF 'SocketGroup=sockward-users' "$R/usr/lib/systemd/system/sockward.socket" ||
	fail "installed sockward.socket is not for group sockward-users"
assert_contains "$(cat "$R/etc/sockward/sockward.json")" '"group": "sockward-users"' "installed configuration's listener group"

v=$("$R/usr/sbin/sockward" --version) || fail "the installed binary does not run"
assert_contains "$v" "$(cat "$ROOT/VERSION")" "installed sockward --version"
"$R/usr/sbin/sockward" --print-keys | grep -q '^audit.on_failure ' || fail "installed --print-keys"
man_out=$(MANPATH=$R/usr/share/man man -w sockward.json 2>/dev/null || true)
[ -z "$man_out" ] || assert_contains "$man_out" "$R/usr/share/man/man5/sockward.json.5" "man -w sockward.json"

# the installed units must name the installed binary (PREFIX=/usr -> /usr/sbin)
for u in sockward.service; do
	bins=$(grep -oE '^Exec[A-Za-z]*=[-@!+]*[^ ]+' "$R/usr/lib/systemd/system/$u" | sed -E 's/^[^=]+=[-@!+]*//' | grep sockward | sort -u)
	for b in $bins; do
		[ -x "$R$b" ] || fail "$u runs $b, which make install PREFIX=/usr did not install (the binary is /usr/sbin/sockward)"
	done
done

# a second install keeps an edited configuration
echo '{ "description": "edited" }' > "$R/etc/sockward/sockward.json"
make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || fail "second make install failed"
assert_contains "$(cat "$R/etc/sockward/sockward.json")" edited "configuration after a second install"
