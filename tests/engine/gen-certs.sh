#!/usr/bin/env bash
# gen-certs.sh DIR - test PKI for sockward's TLS listener (EC P-256, openssl).
#
#   DIR/server/{ca.pem,server-cert.pem,server-key.pem}  listener cert for localhost/127.0.0.1
#   DIR/client/{ca.pem,cert.pem,key.pem}                 DOCKER_CERT_PATH layout, CN=sockward-test-client
#   DIR/rogue/{ca.pem,cert.pem,key.pem}                  client cert issued by an unrelated CA (must be refused);
#                                                        ca.pem is the REAL server CA so a client gets as far as
#                                                        the server's verdict; rogue-ca.pem is the issuing CA
#   DIR/ca/                                              CA keys (kept for re-issuing)
#
# Idempotent: does nothing when every file is already there.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
D=${1%/}
DAYS=${CERT_DAYS:-825}

want=(server/ca.pem server/server-cert.pem server/server-key.pem
      client/ca.pem client/cert.pem client/key.pem
      rogue/ca.pem rogue/cert.pem rogue/key.pem)
all=1
for f in "${want[@]}"; do [ -s "$D/$f" ] || all=0; done
[ "$all" = 1 ] && exit 0

command -v openssl >/dev/null || { echo "gen-certs: openssl missing" >&2; exit 1; }
umask 077
mkdir -p "$D/ca" "$D/server" "$D/client" "$D/rogue"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 0600 "$1"; }

# ca NAME CN -> $D/ca/NAME-key.pem, $D/ca/NAME.pem
ca() {
	key "$D/ca/$1-key.pem"
	openssl req -new -x509 -sha256 -days "$DAYS" -key "$D/ca/$1-key.pem" -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-out "$D/ca/$1.pem"
}

# leaf CA-NAME CN EXTFILE-LINES OUTCERT OUTKEY
leaf() {
	local caname=$1 cn=$2 ext=$3 out=$4 k=$5
	key "$k"
	openssl req -new -sha256 -key "$k" -subj "/CN=$cn" -out "$tmp/req.csr"
	printf '%b\n' "$ext" > "$tmp/ext.cnf"
	openssl x509 -req -sha256 -days "$DAYS" -in "$tmp/req.csr" \
		-CA "$D/ca/$caname.pem" -CAkey "$D/ca/$caname-key.pem" -CAcreateserial \
		-CAserial "$tmp/$caname.srl" -extfile "$tmp/ext.cnf" -out "$out" 2>/dev/null
}

ca test "sockward test CA"
ca rogue "unrelated rogue CA"

leaf test localhost \
	"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
	"$D/server/server-cert.pem" "$D/server/server-key.pem"
cp "$D/ca/test.pem" "$D/server/ca.pem"

leaf test sockward-test-client \
	"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:client.test" \
	"$D/client/cert.pem" "$D/client/key.pem"
cp "$D/ca/test.pem" "$D/client/ca.pem"

leaf rogue sockward-test-client \
	"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:client.test" \
	"$D/rogue/cert.pem" "$D/rogue/key.pem"
# The rogue client still trusts the real server's CA, so the handshake gets as
# far as the server's verdict on the client certificate.
cp "$D/ca/test.pem" "$D/rogue/ca.pem"
cp "$D/ca/rogue.pem" "$D/rogue/rogue-ca.pem"

chmod 0644 "$D"/*/*ca.pem "$D"/*/*cert.pem "$D/ca/test.pem" "$D/ca/rogue.pem"
chmod 0755 "$D" "$D/server" "$D/client" "$D/rogue"
chmod 0700 "$D/ca"
echo "gen-certs: wrote $D/{server,client,rogue}"
