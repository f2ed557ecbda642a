/* send.h - formatting replies and fanning lines out to clients. */
#ifndef IRCMINI_SEND_H
#define IRCMINI_SEND_H

#include "channel.h"
#include "client.h"
#include "sbuf.h"

/* A line to one client; fmt gives the whole line without CRLF. Lines are
 * cut at 510 bytes and CR/LF in arguments never reach the wire. */
void send_line(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ":server NNN nick " + fmt */
void send_numeric(struct client *c, int num, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A shared line for fan-out; caller sbuf_unref()s it after sending. */
struct sbuf *line_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* To every member except `except` (may be NULL). */
void send_to_channel(struct channel *ch, struct client *except, struct sbuf *b);
/* To c (if with_self) and every client sharing a channel with c, once each. */
void send_to_peers(struct client *c, struct sbuf *b, int with_self);
/* A 461 for `cmd`. */
void send_needmore(struct client *c, const char *cmd);

#endif
