/* fuzz_live.h - what the harnesses that drive a live server in-process
 * share: starting it, turning its loop, and writing a whole input into a
 * socket whose buffer the server has to empty first. */
#ifndef IRCMINI_FUZZ_LIVE_H
#define IRCMINI_FUZZ_LIVE_H

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "node.h"
#include "server.h"

/* Start of LLVMFuzzerInitialize: defaults for a server named irc.fuzz;
 * the caller then sets what its harness needs. */
static void live_config_defaults(void)
{
	signal(SIGPIPE, SIG_IGN);
	config_defaults(&srv.cfg);
	snprintf(srv.cfg.name, sizeof srv.cfg.name, "irc.fuzz");
	srv.config_path = "(fuzz)";
	/* users get UIDs from the SID: without one every UID is "" and none
	 * could be dropped from the UID table */
	snprintf(srv.cfg.sid, sizeof srv.cfg.sid, "0FZ");
	/* timers must not fire mid-run: results would depend on wall time */
	srv.cfg.registration_timeout = 1000000;
	srv.cfg.ping_interval = 1000000;
	srv.cfg.ping_timeout = 1000000;
}

/* The server's loop (epoll, ignoring LIBEV_FLAGS), as main.c would make it. */
static void live_loop_start(void)
{
	srv.loop = ev_default_loop(EVBACKEND_EPOLL | EVFLAG_NOENV);
	if (!srv.loop)
		srv.loop = ev_default_loop(0);
	srv.started = time(NULL);
	snprintf(srv.created, sizeof srv.created, "fuzz time");
}

/* After the harness's own settings: the loop, this node, the handlers
 * and the limits, as main.c starts them. */
static void live_server_start(void)
{
	live_loop_start();
	node_init_self();
	client_init_conn_handlers();
	server_apply_limits();
}

static void run_loop(int times)
{
	for (int k = 0; k < times; k++)
		ev_run(srv.loop, EVRUN_NOWAIT);
}

/* Write p[0..n) to fd. When the kernel buffer is full, let the server read
 * (one loop turn) and call drain(arg) so our side of its replies does not
 * fill up in turn. Stops early when the server closed the connection. */
static void live_write(int fd, const void *p, size_t n, void (*drain)(void *), void *arg)
{
	const char *q = p;
	int stuck = 0;
	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w > 0) {
			q += w;
			n -= (size_t)w;
			stuck = 0;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && ++stuck < 100) {
			run_loop(1);
			drain(arg);
			continue;
		}
		return;   /* closed by the server (QUIT, KILL, ERROR, flood, ...) */
	}
}

#endif
