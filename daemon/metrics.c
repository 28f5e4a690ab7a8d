/* metrics.c - see metrics.h.  Fixed-size tables, no allocation on the
 * request path except the first time a label value is seen. */
#include "daemon/metrics.h"
#include "daemon/engine_client.h"
#include "daemon/response_stage.h"
#include "daemon/splice_pump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

/* ---- bounded label values --------------------------------------------------
 * Index 0 is always "other"; real values get 1..cap.  Lookup is an open
 * addressing hash over the indexes. */
#define HSIZE 1024   /* power of two, > 2 * METRICS_MAX_LABEL_VALUES */

struct labels {
	size_t cap, n;                              /* n counts "other" too */
	char *name[METRICS_MAX_LABEL_VALUES + 1];
	uint16_t slot[HSIZE];                       /* index + 1; 0 = empty */
};

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
labels_clear(struct labels *t, size_t cap)
{
	size_t i;

	for (i = 1; i < t->n; i++)
		free(t->name[i]);
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->name[0] = "other";
	t->n = 1;
}

/* Index of s in t, adding it if there is room; 0 ("other") otherwise. */
static size_t
labels_index(struct labels *t, const char *s)
{
	uint32_t h;
	char *copy;

	if (strlen(s) > METRICS_MAX_LABEL_LEN || strcmp(s, "other") == 0)
		return 0;
	for (h = fnv1a(s) & (HSIZE - 1); t->slot[h] != 0; h = (h + 1) & (HSIZE - 1))
		if (strcmp(t->name[t->slot[h] - 1], s) == 0)
			return t->slot[h] - 1;
	if (t->n > t->cap || (copy = strdup(s)) == NULL)
		return 0;
	t->name[t->n] = copy;
	t->slot[h] = (uint16_t)(t->n + 1);
	return t->n++;
}

/* ---- state ----------------------------------------------------------------- */

static const char *const verdicts[] = { "other", "allow", "deny", "warn", "audit", "not-judged" };
#define NVERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

/* Upper bounds in seconds; requests through a local socket are usually
 * sub-millisecond, image pulls and builds can take minutes. */
static const char *const bucket_le[] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "300",
};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))
static double bucket_bound[NBUCKETS];

#define MAX_UPSTREAM_KINDS 16

static struct {
	int ready;
	double start_time;
	struct labels endpoints, rules, upstream_kinds;
	uint64_t requests[METRICS_MAX_LABEL_VALUES + 1][NVERDICTS];
	uint64_t denials[METRICS_MAX_LABEL_VALUES + 1];
	uint64_t upstream_errors[MAX_UPSTREAM_KINDS + 1];
	uint64_t conns_active, conns_total, hijacks_active, hijacks_total;
	uint64_t bytes_c2e, bytes_e2c;
	uint64_t buckets[NBUCKETS];   /* not cumulative; summed when rendered */
	uint64_t duration_count;
	double duration_sum;
	uint64_t reloads, reload_failures, audit_failures;
	int last_reload_ok;
	double last_reload_success;
} m;

static double
now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
ensure_ready(void)
{
	size_t i;

	if (m.ready)
		return;
	labels_clear(&m.endpoints, METRICS_MAX_LABEL_VALUES);
	labels_clear(&m.rules, METRICS_MAX_LABEL_VALUES);
	labels_clear(&m.upstream_kinds, MAX_UPSTREAM_KINDS);
	for (i = 0; i < NBUCKETS; i++)
		bucket_bound[i] = strtod(bucket_le[i], NULL);
	m.last_reload_ok = 1;
	m.ready = 1;
}

void
metrics_init(void)
{
	ensure_ready();
	m.start_time = now_seconds();
	m.last_reload_success = m.start_time;   /* the initial load */
}

void
metrics_reset(void)
{
	if (m.ready) {
		labels_clear(&m.endpoints, 0);
		labels_clear(&m.rules, 0);
		labels_clear(&m.upstream_kinds, 0);
	}
	memset(&m, 0, sizeof(m));
	ensure_ready();
}

/* ---- recording ------------------------------------------------------------- */

void
metrics_request(const char *endpoint, const char *verdict, double seconds)
{
	size_t e, v = 0, i;

	ensure_ready();
	e = labels_index(&m.endpoints, endpoint ? endpoint : "unknown");
	for (i = 1; i < NVERDICTS && verdict != NULL; i++)
		if (strcmp(verdicts[i], verdict) == 0)
			v = i;
	m.requests[e][v]++;
	if (!(seconds >= 0))   /* negative: not observed; NaN: never */
		return;
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= bucket_bound[i]) {
			m.buckets[i]++;
			break;
		}
	m.duration_count++;   /* > last bound: only in +Inf, i.e. count */
	m.duration_sum += seconds;
}

void
metrics_denial(const char *const *rules, size_t nrules)
{
	int counted = 0;

	ensure_ready();
	for (size_t i = 0; i < nrules; i++) {
		if (rules[i] == NULL || rules[i][0] == '\0')
			continue;
		/* an overlong name goes to "other" (labels_index) */
		m.denials[labels_index(&m.rules, rules[i])]++;
		counted = 1;
	}
	if (!counted)
		m.denials[labels_index(&m.rules, "none")]++;
}

void metrics_connection_opened(void) { m.conns_active++; m.conns_total++; }
void metrics_connection_closed(void) { if (m.conns_active > 0) m.conns_active--; }
void metrics_hijack_started(void) { m.hijacks_active++; m.hijacks_total++; }
void metrics_hijack_ended(void) { if (m.hijacks_active > 0) m.hijacks_active--; }
void metrics_audit_write_failed(void) { m.audit_failures++; }

void
metrics_bytes(uint64_t client_to_engine, uint64_t engine_to_client)
{
	m.bytes_c2e += client_to_engine;
	m.bytes_e2c += engine_to_client;
}

void
metrics_upstream_error(const char *kind)
{
	ensure_ready();
	m.upstream_errors[labels_index(&m.upstream_kinds, kind ? kind : "unknown")]++;
}

void
metrics_reload(int ok)
{
	ensure_ready();
	m.reloads++;
	if (!ok)
		m.reload_failures++;
	m.last_reload_ok = ok != 0;
	if (ok)
		m.last_reload_success = now_seconds();
}

/* ---- rendering ------------------------------------------------------------- */

/* Label value escaping per the text format: \ " and newline. */
static void
add_escaped(struct evbuffer *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': evbuffer_add(out, "\\\\", 2); break;
		case '"':  evbuffer_add(out, "\\\"", 2); break;
		case '\n': evbuffer_add(out, "\\n", 2); break;
		default:   evbuffer_add(out, s, 1); break;
		}
	}
}

static void
family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP sockward_%s %s\n# TYPE sockward_%s %s\n",
	    name, help, name, type);
}

static void
sample_u64(struct evbuffer *out, const char *name, uint64_t v)
{
	evbuffer_add_printf(out, "sockward_%s %llu\n", name, (unsigned long long)v);
}

void
metrics_render(struct evbuffer *out)
{
	uint64_t cum;
	size_t i, j;

	ensure_ready();

	family(out, "build_info", "gauge", "Build information; the value is always 1.");
	evbuffer_add_printf(out, "sockward_build_info{version=\"");
	add_escaped(out, SOCKWARD_VERSION);
	evbuffer_add_printf(out, "\",libevent=\"");
	add_escaped(out, event_get_version());
	evbuffer_add_printf(out, "\",jansson=\"%s\"} 1\n", JANSSON_VERSION);

	family(out, "start_time_seconds", "gauge", "Start time of the process, seconds since the epoch.");
	evbuffer_add_printf(out, "sockward_start_time_seconds %.3f\n", m.start_time);

	family(out, "requests_total", "counter", "Requests decided, by policy endpoint id and verdict.");
	for (i = 0; i < m.endpoints.n; i++)
		for (j = 0; j < NVERDICTS; j++) {
			if (m.requests[i][j] == 0)
				continue;
			evbuffer_add_printf(out, "sockward_requests_total{endpoint=\"");
			add_escaped(out, m.endpoints.name[i]);
			evbuffer_add_printf(out, "\",verdict=\"%s\"} %llu\n", verdicts[j],
			    (unsigned long long)m.requests[i][j]);
		}

	family(out, "denials_total", "counter", "Denied requests, by rule id (\"none\": not denied by a rule).");
	for (i = 0; i < m.rules.n; i++) {
		if (m.denials[i] == 0)
			continue;
		evbuffer_add_printf(out, "sockward_denials_total{rule=\"");
		add_escaped(out, m.rules.name[i]);
		evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)m.denials[i]);
	}

	family(out, "connections_active", "gauge", "Client connections currently open.");
	sample_u64(out, "connections_active", m.conns_active);
	family(out, "connections_total", "counter", "Client connections accepted.");
	sample_u64(out, "connections_total", m.conns_total);
	family(out, "hijacked_sessions_active", "gauge", "Hijacked (attach, exec, upgraded) sessions currently relayed.");
	sample_u64(out, "hijacked_sessions_active", m.hijacks_active);
	family(out, "hijacked_sessions_total", "counter", "Hijacked sessions started.");
	sample_u64(out, "hijacked_sessions_total", m.hijacks_total);

	family(out, "bytes_total", "counter", "Bytes relayed, by direction.");
	evbuffer_add_printf(out, "sockward_bytes_total{direction=\"client_to_engine\"} %llu\n",
	    (unsigned long long)m.bytes_c2e);
	evbuffer_add_printf(out, "sockward_bytes_total{direction=\"engine_to_client\"} %llu\n",
	    (unsigned long long)m.bytes_e2c);
	family(out, "spliced_bytes_total", "counter",
	    "Bytes of those relayed socket to socket by splice(2), not copied through sockward.");
	sample_u64(out, "spliced_bytes_total", splice_pump_total_bytes());
	/* the two memory budgets, so an operator sees them fill before they refuse */
	_Static_assert(ENGINE_LOOKUP_BUDGET == (64u << 20), "lookup_answer_bytes' help says 64 MiB");
	family(out, "held_answer_bytes", "gauge",
	    "Bytes of engine answers held to filter or rewrite (bounded by limits.max_held_answer_bytes).");
	sample_u64(out, "held_answer_bytes", response_stage_held_total());
	family(out, "lookup_answer_bytes", "gauge",
	    "Bytes of engine answers held for policy lookups of requests being judged (bounded at 64 MiB).");
	sample_u64(out, "lookup_answer_bytes", engine_budget()->bytes);

	family(out, "upstream_errors_total", "counter", "Failures talking to the engine, by kind.");
	for (i = 0; i < m.upstream_kinds.n; i++) {
		if (m.upstream_errors[i] == 0)
			continue;
		evbuffer_add_printf(out, "sockward_upstream_errors_total{kind=\"");
		add_escaped(out, m.upstream_kinds.name[i]);
		evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)m.upstream_errors[i]);
	}

	family(out, "request_duration_seconds", "histogram",
	    "Time from the first byte of a request to the end of its answer.");
	for (i = 0, cum = 0; i < NBUCKETS; i++) {
		cum += m.buckets[i];
		evbuffer_add_printf(out, "sockward_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		    bucket_le[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(out, "sockward_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)m.duration_count);
	evbuffer_add_printf(out, "sockward_request_duration_seconds_sum %.9f\n", m.duration_sum);
	evbuffer_add_printf(out, "sockward_request_duration_seconds_count %llu\n",
	    (unsigned long long)m.duration_count);

	family(out, "config_reloads_total", "counter", "Configuration reloads attempted (SIGHUP).");
	sample_u64(out, "config_reloads_total", m.reloads);
	family(out, "config_reload_failures_total", "counter", "Configuration reloads rejected; the old configuration stayed.");
	sample_u64(out, "config_reload_failures_total", m.reload_failures);
	family(out, "config_last_reload_successful", "gauge", "1 if the last reload was applied, 0 if it was rejected.");
	sample_u64(out, "config_last_reload_successful", (uint64_t)m.last_reload_ok);
	family(out, "config_last_reload_success_timestamp_seconds", "gauge",
	    "When a configuration was last loaded successfully, seconds since the epoch.");
	evbuffer_add_printf(out, "sockward_config_last_reload_success_timestamp_seconds %.3f\n",
	    m.last_reload_success);

	family(out, "audit_write_failures_total", "counter", "Audit lines that could not be written to the audit file.");
	sample_u64(out, "audit_write_failures_total", m.audit_failures);
}
