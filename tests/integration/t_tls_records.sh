#!/usr/bin/env bash
# sw-pass: tls
# TLS records that reach sockward together (pipelined requests, a head or a
# body split over records, one byte per record) are all read and answered:
# OpenSSL reads ahead, and what it holds must not wait for more bytes on the
# socket (tls_records.py).  And a request with the client's close_notify in
# the same segment, TCP left open: answered, then sockward ends the
# connection (the alert is read although the socket stays silent).
. "$(dirname "$0")/lib.sh"; sw_test_init; tls_only
timeout -s KILL 60 python3 "$(dirname "$0")/tls_records.py" "$SW_TLS_ADDR" "$SW_CERTS/client" ||
	fail "TLS records sent together were not all answered"
