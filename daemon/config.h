/* config.h - the daemon's configuration, loaded from one JSON file.
 *
 * A loaded config is immutable and reference counted: every connection holds
 * the config it started with, so a reload (parse new, validate, swap) never
 * changes the rules under a request that is already running. */
#ifndef SOCKWARD_CONFIG_H
#define SOCKWARD_CONFIG_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

struct policy;

enum listener_type { LISTEN_TLS, LISTEN_UNIX, LISTEN_TCP };

/* Longest listener name, in bytes: the server keeps it in a fixed field
 * (struct listener) and finds a listener's new TLS files by it on reload. */
#define LISTENER_NAME_MAX 63

struct listener_conf {
	char *name;
	long type;              /* enum listener_type */
	char *address;          /* tls/tcp: "host:port" */
	char *cert, *key, *ca;  /* tls */
	char *path;             /* unix */
	char *group;            /* unix: optional */
	long mode;              /* unix: permission bits */
	int insecure;           /* tcp: must be true, and loopback */
};

enum audit_failure { AUDIT_FAIL_CLOSED, AUDIT_CONTINUE };

struct sw_config {
	int refcnt;
	char *file;
	struct listener_conf *listeners;
	size_t nlisteners;
	char *upstream_socket;
	long max_header_bytes;
	long max_body_bytes;
	long header_timeout_ms;
	long max_buffer_bytes;
	long shutdown_timeout_ms;
	long max_connections;
	long max_handshakes;
	long handshake_timeout_ms;
	long max_held_answer_bytes;   /* all response stages together (response_stage.h) */
	long quota_wait_ms;      /* a request waiting for the quota gate (exchange.c) */
	long log_level;          /* enum log_level */
	char *audit_file;        /* NULL: no file */
	int audit_syslog;
	long audit_on_failure;   /* enum audit_failure */
	char *admin_address;
	char *admin_path;
	struct policy *policy;
};

/* One problem found while loading; all of them are reported, not the first. */
struct config_error {
	char text[512];
};

struct config_errors {
	struct config_error *v;
	size_t n;
};

/* Load and validate FILE.  Returns NULL when anything is wrong, with every
 * problem in errs ("FILE:LINE:COL: key.path: what"). */
struct sw_config *config_load(const char *file, struct config_errors *errs);
/* Same, from text already in memory (tests); name is used in messages. */
struct sw_config *config_load_text(const char *name, const char *text, size_t len,
    struct config_errors *errs);
void config_errors_free(struct config_errors *errs);

struct sw_config *config_ref(struct sw_config *c);
void config_unref(struct sw_config *c);

/* Describe which keys differ in a way a live reload cannot apply
 * (listeners, admin endpoint).  Returns 0 when none; else writes a summary. */
int config_restart_needed(const struct sw_config *old, const struct sw_config *new,
    char *why, size_t whylen);

/* Split "host:port" / "[v6]:port"; 0 on success. */
int config_split_address(const char *addr, char *host, size_t hostlen, int *port);

/* The key table, for --help-config and the man page test. */
void config_print_keys(void);

#endif
