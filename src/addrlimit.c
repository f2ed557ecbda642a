/* addrlimit.c - see addrlimit.h */
#include "addrlimit.h"

#include <stdlib.h>
#include <string.h>

/* Attackers choose their addresses (a /48 holds 65536 /64s): the table
 * hashes with the process's SipHash key (hashkey.h), so nobody can pick
 * groups that share a bucket. */
#include "hashkey.h"

struct addrent {
	UT_hash_handle hh;
	struct netaddr key;      /* the group */
	unsigned conns;          /* open connections */
	unsigned window_count;   /* connects since window_start */
	double window_start;
	double refused_until;    /* throttled until then */
};

static struct addrent *table;
static struct addrlimit_conf conf = { .ipv6_prefix = 64 };
static double next_sweep;

void addrlimit_configure(const struct addrlimit_conf *c)
{
	conf = *c;
}

int addrlimit_exempt(const struct netaddr *a)
{
	for (int i = 0; i < conf.nexempt; i++)
		if (cidr_match(&conf.exempt[i], a))
			return 1;
	return 0;
}

static int stale(const struct addrent *e, double now)
{
	return e->conns == 0 && now >= e->refused_until &&
	       now - e->window_start >= conf.throttle_window;
}

/* Throttle history outlives the connections by one window at most: drop
 * it once per window, so the table holds what the last window saw. */
static void sweep(double now)
{
	struct addrent *e, *tmp;
	HASH_ITER(hh, table, e, tmp)
		if (stale(e, now)) {
			HASH_DEL(table, e);
			free(e);
		}
	next_sweep = now + (conf.throttle_window > 1 ? conf.throttle_window : 1);
}

const char *addrlimit_admit(const struct netaddr *a, double now, uint8_t *counted)
{
	*counted = 0;
	if (addrlimit_exempt(a) || (!conf.max_per_ip && !conf.throttle_connects))
		return NULL;
	if (now >= next_sweep)
		sweep(now);
	struct netaddr g;
	netaddr_group(&g, a, conf.ipv6_prefix);
	struct addrent *e;
	HASH_FIND(hh, table, &g, sizeof g, e);
	if (e && now < e->refused_until)
		return "Throttled: reconnecting too fast";
	if (!e) {
		if (!(e = calloc(1, sizeof *e)))
			return "Out of memory";
		e->key = g;
		e->window_start = now;
		HASH_ADD(hh, table, key, sizeof e->key, e);
	}
	/* every attempt counts, refused ones too: a clone script hammering
	 * a full address is throttled like a reconnect loop */
	if (conf.throttle_connects) {
		if (now - e->window_start >= conf.throttle_window) {
			e->window_start = now;
			e->window_count = 0;
		}
		if (++e->window_count > (unsigned)conf.throttle_connects) {
			/* refused for the duration, then a fresh window: attempts
			 * during it are neither counted nor extend it */
			e->refused_until = now + conf.throttle_duration;
			e->window_start = e->refused_until;
			e->window_count = 0;
			return "Throttled: reconnecting too fast";
		}
	}
	if (conf.max_per_ip && e->conns >= (unsigned)conf.max_per_ip)
		return "Too many connections from your host";
	e->conns++;
	*counted = (uint8_t)(a->family == AF_INET6 ? conf.ipv6_prefix : 32);
	return NULL;
}

void addrlimit_release(const struct netaddr *a, uint8_t counted)
{
	struct addrent *e;
	struct netaddr g;
	if (!counted)
		return;
	netaddr_group(&g, a, counted);
	HASH_FIND(hh, table, &g, sizeof g, e);
	if (!e || !e->conns)
		return;
	/* kept for its throttle history until the sweep, unless there is none */
	if (--e->conns == 0 && !conf.throttle_connects) {
		HASH_DEL(table, e);
		free(e);
	}
}

unsigned addrlimit_max_chain(void)
{
	unsigned max = 0;
	if (!table)
		return 0;
	for (unsigned i = 0; i < table->hh.tbl->num_buckets; i++)
		if (table->hh.tbl->buckets[i].count > max)
			max = table->hh.tbl->buckets[i].count;
	return max;
}

unsigned addrlimit_entries(void)
{
	return HASH_COUNT(table);
}

void addrlimit_clear(void)
{
	struct addrent *e, *tmp;
	HASH_ITER(hh, table, e, tmp) {
		HASH_DEL(table, e);
		free(e);
	}
	next_sweep = 0;
}
