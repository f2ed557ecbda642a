/* test_ws.c - the WebSocket codec (src/ws.c): handshake parsing, the
 * accept key, HTTP replies, origins, frame headers, masking, UTF-8. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ws.h"

#define REQ(extra)                                      \
	"GET /chat HTTP/1.1\r\n"                        \
	"Host: server.example.com\r\n"                  \
	"Upgrade: websocket\r\n"                        \
	"Connection: Upgrade\r\n"                       \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n" extra "\r\n"

static int parse(const char *req, struct ws_request *r)
{
	size_t end = ws_request_end(req, strlen(req));
	cr_assert_eq(end, strlen(req), "request end at %zu of %zu", end, strlen(req));
	return ws_parse_request(req, end, r);
}

Test(ws, rfc6455_example_request_and_accept_key)
{
	struct ws_request r;
	cr_assert_eq(parse(REQ("Origin: http://example.com\r\n"), &r), 0, "%s", r.why);
	cr_assert_eq(r.keylen, 24);
	cr_assert_eq(r.proto, WS_PROTO_NONE);
	cr_assert_eq(r.originlen, strlen("http://example.com"));
	cr_assert(memcmp(r.origin, "http://example.com", r.originlen) == 0);
	cr_assert_null(r.xff);
	char accept[29];
	cr_assert_eq(ws_accept_value(r.key, r.keylen, accept), 0);
	/* RFC 6455 section 1.3 */
	cr_assert_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	char reply[256];
	size_t n = ws_handshake_reply(reply, sizeof reply, accept, WS_PROTO_TEXT);
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(reply, "HTTP/1.1 101 Switching Protocols\r\n"));
	cr_assert_not_null(strstr(reply, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	cr_assert_not_null(strstr(reply, "Sec-WebSocket-Protocol: text.ircv3.net\r\n"));
	cr_assert(n >= 4 && memcmp(reply + n - 4, "\r\n\r\n", 4) == 0);
	n = ws_handshake_reply(reply, sizeof reply, accept, WS_PROTO_NONE);
	cr_assert_null(strstr(reply, "Sec-WebSocket-Protocol"));
}

Test(ws, subprotocol_is_the_clients_first_supported_choice)
{
	struct ws_request r;
	cr_assert_eq(parse(REQ("Sec-WebSocket-Protocol: chat, binary.ircv3.net, text.ircv3.net\r\n"), &r), 0);
	cr_assert_eq(r.proto, WS_PROTO_BINARY);
	cr_assert_eq(parse(REQ("Sec-WebSocket-Protocol: text.ircv3.net,binary.ircv3.net\r\n"), &r), 0);
	cr_assert_eq(r.proto, WS_PROTO_TEXT);
	/* the header repeated: the first one's choice stands */
	cr_assert_eq(parse(REQ("Sec-WebSocket-Protocol: foo\r\nSec-WebSocket-Protocol: binary.ircv3.net\r\n"
	                       "Sec-WebSocket-Protocol: text.ircv3.net\r\n"), &r), 0);
	cr_assert_eq(r.proto, WS_PROTO_BINARY);
	cr_assert_eq(parse(REQ("Sec-WebSocket-Protocol: chat, superchat\r\n"), &r), 0);
	cr_assert_eq(r.proto, WS_PROTO_NONE);
}

Test(ws, header_names_and_tokens_are_case_insensitive)
{
	const char *req = "GET / HTTP/1.1\r\nhost: x\r\nUPGRADE: WebSocket\r\n"
	                  "connection: keep-alive,  upgrade \r\nsec-websocket-key:  dGhlIHNhbXBsZSBub25jZQ==  \r\n"
	                  "SEC-WEBSOCKET-VERSION: 13\r\nx-forwarded-for: 1.2.3.4, 5.6.7.8\r\n\r\n";
	struct ws_request r;
	cr_assert_eq(parse(req, &r), 0, "%s", r.why);
	cr_assert_eq(r.keylen, 24);
	cr_assert_eq(r.xfflen, strlen("1.2.3.4, 5.6.7.8"));
	/* bare LF line ends are tolerated */
	cr_assert_eq(parse("GET / HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n"
	                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n", &r), 0);
}

static void refused(const char *req, int status, const char *why)
{
	struct ws_request r;
	int got = ws_parse_request(req, strlen(req), &r);
	cr_assert_eq(got, status, "%d instead of %d for:\n%s", got, status, req);
	cr_assert_not_null(strstr(r.why, why), "\"%s\" not in \"%s\"", why, r.why);
}

Test(ws, bad_requests_get_their_status)
{
	refused("POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "GET");
	refused("GET / HTTP/1.0\r\nHost: x\r\n\r\n", 400, "HTTP/1.1");
	refused("GET noslash HTTP/1.1\r\nHost: x\r\n\r\n", 400, "HTTP/1.1");
	refused("GET / HTTP/1.1\r\n\r\n", 400, "Host");
	refused("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n", 400, "Upgrade");
	refused("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n", 400, "Connection");
	refused("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426, "13");
	refused("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	        "Sec-WebSocket-Version: 13\r\n\r\n", 400, "Key");
	refused(REQ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), 400, "repeated");
	refused("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, "malformed header");
	refused("GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400, "malformed header");
	refused("GET\r\n\r\n", 400, "request line");
}

static int key_ok(const char *key)
{
	char req[512];
	struct ws_request r;
	snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	         "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key);
	return ws_parse_request(req, strlen(req), &r) == 0;
}

Test(ws, key_must_be_base64_of_16_bytes)
{
	cr_assert(key_ok("AAAAAAAAAAAAAAAAAAAAAA=="));
	cr_assert(key_ok("x3JJHMbDL1EzLkh9GBhXDw=="));
	cr_assert_not(key_ok("AAAAAAAAAAAAAAAAAAAAAAA="));      /* 17 bytes */
	cr_assert_not(key_ok("AAAAAAAAAAAAAAAAAAAA"));          /* 15 bytes */
	cr_assert_not(key_ok("AAAAAAAAAAAAAAAAAAAA*A=="));      /* not base64 */
	cr_assert_not(key_ok("AAAAAAAAAAAAAAAAAAAAAB=="));      /* padding bits set */
	cr_assert_not(key_ok(""));
}

Test(ws, request_end_needs_the_blank_line)
{
	const char *r = "GET / HTTP/1.1\r\nHost: x\r\n\r\nextra";
	cr_assert_eq(ws_request_end(r, strlen(r)), strlen(r) - 5);
	cr_assert_eq(ws_request_end(r, strlen(r) - 6), 0);
	cr_assert_eq(ws_request_end("GET / HTTP/1.1\r\n", 16), 0);
	cr_assert_eq(ws_request_end("\n\n", 2), 2);
}

Test(ws, http_errors)
{
	char buf[512];
	size_t n = ws_http_error(buf, sizeof buf, 426, "Sec-WebSocket-Version is not 13");
	cr_assert_gt(n, 0);
	cr_assert(strncmp(buf, "HTTP/1.1 426 Upgrade Required\r\n", 31) == 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "Sec-WebSocket-Version: 13\r\n"));
	cr_assert_not_null(strstr(buf, "Connection: close\r\n"));
	/* Content-Length matches the body */
	const char *body = strstr(buf, "\r\n\r\n") + 4;
	char cl[64];
	snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", strlen(body));
	cr_assert_not_null(strstr(buf, cl), "%s", buf);
	n = ws_http_error(buf, sizeof buf, 403, "origin not allowed");
	cr_assert(strncmp(buf, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	cr_assert_null(strstr(buf, "Sec-WebSocket-Version"));
	cr_assert_eq(ws_http_error(buf, 10, 400, "x"), 0);   /* does not fit */
}

Test(ws, origins)
{
	const char *o = "https://a.example";
	cr_assert(ws_origin_allowed("https://a.example", o, strlen(o)));
	cr_assert(ws_origin_allowed("http://b.example  https://a.example", o, strlen(o)));
	cr_assert(ws_origin_allowed("HTTPS://A.example", o, strlen(o)));
	cr_assert(ws_origin_allowed("*", o, strlen(o)));
	cr_assert(ws_origin_allowed("http://x *", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("https://a.example:8443", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("https://a.exampl", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("https://a.example.evil", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("**", o, strlen(o)));
	cr_assert_not(ws_origin_allowed("https://a.example", "null", 4));
}

static size_t hdr(const uint8_t *p, size_t n, struct ws_frame *f)
{
	memset(f, 0xaa, sizeof *f);
	return ws_frame_decode(p, n, f);
}

Test(ws, frame_header_decode)
{
	struct ws_frame f;
	/* RFC 6455 5.7: a masked "Hello" */
	const uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	cr_assert_eq(hdr(hello, 1, &f), 0);
	cr_assert_eq(hdr(hello, 5, &f), 0);
	cr_assert_eq(hdr(hello, sizeof hello, &f), 6);
	cr_assert(f.fin && f.rsv == 0 && f.opcode == WS_TEXT && f.masked && f.len == 5);
	uint8_t payload[5];
	memcpy(payload, hello + 6, 5);
	ws_unmask(payload, 5, f.mask, 0);
	cr_assert(memcmp(payload, "Hello", 5) == 0);
	/* unmasking in pieces gives the same */
	memcpy(payload, hello + 6, 5);
	ws_unmask(payload, 2, f.mask, 0);
	ws_unmask(payload + 2, 3, f.mask, 2);
	cr_assert(memcmp(payload, "Hello", 5) == 0);
	/* 16-bit and 64-bit lengths */
	const uint8_t l16[] = { 0x02, 0xfe, 0x01, 0x00, 1, 2, 3, 4 };
	cr_assert_eq(hdr(l16, 7, &f), 0);
	cr_assert_eq(hdr(l16, 8, &f), 8);
	cr_assert(!f.fin && f.opcode == WS_BINARY && f.len == 256);
	const uint8_t l64[] = { 0x89, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0 };
	cr_assert_eq(hdr(l64, sizeof l64, &f), 10);
	cr_assert(!f.masked && f.opcode == WS_PING && f.len == ((uint64_t)1 << 32));
	const uint8_t rsv[] = { 0xf3, 0x00 };
	cr_assert_eq(hdr(rsv, 2, &f), 2);
	cr_assert(f.rsv == 7 && f.opcode == 3 && f.len == 0);
}

static int check(uint8_t b0, int masked, uint64_t len, int in_message, uint64_t room)
{
	struct ws_frame f = { .fin = b0 >> 7, .rsv = (b0 >> 4) & 7, .opcode = b0 & 15,
	                      .masked = (uint8_t)masked, .len = len };
	const char *why = NULL;
	int code = ws_frame_check(&f, in_message, room, &why);
	cr_assert(code == 0 || why, "a code without a reason");
	return code;
}

Test(ws, frame_checks)
{
	cr_assert_eq(check(0x81, 1, 5, 0, 100), 0);
	cr_assert_eq(check(0x01, 1, 5, 0, 100), 0);                   /* first fragment */
	cr_assert_eq(check(0x80, 1, 5, 1, 100), 0);                   /* last fragment */
	cr_assert_eq(check(0x89, 1, 125, 1, 0), 0);                   /* ping inside a message */
	cr_assert_eq(check(0x81, 0, 5, 0, 100), WS_PROTOCOL_ERROR);   /* unmasked */
	cr_assert_eq(check(0xc1, 1, 5, 0, 100), WS_PROTOCOL_ERROR);   /* RSV1 */
	for (int op = 3; op <= 7; op++)
		cr_assert_eq(check((uint8_t)(0x80 | op), 1, 0, 0, 100), WS_PROTOCOL_ERROR);
	for (int op = 0xb; op <= 0xf; op++)
		cr_assert_eq(check((uint8_t)(0x80 | op), 1, 0, 0, 100), WS_PROTOCOL_ERROR);
	cr_assert_eq(check(0x09, 1, 1, 0, 100), WS_PROTOCOL_ERROR);   /* fragmented ping */
	cr_assert_eq(check(0x88, 1, 126, 0, 100), WS_PROTOCOL_ERROR); /* long close */
	cr_assert_eq(check(0x80, 1, 1, 0, 100), WS_PROTOCOL_ERROR);   /* continuation alone */
	cr_assert_eq(check(0x81, 1, 1, 1, 100), WS_PROTOCOL_ERROR);   /* text inside a message */
	cr_assert_eq(check(0x81, 1, 101, 0, 100), WS_TOO_BIG);
	cr_assert_eq(check(0x80, 1, UINT64_MAX, 1, 100), WS_TOO_BIG);
}

Test(ws, frame_header_encode)
{
	uint8_t out[10];
	struct ws_frame f;
	uint64_t lens[] = { 0, 125, 126, 65535, 65536, (uint64_t)1 << 40 };
	size_t want[] = { 2, 2, 4, 4, 10, 10 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t n = ws_frame_header(out, WS_BINARY, lens[i]);
		cr_assert_eq(n, want[i], "length %llu", (unsigned long long)lens[i]);
		cr_assert_eq(ws_frame_decode(out, n, &f), n);
		cr_assert(f.fin && !f.masked && f.opcode == WS_BINARY && f.len == lens[i]);
	}
}

static int valid(const char *s, size_t n)
{
	return ws_utf8(0, (const uint8_t *)s, n) == 0;
}

Test(ws, utf8_validation)
{
	cr_assert(valid("plain ascii", 11));
	cr_assert(valid("\xc3\xa9t\xc3\xa9", 6));
	cr_assert(valid("\xe2\x98\x83", 3));                 /* U+2603 */
	cr_assert(valid("\xf0\x9f\x92\xa9", 4));             /* U+1F4A9 */
	cr_assert(valid("\xf4\x8f\xbf\xbf", 4));             /* U+10FFFF */
	cr_assert(valid("\xed\x9f\xbf", 3));                 /* U+D7FF */
	cr_assert_not(valid("\xc0\xaf", 2));                  /* overlong */
	cr_assert_not(valid("\xe0\x80\xaf", 3));              /* overlong */
	cr_assert_not(valid("\xf0\x80\x80\xaf", 4));          /* overlong */
	cr_assert_not(valid("\xed\xa0\x80", 3));              /* surrogate */
	cr_assert_not(valid("\xf4\x90\x80\x80", 4));          /* > U+10FFFF */
	cr_assert_not(valid("\xff", 1));
	cr_assert_not(valid("\x80", 1));                      /* stray continuation */
	cr_assert_not(valid("\xc3", 1));                      /* incomplete */
	cr_assert_not(valid("\xc3(", 2));
	/* incremental: split anywhere, same verdict */
	const char *s = "a\xf0\x9f\x92\xa9" "b\xe2\x98\x83";
	for (size_t cut = 0; cut <= 9; cut++) {
		uint32_t st = ws_utf8(0, (const uint8_t *)s, cut);
		st = ws_utf8(st, (const uint8_t *)s + cut, 9 - cut);
		cr_assert_eq(st, 0, "cut at %zu", cut);
	}
	cr_assert_neq(ws_utf8(0, (const uint8_t *)s, 3), 0);   /* mid-character */
	cr_assert_eq(ws_utf8(WS_UTF8_BAD, (const uint8_t *)"a", 1), WS_UTF8_BAD);
}

Test(ws, utf8_sanitize)
{
	uint8_t out[64];
	size_t n = ws_utf8_sanitize((const uint8_t *)"caf\xe9!", 5, out);
	cr_assert_eq(n, 7);
	cr_assert(memcmp(out, "caf\xef\xbf\xbd!", 7) == 0);
	n = ws_utf8_sanitize((const uint8_t *)"\xe2\x98\x83\xe2\x98", 5, out);
	cr_assert(memcmp(out, "\xe2\x98\x83\xef\xbf\xbd\xef\xbf\xbd", n) == 0 && n == 9);
	/* the output is always valid */
	const uint8_t junk[] = { 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 'x', 0xe2, 0x82 };
	n = ws_utf8_sanitize(junk, sizeof junk, out);
	cr_assert_eq(ws_utf8(0, out, n), 0);
}
