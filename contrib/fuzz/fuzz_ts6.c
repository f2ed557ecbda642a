/* fuzz_ts6.c - libFuzzer harness for the services link: the decoder
 * (src/ts6_parse.c) and, through a real link connection, its handlers
 * (ts6.c, ts6_in.c, ts6_out.c) and the state events they make.
 *
 * The first byte picks the mode. Even: the rest is one line for the
 * decoder alone. Odd: an in-process server (as fuzz_session.c sets it up)
 * with one registered local client "alice" on #c accepts a services link
 * over a socketpair; the link sends a correct handshake and then the rest
 * of the input, as raw bytes (many lines). Afterwards the link and the
 * client close, and every services user, channel and connection must be
 * gone again (LeakSanitizer sees what is not).
 *
 * In decoder mode each input is one line (a NUL-terminated copy: an embedded NUL ends it,
 * as it would for the link, which splits on LF). ts6_decode() must either
 * refuse it with a non-empty reason, or return a message whose promises
 * the link handlers rely on hold: a known command, its parameter count
 * within bounds, every parameter pointing into the line, a timestamp where
 * the command has one, UIDs where the command names users, and for ENCAP
 * the subcommand's parameters checked the same way. */
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

#include "client.h"
#include "config.h"
#include "log.h"
#include "node.h"
#include "server.h"
#include "ts6.h"
#include "ts6_parse.h"
#include "fuzz_live.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz_ts6: invariant failed: %s (line %d)\n", \
			        #cond, __LINE__);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

#define FAIL_LINK(msg)                                                             \
	do {                                                                       \
		fprintf(stderr, "fuzz_ts6: %s\n", msg);                           \
		abort();                                                           \
	} while (0)

static int within(const char *p, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len;
}

static int decode_one(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	size_t len = strlen(buf);

	struct ts6_msg m;
	char why[128];
	why[0] = '\0';
	if (ts6_decode(buf, &m, why, sizeof why) < 0) {
		CHECK(why[0] != '\0');
		free(buf);
		return 0;
	}
	CHECK(m.cmd >= T6_PASS && m.cmd <= T6_OPERWALL);
	CHECK(m.nargs >= 0 && m.nargs <= MSG_MAXPARAMS);
	for (int i = 0; i < m.nargs; i++)
		CHECK(m.args[i] && within(m.args[i], buf, len));
	if (m.src) {
		CHECK(within(m.src, buf, len));
		CHECK(m.src_kind != T6S_NONE);
		if (m.src_kind == T6S_USER)
			CHECK(ts6_is_uid(m.src));
	} else {
		CHECK(m.src_kind == T6S_NONE);
	}
	switch (m.cmd) {
	case T6_EUID:
		CHECK(m.nargs >= 11 && ts6_is_uid(m.args[7]) && m.ts >= 0);
		break;
	case T6_UID:
		CHECK(m.nargs >= 9 && ts6_is_uid(m.args[7]) && m.ts >= 0);
		break;
	case T6_SJOIN:
		CHECK(m.nargs >= 4 && m.ts >= 0 && (m.args[2][0] == '+' || m.args[2][0] == '-'));
		break;
	case T6_TMODE:
	case T6_BMASK:
	case T6_MLOCK:
	case T6_NICK:
	case T6_TB:
	case T6_ETB:
		CHECK(m.ts >= 0);
		break;
	case T6_KICK:
		CHECK(m.nargs >= 2 && ts6_is_uid(m.args[1]));
		break;
	case T6_KILL:
		CHECK(m.nargs >= 1 && ts6_is_uid(m.args[0]));
		break;
	case T6_PASS:
		CHECK(m.nargs >= 4 && ts6_is_sid(m.args[3]));
		break;
	case T6_ENCAP:
		CHECK(m.encap_target && within(m.encap_target, buf, len));
		switch (m.encap) {
		case T6E_SASL:
			CHECK(m.nargs >= 4 && ts6_is_uid(m.args[1]) && strlen(m.args[2]) == 1);
			break;
		case T6E_SVSLOGIN:
			CHECK(m.nargs >= 5 && ts6_is_uid(m.args[0]));
			break;
		case T6E_RSFNC:
			CHECK(m.nargs >= 4 && ts6_is_uid(m.args[0]) && ts6_parse_ts(m.args[2]) >= 0);
			break;
		case T6E_SU:
		case T6E_CHGHOST:
			CHECK(m.nargs >= 1 && ts6_is_uid(m.args[0]));
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
	free(buf);
	return 0;
}

/* ---- link mode */

#define SETTLE_MAX 200


static void drain(int fd)
{
	char buf[65536];
	while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
		;
}

static void drain_pair(void *fds)
{
	drain(((int *)fds)[0]);
	drain(((int *)fds)[1]);
}

/* Write everything, letting the server read when the socket is full. */
static void put(int fd, int other, const void *p, size_t n)
{
	int fds[2] = { fd, other };
	live_write(fd, p, n, drain_pair, fds);
}

static int pair(int *ours, int *theirs)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*ours = sv[0];
	*theirs = sv[1];
	return 0;
}

static int link_session(const uint8_t *data, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	int cfd, cs, lfd, ls;
	if (pair(&cfd, &cs) < 0)
		return 0;
	if (pair(&lfd, &ls) < 0) {
		close(cfd);
		close(cs);
		return 0;
	}
	client_accept(cs, (struct sockaddr_storage *)&a, sizeof a, 0);
	static const char reg[] = "NICK alice\r\nUSER a 0 * :Alice\r\nJOIN #c\r\n";
	put(cfd, -1, reg, sizeof reg - 1);
	run_loop(3);
	drain(cfd);
	ts6_accept(ls, (struct sockaddr_storage *)&a, sizeof a, 0);
	static const char hs[] = "PASS fuzz-in TS 6 :00A\r\nCAPAB :ENCAP EUID TB\r\n"
	                         "SERVER services.fuzz 1 :fuzz services\r\nSVINFO 6 3 0 :1700000000\r\n"
	                         ":00A EUID NickServ 1 1000 +io NickServ services.fuzz 0 00AAAAAAB * * :NS\r\n";
	put(lfd, cfd, hs, sizeof hs - 1);
	run_loop(3);
	put(lfd, cfd, data, size);
	run_loop(3 + (int)(size / 8192));
	drain(cfd);
	drain(lfd);
	close(lfd);
	close(cfd);
	for (int k = 0; k < SETTLE_MAX && (srv.connections > 0 || ts6_linked()); k++)
		run_loop(1);
	run_loop(1);
	if (srv.connections != 0 || ts6_linked())
		FAIL_LINK("connections or the link still open after closing");
	if (srv.nicks || srv.channels || srv.users || srv.nchannels)
		FAIL_LINK("state left after the link and the client closed");
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	live_config_defaults();
	snprintf(srv.cfg.services_name, sizeof srv.cfg.services_name, "services.fuzz");
	snprintf(srv.cfg.services_send_password, sizeof srv.cfg.services_send_password, "fuzz-out");
	snprintf(srv.cfg.services_receive_password, sizeof srv.cfg.services_receive_password, "fuzz-in");
	srv.cfg.log_level = LOG_ERROR;
	srv.cfg.flood_burst = 0;
	srv.cfg.max_bans = 3;
	srv.cfg.sendq = 32768;
	live_server_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		return link_session(data + 1, size - 1);
	return decode_one(data + 1, size - 1);
}
