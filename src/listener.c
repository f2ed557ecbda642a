/* listener.c - see listener.h */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_LISTENERS (CONFIG_MAX_LISTEN + 8)

struct listener {
	ev_io io;
	struct sockaddr_storage sa;
	socklen_t salen;
	int tls, ws;
	int services;      /* the TS6 services link listener */
	int adopted;       /* from systemd: never closed on reload */
	char text[64];
};

static struct ev_loop *loop;
static accept_fn on_accept;
static accept_fn on_accept_services;
static struct listener *listeners[MAX_LISTENERS];
static int nlisteners;
/* a spare descriptor, given up to accept-and-close when out of fds */
static int spare_fd = -1;
static ev_timer pause_w;

static void resume_listeners(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l; (void)w; (void)revents;
	for (int i = 0; i < nlisteners; i++)
		ev_io_start(loop, &listeners[i]->io);
}

static void out_of_fds(int lfd)
{
	/* Without this the level-triggered listener would spin at 100% CPU:
	 * free the spare, accept the waiting connection and drop it, then
	 * pause accepting briefly. */
	if (spare_fd >= 0) {
		close(spare_fd);
		int fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	for (int i = 0; i < nlisteners; i++)
		ev_io_stop(loop, &listeners[i]->io);
	ev_timer_stop(loop, &pause_w);
	ev_timer_set(&pause_w, 0.1, 0);
	ev_timer_start(loop, &pause_w);
	log_warn("out of file descriptors: pausing accept for 100 ms");
}

static void on_listen(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l; (void)revents;
	struct listener *ls = (struct listener *)w;

	/* accept until EAGAIN: a burst of connects is taken in one pass */
	for (int n = 0; n < 1024; n++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(w->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				out_of_fds(w->fd);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept on %s: %s", ls->text, strerror(errno));
			return;
		}
		int one = 1;
		/* replies go out once per loop pass anyway; Nagle would only add
		 * 40 ms delayed-ACK stalls */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (ls->services)
			on_accept_services(fd, &peer, len, 0);
		else
			on_accept(fd, &peer, len, (ls->tls ? LISTEN_TLS : 0) | (ls->ws ? LISTEN_WS : 0));
	}
}

static int same_addr(const struct listener *ls, const struct listen_addr *la)
{
	return ls->salen == la->salen && memcmp(&ls->sa, &la->sa, la->salen) == 0 && ls->tls == la->tls
	       && ls->services == la->services && ls->ws == la->ws;
}

/* "file:line: [listen] key: cannot listen on addr: why" */
static void listen_error(const struct listen_addr *la, const char *file, const char *why,
                         char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%d: [listen] %s: cannot listen on %s: %s", file, la->line,
	         la->services ? "services" : la->ws ? (la->tls ? "websocket_tls" : "websocket") :
	         la->tls ? "tls" : "address", la->text, why);
}

static struct listener *open_listener(const struct listen_addr *la, const char *file,
                                      char *err, size_t errlen)
{
	int fd = socket(la->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		listen_error(la, file, strerror(errno), err, errlen);
		return NULL;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (la->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	/* deep backlog: 256 clients connecting at once must not see SYN drops */
	if (bind(fd, (const struct sockaddr *)&la->sa, la->salen) < 0 || listen(fd, 4096) < 0) {
		listen_error(la, file, strerror(errno), err, errlen);
		close(fd);
		return NULL;
	}
	struct listener *ls = calloc(1, sizeof *ls);
	if (!ls) {
		close(fd);
		listen_error(la, file, "out of memory", err, errlen);
		return NULL;
	}
	memcpy(&ls->sa, &la->sa, la->salen);
	ls->salen = la->salen;
	ls->tls = la->tls;
	ls->services = la->services;
	ls->ws = la->ws;
	snprintf(ls->text, sizeof ls->text, "%s", la->text);
	ev_io_init(&ls->io, on_listen, fd, EV_READ);
	return ls;
}

static void close_listener(struct listener *ls)
{
	ev_io_stop(loop, &ls->io);
	close(ls->io.fd);
	log_info("stopped listening on %s", ls->text);
	free(ls);
}

int listener_apply(const struct config *cfg, const char *file, char *err, size_t errlen)
{
	struct listener *fresh[CONFIG_MAX_LISTEN];
	int nfresh = 0;

	/* under socket activation the .socket unit owns the addresses: [listen]
	 * is ignored at start (see main.c) and must stay ignored on reload */
	for (int j = 0; j < nlisteners; j++)
		if (listeners[j]->adopted)
			return 0;
	/* open every new address first, so a failure changes nothing */
	for (int i = 0; i < cfg->nlisten; i++) {
		int found = 0;
		for (int j = 0; j < nlisteners && !found; j++)
			found = same_addr(listeners[j], &cfg->listen[i]);
		if (found)
			continue;
		struct listener *ls = open_listener(&cfg->listen[i], file, err, errlen);
		if (!ls) {
			while (nfresh) {   /* never started: no "stopped listening" */
				struct listener *f = fresh[--nfresh];
				close(f->io.fd);
				free(f);
			}
			return -1;
		}
		fresh[nfresh++] = ls;
	}
	/* close the ones the config no longer lists */
	for (int j = 0; j < nlisteners;) {
		int keep = listeners[j]->adopted;
		for (int i = 0; i < cfg->nlisten && !keep; i++)
			keep = same_addr(listeners[j], &cfg->listen[i]);
		if (keep) {
			j++;
			continue;
		}
		close_listener(listeners[j]);
		listeners[j] = listeners[--nlisteners];
	}
	for (int i = 0; i < nfresh; i++) {
		listeners[nlisteners++] = fresh[i];
		ev_io_start(loop, &fresh[i]->io);
		log_info("listening on %s%s%s", fresh[i]->text, fresh[i]->ws ? " (WebSocket)" : "",
		         fresh[i]->tls ? " (TLS)" : fresh[i]->services ? " (services link)" : "");
	}
	return 0;
}

int listener_adopt_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || atol(pid) != (long)getpid())
		return 0;
	int n = atoi(fds), adopted = 0;
	for (int i = 0; i < n && nlisteners < MAX_LISTENERS; i++) {
		int fd = 3 + i;  /* SD_LISTEN_FDS_START */
		struct listener *ls = calloc(1, sizeof *ls);
		if (!ls)
			break;
		ls->salen = sizeof ls->sa;
		getsockname(fd, (struct sockaddr *)&ls->sa, &ls->salen);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		ls->adopted = 1;
		char host[INET6_ADDRSTRLEN], port[8];
		if (getnameinfo((struct sockaddr *)&ls->sa, ls->salen, host, sizeof host, port,
		                sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(ls->text, sizeof ls->text, "%s%s%s:%s",
			         ls->sa.ss_family == AF_INET6 ? "[" : "", host,
			         ls->sa.ss_family == AF_INET6 ? "]" : "", port);
		else
			snprintf(ls->text, sizeof ls->text, "systemd fd %d", fd);
		ev_io_init(&ls->io, on_listen, fd, EV_READ);
		ev_io_start(loop, &ls->io);
		listeners[nlisteners++] = ls;
		log_info("listening on %s", ls->text);
		adopted++;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (adopted)
		log_info("socket activation: serving %d socket%s from systemd, [listen] is ignored",
		         adopted, adopted == 1 ? "" : "s");
	return adopted;
}

void listener_close_all(void)
{
	while (nlisteners)
		close_listener(listeners[--nlisteners]);
	if (spare_fd >= 0)
		close(spare_fd);
	spare_fd = -1;
}

void listener_init(struct ev_loop *l, accept_fn fn, accept_fn services)
{
	loop = l;
	on_accept = fn;
	on_accept_services = services;
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_init(&pause_w, resume_listeners);
}
