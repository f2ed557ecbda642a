/* cmd_oper.c - OPER, KILL, WALLOPS: operator commands. */
#include <stdio.h>
#include <string.h>
#ifdef HAVE_CRYPT_H
#include <crypt.h>
#endif
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "secret.h"
#include "server.h"
#include "stats.h"

/* OPER runs crypt(3) on the loop: 24 ms per yescrypt attempt, so guesses
 * must be scarce or a few connections stall everyone. Three limits:
 *  - a connection is closed at its OPER_CONN_FAILS-th failed attempt;
 *  - an address waits 1, 2, 4 ... 64 s after each failure (attempts in
 *    the wait get 263 and no crypt), so it runs at most ~7 crypts in its
 *    first two minutes and one a minute after;
 *  - server-wide at most CRYPT_BURST crypts at once, then CRYPT_RATE per
 *    second, so crypt can take at most ~10% of the loop (4 x 24 ms per
 *    second) however many addresses try. An operator who meets the limit
 *    is told to try again (263).
 * Unknown names get the same reply (464) and the same crypt (against the
 * first operator's hash) as known ones: names cannot be enumerated. */
#define OPER_CONN_FAILS 3
#define OPER_BACKOFF_MAX 64
#define CRYPT_RATE 4
#define CRYPT_BURST 8
static int crypt_budget(double now)
{
	static double tokens = CRYPT_BURST, last;
	if (last > 0) {
		tokens += (now - last) * CRYPT_RATE;
		if (tokens > CRYPT_BURST)
			tokens = CRYPT_BURST;
	}
	last = now;
	if (tokens < 1)
		return 0;
	tokens -= 1;
	return 1;
}

static void oper_failed(struct client *c, struct addr_slot *e, double now, int ran)
{
	if (ran) {
		e->oper_fails++;
		unsigned shift = e->oper_fails - 1 < 6 ? e->oper_fails - 1 : 6;
		double wait = (double)(1u << shift);
		e->oper_until = now + (wait < OPER_BACKOFF_MAX ? wait : OPER_BACKOFF_MAX);
		send_numeric(c, ERR_PASSWDMISMATCH, ":Password incorrect");
	} else {
		send_numeric(c, RPL_TRYAGAIN, "OPER :Please wait a while and try again.");
	}
	if (++c->oper_fails >= OPER_CONN_FAILS)
		client_exit(c, "Too many failed OPER attempts");
}

HANDLER(cmd_oper)
{
	if (srv.cfg.nopers == 0) {
		send_numeric(c, ERR_NOOPERHOST, ":No O-lines for your host");
		return;
	}
	double now = ev_now(srv.loop);
	char ipbuf[NETADDR_TEXT];
	struct addr_slot *e = addr_slot(client_ip(c, ipbuf));  /* the real address, not a cloak */
	if (now < e->oper_until || !crypt_budget(now)) {
		oper_failed(c, e, now, 0);
		return;
	}
	const struct oper_entry *o = NULL;
	for (int i = 0; i < srv.cfg.nopers; i++)
		if (strcmp(srv.cfg.opers[i].name, m->params[0]) == 0)
			o = &srv.cfg.opers[i];
	const char *hash = o ? o->hash : srv.cfg.opers[0].hash;
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *h = crypt_r(m->params[1], hash, &cd);
	work.crypts++;
	if (!o || !h || !secret_equal(h, hash)) {
		char ip[NETADDR_TEXT];
		log_conn(LOG_WARN, "failed OPER %s by %s@%s", m->params[0], c->nick, client_ip(c, ip));
		oper_failed(c, e, now, 1);
		return;
	}
	e->oper_fails = 0;
	e->oper_until = 0;
	char ip[NETADDR_TEXT];
	log_info("OPER %s by %s@%s", o->name, c->nick, client_ip(c, ip));
	struct event ev = { .type = EV_OPER, .uid = c->uid, .u_hint = c, .nargs = 1, .args = { o->name } };
	event_emit(&ev);
}

HANDLER(cmd_kill)
{
	if (!(c->umodes & UMODE_OPER)) {
		send_numeric(c, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
		return;
	}
	struct client *t = client_find(m->params[0]);
	if (!t || !client_registered(t)) {
		send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", m->params[0]);
		return;
	}
	const char *why = m->nparams > 1 && m->params[1][0] ? m->params[1] : "No reason";
	log_info("KILL %s by %s: %s", t->nick, c->nick, why);
	struct event ev = { .type = EV_KILL, .uid = c->uid, .u_hint = c, .target = t->uid, .t_hint = t, .text = why };
	event_emit(&ev);
}

HANDLER(cmd_wallops)
{
	if (!(c->umodes & UMODE_OPER)) {
		send_numeric(c, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
		return;
	}
	struct event ev = { .type = EV_WALLOPS, .uid = c->uid, .u_hint = c, .text = m->params[0] };
	event_emit(&ev);
}
