/* send.h - formatting replies and fanning lines out to clients. */
#ifndef IRCMINI_SEND_H
#define IRCMINI_SEND_H

#include <stdint.h>

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
void send_to_channel(struct channel *ch, struct client *except, struct sbuf *b, const char *account);
/* To c (if with_self) and every client sharing a channel with c, once each. */
void send_to_peers(struct client *c, struct sbuf *b, int with_self, const char *account);
/* One relayed line in the variants its recipients' capabilities call for:
 * with @time (server-time), with the sender's client-only tags
 * (message-tags), with @account (account-tag) and an alternative body
 * (extended-join). Each variant is
 * serialised once, on first use, and shared by every recipient needing it,
 * so a broadcast costs at most a few buffers, never one per recipient.
 *   struct fanout f;
 *   fanout_init(&f, line_new(...));  ... fanout_channel(&f, ch, c); fanout_done(&f); */
struct fanout {
	struct sbuf *v[16];  /* [account << 3 | alt << 2 | tags << 1 | time]; v[0], v[4]: bodies */
	const char *ctags;   /* client-only tags, "+a=b;+c" (no '@'), or NULL */
	const char *account; /* the sender's services account, or NULL */
	uint32_t need;       /* only recipients with all these caps get it */
	uint32_t alt_cap;    /* recipients with this cap get body v[4] (if set) */
	int64_t time_ms;     /* server-time of the line; 0: now */
};
/* Takes over `body` (a line_new() result, may be NULL). */
void fanout_init(struct fanout *f, struct sbuf *body);
void fanout_to(struct fanout *f, struct client *to);
/* fanout_to that is never held back for a label: a message a client
 * sends itself is a delivery; with echo-message its echo is the reply. */
void fanout_to_unlabeled(struct fanout *f, struct client *to);
/* To every local member except `except` (may be NULL). Every send skips
 * remote users: their own node delivers to them. */
void fanout_channel(struct fanout *f, struct channel *ch, struct client *except);
/* To c (if with_self) and every client sharing a channel with c, once each. */
void fanout_peers(struct fanout *f, struct client *c, int with_self);
void fanout_done(struct fanout *f);

/* labeled-response: between begin and end, what is sent to c is held
 * back; end sends it with the label: one line tagged, several in a BATCH,
 * none as an ACK. end is idempotent (client_exit calls it before ERROR).
 * begin returns 0 (and holds nothing new) while a label is already held
 * or for a remote user. */
int send_label_begin(struct client *c, const char *label);
void send_label_end(struct client *c);
/* The label held for the user with this UID, or NULL. */
const char *send_label_for(const char *uid);

/* A 461 for `cmd`. */
void send_needmore(struct client *c, const char *cmd);

#endif
