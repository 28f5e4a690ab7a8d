#!/usr/bin/env python3
"""tls_records.py - TLS records that arrive together are all read.

Usage: tls_records.py HOST:PORT CERT_DIR

The last case sends a request and the client's close_notify in one segment
and leaves TCP open: the request is answered and sockward ends too.

sockward lets OpenSSL read ahead (several TLS records per read(2)); records
it has read but not decrypted yet must still be processed although the
socket has nothing more to say.  Each case builds its TLS records first
(an SSLObject over memory BIOs, one record per write) and sends them all in
one sendall, so they reach sockward in one segment, then waits for the
answers with a deadline: a record left in OpenSSL's buffer is a hang here.
"""
import socket
import ssl
import sys
import time

DEADLINE = 10.0


class Conn:
    def __init__(self, addr, certs):
        host, port = addr.rsplit(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(certs + "/ca.pem")
        ctx.load_cert_chain(certs + "/cert.pem", certs + "/key.pem")
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        self.sock = socket.create_connection((host, int(port)), timeout=DEADLINE)
        self.plain = b""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.feed()
        self.flush()

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def feed(self):
        d = self.sock.recv(65536)
        if not d:
            raise AssertionError("sockward closed the connection")
        self.inc.write(d)

    def records(self, pieces):
        """one TLS record per piece, all sent in one sendall"""
        for p in pieces:
            self.tls.write(p)
        self.flush()

    def read_until(self, pred, what):
        end = time.time() + DEADLINE
        while not pred(self.plain):
            try:
                self.plain += self.tls.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            if time.time() > end:
                raise AssertionError("no answer in %ds to %s (got %r)" % (DEADLINE, what, self.plain[-200:]))
            self.sock.settimeout(max(0.1, end - time.time()))
            try:
                self.feed()
            except socket.timeout:
                raise AssertionError("no answer in %ds to %s (got %r)" % (DEADLINE, what, self.plain[-200:]))


def answers(n):
    return lambda b: b.count(b"HTTP/1.1 200 OK") >= n and b.endswith(b"OK")


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("  ok: " + msg)


def main():
    addr, certs = sys.argv[1], sys.argv[2]
    ping = b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n"

    # three requests, three records, one segment: answered in order
    c = Conn(addr, certs)
    c.records([ping, ping, ping])
    c.read_until(answers(3), "three pipelined requests in three records")
    expect(c.plain.count(b"HTTP/1.1 200 OK") == 3, "three requests in three records sent together: three answers")

    # one request cut into records: the head ends in the last one
    c.records([ping[:10], ping[10:-2], ping[-2:]])
    c.read_until(answers(4), "a request split over three records")
    expect(c.plain.count(b"HTTP/1.1 200 OK") == 4, "a head split over three records sent together: answered")

    # a request byte by byte, 300 records of one byte (a request body too)
    body = b'{"Name":"x"}'
    post = (b"POST /v1.41/containers/create?name=x HTTP/1.1\r\nHost: d\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    req = ping + post + ping
    c.records([req[i:i + 1] for i in range(len(req))])
    c.read_until(lambda b: b.count(b"HTTP/1.1 ") >= 7 and b.endswith(b"OK"),
                 "requests sent one byte per record")
    expect(c.plain.count(b"HTTP/1.1 ") == 7, "%d one-byte records sent together: every request answered" % len(req))
    c.sock.close()

    # a request and the client's close_notify in one segment, the TCP
    # connection left open: the request is answered, then sockward ends too
    c = Conn(addr, certs)
    c.tls.write(ping)
    try:
        c.tls.unwrap()
    except ssl.SSLWantReadError:
        pass   # our close_notify is written; the peer's is still to come
    c.flush()
    end = time.time() + DEADLINE
    got = b""
    while True:
        c.sock.settimeout(max(0.1, end - time.time()))
        try:
            d = c.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("sockward did not end the connection after close_notify")
        if not d:
            break
        c.inc.write(d)
        try:
            while True:
                got += c.tls.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
    expect(b"HTTP/1.1 200 OK" in got and got.endswith(b"OK"),
           "a request followed by close_notify in one segment: answered, then closed")
    c.sock.close()


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, OSError, ssl.SSLError) as e:
        print("  FAIL: %s" % e)
        sys.exit(1)
