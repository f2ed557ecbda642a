/* channel.h - channels keyed by casemapped name, with membership kept in
 * both directions (channel -> members, client -> channels). */
#ifndef IRCMINI_CHANNEL_H
#define IRCMINI_CHANNEL_H

#include <stdint.h>
#include <time.h>
#include "hashkey.h"

#include "client.h"

#define CHAN_MAX 50

enum {
	CMODE_TOPIC = 1 << 0,      /* +t */
	CMODE_NOEXTERNAL = 1 << 1, /* +n */
	CMODE_MODERATED = 1 << 2,  /* +m */
	CMODE_INVITE = 1 << 3,     /* +i */
	CMODE_SECRET = 1 << 4,     /* +s */
	CMODE_PRIVATE = 1 << 5,    /* +p */
	CMODE_KEY = 1 << 6,        /* +k */
	CMODE_LIMIT = 1 << 7,      /* +l */
};

enum { MEMBER_OP = 1 << 0, MEMBER_VOICE = 1 << 1 };

struct member {
	struct channel *chan;
	struct client *cl;
	struct member *cprev, *cnext;  /* in the channel's member list */
	struct member *unext;          /* in the client's channel list */
	uint8_t modes;
	uint8_t remote;                /* cl->remote, for the same reason as caps */
	uint32_t caps;                 /* cl->caps, kept here so a channel
	                                * fan-out never loads *cl's far end */
};

/* An entry of a list mode: +b ban, +e ban exception, +I invite exception. */
struct ban {
	struct ban *next;
	char *mask;
	char *by;
	time_t when;
};

/* An invitation, linked from both ends, so either one going away removes
 * it at the cost of what that end holds (issue 15: a disconnect used to
 * walk every channel). A client holds at most max_channels of them. */
struct invite {
	struct invite *cnext, *cprev;  /* in the channel's list */
	struct invite *unext, *uprev;  /* in the client's list */
	struct channel *ch;
	struct client *cl;
};

struct channel {
	UT_hash_handle hh;
	char key[CHAN_MAX + 1];
	char name[CHAN_MAX + 1];
	char *topic;
	char *topic_by;
	time_t topic_time;
	time_t created;
	char *chkey;               /* +k */
	unsigned limit;            /* +l */
	uint16_t modes;
	unsigned nmembers;
	struct member *members;
	struct ban *bans;          /* +b */
	struct ban *excepts;       /* +e: lift a ban */
	struct ban *invex;         /* +I: lift +i */
	unsigned nbans;            /* entries of all three: one bound, [limits] max_bans */
	unsigned long join_line;   /* the JOIN line that last handled it (cmd_channel.c) */
	struct invite *invites;
	unsigned list_cursors;     /* LISTs in progress paused here (list.h) */
};

struct channel *channel_find(const char *name);
/* The channel as c may know of it: NULL also for a +s or +p channel c is
 * not on, so that a secret channel answers like a missing one. */
struct channel *channel_find_for(const char *name, const struct client *c);
struct channel *channel_create(const char *name);
int channel_name_valid(const char *name);
struct member *channel_member(const struct channel *ch, const struct client *c);
struct member *channel_add(struct channel *ch, struct client *c, uint8_t modes);
/* Remove c; frees the channel when it becomes empty (returns 1 then). */
int channel_remove(struct channel *ch, struct client *c);
/* The list modes, in CHANMODES order; each letter's list (NULL for any
 * other letter). */
#define CHAN_LIST_MODES "beI"
struct ban **channel_list(struct channel *ch, char mode);
const struct ban *channel_list_head(const struct channel *ch, char mode);
/* c matches a +b entry and no +e entry. Channel lists match what channel
 * operators see (nick!user@cloaked-host), never the address (issue 12). */
int channel_is_banned(const struct channel *ch, const struct client *c);
/* c matches a +I entry: may join past +i without an invitation. */
int channel_is_invex(const struct channel *ch, const struct client *c);
int channel_is_invited(const struct channel *ch, const struct client *c);
/* Record an invitation of c to ch (no-op if there is one); the oldest of
 * c's goes when c holds max_channels. */
void channel_invite(struct channel *ch, struct client *c);
/* Use up c's invitation to ch, if any. */
void channel_uninvite(struct channel *ch, struct client *c);
/* Drop every invitation c holds (c is leaving). */
void channel_forget_invites(struct client *c);
/* "+ntk key" style for 324 (key shown only to members). */
void channel_mode_string(const struct channel *ch, int show_key, char *buf, size_t len);
/* Highest prefix ("@" or "+" or "") or all of them (multi-prefix). */
const char *member_prefix(const struct member *m, int all);
/* Can c see this channel in LIST/WHOIS/NAMES? (+s/+p hide it from outsiders) */
int channel_visible_to(const struct channel *ch, const struct client *c);

#endif
