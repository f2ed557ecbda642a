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
#include "server.h"

HANDLER(cmd_oper)
{
	const struct oper_entry *o = NULL;
	for (int i = 0; i < srv.cfg.nopers; i++)
		if (strcmp(srv.cfg.opers[i].name, m->params[0]) == 0)
			o = &srv.cfg.opers[i];
	if (!o) {
		send_numeric(c, ERR_NOOPERHOST, ":No O-lines for your host");
		return;
	}
	/* crypt(3) costs milliseconds of CPU, not I/O; OPER is rare */
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *h = crypt_r(m->params[1], o->hash, &cd);
	if (!h || strcmp(h, o->hash) != 0) {
		send_numeric(c, ERR_PASSWDMISMATCH, ":Password incorrect");
		log_conn(LOG_WARN, "failed OPER %s by %s@%s", o->name, c->nick, c->ip);
		return;
	}
	if (!(c->umodes & UMODE_OPER)) {
		c->umodes |= UMODE_OPER;
		srv.opers++;
	}
	send_numeric(c, RPL_YOUREOPER, ":You are now an IRC operator");
	char mask[160];
	send_line(c, ":%s MODE %s :+o", client_mask(c, mask, sizeof mask), c->nick);
	log_info("OPER %s by %s@%s", o->name, c->nick, c->ip);
}

HANDLER(cmd_kill)
{
	char mask[160], reason[400];
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
	struct fanout f;
	fanout_init(&f, line_new(":%s KILL %s :%s", client_mask(c, mask, sizeof mask), t->nick, why));
	fanout_to(&f, t);
	fanout_done(&f);
	snprintf(reason, sizeof reason, "Killed (%s (%s))", c->nick, why);
	log_info("KILL %s by %s: %s", t->nick, c->nick, why);
	client_exit(t, reason);
}

HANDLER(cmd_wallops)
{
	char mask[160];
	if (!(c->umodes & UMODE_OPER)) {
		send_numeric(c, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
		return;
	}
	struct fanout f;
	fanout_init(&f, line_new(":%s WALLOPS :%s", client_mask(c, mask, sizeof mask), m->params[0]));
	struct client *t, *tmp;
	HASH_ITER(hh, srv.nicks, t, tmp)
		if (client_registered(t) && t->umodes & (UMODE_WALLOPS | UMODE_OPER))
			fanout_to(&f, t);
	fanout_done(&f);
}
