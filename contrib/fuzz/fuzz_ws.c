/* fuzz_ws.c - libFuzzer harness for the WebSocket transport (issue 13):
 * the pure codec (src/ws.c) and the stateful decoder of a live
 * connection (src/wsconn.c under conn.c).
 *
 * The first byte picks the target (its low two bits), the rest is input:
 *   0  ws_request_end + ws_parse_request: an accepted request has every
 *      pointer inside the input, a 24-byte key, a reply that fits;
 *      a refused one has a 4xx status and a reason.
 *   1  UTF-8: ws_utf8 gives the same verdict on the whole input and on
 *      it split in two at any point (the split from byte 1); the
 *      sanitised copy is valid, at most 3x as long, and the input itself
 *      when that was valid.
 *   2  frame headers: each decoded header is checked and re-encoded by
 *      ws_frame_header, which must decode to the same opcode and length.
 *   3  a whole server in-process (as in fuzz_session.c) with one client
 *      on a WebSocket "listener": a socketpair through client_accept()
 *      with LISTEN_WS. Bit 2 of byte 0 prepends a valid handshake (so the
 *      frame decoder is reached), bit 3 writes the first 64 bytes one at a
 *      time. Everything the server sends back is checked: an HTTP status
 *      line first; after "101", only well-formed server frames (FIN set,
 *      unmasked, text payload valid UTF-8, no CR/LF in a message, a close
 *      frame with a valid status last). Then the socket is closed and the
 *      server must release everything. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "addrlimit.h"
#include "client.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "node.h"
#include "server.h"
#include "fuzz_live.h"
#include "ws.h"

#define FAIL(...)                                              \
	do {                                                   \
		fprintf(stderr, "fuzz_ws: " __VA_ARGS__);      \
		fputc('\n', stderr);                           \
		abort();                                       \
	} while (0)
#define CHECK(cond) do { if (!(cond)) FAIL("invariant failed: %s (line %d)", #cond, __LINE__); } while (0)

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && p + n <= buf + len;
}

static void fuzz_request(const char *buf, size_t len)
{
	size_t end = ws_request_end(buf, len);
	CHECK(end <= len);
	if (end == 0)
		end = len;   /* the parser must cope with a head without its blank line */
	struct ws_request r;
	int status = ws_parse_request(buf, end, &r);
	if (status) {
		CHECK(status >= 400 && status < 500 && r.why && r.why[0]);
		return;
	}
	CHECK(r.key && r.keylen == 24 && inside(r.key, r.keylen, buf, end));
	CHECK(!r.origin || inside(r.origin, r.originlen, buf, end));
	CHECK(!r.xff || inside(r.xff, r.xfflen, buf, end));
	CHECK(r.proto >= WS_PROTO_NONE && r.proto <= WS_PROTO_BINARY);
	char accept[29], reply[256];
	CHECK(ws_accept_value(r.key, r.keylen, accept) == 0 && strlen(accept) == 28);
	CHECK(ws_handshake_reply(reply, sizeof reply, accept, r.proto) > 0);
	if (r.origin)
		(void)ws_origin_allowed("https://a.example * http://b", r.origin, r.originlen);
}

static void fuzz_utf8(const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	size_t cut = p[0] % n;
	p++;
	n--;
	uint32_t whole = ws_utf8(0, p, n);
	uint32_t split = ws_utf8(ws_utf8(0, p, cut > n ? n : cut), p + (cut > n ? n : cut), n - (cut > n ? n : cut));
	CHECK((whole == 0) == (split == 0));
	CHECK((whole == WS_UTF8_BAD) == (split == WS_UTF8_BAD));
	uint8_t *out = malloc(3 * n + 1);
	size_t m = ws_utf8_sanitize(p, n, out);
	CHECK(m <= 3 * n);
	CHECK(ws_utf8(0, out, m) == 0);
	if (whole == 0)
		CHECK(m == n && memcmp(out, p, n) == 0);
	free(out);
}

static void fuzz_frames(const uint8_t *p, size_t n)
{
	while (n) {
		struct ws_frame f;
		size_t hl = ws_frame_decode(p, n, &f);
		if (hl == 0)
			return;
		CHECK(hl >= 2 && hl <= 14 && hl <= n);
		const char *why = NULL;
		int code = ws_frame_check(&f, p[0] & 1, 8703, &why);
		CHECK(code == 0 || code == WS_PROTOCOL_ERROR || code == WS_TOO_BIG);
		CHECK(code == 0 || why);
		uint8_t out[10];
		struct ws_frame g;
		size_t el = ws_frame_header(out, f.opcode, f.len);
		CHECK(ws_frame_decode(out, el, &g) == el);
		CHECK(g.opcode == f.opcode && g.len == f.len && g.fin && !g.masked && !g.rsv);
		uint64_t skip = f.len < n - hl ? f.len : n - hl;
		if (f.masked) {
			uint8_t tmp[64];
			size_t k = skip < sizeof tmp ? (size_t)skip : sizeof tmp;
			memcpy(tmp, p + hl, k);
			ws_unmask(tmp, k, f.mask, 0);
			ws_unmask(tmp, k, f.mask, 0);
			CHECK(memcmp(tmp, p + hl, k) == 0);
		}
		p += hl + skip;
		n -= hl + (size_t)skip;
	}
}

/* ---- a live connection */

static uint8_t outbuf[1 << 20];
static size_t outlen;
static int fd = -1;


static void drain(void)
{
	for (;;) {
		ssize_t n = read(fd, outbuf + outlen, sizeof outbuf - outlen);
		if (n > 0) {
			outlen += (size_t)n;
			if (outlen == sizeof outbuf)
				outlen = 0;   /* far more than any input makes: keep reading, check less */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;
	}
}

static void drain_cb(void *unused)
{
	(void)unused;
	drain();
}

static void write_all(const uint8_t *p, size_t n)
{
	live_write(fd, p, n, drain_cb, NULL);
}

/* What the server sent: an HTTP head, then (after 101) frames. */
static void check_output(void)
{
	const uint8_t *p = outbuf, *end = outbuf + outlen;
	if (outlen == 0)
		return;
	CHECK(outlen >= 12 && memcmp(p, "HTTP/1.1 ", 9) == 0);
	size_t head = ws_request_end((const char *)p, outlen);
	CHECK(head > 0);
	if (memcmp(p + 9, "101 ", 4) != 0)
		return;   /* an HTTP error: a body, then nothing */
	p += head;
	int closed = 0;
	while (p < end) {
		CHECK(!closed);   /* nothing after the close frame */
		struct ws_frame f;
		size_t hl = ws_frame_decode(p, (size_t)(end - p), &f);
		CHECK(hl > 0);
		CHECK(f.fin && !f.masked && !f.rsv);
		CHECK(f.opcode == WS_TEXT || f.opcode == WS_BINARY || f.opcode == WS_CLOSE || f.opcode == WS_PONG);
		CHECK(f.len <= (uint64_t)(end - p) - hl);
		const uint8_t *pl = p + hl;
		size_t n = (size_t)f.len;
		if (f.opcode == WS_TEXT)
			CHECK(ws_utf8(0, pl, n) == 0);
		if (f.opcode == WS_TEXT || f.opcode == WS_BINARY)
			CHECK(!memchr(pl, '\r', n) && !memchr(pl, '\n', n));
		if (f.opcode == WS_CLOSE) {
			CHECK(n >= 2 && n <= 125);
			unsigned code = (unsigned)(pl[0] << 8 | pl[1]);
			CHECK((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
			      (code >= 3000 && code <= 4999));
			closed = 1;
		}
		if (f.opcode == WS_PONG)
			CHECK(n <= 125);
		p = pl + n;
	}
}

static void fuzz_live(uint8_t flags, const uint8_t *p, size_t n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		FAIL("socketpair: %s", strerror(errno));
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0x7f000001);   /* a trusted proxy: X-Forwarded-For is read */
	client_accept(sv[1], &ss, sizeof *a, LISTEN_WS);
	fd = sv[0];
	outlen = 0;
	if (flags & 4) {
		static const char hs[] =
			"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
			"Sec-WebSocket-Protocol: text.ircv3.net\r\nOrigin: https://a.example\r\n\r\n";
		write_all((const uint8_t *)hs, sizeof hs - 1);
		run_loop(2);
		drain();
	}
	size_t k = 0;
	if (flags & 8)
		for (; k < n && k < 64; k++) {
			write_all(p + k, 1);
			run_loop(1);
		}
	write_all(p + k, n - k);
	run_loop(2 + (int)(n / 8192));
	drain();
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 200 && srv.connections > 0; i++) {
		run_loop(1);
		drain();
	}
	run_loop(1);
	drain();
	check_output();
	close(fd);
	fd = -1;
	if (srv.connections != 0)
		FAIL("%u connections still open after the client closed", srv.connections);
	if (srv.nicks || srv.uids || srv.channels || addrlimit_entries() || srv.users)
		FAIL("server state left after the client closed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	live_config_defaults();
	srv.cfg.log_level = LOG_ERROR;
	srv.cfg.flood_burst = 0;
	srv.cfg.sendq = 65536;
	snprintf(srv.cfg.ws_origins, sizeof srv.cfg.ws_origins, "https://a.example");
	srv.cfg.nws_proxies = 1;
	cidr_parse(&srv.cfg.ws_proxies[0], "127.0.0.0/8");
	/* one fake client per input: the limit holds; no throttle (it would
	 * depend on wall time); the cloak key in a directory of our own */
	srv.cfg.throttle_connects = 0;
	static char state[] = "/tmp/ircmini-fuzz-ws-XXXXXX";
	if (mkdtemp(state))
		snprintf(srv.cfg.state_directory, sizeof srv.cfg.state_directory, "%s", state);
	snprintf(srv.cfg.cloak_secret, sizeof srv.cfg.cloak_secret, "fuzz-cloak-secret-0123");
	live_server_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0: {
		/* a private copy: the parser must not read past its length */
		char *buf = malloc(size - 1 ? size - 1 : 1);
		memcpy(buf, data + 1, size - 1);
		fuzz_request(buf, size - 1);
		free(buf);
		break;
	}
	case 1:
		fuzz_utf8(data + 1, size - 1);
		break;
	case 2:
		fuzz_frames(data + 1, size - 1);
		break;
	default:
		fuzz_live(data[0], data + 1, size - 1);
		break;
	}
	return 0;
}
