/* client.c - see client.h */
#include "client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "commands.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "tls.h"
#include "ts6.h"
#include "listener.h"
#include "wsconn.h"

struct ipcount {
	UT_hash_handle hh;
	char addr[HOST_MAX + 1];
	unsigned n;
};

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

void client_set_nick(struct client *c, const char *nick)
{
	if (c->key[0])
		HASH_DEL(srv.nicks, c);
	snprintf(c->nick, sizeof c->nick, "%s", nick);
	casemap_fold(srv.cfg.casemapping, c->key, sizeof c->key, nick);
	HASH_ADD_STR(srv.nicks, key, c);
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
	if (c->conn.flags & CONN_DEAD)
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
	if (c->reg & REG_DONE || (c->reg & (REG_NICK | REG_USER)) != (REG_NICK | REG_USER) ||
	    c->reg & REG_CAP)
		return;
	if (srv.cfg.password[0] && !(c->reg & REG_PASS)) {
		send_numeric(c, ERR_PASSWDMISMATCH, ":Password incorrect");
		client_exit(c, "Bad password");
		return;
	}
	c->reg |= REG_DONE;
	c->signon = c->last_msg = time(NULL);
	srv.users++;
	if (srv.users > srv.max_users)
		srv.max_users = srv.users;
	conn_set_tlist(&c->conn, TL_ACTIVE);
	log_info("registered %s!%s@%s", c->nick, c->user, c->host);

	send_numeric(c, RPL_WELCOME, ":Welcome to the %s IRC Network %s!%s@%s",
	             srv.cfg.network, c->nick, c->user, c->host);
	send_numeric(c, RPL_YOURHOST, ":Your host is %s, running version ircmini-%s",
	             srv.cfg.name, PACKAGE_VERSION);
	send_numeric(c, RPL_CREATED, ":This server was created %s", srv.created);
	send_numeric(c, RPL_MYINFO, "%s ircmini-%s iow biklmnopstv bklov", srv.cfg.name, PACKAGE_VERSION);
	send_isupport(c);
	send_lusers(c);
	send_motd(c);
}

/* ---- addresses: per-IP counts (clone limit) */

/* The address as c->host shows it. */
static void host_of(const struct sockaddr_storage *peer, char host[HOST_MAX + 1])
{
	char text[INET6_ADDRSTRLEN] = "unknown";
	if (peer->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, text, sizeof text);
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, text, sizeof text);
	/* "::1" would read as a trailing parameter in replies */
	snprintf(host, HOST_MAX + 1, "%s%s", text[0] == ':' ? "0" : "", text);
}

/* Count a connection from host; NULL when out of memory. */
static struct ipcount *ip_take(const char *host)
{
	struct ipcount *ip;
	HASH_FIND_STR(srv.ips, host, ip);
	if (!ip) {
		if (!(ip = calloc(1, sizeof *ip)))
			return NULL;
		snprintf(ip->addr, sizeof ip->addr, "%s", host);
		HASH_ADD_STR(srv.ips, addr, ip);
	}
	ip->n++;
	return ip;
}

static void ip_release(const char *host)
{
	struct ipcount *ip;
	HASH_FIND_STR(srv.ips, host, ip);
	if (ip && --ip->n == 0) {
		HASH_DEL(srv.ips, ip);
		free(ip);
	}
}

static int over_per_ip(const char *host)
{
	struct ipcount *ip;
	HASH_FIND_STR(srv.ips, host, ip);
	return srv.cfg.max_per_ip && ip && ip->n >= (unsigned)srv.cfg.max_per_ip;
}

/* A trusted WebSocket proxy named the client it speaks for: from now on
 * c is that address, for the clone limit, bans, WHO and the logs. */
static int on_forwarded(struct conn *conn, const struct sockaddr_storage *addr)
{
	struct client *c = client_of(conn);
	char host[HOST_MAX + 1];
	host_of(addr, host);
	log_info("WebSocket client %s is %s (X-Forwarded-For)", c->host, host);
	ip_release(c->host);
	snprintf(c->host, sizeof c->host, "%s", host);
	int over = over_per_ip(host);
	if (!ip_take(host)) {
		/* on_closed releases c->host: count it somewhere it exists */
		snprintf(c->host, sizeof c->host, "unknown");
		ip_take(c->host);
		client_exit(c, "Out of memory");
		return -1;
	}
	if (over) {
		client_exit(c, "Too many connections from your host");
		return -1;
	}
	return 0;
}

/* ---- connection callbacks */

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

	if (srv.debug)
		log_debug("%d> %s", conn_fd(conn), line);
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
	char mask[160];

	if (client_registered(c)) {
		struct sbuf *b = line_new(":%s QUIT :%s", client_mask(c, mask, sizeof mask), reason);
		send_to_peers(c, b, 0);
		if (b)
			sbuf_unref(b);
		whowas_add(c);
		srv.users--;
		if (c->umodes & UMODE_INVISIBLE)
			srv.invisible--;
		if (c->umodes & UMODE_OPER)
			srv.opers--;
	}
	log_info("disconnected %s@%s (%s)", c->nick[0] ? c->nick : "*", c->host, reason);
	ts6_client_gone(c);
	while (c->chans)
		channel_remove(c->chans->chan, c);
	channel_forget_invites(c);
	if (c->key[0])
		HASH_DEL(srv.nicks, c);
	ip_release(c->host);
	srv.connections--;
}

static void on_release(struct conn *conn)
{
	struct client *c = client_of(conn);
	free(c->account);
	free(c->realname);
	free(c->away);
	free(c);
}

void client_init_conn_handlers(void)
{
	static const struct conn_handlers h = {
		.line = on_line,
		.too_long = on_too_long,
		.timeout = on_timeout,
		.closed = on_closed,
		.release = on_release,
	};
	conn_init(srv.loop, &h);
	ws_init(&srv.cfg, on_forwarded);
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

/* Refuse before any state exists: one best-effort write, then close. */
static void refuse(int fd, const char *host, const char *why)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "ERROR :Closing Link: %s (%s)\r\n", host, why);
	ssize_t w = write(fd, buf, (size_t)n);
	(void)w;
	close(fd);
	log_info("refused %s (%s)", host, why);
}

void client_accept(int fd, const struct sockaddr_storage *peer, socklen_t len, int kind)
{
	(void)len;
	char host[HOST_MAX + 1];
	int tls = kind & LISTEN_TLS, ws = kind & LISTEN_WS;
	host_of(peer, host);

	if (srv.connections >= (unsigned)srv.cfg.max_clients) {
		refuse(fd, host, "Too many connections");
		return;
	}
	/* a trusted proxy's clients are counted by their own address once its
	 * X-Forwarded-For is read */
	if (over_per_ip(host) && !(ws && ws_trusted(peer))) {
		refuse(fd, host, "Too many connections from your host");
		return;
	}
	struct client *c = calloc(1, sizeof *c);
	if (c && tls && !(c->conn.tls = tls_new(fd))) {
		free(c);
		refuse(fd, host, "TLS unavailable");
		return;
	}
	if (c && ws && !(c->conn.ws = ws_new(peer, host))) {
		tls_free(c->conn.tls);
		free(c);
		c = NULL;
	}
	if (c && !ip_take(host)) {
		tls_free(c->conn.tls);
		ws_free(c->conn.ws);
		free(c);
		c = NULL;
	}
	if (!c) {
		refuse(fd, host, "Out of memory");
		return;
	}
	snprintf(c->host, sizeof c->host, "%s", host);
	client_assign_uid(c);
	c->tls = (uint8_t)tls;
	srv.connections++;
	conn_start(&c->conn, fd);
	log_info("connect from %s%s%s", host, ws ? " (WebSocket)" : "", tls ? " (TLS)" : "");
}
