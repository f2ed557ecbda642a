/* ws.c - see ws.h */
#include "ws.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_TLS
#include <openssl/evp.h>
#endif

/* ---- the opening handshake (RFC 6455 4.2) */

size_t ws_request_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* a blank line: "\n\n" or "\n\r\n" */
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trim optional white space around [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
	while (*n && is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* Calls fn for each comma-separated, trimmed, non-empty item of a header
 * value until fn returns non-zero; returns that. */
static int each_token(const char *v, size_t n, int (*fn)(const char *t, size_t tn, void *arg), void *arg)
{
	while (n) {
		const char *comma = memchr(v, ',', n);
		size_t tn = comma ? (size_t)(comma - v) : n;
		const char *t = v;
		size_t tl = tn;
		trim(&t, &tl);
		if (tl) {
			int r = fn(t, tl, arg);
			if (r)
				return r;
		}
		if (!comma)
			break;
		n -= tn + 1;
		v = comma + 1;
	}
	return 0;
}

static int token_is(const char *t, size_t tn, void *arg)
{
	const char *want = arg;
	return strlen(want) == tn && strncasecmp(t, want, tn) == 0;
}

static int pick_proto(const char *t, size_t tn, void *arg)
{
	int *proto = arg;
	if (token_is(t, tn, "text.ircv3.net"))
		*proto = WS_PROTO_TEXT;
	else if (token_is(t, tn, "binary.ircv3.net"))
		*proto = WS_PROTO_BINARY;
	return *proto != WS_PROTO_NONE;   /* the client's first supported choice */
}

static int b64char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

/* base64 of exactly 16 bytes: 22 characters and "==" */
static int key_valid(const char *k, size_t n)
{
	if (n != 24 || k[22] != '=' || k[23] != '=')
		return 0;
	for (size_t i = 0; i < 22; i++)
		if (!b64char(k[i]))
			return 0;
	/* the last character carries 2 bits: the 4 unused ones must be 0 */
	return strchr("AQgw", k[21]) != NULL;
}

static int bad(struct ws_request *r, int status, const char *why)
{
	r->why = why;
	return status;
}

int ws_parse_request(const char *head, size_t len, struct ws_request *r)
{
	memset(r, 0, sizeof *r);
	const char *end = head + len;
	const char *nl = memchr(head, '\n', len);
	if (!nl)
		return bad(r, 400, "no request line");
	size_t ll = (size_t)(nl - head);
	if (ll && head[ll - 1] == '\r')
		ll--;
	/* "GET /path HTTP/1.1" */
	const char *sp1 = memchr(head, ' ', ll);
	if (!sp1)
		return bad(r, 400, "malformed request line");
	if ((size_t)(sp1 - head) != 3 || memcmp(head, "GET", 3) != 0)
		return bad(r, 405, "method is not GET");
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', (size_t)(head + ll - target));
	if (!sp2 || sp2 == target || *target != '/' ||
	    (size_t)(head + ll - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.1", 8) != 0)
		return bad(r, 400, "not an HTTP/1.1 request line");

	int upgrade = 0, connection = 0, host = 0, version = 0;
	const char *version_v = NULL;
	for (const char *p = nl + 1; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		size_t n = (size_t)(e - p);
		if (n && p[n - 1] == '\r')
			n--;
		const char *line = p;
		p = e + 1;
		if (n == 0)
			break;   /* the blank line */
		const char *colon = memchr(line, ':', n);
		if (!colon || colon == line || is_ows(line[0]))
			return bad(r, 400, "malformed header line");
		size_t nn = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vn = n - nn - 1;
		trim(&v, &vn);
#define IS(name) (nn == sizeof name - 1 && strncasecmp(line, name, nn) == 0)
		if (IS("Host")) {
			host = 1;
		} else if (IS("Upgrade")) {
			upgrade |= each_token(v, vn, token_is, "websocket");
		} else if (IS("Connection")) {
			connection |= each_token(v, vn, token_is, "upgrade");
		} else if (IS("Sec-WebSocket-Key")) {
			if (r->key)
				return bad(r, 400, "Sec-WebSocket-Key repeated");
			r->key = v;
			r->keylen = vn;
		} else if (IS("Sec-WebSocket-Version")) {
			version = vn == 2 && memcmp(v, "13", 2) == 0;
			version_v = v;
		} else if (IS("Sec-WebSocket-Protocol")) {
			if (r->proto == WS_PROTO_NONE)
				each_token(v, vn, pick_proto, &r->proto);
		} else if (IS("Origin")) {
			r->origin = v;
			r->originlen = vn;
		} else if (IS("X-Forwarded-For")) {
			r->xff = v;   /* the last one: the nearest proxy's */
			r->xfflen = vn;
		}
#undef IS
	}
	if (!host)
		return bad(r, 400, "no Host header");
	if (!upgrade)
		return bad(r, 400, "no \"Upgrade: websocket\" header");
	if (!connection)
		return bad(r, 400, "no \"Connection: Upgrade\" header");
	if (!version_v || !version)
		return bad(r, 426, "Sec-WebSocket-Version is not 13");
	if (!r->key || !key_valid(r->key, r->keylen))
		return bad(r, 400, "missing or malformed Sec-WebSocket-Key");
	return 0;
}

int ws_accept_value(const char *key, size_t keylen, char out[29])
{
#ifdef HAVE_TLS
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char buf[64 + sizeof guid];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (keylen > 64)
		return -1;
	memcpy(buf, key, keylen);
	memcpy(buf + keylen, guid, sizeof guid - 1);
	if (EVP_Digest(buf, keylen + sizeof guid - 1, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, 20);   /* 28 characters and a NUL */
	return 0;
#else
	(void)key; (void)keylen;
	out[0] = '\0';
	return -1;
#endif
}

size_t ws_handshake_reply(char *out, size_t cap, const char *accept, int proto)
{
	int n = snprintf(out, cap,
	                 "HTTP/1.1 101 Switching Protocols\r\n"
	                 "Upgrade: websocket\r\n"
	                 "Connection: Upgrade\r\n"
	                 "Sec-WebSocket-Accept: %s\r\n"
	                 "%s"
	                 "\r\n",
	                 accept,
	                 proto == WS_PROTO_TEXT ? "Sec-WebSocket-Protocol: text.ircv3.net\r\n" :
	                 proto == WS_PROTO_BINARY ? "Sec-WebSocket-Protocol: binary.ircv3.net\r\n" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t ws_http_error(char *out, size_t cap, int status, const char *why)
{
	const char *text = status == 403 ? "Forbidden" : status == 405 ? "Method Not Allowed" :
	                   status == 426 ? "Upgrade Required" : status == 431 ?
	                   "Request Header Fields Too Large" : status == 503 ? "Service Unavailable" :
	                   "Bad Request";
	int n = snprintf(out, cap,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Connection: close\r\n"
	                 "%s"
	                 "Content-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\n"
	                 "\r\n"
	                 "%s\n",
	                 status, text, status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "",
	                 strlen(why) + 1, why);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int ws_origin_allowed(const char *allowed, const char *origin, size_t len)
{
	const char *p = allowed;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t");
		if (n == 1 && *p == '*')
			return 1;
		/* scheme and host are case-insensitive (RFC 6454 serialises
		 * them in lower case; a config may not) */
		if (n && n == len && strncasecmp(p, origin, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* ---- frames (RFC 6455 5.2) */

size_t ws_frame_decode(const uint8_t *p, size_t n, struct ws_frame *f)
{
	if (n < 2)
		return 0;
	f->fin = p[0] >> 7;
	f->rsv = (p[0] >> 4) & 7;
	f->opcode = p[0] & 0x0f;
	f->masked = p[1] >> 7;
	size_t need = 2, ext = 0;
	uint8_t l7 = p[1] & 0x7f;
	if (l7 == 126)
		ext = 2;
	else if (l7 == 127)
		ext = 8;
	need += ext + (f->masked ? 4 : 0);
	if (n < need)
		return 0;
	if (ext == 0) {
		f->len = l7;
	} else {
		f->len = 0;
		for (size_t i = 0; i < ext; i++)
			f->len = f->len << 8 | p[2 + i];
	}
	if (f->masked)
		memcpy(f->mask, p + 2 + ext, 4);
	else
		memset(f->mask, 0, 4);
	return need;
}

int ws_frame_check(const struct ws_frame *f, int in_message, uint64_t room, const char **why)
{
	int control = f->opcode & 0x8;
	if (f->rsv) {
		*why = "reserved bits set (no extension was negotiated)";
		return WS_PROTOCOL_ERROR;
	}
	if (f->opcode != WS_CONT && f->opcode != WS_TEXT && f->opcode != WS_BINARY &&
	    f->opcode != WS_CLOSE && f->opcode != WS_PING && f->opcode != WS_PONG) {
		*why = "unknown opcode";
		return WS_PROTOCOL_ERROR;
	}
	if (!f->masked) {
		*why = "unmasked client frame";
		return WS_PROTOCOL_ERROR;
	}
	if (control) {
		if (!f->fin) {
			*why = "fragmented control frame";
			return WS_PROTOCOL_ERROR;
		}
		if (f->len > 125) {
			*why = "control frame longer than 125 bytes";
			return WS_PROTOCOL_ERROR;
		}
		return 0;
	}
	if (f->opcode == WS_CONT && !in_message) {
		*why = "continuation frame without a message";
		return WS_PROTOCOL_ERROR;
	}
	if (f->opcode != WS_CONT && in_message) {
		*why = "new message inside a fragmented one";
		return WS_PROTOCOL_ERROR;
	}
	if (f->len > room) {
		*why = "message longer than an IRC line";
		return WS_TOO_BIG;
	}
	return 0;
}

size_t ws_frame_header(uint8_t out[10], int opcode, uint64_t len)
{
	out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t pos)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(pos + i) & 3];
}

/* ---- UTF-8 (RFC 3629 table 4): the state packs the continuation bytes
 * still due (bits 16+) and the allowed range of the next one (lo, hi) */

#define U8(need, lo, hi) ((uint32_t)(need) << 16 | (uint32_t)(lo) << 8 | (uint32_t)(hi))

uint32_t ws_utf8(uint32_t st, const uint8_t *p, size_t n)
{
	if (st == WS_UTF8_BAD)
		return st;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (st == 0) {
			if (b < 0x80)
				continue;
			if (b >= 0xC2 && b <= 0xDF)
				st = U8(1, 0x80, 0xBF);
			else if (b == 0xE0)
				st = U8(2, 0xA0, 0xBF);         /* no overlongs */
			else if (b == 0xED)
				st = U8(2, 0x80, 0x9F);         /* no surrogates */
			else if (b >= 0xE1 && b <= 0xEF)
				st = U8(2, 0x80, 0xBF);
			else if (b == 0xF0)
				st = U8(3, 0x90, 0xBF);
			else if (b >= 0xF1 && b <= 0xF3)
				st = U8(3, 0x80, 0xBF);
			else if (b == 0xF4)
				st = U8(3, 0x80, 0x8F);         /* up to U+10FFFF */
			else
				return WS_UTF8_BAD;
			continue;
		}
		uint8_t lo = (uint8_t)(st >> 8), hi = (uint8_t)st;
		uint32_t need = st >> 16;
		if (b < lo || b > hi)
			return WS_UTF8_BAD;
		st = need > 1 ? U8(need - 1, 0x80, 0xBF) : 0;
	}
	return st;
}

size_t ws_utf8_sanitize(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (in[i] < 0x80) {
			out[o++] = in[i++];
			continue;
		}
		uint32_t st = 0;
		size_t j = i;
		do
			st = ws_utf8(st, in + j++, 1);
		while (st != 0 && st != WS_UTF8_BAD && j < n);
		if (st == 0) {
			memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
		} else {
			out[o++] = 0xEF;   /* U+FFFD for the first byte; resync after it */
			out[o++] = 0xBF;
			out[o++] = 0xBD;
			i++;
		}
	}
	return o;
}
