/* fuzz_message.c - libFuzzer harness for src/message.c.
 *
 * Parse the input as one line (a NUL-terminated copy, so an embedded NUL
 * ends the line as it would for a C string), check what msg_parse claims
 * about its result, serialise it back with msg_build and check the wire
 * invariants: one line, ending in CRLF, no other CR/LF/NUL, never longer
 * than `max`. When nothing had to be cut or replaced, parsing the output
 * again must give the same message (round trip). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz_message: invariant failed: %s (line %d)\n", \
			        #cond, __LINE__);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

static int within(const char *p, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len;
}

static void check_parsed(const struct message *m, const char *buf, size_t len)
{
	CHECK(m->nparams >= 0 && m->nparams <= MSG_MAXPARAMS);
	CHECK(m->command && m->command[0] != '\0' && within(m->command, buf, len));
	CHECK(!strchr(m->command, ' '));
	if (m->prefix) {
		CHECK(within(m->prefix, buf, len));
		CHECK(!strchr(m->prefix, ' '));
	}
	if (m->tags) {
		CHECK(within(m->tags, buf, len));
		CHECK(!strchr(m->tags, ' '));
	}
	for (int i = 0; i < m->nparams; i++) {
		CHECK(m->params[i] && within(m->params[i], buf, len));
		/* every parameter but the last is one non-empty word not
		 * starting with ':' (CR/LF are the caller's business: conn.c
		 * never passes them, msg_build must cope anyway) */
		if (i < m->nparams - 1)
			CHECK(m->params[i][0] && m->params[i][0] != ':' && !strchr(m->params[i], ' '));
	}
}

/* Wire invariants of one serialised line. */
static void check_wire(const char *out, size_t n, size_t max)
{
	CHECK(n >= 2 && n <= max);
	CHECK(out[n - 2] == '\r' && out[n - 1] == '\n');
	for (size_t i = 0; i < n - 2; i++)
		CHECK(out[i] != '\r' && out[i] != '\n' && out[i] != '\0');
}

static int has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static void round_trip(const struct message *m, const char *out, size_t n)
{
	char *again = malloc(n - 1);
	CHECK(again);
	memcpy(again, out, n - 2);
	again[n - 2] = '\0';
	struct message r;
	CHECK(msg_parse(again, &r) == MSG_OK);
	CHECK(r.tags == NULL);
	CHECK((r.prefix == NULL) == (m->prefix == NULL));
	if (m->prefix)
		CHECK(strcmp(r.prefix, m->prefix) == 0);
	CHECK(strcmp(r.command, m->command) == 0);
	CHECK(r.nparams == m->nparams);
	for (int i = 0; i < m->nparams; i++)
		CHECK(strcmp(r.params[i], m->params[i]) == 0);
	free(again);
}

static void build_and_check(const struct message *m, size_t max, int whole)
{
	/* exactly `max` bytes, so ASan sees any write past the promised bound */
	char *out = malloc(max);
	CHECK(out);
	size_t n = msg_build(out, max, m->prefix, m->command, m->nparams,
	                     (const char *const *)m->params);
	check_wire(out, n, max);
	if (whole)
		round_trip(m, out, n);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	size_t len = strlen(line);

	struct message m;
	enum msg_status st = msg_parse(line, &m);
	if (st == MSG_EMPTY) {
		CHECK(line[strspn(line, " ")] == '\0');
	} else if (st == MSG_NOCOMMAND) {
		CHECK(m.command == NULL && m.nparams == 0);
	} else {
		CHECK(st == MSG_OK);
		check_parsed(&m, line, len);

		/* the whole line fits if the input did (parsing only removes) */
		size_t full = len + 3 + 2;
		int clean = !has_crlf(m.prefix) && !has_crlf(m.command) &&
		            m.command[0] != '@' && m.command[0] != ':';
		for (int i = 0; i < m.nparams; i++)
			clean = clean && !has_crlf(m.params[i]);
		build_and_check(&m, full, clean);
		/* the server's real bound, and a small one derived from the input */
		build_and_check(&m, MSG_MAXLINE, 0);
		build_and_check(&m, 3 + size % 64, 0);
	}
	free(line);
	return 0;
}
