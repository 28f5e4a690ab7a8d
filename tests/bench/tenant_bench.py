#!/usr/bin/env python3
"""tenant_bench.py ENGINE_SOCK SOCKWARD_SOCK CONTAINER TENANT [N] - what a tenant costs.

The same requests through the same sockward as an operator (this process,
uid 0: no tenant) and as a tenant (uid 1000, bound to TENANT: lists are
narrowed with the tenant's label filter, image lists rewritten, named
objects resolved), in interleaved keep-alive batches so the noise of a
shared machine hits both alike; the engine directly as a reference.
sockward reads the identity from SO_PEERCRED at connect(), which is the
effective uid: the tenant's connection is made with seteuid(1000).

  docker ps -a      GET /containers/json?all=1 ; the operator sends the
                    tenant's label filter itself, so the engine does the same
                    work and the difference is sockward's
  docker inspect    GET /containers/CONTAINER/json (a container of TENANT)
  docker images     GET /images/json (the tenant's answer is held and filtered)
Prints medians, the tenant/operator ratio and the difference."""
import json
import os
import socket
import statistics
import sys
import time
import urllib.parse


def connect(path, uid=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if uid is not None:
        os.setegid(uid)
        os.seteuid(uid)
    try:
        s.connect(path)
    finally:
        if uid is not None:
            os.seteuid(0)
            os.setegid(0)
    return s


def request(s, target):
    s.sendall(("GET %s HTTP/1.1\r\nHost: docker\r\n\r\n" % target).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, body = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    h = head.lower()
    if b"content-length:" in h:
        n = int(h.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        while len(body) < n:
            body += s.recv(65536)
        return status, body[:n]
    # chunked (the engine's own answers)
    out = b""
    while True:
        while b"\r\n" not in body:
            body += s.recv(65536)
        size_s, body = body.split(b"\r\n", 1)
        size = int(size_s, 16)
        while len(body) < size + 2:
            body += s.recv(65536)
        out += body[:size]
        body = body[size + 2:]
        if size == 0:
            return status, out


def batch(s, target, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        st, _ = request(s, target)
        times.append(time.perf_counter_ns() - t0)
        if st != 200:
            sys.exit("MEASUREMENT BROKEN: %s answered %d" % (target, st))
    return times


def main():
    engine, sw, container, tenant = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    label = json.dumps({"label": {"io.sockward.tenant=%s" % tenant: True}})
    ps_filtered = "/v1.41/containers/json?all=1&filters=" + urllib.parse.quote(label, safe="")
    rows = [
        ("docker ps -a", ps_filtered, "/v1.41/containers/json?all=1"),
        ("docker inspect",) + ("/v1.41/containers/%s/json" % container,) * 2,
        ("docker images",) + ("/v1.41/images/json",) * 2,
    ]
    e, op, ten = connect(engine), connect(sw), connect(sw, 1000)
    # what each one sees (the tenant's ps must be narrowed, or this measures nothing)
    seen_ten = len(json.loads(request(ten, "/v1.41/containers/json?all=1")[1]))
    seen_op = len(json.loads(request(op, "/v1.41/containers/json?all=1")[1]))
    img_ten = len(json.loads(request(ten, "/v1.41/images/json")[1]))
    img_op = len(json.loads(request(op, "/v1.41/images/json")[1]))
    print("%d requests per row and identity, interleaved batches; engine: %d containers, "
          "%d images; tenant %s sees %d containers, %d images"
          % (n, seen_op, img_op, tenant, seen_ten, img_ten))
    if seen_ten >= seen_op:
        sys.exit("MEASUREMENT BROKEN: the tenant's ps is not narrowed")
    print("  %-15s %12s %12s %12s %14s %10s" % ("", "engine us", "operator us", "tenant us",
                                               "tenant-op us", "ten/op"))
    for name, op_target, ten_target in rows:
        for s, t in ((e, op_target), (op, op_target), (ten, ten_target)):
            batch(s, t, 50)   # warm up
        d, o, t = [], [], []
        for _ in range(10):
            d += batch(e, op_target, n // 10)
            o += batch(op, op_target, n // 10)
            t += batch(ten, ten_target, n // 10)
        md, mo, mt = (statistics.median(x) / 1e3 for x in (d, o, t))
        print("  %-15s %12.1f %12.1f %12.1f %14.1f %9.2fx" % (name, md, mo, mt, mt - mo, mt / mo))
    for s in (e, op, ten):
        s.close()


if __name__ == "__main__":
    main()
