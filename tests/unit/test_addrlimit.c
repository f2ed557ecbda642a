/* test_addrlimit.c - netaddr/CIDR parsing, the per-address limit and the
 * connect-rate throttle (driven with a fake clock), IPv6 grouping, and the
 * cloak's stability per address and per /64. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "addrlimit.h"
#include "cloak.h"
#include "config.h"
#include "netaddr.h"

static struct netaddr A(const char *text)
{
	struct netaddr a;
	cr_assert_eq(netaddr_parse(&a, text), 0, "%s", text);
	return a;
}

static void conf(int max, int n, int window, int dur, int v6, const struct cidr *ex, int nex)
{
	struct addrlimit_conf c = { .max_per_ip = max, .throttle_connects = n, .throttle_window = window,
	                            .throttle_duration = dur, .ipv6_prefix = v6, .exempt = ex, .nexempt = nex };
	addrlimit_clear();
	addrlimit_configure(&c);
}

Test(netaddr, cidr_parse_and_match)
{
	struct cidr c;
	char buf[64];
	cr_assert_eq(cidr_parse(&c, "192.0.2.0/24"), 0);
	struct netaddr in = A("192.0.2.200"), out = A("192.0.3.1"), v6 = A("2001:db8::1");
	cr_assert(cidr_match(&c, &in));
	cr_assert_not(cidr_match(&c, &out));
	cr_assert_not(cidr_match(&c, &v6));
	cidr_text(&c, buf, sizeof buf);
	cr_assert_str_eq(buf, "192.0.2.0/24");
	cr_assert_eq(cidr_parse(&c, "2001:db8::/32"), 0);
	cr_assert(cidr_match(&c, &v6));
	cr_assert_eq(cidr_parse(&c, "198.51.100.7"), 0);
	cr_assert_eq(c.bits, 32);
	cidr_text(&c, buf, sizeof buf);
	cr_assert_str_eq(buf, "198.51.100.7");
	cr_assert_eq(cidr_parse(&c, "0.0.0.0/0"), 0);
	cr_assert(cidr_match(&c, &out));
	/* host bits under the mask, bad prefix lengths, names: refused */
	cr_assert_eq(cidr_parse(&c, "192.0.2.1/24"), -1);
	cr_assert_eq(cidr_parse(&c, "192.0.2.0/33"), -1);
	cr_assert_eq(cidr_parse(&c, "2001:db8::/129"), -1);
	cr_assert_eq(cidr_parse(&c, "192.0.2.0/"), -1);
	cr_assert_eq(cidr_parse(&c, "example.org"), -1);
	cr_assert_eq(cidr_parse(&c, ""), -1);
}

Test(netaddr, v4_mapped_is_v4)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6->sin6_addr);
	struct netaddr a, b = A("192.0.2.9");
	netaddr_from_sockaddr(&a, &ss);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "a dual-stack socket must not dodge IPv4 limits");
}

Test(addrlimit, per_address_limit_hit_and_lifted)
{
	conf(2, 0, 60, 0, 64, NULL, 0);
	struct netaddr a = A("192.0.2.1"), b = A("192.0.2.2");
	uint8_t g1, g2, g3, g4;
	cr_assert_null(addrlimit_admit(&a, 0, &g1));
	cr_assert_null(addrlimit_admit(&a, 0, &g2));
	cr_assert_str_eq(addrlimit_admit(&a, 0, &g3), "Too many connections from your host");
	cr_assert_eq(g3, 0, "a refused connection is not counted");
	cr_assert_null(addrlimit_admit(&b, 0, &g4), "another address is not affected");
	addrlimit_release(&a, g1);
	cr_assert_null(addrlimit_admit(&a, 1, &g3), "a closed connection frees its slot");
	addrlimit_release(&a, g2);
	addrlimit_release(&a, g3);
	addrlimit_release(&b, g4);
	cr_assert_eq(addrlimit_entries(), 0, "no history kept without a throttle");
}

Test(addrlimit, ipv6_counts_per_prefix)
{
	conf(2, 0, 60, 0, 64, NULL, 0);
	struct netaddr a = A("2001:db8:1:2::1"), b = A("2001:db8:1:2:ffff::9"), c = A("2001:db8:1:3::1");
	uint8_t g;
	cr_assert_null(addrlimit_admit(&a, 0, &g));
	cr_assert_null(addrlimit_admit(&b, 0, &g));
	cr_assert_not_null(addrlimit_admit(&a, 0, &g), "two addresses of one /64 are one user");
	cr_assert_null(addrlimit_admit(&c, 0, &g), "the next /64 is someone else");
	conf(2, 0, 60, 0, 48, NULL, 0);
	cr_assert_null(addrlimit_admit(&a, 0, &g));
	cr_assert_null(addrlimit_admit(&c, 0, &g));
	cr_assert_not_null(addrlimit_admit(&b, 0, &g), "ipv6_prefix = 48 groups the /48");
}

Test(addrlimit, throttle_window_and_duration)
{
	conf(0, 3, 10, 30, 64, NULL, 0);
	struct netaddr a = A("198.51.100.1");
	uint8_t g;
	for (int i = 0; i < 3; i++) {
		cr_assert_null(addrlimit_admit(&a, 100 + i, &g), "connect %d", i);
		addrlimit_release(&a, g);
	}
	const char *no = addrlimit_admit(&a, 103, &g);
	cr_assert_str_eq(no, "Throttled: reconnecting too fast");
	cr_assert_not_null(addrlimit_admit(&a, 125, &g), "still refused within the duration");
	cr_assert_null(addrlimit_admit(&a, 133.5, &g), "admitted again after 30 s");
	addrlimit_release(&a, g);
	/* a fresh window: 3 more are fine, spread over it */
	conf(0, 3, 10, 30, 64, NULL, 0);
	for (int i = 0; i < 9; i++) {
		cr_assert_null(addrlimit_admit(&a, 200 + i * 4, &g), "slow reconnects are never throttled (%d)", i);
		addrlimit_release(&a, g);
	}
}

Test(addrlimit, history_is_swept)
{
	conf(0, 5, 10, 0, 64, NULL, 0);
	uint8_t g;
	char text[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof text, "10.0.%d.%d", i / 256, i % 256);
		struct netaddr a = A(text);
		cr_assert_null(addrlimit_admit(&a, 1, &g));
		addrlimit_release(&a, g);
	}
	cr_assert_eq(addrlimit_entries(), 1000);
	struct netaddr last = A("10.9.9.9");
	cr_assert_null(addrlimit_admit(&last, 12, &g));
	cr_assert_eq(addrlimit_entries(), 1, "a window later only the new one is held");
}

Test(addrlimit, exempt_blocks_only)
{
	struct cidr ex;
	cr_assert_eq(cidr_parse(&ex, "192.0.2.0/28"), 0);
	conf(1, 1, 60, 60, 64, &ex, 1);
	struct netaddr in = A("192.0.2.5"), lo = A("127.0.0.1");
	uint8_t g;
	for (int i = 0; i < 50; i++)
		cr_assert_null(addrlimit_admit(&in, 0, &g), "exempt block refused at %d", i);
	cr_assert_eq(g, 0, "exempt connections are not counted");
	cr_assert_null(addrlimit_admit(&lo, 0, &g));
	cr_assert_not_null(addrlimit_admit(&lo, 0, &g), "loopback is not exempt unless configured");
}

/* Addresses chosen by an attacker (65536 /64s of one /48 are cheap) to
 * collide under uthash's unkeyed default (Jenkins): 1500 groups whose hash
 * shares the low 10 bits, so under that function every one of them sits
 * in one bucket of any table up to 1024 buckets, and each lookup walks
 * them all. With the per-process key they spread like any other set. */
Test(addrlimit, crafted_colliding_groups_do_not_share_a_bucket)
{
	conf(1, 0, 60, 0, 64, NULL, 0);
	enum { N = 1500 };
	static struct netaddr crafted[N];
	int n = 0;
	for (uint32_t i = 0; n < N && i < 50u * 1000 * 1000; i++) {
		struct netaddr g = { .family = AF_INET6 };
		g.b[0] = 0x20; g.b[1] = 0x01; g.b[2] = 0x0d; g.b[3] = 0xb8;
		memcpy(g.b + 4, &i, sizeof i);   /* 2001:db8:<i>::/64 */
		unsigned hashv;
		HASH_JEN(&g, sizeof g, hashv);
		if ((hashv & 1023) == 0)
			crafted[n++] = g;
	}
	cr_assert_eq(n, N, "found only %d colliding groups", n);
	/* the old way: a uthash table with its default function */
	struct old { UT_hash_handle hh; struct netaddr key; } *old = NULL, *o, *tmp, *items = calloc(N, sizeof *items);
	cr_assert_not_null(items);
	for (int i = 0; i < N; i++) {
		items[i].key = crafted[i];
		HASH_ADD(hh, old, key, sizeof items[i].key, &items[i]);
	}
	unsigned old_chain = 0;
	for (unsigned i = 0; i < old->hh.tbl->num_buckets; i++)
		if (old->hh.tbl->buckets[i].count > old_chain)
			old_chain = old->hh.tbl->buckets[i].count;
	cr_assert_eq(old_chain, N, "unkeyed: every crafted key in one bucket");
	HASH_ITER(hh, old, o, tmp)
		HASH_DEL(old, o);
	free(items);
	uint8_t counted;
	for (int i = 0; i < N; i++)
		cr_assert_null(addrlimit_admit(&crafted[i], 0, &counted));
	cr_assert_eq(addrlimit_entries(), N);
	unsigned chain = addrlimit_max_chain();
	cr_log_info("crafted %d groups: longest chain %u unkeyed, %u keyed", N, old_chain, chain);
	/* under Jenkins the chain would be N; keyed, a few dozen at most */
	cr_assert_lt(chain, 40, "longest chain %u of %d crafted keys", chain, N);
	/* and a lookup of each is still right */
	for (int i = 0; i < N; i++)
		cr_assert_not_null(addrlimit_admit(&crafted[i], 0, &counted), "group %d lost", i);
	addrlimit_clear();
}

/* ---- cloaks */

static void cloak_with(const char *secret, int enabled)
{
	struct config cfg;
	char err[128];
	config_defaults(&cfg);
	snprintf(cfg.network, sizeof cfg.network, "TestNet");
	snprintf(cfg.cloak_secret, sizeof cfg.cloak_secret, "%s", secret);
	cfg.cloak = enabled;
	cr_assert_eq(cloak_setup(&cfg, err, sizeof err), 0);
}

static const char *cloak_of(const char *text)
{
	static char out[8][64];
	static int n;
	struct netaddr a = A(text);
	char *o = out[n++ % 8];
	cloak_host(&a, o, 64);
	return o;
}

Test(cloak, stable_keyed_and_hierarchical)
{
	cloak_with("0123456789abcdef-secret", 1);
	const char *a = cloak_of("192.0.2.1"), *a2 = cloak_of("192.0.2.1"), *b = cloak_of("192.0.2.2"),
	           *c = cloak_of("192.0.3.1");
	cr_assert_str_eq(a, a2);
	cr_assert_str_neq(a, b);
	cr_assert_null(strstr(a, "192"), "%s", a);
	cr_assert_eq(strlen(a), 8 * 3 + 3 + strlen("TestNet"), "%s", a);
	cr_assert_str_eq(a + strlen(a) - 8, ".TestNet");
	/* same /24: same second and third labels, so *.<l2>.<l3>.TestNet bans it */
	cr_assert_str_eq(strchr(a, '.'), strchr(b, '.'), "%s %s", a, b);
	cr_assert_str_neq(strchr(a, '.'), strchr(c, '.'));
	cr_assert_str_eq(strchr(strchr(a, '.') + 1, '.'), strchr(strchr(c, '.') + 1, '.'), "same /16");
	/* IPv6: one cloak per /64 */
	cr_assert_str_eq(cloak_of("2001:db8:1:2::1"), cloak_of("2001:db8:1:2:abcd::77"));
	cr_assert_str_neq(cloak_of("2001:db8:1:2::1"), cloak_of("2001:db8:1:3::1"));
	/* HMAC-SHA256 as RFC 2104 has it (values from Python's hmac module) */
	cr_assert_str_eq(cloak_of("192.0.2.1"), "sgxdtnpz.p7grx7jr.r6izeezq.TestNet");
	char longkey[101];
	memset(longkey, 'k', 100);
	longkey[100] = '\0';
	cloak_with(longkey, 1);
	cr_assert_str_eq(cloak_of("192.0.2.1"), "2bvt4bxj.agzuorww.dgasgnax.TestNet", "a key longer than a block is hashed first");
	/* another key, other cloaks */
	char first[64];
	snprintf(first, sizeof first, "%s", a);
	cloak_with("another-secret-entirely", 1);
	cr_assert_str_neq(cloak_of("192.0.2.1"), first);
	/* off: the address */
	cloak_with("", 0);
	cr_assert_str_eq(cloak_of("192.0.2.1"), "192.0.2.1");
	cr_assert_str_eq(cloak_of("::1"), "0::1");
}
