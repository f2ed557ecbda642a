/* cmd_sasl.c - AUTHENTICATE (IRCv3 sasl 3.1/3.2): the client's side of a
 * SASL exchange, relayed to services over the link (ts6.c), which answers
 * with AUTHENTICATE lines and the 900-908 numerics. */
#include <string.h>
#include <strings.h>

#include "cap.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "ts6.h"

#define SASL_CHUNK 400   /* IRCv3: AUTHENTICATE payloads come in 400-byte pieces */

/* mech is in the comma-separated list (an unknown list allows anything:
 * services answer 908 and fail it themselves) */
static int mech_offered(const char *list, const char *mech)
{
	if (!*list)
		return 1;
	size_t n = strlen(mech);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncasecmp(p, mech, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

HANDLER(cmd_authenticate)
{
	const char *arg = m->params[0];
	const char *mechs = ts6_sasl_mechs();

	if (!(c->caps & CAP_SASL) || !mechs) {
		send_numeric(c, ERR_SASLFAIL, ":SASL authentication failed");
		return;
	}
	if (c->sasl_done || (client_registered(c) && c->account)) {
		send_numeric(c, ERR_SASLALREADY, ":You have already authenticated using SASL");
		return;
	}
	if (strcmp(arg, "*") == 0) {
		ts6_client_gone(c);
		send_numeric(c, ERR_SASLABORTED, ":SASL authentication aborted");
		return;
	}
	if (strlen(arg) > SASL_CHUNK || !*arg || arg[0] == ':' || strchr(arg, ' ')) {
		ts6_client_gone(c);
		send_numeric(c, ERR_SASLTOOLONG, ":SASL message too long");
		return;
	}
	if (!c->sasl) {
		if (!mech_offered(mechs, arg)) {
			send_numeric(c, RPL_SASLMECHS, "%s :are available SASL mechanisms", mechs);
			send_numeric(c, ERR_SASLFAIL, ":SASL authentication failed");
			return;
		}
		if (ts6_sasl_send(c, 'S', arg) < 0)
			send_numeric(c, ERR_SASLFAIL, ":SASL authentication failed");
		return;
	}
	if (ts6_sasl_send(c, 'C', arg) < 0)
		send_numeric(c, ERR_SASLFAIL, ":SASL authentication failed");
}
