/* ts6_out.c - the burst and applied state events, as TS6 lines for
 * services (see ts6.h). Users are named by UID; every line's source is the
 * acting user's UID or our SID. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "event.h"
#include "node.h"
#include "server.h"
#include "ts6.h"

#define SJOIN_ROOM 400   /* member list bytes per SJOIN / masks per BMASK */

static int is_theirs(const char *uid)
{
	return uid && strncmp(uid, ts6_peer_sid, 3) == 0;
}

static const char *src(const struct event *ev)
{
	return ev->uid ? ev->uid : srv.cfg.sid;
}

static long long chan_ts(const char *name)
{
	struct channel *ch = channel_find(name);
	return ch ? (long long)ch->created : (long long)time(NULL);
}

static void umode_string(const struct client *u, char *buf)
{
	char *p = buf;
	*p++ = '+';
	if (u->umodes & UMODE_INVISIBLE)
		*p++ = 'i';
	if (u->umodes & UMODE_WALLOPS)
		*p++ = 'w';
	if (u->umodes & UMODE_OPER)
		*p++ = 'o';
	*p = '\0';
}

static void send_euid(const struct client *u)
{
	char modes[8];
	umode_string(u, modes);
	/* ip: we keep the address as the host; "0" when it is a name */
	ts6_send(":%.3s EUID %s 1 %lld %s %s %s %s %s * %s :%s", u->uid, u->nick, (long long)u->signon, modes,
	         u->user, u->host, strchr(u->host, '.') || strchr(u->host, ':') ? u->host : "0", u->uid,
	         u->account ? u->account : "*", u->realname ? u->realname : "");
	/* as solanum: for NickServ CERT and services' idea of who is who */
	if (u->certfp)
		ts6_send(":%s ENCAP * CERTFP :%s", u->uid, u->certfp);
}

/* A channel's modes as TS6 "+ntk key" without the member statuses. */
static void send_sjoin_and_lists(struct channel *ch)
{
	char modes[128];
	channel_mode_string(ch, 1, modes, sizeof modes);
	char list[SJOIN_ROOM + 64];
	size_t len = 0;
	for (struct member *m = ch->members; m; m = m->cnext) {
		if (is_theirs(m->cl->uid))
			continue;   /* theirs: they know */
		const char *st = m->modes & MEMBER_OP ? (m->modes & MEMBER_VOICE ? "@+" : "@")
		                 : m->modes & MEMBER_VOICE ? "+" : "";
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s%s", len ? " " : "", st, m->cl->uid);
		if (len > SJOIN_ROOM) {
			ts6_send(":%s SJOIN %lld %s %s :%s", srv.cfg.sid, (long long)ch->created, ch->name, modes, list);
			len = 0;
		}
	}
	if (len)
		ts6_send(":%s SJOIN %lld %s %s :%s", srv.cfg.sid, (long long)ch->created, ch->name, modes, list);
	for (const char *l = CHAN_LIST_MODES; *l; l++) {
		len = 0;
		for (const struct ban *b = channel_list_head(ch, *l); b; b = b->next) {
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? " " : "", b->mask);
			if (len > SJOIN_ROOM || !b->next) {
				ts6_send(":%s BMASK %lld %s %c :%s", srv.cfg.sid, (long long)ch->created, ch->name, *l, list);
				len = 0;
			}
		}
	}
	if (ch->topic)
		ts6_send(":%s TB %s %lld %s :%s", srv.cfg.sid, ch->name, (long long)ch->topic_time,
		         ch->topic_by ? ch->topic_by : srv.cfg.name, ch->topic);
}

void ts6_out_burst(void)
{
	/* other ircmini nodes of a cluster are servers behind us */
	for (struct node *n = srv.nodes; n; n = n->next)
		if (n != srv.me && strcmp(n->sid, ts6_peer_sid) != 0)
			ts6_send(":%s SID %s 2 %s :%s", srv.cfg.sid, n->name, n->sid, n->description);
	for (struct client *u = srv.nicks; u; u = u->hh.next)
		if (client_registered(u) && !is_theirs(u->uid))
			send_euid(u);
	for (struct channel *ch = srv.channels; ch; ch = ch->hh.next)
		send_sjoin_and_lists(ch);
	/* end of burst: services answer with PONG */
	ts6_send(":%s PING %s %s", srv.cfg.sid, srv.cfg.name, ts6_peer_name);
}

/* Is one of services' users on the channel? (Only then do they care about
 * what is said there: fantasy commands.) */
static int services_on(const char *chan)
{
	struct channel *ch = channel_find(chan);
	for (struct member *m = ch ? ch->members : NULL; m; m = m->cnext)
		if (is_theirs(m->cl->uid))
			return 1;
	return 0;
}

static void send_cmode(const struct event *ev)
{
	char line[MSG_MAXLINE];
	int n = snprintf(line, sizeof line, ":%s TMODE %lld %s %s", src(ev), chan_ts(ev->chan), ev->chan,
	                 ev->args[0]);
	for (int i = 1; i < ev->nargs && n > 0 && (size_t)n < sizeof line; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s", ev->args[i]);
	ts6_send("%s", line);
}

void ts6_event(const struct event *ev)
{
	if (!ts6_linked() || (ev->node && strcmp(ev->node, ts6_peer_name) == 0))
		return;   /* no link, or services' own doing: they know */
	switch (ev->type) {
	case EV_USER: {
		struct client *u = client_find_uid(ev->uid, 0);
		if (u)
			send_euid(u);
		break;
	}
	case EV_NICK:
		ts6_send(":%s NICK %s :%lld", ev->uid, ev->args[0], (long long)(ev->ts ? ev->ts : time(NULL)));
		break;
	case EV_JOIN: {
		/* a creator's op travels in an SJOIN; a plain JOIN carries none */
		struct channel *ch = channel_find(ev->chan);
		struct client *u = client_find_uid(ev->uid, 0);
		struct member *m = ch && u ? channel_member(ch, u) : NULL;
		if (m && m->modes) {
			char modes[64];
			channel_mode_string(ch, 1, modes, sizeof modes);
			ts6_send(":%s SJOIN %lld %s %s :%s%s%s", srv.cfg.sid, (long long)ch->created, ch->name, modes,
			         m->modes & MEMBER_OP ? "@" : "", m->modes & MEMBER_VOICE ? "+" : "", ev->uid);
		} else {
			ts6_send(":%s JOIN %lld %s +", ev->uid, chan_ts(ev->chan), ev->chan);
		}
		break;
	}
	case EV_PART:
		ts6_send(":%s PART %s :%s", ev->uid, ev->chan, ev->text ? ev->text : "");
		break;
	case EV_KICK:
		ts6_send(":%s KICK %s %s :%s", src(ev), ev->chan, ev->target, ev->text ? ev->text : "");
		break;
	case EV_QUIT:
		ts6_send(":%s QUIT :%s", ev->uid, ev->text ? ev->text : "");
		break;
	case EV_KILL:
		ts6_send(":%s KILL %s :%s (%s)", src(ev), ev->target, srv.cfg.name, ev->text ? ev->text : "");
		break;
	case EV_CMODE:
		if (ev->nargs > 0)
			send_cmode(ev);
		break;
	case EV_UMODE:
		ts6_send(":%s MODE %s :%s", ev->uid, ev->uid, ev->args[0]);
		break;
	case EV_OPER:
		ts6_send(":%s MODE %s :+o", ev->uid, ev->uid);
		break;
	case EV_TOPIC:
		if (ev->uid)
			ts6_send(":%s TOPIC %s :%s", ev->uid, ev->chan, ev->text ? ev->text : "");
		break;
	case EV_AWAY:
		if (ev->text)
			ts6_send(":%s AWAY :%s", ev->uid, ev->text);
		else
			ts6_send(":%s AWAY", ev->uid);
		break;
	case EV_INVITE:
		ts6_send(":%s INVITE %s %s %lld", src(ev), ev->target, ev->chan, chan_ts(ev->chan));
		break;
	case EV_PRIVMSG:
	case EV_NOTICE: {
		const char *cmd = ev->type == EV_PRIVMSG ? "PRIVMSG" : "NOTICE";
		if (ev->chan ? services_on(ev->chan) : is_theirs(ev->target))
			ts6_send(":%s %s %s :%s", src(ev), cmd, ev->chan ? ev->chan : ev->target, ev->text);
		break;
	}
	case EV_LOGIN:
		/* a login services did not make (SASL carried into registration
		 * is theirs too, but the EUID went out without it) */
		if (ev->nargs > 0)
			ts6_send(":%s ENCAP * LOGIN %s", ev->target ? ev->target : ev->uid, ev->args[0]);
		break;
	case EV_NODE_UP:
		if (ev->nargs >= 3 && strcmp(ev->args[0], srv.cfg.name) != 0)
			ts6_send(":%s SID %s 2 %s :%s", srv.cfg.sid, ev->args[0], ev->args[1], ev->args[2]);
		break;
	case EV_NODE_LOST: {
		struct node *n = ev->nargs > 0 ? node_find(ev->args[0]) : NULL;
		if (n)
			ts6_send(":%s SQUIT %s :%s", srv.cfg.sid, n->sid, ev->text ? ev->text : "lost");
		break;
	}
	default:
		break;   /* SETNAME, TAGMSG, CHGHOST, CHANTS: nothing services track */
	}
}
