/* ratelimit.h - token buckets, and small per-address state that outlives
 * connections (OPER failures, channels created). */
#ifndef IRCMINI_RATELIMIT_H
#define IRCMINI_RATELIMIT_H

/* `per_minute` tokens at most, refilled at per_minute / 60 a second. A
 * zeroed bucket starts full. */
struct bucket {
	double tokens, last;
};

/* Take one token at `now` (seconds); 0 when there is none. per_minute
 * <= 0: no limit, always 1. */
int bucket_take(struct bucket *b, double now, int per_minute);
/* Seconds until the next token. */
double bucket_wait(const struct bucket *b, int per_minute);

/* One slot per address (or address group), direct-mapped on the keyed
 * hash: another address may take a slot over, which only forgets the
 * older one's history (an attacker gains nothing from that he could not
 * get from a fresh address). */
struct addr_slot {
	char addr[48];           /* the group, as text */
	unsigned oper_fails;     /* cmd_oper.c */
	double oper_until;
	struct bucket created;   /* channels created (cmd_channel.c) */
};

/* The slot of the group of `ip` (itself for IPv4, its [limits]
 * ipv6_prefix for IPv6). */
struct addr_slot *addr_slot(const char *ip);

#endif
