#!/usr/bin/env bash
# sw-pass: tls
# Limits that refuse with a reason, and connections without an identity
# bounded apart from authenticated ones: bare TCP sockets on the TLS port
# fill limits.max_handshakes, not max_connections, make room (oldest first)
# for new connections, are dropped after limits.handshake_timeout_ms, and
# lock neither an authenticated client nor a new one out;
# a client past max_connections gets a 503 in Docker's form after its
# handshake.
. "$(dirname "$0")/lib.sh"; sw_test_init; tls_only
. "$(dirname "$0")/policy_lib.sh"
: "${SW_BIN:?SW_BIN not set by run.sh}"

port=$((20000 + RANDOM % 20000))
sw_policy_start lim '{ "default_profile": "unrestricted" }' \
	"{ \"name\": \"tls\", \"type\": \"tls\", \"address\": \"127.0.0.1:$port\",
	   \"cert\": \"$SW_CERTS/server/server-cert.pem\", \"key\": \"$SW_CERTS/server/server-key.pem\",
	   \"ca\": \"$SW_CERTS/server/ca.pem\" }"
# limits: one authenticated connection, two handshakes, handshakes get 1 s
python3 - "$SW_TMP/lim.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"] = {"max_connections": 1, "max_handshakes": 2, "handshake_timeout_ms": 1000}
json.dump(c, open(sys.argv[1], "w"))
PY
kill -HUP "$PPID_SW"
wait_for 10 grep -q "reload: done" "$PLOG" || fail "reload with the limits failed: $(tail -3 "$PLOG")"

python3 - "$port" "$SW_CERTS/client" <<'PY' || fail "limits (see above)"
import socket, ssl, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
def fail(msg):
    print("  FAIL: " + msg); sys.exit(1)
def mtls():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(certs + "/ca.pem")
    ctx.load_cert_chain(certs + "/cert.pem", certs + "/key.pem")
    ctx.check_hostname = False
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
    return s
def ping(s):
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not (data.endswith(b"OK") or b"}\n" in data):
        d = s.recv(4096)
        if not d:
            break
        data += d
    return data
def closed(s, wait=3.0):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
# an authenticated client holds the one connection slot
a = mtls()
if b" 200 " not in ping(a).split(b"\r\n")[0] + b" ":
    fail("the first mTLS client was not served")
# two bare sockets take the two handshake slots; a third takes the place
# of the oldest, which is closed at once
bare = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.2)
third = socket.create_connection(("127.0.0.1", port))
if not closed(bare[0], 2):
    fail("past limits.max_handshakes the oldest handshake was not closed")
if closed(bare[1], 0.2) or closed(third, 0.2):
    fail("past limits.max_handshakes a newer handshake was closed")
# the authenticated client is not locked out by them
if b"HTTP/1.1 200" not in ping(a):
    fail("bare sockets on the TLS port locked the authenticated client out")
# the bare sockets are dropped after the handshake timeout
for b in (bare[1], third):
    if not closed(b, 4):
        fail("a bare socket outlived limits.handshake_timeout_ms")
# a second authenticated client, past max_connections: a 503 in Docker's form
b2 = mtls()
ans = b""
b2.settimeout(5)
try:
    while True:
        d = b2.recv(4096)
        if not d:
            break
        ans += d
except (ConnectionResetError, ssl.SSLError, socket.timeout):
    pass
if not ans.startswith(b"HTTP/1.1 503 ") or b"max_connections" not in ans:
    fail("past max_connections: %r" % ans[:200])
if b'{"message":"sockward: too many connections' not in ans:
    fail("the 503 is not in Docker's error form: %r" % ans[:300])
b2.close()
# bare sockets holding every handshake slot do not keep a real client out:
# its handshake takes the oldest one's place
a.close()
time.sleep(0.3)
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.2)
c = mtls()
if b"HTTP/1.1 200" not in ping(c):
    fail("bare sockets holding the handshake slots locked a new mTLS client out")
print("  ok: handshakes bounded apart, the oldest makes room, bare sockets dropped, "
      "503 past max_connections")
PY
n=$(grep -c "refused: " "$PLOG" || true)
[ "$n" -ge 1 ] || fail "no refusal logged"
