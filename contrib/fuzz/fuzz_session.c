/* fuzz_session.c - libFuzzer harness for a whole ircmini session.
 *
 * An in-process server (every src/ file but main.c) is set up the way
 * main.c does it, without a listener: fake clients are socketpair()s whose
 * server end goes through client_accept(), exactly like an accepted TCP
 * socket. The input is a script of chunks, each addressed to one fake
 * client, so read framing (conn.c), dispatch and the handlers all see
 * fuzzed bytes, with several clients interacting (channels, nicks, KICK,
 * KILL, ...).
 *
 * Input format: chunks separated by the byte 0xFF (never valid UTF-8, so
 * giving it up costs nothing). The first byte of a chunk is a header, the
 * rest its payload:
 *   bits 0-1  client slot (4 slots; a slot connects on first use)
 *   bits 2-4  operation:
 *             0-3  write the payload, run the loop
 *             4    write the payload, do not run the loop (coalesces with
 *                  the next chunk into one read)
 *             5    write the payload one byte per loop iteration (partial
 *                  lines across reads), the tail beyond 600 bytes at once
 *             6    disconnect the slot (bit 5 set: after reading what the
 *                  server sent, a clean EOF; clear: at once, which a unix
 *                  socket reports to the server as a reset when output was
 *                  unread), then connect a fresh client there and write
 *                  the payload
 *             7    register the slot with a canned NICK/USER (bit 5 set:
 *                  after requesting every IRCv3 capability), then write
 *                  the payload
 *
 * Everything the server sends is read back and checked: no NUL, every CR
 * directly followed by LF, every LF preceded by CR, lines at most 512
 * bytes plus 8191 of tags. After each chunk the nick and channel tables
 * are cross-checked (check_state). After each input all sockets are closed and the loop runs until
 * the server has released every connection, so per-input state is torn
 * down and LeakSanitizer reports only real leaks. */
#include <errno.h>
#include <fcntl.h>
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

#include "channel.h"
#include "addrlimit.h"
#include "bans.h"
#include "client.h"
#include "config.h"
#include "log.h"
#include "node.h"
#include "server.h"
#include "fuzz_live.h"

#define NSLOTS 4
#define SEP 0xFF
#define BYTEWISE_MAX 600
#define SETTLE_MAX 200   /* loop iterations allowed for a teardown */
/* op 7 with the flag: every capability the server knows of */
#define CAP_ALL "CAP LS 302\r\nCAP REQ :away-notify batch cap-notify echo-message " \
	"extended-join invite-notify labeled-response message-tags multi-prefix " \
	"server-time setname userhost-in-names\r\n"

struct slot {
	int fd;          /* our end, -1 while not connected */
	size_t linelen;  /* bytes of the current server line read so far */
	size_t taglen;   /* bytes of its IRCv3 tag section ("@...", space incl.) */
	int intags;      /* inside that tag section */
	int cr;          /* last byte read was CR */
};

static struct slot slots[NSLOTS];
static int flood;   /* FUZZ_FLOOD=1: flood control on */

#define FAIL(...)                                                      \
	do {                                                           \
		fprintf(stderr, "fuzz_session: " __VA_ARGS__);         \
		fputc('\n', stderr);                                   \
		abort();                                               \
	} while (0)

/* Wire invariants of what the server sends, across read boundaries:
 * 512 bytes a line incl. CRLF, plus at most 8191 bytes of tags (IRCv3
 * message-tags: "@", the tags and one space). */
static void check_output(int i, const unsigned char *p, size_t n)
{
	struct slot *s = &slots[i];
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = p[k];
		if (s->cr && ch != '\n')
			FAIL("slot %d: CR not followed by LF (byte 0x%02x)", i, ch);
		if (ch == '\0')
			FAIL("slot %d: NUL in server output", i);
		if (ch == '\n' && !s->cr)
			FAIL("slot %d: bare LF in server output", i);
		if (s->linelen == 0 && s->taglen == 0 && ch == '@')
			s->intags = 1;
		if (s->intags) {
			if (++s->taglen > 8191)
				FAIL("slot %d: server tags longer than 8191 bytes", i);
			if (ch == ' ')
				s->intags = 0;
		} else if (++s->linelen > 512) {
			FAIL("slot %d: server line longer than 512 bytes (without tags)", i);
		}
		s->cr = ch == '\r';
		if (ch == '\n')
			s->linelen = s->taglen = 0, s->intags = 0;
	}
}

/* Cross-checks of the server's tables: counters match what they count,
 * membership links agree in both directions, every invite points at a
 * live client (a stale pointer would match whoever gets its address next,
 * which no sanitizer sees). */
static void check_state(void)
{
	unsigned users = 0, invisible = 0, opers = 0, nchannels = 0;
	struct client *c, *ctmp;
	char key[NICK_MAX + 1];

	HASH_ITER(hh, srv.nicks, c, ctmp) {
		casemap_fold(srv.cfg.casemapping, key, sizeof key, c->nick);
		if (strcmp(key, c->key) != 0)
			FAIL("nick %s filed under key %s", c->nick, c->key);
		if (client_registered(c)) {
			users++;
			invisible += !!(c->umodes & UMODE_INVISIBLE);
			opers += !!(c->umodes & UMODE_OPER);
		}
		unsigned n = 0;
		for (struct member *m = c->chans; m; m = m->unext, n++) {
			struct channel *ch;
			HASH_FIND_STR(srv.channels, m->chan->key, ch);
			if (m->cl != c || ch != m->chan || channel_member(ch, c) != m)
				FAIL("%s: broken membership", c->nick);
		}
		if (n != c->nchans)
			FAIL("%s: nchans %u, %u memberships", c->nick, c->nchans, n);
	}
	if (users != srv.users || invisible != srv.invisible || opers != srv.opers)
		FAIL("counters: users %u/%u invisible %u/%u opers %u/%u", srv.users, users,
		     srv.invisible, invisible, srv.opers, opers);

	struct channel *ch, *htmp;
	HASH_ITER(hh, srv.channels, ch, htmp) {
		nchannels++;
		unsigned n = 0, nbans = 0;
		for (struct member *m = ch->members; m; m = m->cnext, n++) {
			struct client *t = client_find(m->cl->nick);
			if (m->chan != ch || t != m->cl || !client_registered(t))
				FAIL("%s: member %s is not a registered client", ch->name, m->cl->nick);
			if ((m->cprev ? m->cprev->cnext : ch->members) != m)
				FAIL("%s: member list links broken", ch->name);
			if (m->caps != m->cl->caps)
				FAIL("%s: stale capability copy for %s", ch->name, m->cl->nick);
		}
		if (n == 0 || n != ch->nmembers)
			FAIL("%s: nmembers %u, %u members", ch->name, ch->nmembers, n);
		for (struct ban *b = ch->bans; b; b = b->next)
			nbans++;
		if (nbans != ch->nbans || nbans > (unsigned)srv.cfg.max_bans)
			FAIL("%s: nbans %u, %u bans", ch->name, ch->nbans, nbans);
		for (struct invite *iv = ch->invites; iv; iv = iv->cnext) {
			struct client *t, *ttmp;
			int live = 0;
			HASH_ITER(hh, srv.nicks, t, ttmp)
				live |= t == iv->cl;
			if (!live)
				FAIL("%s: invite for a client that is gone", ch->name);
			if (iv->ch != ch || !channel_is_invited(ch, iv->cl))
				FAIL("%s: invite links disagree", ch->name);
		}
	}
	if (nchannels != srv.nchannels)
		FAIL("nchannels %u, %u channels", srv.nchannels, nchannels);
}

static void drain(int i)
{
	unsigned char buf[65536];
	if (slots[i].fd < 0)
		return;
	for (;;) {
		ssize_t n = read(slots[i].fd, buf, sizeof buf);
		if (n > 0) {
			check_output(i, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;  /* EAGAIN, EOF (server closed) or an error */
	}
}

static void drain_all(void)
{
	for (int i = 0; i < NSLOTS; i++)
		drain(i);
}


static void slot_connect(int i)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		FAIL("socketpair: %s", strerror(errno));
	/* a different peer address per slot: hosts, bans and IPv6 ("0::1")
	 * formatting all get exercised. All plain text: a TLS slot would need
	 * a certificate and a handshake before any IRC byte. */
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (i == 2) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof *a;
	} else {
		static const uint32_t addrs[NSLOTS] = { 0x7f000001, 0x0a000002, 0, 0xc0a80001 };
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(addrs[i]);
		len = sizeof *a;
	}
	/* a small kernel buffer on the server side: output backs up into
	 * the server's queue (write watcher, sendq) within one input */
	int sndbuf = 4096;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	client_accept(sv[1], &ss, len, 0);
	slots[i].fd = sv[0];
	slots[i].linelen = slots[i].taglen = 0;
	slots[i].intags = slots[i].cr = 0;
}

static void slot_close(int i, int clean)
{
	if (slots[i].fd < 0)
		return;
	if (clean)
		drain(i);
	close(slots[i].fd);
	slots[i].fd = -1;
}

static void drain_all_cb(void *unused)
{
	(void)unused;
	drain_all();
}

/* Write everything, letting the server read when our buffer is full. */
static void slot_write(int i, const uint8_t *p, size_t n)
{
	if (slots[i].fd < 0)
		slot_connect(i);
	live_write(slots[i].fd, p, n, drain_all_cb, NULL);
}

static void do_chunk(const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	int i = p[0] & 3, op = (p[0] >> 2) & 7, flag = p[0] & 0x20;
	p++;
	n--;
	switch (op) {
	case 4:
		slot_write(i, p, n);
		return;
	case 5: {
		size_t k = 0;
		for (; k < n && k < BYTEWISE_MAX; k++) {
			slot_write(i, p + k, 1);
			run_loop(1);
		}
		slot_write(i, p + k, n - k);
		break;
	}
	case 6:
		slot_close(i, flag);
		run_loop(2);
		slot_write(i, p, n);
		break;
	case 7: {
		char reg[400];
		int len = snprintf(reg, sizeof reg, "%sNICK f%d\r\nUSER u%d 0 * :fuzz %d\r\n%s",
		                   flag ? CAP_ALL : "", i, i, i, flag ? "CAP END\r\n" : "");
		slot_write(i, (const uint8_t *)reg, (size_t)len);
		slot_write(i, p, n);
		break;
	}
	default:
		slot_write(i, p, n);
		break;
	}
	/* the server reads at most 8 KiB per readiness event */
	run_loop(2 + (int)(n / 8192));
	drain_all();
	/* held-back input resumes on the throttle timer: let it fire (bounded) */
	for (int k = 0; flood && k < 6; k++) {
		ev_sleep(0.002);
		ev_now_update(srv.loop);
		run_loop(1);
		drain_all();
	}
	check_state();
}

static void teardown(void)
{
	drain_all();
	for (int i = 0; i < NSLOTS; i++)
		slot_close(i, 1);
	for (int k = 0; k < SETTLE_MAX && srv.connections > 0; k++)
		run_loop(1);
	/* the pass that released the last one has run; one more for luck */
	run_loop(1);
	if (srv.connections != 0)
		FAIL("%u connections still open after all clients closed", srv.connections);
	/* an operator's KLINE/DLINE must not carry over to the next input */
	bans_free();
	unlink(bans_path());
	if (srv.nicks || srv.uids || srv.channels || addrlimit_entries() || srv.users || srv.nchannels)
		FAIL("server state left after all clients closed (users %u, channels %u)",
		     srv.users, srv.nchannels);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	live_config_defaults();
	srv.cfg.log_level = LOG_ERROR;
	/* flood control would hold input back and hide the handlers; with
	 * FUZZ_FLOOD=1 it is on instead, with a burst of 3 lines and a rate
	 * so high that held input resumes within a millisecond or two, so the
	 * throttle and resume paths (conn.c) run in every input */
	flood = getenv("FUZZ_FLOOD") && atoi(getenv("FUZZ_FLOOD")) > 0;
	srv.cfg.flood_burst = flood ? 3 : 0;
	srv.cfg.flood_rate = 1000;
	/* small limits, so that reaching them fits in one input */
	srv.cfg.max_bans = 3;
	srv.cfg.max_channels = 4;
	srv.cfg.max_members = 3;
	srv.cfg.whowas = 5;
	srv.cfg.sendq = 32768;
	srv.cfg.motd = strdup("fuzz motd line one\nline two");
	/* OPER o pw: a cheap MD5-crypt hash, so OPER/KILL/WALLOPS are reachable */
	srv.cfg.nopers = 1;
	snprintf(srv.cfg.opers[0].name, sizeof srv.cfg.opers[0].name, "o");
	snprintf(srv.cfg.opers[0].hash, sizeof srv.cfg.opers[0].hash,
	         "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1");
	/* the fake clients share one (unknown) address: 3 of the 4 slots fit,
	 * the 4th is refused; no throttle (it would depend on wall time) */
	srv.cfg.max_per_ip = 3;
	srv.cfg.throttle_connects = 0;
	/* bans and the cloak key go to a directory of our own */
	static char state[] = "/tmp/ircmini-fuzz-XXXXXX";
	if (mkdtemp(state))
		snprintf(srv.cfg.state_directory, sizeof srv.cfg.state_directory, "%s", state);
	snprintf(srv.cfg.cloak_secret, sizeof srv.cfg.cloak_secret, "fuzz-cloak-secret-0123");
	live_server_start();
	for (int i = 0; i < NSLOTS; i++)
		slots[i].fd = -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const uint8_t *sep = memchr(p, SEP, (size_t)(end - p));
		const uint8_t *stop = sep ? sep : end;
		do_chunk(p, (size_t)(stop - p));
		p = sep ? sep + 1 : end;
	}
	teardown();
	return 0;
}
