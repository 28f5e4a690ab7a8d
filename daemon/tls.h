/* tls.h - server TLS contexts and client-certificate identities. */
#ifndef SOCKWARD_TLS_H
#define SOCKWARD_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "policy/identity.h"

/* A server context: TLS 1.2 minimum (1.3 preferred by OpenSSL's ordering),
 * client certificate REQUIRED and verified against ca_file (what dockerd
 * does with --tlsverify).  NULL on error, with the reason in err. */
SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file, const char *ca_file,
    char *err, size_t errlen);

/* Fill id from the verified peer certificate of ssl (CN and SANs): 0, -1
 * when there is no verified certificate, -2 when a name a binding could
 * match cannot be held whole (a CN or SAN over 255 bytes or holding a NUL,
 * more than SW_ID_MAX_SANS SANs, an IP SAN of a bad length): bindings are
 * first-match, so judging the names that fit could skip a binding meant
 * for the certificate. */
int tls_identity(SSL *ssl, struct sw_identity *id);

/* Same from an X509 directly (unit tests): 0, or -1 as -2 above. */
#include <openssl/x509.h>
int tls_identity_from_cert(X509 *cert, struct sw_identity *id);

#endif
