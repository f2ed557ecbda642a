/* fuzz_ts6.c - libFuzzer harness for the services link decoder
 * (src/ts6_parse.c).
 *
 * Each input is one line (a NUL-terminated copy: an embedded NUL ends it,
 * as it would for the link, which splits on LF). ts6_decode() must either
 * refuse it with a non-empty reason, or return a message whose promises
 * the link handlers rely on hold: a known command, its parameter count
 * within bounds, every parameter pointing into the line, a timestamp where
 * the command has one, UIDs where the command names users, and for ENCAP
 * the subcommand's parameters checked the same way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts6_parse.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz_ts6: invariant failed: %s (line %d)\n", \
			        #cond, __LINE__);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

static int within(const char *p, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	size_t len = strlen(buf);

	struct ts6_msg m;
	char why[128];
	why[0] = '\0';
	if (ts6_decode(buf, &m, why, sizeof why) < 0) {
		CHECK(why[0] != '\0');
		free(buf);
		return 0;
	}
	CHECK(m.cmd >= T6_PASS && m.cmd <= T6_OPERWALL);
	CHECK(m.nargs >= 0 && m.nargs <= MSG_MAXPARAMS);
	for (int i = 0; i < m.nargs; i++)
		CHECK(m.args[i] && within(m.args[i], buf, len));
	if (m.src) {
		CHECK(within(m.src, buf, len));
		CHECK(m.src_kind != T6S_NONE);
		if (m.src_kind == T6S_USER)
			CHECK(ts6_is_uid(m.src));
	} else {
		CHECK(m.src_kind == T6S_NONE);
	}
	switch (m.cmd) {
	case T6_EUID:
		CHECK(m.nargs >= 11 && ts6_is_uid(m.args[7]) && m.ts >= 0);
		break;
	case T6_UID:
		CHECK(m.nargs >= 9 && ts6_is_uid(m.args[7]) && m.ts >= 0);
		break;
	case T6_SJOIN:
		CHECK(m.nargs >= 4 && m.ts >= 0 && (m.args[2][0] == '+' || m.args[2][0] == '-'));
		break;
	case T6_TMODE:
	case T6_BMASK:
	case T6_MLOCK:
	case T6_NICK:
	case T6_TB:
	case T6_ETB:
		CHECK(m.ts >= 0);
		break;
	case T6_KICK:
		CHECK(m.nargs >= 2 && ts6_is_uid(m.args[1]));
		break;
	case T6_KILL:
		CHECK(m.nargs >= 1 && ts6_is_uid(m.args[0]));
		break;
	case T6_PASS:
		CHECK(m.nargs >= 4 && ts6_is_sid(m.args[3]));
		break;
	case T6_ENCAP:
		CHECK(m.encap_target && within(m.encap_target, buf, len));
		switch (m.encap) {
		case T6E_SASL:
			CHECK(m.nargs >= 4 && ts6_is_uid(m.args[1]) && strlen(m.args[2]) == 1);
			break;
		case T6E_SVSLOGIN:
			CHECK(m.nargs >= 5 && ts6_is_uid(m.args[0]));
			break;
		case T6E_RSFNC:
			CHECK(m.nargs >= 4 && ts6_is_uid(m.args[0]) && ts6_parse_ts(m.args[2]) >= 0);
			break;
		case T6E_SU:
		case T6E_CHGHOST:
			CHECK(m.nargs >= 1 && ts6_is_uid(m.args[0]));
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
	free(buf);
	return 0;
}
