/* cmd_cap.c - CAP (IRCv3 capability negotiation, version 302). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "ts6.h"

static const struct {
	const char *name;
	uint32_t bit;
} caps[] = {
	/* account-notify and account-tag only with a services link configured
	 * (accounts come from services); sasl only while services are linked
	 * (see available()). chghost too only with services: only they
	 * change hosts. */
	{ "account-notify", CAP_ACCOUNT_NOTIFY },
	{ "account-tag", CAP_ACCOUNT_TAG },
	{ "away-notify", CAP_AWAY_NOTIFY },
	{ "batch", CAP_BATCH },
	{ "cap-notify", CAP_CAP_NOTIFY },
	{ "chghost", CAP_CHGHOST },
	{ "echo-message", CAP_ECHO_MESSAGE },
	{ "extended-join", CAP_EXTENDED_JOIN },
	{ "invite-notify", CAP_INVITE_NOTIFY },
	{ "labeled-response", CAP_LABELED_RESPONSE },
	{ "message-tags", CAP_MESSAGE_TAGS },
	{ "multi-prefix", CAP_MULTI_PREFIX },
	{ "sasl", CAP_SASL },
	{ "server-time", CAP_SERVER_TIME },
	{ "setname", CAP_SETNAME },
	{ "userhost-in-names", CAP_USERHOST_IN_NAMES },
};
#define NCAPS (sizeof caps / sizeof caps[0])

/* The capabilities on offer right now. */
static uint32_t available(void)
{
	uint32_t all = 0;
	for (size_t i = 0; i < NCAPS; i++)
		all |= caps[i].bit;
	if (!srv.cfg.services_name[0])
		all &= ~(uint32_t)(CAP_ACCOUNT_NOTIFY | CAP_ACCOUNT_TAG | CAP_CHGHOST);
	if (!ts6_sasl_mechs())
		all &= ~(uint32_t)CAP_SASL;
	return all;
}

static uint32_t cap_bit(const char *name)
{
	for (size_t i = 0; i < NCAPS; i++)
		if (strcmp(caps[i].name, name) == 0)
			return caps[i].bit & available();
	return 0;
}

/* Reply with a list, split over several lines ("*" marker) when long. */
static void send_cap_list(struct client *c, const char *sub, uint32_t mask)
{
	const char *mechs = ts6_sasl_mechs();
	const char *nick = c->nick[0] ? c->nick : "*";
	char buf[400];
	size_t len = 0;
	for (size_t i = 0; i < NCAPS; i++) {
		if (!(mask & caps[i].bit))
			continue;
		/* CAP LS 302 shows values: sasl=PLAIN,EXTERNAL */
		const char *value = caps[i].bit == CAP_SASL && c->cap_version && strcmp(sub, "LS") == 0
		                    && mechs && *mechs ? mechs : NULL;
		size_t add = strlen(caps[i].name) + 1 + (value ? strlen(value) + 1 : 0);
		if (len + add >= sizeof buf - 1) {
			send_line(c, ":%s CAP %s %s * :%s", srv.cfg.name, nick, sub, buf);
			len = 0;
		}
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s%s", len ? " " : "", caps[i].name,
		                        value ? "=" : "", value ? value : "");
	}
	buf[len] = '\0';
	send_line(c, ":%s CAP %s %s :%s", srv.cfg.name, nick, sub, buf);
}

static void set_caps(struct client *c, uint32_t bits)
{
	c->caps = bits;
	for (struct member *mb = c->chans; mb; mb = mb->unext)
		mb->caps = bits;   /* the channel fan-out's copy */
}

static void cap_req(struct client *c, const char *list)
{
	uint32_t add = 0, del = 0;
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", list);
	/* all or nothing: one unknown name NAKs the whole request */
	for (char *save, *tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int minus = *tok == '-';
		uint32_t bit = cap_bit(tok + minus);
		if (!bit) {
			send_line(c, ":%s CAP %s NAK :%s", srv.cfg.name, c->nick[0] ? c->nick : "*", list);
			return;
		}
		if (minus)
			del |= bit;
		else
			add |= bit;
	}
	set_caps(c, (c->caps | add) & ~del);
	send_line(c, ":%s CAP %s ACK :%s", srv.cfg.name, c->nick[0] ? c->nick : "*", list);
}

HANDLER(cmd_cap)
{
	const char *sub = m->params[0];
	uint32_t all = available();

	if (strcasecmp(sub, "LS") == 0) {
		if (!client_registered(c))
			c->reg |= REG_CAP;
		if (m->nparams > 1 && atoi(m->params[1]) >= 302) {
			c->cap_version = 1;
			set_caps(c, c->caps | CAP_CAP_NOTIFY);  /* implied by 302 */
		}
		send_cap_list(c, "LS", all);
	} else if (strcasecmp(sub, "LIST") == 0) {
		send_cap_list(c, "LIST", c->caps);
	} else if (strcasecmp(sub, "REQ") == 0) {
		if (!client_registered(c))
			c->reg |= REG_CAP;
		cap_req(c, m->nparams > 1 ? m->params[1] : "");
	} else if (strcasecmp(sub, "END") == 0) {
		if (!client_registered(c)) {
			if (c->sasl) {   /* sasl 3.1: registering ends an unfinished exchange */
				ts6_client_gone(c);
				send_numeric(c, ERR_SASLABORTED, ":SASL authentication aborted");
			}
			c->reg &= (uint8_t)~REG_CAP;
			client_try_register(c);
		}
	} else {
		send_numeric(c, ERR_INVALIDCAPCMD, "%s :Invalid CAP command", sub);
	}
}
