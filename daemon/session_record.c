/* session_record.c - what each request leaves behind: one log line (time,
 * connection, identity, method, path, status, bytes each way, duration), one
 * audit line per decision, and the metrics. */
#include "daemon/session_int.h"

#include <string.h>
#include <sys/time.h>

#include "daemon/audit.h"
#include "daemon/metrics.h"
#include "daemon/server.h"

static const char *verdict_of(const struct session *s);

void
sess_clear_decision(struct session *s)
{
	if (s->have_dec)
		policy_decision_free(&s->dec);
	s->have_dec = 0;
	/* the lookups' answers and the forwarded body (dec.body) go with it */
	policy_prepared_free(s->pp);
	s->pp = NULL;
}

static const char *
verdict_of(const struct session *s)
{
	if (!s->have_dec)   /* answered by sockward itself before any judgement */
		return s->reply_msg[0] ? "deny" : "allow";
	if (s->dec.verdict == POL_DENY)
		return "deny";
	if (s->dec.nrules > 0) {
		if (s->dec.mode == POL_MODE_WARN)
			return "warn";
		if (s->dec.mode == POL_MODE_AUDIT)
			return "audit";
	}
	return "allow";
}

/* One log line per request (time, conn, identity, method, path, status,
 * bytes each way, duration), one audit line per decision, and metrics. */
void
sess_finish_request(struct session *s, const char *outcome)
{
	if (!s->in_request)
		return;
	struct timeval now, d;
	gettimeofday(&now, NULL);
	timersub(&now, &s->req_start, &d);
	double ms = d.tv_sec * 1e3 + d.tv_usec / 1e3;
	const char *verdict = verdict_of(s);
	const char *rules[POL_MAX_RULES];
	char rules_text[POL_RULES_TEXT_MAX] = "";
	size_t nrules = s->have_dec ? s->dec.nrules : 0;
	for (size_t i = 0; i < nrules; i++)
		rules[i] = pol_rule_name(s->dec.rules[i]);
	if (nrules > 0)
		pol_rules_join(&s->dec, rules_text, sizeof rules_text);
	sess_slog(s, LOG_LVL_INFO, "req=%llu \"%s %s\" status=%d in=%llu out=%llu dur=%.3fms %s %s%s%s",
	    (unsigned long long)s->req_id, s->method, s->target, s->resp.status,
	    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
	    ms, outcome, verdict, nrules ? " rules=" : "", rules_text);
	if (s->have_dec && s->dec.exception)
		sess_slog(s, LOG_LVL_INFO, "req=%llu exception %s used: %s", (unsigned long long)s->req_id,
		    s->dec.exception, s->dec.exception_reason ? s->dec.exception_reason : "");
	const char *endpoint = s->have_dec && s->dec.endpoint ? s->dec.endpoint : "-";
	if (s->srv->audit) {
		struct audit_record rec = {
			.time = s->req_start,
			.request_id = s->req_id,
			.conn_id = s->id,
			.identity = s->ident.display,
			.peer = s->peer,
			.listener = s->lst ? s->lst->name : "-",
			.method = s->method,
			.path = s->target,
			.endpoint = endpoint,
			.image = s->have_dec ? s->dec.image : NULL,
			.verdict = verdict,
			.profile = s->have_dec ? s->dec.profile : NULL,
			.mode = s->have_dec ? pol_mode_name(s->dec.mode) : NULL,
			.rules = rules,
			.nrules = nrules,
			.exception = s->have_dec ? s->dec.exception : NULL,
			.exception_reason = s->have_dec ? s->dec.exception_reason : NULL,
			.message = s->have_dec && s->dec.verdict == POL_DENY ? s->dec.message
			    : s->reply_msg[0] ? s->reply_msg : NULL,
			.status = s->resp.status,
			.bytes_in = s->bytes_in,
			.bytes_out = s->bytes_out,
			.duration_ms = ms,
		};
		if (audit_write(s->srv->audit, &rec) != 0)
			metrics_audit_write_failed();
	}
	metrics_request(endpoint, verdict, ms / 1e3);
	if (strcmp(verdict, "deny") == 0)
		metrics_denial(rules, nrules);
	metrics_bytes(s->bytes_in, s->bytes_out);
	s->in_request = 0;
	s->reply_msg[0] = 0;
	sess_clear_decision(s);
}
