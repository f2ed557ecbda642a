/* cmd_query.c - read-only queries: WHOIS, WHOWAS, WHO (and WHOX),
 * USERHOST, ISON, LUSERS, MOTD, VERSION, TIME, ADMIN, INFO; and AWAY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "match.h"
#include "node.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "stats.h"

/* ---- registration burst parts */

void send_isupport(struct client *c)
{
	const struct config *k = &srv.cfg;
	char tok[24][128];
	int n = 0;
	snprintf(tok[n++], 128, "AWAYLEN=%d", k->awaylen);
	snprintf(tok[n++], 128, "CASEMAPPING=%s", casemap_name(k->casemapping));
	snprintf(tok[n++], 128, "CHANLIMIT=#:%d", k->max_channels);
	snprintf(tok[n++], 128, "CHANMODES=%s,k,l,imnpst", CHAN_LIST_MODES);
	snprintf(tok[n++], 128, "CHANNELLEN=%d", k->channellen);
	snprintf(tok[n++], 128, "CHANTYPES=#");
	snprintf(tok[n++], 128, "ELIST=CMNTU");
	snprintf(tok[n++], 128, "EXCEPTS=e");
	snprintf(tok[n++], 128, "INVEX=I");
	snprintf(tok[n++], 128, "KICKLEN=%d", k->kicklen);
	/* one bound for the three lists together (state_chan.c) */
	snprintf(tok[n++], 128, "MAXLIST=%s:%d", CHAN_LIST_MODES, k->max_bans);
	snprintf(tok[n++], 128, "MODES=6");
	snprintf(tok[n++], 128, "NETWORK=%s", k->network);
	snprintf(tok[n++], 128, "NICKLEN=%d", k->nicklen);
	snprintf(tok[n++], 128, "PREFIX=(ov)@+");
	snprintf(tok[n++], 128, "SAFELIST");
	snprintf(tok[n++], 128, "TARGMAX=PRIVMSG:%d,NOTICE:%d,JOIN:,PART:,KICK:,NAMES:,LIST:,WHOIS:%d",
	         k->max_targets, k->max_targets, k->max_targets);
	snprintf(tok[n++], 128, "TOPICLEN=%d", k->topiclen);
	snprintf(tok[n++], 128, "USERLEN=%d", USER_MAX);
	snprintf(tok[n++], 128, "WHOX");
	/* at most 13 tokens a line, as Modern IRC suggests */
	for (int i = 0; i < n; i += 8) {
		char line[400] = "";
		size_t len = 0;
		for (int j = i; j < n && j < i + 8; j++)
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len ? " " : "", tok[j]);
		send_numeric(c, RPL_ISUPPORT, "%s :are supported by this server", line);
	}
}

void send_lusers(struct client *c)
{
	/* 251/252/254/266: the whole network; 253/255/265: this node */
	unsigned local = srv.me->users, unknown = srv.connections - local;
	send_numeric(c, RPL_LUSERCLIENT, ":There are %u users and %u invisible on %u servers",
	             srv.users - srv.invisible, srv.invisible, srv.nnodes);
	if (srv.opers)
		send_numeric(c, RPL_LUSEROP, "%u :operator(s) online", srv.opers);
	if (unknown)
		send_numeric(c, RPL_LUSERUNKNOWN, "%u :unknown connection(s)", unknown);
	send_numeric(c, RPL_LUSERCHANNELS, "%u :channels formed", srv.nchannels);
	send_numeric(c, RPL_LUSERME, ":I have %u clients and %u servers", local, srv.nnodes - 1);
	send_numeric(c, RPL_LOCALUSERS, "%u %u :Current local users %u, max %u", local,
	             srv.max_users, local, srv.max_users);
	send_numeric(c, RPL_GLOBALUSERS, "%u %u :Current global users %u, max %u", srv.users,
	             srv.max_global, srv.users, srv.max_global);
}

void send_motd(struct client *c)
{
	const char *p = srv.cfg.motd;
	if (!p || !*p) {
		send_numeric(c, ERR_NOMOTD, ":MOTD File is missing");
		return;
	}
	send_numeric(c, RPL_MOTDSTART, ":- %s Message of the day - ", srv.cfg.name);
	while (*p) {
		size_t len = strcspn(p, "\n");
		send_numeric(c, RPL_MOTD, ":- %.*s", (int)(len > 400 ? 400 : len), p);
		p += len;
		if (*p == '\n')
			p++;
	}
	send_numeric(c, RPL_ENDOFMOTD, ":End of /MOTD command.");
}

/* "<command> [<target>]": we are the only server, so a target must name
 * us (a mask may) or a user here; otherwise 402 and no other reply. */
static int target_is_us(struct client *c, const struct message *m, int idx)
{
	if (m->nparams <= idx || !m->params[idx][0])
		return 1;
	const char *t = m->params[idx];
	if (match_glob(srv.cfg.casemapping, t, srv.cfg.name))
		return 1;
	struct client *on = client_find(t);
	if (on && client_registered(on))
		return 1;
	send_numeric(c, ERR_NOSUCHSERVER, "%s :No such server", t);
	return 0;
}

/* LUSERS [<mask> [<target>]]: one server, so the mask changes nothing */
HANDLER(cmd_lusers) { if (target_is_us(c, m, 1)) send_lusers(c); }
HANDLER(cmd_motd) { if (target_is_us(c, m, 0)) send_motd(c); }

HANDLER(cmd_version)
{
	if (!target_is_us(c, m, 0))
		return;
	send_numeric(c, RPL_VERSION, "ircmini-%s. %s :%s", PACKAGE_VERSION, srv.cfg.name, srv.cfg.description);
	send_isupport(c);
}

HANDLER(cmd_time)
{
	if (!target_is_us(c, m, 0))
		return;
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(buf, sizeof buf, "%A %B %d %Y -- %H:%M:%S %z", localtime_r(&now, &tm));
	send_numeric(c, RPL_TIME, "%s :%s", srv.cfg.name, buf);
}

HANDLER(cmd_admin)
{
	if (!target_is_us(c, m, 0))
		return;
	send_numeric(c, RPL_ADMINME, "%s :Administrative info", srv.cfg.name);
	send_numeric(c, RPL_ADMINLOC1, ":%s", srv.cfg.description);
	send_numeric(c, RPL_ADMINLOC2, ":%s", srv.cfg.network);
	send_numeric(c, RPL_ADMINEMAIL, ":%s", srv.cfg.admin);
}

HANDLER(cmd_info)
{
	if (!target_is_us(c, m, 0))
		return;
	send_numeric(c, RPL_INFO, ":ircmini %s - a small, fast IRC server", PACKAGE_VERSION);
	send_numeric(c, RPL_INFO, ":Running since %s", srv.created);
	send_numeric(c, RPL_ENDOFINFO, ":End of /INFO list");
}

/* LINKS [[<remote server>] <server mask>]: every node of the network that
 * matches the mask (this one at hopcount 0, the others at 1: every node
 * hears every other through the shared log); the end line echoes the mask. */
HANDLER(cmd_links)
{
	if (m->nparams >= 2 && !target_is_us(c, m, 0))
		return;
	const char *mask = m->nparams >= 1 && m->params[m->nparams - 1][0] ? m->params[m->nparams - 1] : "*";
	for (const struct node *n = srv.nodes; n; n = n->next)
		if (match_glob(srv.cfg.casemapping, mask, n->name))
			send_numeric(c, RPL_LINKS, "%s %s :%d %s", n->name, srv.cfg.name, n == srv.me ? 0 : 1,
			             n->description);
	send_numeric(c, RPL_ENDOFLINKS, "%s :End of /LINKS list", mask);
}

HANDLER(cmd_away)
{
	if (m->nparams < 1 || !m->params[0][0]) {
		send_numeric(c, RPL_UNAWAY, ":You are no longer marked as being away");
		struct event ev = { .type = EV_AWAY, .uid = c->uid, .u_hint = c };
		event_emit(&ev);
		return;
	}
	char text[400];
	snprintf(text, sizeof text, "%.*s", srv.cfg.awaylen, m->params[0]);
	send_numeric(c, RPL_NOWAWAY, ":You have been marked as being away");
	struct event ev = { .type = EV_AWAY, .uid = c->uid, .u_hint = c, .text = text };
	event_emit(&ev);
}

/* ---- WHOIS / WHOWAS */

static void whois_channels(struct client *c, struct client *t)
{
	char line[400];
	size_t len = 0;
	for (struct member *mb = t->chans; mb; mb = mb->unext) {
		if (!channel_visible_to(mb->chan, c))
			continue;
		const char *pfx = member_prefix(mb, c->caps & CAP_MULTI_PREFIX);
		if (len + strlen(pfx) + strlen(mb->chan->name) + 2 > 300) {
			send_numeric(c, RPL_WHOISCHANNELS, "%s :%s", t->nick, line);
			len = 0;
		}
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s%s", len ? " " : "", pfx, mb->chan->name);
	}
	if (len)
		send_numeric(c, RPL_WHOISCHANNELS, "%s :%s", t->nick, line);
}

HANDLER(cmd_whois)
{
	/* "WHOIS <server> <nick>" asks the server named (or the one a nick is
	 * on, as irssi's "WHOIS nick nick"); we are the only one */
	if (m->nparams > 1 && !match_glob(srv.cfg.casemapping, m->params[0], srv.cfg.name)) {
		struct client *on = client_find(m->params[0]);
		if (!on || !client_registered(on)) {
			send_numeric(c, ERR_NOSUCHSERVER, "%s :No such server", m->params[0]);
			return;
		}
	}
	char *list = m->params[m->nparams > 1 ? 1 : 0];
	char orig[400];
	snprintf(orig, sizeof orig, "%s", list);
	int n = 0;
	for (char *save, *nick = strtok_r(list, ",", &save); nick; nick = strtok_r(NULL, ",", &save)) {
		if (++n > srv.cfg.max_targets)
			break;
		struct client *t = client_find(nick);
		if (!t || !client_registered(t)) {
			send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", nick);
			continue;
		}
		send_numeric(c, RPL_WHOISUSER, "%s %s %s * :%s", t->nick, t->user, t->host, t->realname);
		whois_channels(c, t);
		send_numeric(c, RPL_WHOISSERVER, "%s %s :%s", t->nick, t->node->name, t->node->description);
		if (t->away)
			send_numeric(c, RPL_AWAY, "%s :%s", t->nick, t->away);
		if (t->umodes & UMODE_OPER)
			send_numeric(c, RPL_WHOISOPERATOR, "%s :is an IRC operator", t->nick);
		if (t->account)
			send_numeric(c, RPL_WHOISACCOUNT, "%s %s :is logged in as", t->nick, t->account);
		if (t->tls)
			send_numeric(c, 671, "%s :is using a secure connection", t->nick);
		/* the real address and the certificate: to operators and to the
		 * user themself only */
		char buf[NETADDR_TEXT];
		if (c == t || c->umodes & UMODE_OPER) {
			const char *ip = client_ip(t, buf);
			send_numeric(c, RPL_WHOISHOST, "%s :is connecting from *@%s %s", t->nick, ip, ip);
			if (t->certfp)
				send_numeric(c, RPL_WHOISCERTFP, "%s :has client certificate fingerprint %s",
				             t->nick, t->certfp);
		}
		send_numeric(c, RPL_WHOISIDLE, "%s %lld %lld :seconds idle, signon time", t->nick,
		             (long long)(time(NULL) - t->last_msg), (long long)t->signon);
	}
	send_numeric(c, RPL_ENDOFWHOIS, "%s :End of /WHOIS list", orig);
}

HANDLER(cmd_whowas)
{
	const char *nick = m->params[0];
	int max = m->nparams > 1 ? atoi(m->params[1]) : 0, found = 0;
	const struct whowas *w;
	struct matcher mt;
	match_compile(&mt, srv.cfg.casemapping, nick);
	for (int i = 0; (w = whowas_get(i)); i++) {
		/* RFC 2812 3.6.3: wildcards are allowed */
		if (!match_exec(&mt, w->nick))
			continue;
		send_numeric(c, RPL_WHOWASUSER, "%s %s %s * :%s", w->nick, w->user, w->host, w->realname);
		char when[64];
		struct tm tm;
		strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", gmtime_r(&w->when, &tm));
		send_numeric(c, RPL_WHOISSERVER, "%s %s :%s", w->nick, srv.cfg.name, when);
		if (++found == max && max > 0)
			break;
	}
	if (!found)
		send_numeric(c, ERR_WASNOSUCHNICK, "%s :There was no such nickname", nick);
	send_numeric(c, RPL_ENDOFWHOWAS, "%s :End of WHOWAS", nick);
}

/* ---- WHO and WHOX */

struct who_req {
	const char *fields;   /* WHOX field letters, NULL for plain WHO */
	const char *token;
	int opers_only;
	char match[8];        /* WHOX match flags before '%' (nuhsri); "" = all */
};

/* Mark everyone sharing a channel with c (epoch), once per query: testing
 * each invisible user's channels against c's cost c's channels x theirs
 * per user (47 ms per WHO with 5,000 +i users in 50 channels). */
static unsigned long mark_co_members(struct client *c)
{
	unsigned long epoch = ++srv.epoch;
	for (struct member *m = c->chans; m; m = m->unext)
		for (struct member *p = m->chan->members; p; p = p->cnext) {
			p->cl->epoch = epoch;
			work.overlap++;
		}
	return epoch;
}

static void who_reply(struct client *c, const struct who_req *rq, struct client *t,
                      const struct channel *ch, const struct member *mb)
{
	char flags[8], *f = flags;
	*f++ = t->away ? 'G' : 'H';
	if (t->umodes & UMODE_OPER)
		*f++ = '*';
	if (mb) {
		const char *pfx = member_prefix(mb, c->caps & CAP_MULTI_PREFIX);
		while (*pfx)
			*f++ = *pfx++;
	}
	*f = '\0';
	const char *chname = ch ? ch->name : "*";
	if (!rq->fields) {
		send_numeric(c, RPL_WHOREPLY, "%s %s %s %s %s %s :%d %s", chname, t->user, t->host,
		             t->node->name, t->nick, flags, t->remote ? 1 : 0, t->realname);
		return;
	}
	/* WHOX: fields always come in this fixed order, whatever the request order */
	char out[480];
	size_t len = 0;
	for (const char *o = "tcuihsnfdlaor"; *o; o++) {
		if (!strchr(rq->fields, *o))
			continue;
		char v[400], ip[NETADDR_TEXT];
		switch (*o) {
		case 't': snprintf(v, sizeof v, "%s", rq->token ? rq->token : "0"); break;
		case 'c': snprintf(v, sizeof v, "%s", chname); break;
		case 'u': snprintf(v, sizeof v, "%s", t->user); break;
		/* the address is for operators (and oneself); others get the
		 * placeholder other servers use for a hidden one */
		case 'i': snprintf(v, sizeof v, "%s", c == t || c->umodes & UMODE_OPER ? client_ip(t, ip) : "255.255.255.255"); break;
		case 'h': snprintf(v, sizeof v, "%s", t->host); break;
		case 's': snprintf(v, sizeof v, "%s", t->node->name); break;
		case 'n': snprintf(v, sizeof v, "%s", t->nick); break;
		case 'f': snprintf(v, sizeof v, "%s", flags); break;
		case 'd': snprintf(v, sizeof v, "%d", t->remote ? 1 : 0); break;
		case 'l': snprintf(v, sizeof v, "%lld", (long long)(time(NULL) - t->last_msg)); break;
		case 'a': snprintf(v, sizeof v, "%s", t->account ? t->account : "0"); break;
		case 'o': snprintf(v, sizeof v, "n/a"); break;
		case 'r': snprintf(v, sizeof v, ":%s", t->realname); break;
		}
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", len ? " " : "", v);
		if (len >= sizeof out)
			len = sizeof out - 1;
	}
	out[len] = '\0';
	send_numeric(c, RPL_WHOSPCRPL, "%s", out);
}

/* Modern IRC: the mask is tried on nick, user, host, server and real name
 * (the real name is capped at REALNAME_MAX, so each try is bounded) */
/* Modern IRC / WHOX: the mask against nick, user, host, server and real
 * name, or only the fields the match flags name ("WHO *x* r%tnr" matches
 * real names only). 'i', the real address, only for operators: a mask
 * must not probe addresses behind cloaks. */
static int who_match(const struct matcher *mt, const struct client *t, const char *flags,
                     const struct client *asker)
{
	if (!*flags)
		flags = "nuhsr";
	for (const char *f = flags; *f; f++) {
		char ip[NETADDR_TEXT];
		const char *v = NULL;
		switch (*f) {
		case 'n': v = t->nick; break;
		case 'u': v = t->user; break;
		case 'h': v = t->host; break;
		case 's': v = t->node->name; break;
		case 'r': v = t->realname; break;
		case 'i': v = asker->umodes & UMODE_OPER ? client_ip(t, ip) : NULL; break;
		}
		if (v && match_exec(mt, v))
			return 1;
	}
	return 0;
}

HANDLER(cmd_who)
{
	const char *mask = m->nparams > 0 && m->params[0][0] ? m->params[0] : "*";
	struct who_req rq = { 0 };
	char fields[64];
	if (m->nparams > 1) {
		/* "o" or WHOX "%fields[,token]" (possibly after filter letters) */
		const char *pct = strchr(m->params[1], '%');
		if (strchr(m->params[1], 'o') && (!pct || strchr(m->params[1], 'o') < pct))
			rq.opers_only = 1;
		size_t nm = 0;
		for (const char *f = m->params[1]; *f && f != pct && nm + 1 < sizeof rq.match; f++)
			if (strchr("nuhsri", *f) && !strchr(rq.match, *f))
				rq.match[nm++] = *f;
		if (pct) {
			snprintf(fields, sizeof fields, "%s", pct + 1);
			char *comma = strchr(fields, ',');
			if (comma) {
				*comma = '\0';
				rq.token = m->params[1] + (pct - m->params[1]) + 1 + (comma - fields) + 1;
				/* the token is echoed as a middle parameter: 1-3 digits only */
				if (strlen(rq.token) > 3 || strspn(rq.token, "0123456789") != strlen(rq.token) || !*rq.token)
					rq.token = NULL;
			}
			rq.fields = fields;
		}
	}
	if (mask[0] == '#') {
		struct channel *ch = channel_find(mask);
		if (ch) {
			int member = channel_member(ch, c) != NULL;
			/* +s and +p hide the member list from outsiders, as NAMES does */
			if (channel_visible_to(ch, c))
				for (struct member *mb = ch->members; mb; mb = mb->cnext) {
					if (!member && mb->cl->umodes & UMODE_INVISIBLE)
						continue;
					if (rq.opers_only && !(mb->cl->umodes & UMODE_OPER))
						continue;
					who_reply(c, &rq, mb->cl, ch, mb);
				}
		}
	} else {
		/* a plain word is a nick, unless the match flags say other fields */
		struct client *exact = strpbrk(mask, "*?") || (rq.match[0] && strcmp(rq.match, "n") != 0)
		                       ? NULL : client_find(mask);
		if (exact) {
			if (client_registered(exact) && (!rq.opers_only || exact->umodes & UMODE_OPER))
				who_reply(c, &rq, exact, NULL, NULL);
		} else {
			int all = strcmp(mask, "0") == 0 || strcmp(mask, "*") == 0;
			struct matcher mt;   /* compiled once for the whole walk */
			match_compile(&mt, srv.cfg.casemapping, mask);
			unsigned long peers = 0;   /* epoch of c's co-members, once marked */
			struct client *t, *tmp;
			HASH_ITER(hh, srv.nicks, t, tmp) {
				/* the asker's sendq overflowed: the rest would be dropped */
				if (c->conn.flags & CONN_DEAD)
					break;
				work.walk++;
				if (!client_registered(t) || (rq.opers_only && !(t->umodes & UMODE_OPER)))
					continue;
				if (t != c && t->umodes & UMODE_INVISIBLE) {
					if (!peers)
						peers = mark_co_members(c);
					if (t->epoch != peers)
						continue;
				}
				if (all || who_match(&mt, t, rq.match, c))
					who_reply(c, &rq, t, NULL, NULL);
			}
		}
	}
	/* echoed as a middle parameter: a mask with spaces ("WHO :*Real Name*") cannot be */
	send_numeric(c, RPL_ENDOFWHO, "%s :End of /WHO list", strchr(mask, ' ') || mask[0] == ':' ? "*" : mask);
}

/* ---- USERHOST, ISON */

HANDLER(cmd_userhost)
{
	char out[400];
	size_t len = 0;
	for (int i = 0; i < m->nparams && i < 5; i++) {
		struct client *t = client_find(m->params[i]);
		if (!t || !client_registered(t))
			continue;
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s=%c%s@%s", len ? " " : "",
		                        t->nick, t->umodes & UMODE_OPER ? "*" : "", t->away ? '-' : '+',
		                        t->user, t->host);
		if (len >= sizeof out)
			break;
	}
	out[len < sizeof out ? len : sizeof out - 1] = '\0';
	send_numeric(c, RPL_USERHOST, ":%s", out);
}

HANDLER(cmd_ison)
{
	char out[400];
	size_t len = 0;
	out[0] = '\0';
	/* nicks may come as separate parameters or as one trailing list */
	for (int i = 0; i < m->nparams; i++) {
		for (char *save, *n = strtok_r(m->params[i], " ", &save); n; n = strtok_r(NULL, " ", &save)) {
			struct client *t = client_find(n);
			if (!t || !client_registered(t) || len + strlen(t->nick) + 2 >= sizeof out)
				continue;
			len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", len ? " " : "", t->nick);
		}
	}
	send_numeric(c, RPL_ISON, ":%s", out);
}
