/* warnings.c - rewrite a held create response with extra Warnings. */
#include "daemon/warnings.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
skip_header(const char *line, size_t len)
{
	static const char *const drop[] = { "content-length:", "transfer-encoding:" };
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
		size_t dl = strlen(drop[i]);
		if (len >= dl && strncasecmp(line, drop[i], dl) == 0)
			return 1;
	}
	return 0;
}

int
warnings_rewrite(struct evbuffer *raw, struct evbuffer *body, char *const *warnings,
    size_t n, struct evbuffer *out)
{
	struct evbuffer_ptr end = evbuffer_search(raw, "\r\n\r\n", 4, NULL);
	if (end.pos < 0)
		return -1;
	size_t blen = evbuffer_get_length(body);
	const char *btext = (const char *)evbuffer_pullup(body, -1);
	json_error_t jerr;
	json_t *doc = btext ? json_loadb(btext, blen, 0, &jerr) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -1;
	}
	json_t *w = json_object_get(doc, "Warnings");
	if (!json_is_array(w)) {
		w = json_array();
		json_object_set_new(doc, "Warnings", w);
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(w, json_string(warnings[i]));
	char *nb = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (nb == NULL)
		return -1;

	/* copy the status line and headers, minus the framing we replace */
	size_t headlen = (size_t)end.pos + 2;   /* up to the CRLF of the last header */
	const char *head = (const char *)evbuffer_pullup(raw, (ev_ssize_t)headlen);
	/* the first CRLFCRLF ends the head only if every line before it ends in
	 * CRLF: llhttp lets a bare LF through after a response's status line */
	for (size_t k = 0; k < headlen; k++)
		if (head[k] == '\n' && (k == 0 || head[k - 1] != '\r')) {
			free(nb);
			return -1;
		}
	size_t i = 0;
	int skipping = 0;
	while (i < headlen) {
		const char *eol = memchr(head + i, '\n', headlen - i);
		size_t ll = eol ? (size_t)(eol - (head + i)) + 1 : headlen - i;
		/* an obs-fold continuation line (llhttp lets them through in
		 * responses) belongs to the header above it: dropped with it */
		if (i == 0 || (head[i] != ' ' && head[i] != '\t'))
			skipping = skip_header(head + i, ll);
		if (!skipping)
			evbuffer_add(out, head + i, ll);
		i += ll;
	}
	size_t nl = strlen(nb);
	evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", nl + 1);
	evbuffer_add(out, nb, nl);
	evbuffer_add(out, "\n", 1);
	free(nb);
	return 0;
}
