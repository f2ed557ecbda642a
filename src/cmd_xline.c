/* cmd_xline.c - server bans and their listing: KLINE, UNKLINE, DLINE,
 * UNDLINE, STATS k/d, and REHASH. Operators only; the bans themselves live
 * in bans.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bans.h"
#include "commands.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "server.h"

static int need_oper(struct client *c)
{
	if (c->umodes & UMODE_OPER)
		return 0;
	send_numeric(c, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
	return 1;
}

/* "30" (minutes, as ircd-hybrid), "90s", "10m", "2h", "1d", "1w";
 * returns seconds, or -1 when s is not a duration (then it is the mask). */
static long parse_duration(const char *s)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	long v = strtol(s, &end, 10);
	long unit = 60;
	if (*end) {
		const char *units = "smhdw";
		static const long mult[] = { 1, 60, 3600, 86400, 604800 };
		const char *u = strchr(units, *end);
		if (!u || end[1])
			return -1;
		unit = mult[u - units];
	}
	if (v < 0 || v > 10L * 365 * 86400 / unit)
		return -1;
	return v * unit;
}

static const struct xban *killing;

/* Disconnect everyone a new ban covers: registered users by K-line,
 * every connection by D-line. */
static void kill_matching(struct conn *conn)
{
	struct client *t = client_of(conn);
	const struct xban *b = killing;
	char ip[NETADDR_TEXT];
	int hit = b->e.kind == BAN_D ? cidr_match(&b->e.cidr, &t->addr)
	                             : client_registered(t) &&
	                               bans_match_user(t->nick, t->user, client_ip(t, ip), t->host) == b;
	if (!hit)
		return;
	char why[BAN_REASON_MAX + 16];
	snprintf(why, sizeof why, "%c-lined: %s", b->e.kind, b->e.reason);
	if (client_registered(t))
		send_numeric(t, ERR_YOUREBANNEDCREEP, ":You are banned from this server: %s", b->e.reason);
	client_exit(t, why);
}

static void add_ban(struct client *c, struct message *m, char kind)
{
	if (need_oper(c))
		return;
	int i = 0;
	long secs = parse_duration(m->params[0]);
	if (secs >= 0)
		i = 1;
	else
		secs = 0;
	if (i >= m->nparams) {
		send_needmore(c, kind == BAN_K ? "KLINE" : "DLINE");
		return;
	}
	const char *reason = m->nparams > i + 1 && m->params[i + 1][0] ? m->params[i + 1] : "Banned";
	char err[200], setter[64];
	snprintf(setter, sizeof setter, "%s", c->nick);
	const struct xban *b = bans_add(kind, m->params[i], secs, setter, reason, err, sizeof err);
	if (!b) {
		send_line(c, ":%s NOTICE %s :%c-line not added: %s", srv.cfg.name, c->nick, kind, err);
		return;
	}
	char exp[48] = "permanent";
	if (b->expires)
		snprintf(exp, sizeof exp, "for %ld seconds", secs);
	send_line(c, ":%s NOTICE %s :Added %c-line for %s (%s): %s", srv.cfg.name, c->nick, kind,
	          b->e.mask, exp, b->e.reason);
	log_info("%c-line %s (%s) by %s: %s", kind, b->e.mask, exp, c->nick, b->e.reason);
	killing = b;
	conn_foreach(kill_matching);
	killing = NULL;
}

static void del_ban(struct client *c, struct message *m, char kind)
{
	if (need_oper(c))
		return;
	int rc = bans_remove(kind, m->params[0]);
	if (rc == 0) {
		send_line(c, ":%s NOTICE %s :Removed %c-line for %s", srv.cfg.name, c->nick, kind, m->params[0]);
		log_info("%c-line %s removed by %s", kind, m->params[0], c->nick);
	} else {
		send_line(c, ":%s NOTICE %s :No %c-line for %s%s", srv.cfg.name, c->nick, kind, m->params[0],
		          rc == -2 ? " that a command can remove: it is in the config file" : "");
	}
}

HANDLER(cmd_kline) { add_ban(c, m, BAN_K); }
HANDLER(cmd_dline) { add_ban(c, m, BAN_D); }
HANDLER(cmd_unkline) { del_ban(c, m, BAN_K); }
HANDLER(cmd_undline) { del_ban(c, m, BAN_D); }

/* 216/225 <nick> K|D <mask> <seconds left, 0 = permanent> <setter> :<reason> */
static void stats_line(const struct xban *b, void *arg)
{
	struct client *c = arg;
	long left = b->expires ? (long)(b->expires - time(NULL)) : 0;
	send_numeric(c, b->e.kind == BAN_K ? RPL_STATSKLINE : RPL_STATSDLINE, "%c %s %ld %s :%s",
	             b->e.kind, b->e.mask, left, b->setter, b->e.reason);
}

/* STATS k and d (cmd_stats.c dispatches); 0 when refused (481 sent) */
int xline_stats(struct client *c, char q)
{
	if (need_oper(c))
		return 0;
	bans_foreach(q == 'k' || q == 'K' ? BAN_K : BAN_D, stats_line, c);
	return 1;
}

HANDLER(cmd_rehash)
{
	if (need_oper(c))
		return;
	send_numeric(c, RPL_REHASHING, "%s :Rehashing", srv.config_path);
	log_info("REHASH by %s", c->nick);
	if (server_reload() < 0)
		send_line(c, ":%s NOTICE %s :REHASH failed; the running configuration stays (the log says why)",
		          srv.cfg.name, c->nick);
}
