/* check_image.c - image references: pinned (explicit tag other than latest,
 * or a digest) and from an allowed registry/repository.  The reference is
 * normalised the way the Docker reference library does it: a first
 * component with '.' or ':' or "localhost" is a registry, otherwise the
 * image lives on docker.io, single names under library/. */
#include "policy/checks.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

struct imgref {
	char name[512];      /* as written, without tag and digest */
	char full[600];      /* docker.io/library/busybox */
	char tag[160];
	char digest[160];
};

/* Only a full ID names one image for sure: "sha256:<64 hex>" or 64 hex
 * (the reference library's own rule).  A shorter hex string is a name to
 * the reference rules (dockerd also tries it as an ID prefix): judged as
 * docker.io/library/<hex>, it is not pinned. */
static int
is_image_id(const char *s)
{
	size_t n = 0;
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* 0, or -1 when a part of ref is longer than r holds */
static int
imgref_parse(const char *ref, struct imgref *r)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	memset(r, 0, sizeof *r);
	/* longer than dockerd takes (a name is at most 255 bytes, a tag 128, a
	 * digest 71): not read cut */
	if (n >= sizeof r->name || (at != NULL && strlen(at + 1) >= sizeof r->digest))
		return -1;
	if (at != NULL)
		textf(r->digest, sizeof r->digest, "%s", at + 1);
	memcpy(r->name, ref, n);
	r->name[n] = '\0';
	slash = strrchr(r->name, '/');
	colon = strrchr(r->name, ':');
	if (colon != NULL && (slash == NULL || colon > slash)) {
		if (strlen(colon + 1) >= sizeof r->tag)
			return -1;
		textf(r->tag, sizeof r->tag, "%s", colon + 1);
		r->name[colon - r->name] = '\0';
	}
	const char *first_slash = strchr(r->name, '/');
	if (first_slash != NULL) {
		size_t dn = (size_t)(first_slash - r->name);
		int domain = memchr(r->name, '.', dn) != NULL || memchr(r->name, ':', dn) != NULL ||
		    (dn == 9 && strncmp(r->name, "localhost", 9) == 0);
		textf(r->full, sizeof r->full, "%s%s", domain ? "" : "docker.io/", r->name);
	} else
		textf(r->full, sizeof r->full, "docker.io/library/%s", r->name);
	return 0;
}

/* The familiar form of a normalised name, as the docker CLI shows it:
 * docker.io/library/busybox -> busybox, docker.io/local/x -> local/x (newer
 * CLIs send the normalised form, e.g. docker commit's repo). */
static const char *
familiar(const char *full)
{
	if (strncmp(full, "docker.io/", 10) != 0)
		return full;
	full += 10;
	if (strncmp(full, "library/", 8) == 0 && strchr(full + 8, '/') == NULL)
		full += 8;
	return full;
}

void
check_image_ref(struct check_ctx *c, const char *ref, const char *what)
{
	struct imgref r;

	if (c->image[0] == '\0')
		textf(c->image, sizeof c->image, "%s", ref);
	if (is_image_id(ref)) {
		/* one local image, immutable (pinned); but its repository names are
		 * not in the request, so the registry rule cannot judge it */
		if (c->prof->images.n > 0 && !c->prof->image_ids)
			fire(c, R_IMAGE_REGISTRY, "%s %s is an image ID, whose registry cannot be "
			    "checked; name it as repo:tag (or allow IDs with image_ids)", what, ref);
		return;
	}
	if (imgref_parse(ref, &r) < 0) {
		image_name_unjudged(c, what, "the name is too long");
		return;
	}
	if (r.digest[0] == '\0' && (r.tag[0] == '\0' || strcmp(r.tag, "latest") == 0))
		fire(c, R_IMAGE_PINNED, "%s %s is not pinned, use repo:tag (not latest) or "
		    "repo@sha256:...", what, ref[0] ? ref : "(none)");
	if (c->prof->images.n > 0 && !strlist_match(&c->prof->images, r.name) &&
	    !strlist_match(&c->prof->images, r.full) &&
	    !strlist_match(&c->prof->images, familiar(r.full)))
		fire(c, R_IMAGE_REGISTRY, "%s %s is not from an allowed registry/repository",
		    what, r.full);
}

/* image_name_with_tag: what each way of joining does (checks.h) */
static const struct {
	int pull;          /* a trailing ':' trimmed ("pull -a" may send "x:"); a
	                      tag with ':' is a digest (digest.Parse) */
	int keep_digest;   /* WithTag(ref, tag): the tag replaces only repo's tag */
} joins[] = {
	[REF_TAG] =        { 0, 0 },
	[REF_PULL] =       { 1, 0 },
	[REF_PULL_EXACT] = { 1, 1 },
};

/* The name dockerd gives the image from repo and tag: TagImage, commit and
 * import (ParseNormalizedNamed(repo), then WithTag(TrimNamed, tag)) and
 * PullImage (a trailing ':' trimmed; a tag that is a digest gives
 * name@digest, another tag WithTag(ref, tag)).  repo may carry a tag of its
 * own ("x:1"), which a tag replaces; with none the name is repo:latest.
 * Appending ":tag" to repo made "x:1:latest" of ?repo=x:1 (judged as the
 * repository "x:1", or as pinned by the digest of ?repo=x@sha256:..&tag=latest
 * although dockerd names x:latest). */
int
image_name_with_tag(const char *repo, const char *tag, enum ref_join how, char *out,
    size_t len)
{
	char name[1100], digest[200] = "", *at, *slash, *colon;
	size_t n;
	int w;

	out[0] = '\0';
	if (repo == NULL || repo[0] == '\0')
		return 0;
	if ((n = strlen(repo)) >= sizeof name)
		return -1;
	memcpy(name, repo, n + 1);
	if (joins[how].pull && n > 0 && name[n - 1] == ':')
		name[n - 1] = '\0';
	at = strchr(name, '@');
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (tag == NULL || tag[0] == '\0') {
		/* the name as given; without a tag or digest it is latest */
		w = snprintf(out, len, "%s%s", name, at != NULL || (colon != NULL &&
		    (slash == NULL || colon > slash)) ? "" : ":latest");
	} else {
		int tag_is_digest = joins[how].pull && strchr(tag, ':') != NULL;
		/* TrimNamed: the repository part only, then the tag (or digest) */
		if (at != NULL) {
			if (joins[how].keep_digest && !tag_is_digest &&
			    strlen(at) >= sizeof digest)
				return -1;
			if (joins[how].keep_digest && !tag_is_digest)
				memcpy(digest, at, strlen(at) + 1);
			*at = '\0';
		}
		colon = strrchr(name, ':');
		if (colon != NULL && (slash == NULL || colon > slash))
			*colon = '\0';
		w = snprintf(out, len, "%s%c%s%s", name, tag_is_digest ? '@' : ':', tag, digest);
	}
	if (w < 0 || (size_t)w >= len) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

void
image_name_unjudged(struct check_ctx *c, const char *what, const char *why)
{
	fire(c, R_IMAGE_PINNED, "%s: %s, so the name of the image cannot be judged", what, why);
	if (c->prof->images.n > 0)
		fire(c, R_IMAGE_REGISTRY, "%s: %s, so the name of the image cannot be judged", what,
		    why);
}
