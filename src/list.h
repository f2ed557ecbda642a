/* list.h - LIST answered a slice at a time ("safelist", cmd_list.c).
 *
 * A LIST that does not finish in its first slice keeps a cursor: the next
 * channel to look at, in the channel table's insertion order (new channels
 * go to its end, so each is seen once). The cursor is a pointer, so a
 * channel freed while one points at it moves the cursor on first
 * (channel.c calls list_channel_gone). */
#ifndef IRCMINI_LIST_H
#define IRCMINI_LIST_H

struct channel;
struct client;
struct conn;

/* ch is about to be freed: cursors on it move to the next channel. */
void list_channel_gone(struct channel *ch);
/* c leaves: drop its LIST in progress, if any. */
void list_cancel(struct client *c);
/* conn_handlers.drained for clients: the next slice. */
void list_drained(struct conn *conn);

#endif
