/* wsconn.c - see wsconn.h. The pure parts (handshake parsing, frame
 * headers, UTF-8) are in ws.c; this file keeps each connection's state. */
#include "wsconn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "ws.h"

/* One IRC line per message: the tagged-line limit of conn.c, plus a
 * trailing CRLF some clients send although the spec says not to. */
#define MAX_MESSAGE (8191 + 510 + 2)
/* the longest line the server writes (tags included) */
#define MAX_OUT_LINE 16384

enum { ST_HTTP, ST_OPEN, ST_CLOSED };

struct ws {
	uint8_t state;
	uint8_t text_out;     /* send text frames (text.ircv3.net or none) */
	uint8_t trusted;      /* the peer is a trusted proxy */
	uint8_t msg_op;       /* opcode of the message being received, 0: none */
	uint8_t hlen;         /* header bytes buffered in hdr */
	uint8_t have_frame;   /* f is complete: its payload follows */
	uint16_t close_code;  /* what our close frame will say */
	const char *close_why;
	uint8_t hdr[14];
	struct ws_frame f;
	uint64_t pos;         /* payload bytes of f read so far */
	uint32_t msg_len;     /* payload bytes of the message so far */
	uint32_t crlf;        /* CR/LF held back: trailing ones are dropped */
	uint32_t utf8;        /* ws_utf8 state of a text message */
	char *http;           /* the request head while it arrives */
	uint32_t http_len;
	uint32_t opart_len;
	char *opart;          /* output: a line not yet complete */
	uint8_t *ctl;         /* payload of a control frame, while one arrives */
};

static const struct config *cfg;
static int (*on_forwarded)(struct conn *c, const struct netaddr *addr);
static const char *(*addr_of)(struct conn *c);

void ws_init(const struct config *c, int (*forwarded)(struct conn *, const struct netaddr *),
             const char *(*address)(struct conn *))
{
	cfg = c;
	on_forwarded = forwarded;
	addr_of = address;
}

/* for log lines: the client's address as the IRC layer knows it */
static const char *peer(struct conn *c)
{
	return addr_of ? addr_of(c) : "?";
}

/* ---- trusted proxies */

static int trusted(const struct netaddr *a)
{
	for (int i = 0; cfg && i < cfg->nws_proxies; i++)
		if (cidr_match(&cfg->ws_proxies[i], a))
			return 1;
	return 0;
}

int ws_trusted(const struct sockaddr_storage *peer)
{
	struct netaddr a;
	netaddr_from_sockaddr(&a, peer);
	return trusted(&a);
}

/* The client a chain of proxies speaks for: the rightmost X-Forwarded-For
 * entry that is not itself a trusted proxy (each proxy appends the
 * address it saw; entries further left are the client's own claims).
 * Returns 0 and fills out, or -1 when an entry is not an address. */
static int forwarded_client(const char *v, size_t n, struct netaddr *out)
{
	while (n) {
		const char *comma = memrchr(v, ',', n);
		const char *item = comma ? comma + 1 : v;
		size_t len = (size_t)(v + n - item);
		while (len && (*item == ' ' || *item == '\t'))
			item++, len--;
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			len--;
		char text[INET6_ADDRSTRLEN];
		if (len == 0 || len >= sizeof text)
			return -1;
		memcpy(text, item, len);
		text[len] = '\0';
		if (netaddr_parse(out, text) < 0)
			return -1;
		if (!comma || !trusted(out))
			return 0;
		n = (size_t)(comma - v);
	}
	return -1;
}

/* ---- state */

struct ws *ws_new(const struct sockaddr_storage *from)
{
	struct ws *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->trusted = (uint8_t)ws_trusted(from);
	return w;
}

void ws_free(struct ws *w)
{
	if (!w)
		return;
	free(w->http);
	free(w->opart);
	free(w->ctl);
	free(w);
}

/* Close the connection with `code`: the close frame goes out as conn
 * kills c (ws_close_frame). */
static void fail(struct conn *c, int code, const char *why)
{
	struct ws *w = c->ws;
	char reason[160];
	log_info("WebSocket %s: closing with status %d: %s", peer(c), code, why);
	w->close_code = (uint16_t)code;
	w->close_why = why;
	snprintf(reason, sizeof reason, "WebSocket error: %s", why);
	conn_kill(c, reason);
}

size_t ws_close_frame(struct conn *c, uint8_t *out)
{
	struct ws *w = c->ws;
	if (w->state != ST_OPEN)
		return 0;
	w->state = ST_CLOSED;
	size_t wl = w->close_why ? strlen(w->close_why) : 0;
	if (wl > 123)
		wl = 123;
	size_t hl = ws_frame_header(out, WS_CLOSE, 2 + wl);
	uint16_t code = w->close_code ? w->close_code : WS_NORMAL;
	out[hl] = (uint8_t)(code >> 8);
	out[hl + 1] = (uint8_t)code;
	if (wl)
		memcpy(out + hl + 2, w->close_why, wl);
	return hl + 2 + wl;
}

/* ---- the opening handshake */

static void http_fail(struct conn *c, int status, const char *why, const char *detail)
{
	struct ws *w = c->ws;
	char buf[512], reason[160];
	size_t n = ws_http_error(buf, sizeof buf, status, why);
	log_info("WebSocket %s: handshake refused with HTTP %d: %s%s", peer(c), status, why, detail);
	conn_send_raw(c, buf, n);
	w->state = ST_CLOSED;
	snprintf(reason, sizeof reason, "WebSocket handshake refused: %s", why);
	conn_kill(c, reason);
}

/* Take request bytes; returns how many of raw belonged to the request. */
static size_t handshake(struct conn *c, struct ws *w, const uint8_t *raw, size_t n)
{
	size_t old = w->http_len;
	size_t take = n < WS_MAX_REQUEST - old ? n : WS_MAX_REQUEST - old;
	/* sized to what came (a browser's head is ~500 bytes), not to the
	 * 8 KiB allowed: thousands of handshakes must not fragment the heap */
	char *nb = realloc(w->http, (old + take + 255) & ~(size_t)255);
	if (!nb) {
		conn_kill(c, "Out of memory");
		return n;
	}
	w->http = nb;
	memcpy(w->http + old, raw, take);
	w->http_len += (uint32_t)take;
	/* say so at once when it is not HTTP at all (an IRC client, TLS) */
	const char *nl = memchr(w->http, '\n', w->http_len);
	if (w->http[0] < 'A' || w->http[0] > 'Z' ||
	    (nl && !memmem(w->http, (size_t)(nl - w->http), " HTTP/", 6))) {
		http_fail(c, 400, "not an HTTP request", "");
		return n;
	}
	size_t from = old > 2 ? old - 2 : 0;
	size_t end = ws_request_end(w->http + from, w->http_len - from);
	if (!end) {
		if (w->http_len == WS_MAX_REQUEST)
			http_fail(c, 431, "request head too long", "");
		return n;
	}
	end += from;

	struct ws_request r;
	int status = ws_parse_request(w->http, end, &r);
	char detail[160] = "";
	if (!status && r.origin && !ws_origin_allowed(cfg ? cfg->ws_origins : "", r.origin, r.originlen)) {
		snprintf(detail, sizeof detail, " (Origin: %.*s)", r.originlen > 100 ? 100 : (int)r.originlen,
		         r.origin);
		status = 403;
		r.why = "origin not allowed";
	}
	char accept[29];
	if (!status && ws_accept_value(r.key, r.keylen, accept) < 0) {
		status = 503;
		r.why = "no SHA-1 available";
	}
	if (status) {
		http_fail(c, status, r.why, detail);
		return n;
	}
	char reply[256];
	size_t rl = ws_handshake_reply(reply, sizeof reply, accept, r.proto);
	conn_send_raw(c, reply, rl);
	w->state = ST_OPEN;
	w->text_out = r.proto != WS_PROTO_BINARY;
	struct netaddr client;
	int fwd = w->trusted && r.xff ? forwarded_client(r.xff, r.xfflen, &client) : 1;
	if (fwd < 0)
		log_warn("WebSocket %s: unusable X-Forwarded-For \"%.*s\": using the proxy's address",
		         peer(c), r.xfflen > 100 ? 100 : (int)r.xfflen, r.xff);
	log_info("WebSocket %s: upgraded (%s)%s", peer(c),
	         r.proto == WS_PROTO_BINARY ? "binary.ircv3.net" :
	         r.proto == WS_PROTO_TEXT ? "text.ircv3.net" : "no subprotocol: text",
	         fwd == 0 ? ", forwarded" : "");
	free(w->http);
	w->http = NULL;
	w->http_len = 0;
	size_t used = end - old;
	if (fwd == 0 && on_forwarded)
		on_forwarded(c, &client);   /* may refuse the client: then c is dead */
	return used;
}

/* ---- frames in */

static void send_frame(struct conn *c, int opcode, const void *payload, size_t len)
{
	uint8_t buf[10 + 125];
	size_t hl = ws_frame_header(buf, opcode, len);
	if (len)
		memcpy(buf + hl, payload, len);
	conn_send_raw(c, (char *)buf, hl + len);
}

/* a received close status code that may be on the wire (RFC 6455 7.4) */
static int code_ok(unsigned code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int on_close(struct conn *c, struct ws *w)
{
	size_t n = (size_t)w->f.len;
	if (n == 1) {
		fail(c, WS_PROTOCOL_ERROR, "close frame with a one-byte body");
		return 0;
	}
	unsigned code = n ? (unsigned)(w->ctl[0] << 8 | w->ctl[1]) : WS_NORMAL;
	if (!code_ok(code)) {
		fail(c, WS_PROTOCOL_ERROR, "invalid close status code");
		return 0;
	}
	if (n > 2 && ws_utf8(0, w->ctl + 2, n - 2) != 0) {
		fail(c, WS_BAD_DATA, "invalid UTF-8 in the close reason");
		return 0;
	}
	/* echo the status, as RFC 6455 5.5.1 suggests */
	w->close_code = (uint16_t)code;
	char reason[64];
	if (code == WS_NORMAL || code == WS_GOING_AWAY)
		snprintf(reason, sizeof reason, "Connection closed");
	else
		snprintf(reason, sizeof reason, "WebSocket closed by client with status %u", code);
	conn_kill(c, reason);
	return 0;
}

/* A frame is complete. Returns 0 if the connection is closing. */
static int end_frame(struct conn *c, struct ws *w, char *out, size_t *o)
{
	w->have_frame = 0;
	if (w->f.opcode & 0x8) {
		int r = 1;
		if (w->f.opcode == WS_PING)
			send_frame(c, WS_PONG, w->ctl, (size_t)w->f.len);
		else if (w->f.opcode == WS_CLOSE)
			r = on_close(c, w);
		free(w->ctl);
		w->ctl = NULL;
		return r;
	}
	if (!w->f.fin)
		return 1;
	if (w->msg_op == WS_TEXT && w->utf8 != 0) {
		fail(c, WS_BAD_DATA, "invalid UTF-8 in a text message (truncated sequence)");
		return 0;
	}
	out[(*o)++] = '\n';   /* one message, one line; conn.c skips empty ones */
	w->msg_op = 0;
	return 1;
}

/* Payload of a data frame, unmasked: into the line stream. */
static int data(struct conn *c, struct ws *w, const uint8_t *p, size_t n, char *out, size_t *o)
{
	if (w->msg_op == WS_TEXT && (w->utf8 = ws_utf8(w->utf8, p, n)) == WS_UTF8_BAD) {
		fail(c, WS_BAD_DATA, "invalid UTF-8 in a text message");
		return 0;
	}
	w->msg_len += (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			w->crlf++;   /* dropped if the message ends here */
			continue;
		}
		if (w->crlf) {
			fail(c, WS_PROTOCOL_ERROR, "line break inside a message (one IRC line per message)");
			return 0;
		}
		out[(*o)++] = (char)p[i];
	}
	return 1;
}

static int start_frame(struct conn *c, struct ws *w)
{
	const char *why;
	uint64_t room = MAX_MESSAGE - (w->msg_op ? w->msg_len : 0);
	int code = ws_frame_check(&w->f, w->msg_op != 0, room, &why);
	if (code) {
		fail(c, code, why);
		return 0;
	}
	if (w->f.opcode == WS_TEXT || w->f.opcode == WS_BINARY) {
		w->msg_op = w->f.opcode;
		w->msg_len = 0;
		w->crlf = 0;
		w->utf8 = 0;
	}
	w->pos = 0;
	w->have_frame = 1;
	/* a control payload is echoed or parsed whole; idle clients keep no
	 * buffer for it */
	if ((w->f.opcode & 0x8) && w->f.len && !(w->ctl = malloc((size_t)w->f.len))) {
		conn_kill(c, "Out of memory");
		return 0;
	}
	return 1;
}

size_t ws_input(struct conn *c, uint8_t *raw, size_t n, char *out)
{
	struct ws *w = c->ws;
	size_t i = 0, o = 0;
	if (w->state == ST_HTTP)
		i = handshake(c, w, raw, n);
	while (i < n && w->state == ST_OPEN && !(c->flags & CONN_DEAD)) {
		if (!w->have_frame) {
			size_t take = n - i < sizeof w->hdr - w->hlen ? n - i : sizeof w->hdr - w->hlen;
			memcpy(w->hdr + w->hlen, raw + i, take);
			size_t hl = ws_frame_decode(w->hdr, w->hlen + take, &w->f);
			if (!hl) {
				w->hlen = (uint8_t)(w->hlen + take);
				i += take;
				continue;
			}
			i += hl - w->hlen;
			w->hlen = 0;
			if (!start_frame(c, w))
				break;
		}
		uint64_t left = w->f.len - w->pos;
		size_t take = left < n - i ? (size_t)left : n - i;
		ws_unmask(raw + i, take, w->f.mask, w->pos);
		if (w->f.opcode & 0x8) {
			if (take)
				memcpy(w->ctl + w->pos, raw + i, take);
		}
		else if (!data(c, w, raw + i, take, out, &o))
			break;
		w->pos += take;
		i += take;
		if (w->pos == w->f.len && !end_frame(c, w, out, &o))
			break;
	}
	return o;
}

/* ---- frames out */

/* One line (without CR/LF) as one frame, valid UTF-8 in a text frame. */
static void frame_line(struct conn *c, struct ws *w, const char *line, size_t len)
{
	static uint8_t clean[3 * MAX_OUT_LINE];
	uint8_t hdr[10];
	if (len > MAX_OUT_LINE)
		len = MAX_OUT_LINE;
	if (w->text_out && ws_utf8(0, (const uint8_t *)line, len) != 0) {
		/* the IRCv3 spec: never relay non-UTF-8 in a text frame */
		len = ws_utf8_sanitize((const uint8_t *)line, len, clean);
		line = (const char *)clean;
	}
	size_t hl = ws_frame_header(hdr, w->text_out ? WS_TEXT : WS_BINARY, len);
	conn_send_raw(c, (const char *)hdr, hl);
	conn_send_raw(c, line, len);
}

static size_t strip_eol(const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

void ws_send(struct conn *c, const char *data, size_t len)
{
	struct ws *w = c->ws;
	if (w->state != ST_OPEN)
		return;   /* nothing but the handshake before it, nothing after the close */
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;
		if (!nl || w->opart_len) {
			/* a line in pieces (a label prefix, then the line) */
			if (!w->opart && !(w->opart = malloc(MAX_OUT_LINE))) {
				conn_kill(c, "Out of memory");
				return;
			}
			size_t room = MAX_OUT_LINE - w->opart_len, k = n < room ? n : room;
			memcpy(w->opart + w->opart_len, data, k);
			w->opart_len += (uint32_t)k;
			if (nl) {
				frame_line(c, w, w->opart, strip_eol(w->opart, w->opart_len));
				free(w->opart);   /* idle clients hold no output memory */
				w->opart = NULL;
				w->opart_len = 0;
			}
		} else {
			frame_line(c, w, data, strip_eol(data, n));
		}
		data += n;
		len -= n;
	}
}

/* A broadcast line is framed once per kind (text, binary) and the framed
 * buffer shared by every WebSocket recipient, as the line itself is by
 * the TCP ones. The cache holds a reference to the source, so its address
 * cannot be reused for another line while it is cached. */
static struct {
	struct sbuf *src, *framed;
	uint32_t len;
} cache[2];

static struct sbuf *frame_all(const struct sbuf *b, int text)
{
	size_t lines = 0;
	for (uint32_t i = 0; i < b->len; i++)
		lines += b->data[i] == '\n';
	int dirty = text && ws_utf8(0, (const uint8_t *)b->data, b->len) != 0;
	struct sbuf *f = sbuf_new((uint32_t)((dirty ? 3 : 1) * (size_t)b->len + 10 * lines));
	if (!f)
		return NULL;
	for (const char *p = b->data, *end = b->data + b->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = strip_eol(p, (size_t)(nl - p) + 1);
		uint8_t *dst = (uint8_t *)f->data + f->len;
		if (text && ws_utf8(0, (const uint8_t *)p, len) != 0) {
			static uint8_t clean[3 * MAX_OUT_LINE];
			len = ws_utf8_sanitize((const uint8_t *)p, len > MAX_OUT_LINE ? MAX_OUT_LINE : len, clean);
			size_t hl = ws_frame_header(dst, WS_TEXT, len);
			memcpy(dst + hl, clean, len);
			f->len += (uint32_t)(hl + len);
		} else {
			size_t hl = ws_frame_header(dst, text ? WS_TEXT : WS_BINARY, len);
			memcpy(dst + hl, p, len);
			f->len += (uint32_t)(hl + len);
		}
		p = nl + 1;
	}
	return f;
}

void ws_send_shared(struct conn *c, struct sbuf *b)
{
	struct ws *w = c->ws;
	if (w->state != ST_OPEN)
		return;
	if (w->opart_len || !b->len || b->data[b->len - 1] != '\n') {
		ws_send(c, b->data, b->len);
		return;
	}
	int k = w->text_out;
	if (cache[k].src != b || cache[k].len != b->len) {
		struct sbuf *f = frame_all(b, k);
		if (!f) {
			ws_send(c, b->data, b->len);
			return;
		}
		if (cache[k].src) {
			sbuf_unref(cache[k].src);
			sbuf_unref(cache[k].framed);
		}
		b->refs++;
		cache[k].src = b;
		cache[k].len = b->len;
		cache[k].framed = f;
	}
	conn_send_raw_shared(c, cache[k].framed);
}
