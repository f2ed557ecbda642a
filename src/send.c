/* send.c - see send.h */
#include "send.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "numeric.h"
#include "server.h"

#define LINE_MAX_BODY 510

/* Format into buf (>= 513 bytes) and terminate with CRLF; returns length. */
static size_t vformat(char *buf, const char *prefix, const char *fmt, va_list ap)
{
	int n = 0;
	if (prefix)
		n = snprintf(buf, LINE_MAX_BODY + 1, "%s", prefix);
	if (n < 0)
		n = 0;
	if (n > LINE_MAX_BODY)
		n = LINE_MAX_BODY;
	int m = vsnprintf(buf + n, (size_t)(LINE_MAX_BODY + 1 - n), fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > LINE_MAX_BODY)
		len = LINE_MAX_BODY;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\r' || buf[i] == '\n' || buf[i] == '\0')
			buf[i] = ' ';
	buf[len++] = '\r';
	buf[len++] = '\n';
	return len;
}

static void deliver(struct client *c, const char *buf, size_t len)
{
	if (srv.debug)
		log_debug("%d< %.*s", conn_fd(&c->conn), (int)(len - 2), buf);
	conn_send(&c->conn, buf, len);
}

void send_line(struct client *c, const char *fmt, ...)
{
	char buf[LINE_MAX_BODY + 3];
	va_list ap;
	va_start(ap, fmt);
	size_t len = vformat(buf, NULL, fmt, ap);
	va_end(ap);
	deliver(c, buf, len);
}

void send_numeric(struct client *c, int num, const char *fmt, ...)
{
	char buf[LINE_MAX_BODY + 3], pre[128];
	va_list ap;
	snprintf(pre, sizeof pre, ":%s %03d %s ", srv.cfg.name, num, c->nick[0] ? c->nick : "*");
	va_start(ap, fmt);
	size_t len = vformat(buf, pre, fmt, ap);
	va_end(ap);
	deliver(c, buf, len);
}

void send_needmore(struct client *c, const char *cmd)
{
	send_numeric(c, ERR_NEEDMOREPARAMS, "%s :Not enough parameters", cmd);
}

struct sbuf *line_new(const char *fmt, ...)
{
	char buf[LINE_MAX_BODY + 3];
	va_list ap;
	va_start(ap, fmt);
	size_t len = vformat(buf, NULL, fmt, ap);
	va_end(ap);
	struct sbuf *b = sbuf_new((uint32_t)len);
	if (b) {
		memcpy(b->data, buf, len);
		b->len = (uint32_t)len;
		if (srv.debug)
			log_debug("*< %.*s", (int)(len - 2), buf);
	}
	return b;
}

void send_to_channel(struct channel *ch, struct client *except, struct sbuf *b)
{
	if (!b)
		return;
	for (struct member *m = ch->members; m; m = m->cnext)
		if (m->cl != except)
			conn_send_shared(&m->cl->conn, b);
}

struct peer_send {
	struct sbuf *b;
};

static void send_one(struct client *peer, void *arg)
{
	conn_send_shared(&peer->conn, ((struct peer_send *)arg)->b);
}

void send_to_peers(struct client *c, struct sbuf *b, int with_self)
{
	if (!b)
		return;
	struct peer_send ps = { b };
	if (with_self)
		conn_send_shared(&c->conn, b);
	client_visit_peers(c, send_one, &ps);
}
