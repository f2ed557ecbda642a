/* send.c - see send.h */
#include "send.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cap.h"
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

/* ---- labeled-response: the output of one labeled command, held back */

#define LABEL_MAX 64
static struct {
	struct client *c;          /* whose output is held; NULL: none */
	char label[LABEL_MAX + 1];
	struct sbuf **lines;
	size_t n, cap;
	size_t bytes;              /* what sending them will queue */
} held;
static unsigned long batch_seq;

static int hold(struct client *to, struct sbuf *b)
{
	if (to != held.c)
		return 0;
	if (to->conn.flags & CONN_DEAD)
		return 1;   /* dropped, as conn_send would */
	/* held bytes are queued bytes: a reply bigger than the sendq ends the
	 * connection now, not after all of it sat in memory. Each line gains
	 * a "@label=...;" or "@batch=...;" prefix when sent. */
	size_t cost = b->len + LABEL_MAX + 16;
	if (conn_sendq_exceeded(&to->conn, held.bytes + cost)) {
		conn_kill(&to->conn, "SendQ exceeded");
		return 1;
	}
	held.bytes += cost;
	if (held.n == held.cap) {
		size_t nc = held.cap ? held.cap * 2 : 16;
		struct sbuf **nl = realloc(held.lines, nc * sizeof *nl);
		if (!nl)
			return 0;  /* send it unlabeled rather than lose it */
		held.lines = nl;
		held.cap = nc;
	}
	b->refs++;
	held.lines[held.n++] = b;
	return 1;
}

int send_label_begin(struct client *c, const char *label)
{
	if (held.c || c->remote)
		return 0;
	held.c = c;
	held.n = 0;
	held.bytes = 0;
	snprintf(held.label, sizeof held.label, "%s", label);
	return 1;
}

const char *send_label_for(const char *uid)
{
	return held.c && uid && strcmp(held.c->uid, uid) == 0 ? held.label : NULL;
}

/* b with `tag` first in its tag section. Two sends, one line: the queue is
 * a byte stream. */
static void send_tagged(struct client *c, const char *tag, const struct sbuf *b)
{
	char pre[LABEL_MAX + 16];
	int tagged = b->len && b->data[0] == '@';
	int n = snprintf(pre, sizeof pre, "@%s%c", tag, tagged ? ';' : ' ');
	conn_send(&c->conn, pre, (size_t)n);
	conn_send(&c->conn, b->data + tagged, b->len - (uint32_t)tagged);
}

void send_label_end(struct client *c)
{
	if (held.c != c || !c)
		return;
	held.c = NULL;
	char line[LABEL_MAX + 128], tag[LABEL_MAX + 16];
	int n;
	snprintf(tag, sizeof tag, "label=%s", held.label);
	if (held.n == 0) {
		n = snprintf(line, sizeof line, "@%s :%s ACK\r\n", tag, srv.cfg.name);
		conn_send(&c->conn, line, (size_t)n);
	} else if (held.n == 1) {
		send_tagged(c, tag, held.lines[0]);
	} else {
		char id[24];
		snprintf(id, sizeof id, "lr%lu", ++batch_seq);
		n = snprintf(line, sizeof line, "@%s :%s BATCH +%s labeled-response\r\n", tag,
		             srv.cfg.name, id);
		conn_send(&c->conn, line, (size_t)n);
		snprintf(tag, sizeof tag, "batch=%s", id);
		for (size_t i = 0; i < held.n; i++)
			send_tagged(c, tag, held.lines[i]);
		n = snprintf(line, sizeof line, ":%s BATCH -%s\r\n", srv.cfg.name, id);
		conn_send(&c->conn, line, (size_t)n);
	}
	for (size_t i = 0; i < held.n; i++)
		sbuf_unref(held.lines[i]);
	held.n = 0;
	if (held.cap > 256) {
		/* a huge reply (LIST, WHO) should not pin its array forever */
		free(held.lines);
		held.lines = NULL;
		held.cap = 0;
	}
}

static void deliver(struct client *c, const char *buf, size_t len)
{
	if (c->remote)
		return;  /* its own node tells it */
	if (srv.debug)
		log_debug("%d< %.*s", conn_fd(&c->conn), (int)(len - 2), buf);
	if (c == held.c) {
		struct sbuf *b = sbuf_new((uint32_t)len);
		if (b) {
			memcpy(b->data, buf, len);
			b->len = (uint32_t)len;
			int kept = hold(c, b);
			sbuf_unref(b);
			if (kept)
				return;
		}
	}
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

/* ---- fan-out with per-capability variants */

/* "time=YYYY-MM-DDThh:mm:ss.sssZ" for ms (milliseconds since the epoch),
 * or for the current loop iteration when 0: every line relayed in one pass
 * was received at (about) that time. */
static const char *time_tag(int64_t ms)
{
	static char buf[48];
	static int64_t last = -1;
	if (!ms)
		ms = (int64_t)(ev_now(srv.loop) * 1000);
	if (ms != last) {
		time_t sec = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&sec, &tm);
		size_t n = strftime(buf, sizeof buf, "time=%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
		last = ms;
	}
	return buf;
}

void fanout_init(struct fanout *f, struct sbuf *body)
{
	memset(f, 0, sizeof *f);
	f->v[0] = body;
}

/* Variant k from its body: "@tags " + body. */
static struct sbuf *build_variant(struct fanout *f, unsigned k)
{
	struct sbuf *body = f->v[k & 4];
	char acct[128] = "";
	if (k & 8)
		snprintf(acct, sizeof acct, "account=%s", f->account);
	const char *part[3] = { k & 1 ? time_tag(f->time_ms) : "", acct, k & 2 ? f->ctags : "" };
	size_t len = 1 + 1 + body->len;
	for (int i = 0; i < 3; i++)
		len += strlen(part[i]) + 1;   /* and a ';' */
	struct sbuf *b = sbuf_new((uint32_t)len);
	if (!b)
		return NULL;
	char *p = b->data;
	*p++ = '@';
	for (int i = 0, first = 1; i < 3; i++) {
		size_t n = strlen(part[i]);
		if (!n)
			continue;
		if (!first)
			*p++ = ';';
		memcpy(p, part[i], n);
		p += n;
		first = 0;
	}
	*p++ = ' ';
	memcpy(p, body->data, body->len);
	b->len = (uint32_t)(p - b->data) + body->len;
	return b;
}

static struct sbuf *variant(struct fanout *f, uint32_t caps)
{
	if ((caps & f->need) != f->need)
		return NULL;
	unsigned k = (caps & CAP_SERVER_TIME) ? 1 : 0;
	if (f->ctags && caps & CAP_MESSAGE_TAGS)
		k |= 2;
	if (caps & f->alt_cap && f->v[4])
		k |= 4;
	if (f->account && caps & CAP_ACCOUNT_TAG)
		k |= 8;
	if (!f->v[k] && f->v[k & 4]) {
		f->v[k] = build_variant(f, k);
		if (!f->v[k])
			return f->v[k & 4];  /* out of memory: untagged is better than nothing */
	}
	return f->v[k];
}

void fanout_to(struct fanout *f, struct client *to)
{
	if (to->remote)
		return;
	struct sbuf *b = variant(f, to->caps);
	if (b && !hold(to, b))
		conn_send_shared(&to->conn, b);
}

void fanout_to_unlabeled(struct fanout *f, struct client *to)
{
	if (to->remote)
		return;
	struct sbuf *b = variant(f, to->caps);
	if (b)
		conn_send_shared(&to->conn, b);
}

void fanout_channel(struct fanout *f, struct channel *ch, struct client *except)
{
	/* the hot loop: m->caps is the membership's copy of the client's */
	for (struct member *m = ch->members; m; m = m->cnext) {
		if (m->cl == except || m->remote)
			continue;
		struct sbuf *b = variant(f, m->caps);
		if (b && !hold(m->cl, b))
			conn_send_shared(&m->cl->conn, b);
	}
}

static void fanout_one(struct client *peer, void *arg)
{
	fanout_to(arg, peer);
}

void fanout_peers(struct fanout *f, struct client *c, int with_self)
{
	if (with_self)
		fanout_to(f, c);
	client_visit_peers(c, fanout_one, f);
}

void fanout_done(struct fanout *f)
{
	for (int i = 0; i < 16; i++)
		if (f->v[i])
			sbuf_unref(f->v[i]);
}

/* The broadcast API without client tags: the caller keeps its reference
 * to b. account: the source user's (account-tag), or NULL. */
void send_to_channel(struct channel *ch, struct client *except, struct sbuf *b, const char *account)
{
	if (!b)
		return;
	struct fanout f;
	b->refs++;
	fanout_init(&f, b);
	f.account = account;
	fanout_channel(&f, ch, except);
	fanout_done(&f);
}

void send_to_peers(struct client *c, struct sbuf *b, int with_self, const char *account)
{
	if (!b)
		return;
	struct fanout f;
	b->refs++;
	fanout_init(&f, b);
	f.account = account;
	fanout_peers(&f, c, with_self);
	fanout_done(&f);
}
