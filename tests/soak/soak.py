#!/usr/bin/env python3
"""soak.py - sockward under load and faults for a while (issue 11).

Usage: soak.py SOCKWARD_BIN [SECONDS]     (as root; default 60 s)

Starts SOCKWARD_BIN (an ASan build shows sanitizer reports in its log) on a
unix listener in front of the project's private engine and, for SECONDS:
  - 1000 client connections, each a keep-alive loop of GET /_ping and
    GET /v1.41/containers/json (judged and forwarded);
  - a reload (SIGHUP) every 2 s;
  - the engine stopped and started once, a third of the way in;
  - a slowloris of 500 connections that send a header byte a second.
(SOAK_NO_RESTART=1 leaves the engine alone: a development aid while others
use it, not the soak.)  Then it closes everything and checks: no error outside the restart window
(an error is a failed connect, a reset, a malformed answer, or a status
other than 200 -- a 502 is expected only while the engine is down), every
slowloris connection dropped by the head timeout, sockward's
connections_active back to 0, sockward still running, and no sanitizer
report in its log.  Exit 0 when all hold.
"""
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENGINE_SH = os.path.join(ROOT, "tests", "engine", "engine.sh")
ENGINE_DIR = os.environ.get("SOCKWARD_ENGINE_DIR", "/tmp/swdock")
ENGINE_SOCK = os.path.join(ENGINE_DIR, "docker.sock")
CLIENTS, SLOW = 1000, 500
REQS = [b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n",
        b"GET /v1.41/containers/json HTTP/1.1\r\nHost: d\r\n\r\n"]


def raise_nofile(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, n), hard), hard))


def metrics(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    out = {}
    for line in data.decode("latin-1").split("\n"):
        if line.startswith("sockward_") and " " in line:
            k, v = line.rsplit(" ", 1)
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


class Client:
    """One keep-alive connection: send a request, read one answer, repeat."""

    def __init__(self, sock_path, sel, i):
        self.path, self.sel, self.i = sock_path, sel, i
        self.s = None
        self.buf = b""
        self.n = 0
        self.connect()

    def connect(self):
        # blocking connect: a unix socket refuses (EAGAIN) rather than waits
        # while the listener's backlog is full
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(None)   # truly blocking: a timeout makes it non-blocking
        self.s.connect(self.path)
        self.s.setblocking(False)
        self.buf = b""
        self.send()
        self.sel.register(self.s, selectors.EVENT_READ, self)

    def send(self):
        self.s.send(REQS[(self.i + self.n) % 2])

    def reconnect(self):
        try:
            self.sel.unregister(self.s)
        except (KeyError, ValueError):
            pass
        self.s.close()
        self.connect()

    def on_read(self):
        """Returns the status of a complete answer, 0 when more is needed,
        -1 on EOF or a reset."""
        try:
            d = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return -1
        except BlockingIOError:
            return 0
        if not d:
            return -1
        self.buf += d
        if b"\r\n\r\n" not in self.buf:
            return 0
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdr = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            hdr[k.strip().lower()] = v.strip()
        if b"content-length" in hdr:
            n = int(hdr[b"content-length"])
            if len(rest) < n:
                return 0
            self.buf = rest[n:]
        elif hdr.get(b"transfer-encoding") == b"chunked":
            if not rest.endswith(b"0\r\n\r\n"):
                return 0
            self.buf = b""
        else:
            self.buf = b""
        self.n += 1
        if hdr.get(b"connection", b"").lower() == b"close":
            self.reconnect()
        else:
            try:
                self.send()
            except (BrokenPipeError, ConnectionResetError):
                return -1
        return status


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    raise_nofile(8192)
    tmp = tempfile.mkdtemp(prefix="sw-soak.")
    sock, admin = os.path.join(tmp, "sw.sock"), os.path.join(tmp, "admin.sock")
    conf = os.path.join(tmp, "soak.json")
    with open(conf, "w") as f:
        json.dump({"listeners": [{"name": "soak", "type": "unix", "path": sock, "mode": "0600"}],
                   "upstream": {"socket": ENGINE_SOCK},
                   "limits": {"max_connections": 4000, "header_timeout_ms": 3000},
                   "admin": {"path": admin},
                   "audit": {"file": os.path.join(tmp, "audit.log"), "on_failure": "continue"},
                   "log": {"level": "warn"},
                   "policy": {"default_profile": "restricted"}}, f)
    subprocess.run([ENGINE_SH, "start"], check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(tmp, "sockward.log"), "w")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    sw = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        return run(sw, log, tmp, sock, admin, seconds)
    finally:
        if sw.poll() is None:
            sw.kill()


def run(sw, log, tmp, sock, admin, seconds):
    for _ in range(100):
        if os.path.exists(sock) and os.path.exists(admin):
            break
        time.sleep(0.05)
    sel = selectors.DefaultSelector()
    print("soak: sockward pid %d, %d clients connecting" % (sw.pid, CLIENTS), flush=True)
    clients = [Client(sock, sel, i) for i in range(CLIENTS)]
    print("soak: clients connected", flush=True)
    slow = []
    t0 = time.monotonic()
    next_reload, restart_at, restart_window = t0 + 2, t0 + seconds / 3, None
    errors, answers, statuses = [], 0, {}
    slow_started = False
    while time.monotonic() - t0 < seconds:
        now = time.monotonic()
        if now >= next_reload:
            sw.send_signal(signal.SIGHUP)
            next_reload += 2
        if not slow_started and now - t0 > 1:
            for _ in range(SLOW):
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.setblocking(False)
                slow.append([s, b"GET /_ping HTTP/1.1\r\nHost: ", 0])
            slow_started = True
            slow_tick = now
        if slow_started and now - slow_tick >= 1:
            slow_tick = now
            for e in slow:
                if e[2] < len(e[1]):
                    try:
                        e[0].send(e[1][e[2]:e[2] + 1])
                        e[2] += 1
                    except OSError:
                        e[2] = len(e[1])   # dropped by sockward, as it should
        if restart_window is None and now >= restart_at and os.environ.get("SOAK_NO_RESTART"):
            restart_window = (now, now)   # development aid: leave a shared engine alone
        if restart_window is None and now >= restart_at:
            w0 = time.monotonic()
            subprocess.run([ENGINE_SH, "stop"], stdout=subprocess.DEVNULL)
            time.sleep(1)
            subprocess.run([ENGINE_SH, "start"], check=True, stdout=subprocess.DEVNULL)
            restart_window = (w0, time.monotonic() + 3)
        for key, _ in sel.select(timeout=0.2):
            c = key.data
            st = c.on_read()
            if st == 0:
                continue
            t = time.monotonic()
            in_window = restart_window and restart_window[0] <= t <= restart_window[1]
            if st < 0:
                if not in_window:
                    errors.append("conn %d: closed or reset" % c.i)
                c.reconnect()
                continue
            answers += 1
            statuses[st] = statuses.get(st, 0) + 1
            if st != 200 and not (st == 502 and in_window):
                errors.append("conn %d: status %d" % (c.i, st))
    # slowloris: every connection must have been dropped by the head timeout
    time.sleep(4)
    not_dropped = 0
    for e in slow:
        try:
            e[0].setblocking(False)
            d = e[0].recv(1)
            if d:
                not_dropped += 1   # an answer to an unfinished head: wrong
        except BlockingIOError:
            not_dropped += 1       # still open
        except OSError:
            pass
        e[0].close()
    for c in clients:
        try:
            sel.unregister(c.s)
        except (KeyError, ValueError):
            pass
        c.s.close()
    time.sleep(2)
    m = metrics(admin)
    active = m.get("sockward_connections_active", -1)
    alive = sw.poll() is None
    sw.send_signal(signal.SIGTERM)
    try:
        rc = sw.wait(20)
    except subprocess.TimeoutExpired:
        sw.kill()
        rc = "killed"
    log.close()
    text = open(os.path.join(tmp, "sockward.log"), errors="replace").read()
    sanitizer = [l for l in text.split("\n") if "ERROR: AddressSanitizer" in l or
                 "runtime error:" in l or "ERROR: LeakSanitizer" in l]
    restart = ("skipped (SOAK_NO_RESTART)" if os.environ.get("SOAK_NO_RESTART") else
               "%.1f s" % (restart_window[1] - restart_window[0] - 3) if restart_window else "not reached")
    print("soak: %.0f s, %d clients, %d answers %s, reloads every 2 s, engine restart %s, "
          "slowloris %d" % (seconds, CLIENTS, answers, statuses, restart, SLOW))
    print("soak: errors outside the restart window: %d%s" % (len(errors),
          (" (first: %s)" % errors[:3]) if errors else ""))
    print("soak: slowloris connections not dropped: %d" % not_dropped)
    print("soak: connections_active at the end: %s; sockward running until SIGTERM: %s, exit %s"
          % (active, alive, rc))
    print("soak: sanitizer reports: %d" % len(sanitizer))
    ok = not errors and not not_dropped and active == 0 and alive and rc == 0 and not sanitizer
    print("soak: %s (log %s)" % ("PASS" if ok else "FAIL", os.path.join(tmp, "sockward.log")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
