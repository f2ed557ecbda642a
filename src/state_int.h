/* state_int.h - shared by the apply layer's files (state*.c) only. */
#ifndef IRCMINI_STATE_INT_H
#define IRCMINI_STATE_INT_H

#include <stddef.h>

#include "client.h"
#include "event.h"

/* The registered user `uid` names, or NULL (logged: the event is dropped). */
struct client *state_user(const struct event *ev, const char *uid);
/* The line source for an event: the user's mask, or the node's name. */
const char *state_source(const struct event *ev, const struct client *u, char *buf, size_t len);
/* Take u out of every table; QUIT to its peers unless quiet. Frees a user
 * without a connection. */
void state_user_remove(struct client *u, const char *reason, int quiet);

/* state_chan.c */
void state_join(const struct event *ev);
void state_part(const struct event *ev);
void state_kick(const struct event *ev);
void state_topic(const struct event *ev);
void state_invite(const struct event *ev);
void state_cmode(const struct event *ev);
void state_chants(const struct event *ev);

#endif
