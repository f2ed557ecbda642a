/* message.c - see message.h */
#include "message.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Cut the word starting at p; return the start of the next one. */
static char *cut_word(char *p)
{
	while (*p && *p != ' ')
		p++;
	if (*p) {
		*p++ = '\0';
		p = skip_spaces(p);
	}
	return p;
}

enum msg_status msg_parse(char *line, struct message *m)
{
	char *p = skip_spaces(line);

	m->tags = NULL;
	m->prefix = NULL;
	m->command = NULL;
	m->nparams = 0;
	if (*p == '\0')
		return MSG_EMPTY;
	if (*p == '@') {
		m->tags = p + 1;
		p = cut_word(p);
	}
	if (*p == ':') {
		m->prefix = p + 1;
		p = cut_word(p);
	}
	if (*p == '\0')
		return MSG_NOCOMMAND;
	m->command = p;
	p = cut_word(p);
	while (*p) {
		if (*p == ':' || m->nparams == MSG_MAXPARAMS - 1) {
			/* trailing, or the 15th parameter takes the rest */
			m->params[m->nparams++] = *p == ':' ? p + 1 : p;
			break;
		}
		m->params[m->nparams++] = p;
		p = cut_word(p);
	}
	return MSG_OK;
}

int msg_is_middle(const char *s)
{
	if (*s == '\0' || *s == ':')
		return 0;
	for (; *s; s++)
		if (*s == ' ' || *s == '\r' || *s == '\n')
			return 0;
	return 1;
}

/* Append src to out[*len], stopping at `limit`; CR/LF become spaces so a
 * parameter can never start a new line on the wire. */
static void put(char *out, size_t *len, size_t limit, const char *src)
{
	size_t n = *len;
	for (; *src && n < limit; src++)
		out[n++] = (*src == '\r' || *src == '\n') ? ' ' : *src;
	*len = n;
}

size_t msg_build(char *out, size_t max, const char *prefix, const char *command,
                 int nparams, const char *const *params)
{
	size_t limit = max - 2, len = 0;

	if (prefix) {
		put(out, &len, limit, ":");
		put(out, &len, limit, prefix);
		put(out, &len, limit, " ");
	}
	put(out, &len, limit, command);
	for (int i = 0; i < nparams; i++) {
		put(out, &len, limit, " ");
		if (i == nparams - 1 && !msg_is_middle(params[i]))
			put(out, &len, limit, ":");
		put(out, &len, limit, params[i]);
	}
	out[len++] = '\r';
	out[len++] = '\n';
	return len;
}

/* end of the word at p (a space or NUL), then past the spaces after it */
static const char *next_word(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

void msg_redact(const char *line, char *out, size_t cap)
{
	static const struct { const char *cmd; int keep; } secret[] = {
		{ "PASS", 0 }, { "OPER", 1 }, { "AUTHENTICATE", 0 },
	};
	const char *p = line;
	while (*p == ' ')
		p++;
	if (*p == '@')
		p = next_word(p);
	if (*p == ':')
		p = next_word(p);
	size_t n = strcspn(p, " ");
	int keep = -1;
	for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
		if (strlen(secret[i].cmd) == n && strncasecmp(p, secret[i].cmd, n) == 0)
			keep = secret[i].keep;
	if (keep >= 0) {
		p = next_word(p);
		/* a trailing parameter holds everything after it: no more to keep */
		for (; keep > 0 && *p && *p != ':'; keep--)
			p = next_word(p);
		if (*p) {
			snprintf(out, cap, "%.*s%s***", (int)(p - line), line,
			         p > line && p[-1] == ' ' ? "" : " ");
			return;
		}
	}
	snprintf(out, cap, "%s", line);
}

char *msg_next_item(char **cursor)
{
	char *s = *cursor;
	if (!s)
		return NULL;
	char *comma = strchr(s, ',');
	if (comma) {
		*comma = '\0';
		*cursor = comma + 1;
	} else {
		*cursor = NULL;
	}
	return s;
}
