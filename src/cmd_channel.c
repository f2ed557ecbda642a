/* cmd_channel.c - JOIN, PART, TOPIC, NAMES, KICK, INVITE (LIST: cmd_list.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "match.h"
#include "message.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "stats.h"

void send_topic(struct client *c, struct channel *ch)
{
	if (!ch->topic) {
		send_numeric(c, RPL_NOTOPIC, "%s :No topic is set", ch->name);
		return;
	}
	send_numeric(c, RPL_TOPIC, "%s :%s", ch->name, ch->topic);
	send_numeric(c, RPL_TOPICWHOTIME, "%s %s %lld", ch->name, ch->topic_by, (long long)ch->topic_time);
}

/* The 353 lines of one channel, without the closing 366. */
static void names_lines(struct client *c, struct channel *ch)
{
	int member = channel_member(ch, c) != NULL;
	char sym = ch->modes & CMODE_SECRET ? '@' : ch->modes & CMODE_PRIVATE ? '*' : '=';
	char line[512];
	int head = snprintf(line, sizeof line, ":%s 353 %s %c %s :", srv.cfg.name, c->nick, sym, ch->name);
	size_t len = (size_t)head;

	for (struct member *m = ch->members; m; m = m->cnext) {
		if (!member && m->cl->umodes & UMODE_INVISIBLE)
			continue;
		char item[160];
		int n;
		if (c->caps & CAP_USERHOST_IN_NAMES)
			n = snprintf(item, sizeof item, "%s%s!%s@%s", member_prefix(m, c->caps & CAP_MULTI_PREFIX),
			             m->cl->nick, m->cl->user, m->cl->host);
		else
			n = snprintf(item, sizeof item, "%s%s", member_prefix(m, c->caps & CAP_MULTI_PREFIX), m->cl->nick);
		if (len + (size_t)n + 1 > 510) {
			line[len] = '\0';
			send_line(c, "%s", line);
			len = (size_t)head;
		}
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len > (size_t)head ? " " : "", item);
	}
	if (len > (size_t)head) {
		line[len] = '\0';
		send_line(c, "%s", line);
	}
}

void send_names(struct client *c, struct channel *ch)
{
	names_lines(c, ch);
	send_numeric(c, RPL_ENDOFNAMES, "%s :End of /NAMES list", ch->name);
}

static void part_all(struct client *c)
{
	/* a PART removes only its own membership: `next` stays valid */
	for (struct member *mb = c->chans, *next; mb; mb = next) {
		next = mb->unext;
		struct event ev = { .type = EV_PART, .uid = c->uid, .u_hint = c, .chan = mb->chan->name,
		                    .ch_hint = mb->chan };
		event_emit(&ev);
	}
}

/* Marks the channels the current JOIN line has handled: a name repeated
 * in one line (166 fit) is answered once, not checked against the ban
 * list again each time. */
static unsigned long join_line;

/* 0: go on with the line; -1: stop it (a rate limit was met, 263 sent) */
static int join_one(struct client *c, const char *name, const char *key)
{
	if (!channel_name_valid(name)) {
		send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", name);
		return 0;
	}
	struct channel *ch = channel_find(name);
	if (ch && (ch->join_line == join_line || channel_member(ch, c)))
		return 0;
	if (c->nchans >= srv.cfg.max_channels) {
		send_numeric(c, ERR_TOOMANYCHANNELS, "%s :You have joined too many channels", name);
		return 0;
	}
	/* [limits] join_rate: each JOIN goes to a whole channel */
	double now = ev_now(srv.loop);
	char ipbuf[NETADDR_TEXT];
	if (!bucket_take(&c->join_rate, now, srv.cfg.join_rate) ||
	    (!ch && !bucket_take(&addr_slot(client_ip(c, ipbuf))->created, now, srv.cfg.channel_rate))) {
		send_numeric(c, RPL_TRYAGAIN, "JOIN :Please wait a while and try again.");
		return -1;
	}
	if (ch)
		ch->join_line = join_line;
	if (ch) {
		int invited = channel_is_invited(ch, c);
		if (ch->modes & CMODE_KEY && (!key || strcmp(key, ch->chkey) != 0)) {
			send_numeric(c, ERR_BADCHANNELKEY, "%s :Cannot join channel (+k)", ch->name);
			return 0;
		}
		if (ch->modes & CMODE_INVITE && !invited && !channel_is_invex(ch, c)) {
			send_numeric(c, ERR_INVITEONLYCHAN, "%s :Cannot join channel (+i)", ch->name);
			return 0;
		}
		/* a +e entry lifts a ban (channel_is_banned); +I only +i */
		if (!invited && channel_is_banned(ch, c)) {
			send_numeric(c, ERR_BANNEDFROMCHAN, "%s :Cannot join channel (+b)", ch->name);
			return 0;
		}
		/* an invitation lifts +l too (Modern IRC), not the server's cap */
		if ((ch->modes & CMODE_LIMIT && ch->nmembers >= ch->limit && !invited) ||
		    (srv.cfg.max_members && ch->nmembers >= (unsigned)srv.cfg.max_members)) {
			send_numeric(c, ERR_CHANNELISFULL, "%s :Cannot join channel (+l)", ch->name);
			return 0;
		}
	}
	/* ts: the channel's creation time if this JOIN creates it */
	struct event ev = { .type = EV_JOIN, .uid = c->uid, .u_hint = c, .chan = name, .ch_hint = ch,
	                    .ts = (int64_t)time(NULL) };
	event_emit(&ev);
	return 0;
}

HANDLER(cmd_join)
{
	if (strcmp(m->params[0], "0") == 0) {
		part_all(c);
		return;
	}
	char *names = m->params[0], *keys = m->nparams > 1 ? m->params[1] : NULL, *name;
	if (!names[0]) {
		send_needmore(c, "JOIN");
		return;
	}
	join_line++;
	while ((name = msg_next_item(&names)))
		if (join_one(c, name, msg_next_item(&keys)) < 0)
			break;
}

HANDLER(cmd_part)
{
	char *names = m->params[0], *name;
	const char *reason = m->nparams > 1 ? m->params[1] : NULL;

	while ((name = msg_next_item(&names))) {
		struct channel *ch = channel_find_for(name, c);
		if (!ch) {
			send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", name);
			continue;
		}
		if (!channel_member(ch, c)) {
			send_numeric(c, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
			continue;
		}
		/* a PART always works, but counts against [limits] join_rate */
		bucket_take(&c->join_rate, ev_now(srv.loop), srv.cfg.join_rate);
		struct event ev = { .type = EV_PART, .uid = c->uid, .u_hint = c, .chan = ch->name, .ch_hint = ch,
		                    .text = reason };
		event_emit(&ev);
	}
}

HANDLER(cmd_topic)
{
	struct channel *ch = channel_find_for(m->params[0], c);
	if (!ch) {
		send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", m->params[0]);
		return;
	}
	struct member *me = channel_member(ch, c);
	if (m->nparams < 2) {
		if (!channel_visible_to(ch, c)) {
			send_numeric(c, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
			return;
		}
		send_topic(c, ch);
		return;
	}
	if (!me) {
		send_numeric(c, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
		return;
	}
	if (ch->modes & CMODE_TOPIC && !(me->modes & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
		return;
	}
	char topic[400];
	snprintf(topic, sizeof topic, "%.*s", srv.cfg.topiclen, m->params[1]);
	struct event ev = { .type = EV_TOPIC, .uid = c->uid, .u_hint = c, .chan = ch->name, .ch_hint = ch,
	                    .text = topic };
	event_emit(&ev);
}

HANDLER(cmd_names)
{
	if (m->nparams < 1 || !m->params[0][0]) {
		struct channel *ch, *tmp;
		HASH_ITER(hh, srv.channels, ch, tmp) {
			/* the asker's sendq overflowed: the rest would be dropped */
			if (c->conn.flags & CONN_DEAD)
				break;
			work.walk++;
			if (channel_visible_to(ch, c))
				names_lines(c, ch);
		}
		/* RFC 2812 (RPL_ENDOFNAMES): all channels, then one 366 */
		send_numeric(c, RPL_ENDOFNAMES, "* :End of /NAMES list");
		return;
	}
	/* "NAMES #a,#b" (TARGMAX NAMES: no limit): the 353s of each channel,
	 * then one 366 naming the list as given, as the conformance suite
	 * expects; one channel is the usual 353s + 366 */
	char list[256];
	snprintf(list, sizeof list, "%s", m->params[0]);
	/* echoed as a middle parameter: never with a space or a leading ':' */
	if (strlen(m->params[0]) >= sizeof list || strchr(list, ' ') || list[0] == ':')
		snprintf(list, sizeof list, "*");
	int several = strchr(m->params[0], ',') != NULL;
	char *names = m->params[0], *name;
	while ((name = msg_next_item(&names))) {
		struct channel *ch = channel_find(name);
		int visible = ch && channel_visible_to(ch, c);
		if (several) {
			if (visible)
				names_lines(c, ch);
		} else if (visible) {
			send_names(c, ch);
		} else {
			send_numeric(c, RPL_ENDOFNAMES, "%s :End of /NAMES list", name);
		}
	}
	if (several)
		send_numeric(c, RPL_ENDOFNAMES, "%s :End of /NAMES list", list);
}

/* The channel `name` if c may kick there; otherwise NULL, error sent. */
static struct channel *kick_channel(struct client *c, const char *name)
{
	struct channel *ch = channel_find_for(name, c);
	if (!ch) {
		send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", name);
		return NULL;
	}
	struct member *me = channel_member(ch, c);
	if (!me) {
		send_numeric(c, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
		return NULL;
	}
	if (!(me->modes & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
		return NULL;
	}
	return ch;
}

/* One KICK line per channel and user (RFC 2812 3.2.8: never several
 * targets in one line to clients). Returns 1 if the channel is gone. */
static int kick_one(struct client *c, struct channel *ch, const char *nick, const char *reason)
{
	struct client *t = client_find(nick);
	if (!t) {
		send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", nick);
		return 0;
	}
	if (!channel_member(ch, t)) {
		send_numeric(c, ERR_USERNOTINCHANNEL, "%s %s :They aren't on that channel", t->nick, ch->name);
		return 0;
	}
	char name[CHAN_MAX + 1];
	snprintf(name, sizeof name, "%s", ch->name);
	struct event ev = { .type = EV_KICK, .uid = c->uid, .u_hint = c, .target = t->uid, .t_hint = t,
	                    .chan = name, .ch_hint = ch, .text = reason };
	event_emit(&ev);
	return channel_find(name) == NULL;
}

HANDLER(cmd_kick)
{
	char *chans = m->params[0], *nicks = m->params[1], *name, *nick;
	/* RFC 2812: one channel and a list of users, or as many channels as
	 * users, paired in order */
	size_t nch = 1, nn = 1;
	for (const char *p = chans; *p; p++)
		nch += *p == ',';
	for (const char *p = nicks; *p; p++)
		nn += *p == ',';
	if (nch > 1 && nch != nn) {
		send_needmore(c, "KICK");
		return;
	}
	char reason[400];
	snprintf(reason, sizeof reason, "%.*s", srv.cfg.kicklen,
	         m->nparams > 2 && m->params[2][0] ? m->params[2] : c->nick);
	if (nch == 1) {
		struct channel *ch = kick_channel(c, chans);
		while (ch && (nick = msg_next_item(&nicks)))
			if (kick_one(c, ch, nick, reason))
				return;  /* the channel is gone */
		return;
	}
	while ((name = msg_next_item(&chans)) && (nick = msg_next_item(&nicks))) {
		struct channel *ch = kick_channel(c, name);
		if (ch)
			kick_one(c, ch, nick, reason);
	}
}

HANDLER(cmd_invite)
{
	struct client *t = client_find(m->params[0]);
	if (!t || !client_registered(t)) {
		send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", m->params[0]);
		return;
	}
	struct channel *ch = channel_find_for(m->params[1], c);
	if (!ch) {
		send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", m->params[1]);
		return;
	}
	struct member *me = channel_member(ch, c);
	if (!me) {
		send_numeric(c, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
		return;
	}
	if (channel_member(ch, t)) {
		send_numeric(c, ERR_USERONCHANNEL, "%s %s :is already on channel", t->nick, ch->name);
		return;
	}
	if (ch->modes & CMODE_INVITE && !(me->modes & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
		return;
	}
	send_numeric(c, RPL_INVITING, "%s %s", t->nick, ch->name);
	if (t->away)
		send_numeric(c, RPL_AWAY, "%s :%s", t->nick, t->away);
	struct event ev = { .type = EV_INVITE, .uid = c->uid, .u_hint = c, .target = t->uid, .t_hint = t,
	                    .chan = ch->name, .ch_hint = ch };
	event_emit(&ev);
}
