/* main.c - arguments, config load, signals, start the loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <ev.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "client.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: ircmini [-c FILE] [-t] [-d] [-h] [-V]\n"
	        "  -c FILE  configuration file (default " SYSCONFDIR "/ircmini.ini)\n"
	        "  -t       check the configuration and exit\n"
	        "  -d       debug: log every line in and out\n"
	        "  -h       this help\n"
	        "  -V       version and build features\n");
}

static void notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop; (void)revents;
	if (w->signum == SIGHUP) {
		notify("RELOADING=1");
		server_reload();
		notify("READY=1");
		return;
	}
	notify("STOPPING=1");
	server_shutdown();
}

/* Many clients need many descriptors: take all the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	const char *path = SYSCONFDIR "/ircmini.ini";
	int check = 0, opt;
	char err[512];

	while ((opt = getopt(argc, argv, "c:tdhV")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': check = 1; break;
		case 'd': srv.debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("ircmini %s\nfeatures: libev epoll%s%s%s\n", PACKAGE_VERSION,
#ifdef HAVE_SYSTEMD
			       " systemd",
#else
			       "",
#endif
#ifdef HAVE_TLS
			       " tls",
#else
			       "",
#endif
#ifdef SANITIZERS
			       " sanitizers"
#else
			       ""
#endif
			);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	srv.config_path = path;
	if (config_load(path, &srv.cfg, err, sizeof err) < 0) {
		log_error("%s", err);   /* with a priority, so journalctl -p err shows it */
		return 1;
	}
	/* certificate and key are loaded now, so -t checks them too */
	struct tls_ctx *tctx;
	if (tls_prepare(&srv.cfg, path, &tctx, err, sizeof err) < 0) {
		log_error("%s", err);
		config_free(&srv.cfg);
		return 1;
	}
	if (check) {
		tls_discard(tctx);
		printf("ircmini: %s: configuration OK\n", path);
		config_free(&srv.cfg);
		return 0;
	}
	tls_install(tctx);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	srv.loop = ev_default_loop(EVBACKEND_EPOLL | EVFLAG_NOENV);
	if (!srv.loop)
		srv.loop = ev_default_loop(0);
	srv.started = time(NULL);
	struct tm tm;
	strftime(srv.created, sizeof srv.created, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&srv.started, &tm));

	client_init_conn_handlers();
	server_apply_limits();
	listener_init(srv.loop, client_accept);
	if (listener_adopt_systemd() == 0 && listener_apply(&srv.cfg, path, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}

	ev_signal sigs[3];
	const int signums[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++) {
		ev_signal_init(&sigs[i], on_signal, signums[i]);
		ev_signal_start(srv.loop, &sigs[i]);
	}
	log_info("ircmini %s started as %s (%s)", PACKAGE_VERSION, srv.cfg.name, path);
	notify("READY=1");
	ev_run(srv.loop, 0);
	tls_install(NULL);
	config_free(&srv.cfg);
	return 0;
}
