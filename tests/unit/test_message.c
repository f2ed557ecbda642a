/* test_message.c - msg_parse / msg_build / msg_is_middle */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "message.h"

/* msg_parse works in place: give it a writable copy */
static enum msg_status parse(const char *text, char *buf, size_t cap, struct message *m)
{
	cr_assert_lt(strlen(text), cap);
	strcpy(buf, text);
	return msg_parse(buf, m);
}

#define PARSE(text)                                                  \
	char buf[1024];                                                  \
	struct message m;                                                \
	enum msg_status st = parse((text), buf, sizeof buf, &m)

/* ---- msg_parse */

Test(parse, command_only)
{
	PARSE("QUIT");
	cr_assert_eq(st, MSG_OK);
	cr_assert_null(m.tags);
	cr_assert_null(m.prefix);
	cr_assert_str_eq(m.command, "QUIT");
	cr_assert_eq(m.nparams, 0);
}

Test(parse, prefix_command_params)
{
	PARSE(":nick!user@host PRIVMSG #chan :hello world");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.prefix, "nick!user@host");
	cr_assert_str_eq(m.command, "PRIVMSG");
	cr_assert_eq(m.nparams, 2);
	cr_assert_str_eq(m.params[0], "#chan");
	cr_assert_str_eq(m.params[1], "hello world");
}

Test(parse, middle_params_without_trailing)
{
	PARSE("USER guest 0 * realname");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.command, "USER");
	cr_assert_eq(m.nparams, 4);
	cr_assert_str_eq(m.params[0], "guest");
	cr_assert_str_eq(m.params[1], "0");
	cr_assert_str_eq(m.params[2], "*");
	cr_assert_str_eq(m.params[3], "realname");
}

Test(parse, trailing_keeps_spaces_and_colons)
{
	PARSE("PRIVMSG bob :  two  spaces :and: colons ");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 2);
	cr_assert_str_eq(m.params[1], "  two  spaces :and: colons ");
}

Test(parse, empty_trailing_is_a_parameter)
{
	PARSE("TOPIC #chan :");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 2);
	cr_assert_str_eq(m.params[0], "#chan");
	cr_assert_str_eq(m.params[1], "");
}

Test(parse, only_trailing)
{
	PARSE("JOIN :");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.command, "JOIN");
	cr_assert_eq(m.nparams, 1);
	cr_assert_str_eq(m.params[0], "");
}

Test(parse, colon_inside_middle_is_not_trailing)
{
	PARSE("MODE #c +k a:b");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 3);
	cr_assert_str_eq(m.params[2], "a:b");
}

Test(parse, tags)
{
	PARSE("@time=2024-01-01T00:00:00Z;msgid=abc :srv NOTICE * :hi");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.tags, "time=2024-01-01T00:00:00Z;msgid=abc");
	cr_assert_str_eq(m.prefix, "srv");
	cr_assert_str_eq(m.command, "NOTICE");
	cr_assert_eq(m.nparams, 2);
	cr_assert_str_eq(m.params[0], "*");
	cr_assert_str_eq(m.params[1], "hi");
}

Test(parse, tags_without_prefix)
{
	PARSE("@label=1 PING x");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.tags, "label=1");
	cr_assert_null(m.prefix);
	cr_assert_str_eq(m.command, "PING");
	cr_assert_eq(m.nparams, 1);
	cr_assert_str_eq(m.params[0], "x");
}

Test(parse, leading_and_multiple_spaces)
{
	PARSE("   :pfx   PRIVMSG    #a    b   :c  d");
	cr_assert_eq(st, MSG_OK);
	cr_assert_str_eq(m.prefix, "pfx");
	cr_assert_str_eq(m.command, "PRIVMSG");
	cr_assert_eq(m.nparams, 3);
	cr_assert_str_eq(m.params[0], "#a");
	cr_assert_str_eq(m.params[1], "b");
	cr_assert_str_eq(m.params[2], "c  d");
}

Test(parse, trailing_spaces_add_no_parameter)
{
	PARSE("NICK bob   ");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 1);
	cr_assert_str_eq(m.params[0], "bob");
}

Test(parse, fifteen_params_exactly)
{
	PARSE("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 15);
	cr_assert_str_eq(m.params[0], "1");
	cr_assert_str_eq(m.params[13], "14");
	cr_assert_str_eq(m.params[14], "15");
}

Test(parse, fifteenth_takes_the_rest)
{
	PARSE("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 :eighteen x");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, MSG_MAXPARAMS);
	cr_assert_str_eq(m.params[13], "14");
	cr_assert_str_eq(m.params[14], "15 16 17 :eighteen x");
}

Test(parse, fifteenth_as_trailing_drops_colon)
{
	PARSE("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :last one");
	cr_assert_eq(st, MSG_OK);
	cr_assert_eq(m.nparams, 15);
	cr_assert_str_eq(m.params[14], "last one");
}

Test(parse, never_more_than_fifteen_with_many_words)
{
	char line[2048];
	size_t n = (size_t)snprintf(line, sizeof line, "CMD");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, " p%d", i);
	struct message m;
	cr_assert_eq(msg_parse(line, &m), MSG_OK);
	cr_assert_eq(m.nparams, MSG_MAXPARAMS);
	cr_assert_str_eq(m.params[13], "p13");
	cr_assert(strncmp(m.params[14], "p14 p15 ", 8) == 0);
}

Test(parse, blank_lines_are_empty)
{
	{
		PARSE("");
		cr_assert_eq(st, MSG_EMPTY);
		cr_assert_null(m.command);
	}
	{
		PARSE("     ");
		cr_assert_eq(st, MSG_EMPTY);
		cr_assert_null(m.command);
		cr_assert_eq(m.nparams, 0);
	}
}

Test(parse, prefix_only_has_no_command)
{
	{
		PARSE(":nick!u@h");
		cr_assert_eq(st, MSG_NOCOMMAND);
		cr_assert_null(m.command);
	}
	{
		PARSE(":nick!u@h    ");
		cr_assert_eq(st, MSG_NOCOMMAND);
	}
	{
		PARSE("@a=b");
		cr_assert_eq(st, MSG_NOCOMMAND);
	}
	{
		PARSE("@a=b :pfx");
		cr_assert_eq(st, MSG_NOCOMMAND);
	}
}

Test(parse, resets_previous_result)
{
	struct message m;
	char a[] = "@t :p CMD x y";
	char b[] = "PING";
	cr_assert_eq(msg_parse(a, &m), MSG_OK);
	cr_assert_eq(msg_parse(b, &m), MSG_OK);
	cr_assert_null(m.tags);
	cr_assert_null(m.prefix);
	cr_assert_eq(m.nparams, 0);
}

/* ---- msg_is_middle */

Test(middle, rules)
{
	cr_assert(msg_is_middle("abc"));
	cr_assert(msg_is_middle("a:b"));
	cr_assert_not(msg_is_middle(""));
	cr_assert_not(msg_is_middle(":abc"));
	cr_assert_not(msg_is_middle("a b"));
	cr_assert_not(msg_is_middle("a\rb"));
	cr_assert_not(msg_is_middle("a\nb"));
}

/* ---- msg_build */

static size_t build(char *out, size_t max, const char *prefix, const char *cmd, int n,
                    const char *const *p)
{
	size_t len = msg_build(out, max, prefix, cmd, n, p);
	cr_assert_leq(len, max);
	out[len] = '\0';  /* callers size out one bigger than max here */
	return len;
}

Test(build, with_prefix_and_trailing)
{
	char out[600];
	const char *p[] = { "#chan", "hello world" };
	size_t n = build(out, 512, "nick!u@h", "PRIVMSG", 2, p);
	cr_assert_str_eq(out, ":nick!u@h PRIVMSG #chan :hello world\r\n");
	cr_assert_eq(n, strlen(out));
}

Test(build, prefix_null)
{
	char out[600];
	const char *p[] = { "token" };
	build(out, 512, NULL, "PING", 1, p);
	cr_assert_str_eq(out, "PING token\r\n");
}

Test(build, no_params)
{
	char out[600];
	build(out, 512, "srv", "QUIT", 0, NULL);
	cr_assert_str_eq(out, ":srv QUIT\r\n");
}

Test(build, last_param_middle_has_no_colon)
{
	char out[600];
	const char *p[] = { "bob", "#chan" };
	build(out, 512, "srv", "INVITE", 2, p);
	cr_assert_str_eq(out, ":srv INVITE bob #chan\r\n");
}

Test(build, empty_last_param_gets_colon)
{
	char out[600];
	const char *p[] = { "#chan", "" };
	build(out, 512, NULL, "TOPIC", 2, p);
	cr_assert_str_eq(out, "TOPIC #chan :\r\n");
}

Test(build, last_param_starting_with_colon_gets_colon)
{
	char out[600];
	const char *p[] = { "bob", ":)" };
	build(out, 512, NULL, "PRIVMSG", 2, p);
	cr_assert_str_eq(out, "PRIVMSG bob ::)\r\n");
}

Test(build, colon_only_on_last_param)
{
	char out[600];
	const char *p[] = { "a", "b", "c d" };
	build(out, 512, NULL, "X", 3, p);
	cr_assert_str_eq(out, "X a b :c d\r\n");
}

Test(build, cr_lf_never_in_output)
{
	char out[600];
	const char *p[] = { "mid\rdle", "line1\r\nQUIT :injected\n" };
	size_t n = build(out, 512, "pre\nfix", "PRI\rVMSG", 2, p);
	/* exactly one CR and one LF: the terminator */
	cr_assert_eq(memchr(out, '\r', n), out + n - 2);
	cr_assert_eq(memchr(out, '\n', n), out + n - 1);
	cr_assert_str_eq(out, ":pre fix PRI VMSG mid dle :line1  QUIT :injected \r\n");
}

Test(build, round_trip_through_parse)
{
	char out[600];
	const char *p[] = { "#c", ":starts with colon" };
	size_t n = build(out, 512, "n!u@h", "PRIVMSG", 2, p);
	out[n - 2] = '\0';
	struct message m;
	cr_assert_eq(msg_parse(out, &m), MSG_OK);
	cr_assert_str_eq(m.prefix, "n!u@h");
	cr_assert_eq(m.nparams, 2);
	cr_assert_str_eq(m.params[1], ":starts with colon");
}

Test(build, truncates_to_max_including_crlf)
{
	char text[1000], out[1024];
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	const char *p[] = { "#chan", text };
	size_t n = msg_build(out, 512, "nick!user@host", "PRIVMSG", 2, p);
	cr_assert_eq(n, 512);
	cr_assert_eq(out[510], '\r');
	cr_assert_eq(out[511], '\n');
	cr_assert_eq(memchr(out, '\r', n), out + 510);
	/* one long word: a middle parameter, no ':' */
	const char *head = ":nick!user@host PRIVMSG #chan ";
	cr_assert(strncmp(out, head, strlen(head)) == 0);
	for (size_t i = strlen(head); i < 510; i++)
		cr_assert_eq(out[i], 'x', "byte %zu", i);
}

Test(build, truncation_never_writes_past_max)
{
	/* every max from the minimum up: the length is min(natural, max), the
	 * line always ends in CRLF and nothing beyond max is touched */
	const char *p[] = { "#chan", "some words here" };
	const char *full = ":srv PRIVMSG #chan :some words here\r\n";
	for (size_t max = 3; max <= strlen(full) + 5; max++) {
		char out[128];
		memset(out, '#', sizeof out);
		size_t n = msg_build(out, max, "srv", "PRIVMSG", 2, p);
		size_t want = strlen(full) < max ? strlen(full) : max;
		cr_assert_eq(n, want, "max %zu", max);
		cr_assert_eq(out[n - 2], '\r', "max %zu", max);
		cr_assert_eq(out[n - 1], '\n', "max %zu", max);
		cr_assert(memcmp(out, full, n - 2) == 0, "max %zu", max);
		for (size_t i = n; i < sizeof out; i++)
			cr_assert_eq(out[i], '#', "max %zu wrote byte %zu", max, i);
	}
}

Test(build, exactly_fits)
{
	char out[64];
	const char *p[] = { "abc" };
	/* "PING abc\r\n" is 10 bytes */
	cr_assert_eq(msg_build(out, 10, NULL, "PING", 1, p), 10);
	cr_assert(memcmp(out, "PING abc\r\n", 10) == 0);
	cr_assert_eq(msg_build(out, 9, NULL, "PING", 1, p), 9);
	cr_assert(memcmp(out, "PING ab\r\n", 9) == 0);
}

/* ---- -d log redaction (issue 15, item 15) */

static const char *redacted(const char *line)
{
	static char out[600];
	msg_redact(line, out, sizeof out);
	return out;
}

Test(redact, secrets_are_hidden)
{
	cr_assert_str_eq(redacted("PASS hunter2"), "PASS ***");
	cr_assert_str_eq(redacted("pass :hunter2 with spaces"), "pass ***");
	cr_assert_str_eq(redacted("OPER boss hunter2"), "OPER boss ***");
	cr_assert_str_eq(redacted("OPER :boss hunter2"), "OPER ***");
	cr_assert_str_eq(redacted("@label=a :me!u@h Oper  boss  hunter2"), "@label=a :me!u@h Oper  boss  ***");
	cr_assert_str_eq(redacted("AUTHENTICATE aHVudGVyMg=="), "AUTHENTICATE ***");
}

Test(redact, everything_else_is_kept)
{
	cr_assert_str_eq(redacted("PRIVMSG #c :PASS hunter2"), "PRIVMSG #c :PASS hunter2");
	cr_assert_str_eq(redacted("PASS"), "PASS");
	cr_assert_str_eq(redacted("OPER boss"), "OPER boss");
	cr_assert_str_eq(redacted("PASSWORD x"), "PASSWORD x");
	cr_assert_str_eq(redacted(""), "");
}
