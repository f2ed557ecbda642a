/* client.c - see client.h */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrlimit.h"
#include "bans.h"
#include "channel.h"
#include "cloak.h"
#include "commands.h"
#include "log.h"
#include "node.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "state.h"
#include "tls.h"
#include "list.h"
#include "ts6.h"
#include "listener.h"
#include "wsconn.h"

static struct whowas *history;
static int history_len, history_next, history_used;

struct client *client_find(const char *nick)
{
	char key[NICK_MAX + 1];
	struct client *c;
	/* folding truncates: a longer name would find the nick it starts with */
	if (strlen(nick) > NICK_MAX)
		return NULL;
	casemap_fold(srv.cfg.casemapping, key, sizeof key, nick);
	HASH_FIND_STR(srv.nicks, key, c);
	return c;
}

struct client *client_find_uid(const char *uid, int any)
{
	struct client *c;
	if (!uid || strlen(uid) != UID_LEN)
		return NULL;
	HASH_FIND(hh_uid, srv.uids, uid, UID_LEN, c);
	return c && (any || client_registered(c)) ? c : NULL;
}

void client_set_nick(struct client *c, const char *nick)
{
	if (c->key[0])
		HASH_DEL(srv.nicks, c);
	snprintf(c->nick, sizeof c->nick, "%s", nick);
	casemap_fold(srv.cfg.casemapping, c->key, sizeof c->key, nick);
	HASH_ADD_STR(srv.nicks, key, c);
}

char *realname_dup(const char *name)
{
	size_t n = strnlen(name, REALNAME_MAX + 1);
	if (n > REALNAME_MAX) {
		n = REALNAME_MAX;
		/* back off a cut UTF-8 sequence: continuation bytes are 10xxxxxx */
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	return strndup(name, n);
}

void client_drop_nick(struct client *c)
{
	if (c->key[0])
		HASH_DEL(srv.nicks, c);
	c->key[0] = '\0';
}

void client_add_uid(struct client *c)
{
	HASH_ADD(hh_uid, srv.uids, uid, UID_LEN, c);
}

void client_drop_uid(struct client *c)
{
	if (c->uid[0])
		HASH_DELETE(hh_uid, srv.uids, c);
	c->uid[0] = '\0';
}

const char *client_certfp(struct client *c)
{
	if (!c->certfp_done && !c->remote && c->conn.tls) {
		char fp[TLS_CERTFP_LEN + 1];
		c->certfp_done = 1;
		if (tls_certfp(c->conn.tls, fp))
			c->certfp = strdup(fp);   /* out of memory: as if none */
	}
	return c->certfp;
}

void client_free(struct client *c)
{
	free(c->account);
	free(c->certfp);
	free(c->realname);
	free(c->away);
	free(c);
}

static int nick_special(char ch)
{
	return strchr("[]\\`_^{|}", ch) != NULL;
}

int nick_valid(const char *nick)
{
	size_t len = strlen(nick);
	if (len == 0 || len > (size_t)srv.cfg.nicklen)
		return 0;
	unsigned char first = (unsigned char)nick[0];
	if (!((first | 32) >= 'a' && (first | 32) <= 'z') && !nick_special(nick[0]))
		return 0;
	for (const char *p = nick + 1; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (!((ch | 32) >= 'a' && (ch | 32) <= 'z') && !(ch >= '0' && ch <= '9') &&
		    !nick_special(*p) && ch != '-')
			return 0;
	}
	return 1;
}

const char *client_mask(const struct client *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s!%s@%s", c->nick, c->user[0] ? c->user : "*", c->host);
	return buf;
}

void client_visit_peers(struct client *c, void (*fn)(struct client *peer, void *arg), void *arg)
{
	unsigned long epoch = ++srv.epoch;
	c->epoch = epoch;
	for (struct member *m = c->chans; m; m = m->unext)
		for (struct member *p = m->chan->members; p; p = p->cnext)
			if (p->cl->epoch != epoch) {
				p->cl->epoch = epoch;
				fn(p->cl, arg);
			}
}

void client_exit(struct client *c, const char *reason)
{
	if (c->remote || c->conn.flags & CONN_DEAD)
		return;
	send_label_end(c);  /* a labeled QUIT: its reply first, ERROR after */
	send_line(c, "ERROR :Closing Link: %s (%s)", c->host, reason);
	conn_kill(&c->conn, reason);
}

/* ---- WHOWAS history: a ring of the last N nicks that left */

void whowas_add(const struct client *c)
{
	if (srv.cfg.whowas <= 0)
		return;
	if (history_len != srv.cfg.whowas) {
		free(history);
		history = calloc((size_t)srv.cfg.whowas, sizeof *history);
		history_len = history ? srv.cfg.whowas : 0;
		history_next = history_used = 0;
		if (!history)
			return;
	}
	struct whowas *w = &history[history_next];
	snprintf(w->nick, sizeof w->nick, "%s", c->nick);
	snprintf(w->user, sizeof w->user, "%s", c->user);
	snprintf(w->host, sizeof w->host, "%s", c->host);
	snprintf(w->realname, sizeof w->realname, "%s", c->realname ? c->realname : "");
	w->when = time(NULL);
	history_next = (history_next + 1) % history_len;
	if (history_used < history_len)
		history_used++;
}

const struct whowas *whowas_get(int i)
{
	if (i < 0 || i >= history_used)
		return NULL;
	return &history[(history_next - 1 - i + history_len) % history_len];
}

/* ---- registration */

void client_try_register(struct client *c)
{
	if (c->reg & (REG_DONE | REG_PENDING) || (c->reg & (REG_NICK | REG_USER)) != (REG_NICK | REG_USER) ||
	    c->reg & REG_CAP)
		return;
	if (srv.cfg.password[0] && !(c->reg & REG_PASS)) {
		send_numeric(c, ERR_PASSWDMISMATCH, ":Password incorrect");
		client_exit(c, "Bad password");
		return;
	}
	/* K-lines need the nick and user: checked here, before 001 */
	char buf[NETADDR_TEXT];
	const char *ip = client_ip(c, buf);
	const struct xban *kb = bans_match_user(c->nick, c->user, ip, c->host);
	if (kb) {
		char why[BAN_REASON_MAX + 16];
		send_numeric(c, ERR_YOUREBANNEDCREEP, ":You are banned from this server: %s", kb->e.reason);
		snprintf(why, sizeof why, "K-lined: %s", kb->e.reason);
		log_info("refused %s!%s@%s (%c-line %s)", c->nick, c->user, ip, kb->e.kind, kb->e.mask);
		client_exit(c, why);
		return;
	}
	/* the user enters the network when its USER event is applied */
	c->reg |= REG_PENDING;
	const char *fp = client_certfp(c);
	struct event ev = {
		.type = EV_USER, .uid = c->uid, .u_hint = c, .text = c->realname ? c->realname : "",
		.nargs = fp ? 6 : 5, .args = { c->nick, c->user, c->host, "+", ip, fp },
		.ts = (int64_t)time(NULL),
	};
	event_emit(&ev);
	if (c->account) {
		/* logged in by SASL before registering: now network state (a
		 * no-op here, where c has it already; news to other nodes) */
		struct event login = { .type = EV_LOGIN, .target = c->uid, .u_hint = c, .nargs = 1,
		                       .args = { c->account } };
		event_emit(&login);
	}
}

void client_welcome(struct client *c)
{
	conn_set_tlist(&c->conn, TL_ACTIVE);
	/* the log maps each cloak to its address; the cloak only when there is one */
	char buf[NETADDR_TEXT];
	const char *ip = client_ip(c, buf);
	if (strcmp(c->host, ip) != 0)
		log_conn(LOG_INFO, "registered %s!%s@%s (%s)", c->nick, c->user, ip, c->host);
	else
		log_conn(LOG_INFO, "registered %s!%s@%s", c->nick, c->user, ip);

	send_numeric(c, RPL_WELCOME, ":Welcome to the %s IRC Network %s!%s@%s",
	             srv.cfg.network, c->nick, c->user, c->host);
	send_numeric(c, RPL_YOURHOST, ":Your host is %s, running version ircmini-%s",
	             srv.cfg.name, PACKAGE_VERSION);
	send_numeric(c, RPL_CREATED, ":This server was created %s", srv.created);
	send_numeric(c, RPL_MYINFO, "%s ircmini-%s iow beIiklmnopstv beIklov", srv.cfg.name, PACKAGE_VERSION);
	send_isupport(c);
	send_lusers(c);
	send_motd(c);
}

/* ---- addresses: what c is known by (addrlimit.h counts, cloak.h hides) */

const char *client_ip(const struct client *c, char buf[NETADDR_TEXT])
{
	/* kept binary (17 bytes, not 48 of text): every client carries it */
	netaddr_text(&c->addr, buf + 1, NETADDR_TEXT - 1);
	/* "::1" would read as a trailing parameter in 378 */
	buf[0] = '0';
	return buf[1] == ':' ? buf : buf + 1;
}

/* The real address, and its cloak in c->host for everyone else. */
static void set_address(struct client *c, const struct netaddr *a)
{
	c->addr = *a;
	cloak_host(a, c->host, sizeof c->host);
}

/* A trusted WebSocket proxy named the client it speaks for: from now on
 * c is that address, for the clone limit, bans, WHO and the logs. */
static int on_forwarded(struct conn *conn, const struct netaddr *addr)
{
	struct client *c = client_of(conn);
	struct netaddr a = *addr;
	char was[NETADDR_TEXT], now[NETADDR_TEXT];
	log_info("WebSocket client %s is %s (X-Forwarded-For)", client_ip(c, was), netaddr_text(&a, now, sizeof now));
	addrlimit_release(&c->addr, c->counted);
	c->counted = 0;
	set_address(c, &a);
	const struct xban *db = bans_match_ip(&a);
	if (db) {
		char why[BAN_REASON_MAX + 16];
		snprintf(why, sizeof why, "D-lined: %s", db->e.reason);
		client_exit(c, why);
		return -1;
	}
	const char *no = addrlimit_admit(&a, ev_now(srv.loop), &c->counted);
	if (no) {
		client_exit(c, no);
		return -1;
	}
	return 0;
}

/* ---- connection callbacks */

static const char *conn_address(struct conn *conn)
{
	/* for log lines: two buffers, so one line may name two connections */
	static char buf[2][NETADDR_TEXT];
	static int next;
	next ^= 1;
	return client_ip(client_of(conn), buf[next]);
}

/* IRCv3 message-tags: a client may send 4094 bytes of tag data; the rest
 * of the line keeps the 510-byte limit (conn.c only bounds the total). */
static int tagged_line_ok(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return 1;  /* tags without a command: the parser drops it */
	if ((size_t)(sp - line - 1) > 4094)
		return 0;
	while (*sp == ' ')
		sp++;
	return len - (size_t)(sp - line) <= 510;
}

static void on_line(struct conn *conn, char *line, size_t len)
{
	struct client *c = client_of(conn);
	struct message m;

	if (srv.debug) {
		char shown[MSG_MAXLINE + 8192];   /* tags may fill 8 KiB more */
		msg_redact(line, shown, sizeof shown);
		log_debug("%d> %s", conn_fd(conn), shown);
	}
	/* a lone CR inside a line must not reach other clients as a line break */
	for (char *p = memchr(line, '\r', len); p; p = memchr(p, '\r', len - (size_t)(p - line)))
		*p = ' ';
	if (line[0] == '\x16' && !client_registered(c)) {
		/* a TLS ClientHello: no IRC line starts with this byte */
		client_exit(c, "TLS on a plain-text port");
		return;
	}
	if (line[0] == '@' && !tagged_line_ok(line, len)) {
		send_numeric(c, ERR_INPUTTOOLONG, ":Input line was too long");
		return;
	}
	if (msg_parse(line, &m) != MSG_OK)
		return;
	command_dispatch(c, &m);
}

static void on_too_long(struct conn *conn)
{
	send_numeric(client_of(conn), ERR_INPUTTOOLONG, ":Input line was too long");
}

static void on_timeout(struct conn *conn, enum conn_tlist which)
{
	struct client *c = client_of(conn);
	char reason[64];

	switch (which) {
	case TL_UNREG:
		client_exit(c, "Registration timeout");
		break;
	case TL_ACTIVE:
		send_line(c, "PING :%s", srv.cfg.name);
		break;
	case TL_PINGED:
		snprintf(reason, sizeof reason, "Ping timeout: %d seconds", srv.cfg.ping_timeout);
		client_exit(c, reason);
		break;
	default:
		break;
	}
}

static void on_closed(struct conn *conn, const char *reason)
{
	struct client *c = client_of(conn);

	char ip[NETADDR_TEXT];
	log_conn(LOG_INFO, "disconnected %s@%s (%s)", c->nick[0] ? c->nick : "*", client_ip(c, ip), reason);
	ts6_client_gone(c);
	list_cancel(c);
	if (client_registered(c)) {
		struct event ev = { .type = EV_QUIT, .uid = c->uid, .u_hint = c, .text = reason };
		event_emit(&ev);
		/* in a cluster the QUIT is applied later: keep the user till then */
		if (client_registered(c))
			c->detached = 1;
	}
	if (!client_registered(c)) {
		/* not (or no longer) network state: only this node's tables */
		client_drop_nick(c);
		client_drop_uid(c);
	}
	addrlimit_release(&c->addr, c->counted);
	srv.connections--;
}

static void on_release(struct conn *conn)
{
	struct client *c = client_of(conn);
	if (c->detached && client_registered(c))
		return;  /* state.c frees it when its QUIT is applied */
	client_free(c);
}

void client_init_conn_handlers(void)
{
	static const struct conn_handlers h = {
		.line = on_line,
		.too_long = on_too_long,
		.timeout = on_timeout,
		.closed = on_closed,
		.release = on_release,
		.drained = list_drained,
	};
	conn_init(srv.loop, &h);
	ws_init(&srv.cfg, on_forwarded, conn_address);
}

/* TS6: SID, then a letter and five of [A-Z0-9], unique while we run. */
void client_assign_uid(struct client *c)
{
	static const char b36[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t next;
	uint64_t n = next++;
	memcpy(c->uid, srv.cfg.sid, 3);
	for (int i = 8; i > 3; i--, n /= 36)
		c->uid[i] = b36[n % 36];
	c->uid[3] = b36[n % 26];
	c->uid[9] = '\0';
}

/* Refuse before any state exists: one best-effort write, then close.
 * The address named is the peer's own, so it learns nothing new. */
static void refuse(int fd, const char *host, const char *why)
{
	char buf[300];
	int n = snprintf(buf, sizeof buf, "ERROR :Closing Link: %s (%s)\r\n", host, why);
	ssize_t w = write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	(void)w;
	close(fd);
	/* a storm of refusals must not become a storm of log lines: the
	 * first 10 of each second are logged, the rest counted */
	static time_t second;
	static unsigned logged, skipped;
	time_t now = time(NULL);
	if (now != second) {
		if (skipped)
			log_info("refused %u more connections (not logged one by one)", skipped);
		second = now;
		logged = skipped = 0;
	}
	if (logged++ < 10)
		log_info("refused %s (%s)", host, why);
	else
		skipped++;
}

void client_accept(int fd, const struct sockaddr_storage *peer, socklen_t len, int kind)
{
	(void)len;
	struct netaddr addr;
	uint8_t counted = 0;
	char ip[NETADDR_TEXT];
	int tls = kind & LISTEN_TLS, ws = kind & LISTEN_WS;

	netaddr_from_sockaddr(&addr, peer);
	netaddr_text(&addr, ip, sizeof ip);
	if (srv.connections >= (unsigned)srv.cfg.max_clients) {
		refuse(fd, ip, "Too many connections");
		return;
	}
	const struct xban *db = bans_match_ip(&addr);
	if (db) {
		char why[BAN_REASON_MAX + 16];
		snprintf(why, sizeof why, "D-lined: %s", db->e.reason);
		refuse(fd, ip, why);
		return;
	}
	/* a trusted proxy's clients are counted by their own address once its
	 * X-Forwarded-For is read */
	const char *no = NULL;
	if (!(ws && ws_trusted(peer)))
		no = addrlimit_admit(&addr, ev_now(srv.loop), &counted);
	if (no) {
		refuse(fd, ip, no);
		return;
	}
	struct client *c = calloc(1, sizeof *c);
	/* handshakes are capped per group (an IPv6 /64 is one), like connections */
	struct netaddr group;
	char gtext[NETADDR_TEXT];
	netaddr_group(&group, &addr, srv.cfg.ipv6_prefix);
	netaddr_text(&group, gtext, sizeof gtext);
	errno = 0;
	/* no certificate request over WebSocket: a browser would ask its user
	 * to pick one */
	if (c && tls && !(c->conn.tls = tls_new(fd, gtext, !ws))) {
		free(c);
		addrlimit_release(&addr, counted);
		refuse(fd, ip, errno == EAGAIN ? "Too many TLS handshakes from your host" : "TLS unavailable");
		return;
	}
	if (c && ws && !(c->conn.ws = ws_new(peer))) {
		tls_free(c->conn.tls);
		free(c);
		c = NULL;
	}
	if (!c) {
		addrlimit_release(&addr, counted);
		refuse(fd, ip, "Out of memory");
		return;
	}
	set_address(c, &addr);
	c->counted = counted;
	client_assign_uid(c);
	c->tls = (uint8_t)tls;
	c->node = srv.me;
	client_add_uid(c);
	srv.connections++;
	conn_start(&c->conn, fd);
	log_conn(LOG_INFO, "connect from %s%s%s", ip, ws ? " (WebSocket)" : "", tls ? " (TLS)" : "");
}
