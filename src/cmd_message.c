/* cmd_message.c - PRIVMSG, NOTICE and TAGMSG to channels and nicks. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "server.h"

/* May c speak in ch? (+n outsiders, +m unvoiced, banned unvoiced; a +e
 * entry lifts the ban here as at JOIN) */
static int can_send(const struct channel *ch, const struct client *c)
{
	const struct member *me = channel_member(ch, c);
	if (!me)
		return !(ch->modes & (CMODE_NOEXTERNAL | CMODE_MODERATED)) && !channel_is_banned(ch, c);
	if (me->modes & (MEMBER_OP | MEMBER_VOICE))
		return 1;
	return !(ch->modes & CMODE_MODERATED) && !channel_is_banned(ch, c);
}

enum kind { K_PRIVMSG, K_NOTICE, K_TAGMSG };
static const char *const kind_name[] = { "PRIVMSG", "NOTICE", "TAGMSG" };

/* [vendor/]name of a tag key: letters, digits, '-', and '.' '/' for the vendor */
static int tag_key_ok(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k[i];
		if (!((ch | 32) >= 'a' && (ch | 32) <= 'z') && !(ch >= '0' && ch <= '9') &&
		    ch != '-' && ch != '.' && ch != '/')
			return 0;
	}
	return 1;
}

/* The client-only ('+') tags of the raw tag string, ';'-joined into out.
 * Other tags are the server's to set and are dropped (message-tags);
 * malformed keys too. Values pass as sent (the parser already split at
 * spaces and ';'). NULL if none remain. */
static const char *client_tags(const char *raw, char *out, size_t cap)
{
	size_t len = 0;
	if (!raw)
		return NULL;
	while (*raw) {
		size_t n = strcspn(raw, ";");
		size_t keylen = strcspn(raw, "=;");
		if (n > 1 && raw[0] == '+' && tag_key_ok(raw + 1, keylen - 1) &&
		    len + (len > 0) + n + 1 <= cap) {
			if (len)
				out[len++] = ';';
			memcpy(out + len, raw, n);
			len += n;
		}
		raw += n;
		if (*raw == ';')
			raw++;
	}
	out[len] = '\0';
	return len ? out : NULL;
}

/* PRIVMSG, NOTICE (never an error back) and TAGMSG (tags only, to clients
 * with message-tags). With echo-message the sender gets its own line. */
static void relay(struct client *c, struct message *m, enum kind kind)
{
	const char *cmd = kind_name[kind];
	int errors = kind != K_NOTICE;
	char ctbuf[4096];

	if (m->nparams < 1 || !m->params[0][0]) {
		if (errors)
			send_numeric(c, ERR_NORECIPIENT, ":No recipient given (%s)", cmd);
		return;
	}
	if (kind != K_TAGMSG && (m->nparams < 2 || !m->params[1][0])) {
		if (errors)
			send_numeric(c, ERR_NOTEXTTOSEND, ":No text to send");
		return;
	}
	const char *text = kind != K_TAGMSG ? m->params[1] : NULL;
	const char *ctags = client_tags(m->tags, ctbuf, sizeof ctbuf);
	char *targets = m->params[0];
	int n = 0;
	if (kind != K_TAGMSG)
		c->last_msg = time(NULL);

	for (char *save, *t = strtok_r(targets, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (++n > srv.cfg.max_targets) {
			if (errors)
				send_numeric(c, ERR_TOOMANYTARGETS, "%s :Too many recipients", t);
			break;
		}
		struct channel *ch = NULL;
		struct client *to = NULL;
		if (t[0] == '#') {
			ch = channel_find(t);
			if (!ch) {
				if (errors)
					send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", t);
				continue;
			}
			if (!can_send(ch, c)) {
				/* a secret channel one may not send to is one that is not there */
				if (errors && !channel_visible_to(ch, c))
					send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", t);
				else if (errors)
					send_numeric(c, ERR_CANNOTSENDTOCHAN, "%s :Cannot send to channel", ch->name);
				continue;
			}
		} else {
			to = client_find(t);
			if (!to || !client_registered(to)) {
				if (errors)
					send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", t);
				continue;
			}
		}
		static const uint8_t types[] = { EV_PRIVMSG, EV_NOTICE, EV_TAGMSG };
		struct event ev = { .type = types[kind], .uid = c->uid, .u_hint = c, .text = text, .tags = ctags,
		                    .chan = ch ? ch->name : NULL, .target = to ? to->uid : NULL,
		                    .ch_hint = ch, .t_hint = to };
		event_emit(&ev);
		if (kind == K_PRIVMSG && to && to->away)
			send_numeric(c, RPL_AWAY, "%s :%s", to->nick, to->away);
	}
}

HANDLER(cmd_privmsg)
{
	relay(c, m, K_PRIVMSG);
}

HANDLER(cmd_notice)
{
	relay(c, m, K_NOTICE);
}

HANDLER(cmd_tagmsg)
{
	relay(c, m, K_TAGMSG);
}
