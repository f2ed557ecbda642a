/* ts6_in.c - TS6 lines from services become state events (see ts6.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "ts6.h"
#include "event.h"

struct client *ts6_local_uid(const char *uid)
{
	/* interim: a scan; the state layer's UID table replaces it */
	for (struct client *c = srv.nicks; c; c = c->hh.next)
		if (strcmp(c->uid, uid) == 0)
			return c;
	return NULL;
}

/* SVSLOGIN uid nick user host account: services log a (SASL) client in. */
static void on_svslogin(const struct ts6_msg *m)
{
	struct client *c = ts6_local_uid(m->args[0]);
	if (!c) {
		log_debug("services link: SVSLOGIN for unknown %s", m->args[0]);
		return;
	}
	const char *account = m->args[4];
	free(c->account);
	c->account = strdup(account);
	send_numeric(c, RPL_LOGGEDIN, "%s!%s@%s %s :You are now logged in as %s", c->nick[0] ? c->nick : "*",
	             c->user[0] ? c->user : "*", c->host, account, account);
}

void ts6_in_dispatch(const struct ts6_msg *m)
{
	if (m->cmd != T6_ENCAP) {
		log_debug("services link: %d not handled yet", (int)m->cmd);
		return;
	}
	switch (m->encap) {
	case T6E_SASL:
		ts6_sasl_reply(m);
		break;
	case T6E_SVSLOGIN:
		on_svslogin(m);
		break;
	case T6E_MECHLIST:
		ts6_set_mechs(m->args[0]);
		break;
	default:
		break;
	}
}
