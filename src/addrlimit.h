/* addrlimit.h - per-address connection limit and connect-rate throttle,
 * checked on accept before any client state exists. Addresses are counted
 * by group (netaddr_group: IPv6 per /64 by default); configured CIDR blocks
 * are exempt, nothing else is. */
#ifndef IRCMINI_ADDRLIMIT_H
#define IRCMINI_ADDRLIMIT_H

#include "netaddr.h"

struct addrlimit_conf {
	int max_per_ip;        /* open connections per group, 0 = no limit */
	int throttle_connects; /* connects per window, 0 = no throttle */
	int throttle_window;   /* seconds */
	int throttle_duration; /* seconds refused after exceeding it */
	int ipv6_prefix;       /* bits of an IPv6 address that name one user */
	int nexempt;
	const struct cidr *exempt;
};

/* The settings in force (kept by pointer: the config outlives the table). */
void addrlimit_configure(const struct addrlimit_conf *conf);
int addrlimit_exempt(const struct netaddr *a);
/* Count a connection from `a` at time `now`. Returns NULL when admitted,
 * or the reason to refuse it. *counted receives how it was counted: 0
 * not at all (exempt, no limits), else the prefix length of its group, to
 * hand back to addrlimit_release with the address when it closes (one
 * byte per client, and a reload that changes the prefix or the
 * exemptions cannot unbalance the counts). */
const char *addrlimit_admit(const struct netaddr *a, double now, uint8_t *counted);
void addrlimit_release(const struct netaddr *a, uint8_t counted);
/* Entries held (open connections and throttle history), for tests/STATS. */
unsigned addrlimit_entries(void);
/* The longest hash chain: what a lookup costs at worst (tests). */
unsigned addrlimit_max_chain(void);
/* Drop every entry (shutdown, tests). */
void addrlimit_clear(void);

#endif
