#!/usr/bin/env python3
"""ping_bench.py DIRECT_SOCK PROXY_SOCK [N] [SOCKWARD_PID] - latency that sockward adds.

Alternates batches of keep-alive `GET /_ping` requests against the engine
directly and through sockward on the same machine in the same run, so the
noise of a shared machine hits both alike.  Prints medians and the
difference (the proxy's cost per request) and the ratio."""
import socket
import statistics
import sys
import os
import time

REQ = b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"


def batch(path, n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        s.sendall(REQ)
        buf = b""
        while not (b"\r\n\r\n" in buf and buf.endswith(b"OK")):
            buf += s.recv(4096)
        times.append(time.perf_counter_ns() - t0)
    s.close()
    return times


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(f[11]) + int(f[12])) / tick


def main():
    direct, proxy = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    batch(direct, 200)
    batch(proxy, 200)   # warm up both paths
    d, p = [], []
    for _ in range(10):
        d += batch(direct, n // 10)
        p += batch(proxy, n // 10)
    md, mp = statistics.median(d) / 1e3, statistics.median(p) / 1e3
    print("GET /_ping keep-alive, %d requests each, interleaved batches" % n)
    print("  engine direct : median %8.1f us  p90 %8.1f us" % (md, statistics.quantiles(d, n=10)[8] / 1e3))
    print("  via sockward  : median %8.1f us  p90 %8.1f us" % (mp, statistics.quantiles(p, n=10)[8] / 1e3))
    print("  added by sockward: %.1f us per request (ratio %.2fx)" % (mp - md, mp / md))
    if len(sys.argv) > 4:
        # wall-clock latency on a shared 2-core VM is mostly wake-ups of the
        # extra hop; the proxy's own CPU per request is the part it controls
        pid = int(sys.argv[4])
        c0 = cpu_seconds(pid)
        batch(proxy, n)
        c1 = cpu_seconds(pid)
        print("  sockward CPU (user+sys): %.1f us per proxied request" % ((c1 - c0) * 1e6 / n))


if __name__ == "__main__":
    main()
