#!/usr/bin/env python3
"""events_stub.py SOCKET - the stand-in engine's GET /events (proxied to it by
the nginx stand-in): answers 200 and then stays silent until the client goes,
as dockerd does on a host where nothing changes.  sockward's lookup cache
(daemon/lookup.c) follows this stream; with the real engine every create
adds a container event, which forgets cached containers only, not the
networks and volumes the bench's create body names."""
import os
import socket
import sys
import threading


def serve(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while conn.recv(4096):
            pass


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
