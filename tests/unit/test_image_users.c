/* test_image_users.c - the passwd/group resolver (policy/passwd.c, as runc's
 * GetExecUser and GetAdditionalGroups read the files) and the daemon's
 * image-users dialogue (daemon/image_users.c) against a fake engine on a
 * unix socket: create, archive reads, delete - the transient container is
 * deleted whatever happens, and a second lookup of the image is answered
 * from the cache without engine requests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/image_users.h"
#include "policy/passwd.h"

/* ---- the resolver ----------------------------------------------------------------- */

static struct pw_file
F(const char *s)
{
	struct pw_file f = { s, s ? strlen(s) : 0 };
	return f;
}

static int
resolve(const char *spec, const char *pw, const char *gr, struct pw_ids *ids)
{
	char err[300];
	return pw_resolve_user(spec, strlen(spec), F(pw), F(gr), ids, err, sizeof err);
}

static const char PW[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment line is an entry named '# a comment':x:7:7\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "app:x:0:0:a second app: the first wins\n"
    "  spaced:x:1002:1002  \n"
    "short:x\n"
    "nogid:x:1003\n"
    "garbage line without colons\n"
    "big:x:4294967296:5\n"
    "big2:x:4294968296:5\n"
    "huge:x:99999999999999999999:5\n"
    "neg:x:-1:5\n";
static const char GR[] =
    "root:x:0:\n"
    "app:x:1000:\n"
    "staff:x:50:app,other\n"
    "wheel:x:0:root\n"
    "1000:x:0:\n";

START_TEST(resolver_names_and_numbers)
{
	struct pw_ids ids;

	ck_assert_int_eq(resolve("app", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 1000);
	ck_assert_uint_eq(ids.gid, 1000);
	ck_assert_int_eq(ids.sgid0, 0);
	ck_assert_uint_eq(ids.nsgids, 1);   /* staff */
	ck_assert_int_eq(resolve("1000", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.gid, 1000);
	ck_assert_int_eq(resolve("4242", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 4242);
	ck_assert_uint_eq(ids.gid, 0);      /* no entry: runc's default gid 0 */
	ck_assert_int_eq(resolve("app:staff", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.gid, 50);
	ck_assert_uint_eq(ids.nsgids, 0);   /* explicit group: no supplementary groups */
	ck_assert_int_eq(resolve("app:wheel", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.gid, 0);
	ck_assert_int_eq(resolve("app:1000:junk", PW, GR, &ids), 0);   /* third part ignored */
	ck_assert_uint_eq(ids.gid, 1000);
	ck_assert_int_eq(resolve("root", PW, GR, &ids), 0);
	ck_assert_int_eq(ids.sgid0, 1);     /* wheel lists root */
	ck_assert_str_eq(ids.sgid0_name, "wheel");
	ck_assert_int_eq(resolve("", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_int_eq(resolve("nobody", PW, GR, &ids), -1);
	ck_assert_int_eq(resolve("app:nogroup", PW, GR, &ids), -1);
	ck_assert_int_eq(resolve("2147483648", PW, GR, &ids), -1);     /* out of runc's range */
	ck_assert_int_eq(resolve("-5", PW, GR, &ids), -1);
	ck_assert_int_eq(resolve("1000:2147483648", PW, GR, &ids), -1);
}
END_TEST

START_TEST(resolver_malformed_lines)
{
	struct pw_ids ids;

	/* leading/trailing white space is trimmed from the line */
	ck_assert_int_eq(resolve("spaced", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 1002);
	/* missing fields are 0 */
	ck_assert_int_eq(resolve("short", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_int_eq(resolve("nogid", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 1003);
	ck_assert_uint_eq(ids.gid, 0);
	/* a comment is an entry like any other */
	ck_assert_int_eq(resolve("# a comment line is an entry named '# a comment'", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 7);
	/* a line without colons is a name with uid 0 */
	ck_assert_int_eq(resolve("garbage line without colons", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 0);
	/* uid > 2^31: dockerd casts to uint32 */
	ck_assert_int_eq(resolve("big", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_int_eq(resolve("big2", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 1000);
	ck_assert_int_eq(resolve("4294967296", PW, GR, &ids), 0);   /* matches big's uid */
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_int_eq(resolve("huge", PW, GR, &ids), 0);         /* clamped to maxInt64 */
	ck_assert_uint_eq(ids.uid, 0xffffffffu);
	ck_assert_int_eq(resolve("neg", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.uid, 0xffffffffu);
	/* a group named "1000" with gid 0: only --group-add 1000 meets it */
	ck_assert_int_eq(resolve("1000:1000", PW, GR, &ids), 0);
	ck_assert_uint_eq(ids.gid, 1000);
}
END_TEST

START_TEST(resolver_huge_lines_and_missing_files)
{
	struct pw_ids ids;
	size_t n = PW_MAX_LINE + 10;
	char *big = malloc(n + 1 + sizeof PW);

	memset(big, 'a', n);
	memcpy(big + n, "\n", 1);
	memcpy(big + n + 1, PW, sizeof PW);
	/* runc's scanner fails on the whole file, wherever the entry is */
	ck_assert_int_eq(resolve("app", big, GR, &ids), -1);
	free(big);
	/* no /etc/passwd: numbers only, gid 0; no /etc/group: no groups */
	ck_assert_int_eq(resolve("app", NULL, GR, &ids), -1);
	ck_assert_int_eq(resolve("1000", NULL, NULL, &ids), 0);
	ck_assert_uint_eq(ids.gid, 0);
	ck_assert_int_eq(resolve("app", PW, NULL, &ids), 0);
	ck_assert_uint_eq(ids.nsgids, 0);
	ck_assert_int_eq(resolve("app:staff", PW, NULL, &ids), -1);
}
END_TEST

START_TEST(resolver_group_add)
{
	struct pw_ids ids;
	char err[300];

	memset(&ids, 0, sizeof ids);
	ck_assert_int_eq(pw_group_add("staff", 5, F(GR), &ids, err, sizeof err), 0);
	ck_assert_int_eq(ids.sgid0, 0);
	ck_assert_int_eq(pw_group_add("wheel", 5, F(GR), &ids, err, sizeof err), 0);
	ck_assert_int_eq(ids.sgid0, 1);
	memset(&ids, 0, sizeof ids);
	ck_assert_int_eq(pw_group_add("1000", 4, F(GR), &ids, err, sizeof err), 0);
	ck_assert_int_eq(ids.sgid0, 1);   /* the group named 1000 has gid 0 */
	memset(&ids, 0, sizeof ids);
	ck_assert_int_eq(pw_group_add("4242", 4, F(GR), &ids, err, sizeof err), 0);
	ck_assert_int_eq(ids.sgid0, 0);
	ck_assert_int_eq(pw_group_add("nosuch", 6, F(GR), &ids, err, sizeof err), -1);
	ck_assert_int_eq(pw_group_add("2147483648", 10, F(GR), &ids, err, sizeof err), -1);
	ck_assert_int_eq(pw_group_add("0", 1, F(NULL), &ids, err, sizeof err), 0);
	ck_assert_int_eq(ids.sgid0, 1);
}
END_TEST

START_TEST(atoi_like_go)
{
	int64_t v;

	ck_assert_int_eq(pw_atoi("+12", 3, &v), 1);
	ck_assert_int_eq(v, 12);
	ck_assert_int_eq(pw_atoi("-", 1, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(pw_atoi("1_000", 5, &v), 0);
	ck_assert_int_eq(pw_atoi("9223372036854775808", 19, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(pw_atoi("-9223372036854775808", 20, &v), 1);
	ck_assert_int_eq(v, INT64_MIN);
	ck_assert_int_eq(pw_atoi("-99999999999999999999", 21, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
}
END_TEST

/* ---- tar ----------------------------------------------------------------------------- */

/* one ustar entry (type, name, data) then the end marker; returns the length */
static size_t
tar1(unsigned char *out, char type, const char *name, const char *data, size_t len)
{
	unsigned char *h = out;
	unsigned sum = 0;
	size_t pad = (len + 511) / 512 * 512;

	memset(out, 0, 512 + pad + 1024);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)len);
	memcpy(h + 136, "00000000000", 12);
	h[156] = (unsigned char)type;
	if (type == '2')
		snprintf((char *)h + 157, 100, "../usr/lib/passwd");
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	if (len > 0)
		memcpy(out + 512, data, len);
	return 512 + pad + 1024;
}

START_TEST(tar_reads_one_regular_file)
{
	static unsigned char buf[512 + (300u << 10) + 1024];
	const unsigned char *d;
	size_t n, len;
	char why[200];

	n = tar1(buf, '0', "passwd", PW, strlen(PW));
	ck_assert_int_eq(users_tar_file(buf, n, &d, &len, why, sizeof why), 0);
	ck_assert_uint_eq(len, strlen(PW));
	ck_assert_int_eq(memcmp(d, PW, len), 0);
	n = tar1(buf, '2', "passwd", NULL, 0);
	ck_assert_int_eq(users_tar_file(buf, n, &d, &len, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "symbolic link"));
	n = tar1(buf, '5', "passwd", NULL, 0);
	ck_assert_int_eq(users_tar_file(buf, n, &d, &len, why, sizeof why), -1);
	char *big = calloc(1, USERS_FILE_MAX + 1);
	memset(big, 'a', USERS_FILE_MAX + 1);
	n = tar1(buf, '0', "passwd", big, USERS_FILE_MAX + 1);
	free(big);
	ck_assert_int_eq(users_tar_file(buf, n, &d, &len, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "larger"));
	n = tar1(buf, '0', "passwd", PW, strlen(PW));
	ck_assert_int_eq(users_tar_file(buf, 600, &d, &len, why, sizeof why), -1);   /* truncated */
	buf[0] ^= 1;   /* bad checksum */
	ck_assert_int_eq(users_tar_file(buf, n, &d, &len, why, sizeof why), -1);
}
END_TEST

/* ---- the dialogue against a fake engine ------------------------------------------ */

static struct event_base *base;
static struct evconnlistener *listener;
static char dir[64], sock[128];
static char log_[16][700];     /* "METHOD path" of each request */
static int nreq;
static int passwd_mode;        /* 0 regular, 1 symlink, 2 answer 500, 3 hang, 4 BIG_PW bytes */
static char created[700];      /* name given to the create */
static char create_body[1024]; /* its body */
static int ndone, got_status;
static json_t *got_json;

static void
conn_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what; (void)arg;
	bufferevent_free(bev);
}

#define BIG_PW (250u << 10)

static void
answer(struct bufferevent *bev, int status, const char *ctype, const void *body, size_t len)
{
	evbuffer_add_printf(bufferevent_get_output(bev), "HTTP/1.1 %d X\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, ctype, len);
	evbuffer_add(bufferevent_get_output(bev), body, len);
	bufferevent_setcb(bev, NULL, conn_written, conn_event, NULL);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	static unsigned char tar[USERS_FILE_MAX + 4096];
	static char big[USERS_FILE_MAX];
	char head[2048] = "", method[16], path[600];
	size_t blen = 0;

	(void)arg;
	if (end.pos < 0)
		return;
	evbuffer_copyout(in, head, (size_t)end.pos < sizeof head - 1 ? (size_t)end.pos : sizeof head - 1);
	char *cl = strcasestr(head, "Content-Length: ");
	if (cl != NULL)
		blen = strtoul(cl + 16, NULL, 10);
	if (evbuffer_get_length(in) < (size_t)end.pos + 4 + blen)
		return;
	ck_assert_int_eq(sscanf(head, "%15s %599s", method, path), 2);
	ck_assert_int_lt(nreq, 16);
	snprintf(log_[nreq++], sizeof log_[0], "%s %s", method, path);
	if (strcmp(method, "POST") == 0 && blen < sizeof create_body) {
		evbuffer_drain(in, (size_t)end.pos + 4);
		evbuffer_remove(in, create_body, blen);
		create_body[blen] = '\0';
	}
	evbuffer_drain(in, evbuffer_get_length(in));
	if (strcmp(method, "POST") == 0 && strncmp(path, "/containers/create?name=", 24) == 0) {
		snprintf(created, sizeof created, "%s", path + 24);
		answer(bev, 201, "application/json", "{\"Id\":\"0123abc\",\"Warnings\":[]}", 30);
	} else if (strcmp(method, "GET") == 0 && strstr(path, "/archive?path=%2Fetc%2Fpasswd")) {
		if (passwd_mode == 3)
			return;   /* hang: the client times out */
		if (passwd_mode == 2) {
			answer(bev, 500, "application/json", "{\"message\":\"boom\"}", 18);
			return;
		}
		if (passwd_mode == 4) {
			/* a passwd near the biggest read: comment lines */
			memset(big, '#', BIG_PW);
			for (size_t i = 99; i < BIG_PW; i += 100)
				big[i] = '\n';
		}
		size_t n = tar1(tar, passwd_mode == 1 ? '2' : '0', "passwd",
		    passwd_mode == 4 ? big : PW,
		    passwd_mode == 1 ? 0 : passwd_mode == 4 ? BIG_PW : strlen(PW));
		answer(bev, 200, "application/x-tar", tar, n);
	} else if (strcmp(method, "GET") == 0 && strstr(path, "/archive?path=%2Fetc%2Fgroup")) {
		const char nf[] = "{\"message\":\"Could not find the file /etc/group in container x\"}";
		answer(bev, 404, "application/json", nf, strlen(nf));
	} else if (strcmp(method, "DELETE") == 0) {
		answer(bev, 204, "text/plain", "", 0);
	} else {
		answer(bev, 400, "application/json", "{\"message\":\"?\"}", 15);
	}
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l; (void)sa; (void)salen; (void)arg;
	struct bufferevent *b = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(b, conn_read, NULL, conn_event, NULL);
	bufferevent_enable(b, EV_READ | EV_WRITE);
}

static void
setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(dir, "/tmp/sw-users-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/engine.sock", dir);
	strcpy(sun.sun_path, sock);
	base = event_base_new();
	listener = evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 8,
	    (struct sockaddr *)&sun, sizeof sun);
	ck_assert_ptr_nonnull(listener);
	nreq = ndone = 0;
	passwd_mode = 0;
	created[0] = '\0';
	got_status = -1;
	got_json = NULL;
	users_cache_clear();
}

static void
teardown(void)
{
	evconnlistener_free(listener);
	event_base_free(base);
	unlink(sock);
	rmdir(dir);
	users_cache_clear();
}

static void
done_cb(struct pol_lookup *lk, void *arg)
{
	(void)arg;
	ndone++;
	got_status = lk->status;
	got_json = lk->json;
	event_base_loopexit(base, NULL);
}

static struct pol_lookup lk;

static void
run_lookup(const char *id)
{
	struct timeval limit = { 15, 0 };

	ndone = 0;
	memset(&lk, 0, sizeof lk);
	lk.kind = POL_LOOKUP_IMAGE_USERS;
	snprintf(lk.name, sizeof lk.name, "%s", id);
	struct users_req *u = users_start(base, sock, &lk, done_cb, NULL);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(ndone, 0);   /* never inside users_start */
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	ck_assert_int_eq(lk.done, 1);
}

/* the container created is the one deleted, with its anonymous volumes */
static void
assert_deleted_last(void)
{
	char want[800];
	ck_assert_int_gt(nreq, 0);
	ck_assert_int_eq(strncmp(created, "sockward-passwd-", 16), 0);
	snprintf(want, sizeof want, "DELETE /containers/%s?v=1&force=1", created);
	ck_assert_str_eq(log_[nreq - 1], want);
}

START_TEST(dialogue_reads_both_files_and_deletes)
{
	struct users_stats st;

	run_lookup("sha256:1111");
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(got_json, "passwd")), PW);
	ck_assert(json_is_null(json_object_get(got_json, "group")));   /* 404: no such file */
	ck_assert_int_eq(nreq, 4);
	ck_assert_int_eq(strncmp(log_[0], "POST /containers/create?name=sockward-passwd-", 45), 0);
	char want[800];
	snprintf(want, sizeof want, "GET /containers/%s/archive?path=%%2Fetc%%2Fpasswd", created);
	ck_assert_str_eq(log_[1], want);
	assert_deleted_last();
	/* never started, no network, no mounts, no tenant's */
	ck_assert_ptr_nonnull(strstr(create_body, "\"Image\":\"sha256:1111\""));
	ck_assert_ptr_nonnull(strstr(create_body, "\"io.sockward.internal\":\"passwd\""));
	ck_assert_ptr_nonnull(strstr(create_body, "\"io.sockward.tenant\":\"\""));
	ck_assert_ptr_nonnull(strstr(create_body, "\"NetworkDisabled\":true"));
	ck_assert_ptr_null(strstr(create_body, "Binds"));
	ck_assert_ptr_null(strstr(create_body, "Mounts"));
	json_decref(lk.json);
	/* the same image again: from the cache, no engine request */
	run_lookup("sha256:1111");
	ck_assert_int_eq(got_status, 200);
	ck_assert_int_eq(nreq, 4);
	json_decref(lk.json);
	users_stats(&st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.created, st.deleted);
}
END_TEST

START_TEST(symlink_fails_and_still_deletes)
{
	passwd_mode = 1;
	run_lookup("sha256:2222");
	ck_assert_int_eq(got_status, 502);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(got_json, "message")),
	    "/etc/passwd is a symbolic link"));
	ck_assert_int_eq(nreq, 3);   /* create, passwd, delete: no group read */
	assert_deleted_last();
	json_decref(lk.json);
	/* failures are not cached */
	passwd_mode = 0;
	run_lookup("sha256:2222");
	ck_assert_int_eq(got_status, 200);
	ck_assert_int_eq(nreq, 7);
	json_decref(lk.json);
}
END_TEST

START_TEST(archive_error_still_deletes)
{
	passwd_mode = 2;
	run_lookup("sha256:3333");
	ck_assert_int_eq(got_status, 502);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(got_json, "message")), "boom"));
	assert_deleted_last();
	json_decref(lk.json);
}
END_TEST

/* No engine socket: the create never reached an engine, so nothing is
 * deleted (a delete of a container that was never made, and a warning
 * telling the operator to remove it, were the old answer); the lookup is
 * undecided. */
START_TEST(no_engine_no_delete)
{
	char saved[sizeof sock];
	struct users_stats before, after;
	memcpy(saved, sock, sizeof sock);
	snprintf(sock, sizeof sock, "%s/no-such-engine.sock", dir);
	users_stats(&before);
	run_lookup("sha256:5555");
	users_stats(&after);
	memcpy(sock, saved, sizeof sock);
	ck_assert_int_eq(got_status, 0);
	ck_assert_uint_eq(after.engine_calls - before.engine_calls, 1);   /* the create only */
	ck_assert_uint_eq(after.deleted, before.deleted);
	json_decref(lk.json);
}
END_TEST

START_TEST(cancel_still_deletes)
{
	struct timeval limit = { 5, 0 }, tick = { 0, 20000 };

	memset(&lk, 0, sizeof lk);
	lk.kind = POL_LOOKUP_IMAGE_USERS;
	snprintf(lk.name, sizeof lk.name, "sha256:4444");
	passwd_mode = 3;   /* the passwd read hangs */
	struct users_req *u = users_start(base, sock, &lk, done_cb, NULL);
	ck_assert_ptr_nonnull(u);
	/* run until the passwd read arrived, then the caller goes away */
	for (int i = 0; i < 100 && nreq < 2; i++) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	ck_assert_int_eq(nreq, 2);
	users_cancel(u);
	for (int i = 0; i < 100 && nreq < 3; i++) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	event_base_loopexit(base, &limit);
	ck_assert_int_eq(ndone, 0);   /* no callback after a cancel */
	assert_deleted_last();
	/* let the delete's answer arrive: the request frees itself */
	for (int i = 0; i < 10; i++) {
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	struct users_stats st;
	users_stats(&st);
	ck_assert_uint_eq(st.created, st.deleted);
	/* Regression (was a bug): the cancelled dialogue read no file and yet
	 * cached {"passwd":null,"group":null} for the image: every later
	 * lookup of it, anyone's, was answered "no /etc/passwd" from the
	 * cache (a user name in it then unresolvable) until evicted */
	passwd_mode = 0;
	run_lookup("sha256:4444");
	ck_assert_int_eq(got_status, 200);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(got_json, "passwd")));
	ck_assert_str_eq(json_string_value(json_object_get(got_json, "passwd")), PW);
	json_decref(lk.json);
	users_stats(&st);
	ck_assert_uint_eq(st.cache_hits, 0);
}
END_TEST

/* The cache was bounded in entries only: 256 images with 256 KiB files
 * each held 128 MiB.  Now it also holds at most USERS_CACHE_BYTES of
 * text, least recently used evicted: 100 images with a 250 KiB passwd fit
 * 65 at most, and what was read last, or used lately, is still there. */
START_TEST(cache_bounded_in_bytes)
{
	struct users_stats st;
	char id[64];
	passwd_mode = 4;
	for (int i = 0; i < 100; i++) {
		nreq = 0;
		snprintf(id, sizeof id, "sha256:%04d", i);
		run_lookup(id);
		ck_assert_int_eq(got_status, 200);
		json_decref(lk.json);
		if (i >= 1) {   /* image 0 is used all along: it is never the least recent */
			nreq = 0;
			run_lookup("sha256:0000");
			ck_assert_int_eq(nreq, 0);
			json_decref(lk.json);
		}
	}
	users_stats(&st);
	ck_assert_uint_le(st.bytes, USERS_CACHE_BYTES);
	ck_assert_uint_le(st.entries, USERS_CACHE_BYTES / BIG_PW);
	ck_assert_uint_ge(st.entries, USERS_CACHE_BYTES / BIG_PW - 1);
	nreq = 0;
	run_lookup("sha256:0099");   /* the last read: cached */
	json_decref(lk.json);
	ck_assert_int_eq(nreq, 0);
	run_lookup("sha256:0001");   /* long evicted: read again */
	json_decref(lk.json);
	ck_assert_int_eq(nreq, 4);
}
END_TEST

Suite *
image_users_suite(void)
{
	Suite *s = suite_create("image_users");
	TCase *tc = tcase_create("resolver");

	tcase_add_test(tc, resolver_names_and_numbers);
	tcase_add_test(tc, resolver_malformed_lines);
	tcase_add_test(tc, resolver_huge_lines_and_missing_files);
	tcase_add_test(tc, resolver_group_add);
	tcase_add_test(tc, atoi_like_go);
	tcase_add_test(tc, tar_reads_one_regular_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("dialogue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, dialogue_reads_both_files_and_deletes);
	tcase_add_test(tc, symlink_fails_and_still_deletes);
	tcase_add_test(tc, archive_error_still_deletes);
	tcase_add_test(tc, cancel_still_deletes);
	tcase_add_test(tc, no_engine_no_delete);
	tcase_add_test(tc, cache_bounded_in_bytes);
	suite_add_tcase(s, tc);
	return s;
}
