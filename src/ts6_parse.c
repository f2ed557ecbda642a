/* ts6_parse.c - see ts6_parse.h */
#include "ts6_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { S_NONE = 1 << T6S_NONE, S_SERVER = 1 << T6S_SERVER, S_USER = 1 << T6S_USER };

static const struct {
	const char *name;
	enum ts6_cmd cmd;
	int min;        /* parameters it needs */
	int sources;    /* S_* it may come from */
	int ts_arg;     /* index of its timestamp, -1: none */
} cmds[] = {
	{ "PASS", T6_PASS, 4, S_NONE, -1 },
	{ "CAPAB", T6_CAPAB, 1, S_NONE, -1 },
	{ "SERVER", T6_SERVER, 3, S_NONE, -1 },
	{ "SVINFO", T6_SVINFO, 4, S_NONE, 3 },
	{ "ERROR", T6_ERROR, 0, S_NONE | S_SERVER, -1 },
	{ "PING", T6_PING, 1, S_NONE | S_SERVER | S_USER, -1 },
	{ "PONG", T6_PONG, 1, S_NONE | S_SERVER, -1 },
	{ "EUID", T6_EUID, 11, S_SERVER, 2 },
	{ "UID", T6_UID, 9, S_SERVER, 2 },
	{ "NICK", T6_NICK, 2, S_USER, 1 },
	{ "QUIT", T6_QUIT, 0, S_USER, -1 },
	{ "KILL", T6_KILL, 1, S_SERVER | S_USER, -1 },
	{ "SQUIT", T6_SQUIT, 1, S_SERVER | S_USER, -1 },
	{ "JOIN", T6_JOIN, 1, S_USER, 0 },
	{ "SJOIN", T6_SJOIN, 4, S_SERVER, 0 },
	{ "PART", T6_PART, 1, S_USER, -1 },
	{ "KICK", T6_KICK, 2, S_SERVER | S_USER, -1 },
	{ "TMODE", T6_TMODE, 3, S_SERVER | S_USER, 0 },
	{ "MODE", T6_MODE, 2, S_SERVER | S_USER, -1 },
	{ "BMASK", T6_BMASK, 4, S_SERVER, 0 },
	{ "TOPIC", T6_TOPIC, 2, S_USER, -1 },
	{ "TB", T6_TB, 3, S_SERVER | S_USER, 1 },
	{ "ETB", T6_ETB, 5, S_SERVER | S_USER, 2 },
	{ "PRIVMSG", T6_PRIVMSG, 2, S_SERVER | S_USER, -1 },
	{ "NOTICE", T6_NOTICE, 2, S_SERVER | S_USER, -1 },
	{ "AWAY", T6_AWAY, 0, S_USER, -1 },
	{ "INVITE", T6_INVITE, 2, S_USER, -1 },
	{ "CHGHOST", T6_CHGHOST, 2, S_SERVER | S_USER, -1 },
	{ "ENCAP", T6_ENCAP, 2, S_SERVER | S_USER, -1 },
	{ "MLOCK", T6_MLOCK, 3, S_SERVER, 0 },
	{ "WALLOPS", T6_WALLOPS, 1, S_SERVER | S_USER, -1 },
	{ "OPERWALL", T6_OPERWALL, 1, S_SERVER | S_USER, -1 },
};

static const struct {
	const char *name;
	enum ts6_encap sub;
	int min;
	int uid_arg;    /* index of a UID it names, -1: none */
} encaps[] = {
	{ "SU", T6E_SU, 1, 0 },
	{ "SASL", T6E_SASL, 4, 1 },
	{ "SVSLOGIN", T6E_SVSLOGIN, 5, 0 },
	{ "RSFNC", T6E_RSFNC, 4, 0 },
	{ "CHGHOST", T6E_CHGHOST, 2, 0 },
	{ "MECHLIST", T6E_MECHLIST, 1, -1 },
	{ "NICKDELAY", T6E_NICKDELAY, 2, -1 },
	{ "LOGIN", T6E_LOGIN, 1, -1 },
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper_alnum(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z');
}

int ts6_is_sid(const char *s)
{
	return s && strlen(s) == 3 && is_digit(s[0]) && is_upper_alnum(s[1]) && is_upper_alnum(s[2]);
}

int ts6_is_uid(const char *s)
{
	if (!s || strlen(s) != 9 || !is_digit(s[0]) || !is_upper_alnum(s[1]) || !is_upper_alnum(s[2]))
		return 0;
	if (s[3] < 'A' || s[3] > 'Z')   /* the ID part starts with a letter */
		return 0;
	for (int i = 4; i < 9; i++)
		if (!is_upper_alnum(s[i]))
			return 0;
	return 1;
}

int64_t ts6_parse_ts(const char *s)
{
	int64_t v = 0;
	if (!s || !*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!is_digit(*p) || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

__attribute__((format(printf, 3, 4)))
static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static enum ts6_src source_kind(const char *p)
{
	if (!p)
		return T6S_NONE;
	if (ts6_is_uid(p))
		return T6S_USER;
	if (ts6_is_sid(p) || strchr(p, '.'))
		return T6S_SERVER;
	return (enum ts6_src)-1;
}

static int decode_encap(struct ts6_msg *out, char *why, size_t whylen)
{
	out->encap_target = out->args[0];
	const char *sub = out->args[1];
	/* the subcommand's parameters become args[] */
	for (int i = 2; i < out->nargs; i++)
		out->args[i - 2] = out->args[i];
	out->nargs -= 2;
	out->encap = T6E_OTHER;
	for (size_t i = 0; i < sizeof encaps / sizeof encaps[0]; i++) {
		if (strcasecmp(sub, encaps[i].name) != 0)
			continue;
		if (out->nargs < encaps[i].min)
			return refuse(why, whylen, "ENCAP %s needs %d parameters, got %d", encaps[i].name,
			              encaps[i].min, out->nargs);
		if (encaps[i].uid_arg >= 0 && !ts6_is_uid(out->args[encaps[i].uid_arg]))
			return refuse(why, whylen, "ENCAP %s: not a UID", encaps[i].name);
		if (encaps[i].sub == T6E_SASL && strlen(out->args[2]) != 1)
			return refuse(why, whylen, "ENCAP SASL: mode is not one letter");
		if (encaps[i].sub == T6E_RSFNC && (ts6_parse_ts(out->args[2]) < 0 || ts6_parse_ts(out->args[3]) < 0))
			return refuse(why, whylen, "ENCAP RSFNC: bad timestamp");
		out->encap = encaps[i].sub;
		break;
	}
	return 0;
}

int ts6_decode(char *line, struct ts6_msg *out, char *why, size_t whylen)
{
	struct message m;
	memset(out, 0, sizeof *out);
	out->ts = -1;
	if (msg_parse(line, &m) != MSG_OK)
		return refuse(why, whylen, "empty line or no command");
	out->src_kind = source_kind(m.prefix);
	if ((int)out->src_kind < 0)
		return refuse(why, whylen, "source is neither a SID, a server name nor a UID");
	out->src = m.prefix;
	size_t i;
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcasecmp(m.command, cmds[i].name) == 0)
			break;
	if (i == sizeof cmds / sizeof cmds[0])
		return refuse(why, whylen, "unknown command");
	out->cmd = cmds[i].cmd;
	if (!(cmds[i].sources & (1 << out->src_kind)))
		return refuse(why, whylen, "%s from the wrong kind of source", cmds[i].name);
	if (m.nparams < cmds[i].min)
		return refuse(why, whylen, "%s needs %d parameters, got %d", cmds[i].name, cmds[i].min, m.nparams);
	out->nargs = m.nparams;
	for (int k = 0; k < m.nparams; k++)
		out->args[k] = m.params[k];
	/* "JOIN 0" (part all) has no timestamp */
	int ts_arg = cmds[i].ts_arg;
	if (out->cmd == T6_JOIN && out->nargs < 2)
		ts_arg = strcmp(out->args[0], "0") == 0 ? -1 : 0;
	if (ts_arg >= 0) {
		out->ts = ts6_parse_ts(out->args[ts_arg]);
		if (out->ts < 0)
			return refuse(why, whylen, "%s: bad timestamp", cmds[i].name);
	}
	switch (out->cmd) {
	case T6_PASS:
		if (strcmp(out->args[1], "TS") != 0 || ts6_parse_ts(out->args[2]) < 6 || !ts6_is_sid(out->args[3]))
			return refuse(why, whylen, "PASS: not TS6 (PASS password TS 6 :SID)");
		break;
	case T6_EUID:
	case T6_UID:
		if (!ts6_is_uid(out->args[7]))
			return refuse(why, whylen, "%s: not a UID", cmds[i].name);
		if (out->args[3][0] != '+')
			return refuse(why, whylen, "%s: user modes do not start with +", cmds[i].name);
		break;
	case T6_KILL:
	case T6_KICK:
		if (!ts6_is_uid(out->args[out->cmd == T6_KICK ? 1 : 0]))
			return refuse(why, whylen, "%s: not a UID", cmds[i].name);
		break;
	case T6_BMASK:
		if (strlen(out->args[2]) != 1)
			return refuse(why, whylen, "BMASK: list type is not one letter");
		break;
	case T6_SJOIN:
	case T6_TMODE:
		if (out->args[2][0] != '+' && out->args[2][0] != '-')
			return refuse(why, whylen, "%s: modes do not start with + or -", cmds[i].name);
		break;
	case T6_ENCAP:
		return decode_encap(out, why, whylen);
	default:
		break;
	}
	return 0;
}
