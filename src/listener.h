/* listener.h - listening sockets and the accept loop. */
#ifndef IRCMINI_LISTENER_H
#define IRCMINI_LISTENER_H

#include <ev.h>
#include <sys/socket.h>

#include "config.h"

/* what a listener speaks: bits of accept_fn's `kind` (0: plain IRC) */
enum { LISTEN_TLS = 1, LISTEN_WS = 2 };

/* Called for every accepted, non-blocking, TCP_NODELAY socket. */
typedef void (*accept_fn)(int fd, const struct sockaddr_storage *peer, socklen_t len, int kind);

/* fn takes client sockets, services the [listen] services ones. */
void listener_init(struct ev_loop *loop, accept_fn fn, accept_fn services);
/* Open and start every listener in cfg that is not open yet, close those
 * no longer listed. All-or-nothing: on failure the message names the
 * file, line and address and nothing changes. */
int listener_apply(const struct config *cfg, const char *file, char *err, size_t errlen);
/* Adopt sockets passed by systemd socket activation (LISTEN_FDS). Returns
 * how many were adopted. */
int listener_adopt_systemd(void);
void listener_close_all(void);

#endif
