/* ts6_in.c - TS6 lines from services become state events (see ts6.h).
 *
 * Services speak for their own pseudo-users (UIDs with their SID) and for
 * their server; they may act on our users only through the commands meant
 * for it (KILL, KICK, TMODE, SU, SVSLOGIN, RSFNC, CHGHOST). A line that
 * names a user or channel we do not know, or speaks for one of our users,
 * is logged and dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "log.h"
#include "node.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "ts6.h"
#include "event.h"

#define MODE_PARAMS (EV_MAXARGS - 1)   /* params per EV_CMODE */

/* The event goes out as services' (its source is their server). */
static void emit(struct event *ev)
{
	ev->node = ts6_peer_name;
	event_emit(ev);
}

static void drop(const struct ts6_msg *m, const char *why)
{
	(void)m;
	log_warn("services link: line dropped: %s", why);
}

static int is_theirs(const char *uid)
{
	return uid && strncmp(uid, ts6_peer_sid, 3) == 0;
}

struct client *ts6_local_uid(const char *uid)
{
	struct client *c = client_find_uid(uid, 1);
	return c && !c->remote ? c : NULL;
}

/* The user a services line speaks for: one of theirs, registered. */
static struct client *their_user(const struct ts6_msg *m)
{
	if (m->src_kind != T6S_USER || !is_theirs(m->src))
		return NULL;
	return client_find_uid(m->src, 0);
}

/* The acting UID of a line: a pseudo-user of theirs, or NULL for their
 * server. -1 when it names anyone else. */
static int actor(const struct ts6_msg *m, const char **uid)
{
	*uid = NULL;
	if (m->src_kind == T6S_SERVER)
		return strcmp(m->src, ts6_peer_sid) == 0 || strcasecmp(m->src, ts6_peer_name) == 0 ? 0 : -1;
	if (!their_user(m))
		return -1;
	*uid = m->src;
	return 0;
}

/* ---- users */

/* A nick collision (TS6): the older nick TS wins, equal both lose. Returns
 * 1 when the newcomer may take the nick (the holder was killed). */
static int collide(struct client *holder, int64_t ts, const char *newuid)
{
	int64_t held = (int64_t)holder->signon;
	int newcomer_loses = ts >= held, holder_loses = ts <= held;
	log_info("services link: nick collision on %s (%s TS %lld vs %s TS %lld)", holder->nick, holder->uid,
	         (long long)held, newuid, (long long)ts);
	if (newcomer_loses)
		ts6_send(":%s KILL %s :%s (Nick collision)", srv.cfg.sid, newuid, srv.cfg.name);
	if (holder_loses) {
		struct event ev = { .type = EV_KILL, .target = holder->uid, .text = "Nick collision" };
		if (is_theirs(holder->uid)) {
			ev.type = EV_QUIT;
			ev.uid = holder->uid;
			ev.target = NULL;
		}
		emit(&ev);
	}
	return !newcomer_loses;
}

/* EUID nick hop ts umodes user host ip uid realhost account :gecos
 * UID  nick hop ts umodes user host ip uid :gecos */
static void on_euid(const struct ts6_msg *m)
{
	const char *nick = m->args[0], *uid = m->args[7];
	if (!is_theirs(uid)) {
		drop(m, "EUID with another server's UID");
		return;
	}
	if (!nick_valid(nick)) {
		/* a nick we would not allow (too long for our nicklen): kill it */
		ts6_send(":%s KILL %s :%s (Bad nickname)", srv.cfg.sid, uid, srv.cfg.name);
		return;
	}
	struct client *holder = client_find(nick);
	if (holder && client_registered(holder) && !collide(holder, m->ts, uid))
		return;
	char umodes[8];
	size_t n = 0;
	for (const char *p = m->args[3]; *p && n < sizeof umodes - 1; p++)
		if (*p == '+' || *p == 'i' || *p == 'w' || *p == 'o')
			umodes[n++] = *p;
	umodes[n] = '\0';
	struct event ev = { .type = EV_USER, .uid = uid, .ts = m->ts, .text = m->args[m->nargs - 1],
	                    .nargs = 5, .args = { nick, m->args[4], m->args[5], umodes, m->args[6] } };
	emit(&ev);
	if (m->cmd == T6_EUID && strcmp(m->args[9], "*") != 0) {
		struct event login = { .type = EV_LOGIN, .target = uid, .nargs = 1, .args = { m->args[9] } };
		emit(&login);
	}
}

static void on_nick(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	const char *nick = m->args[0];
	if (!u) {
		drop(m, "NICK from an unknown user");
		return;
	}
	if (!nick_valid(nick)) {
		ts6_send(":%s KILL %s :%s (Bad nickname)", srv.cfg.sid, u->uid, srv.cfg.name);
		return;
	}
	struct client *holder = client_find(nick);
	if (holder && holder != u && client_registered(holder) && !collide(holder, m->ts, u->uid))
		return;
	struct event ev = { .type = EV_NICK, .uid = u->uid, .ts = m->ts, .nargs = 1, .args = { nick } };
	emit(&ev);
}

static void on_quit(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	if (!u) {
		drop(m, "QUIT from an unknown user");
		return;
	}
	struct event ev = { .type = EV_QUIT, .uid = u->uid, .text = m->nargs ? m->args[0] : "Quit" };
	emit(&ev);
}

static void on_kill(const struct ts6_msg *m)
{
	const char *by;
	struct client *t = client_find_uid(m->args[0], 0);
	if (actor(m, &by) < 0 || !t) {
		drop(m, "KILL by or of an unknown user");
		return;
	}
	/* the reason is "path (reason)"; users see the part in parentheses */
	const char *why = m->nargs > 1 ? m->args[1] : "";
	const char *paren = strchr(why, '(');
	char reason[300];
	snprintf(reason, sizeof reason, "%s", paren ? paren + 1 : why);
	size_t len = strlen(reason);
	if (paren && len && reason[len - 1] == ')')
		reason[len - 1] = '\0';
	struct event ev = { .type = EV_KILL, .uid = by, .target = t->uid, .text = reason };
	if (is_theirs(t->uid)) {   /* services dropping one of their own */
		ev.type = EV_QUIT;
		ev.uid = t->uid;
		ev.target = NULL;
	}
	emit(&ev);
}

static void on_away(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	if (!u)
		return;
	struct event ev = { .type = EV_AWAY, .uid = u->uid, .text = m->nargs && m->args[0][0] ? m->args[0] : NULL };
	emit(&ev);
}

/* Services announcing to operators (WALLOPS, or OPERWALL which ircmini
 * has no separate mode for): the same as an operator's WALLOPS. */
static void on_wallops(const struct ts6_msg *m)
{
	const char *uid;
	if (actor(m, &uid) < 0 || !m->args[0][0])
		return;
	struct event ev = { .type = EV_WALLOPS, .uid = uid, .text = m->args[0] };
	if (!uid)
		ev.nargs = 1, ev.args[0] = ts6_peer_name;
	emit(&ev);
}

/* ---- channels */

/* The channel TS rule shared by SJOIN and JOIN: returns 1 if their modes
 * and statuses count (their TS is not newer), 0 if only the members do. */
static int channel_ts_rule(const char *chan, int64_t ts)
{
	struct channel *ch = channel_find(chan);
	if (!ch || ts == (int64_t)ch->created)
		return 1;
	if (ts > (int64_t)ch->created)
		return 0;
	struct event ev = { .type = EV_CHANTS, .chan = chan, .ts = ts };
	emit(&ev);
	return 1;
}

static void emit_cmode(const char *uid, const char *chan, char *flags, size_t fl,
                       const char *const *args, int nargs)
{
	flags[fl] = '\0';
	struct event ev = { .type = EV_CMODE, .uid = uid, .chan = chan, .nargs = 1 + nargs };
	ev.args[0] = flags;
	memcpy(&ev.args[1], args, (size_t)nargs * sizeof args[0]);
	emit(&ev);
}

/* A TS6 mode string and its parameters, as EV_CMODE events: only the modes
 * ircmini has; o/v must name a user on the channel (apply checks). */
static void modes_to_events(const char *uid, const char *chan, const char *modes,
                            const char *const *params, int nparams)
{
	char flags[2 * MODE_PARAMS + 32];
	const char *args[MODE_PARAMS];
	int nargs = 0, pi = 0, plus = 1;
	size_t fl = 0;
	char last_sign = 0;
	for (const char *p = modes; *p; p++) {
		if (*p == '+' || *p == '-') {
			plus = *p == '+';
			continue;
		}
		int param = strchr("ovbeIqk", *p) || (plus && strchr("lfj", *p));
		const char *arg = param ? (pi < nparams ? params[pi++] : NULL) : NULL;
		if (param && !arg)
			break;
		if (!strchr("imnpstklbeIov", *p))
			continue;   /* a mode ircmini does not have (q, f, j, ...) */
		if (fl + 3 >= sizeof flags || nargs == MODE_PARAMS) {
			emit_cmode(uid, chan, flags, fl, args, nargs);
			fl = 0;
			nargs = 0;
			last_sign = 0;
		}
		char sign = plus ? '+' : '-';
		if (sign != last_sign)
			flags[fl++] = last_sign = sign;
		flags[fl++] = *p;
		/* -k takes its (ignored) key in TS6; ircmini's -k takes none */
		if (arg && !(*p == 'k' && !plus))
			args[nargs++] = arg;
	}
	if (fl)
		emit_cmode(uid, chan, flags, fl, args, nargs);
}

/* SJOIN ts #chan modes [params] :[@+]uid ... */
static void on_sjoin(const struct ts6_msg *m)
{
	const char *chan = m->args[1];
	if (!channel_name_valid(chan)) {
		drop(m, "SJOIN to a bad channel name");
		return;
	}
	int keep = channel_ts_rule(chan, m->ts);
	char list[MSG_MAXLINE], flags[2 * MODE_PARAMS + 2] = "+";
	const char *who[MODE_PARAMS];
	int nwho = 0;
	snprintf(list, sizeof list, "%s", m->args[m->nargs - 1]);
	for (char *save, *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *uid = tok + strspn(tok, "@+%");
		if (!is_theirs(uid) || !client_find_uid(uid, 0)) {
			log_warn("services link: SJOIN %s: member %s is not one of theirs, skipped", chan, uid);
			continue;
		}
		/* members join plain; their statuses follow as the server's MODE,
		 * so everyone sees them */
		struct event ev = { .type = EV_JOIN, .uid = uid, .chan = chan, .ts = m->ts,
		                    .nargs = 1, .args = { "" } };
		emit(&ev);
		for (const char *p = tok; keep && p < uid; p++) {
			if (*p == '%')
				continue;
			if (nwho == MODE_PARAMS) {
				modes_to_events(NULL, chan, flags, who, nwho);
				nwho = 0;
				flags[1] = '\0';
			}
			size_t fl = strlen(flags);
			flags[fl] = *p == '@' ? 'o' : 'v';
			flags[fl + 1] = '\0';
			who[nwho++] = uid;
		}
	}
	if (!keep)
		return;
	/* in a cluster the JOINs above are not applied yet: no lookups here */
	modes_to_events(NULL, chan, m->args[2], &m->args[3], m->nargs - 4);
	if (nwho)
		modes_to_events(NULL, chan, flags, who, nwho);
}

/* JOIN ts #chan + (one of their users) */
static void on_join(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	if (!u) {
		drop(m, "JOIN from an unknown user");
		return;
	}
	if (m->nargs < 2) {   /* JOIN 0: part everything */
		while (u->chans) {
			struct event ev = { .type = EV_PART, .uid = u->uid, .chan = u->chans->chan->name };
			struct member *before = u->chans;
			emit(&ev);
			if (u->chans == before)
				break;
		}
		return;
	}
	const char *chan = m->args[1];
	if (!channel_name_valid(chan))
		return;
	channel_ts_rule(chan, m->ts);
	struct event ev = { .type = EV_JOIN, .uid = u->uid, .chan = chan, .ts = m->ts,
	                    .nargs = 1, .args = { "" } };
	emit(&ev);
}

static void on_part(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	if (!u)
		return;
	char list[MSG_MAXLINE];
	snprintf(list, sizeof list, "%s", m->args[0]);
	for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct event ev = { .type = EV_PART, .uid = u->uid, .chan = tok,
		                    .text = m->nargs > 1 ? m->args[1] : NULL };
		emit(&ev);
	}
}

static void on_kick(const struct ts6_msg *m)
{
	const char *by;
	if (actor(m, &by) < 0) {
		drop(m, "KICK by an unknown user");
		return;
	}
	struct event ev = { .type = EV_KICK, .uid = by, .chan = m->args[0], .target = m->args[1],
	                    .text = m->nargs > 2 ? m->args[2] : NULL };
	emit(&ev);
}

/* TMODE ts #chan modes params / MODE #chan modes params / MODE uid :+modes */
static void on_mode(const struct ts6_msg *m)
{
	const char *by;
	if (actor(m, &by) < 0) {
		drop(m, "MODE by an unknown user");
		return;
	}
	int tmode = m->cmd == T6_TMODE;
	const char *target = m->args[tmode ? 1 : 0];
	if (!tmode && target[0] != '#') {
		/* a user mode: services change only their own users' */
		if (!by || strcmp(target, by) != 0)
			return;
		struct event ev = { .type = EV_UMODE, .uid = by, .nargs = 1, .args = { m->args[1] } };
		emit(&ev);
		return;
	}
	struct channel *ch = channel_find(target);
	if (!ch) {
		drop(m, "MODE on an unknown channel");
		return;
	}
	if (tmode && m->ts > (int64_t)ch->created)
		return;   /* for a newer incarnation of the channel: TS6 ignores it */
	int first = tmode ? 2 : 1;
	modes_to_events(by, ch->name, m->args[first], &m->args[first + 1], m->nargs - first - 1);
}

/* BMASK ts #chan b|e|I :masks (we send CAPAB EX IE: e and I come too) */
static void on_bmask(const struct ts6_msg *m)
{
	struct channel *ch = channel_find(m->args[1]);
	const char *type = m->args[2];
	if (!ch || m->ts > (int64_t)ch->created || !type[0] || type[1] || !strchr(CHAN_LIST_MODES, type[0]))
		return;
	char list[MSG_MAXLINE];
	const char *masks[MODE_PARAMS];
	int n = 0;
	snprintf(list, sizeof list, "%s", m->args[3]);
	char *save, *tok = strtok_r(list, " ", &save);
	while (tok || n) {
		if (tok)
			masks[n++] = tok;
		tok = tok ? strtok_r(NULL, " ", &save) : NULL;
		if (n == MODE_PARAMS || (!tok && n)) {
			char flags[MODE_PARAMS + 2] = "+";
			memset(flags + 1, type[0], (size_t)n);
			flags[n + 1] = '\0';
			modes_to_events(NULL, ch->name, flags, masks, n);
			n = 0;
		}
	}
}

/* TOPIC #chan :topic (user), TB #chan ts [setter] :topic, ETB cts #chan ts setter :topic */
static void on_topic(const struct ts6_msg *m)
{
	const char *by;
	if (actor(m, &by) < 0)
		return;
	const char *chan = m->args[m->cmd == T6_ETB ? 1 : 0];
	struct channel *ch = channel_find(chan);
	if (!ch)
		return;
	struct event ev = { .type = EV_TOPIC, .uid = by, .chan = ch->name, .text = m->args[m->nargs - 1] };
	if (m->cmd == T6_TB) {
		/* burst topic: only an older one replaces ours */
		if (ch->topic && m->ts >= (int64_t)ch->topic_time)
			return;
		ev.uid = NULL;
		ev.ts = m->ts;
		ev.nargs = 1;
		ev.args[0] = m->nargs > 3 ? m->args[2] : ts6_peer_name;
	} else if (m->cmd == T6_ETB) {
		ev.ts = m->ts;
		ev.nargs = 1;
		ev.args[0] = m->args[3];
	}
	emit(&ev);
}

static void on_invite(const struct ts6_msg *m)
{
	struct client *u = their_user(m);
	if (!u)
		return;
	struct event ev = { .type = EV_INVITE, .uid = u->uid, .target = m->args[0], .chan = m->args[1] };
	emit(&ev);
}

/* PRIVMSG/NOTICE target :text from a pseudo-user or their server. */
static void on_message(const struct ts6_msg *m)
{
	const char *by;
	if (actor(m, &by) < 0)
		return;
	const char *to = m->args[0];
	struct event ev = { .type = m->cmd == T6_NOTICE ? EV_NOTICE : EV_PRIVMSG, .uid = by,
	                    .text = m->args[1] };
	if (to[0] == '#') {
		ev.chan = to;
	} else {
		struct client *t = ts6_is_uid(to) ? client_find_uid(to, 0) : client_find(to);
		if (!t || !client_registered(t))
			return;   /* a $mask or a user that left */
		ev.target = t->uid;
	}
	emit(&ev);
}

static void on_chghost(const char *uid, const char *host)
{
	struct client *u = client_find_uid(uid, 0);
	if (!u || !*host || strlen(host) > HOST_MAX || strpbrk(host, " !@:"))
		return;
	struct event ev = { .type = EV_CHGHOST, .target = u->uid, .nargs = 1, .args = { host } };
	emit(&ev);
}

/* ---- ENCAP */

/* SVSLOGIN uid nick user host account: services log a (SASL) client in. */
static void on_svslogin(const struct ts6_msg *m)
{
	struct client *c = ts6_local_uid(m->args[0]);
	if (!c) {
		log_debug("services link: SVSLOGIN for unknown %s", m->args[0]);
		return;
	}
	const char *account = m->args[4];
	if (client_registered(c)) {
		struct event ev = { .type = EV_LOGIN, .target = c->uid, .nargs = 1, .args = { account } };
		emit(&ev);
		return;
	}
	/* not network state yet: the USER event carries it (client.c) */
	char *copy = strdup(account);
	if (!copy)
		return;
	free(c->account);
	c->account = copy;
	send_numeric(c, RPL_LOGGEDIN, "%s!%s@%s %s :You are now logged in as %s", c->nick[0] ? c->nick : "*",
	             c->user[0] ? c->user : "*", c->host, account, account);
}

/* RSFNC uid newnick newts oldts: services rename one of our users. */
static void on_rsfnc(const struct ts6_msg *m)
{
	struct client *u = client_find_uid(m->args[0], 0);
	const char *nick = m->args[1];
	if (!u || is_theirs(u->uid) || !nick_valid(nick))
		return;
	struct client *holder = client_find(nick);
	if (holder && holder != u && client_registered(holder)) {
		struct event kill = { .type = EV_KILL, .target = holder->uid, .text = "Nickname regained by services" };
		emit(&kill);
	}
	struct event ev = { .type = EV_NICK, .uid = u->uid, .ts = ts6_parse_ts(m->args[2]), .nargs = 1,
	                    .args = { nick } };
	emit(&ev);
}

static void on_encap(const struct ts6_msg *m)
{
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
	case T6E_SU: {
		struct client *u = client_find_uid(m->args[0], 0);
		if (!u)
			return;
		struct event ev = { .type = EV_LOGIN, .target = u->uid };
		if (m->nargs > 1 && m->args[1][0]) {
			ev.nargs = 1;
			ev.args[0] = m->args[1];
		}
		emit(&ev);
		break;
	}
	case T6E_RSFNC:
		on_rsfnc(m);
		break;
	case T6E_CHGHOST:
		on_chghost(m->args[0], m->args[1]);
		break;
	default:
		break;   /* NICKDELAY, LOGIN, and others: nothing for us to do */
	}
}

void ts6_in_dispatch(const struct ts6_msg *m)
{
	switch (m->cmd) {
	case T6_EUID:
	case T6_UID: on_euid(m); break;
	case T6_NICK: on_nick(m); break;
	case T6_QUIT: on_quit(m); break;
	case T6_KILL: on_kill(m); break;
	case T6_SJOIN: on_sjoin(m); break;
	case T6_JOIN: on_join(m); break;
	case T6_PART: on_part(m); break;
	case T6_KICK: on_kick(m); break;
	case T6_TMODE:
	case T6_MODE: on_mode(m); break;
	case T6_BMASK: on_bmask(m); break;
	case T6_TOPIC:
	case T6_TB:
	case T6_ETB: on_topic(m); break;
	case T6_INVITE: on_invite(m); break;
	case T6_PRIVMSG:
	case T6_NOTICE: on_message(m); break;
	case T6_AWAY: on_away(m); break;
	case T6_CHGHOST: on_chghost(m->args[0], m->args[1]); break;
	case T6_ENCAP: on_encap(m); break;
	case T6_SQUIT:
		if (strcmp(m->args[0], ts6_peer_sid) == 0 || strcasecmp(m->args[0], ts6_peer_name) == 0)
			ts6_shutdown();
		break;
	case T6_WALLOPS:
	case T6_OPERWALL: on_wallops(m); break;
	default:
		break;   /* MLOCK: nothing to do here */
	}
}
