#!/usr/bin/env python3
"""fake_engine.py SOCKET MODE - a misbehaving engine for faults the real one
cannot produce on demand.  Modes:
  drop      answer the head of a chunked response, one chunk, then close
  slow      answer /_ping one byte every 20 ms
  garbage   answer with bytes that are not HTTP
  silent    accept and close without a word
  interim   answer 103 Early Hints, then the real 200
It serves connections until killed."""
import os
import socket
import sys
import threading
import time


def read_head(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return None
        buf += d
    return buf


def serve(c, mode):
    try:
        if read_head(c) is None:
            return
        if mode == "drop":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            time.sleep(0.2)
        elif mode == "slow":
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOK":
                c.sendall(bytes([b]))
                time.sleep(0.02)
            read_head(c)
        elif mode == "garbage":
            c.sendall(b"\x00\x01garbage that is not http\r\n\r\n")
            time.sleep(0.2)
        elif mode == "silent":
            pass
        elif mode == "interim":
            c.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            time.sleep(0.05)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOK")
            read_head(c)
    except OSError:
        pass
    finally:
        c.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


if __name__ == "__main__":
    main()
