/* cmd_message.c - PRIVMSG and NOTICE to channels and nicks. */
#include <string.h>
#include <time.h>

#include "channel.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "server.h"

/* May c speak in ch? (+n outsiders, +m unvoiced, banned unvoiced) */
static int can_send(const struct channel *ch, const struct client *c)
{
	const struct member *me = channel_member(ch, c);
	if (!me)
		return !(ch->modes & (CMODE_NOEXTERNAL | CMODE_MODERATED)) && !channel_is_banned(ch, c);
	if (me->modes & (MEMBER_OP | MEMBER_VOICE))
		return 1;
	return !(ch->modes & CMODE_MODERATED) && !channel_is_banned(ch, c);
}

static void relay(struct client *c, struct message *m, const char *cmd, int notice)
{
	char mask[160];

	if (m->nparams < 1 || !m->params[0][0]) {
		if (!notice)
			send_numeric(c, ERR_NORECIPIENT, ":No recipient given (%s)", cmd);
		return;
	}
	if (m->nparams < 2 || !m->params[1][0]) {
		if (!notice)
			send_numeric(c, ERR_NOTEXTTOSEND, ":No text to send");
		return;
	}
	const char *text = m->params[1];
	char *targets = m->params[0];
	int n = 0;
	client_mask(c, mask, sizeof mask);
	c->last_msg = time(NULL);

	for (char *save, *t = strtok_r(targets, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (++n > srv.cfg.max_targets) {
			if (!notice)
				send_numeric(c, ERR_TOOMANYTARGETS, "%s :Too many recipients", t);
			break;
		}
		if (t[0] == '#') {
			struct channel *ch = channel_find(t);
			if (!ch) {
				if (!notice)
					send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", t);
				continue;
			}
			if (!can_send(ch, c)) {
				if (!notice)
					send_numeric(c, ERR_CANNOTSENDTOCHAN, "%s :Cannot send to channel", ch->name);
				continue;
			}
			struct sbuf *b = line_new(":%s %s %s :%s", mask, cmd, ch->name, text);
			send_to_channel(ch, c, b);
			if (b)
				sbuf_unref(b);
			continue;
		}
		struct client *to = client_find(t);
		if (!to || !client_registered(to)) {
			if (!notice)
				send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", t);
			continue;
		}
		send_line(to, ":%s %s %s :%s", mask, cmd, to->nick, text);
		if (!notice && to->away)
			send_numeric(c, RPL_AWAY, "%s :%s", to->nick, to->away);
	}
}

HANDLER(cmd_privmsg)
{
	relay(c, m, "PRIVMSG", 0);
}

HANDLER(cmd_notice)
{
	relay(c, m, "NOTICE", 1);
}
