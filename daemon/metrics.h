/* metrics.h - process-wide counters, rendered for Prometheus.
 *
 * The daemon is one thread, so the counters are plain integers.  Every
 * label set is bounded: at most METRICS_MAX_LABEL_VALUES distinct values per
 * label (endpoint ids, rule ids, upstream error kinds); later values are
 * counted under "other", so a client sending odd requests cannot grow the
 * exposition without bound.  Label values longer than
 * METRICS_MAX_LABEL_LEN bytes also count as "other".
 *
 * Exposed metrics (all prefixed sockward_):
 *   build_info{version,libevent,jansson}            gauge 1
 *   start_time_seconds                              gauge
 *   requests_total{endpoint,verdict}                counter
 *   denials_total{rule}                             counter
 *   connections_active / connections_total          gauge / counter
 *   hijacked_sessions_active / hijacked_sessions_total
 *   bytes_total{direction="client_to_engine"|"engine_to_client"}  counter
 *   upstream_errors_total{kind}                     counter
 *   request_duration_seconds                        histogram
 *   config_reloads_total, config_reload_failures_total             counters
 *   config_last_reload_successful                   gauge 0/1
 *   config_last_reload_success_timestamp_seconds    gauge
 *   audit_write_failures_total                      counter
 */
#ifndef SOCKWARD_METRICS_H
#define SOCKWARD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define METRICS_MAX_LABEL_VALUES 512
#define METRICS_MAX_LABEL_LEN    128

/* Record the start time (call once at startup, before serving). */
void metrics_init(void);

/* One decided request.  endpoint: policy endpoint id (NULL: "unknown");
 * verdict: "allow", "deny", "warn", "audit" (others count as "other");
 * seconds: duration from first request byte to the end of the answer, or a
 * negative value to not observe it (hijacked/streamed answers). */
void metrics_request(const char *endpoint, const char *verdict, double seconds);

/* A denial: rules names the nrules rule ids that fired (pol_decision.rules,
 * named with pol_rule_name); each entry counts once.  None (nrules 0, or
 * only NULL/"" names) counts as rule="none" (denials that are not a rule's:
 * body too big, audit failed, ...). */
void metrics_denial(const char *const *rules, size_t nrules);

void metrics_connection_opened(void);
void metrics_connection_closed(void);
void metrics_hijack_started(void);
void metrics_hijack_ended(void);

/* Bytes relayed, added as they flow. */
void metrics_bytes(uint64_t client_to_engine, uint64_t engine_to_client);

/* The engine could not be used: kind is a short fixed word such as
 * "connect", "timeout", "reset", "protocol", "lookup". */
void metrics_upstream_error(const char *kind);

/* A SIGHUP reload finished; ok: 1 applied, 0 rejected (old config kept). */
void metrics_reload(int ok);

/* audit_write() returned -1. */
void metrics_audit_write_failed(void);

/* Append the text exposition format (version 0.0.4) to out. */
void metrics_render(struct evbuffer *out);

/* Forget everything (tests). */
void metrics_reset(void);

#endif
