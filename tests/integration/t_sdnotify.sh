#!/usr/bin/env bash
# sw-pass: unix
# sd_notify(3): with NOTIFY_SOCKET pointing at a datagram socket of ours
# (notify_recorder.py plays systemd), sockward sends READY=1 with STATUS=
# once it serves, RELOADING=1 + MONOTONIC_USEC= then READY=1 around a SIGHUP
# (also a failed one), and STOPPING=1 on SIGTERM -- in that order, and
# nothing before READY=1.  Runs once (unix pass).
. "$(dirname "$0")/lib.sh"; sw_test_init
[ "${SW_LISTENER:-}" = unix ] || skip "runs once, in the unix pass"
. "$(dirname "$0")/../fixtures/ops/ops.sh"

NS=$SW_TMP/notify.sock
REC=$SW_TMP/notify.txt
: > "$REC"
python3 "$OPS_FIXTURES/notify_recorder.py" "$NS" "$REC" &
RP=$!
ops_on_exit "kill $RP"
wait_for 5 test -S "$NS" || fail "the recorder did not bind $NS"

SOCK=$SW_TMP/n.sock
CONF=$SW_TMP/n.json
cat > "$CONF" <<JSON
{ "listeners": [ { "name": "local", "type": "unix", "path": "$SOCK", "mode": "0600" } ],
  "upstream": { "socket": "$SW_ENGINE_SOCK" },
  "audit": { "file": "$SW_TMP/n-audit.log" },
  "policy": { "default_profile": "unrestricted" } }
JSON
ops_start n "$CONF" NOTIFY_SOCKET="$NS"
PID=$SWPID
nrec() { [ "$(wc -l < "$REC")" -ge "$1" ]; }
wait_for 5 nrec 1 || fail "no datagram after start"
# READY=1 means serving: the listener answers
v=$(DOCKER_HOST=unix://$SOCK docker version --format '{{.Server.APIVersion}}')
assert_eq 1.41 "$v" "docker version once READY=1 was sent"

kill -HUP "$PID"
wait_for 5 nrec 3 || fail "no RELOADING/READY pair after SIGHUP"
cp "$CONF" "$SW_TMP/good.json"
echo '{ "listeners": 1 }' > "$CONF"
kill -HUP "$PID"
wait_for 5 nrec 5 || fail "no RELOADING/READY pair after a failed SIGHUP"
cp "$SW_TMP/good.json" "$CONF"
ops_stop "$PID" n
wait_for 5 nrec 6 || fail "no STOPPING=1 after SIGTERM"
sleep 0.2

sed 's/^/    /' "$REC" >&2
python3 - "$REC" <<'PY' || fail "sd_notify sequence (above)"
import re, sys
msgs = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
kinds = []
for m in msgs:
    fields = dict(f.split("=", 1) for f in m if "=" in f)
    if "READY" in fields:
        assert fields["READY"] == "1", m
        assert fields.get("STATUS"), f"READY=1 without STATUS: {m}"
        kinds.append("READY")
    elif "RELOADING" in fields:
        assert fields["RELOADING"] == "1", m
        assert re.fullmatch(r"[0-9]+", fields.get("MONOTONIC_USEC", "")), f"no MONOTONIC_USEC=<int>: {m}"
        kinds.append("RELOADING")
    elif "STOPPING" in fields:
        assert fields["STOPPING"] == "1", m
        kinds.append("STOPPING")
    elif list(fields) == ["STATUS"]:
        continue          # status updates may come at any time
    else:
        raise AssertionError(f"unexpected datagram {m}")
want = ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"]
assert kinds == want, f"sequence {kinds}, want {want}"
# MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds: close to ours
us = [int(dict(f.split("=", 1) for f in m if "=" in f)["MONOTONIC_USEC"]) for m in msgs if m[0].startswith("RELOADING")]
import time
now = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
assert all(0 < now - u < 120e6 for u in us), f"MONOTONIC_USEC {us} not within 2 min before now {now:.0f}"
assert us == sorted(us), us
print("  sd_notify:", " -> ".join(kinds))
PY
grep -q 'READY=1|STATUS=reload failed' "$REC" || fail "the READY=1 after a failed reload does not say so in STATUS"
