/* passwd.c - see passwd.h.  What runc's libcontainer/user (vendored by
 * dockerd 20.10) does, restated:
 *   - the files are read line by line (bufio.Scanner: a trailing "\r" is
 *     dropped, a line of 64 KiB or more is an error for the whole file),
 *     empty lines skipped, no comments (a "#" line is an entry named
 *     "#..."); a passwd line is trimmed of Unicode white space
 *     (strings.TrimSpace), a group line is not (runc v1.0.0-rc92, which
 *     every dockerd 20.10 vendors, ParseGroupFilter: "text := s.Text()"),
 *     so "grp:x:1000 " has gid 0 (Atoi fails) and "wheel:x:0:app " does
 *     not list app;
 *   - a line is split at ':' into name:pass:uid:gid:... (passwd) or
 *     name:pass:gid:list (group, list split at ','); missing fields stay
 *     empty or 0, a number strconv.Atoi cannot read is 0, an overflowing one
 *     the clamped int64 (its error is ignored);
 *   - User "user[:group]": the first passwd line whose uid equals a numeric
 *     user (whose name equals it otherwise; uid 0 when empty) gives uid,
 *     gid and the name; no line: a number in [0, 2^31-1] is the uid with
 *     gid 0, a name is an error;
 *   - with a group part, the first group line whose gid (or name) equals it
 *     gives the gid, else a number in range, else an error; without one,
 *     every group line that lists the matched name adds its gid;
 *   - dockerd casts every id to uint32 (uid 2^32 is 0). */
#include "policy/passwd.h"
#include "policy/gofold.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>

int
pw_atoi(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	int neg = 0, over = 0;
	uint64_t u = 0;

	*v = 0;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;   /* syntax error first: 0 */
		unsigned d = (unsigned)(s[i] - '0');
		if (u >= UINT64_MAX / 10 + 1 || u * 10 > UINT64_MAX - d) {
			over = 1;   /* ParseUint stops here: range error */
			break;
		}
		u = u * 10 + d;
	}
	if (over || (!neg && u >= (1ull << 63)) || (neg && u > (1ull << 63))) {
		*v = neg ? INT64_MIN : INT64_MAX;
		return 0;
	}
	*v = neg ? (u == (1ull << 63) ? INT64_MIN : -(int64_t)u) : (int64_t)u;
	return 1;
}

static void
trim(const char **s, size_t *n)
{
	*s = go_trim_space(*s, n);
}

/* field i of a ':'-separated line; 0 when the line has fewer */
static int
field(const char *s, size_t n, unsigned i, const char **f, size_t *fn)
{
	const char *end = s + n;

	for (; i > 0; i--) {
		const char *c = memchr(s, ':', (size_t)(end - s));
		if (c == NULL) {
			*f = "";
			*fn = 0;
			return 0;
		}
		s = c + 1;
	}
	const char *c = memchr(s, ':', (size_t)(end - s));
	*f = s;
	*fn = c ? (size_t)(c - s) : (size_t)(end - s);
	return 1;
}

static int64_t
field_int(const char *s, size_t n, unsigned i)
{
	const char *f;
	size_t fn;
	int64_t v;

	field(s, n, i, &f, &fn);
	pw_atoi(f, fn, &v);   /* runc ignores the error: 0 or the clamped value */
	return v;
}

static int
eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

/* The non-empty trimmed lines of a file, in order (next_line); lines_ok is
 * 0 when a line is too long for runc's scanner, which fails the whole file
 * whatever came before it. */
struct lines {
	const char *p, *end;
};

static int
lines_ok(struct pw_file f)
{
	const char *p = f.text, *end = f.text + f.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n >= PW_MAX_LINE - 1)
			return 0;
		p += n + (nl != NULL);
	}
	return 1;
}

/* trim_space: a passwd line (trimmed), not a group line (as it is) */
static int
next_line(struct lines *it, const char **s, size_t *n, int trim_space)
{
	while (it->p < it->end) {
		const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
		const char *l = it->p;
		size_t len = nl ? (size_t)(nl - l) : (size_t)(it->end - l);
		it->p = l + len + (nl != NULL);
		if (len > 0 && l[len - 1] == '\r')
			len--;
		if (trim_space)
			trim(&l, &len);
		if (len > 0) {
			*s = l;
			*n = len;
			return 1;
		}
	}
	return 0;
}

static int
in_list(const char *list, size_t n, const char *name, size_t nn)
{
	const char *end = list + n;

	if (n == 0)
		return 0;
	for (;;) {
		const char *c = memchr(list, ',', (size_t)(end - list));
		size_t len = c ? (size_t)(c - list) : (size_t)(end - list);
		if (eq(list, len, name, nn))
			return 1;
		if (c == NULL)
			return 0;
		list = c + 1;
	}
}

static void
note_sgid0(struct pw_ids *out, const char *name, size_t n)
{
	if (out->sgid0)
		return;
	out->sgid0 = 1;
	if (n >= sizeof out->sgid0_name)
		n = sizeof out->sgid0_name - 1;
	memcpy(out->sgid0_name, name, n);
	out->sgid0_name[n] = '\0';
}

#define ID_MAX ((int64_t)0x7fffffff)

int
pw_resolve_user(const char *spec, size_t len, struct pw_file passwd, struct pw_file group,
    struct pw_ids *out, char *err, size_t errlen)
{
	const char *ua, *ga, *s, *mname = "";
	size_t uan, gan, n, mlen = 0;
	int64_t uid_arg, gid_arg, uid = 0, gid = 0;
	int matched = 0;

	memset(out, 0, sizeof *out);
	field(spec, len, 0, &ua, &uan);
	field(spec, len, 1, &ga, &gan);
	int uid_ok = pw_atoi(ua, uan, &uid_arg);
	int gid_ok = pw_atoi(ga, gan, &gid_arg);

	if (passwd.text != NULL) {
		struct lines it = { passwd.text, passwd.text + passwd.len };
		if (!lines_ok(passwd)) {
			snprintf(err, errlen, "/etc/passwd has a line of 64 KiB or more (runc cannot "
			    "read it)");
			return -1;
		}
		while (next_line(&it, &s, &n, 1)) {
			const char *name;
			size_t nlen;
			int64_t u = field_int(s, n, 2);
			field(s, n, 0, &name, &nlen);
			int hit = uan == 0 ? u == 0 : uid_ok ? u == uid_arg : eq(name, nlen, ua, uan);
			if (hit) {
				matched = 1;
				mname = name;
				mlen = nlen;
				uid = u;
				gid = field_int(s, n, 3);
				break;
			}
		}
	}
	if (!matched && uan > 0) {
		if (!uid_ok) {
			snprintf(err, errlen, "has no entry in /etc/passwd for user %.*s", (int)uan, ua);
			return -1;
		}
		if (uid_arg < 0 || uid_arg > ID_MAX) {
			snprintf(err, errlen, "has uid %.*s out of range", (int)uan, ua);
			return -1;
		}
		uid = uid_arg;
	}
	if (gan > 0 || mlen > 0) {
		int found = 0;
		if (group.text != NULL) {
			struct lines it = { group.text, group.text + group.len };
			if (!lines_ok(group)) {
				snprintf(err, errlen, "/etc/group has a line of 64 KiB or more (runc "
				    "cannot read it)");
				return -1;
			}
			while (next_line(&it, &s, &n, 0)) {
				const char *name, *list;
				size_t nlen, llen;
				int64_t g = field_int(s, n, 2);
				field(s, n, 0, &name, &nlen);
				field(s, n, 3, &list, &llen);
				if (gan == 0) {
					if (in_list(list, llen, mname, mlen)) {
						out->nsgids++;
						if ((uint32_t)(uint64_t)g == 0)
							note_sgid0(out, name, nlen);
					}
				} else if (gid_ok ? g == gid_arg : eq(name, nlen, ga, gan)) {
					gid = g;
					found = 1;
					break;
				}
			}
		}
		if (gan > 0 && !found) {
			if (!gid_ok) {
				snprintf(err, errlen, "has no entry in /etc/group for group %.*s",
				    (int)gan, ga);
				return -1;
			}
			if (gid_arg < 0 || gid_arg > ID_MAX) {
				snprintf(err, errlen, "has gid %.*s out of range", (int)gan, ga);
				return -1;
			}
			gid = gid_arg;
		}
	}
	out->uid = (uint32_t)(uint64_t)uid;
	out->gid = (uint32_t)(uint64_t)gid;
	return 0;
}

/* runc's fallback for an entry no /etc/group line matched, or that matched
 * (found): the entry as a number.  0, or -1 and err. */
static int
group_add_number(const char *ag, size_t len, int found, struct pw_ids *out, char *err,
    size_t errlen)
{
	int64_t v;
	/* runc falls back to the number when every matching line's gid was
	 * taken already: judged too */
	int num_ok = pw_atoi(ag, len, &v);
	if (!found && !num_ok) {
		snprintf(err, errlen, "has no entry in /etc/group for group %.*s", (int)len, ag);
		return -1;
	}
	if (num_ok && (v < 0 || v > ID_MAX)) {
		if (found)
			return 0;
		snprintf(err, errlen, "has gid %.*s out of range", (int)len, ag);
		return -1;
	}
	if (num_ok && v == 0)
		note_sgid0(out, ag, len);
	if (!found)
		out->nsgids++;
	return 0;
}

int
pw_group_add_many(struct pw_group_req *r, size_t n, struct pw_file group)
{
	/* entry -> the first request that names it: repeated entries are
	 * resolved once, and each /etc/group line is looked up, not compared
	 * with every entry (8,000 entries x a 250 KiB file took 17 s) */
	json_t *want = json_object();
	size_t i;
	int rc = 0;

	if (want == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		memset(&r[i].ids, 0, sizeof r[i].ids);
		r[i].found = 0;
		r[i].err[0] = '\0';
		if (json_object_getn(want, r[i].ag, r[i].len) == NULL &&
		    json_object_setn_new_nocheck(want, r[i].ag, r[i].len, json_integer((json_int_t)i)) != 0)
			rc = -1;
	}
	if (rc != 0)
		goto out;
	if (group.text != NULL && !lines_ok(group)) {
		for (i = 0; i < n; i++) {
			snprintf(r[i].err, sizeof r[i].err, "/etc/group has a line of 64 KiB or more "
			    "(runc cannot read it)");
			r[i].rc = -1;
		}
		goto out;
	}
	if (group.text != NULL) {
		struct lines it = { group.text, group.text + group.len };
		const char *s;
		size_t ln;
		while (next_line(&it, &s, &ln, 0)) {
			const char *name;
			size_t nlen;
			char num[24];
			int64_t g = field_int(s, ln, 2);
			field(s, ln, 0, &name, &nlen);
			snprintf(num, sizeof num, "%lld", (long long)g);
			/* the line counts once for an entry that is its name or its gid */
			const json_t *by[2] = { json_object_getn(want, name, nlen),
			    eq(num, strlen(num), name, nlen) ? NULL : json_object_getn(want, num, strlen(num)) };
			for (int k = 0; k < 2; k++) {
				if (by[k] == NULL)
					continue;
				struct pw_group_req *q = &r[json_integer_value(by[k])];
				q->found = 1;
				q->ids.nsgids++;
				if ((uint32_t)(uint64_t)g == 0)
					note_sgid0(&q->ids, name, nlen);
			}
		}
	}
	for (i = 0; i < n; i++) {
		size_t first = (size_t)json_integer_value(json_object_getn(want, r[i].ag, r[i].len));
		if (first == i)
			r[i].rc = group_add_number(r[i].ag, r[i].len, r[i].found, &r[i].ids, r[i].err,
			    sizeof r[i].err);
		else {
			r[i].ids = r[first].ids;
			r[i].found = r[first].found;
			r[i].rc = r[first].rc;
			memcpy(r[i].err, r[first].err, sizeof r[i].err);
		}
	}
out:
	json_decref(want);
	return rc;
}

int
pw_group_add(const char *ag, size_t len, struct pw_file group, struct pw_ids *out,
    char *err, size_t errlen)
{
	struct pw_group_req r = { .ag = ag, .len = len };

	if (pw_group_add_many(&r, 1, group) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r.rc != 0) {
		snprintf(err, errlen, "%s", r.err);
		return -1;
	}
	/* as one more entry of out (its counts add up) */
	out->nsgids += r.ids.nsgids;
	if (r.ids.sgid0)
		note_sgid0(out, r.ids.sgid0_name, strlen(r.ids.sgid0_name));
	return 0;
}
