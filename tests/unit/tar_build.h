/* tar_build.h - tar header blocks for unit tests (ustar, as docker cp and
 * Go's archive/tar write them). */
#ifndef SOCKWARD_TEST_TAR_BUILD_H
#define SOCKWARD_TEST_TAR_BUILD_H

#include <stddef.h>

/* A 512-byte ustar header in h: name, typeflag, mode and size (octal), or
 * the 12 bytes of size_field as they are (base-256, malformed) when not
 * NULL; the checksum unsigned, or signed as old tars wrote it. */
void tar_header(unsigned char *h, const char *name, char type, unsigned mode,
    unsigned long long size, const unsigned char *size_field);
/* Recompute h's checksum (after a test changed a field). */
void tar_checksum(unsigned char *h, int signed_sum);

#endif
