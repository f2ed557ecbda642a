/* ts6.h - the services link: Atheme (protocol module charybdis) connects to
 * [listen] services and speaks TS6 to us (doc/services.md).
 *
 * ts6.c      the link: accept, handshake, timeouts, the SASL relay
 * ts6_in.c   TS6 lines from services -> state events (event_emit)
 * ts6_out.c  applied state events and the burst -> TS6 lines to services
 * ts6_parse.c the pure, fuzzed line decoder
 *
 * Services' pseudo-users (NickServ, ChanServ, ...) are remote users on the
 * services server: what they do becomes the same events a local user's
 * commands make, and state_apply() tells ts6_event() about every change so
 * services see the network. SASL is relayed per connection, not state. */
#ifndef IRCMINI_TS6_H
#define IRCMINI_TS6_H

#include <sys/socket.h>

#include "conn.h"
#include "ts6_parse.h"

struct client;
struct event;

/* [listen] services accepted a socket. */
void ts6_accept(int fd, const struct sockaddr_storage *peer, socklen_t len, int unused);
/* Services are linked (handshake done). */
int ts6_linked(void);
/* The services server's name, or NULL when not linked. */
const char *ts6_services_name(void);
/* The SASL mechanisms services announced ("PLAIN,EXTERNAL"), "" when
 * linked but not announced yet, NULL when SASL is unavailable. */
const char *ts6_sasl_mechs(void);

/* SASL for local client c (cmd_sasl.c): a message to services. mode is
 * TS6's: 'S' start (data = mechanism), 'C' client data, 'D' done ("A":
 * abort). Returns 0, or -1 when no link can carry it. */
int ts6_sasl_send(struct client *c, char mode, const char *data);
/* c leaves, or registers during SASL: end its session (services hear
 * "D A"; the caller tells the client if it is still there). */
void ts6_client_gone(struct client *c);

/* An event state_apply() has applied: tell services if it concerns them. */
void ts6_event(const struct event *ev);
/* Server shutdown: ERROR to services, close. */
void ts6_shutdown(void);

/* ---- between the ts6_*.c files */

struct link;
/* Queue one line for services (fmt without CRLF). */
void ts6_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ts6_in.c: one decoded line from the established link. */
void ts6_in_dispatch(const struct ts6_msg *m);
/* ENCAP SASL from services for a local client's session (ts6.c). */
void ts6_sasl_reply(const struct ts6_msg *m);
/* The local client a services message names by UID, registered or not. */
struct client *ts6_local_uid(const char *uid);
/* ts6_out.c: our half of the handshake, the burst, and its end (PING). */
void ts6_out_burst(void);
/* The services server's SID and name while linked (ts6.c). */
extern char ts6_peer_sid[4];
extern char ts6_peer_name[64];
/* Mechanism list from ENCAP MECHLIST (ts6_in.c sets it via this). */
void ts6_set_mechs(const char *mechs);

#endif
