/* ts6_parse.h - one line from the services link, checked and typed.
 *
 * Pure: no I/O, no globals, safe to fuzz. ts6_decode() turns a raw TS6
 * line (as Atheme's charybdis protocol module writes it) into a struct
 * ts6_msg whose fields the link handlers can use without checking again:
 * the command is known, the parameters it needs are there, the source has
 * the right kind (server or user), timestamps are numbers and UIDs/SIDs
 * have TS6 shape. Anything else is refused with a reason to log. */
#ifndef IRCMINI_TS6_PARSE_H
#define IRCMINI_TS6_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"

enum ts6_cmd {
	T6_PASS = 1, T6_CAPAB, T6_SERVER, T6_SVINFO, T6_ERROR,
	T6_PING, T6_PONG,
	T6_EUID, T6_UID, T6_NICK, T6_QUIT, T6_KILL, T6_SQUIT,
	T6_JOIN, T6_SJOIN, T6_PART, T6_KICK, T6_TMODE, T6_MODE, T6_BMASK,
	T6_TOPIC, T6_TB, T6_ETB, T6_PRIVMSG, T6_NOTICE, T6_AWAY, T6_INVITE,
	T6_CHGHOST, T6_ENCAP, T6_MLOCK, T6_WALLOPS, T6_OPERWALL,
};

/* the ENCAP subcommands services send */
enum ts6_encap {
	T6E_OTHER = 0,   /* not ours: ignored without complaint */
	T6E_SU,          /* args: uid [account] (no account: logout) */
	T6E_SASL,        /* args: agent uid, client uid, mode, data [data2] */
	T6E_SVSLOGIN,    /* args: uid nick user host account ("*": unchanged) */
	T6E_RSFNC,       /* args: uid newnick newts oldts */
	T6E_CHGHOST,     /* args: uid host */
	T6E_MECHLIST,    /* args: mechanisms */
	T6E_NICKDELAY,   /* args: duration nick */
	T6E_LOGIN,       /* args: account (source is the user) */
};

enum ts6_src { T6S_NONE = 0, T6S_SERVER, T6S_USER };

struct ts6_msg {
	enum ts6_cmd cmd;
	enum ts6_src src_kind;
	const char *src;        /* SID, server name or UID; NULL when none */
	int nargs;
	const char *args[MSG_MAXPARAMS];  /* the command's parameters */
	/* ENCAP: target mask, subcommand, and args[] holds the sub's params */
	const char *encap_target;
	enum ts6_encap encap;
	int64_t ts;             /* the command's timestamp, where it has one */
};

/* Parse `line` in place (NULs are written into it) and check it.
 * Returns 0, or -1 with a reason in why (never the line itself). */
int ts6_decode(char *line, struct ts6_msg *out, char *why, size_t whylen);

int ts6_is_sid(const char *s);
int ts6_is_uid(const char *s);
/* A decimal timestamp >= 0 that fits; -1 if s is not one. */
int64_t ts6_parse_ts(const char *s);

#endif
