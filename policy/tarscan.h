/* tarscan.h - a streaming reader of tar headers that reads them as Go's
 * archive/tar (Go 1.13-1.16, dockerd 20.10) does, for judging what dockerd
 * will extract from an archive upload (PUT /containers/{id}/archive).
 *
 * Pure: bytes in, entries out, no I/O, bounded memory (one header block and
 * at most TAR_META_MAX bytes of PAX records and GNU long names).  Bodies are
 * never held: data bytes are only counted.
 *
 * What it mirrors of Go's Reader.Next:
 *   - 512-byte blocks; two zero blocks end the archive (a zero block and
 *     then a non-zero one is an error); the header checksum, unsigned or
 *     signed, must match; numeric fields are octal or base-256 and the ones
 *     Go parses must parse;
 *   - 'x' (PAX) headers hold records for the next real header (a later 'x'
 *     replaces them), 'L'/'K' (GNU long name/link) likewise, 'g' (PAX
 *     global) is an entry of its own that dockerd ignores and that drops
 *     what was pending;
 *   - the data length that follows a header: 0 for links, symlinks,
 *     devices, directories and FIFOs whatever the size field says (a
 *     negative one included), else the PAX "size" record when there is
 *     one, else the size field, padded to the block; type NUL is a
 *     directory when the whole name (PAX path, GNU long name, or the
 *     prefix Go reads) ends in '/'.
 * Anything it cannot read the way Go would is an error (the caller refuses
 * it): a bad checksum, a bad number, PAX records Go would reject, PAX
 * records or long names over TAR_META_MAX, the headers of one entry over
 * TAR_GROUP_MAX (a PAX header replaced by another, and another...). */
#ifndef SOCKWARD_TARSCAN_H
#define SOCKWARD_TARSCAN_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_META_MAX (64u << 10)
/* the headers of one entry (PAX, long name, long link, the header) */
#define TAR_GROUP_MAX (256u << 10)

enum tar_event {
	TAR_MORE,     /* everything given was consumed */
	TAR_ENTRY,    /* a real entry's header is complete: judge tarscan.entry,
	                 then tarscan_accept() (or stop) */
	TAR_END,      /* the end-of-archive marker: what follows is never read */
	TAR_ERROR,    /* not readable as Go reads it: tarscan.error says why */
};

struct tar_entry {
	char type;                /* typeflag as in the header ('0', '5', ...) */
	int64_t mode;             /* mode field, as Go parses it */
	int64_t size;             /* data bytes that follow the header */
	char name[300];           /* for messages: PAX path, GNU long name or
	                             prefix/name (truncated for messages; the
                             type and size follow the whole name) */
	char linkname[256];
	char xattr[128];          /* first SCHILY.xattr.<key> record's key, "" */
	char bad_xattr[128];      /* first xattr key outside user.*, "" */
	int sparse;               /* GNU.sparse.* PAX records */
};

struct tarscan {
	uint64_t off;             /* bytes consumed */
	uint64_t group_start;     /* where the headers of the entry being read began */
	int state;
	int zero_seen;            /* one zero block read */
	unsigned char blk[TAR_BLOCK];
	size_t blen;
	uint64_t skip;            /* data and padding left to pass over */
	/* a PAX or GNU long-name header's data being collected */
	char meta_type;
	unsigned char *meta;
	size_t meta_len, meta_want;
	uint64_t meta_pad;
	/* pending for the next real header */
	unsigned char *pax;       /* the last 'x' header's records, or NULL */
	size_t pax_len;
	char long_name[256], long_link[256];
	int has_long_name, has_long_link;
	char long_name_last;      /* the whole long name's last byte (long_name
	                             is cut): whether it names a directory */
	unsigned char first[8];   /* the stream's first bytes (compression magic) */
	size_t nfirst;
	struct tar_entry entry;
	char error[200];
};

void tarscan_init(struct tarscan *t);
void tarscan_free(struct tarscan *t);
/* Consume up to len bytes; stops right after an event other than TAR_MORE
 * (*used says how many bytes were consumed).  After TAR_ENTRY call
 * tarscan_accept() before feeding more; after TAR_END everything is
 * consumed as ignored; after TAR_ERROR nothing more is consumed. */
enum tar_event tarscan_feed(struct tarscan *t, const unsigned char *buf, size_t len,
    size_t *used);
/* The entry just reported is accepted: its data follows. */
void tarscan_accept(struct tarscan *t);
/* Bytes from the start of the stream that belong to no header still being
 * read: everything from here on is (part of) an entry not judged yet. */
uint64_t tarscan_safe(const struct tarscan *t);
/* Bytes that may come next without being looked at: the rest of an
 * accepted entry's data and padding (no header is pending), everything
 * after the end-of-archive marker (UINT64_MAX); else 0.  Go's reader does
 * nothing with them but count them either, so the caller may move them
 * without copying (splice) and tell tarscan_skip() how many went. */
uint64_t tarscan_skippable(const struct tarscan *t);
/* n (at most tarscan_skippable()) bytes went by unseen: the same as
 * feeding them. */
void tarscan_skip(struct tarscan *t, uint64_t n);
/* The compression dockerd would detect at the start of the stream
 * (pkg/archive DetectCompression: bzip2, gzip, xz, zstd), or NULL.  Known
 * once 6 bytes have arrived, or at the end of a shorter stream. */
const char *tarscan_compressed(const struct tarscan *t);

#endif
