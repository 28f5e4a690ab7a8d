/* tar_build.c - tar header blocks for unit tests. */
#include "tests/unit/tar_build.h"

#include <stdio.h>
#include <string.h>

#define BLOCK 512

static void
octal(unsigned char *f, size_t w, unsigned long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%0*llo", (int)(w - 1), v);
	memcpy(f, buf, w - 1);
	f[w - 1] = 0;
}

void
tar_checksum(unsigned char *h, int signed_sum)
{
	long long s = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		s += signed_sum ? (signed char)h[i] : h[i];
	char buf[16];
	snprintf(buf, sizeof buf, "%06llo", (unsigned long long)s);
	memcpy(h + 148, buf, 6);
	h[154] = 0;
	h[155] = ' ';
}

void
tar_header(unsigned char *h, const char *name, char type, unsigned mode, unsigned long long size,
    const unsigned char *size_field)
{
	memset(h, 0, BLOCK);
	memcpy(h, name, strlen(name));
	octal(h + 100, 8, mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	if (size_field)
		memcpy(h + 124, size_field, 12);
	else
		octal(h + 124, 12, size);
	octal(h + 136, 12, 1700000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	octal(h + 329, 8, 0);
	octal(h + 337, 8, 0);
	tar_checksum(h, 0);
}
