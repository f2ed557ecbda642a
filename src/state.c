/* state.c - see state.h. Users, nodes and messages; channels are in
 * state_chan.c, snapshots in state_snap.c. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "node.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "state_int.h"
#include "ts6.h"

static const char *const type_name[EV_TYPE_MAX] = {
	[EV_USER] = "USER", [EV_NICK] = "NICK", [EV_JOIN] = "JOIN", [EV_PART] = "PART",
	[EV_KICK] = "KICK", [EV_QUIT] = "QUIT", [EV_KILL] = "KILL", [EV_CMODE] = "CMODE",
	[EV_UMODE] = "UMODE", [EV_TOPIC] = "TOPIC", [EV_AWAY] = "AWAY", [EV_SETNAME] = "SETNAME",
	[EV_INVITE] = "INVITE", [EV_PRIVMSG] = "PRIVMSG", [EV_NOTICE] = "NOTICE",
	[EV_TAGMSG] = "TAGMSG", [EV_OPER] = "OPER", [EV_NODE_UP] = "NODE_UP",
	[EV_NODE_LOST] = "NODE_LOST", [EV_LOGIN] = "LOGIN", [EV_CHGHOST] = "CHGHOST",
	[EV_CHANTS] = "CHANTS", [EV_WALLOPS] = "WALLOPS",
};

static const char *tname(const struct event *ev)
{
	return ev->type < EV_TYPE_MAX && type_name[ev->type] ? type_name[ev->type] : "?";
}

struct client *state_user(const struct event *ev, const char *uid)
{
	if (uid == ev->uid && ev->u_hint)
		return ev->u_hint;
	if (uid == ev->target && ev->t_hint)
		return ev->t_hint;
	struct client *u = client_find_uid(uid, 0);
	if (!u)
		log_debug("state: %s from %s: no user %s, dropped", tname(ev), ev->node ? ev->node : "?",
		          uid ? uid : "(none)");
	return u;
}

const char *state_source(const struct event *ev, const struct client *u, char *buf, size_t len)
{
	if (u)
		return client_mask(u, buf, len);
	snprintf(buf, len, "%s", ev->node ? ev->node : srv.cfg.name);
	return buf;
}

/* A nick from another node: the codec bounds it; we keep it one word. */
static int nick_sane(const char *nick)
{
	size_t n = nick ? strlen(nick) : 0;
	return n > 0 && n <= NICK_MAX && !strpbrk(nick, " ,*?!@:#") && nick[0] != '$';
}

/* A local unregistered client's nick was taken by a registered user. */
static void lose_nick(struct client *u)
{
	send_numeric(u, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", u->nick);
	client_drop_nick(u);
	u->nick[0] = '\0';
	u->reg &= (uint8_t)~REG_NICK;
}

/* May u take nick? Not when another registered user holds it; a local
 * unregistered holder loses it (it is not network state). */
static int claim_nick(struct client *u, const char *nick)
{
	struct client *cur = client_find(nick);
	if (cur && cur != u) {
		if (client_registered(cur))
			return 0;
		lose_nick(cur);
	}
	return 1;
}

static uint8_t parse_umodes(const char *s)
{
	uint8_t m = 0;
	for (; s && *s; s++)
		m |= *s == 'i' ? UMODE_INVISIBLE : *s == 'w' ? UMODE_WALLOPS : *s == 'o' ? UMODE_OPER : 0;
	return m;
}

static void count_modes(uint8_t modes, int d)
{
	if (modes & UMODE_INVISIBLE)
		srv.invisible += (unsigned)d;
	if (modes & UMODE_OPER)
		srv.opers += (unsigned)d;
}

static void apply_user(const struct event *ev)
{
	if (!ev->uid || strlen(ev->uid) != UID_LEN || ev->nargs < 3 || !nick_sane(ev->args[0])) {
		log_warn("state: malformed USER from %s, dropped", ev->node ? ev->node : "?");
		return;
	}
	const char *nick = ev->args[0];
	struct node *n = node_find_sid(ev->uid);
	struct client *u = ev->u_hint ? ev->u_hint : client_find_uid(ev->uid, 1);
	if (!n || (u && client_registered(u)) || (n == srv.me) != (u != NULL)) {
		/* unknown server, a repeat, or a local client gone before it */
		log_debug("state: USER %s (%s) dropped", ev->uid, nick);
		return;
	}
	if (!claim_nick(u, nick)) {
		log_info("state: USER %s refused: nick %s is in use", ev->uid, nick);
		if (u) {
			/* stays unregistered and must pick another nick */
			u->reg &= (uint8_t)~(REG_PENDING | REG_NICK);
			send_numeric(u, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", nick);
			client_drop_nick(u);
			u->nick[0] = '\0';
		}
		return;
	}
	if (!u) {
		if (!(u = calloc(1, sizeof *u))) {
			log_error("state: out of memory for USER %s", ev->uid);
			return;
		}
		u->remote = 1;
		memcpy(u->uid, ev->uid, UID_LEN + 1);
		client_add_uid(u);
		snprintf(u->user, sizeof u->user, "%s", ev->args[1]);
		snprintf(u->host, sizeof u->host, "%s", ev->args[2]);
		/* the real address (for opers), when the origin shares it */
		/* kept binary, as for local users (client_ip makes the text) */
		if (ev->nargs <= 4 || netaddr_parse(&u->addr, ev->args[4][0] == '0' && ev->args[4][1] == ':' ?
		                                                 ev->args[4] + 1 : ev->args[4]) < 0)
			memset(&u->addr, 0, sizeof u->addr);
		u->realname = realname_dup(ev->text ? ev->text : "");
		u->reg = REG_NICK | REG_USER;
		if (ev->nargs > 5)
			u->certfp = strdup(ev->args[5]);   /* out of memory: as if none */
	}
	if (!u->key[0] || strcmp(u->nick, nick) != 0)
		client_set_nick(u, nick);   /* a new user, or a local one that lost it */
	u->node = n;
	u->umodes = parse_umodes(ev->nargs > 3 ? ev->args[3] : NULL);
	u->reg = (uint8_t)((u->reg | REG_NICK | REG_USER | REG_DONE) & ~REG_PENDING);
	u->signon = u->last_msg = (time_t)(ev->ts ? ev->ts : ev->time_ms / 1000);
	srv.users++;
	n->users++;
	count_modes(u->umodes, 1);
	if (srv.me->users > srv.max_users)
		srv.max_users = srv.me->users;
	if (srv.users > srv.max_global)
		srv.max_global = srv.users;
	if (!u->remote)
		client_welcome(u);
}

static void apply_nick(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	if (!u)
		return;
	if (ev->nargs < 1 || !nick_sane(ev->args[0])) {
		log_warn("state: malformed NICK from %s, dropped", ev->node ? ev->node : "?");
		return;
	}
	const char *nick = ev->args[0];
	if (!claim_nick(u, nick)) {
		/* someone took it first: the rename is refused everywhere */
		send_numeric(u, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", nick);
		return;
	}
	if (strcmp(nick, u->nick) == 0)
		return;
	/* the old mask is the source; the user and every peer see it once */
	struct sbuf *b = line_new(":%s NICK :%s", client_mask(u, mask, sizeof mask), nick);
	whowas_add(u);
	client_set_nick(u, nick);
	send_to_peers(u, b, 1, u->account);
	if (b)
		sbuf_unref(b);
}

void state_user_remove(struct client *u, const char *reason, int quiet)
{
	char mask[160];
	if (!quiet) {
		struct sbuf *b = line_new(":%s QUIT :%s", client_mask(u, mask, sizeof mask), reason);
		send_to_peers(u, b, 0, u->account);
		if (b)
			sbuf_unref(b);
		whowas_add(u);
	}
	srv.users--;
	if (u->node)
		u->node->users--;
	count_modes(u->umodes, -1);
	while (u->chans)
		channel_remove(u->chans->chan, u);
	channel_forget_invites(u);
	client_drop_nick(u);
	client_drop_uid(u);
	u->reg &= (uint8_t)~REG_DONE;
	if (u->remote || u->detached)
		client_free(u);
}

static void apply_kill(const struct event *ev)
{
	char mask[160], reason[400];
	struct client *t = state_user(ev, ev->target);
	struct client *k = ev->uid ? state_user(ev, ev->uid) : NULL;
	if (!t || (ev->uid && !k))
		return;
	const char *why = ev->text && ev->text[0] ? ev->text : "No reason";
	struct fanout f;
	fanout_init(&f, line_new(":%s KILL %s :%s", state_source(ev, k, mask, sizeof mask), t->nick, why));
	f.account = k ? k->account : NULL;
	fanout_to(&f, t);
	fanout_done(&f);
	snprintf(reason, sizeof reason, "Killed (%s (%s))", k ? k->nick : ev->node ? ev->node : srv.cfg.name, why);
	client_exit(t, reason);   /* a local one hears ERROR; its socket closes later */
	state_user_remove(t, reason, 0);
}

static void apply_umode(const struct event *ev)
{
	char mask[160], added[8] = "", removed[8] = "";
	struct client *u = state_user(ev, ev->uid);
	if (!u || ev->nargs < 1)
		return;
	size_t na = 0, nr = 0;
	int plus = 1;
	for (const char *p = ev->args[0]; *p; p++) {
		uint8_t bit = 0;
		switch (*p) {
		case '+': plus = 1; continue;
		case '-': plus = 0; continue;
		case 'i': bit = UMODE_INVISIBLE; break;
		case 'w': bit = UMODE_WALLOPS; break;
		case 'o': bit = plus ? 0 : UMODE_OPER; break;   /* +o only through OPER */
		default: break;
		}
		if (!bit)
			continue;
		if (plus && !(u->umodes & bit)) {
			u->umodes |= bit;
			count_modes(bit, 1);
			if (na < 6) added[na++] = *p;
		} else if (!plus && u->umodes & bit) {
			u->umodes &= (uint8_t)~bit;
			count_modes(bit, -1);
			if (nr < 6) removed[nr++] = *p;
		}
	}
	added[na] = removed[nr] = '\0';
	if (na || nr)
		send_line(u, ":%s MODE %s :%s%s%s%s", client_mask(u, mask, sizeof mask), u->nick, na ? "+" : "",
		          added, nr ? "-" : "", removed);
}

static void apply_oper(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	if (!u)
		return;
	if (!(u->umodes & UMODE_OPER)) {
		u->umodes |= UMODE_OPER;
		srv.opers++;
	}
	send_numeric(u, RPL_YOUREOPER, ":You are now an IRC operator");
	send_line(u, ":%s MODE %s :+o", client_mask(u, mask, sizeof mask), u->nick);
}

static void apply_away(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	if (!u)
		return;
	int was_away = u->away != NULL;
	free(u->away);
	u->away = ev->text && ev->text[0] ? strdup(ev->text) : NULL;
	if (!was_away && !u->away)
		return;
	/* away-notify: peers with the cap hear of every set, change and removal */
	struct fanout f;
	client_mask(u, mask, sizeof mask);
	fanout_init(&f, u->away ? line_new(":%s AWAY :%s", mask, u->away) : line_new(":%s AWAY", mask));
	f.need = CAP_AWAY_NOTIFY;
	f.account = u->account;
	fanout_peers(&f, u, 0);
	fanout_done(&f);
}

static void apply_setname(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	if (!u || !ev->text || !ev->text[0])
		return;
	char *copy = realname_dup(ev->text);
	if (!copy)
		return;
	free(u->realname);
	u->realname = copy;
	struct fanout f;
	fanout_init(&f, line_new(":%s SETNAME :%s", client_mask(u, mask, sizeof mask), copy));
	f.need = CAP_SETNAME;
	f.account = u->account;
	fanout_peers(&f, u, 1);
	fanout_done(&f);
}

/* "msgid=ID[;client tags]" into buf: ID is the stream entry ID when the
 * cluster gave one, else "<start time>-<sequence>" in hex. By hand, not
 * snprintf: it runs for every message and %llx cost more than the rest of
 * building the line. */
static const char *msgid_tags(char *buf, size_t cap, const char *id, const char *ctags)
{
	static unsigned long long seq;
	static char prefix[40];
	static size_t plen;
	static time_t prefix_of = -1;
	size_t n;
	if (id) {
		n = (size_t)snprintf(buf, cap, "msgid=%s", id);
	} else {
		if (prefix_of != srv.started) {
			plen = (size_t)snprintf(prefix, sizeof prefix, "msgid=%llx-", (unsigned long long)srv.started);
			prefix_of = srv.started;
		}
		memcpy(buf, prefix, plen);
		char hex[16];
		int k = 0;
		unsigned long long v = ++seq;
		do
			hex[k++] = "0123456789abcdef"[v & 15];
		while ((v >>= 4) && k < 16);
		n = plen;
		while (k)
			buf[n++] = hex[--k];
	}
	size_t cl = ctags ? strlen(ctags) : 0;
	if (cl && n + 1 + cl < cap) {
		buf[n++] = ';';
		memcpy(buf + n, ctags, cl);
		n += cl;
	}
	buf[n < cap ? n : cap - 1] = '\0';
	return buf;
}

/* PRIVMSG, NOTICE, TAGMSG to a channel or a user. */
static void apply_message(const struct event *ev)
{
	static const char *const cmds[] = { [EV_PRIVMSG] = "PRIVMSG", [EV_NOTICE] = "NOTICE", [EV_TAGMSG] = "TAGMSG" };
	char mask[160], tagbuf[4096 + 96];
	struct client *from = ev->uid ? state_user(ev, ev->uid) : NULL;
	if (ev->uid && !from)
		return;
	const char *text = ev->type == EV_TAGMSG ? NULL : ev->text;
	if (ev->type != EV_TAGMSG && !text)
		return;
	struct channel *ch = NULL;
	struct client *to = NULL;
	if (ev->chan) {
		if (!(ch = ev->ch_hint ? ev->ch_hint : channel_find(ev->chan)))
			return;
	} else if (!(to = state_user(ev, ev->target))) {
		return;
	}
	const char *cmd = cmds[ev->type], *target = ch ? ch->name : to->nick;
	state_source(ev, from, mask, sizeof mask);
	struct fanout f;
	fanout_init(&f, text ? line_new(":%s %s %s :%s", mask, cmd, target, text)
	                     : line_new(":%s %s %s", mask, cmd, target));
	/* IRCv3 message-ids: one id per target, shared by all the copies (echo
	 * included); in a cluster the stream entry ID, the same on every node */
	f.ctags = msgid_tags(tagbuf, sizeof tagbuf, ev->id, ev->tags);
	f.need = ev->type == EV_TAGMSG ? CAP_MESSAGE_TAGS : 0;
	f.account = from ? from->account : NULL;   /* account-tag */
	f.time_ms = ev->time_ms;
	int echo = from && !from->remote && from->caps & CAP_ECHO_MESSAGE;
	if (ch)
		fanout_channel(&f, ch, from);
	else if (to == from && echo)
		fanout_to_unlabeled(&f, to);  /* the echo below is the labeled reply */
	else
		fanout_to(&f, to);
	if (echo)
		fanout_to(&f, from);
	fanout_done(&f);
}

static void apply_node_up(const struct event *ev)
{
	if (ev->nargs < 2 || !ev->args[0][0] || !config_sid_valid(ev->args[1]) ||
	    !node_up(ev->args[0], ev->args[1], ev->nargs > 2 ? ev->args[2] : "", ev->ts))
		log_warn("state: NODE_UP %s refused (malformed, or its SID is another node's)",
		         ev->nargs > 0 ? ev->args[0] : "?");
}

static void apply_node_lost(const struct event *ev)
{
	char reason[200];
	struct node *n = ev->nargs > 0 ? node_find(ev->args[0]) : NULL;
	if (!n) {
		log_debug("state: NODE_LOST of an unknown node, dropped");
		return;
	}
	if (ev->text && ev->text[0])
		snprintf(reason, sizeof reason, "%s", ev->text);
	else
		snprintf(reason, sizeof reason, "%s lost", n->name);
	log_warn("state: node %s lost: %u users quit", n->name, n->users);
	struct client *u, *tmp;
	HASH_ITER(hh_uid, srv.uids, u, tmp) {
		if (u->node != n || !client_registered(u))
			continue;
		client_exit(u, reason);
		state_user_remove(u, reason, 0);
	}
	node_remove(n);
}

/* Services log a user in (args[0]) or out (no args). */
static void apply_login(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->target ? ev->target : ev->uid);
	if (!u)
		return;
	const char *acct = ev->nargs > 0 && ev->args[0][0] ? ev->args[0] : NULL;
	if (acct ? u->account && strcmp(acct, u->account) == 0 : !u->account)
		return;
	char *copy = acct ? strdup(acct) : NULL;
	if (acct && !copy)
		return;
	free(u->account);
	u->account = copy;
	client_mask(u, mask, sizeof mask);
	/* account-notify: the user and every peer with the cap */
	struct fanout f;
	fanout_init(&f, line_new(":%s ACCOUNT %s", mask, acct ? acct : "*"));
	f.need = CAP_ACCOUNT_NOTIFY;
	f.account = u->account;
	fanout_peers(&f, u, 1);
	fanout_done(&f);
	if (u->remote)
		return;
	if (acct)
		send_numeric(u, RPL_LOGGEDIN, "%s %s :You are now logged in as %s", mask, acct, acct);
	else
		send_numeric(u, RPL_LOGGEDOUT, "%s :You are now logged out", mask);
}

/* A services vhost: WHOIS, WHO and new lines show it; peers with the
 * chghost cap are told (from the old mask), the user gets 396 as
 * solanum sends it. Peers without the cap see the new host on the
 * user's next line (no QUIT/JOIN dance: it would look like a netsplit). */
static void apply_chghost(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->target);
	if (!u || ev->nargs < 1 || !ev->args[0][0] || strlen(ev->args[0]) > HOST_MAX || strpbrk(ev->args[0], " !@"))
		return;
	if (strcmp(u->host, ev->args[0]) == 0)
		return;
	client_mask(u, mask, sizeof mask);
	snprintf(u->host, sizeof u->host, "%s", ev->args[0]);
	struct fanout f;
	fanout_init(&f, line_new(":%s CHGHOST %s %s", mask, u->user, u->host));
	f.need = CAP_CHGHOST;
	f.account = u->account;
	fanout_peers(&f, u, 1);
	fanout_done(&f);
	if (!u->remote)
		send_numeric(u, RPL_HOSTHIDDEN, "%s :is now your displayed host", u->host);
}

/* Every local user with +w and every local operator: each node reaches
 * its own, so the whole network hears it once. */
static void apply_wallops(const struct event *ev)
{
	char mask[160];
	const char *from, *account = NULL;
	if (ev->uid) {
		struct client *u = state_user(ev, ev->uid);
		if (!u)
			return;
		from = client_mask(u, mask, sizeof mask);
		account = u->account;
	} else if (ev->nargs > 0 && ev->args[0][0]) {
		from = ev->args[0];
	} else {
		return;
	}
	struct fanout f;
	fanout_init(&f, line_new(":%s WALLOPS :%s", from, ev->text ? ev->text : ""));
	f.account = account;
	struct client *t, *tmp;
	HASH_ITER(hh, srv.nicks, t, tmp)
		if (!t->remote && client_registered(t) && t->umodes & (UMODE_WALLOPS | UMODE_OPER))
			fanout_to(&f, t);
	fanout_done(&f);
}

void state_apply(const struct event *ev)
{
	if (!ev || ev->type <= EV_INVALID || ev->type >= EV_TYPE_MAX || !type_name[ev->type]) {
		log_warn("state: event of unknown type %d dropped", ev ? ev->type : -1);
		return;
	}
	/* labeled-response: a label still works when the event comes back
	 * later (cluster); on one node the command's label is already held */
	struct client *origin = !ev->label || ev->type == EV_QUIT ? NULL
	                        : ev->u_hint ? ev->u_hint : client_find_uid(ev->uid, 1);
	int labeled = origin && send_label_begin(origin, ev->label);
	/* the services link hears of every change: of a removal before it
	 * (its uid strings and the node go with it), of the rest after */
	int removes = ev->type == EV_QUIT || ev->type == EV_KILL || ev->type == EV_NODE_LOST;
	if (removes)
		ts6_event(ev);
	switch (ev->type) {
	case EV_USER: apply_user(ev); break;
	case EV_NICK: apply_nick(ev); break;
	case EV_JOIN: state_join(ev); break;
	case EV_PART: state_part(ev); break;
	case EV_KICK: state_kick(ev); break;
	case EV_QUIT: {
		struct client *u = state_user(ev, ev->uid);
		if (u)
			state_user_remove(u, ev->text ? ev->text : "Client Quit", 0);
		break;
	}
	case EV_KILL: apply_kill(ev); break;
	case EV_CMODE: state_cmode(ev); break;
	case EV_UMODE: apply_umode(ev); break;
	case EV_TOPIC: state_topic(ev); break;
	case EV_AWAY: apply_away(ev); break;
	case EV_SETNAME: apply_setname(ev); break;
	case EV_INVITE: state_invite(ev); break;
	case EV_PRIVMSG:
	case EV_NOTICE:
	case EV_TAGMSG: apply_message(ev); break;
	case EV_OPER: apply_oper(ev); break;
	case EV_NODE_UP: apply_node_up(ev); break;
	case EV_NODE_LOST: apply_node_lost(ev); break;
	case EV_LOGIN: apply_login(ev); break;
	case EV_CHGHOST: apply_chghost(ev); break;
	case EV_CHANTS: state_chants(ev); break;
	case EV_WALLOPS: apply_wallops(ev); break;
	default: break;
	}
	if (!removes)
		ts6_event(ev);   /* the services link hears of every change */
	if (labeled)
		send_label_end(origin);
}
