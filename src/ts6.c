/* ts6.c - the services link: accept, handshake, timeouts, SASL sessions.
 * See ts6.h; the protocol is solanum's doc/technical/ts6-protocol.txt as
 * Atheme's charybdis module speaks it. */
#include "ts6.h"
#include "event.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "hashkey.h"

#include "cap.h"
#include "client.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "secret.h"
#include "server.h"

enum stage {
	ST_PASS = 0,     /* waiting for their PASS */
	ST_SERVER,       /* PASS accepted, waiting for SERVER */
	ST_UP,           /* linked: we sent our handshake and burst */
};

struct link {
	struct conn conn;          /* first: a struct conn * is a struct link * */
	char host[64];             /* peer address, for logs */
	char sid[4];               /* from their PASS */
	uint8_t stage;
	uint8_t eob;               /* they answered our end-of-burst PING */
};

char ts6_peer_sid[4];
char ts6_peer_name[64];
static struct link *active;    /* the established link, or NULL */
static char *mechs;            /* announced SASL mechanisms, NULL = none yet */

/* One SASL exchange in progress, by the client's UID (what services name). */
struct sasl_session {
	UT_hash_handle hh;
	char uid[UID_LEN + 1];
	struct client *c;
	char agent[UID_LEN + 1];   /* SaslServ's UID once it answered */
};
static struct sasl_session *sessions;

int ts6_linked(void)
{
	return active != NULL;
}

const char *ts6_services_name(void)
{
	return active ? ts6_peer_name : NULL;
}

const char *ts6_sasl_mechs(void)
{
	if (!active)
		return NULL;
	return mechs ? mechs : "";
}

/* cap-notify: tell every registered client that negotiated it. */
static void notify_sasl_cap(int up)
{
	const char *m = up ? ts6_sasl_mechs() : NULL;
	for (struct client *c = srv.nicks, *next; c; c = next) {
		next = c->hh.next;
		if (!(c->caps & CAP_CAP_NOTIFY) || c->conn.flags & CONN_DEAD)
			continue;
		if (!up)
			send_line(c, ":%s CAP %s DEL :sasl", srv.cfg.name, c->nick);
		else if (m && *m && c->cap_version)
			send_line(c, ":%s CAP %s NEW :sasl=%s", srv.cfg.name, c->nick, m);
		else
			send_line(c, ":%s CAP %s NEW :sasl", srv.cfg.name, c->nick);
	}
}

void ts6_set_mechs(const char *list)
{
	if (mechs && strcmp(mechs, list) == 0)
		return;
	free(mechs);
	mechs = strdup(list);
	if (active)
		notify_sasl_cap(1);   /* sasl 3.2: a changed value is announced as NEW */
}

/* One line to link l: cut to 510 bytes, CR/LF in arguments made spaces
 * (they must not start a line of their own), CRLF added. */
static void vsend(struct link *l, const char *fmt, va_list ap)
{
	char buf[MSG_MAXLINE + 1];
	int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof buf - 2 ? (size_t)n : sizeof buf - 3;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = ' ';
	if (srv.debug)
		log_debug("services< %.*s", (int)len, buf);
	buf[len++] = '\r';
	buf[len++] = '\n';
	conn_send(&l->conn, buf, len);
}

void ts6_send(const char *fmt, ...)
{
	if (!active)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsend(active, fmt, ap);
	va_end(ap);
}

/* Before the link is established nothing may go out via ts6_send. */
static void send_raw(struct link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_raw(struct link *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsend(l, fmt, ap);
	va_end(ap);
}

static void link_error(struct link *l, const char *why)
{
	log_warn("services link from %s refused: %s", l->host, why);
	send_raw(l, "ERROR :Closing Link: %s (%s)", l->host, why);
	conn_kill(&l->conn, why);
}

/* ---- handshake */

static void on_pass(struct link *l, const struct ts6_msg *m)
{
	if (l->stage != ST_PASS) {
		log_warn("services link: PASS out of order, ignored");
		return;
	}
	if (!secret_equal(m->args[0], srv.cfg.services_receive_password)) {
		link_error(l, "Bad password");
		return;
	}
	if (strcmp(m->args[3], srv.cfg.sid) == 0) {
		link_error(l, "SID collides with ours");
		return;
	}
	snprintf(l->sid, sizeof l->sid, "%s", m->args[3]);
	l->stage = ST_SERVER;
}

static void on_server(struct link *l, const struct ts6_msg *m)
{
	if (l->stage != ST_SERVER) {
		/* SERVER before PASS: no password was given */
		link_error(l, l->stage == ST_PASS ? "No password" : "SERVER out of order");
		return;
	}
	if (strcasecmp(m->args[0], srv.cfg.services_name) != 0) {
		char why[128];
		snprintf(why, sizeof why, "Server %s is not the configured services", m->args[0]);
		link_error(l, why);
		return;
	}
	if (active) {
		link_error(l, "Services are already linked");
		return;
	}
	active = l;
	l->stage = ST_UP;
	snprintf(ts6_peer_sid, sizeof ts6_peer_sid, "%s", l->sid);
	snprintf(ts6_peer_name, sizeof ts6_peer_name, "%s", m->args[0]);
	conn_set_tlist(&l->conn, TL_ACTIVE);
	log_info("services linked: %s (%s) from %s", ts6_peer_name, ts6_peer_sid, l->host);

	/* our half of the handshake: their password proved who they are */
	ts6_send("PASS %s TS 6 :%s", srv.cfg.services_send_password, srv.cfg.sid);
	ts6_send("CAPAB :QS EX IE KLN UNKLN ENCAP TB SERVICES EUID EOPMOD");
	ts6_send("SERVER %s 1 :%s", srv.cfg.name, srv.cfg.description);
	ts6_send("SVINFO 6 6 0 :%lld", (long long)time(NULL));

	struct event ev = { .type = EV_NODE_UP, .node = ts6_peer_name, .nargs = 3,
	                    .args = { ts6_peer_name, ts6_peer_sid,
	                              m->args[m->nargs - 1] } };
	event_emit(&ev);
	ts6_out_burst();
	notify_sasl_cap(1);
}

static void on_line(struct conn *conn, char *line, size_t len)
{
	(void)len;
	struct link *l = (struct link *)conn;
	struct ts6_msg m;
	char why[128];

	if (srv.debug)
		log_debug("services> %s", line);
	if (ts6_decode(line, &m, why, sizeof why) < 0) {
		/* a trust boundary, but not a hostile one: log, drop, go on */
		log_warn("services link: line dropped: %s", why);
		return;
	}
	switch (m.cmd) {
	case T6_PASS:
		on_pass(l, &m);
		return;
	case T6_CAPAB:
		return;
	case T6_SERVER:
		on_server(l, &m);
		return;
	case T6_ERROR:
		log_warn("services link: ERROR from services: %s", m.nargs ? m.args[0] : "");
		return;
	default:
		break;
	}
	if (l->stage != ST_UP) {
		log_warn("services link: line before the handshake completed, ignored");
		return;
	}
	switch (m.cmd) {
	case T6_SVINFO: {
		long long delta = (long long)m.ts - (long long)time(NULL);
		if (delta > 60 || delta < -60)
			log_warn("services clock is %lld s off ours: channel and nick TS may misjudge", delta);
		return;
	}
	case T6_PING:
		ts6_send(":%s PONG %s :%s", srv.cfg.sid, srv.cfg.name, m.args[0]);
		return;
	case T6_PONG:
		if (!l->eob) {
			l->eob = 1;
			log_info("services link: burst exchanged");
		}
		return;
	default:
		ts6_in_dispatch(&m);
	}
}

/* ---- connection callbacks */

static void on_too_long(struct conn *conn)
{
	(void)conn;
	log_warn("services link: line over 512 bytes dropped");
}

static void on_timeout(struct conn *conn, enum conn_tlist which)
{
	struct link *l = (struct link *)conn;
	if (which == TL_UNREG) {
		link_error(l, "Handshake timeout");
	} else if (which == TL_ACTIVE) {
		ts6_send("PING :%s", srv.cfg.name);
	} else if (which == TL_PINGED) {
		log_warn("services link: ping timeout");
		send_raw(l, "ERROR :Closing Link: %s (Ping timeout)", l->host);
		conn_kill(conn, "Ping timeout");
	}
}

static void sessions_drop_all(void)
{
	struct sasl_session *s, *tmp;
	HASH_ITER(hh, sessions, s, tmp) {
		if (!(s->c->conn.flags & CONN_DEAD))
			send_numeric(s->c, ERR_SASLABORTED, ":SASL authentication aborted");
		s->c->sasl = 0;
		HASH_DEL(sessions, s);
		free(s);
	}
}

static void on_closed(struct conn *conn, const char *reason)
{
	struct link *l = (struct link *)conn;
	if (l != active) {
		log_info("services link attempt from %s closed (%s)", l->host, reason);
		return;
	}
	log_warn("services link to %s lost: %s", ts6_peer_name, reason);
	active = NULL;
	free(mechs);
	mechs = NULL;
	sessions_drop_all();
	notify_sasl_cap(0);
	/* their users quit everywhere; logged-in users stay logged in */
	struct event ev = { .type = EV_NODE_LOST, .node = ts6_peer_name, .nargs = 1,
	                    .args = { ts6_peer_name }, .text = "*.net *.split" };
	event_emit(&ev);
	ts6_peer_sid[0] = ts6_peer_name[0] = '\0';
}

static void on_release(struct conn *conn)
{
	free(conn);
}

static const struct conn_handlers link_handlers = {
	.line = on_line,
	.too_long = on_too_long,
	.timeout = on_timeout,
	.closed = on_closed,
	.release = on_release,
};

void ts6_accept(int fd, const struct sockaddr_storage *peer, socklen_t len, int unused)
{
	(void)len; (void)unused;
	struct link *l = calloc(1, sizeof *l);
	char text[INET6_ADDRSTRLEN] = "unknown";
	if (peer->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, text, sizeof text);
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, text, sizeof text);
	if (!l) {
		close(fd);
		return;
	}
	snprintf(l->host, sizeof l->host, "%s", text);
	l->conn.flags |= CONN_LINK;
	conn_start_with(&l->conn, fd, &link_handlers);
	log_info("services link connection from %s", l->host);
}

void ts6_shutdown(void)
{
	if (!active)
		return;
	send_raw(active, "ERROR :Closing Link: %s (Server shutting down)", active->host);
	conn_kill(&active->conn, "Server shutting down");
}

/* ---- SASL sessions (relayed, per connection: never replicated) */

int ts6_sasl_send(struct client *c, char mode, const char *data)
{
	if (!active)
		return -1;
	struct sasl_session *s;
	HASH_FIND_STR(sessions, c->uid, s);
	if (!s) {
		if (mode != 'S')
			return -1;
		if (!(s = calloc(1, sizeof *s)))
			return -1;
		snprintf(s->uid, sizeof s->uid, "%s", c->uid);
		s->c = c;
		HASH_ADD_STR(sessions, uid, s);
		c->sasl = 1;
		/* H: where the client comes from, for services' logs and limits */
		ts6_send(":%s ENCAP * SASL %s * H %s %s%s", srv.cfg.sid, c->uid, c->host, c->host,
		         c->tls ? " S" : " P");
	}
	/* S carries the certificate fingerprint after the mechanism, as in
	 * solanum: Atheme's saslserv keeps it for EXTERNAL */
	const char *fp = mode == 'S' ? client_certfp(c) : NULL;
	ts6_send(":%s ENCAP %s SASL %s %s %c %s%s%s", srv.cfg.sid, s->agent[0] ? ts6_peer_name : "*",
	         c->uid, s->agent[0] ? s->agent : "*", mode, data, fp ? " " : "", fp ? fp : "");
	if (mode == 'D') {
		HASH_DEL(sessions, s);
		free(s);
		c->sasl = 0;
	}
	return 0;
}

/* ENCAP SASL from services: agent client mode data */
void ts6_sasl_reply(const struct ts6_msg *m)
{
	struct sasl_session *s;
	HASH_FIND_STR(sessions, m->args[1], s);
	if (!s) {
		log_debug("services link: SASL for unknown session %s", m->args[1]);
		return;
	}
	struct client *c = s->c;
	snprintf(s->agent, sizeof s->agent, "%s", m->args[0]);
	const char *data = m->args[3];
	switch (m->args[2][0]) {
	case 'C':
		send_line(c, "AUTHENTICATE %s", data);
		return;
	case 'M':
		send_numeric(c, RPL_SASLMECHS, "%s :are available SASL mechanisms", data);
		return;
	case 'D':
		if (data[0] == 'S')
			send_numeric(c, RPL_SASLSUCCESS, ":SASL authentication successful");
		else if (data[0] == 'A')
			send_numeric(c, ERR_SASLABORTED, ":SASL authentication aborted");
		else
			send_numeric(c, ERR_SASLFAIL, ":SASL authentication failed");
		if (data[0] == 'S')
			c->sasl_done = 1;
		HASH_DEL(sessions, s);
		free(s);
		c->sasl = 0;
		return;
	default:
		log_debug("services link: SASL mode %s ignored", m->args[2]);
	}
}

void ts6_client_gone(struct client *c)
{
	struct sasl_session *s;
	if (!c->sasl)
		return;
	HASH_FIND_STR(sessions, c->uid, s);
	if (s) {
		ts6_send(":%s ENCAP %s SASL %s %s D A", srv.cfg.sid, s->agent[0] ? ts6_peer_name : "*",
		         c->uid, s->agent[0] ? s->agent : "*");
		HASH_DEL(sessions, s);
		free(s);
	}
	c->sasl = 0;
}
