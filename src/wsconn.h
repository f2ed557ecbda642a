/* wsconn.h - WebSocket as a transport under conn (RFC 6455 server side
 * with the IRCv3 subprotocols text.ircv3.net and binary.ircv3.net).
 *
 * A connection accepted on a websocket listener has c->ws set. conn.c
 * hands its raw input here and gets back a plain line stream ("line\n"
 * per message), so framing, flood control, recvq and the rest stay in
 * conn.c unchanged; output lines come here and leave as one frame each.
 * Before the upgrade the input is an HTTP request (origin check,
 * X-Forwarded-For from trusted proxies), which this file answers. */
#ifndef IRCMINI_WSCONN_H
#define IRCMINI_WSCONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "netaddr.h"
#include "sbuf.h"

struct conn;
struct ws;

/* cfg is read on every handshake ([websocket] origins, trusted_proxies),
 * so it must stay valid (and follows reloads). `forwarded` is told the
 * client address a trusted proxy gave; it returns -1 when that client is
 * refused (and has closed the connection itself). `address` names a
 * connection's client in log lines. */
void ws_init(const struct config *cfg,
             int (*forwarded)(struct conn *c, const struct netaddr *addr),
             const char *(*address)(struct conn *c));
/* Is peer listed in [websocket] trusted_proxies? */
int ws_trusted(const struct sockaddr_storage *peer);
/* Transport state for a connection from peer. */
struct ws *ws_new(const struct sockaddr_storage *peer);
void ws_free(struct ws *w);

/* Raw bytes in (unmasked in place), the line stream out; returns how many
 * bytes it wrote to out (at most n + 1). May queue output (handshake
 * reply, pong, close) and kill c. */
size_t ws_input(struct conn *c, uint8_t *raw, size_t n, char *out);
/* IRC output for c: every complete line becomes one frame. */
void ws_send(struct conn *c, const char *data, size_t len);
void ws_send_shared(struct conn *c, struct sbuf *b);
/* The close frame to send as c is killed (0 bytes if none is due);
 * out must hold 2 + 2 + 123 bytes. */
size_t ws_close_frame(struct conn *c, uint8_t *out);

#endif
