/* check_archive.c - archive uploads (PUT /containers/{id}/archive): the
 * entries of the tar stream dockerd extracts, as root, into the container's
 * file system and into whatever is bind-mounted there, judged by allow-list
 * (rule archive.special_files).
 *
 * dockerd 20.10 (daemon/archive.go containerExtractToDir ->
 * chrootarchive.UntarWithRoot -> pkg/archive Unpack/createTarFile) creates
 * every entry type Go's archive/tar returns that it knows: directories,
 * regular files, device nodes (mknod), FIFOs, hard links, symlinks; it
 * lchowns to the header's uid/gid (or, with copyUIDGID=1, to the
 * container's user), sets every SCHILY.xattr PAX record with lsetxattr and
 * chmods to the header's mode, set-uid and set-gid bits included.  The
 * body may be gzip, bzip2 or xz (zstd in later engines) compressed:
 * DecompressStream detects it from the first bytes.
 *
 * Allowed:
 *   - regular files ('0') and directories ('5') without set-uid/set-gid
 *     (the sticky bit is allowed: on a file Linux ignores it, on a directory
 *     it only restricts deletion);
 *   - symlinks ('2'): their mode is never applied; dockerd refuses a target
 *     that leaves the extraction directory, and anything a symlink could
 *     point at the container can point at itself;
 *   - hard links ('1'): dockerd links only to a path inside the extraction
 *     directory, and a hard link cannot cross file systems, so it reaches
 *     only files already in the same bind mount or the container; but
 *     dockerd chowns and chmods the link, i.e. the target's inode, to the
 *     link header's owner and mode: its mode is judged like a file's.
 * Refused: device nodes (a node in a bind mount is the host's device for
 * anyone on the host), FIFOs (a FIFO where a host process expects a file
 * blocks it), set-uid/set-gid (owned by the header's uid, root unless the
 * container's user is taken: an escalation for whoever runs it on the
 * host), extended attributes other than user.* (security.capability grants
 * file capabilities, trusted.* and security.* are not the uploader's to
 * set), GNU sparse files, the pre-POSIX type NUL and every other type,
 * compressed archives, and anything the reader cannot read as Go does.
 * copyUIDGID only changes the owner, never the mode, so it does not change
 * the judgement. */
#include "policy/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tarscan.h"

void
check_archive(struct check_ctx *c)
{
	struct pol_prepared *pp = c->pp;
	const char *who;

	pp->archive_judge = 0;
	if (!c->prof->rule_on[R_ARCHIVE_SPECIAL])
		return;
	/* an exception for the rule (images do not apply: there is none) */
	for (size_t k = 0; k < c->pol->nexceptions; k++) {
		const struct exception *ex = &c->pol->exceptions[k];
		if (ex->rule == R_ARCHIVE_SPECIAL && c->req->identity != NULL &&
		    ex->images.n == 0 && id_match(&ex->match, c->req->identity))
			return;
	}
	pp->archive_judge = 1;
	pp->archive_mode = profile_rule_mode(c->prof, R_ARCHIVE_SPECIAL);
	who = c->req->identity != NULL && c->req->identity->display[0] ?
	    c->req->identity->display : "unknown";
	snprintf(pp->archive_prefix, sizeof pp->archive_prefix,
	    "sockward: denied by policy '%s' for %s: ", c->prof->name, who);
}

/* What is wrong with one entry, or NULL. */
static const char *
entry_problem(const struct tar_entry *e, char *buf, size_t len)
{
	const char *n = e->name;

	switch (e->type) {
	case '0': case '5': case '1': case '2':
		break;
	case '3':
		snprintf(buf, len, "entry %s is a character device node (dockerd would mknod it as "
		    "root, a host device wherever a bind mount takes it)", n);
		return buf;
	case '4':
		snprintf(buf, len, "entry %s is a block device node (dockerd would mknod it as "
		    "root, a host device wherever a bind mount takes it)", n);
		return buf;
	case '6':
		snprintf(buf, len, "entry %s is a FIFO", n);
		return buf;
	case '\0':
		snprintf(buf, len, "entry %s has the pre-POSIX type NUL; send regular files as "
		    "type '0'", n);
		return buf;
	case 'S':
		snprintf(buf, len, "entry %s is a GNU sparse file", n);
		return buf;
	default:
		if (e->type > ' ' && e->type < 0x7f)
			snprintf(buf, len, "entry %s has tar type '%c', not a regular file, "
			    "directory, symlink or hard link", n, e->type);
		else
			snprintf(buf, len, "entry %s has tar type byte %d, not a regular file, "
			    "directory, symlink or hard link", n, (unsigned char)e->type);
		return buf;
	}
	if (e->sparse) {
		snprintf(buf, len, "entry %s is a sparse file (GNU.sparse PAX records)", n);
		return buf;
	}
	/* a symlink's mode is never applied (there is no lchmod) */
	if (e->type != '2' && (e->mode & 06000) != 0) {
		const char *bits = (e->mode & 04000) ? ((e->mode & 02000) ? "set-uid and set-gid" :
		    "set-uid") : "set-gid";
		if (e->type == '1')
			snprintf(buf, len, "hard link %s -> %s would make its target %s (mode %llo)", n,
			    e->linkname, bits, (unsigned long long)(e->mode & 07777));
		else
			snprintf(buf, len, "entry %s is %s (mode %llo)", n, bits,
			    (unsigned long long)(e->mode & 07777));
		return buf;
	}
	if (e->bad_xattr[0] != '\0') {
		snprintf(buf, len, "entry %s carries the extended attribute %s (only user.* "
		    "attributes are allowed; security.capability grants file capabilities)", n,
		    e->bad_xattr);
		return buf;
	}
	return NULL;
}

/* ---- the streaming judge -------------------------------------------------------------- */

struct pol_archive {
	struct tarscan ts;
	enum pol_mode mode;
	char prefix[400];
	int gave_up;        /* warn/audit: the stream cannot be read further, all passes */
	int denied;
};

int
policy_archive_wanted(const struct pol_prepared *pp)
{
	return pp != NULL && pp->route != NULL && pp->route->check == CHECK_ARCHIVE &&
	    pp->archive_judge;
}

struct pol_archive *
policy_archive_begin(const struct pol_prepared *pp)
{
	struct pol_archive *a;

	if (!policy_archive_wanted(pp) || (a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	tarscan_init(&a->ts);
	a->mode = pp->archive_mode;
	snprintf(a->prefix, sizeof a->prefix, "%s", pp->archive_prefix);
	return a;
}

void
policy_archive_free(struct pol_archive *a)
{
	if (a == NULL)
		return;
	tarscan_free(&a->ts);
	free(a);
}

static void
add_rule(struct pol_decision *dec)
{
	for (size_t i = 0; i < dec->nrules; i++)
		if (dec->rules[i] == R_ARCHIVE_SPECIAL)
			return;
	if (dec->nrules < POL_MAX_RULES)
		dec->rules[dec->nrules++] = R_ARCHIVE_SPECIAL;
}

/* A bad entry: the denial (enforce) or the record of it (warn, audit). */
static enum pol_archive_verdict
violation(struct pol_archive *a, struct pol_decision *dec, const char *what)
{
	if (a->mode != POL_MODE_ENFORCE) {
		if (dec->nrules == 0 || a->mode < dec->mode)
			dec->mode = a->mode;
		add_rule(dec);
		return POL_ARCHIVE_OK;
	}
	size_t n = strlen(a->prefix) + strlen(what) + 200;
	char *msg = malloc(n);
	if (msg != NULL)
		snprintf(msg, n, "%s[%s] %s; the upload was cut off before it", a->prefix,
		    rules[R_ARCHIVE_SPECIAL].id, what);
	free(dec->message);
	dec->message = msg;
	dec->verdict = POL_DENY;
	dec->status = 403;
	dec->mode = POL_MODE_ENFORCE;
	dec->body = NULL;
	dec->body_len = 0;
	add_rule(dec);
	a->denied = 1;
	return POL_ARCHIVE_DENY;
}

static enum pol_archive_verdict
unreadable(struct pol_archive *a, struct pol_decision *dec)
{
	char what[400];
	const char *z = tarscan_compressed(&a->ts);

	if (z != NULL)
		snprintf(what, sizeof what, "the archive is %s-compressed: dockerd would decompress it "
		    "and extract entries sockward does not see; send an uncompressed tar (docker cp "
		    "does)", z);
	else
		snprintf(what, sizeof what, "the archive cannot be judged: %s at byte %llu",
		    a->ts.error, (unsigned long long)a->ts.group_start);
	a->gave_up = a->mode != POL_MODE_ENFORCE;
	return violation(a, dec, what);
}

enum pol_archive_verdict
policy_archive_feed(struct pol_archive *a, const void *buf, size_t len, struct pol_decision *dec)
{
	const unsigned char *p = buf;
	char why[900];

	if (a->denied)
		return POL_ARCHIVE_DENY;
	while (len > 0 && !a->gave_up) {
		size_t used = 0;
		enum tar_event ev = tarscan_feed(&a->ts, p, len, &used);
		p += used;
		len -= used;
		if (ev == TAR_ERROR)
			return unreadable(a, dec);
		if (ev == TAR_ENTRY) {
			const char *what = entry_problem(&a->ts.entry, why, sizeof why);
			if (what != NULL && violation(a, dec, what) == POL_ARCHIVE_DENY)
				return POL_ARCHIVE_DENY;
			tarscan_accept(&a->ts);
		}
	}
	return POL_ARCHIVE_OK;
}

uint64_t
policy_archive_safe(const struct pol_archive *a)
{
	if (a->gave_up)
		return UINT64_MAX;
	return tarscan_safe(&a->ts);
}

uint64_t
policy_archive_skippable(const struct pol_archive *a)
{
	if (a->denied)
		return 0;
	if (a->gave_up)
		return UINT64_MAX;
	return tarscan_skippable(&a->ts);
}

void
policy_archive_skip(struct pol_archive *a, uint64_t n)
{
	if (a->denied || a->gave_up)
		return;
	tarscan_skip(&a->ts, n);
}

enum pol_archive_verdict
policy_archive_end(struct pol_archive *a, struct pol_decision *dec)
{
	if (a->denied)
		return POL_ARCHIVE_DENY;
	if (a->gave_up)
		return POL_ARCHIVE_OK;
	/* a stream shorter than a block: its magic was not judged yet */
	if (a->ts.off < TAR_BLOCK && tarscan_compressed(&a->ts) != NULL)
		return unreadable(a, dec);
	a->gave_up = 1;   /* everything fed may go */
	return POL_ARCHIVE_OK;
}
