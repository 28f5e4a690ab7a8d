#!/usr/bin/env python3
"""edges.py - raw-socket checks of sockward's HTTP edge behaviour.

Usage: edges.py CHECK SOCKWARD_UNIX_SOCKET [ENGINE_SOCKET]
Each CHECK sends exact bytes and asserts exact answers; exit 1 on failure.
"""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def read_response(s, buf=b""):
    """Read one HTTP/1.1 response (Content-Length or chunked). Returns
    (status, headers dict lowercased, body bytes, leftover)."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise AssertionError("connection closed before a response head: %r" % buf[:200])
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            d = s.recv(65536)
            if not d:
                raise AssertionError("short body")
            rest += d
        return status, headers, rest[:n], rest[n:]
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += s.recv(65536)
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(rest) < size + 2:
                rest += s.recv(65536)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body, rest
    return status, headers, b"", rest


def closed(s, wait=5.0):
    """True when the peer closes the connection within wait seconds."""
    s.settimeout(wait)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print("  ok: " + what)


def docker_error(body):
    msg = json.loads(body)["message"]
    expect(isinstance(msg, str) and msg, "body is Docker's {\"message\": ...} form")
    return msg


PING = b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"


def check_framing(sock):
    cases = [
        ("CL with TE", b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("duplicate CL", b"POST /v1.41/build HTTP/1.1\r\nHost: d\r\nContent-Length: 1\r\n"
         b"Content-Length: 2\r\n\r\nab"),
        ("bad chunk", b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\n"
         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n"),
        ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"),
        ("bare LF", b"GET /_ping HTTP/1.1\nHost: d\n\n"),
    ]
    for name, raw in cases:
        s = connect(sock)
        s.sendall(raw)
        st, h, body, _ = read_response(s)
        expect(st == 400, "%s -> 400 (got %d)" % (name, st))
        expect(h.get("content-type") == "application/json", "%s -> JSON error" % name)
        docker_error(body)
        expect(closed(s), "%s -> connection closed" % name)
    # framings llhttp accepts but Go's net/http (dockerd) reads differently
    for name, raw, want in [
        ("TE gzip, chunked", b"POST /v1.41/build HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("two TE headers", b"POST /v1.41/build HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("TE on HTTP/1.0", b"POST /v1.41/build HTTP/1.0\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ]:
        s = connect(sock)
        s.sendall(raw)
        st, h, body, _ = read_response(s)
        expect(st == want, "%s -> %d (got %d)" % (name, want, st))
        docker_error(body)
        s.close()
    s = connect(sock)
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    st, h, body, _ = read_response(s)
    expect(st == 431 and "header" in docker_error(body), "oversize head -> 431 naming the header block")
    expect(closed(s), "oversize head -> connection closed")


def check_body_cap(sock):
    s = connect(sock)
    s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
              b"Content-Length: 2097152\r\n\r\n{")
    st, h, body, _ = read_response(s)
    expect(st == 413, "2 MiB Content-Length on an inspected endpoint -> 413 before the body")
    docker_error(body)
    s.close()
    s = connect(sock)
    s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    status = None
    try:
        for _ in range(40):   # 2.5 MiB of chunks, more than the 1 MiB cap
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    st, h, body, _ = read_response(s)
    expect(st == 413, "chunked body over the cap -> 413")


def check_pipelining(sock):
    s = connect(sock)
    s.sendall(PING + b"GET /v1.41/version HTTP/1.1\r\nHost: d\r\n\r\n" + b"HEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
    st1, h1, b1, rest = read_response(s)
    expect(st1 == 200 and b1 == b"OK", "pipelined #1: GET /_ping -> OK")
    st2, h2, b2, rest = read_response(s, rest)
    expect(st2 == 200 and b"ApiVersion" in b2, "pipelined #2: GET /version in order")
    # HEAD response: head only
    while b"\r\n\r\n" not in rest:
        rest += s.recv(4096)
    expect(rest.startswith(b"HTTP/1.1 200"), "pipelined #3: HEAD /_ping in order")
    s.close()


def check_ping_headers(sock, engine):
    def ping(path):
        s = connect(path)
        s.sendall(b"HEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(4096)
        s.close()
        head = buf.split(b"\r\n\r\n")[0].decode()
        return {l.split(":")[0].lower(): l.split(":", 1)[1].strip() for l in head.split("\r\n")[1:]}
    a, b = ping(sock), ping(engine)
    for k in ("api-version", "docker-experimental", "ostype", "server", "builder-version"):
        if k in b:
            expect(a.get(k) == b[k], "HEAD /_ping %s passes through untouched (%s)" % (k, b[k]))


def check_header_timeout(sock):
    s = connect(sock)
    s.sendall(b"GET /_ping HTTP/1.1\r\nHo")
    t0 = time.time()
    expect(closed(s, 10), "unfinished head is dropped")
    dt = time.time() - t0
    expect(0.5 < dt < 5, "dropped after the configured 1 s head timeout (%.1fs)" % dt)


def check_body_timeout(sock):
    # an inspected body is buffered whole: it must not trickle in forever
    s = connect(sock)
    s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\n"
              b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    t0 = time.time()
    st, h, body, rest = read_response(s)
    dt = time.time() - t0
    expect(st == 408, "unfinished inspected body -> 408")
    expect("body timeout" in docker_error(body), "408 message names the body timeout")
    expect(0.5 < dt < 5, "answered after the configured 1 s timeout (%.1fs)" % dt)
    expect(closed(s, 15), "connection closed after the 408")


def check_halfclose_lookup(sock):
    # a kept-alive engine connection, then a request the policy needs a
    # lookup for, sent with a half-close: the request still gets its answer
    s = connect(sock)
    s.sendall(PING)
    st, h, body, rest = read_response(s)
    expect(st == 200, "first request on the connection")
    doc = b'{"Image":"sockward-edges/no-such-image:1"}'
    s.sendall(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(doc), doc))
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    st, h, body, rest = read_response(s, rest)
    expect(st == 404, "create after a half-close answered (404 for the missing image), not stalled")
    expect(closed(s, 10), "connection closed after the last answer")


def check_engine_down_then_up(sock, engine_link, engine):
    import os
    import subprocess
    s = connect(sock)
    s.sendall(PING)
    st, h, body, rest = read_response(s)
    expect(st == 502, "engine down -> 502")
    expect("not reachable" in docker_error(body), "502 message says the engine is not reachable")
    # the docker CLI's HEAD /_ping: the answer to a HEAD has no body, or a
    # kept-alive client reads it as the start of the next answer
    s.sendall(b"HEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n" + PING)
    buf = rest
    while buf.count(b"\r\n\r\n") < 2 or not buf.endswith(b"}\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head1, after = buf.split(b"\r\n\r\n", 1)
    expect(head1.startswith(b"HTTP/1.1 502 "), "engine down: HEAD -> 502")
    expect(b"content-length:" in head1.lower(), "HEAD answer says the length a GET would get")
    expect(after.startswith(b"HTTP/1.1 502 "), "HEAD answer has no body: the next answer follows it at once")
    st, h, body, rest = read_response(s, after)
    expect(st == 502 and "not reachable" in docker_error(body), "GET after HEAD on the same connection -> 502")
    relay = subprocess.Popen(["socat", "UNIX-LISTEN:%s,fork" % engine_link, "UNIX-CONNECT:%s" % engine])
    try:
        # the relay is up once it accepts (its socket file exists a moment
        # before it listens)
        for _ in range(100):
            try:
                probe = connect(engine_link)
                probe.close()
                break
            except OSError:
                time.sleep(0.05)
        s.sendall(PING)
        st, h, body, rest = read_response(s, rest)
        expect(st == 200 and body == b"OK", "next request on the same connection reaches the engine")
    finally:
        relay.terminate()
        relay.wait()


def main():
    check, sock = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    fn = {
        "framing": lambda: check_framing(sock),
        "body_cap": lambda: check_body_cap(sock),
        "pipelining": lambda: check_pipelining(sock),
        "ping_headers": lambda: check_ping_headers(sock, args[0]),
        "header_timeout": lambda: check_header_timeout(sock),
        "body_timeout": lambda: check_body_timeout(sock),
        "halfclose_lookup": lambda: check_halfclose_lookup(sock),
        "engine_down": lambda: check_engine_down_then_up(sock, args[0], args[1]),
    }[check]
    try:
        fn()
    except AssertionError as e:
        print("  FAIL: %s: %s" % (check, e))
        sys.exit(1)


if __name__ == "__main__":
    main()
