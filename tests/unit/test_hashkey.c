/* test_hashkey.c - the keyed table hash (hashkey.c): SipHash-2-4 against
 * the paper's vectors, and names crafted to collide under uthash's
 * unkeyed default spreading out in the real nick table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

static const unsigned char k16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

Test(siphash, reference_vectors)
{
	/* SipHash paper, appendix A, and the reference implementation's
	 * vectors.h: key 00..0f, message 00..(len-1) */
	unsigned char msg[64];
	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	cr_assert_eq(hashkey_sip_with(k16, msg, 0), 0x726fdb47dd0e0e31ULL);
	cr_assert_eq(hashkey_sip_with(k16, msg, 1), 0x74f839c593dc67fdULL);
	cr_assert_eq(hashkey_sip_with(k16, msg, 8), 0x93f5f5799a932462ULL);
	cr_assert_eq(hashkey_sip_with(k16, msg, 15), 0xa129ca6149be45e5ULL);
	cr_assert_eq(hashkey_sip_with(k16, msg, 63), 0x958a324ceb064572ULL);
}

Test(siphash, key_matters)
{
	unsigned char k2[16];
	memcpy(k2, k16, sizeof k2);
	k2[15] ^= 1;
	cr_assert_neq(hashkey_sip_with(k16, "nick", 4), hashkey_sip_with(k2, "nick", 4));
}

/* The attack: names whose unkeyed Jenkins hashes agree on their low 12
 * bits all land in one uthash bucket (bucket = hash & (buckets - 1),
 * with at most 4096 buckets here), so each lookup walks them all. */
#define NCRAFT 64
Test(siphash, crafted_collisions_spread_in_the_nick_table)
{
	config_defaults(&srv.cfg);
	static struct client cl[NCRAFT];
	char name[32];
	int found = 0;
	unsigned want = 0;
	for (unsigned long i = 0; found < NCRAFT && i < 50000000UL; i++) {
		snprintf(name, sizeof name, "n%lx", i);
		unsigned hv;
		HASH_JEN(name, strlen(name), hv);
		if (found == 0)
			want = hv & 0xfff;
		if ((hv & 0xfff) != want)
			continue;
		memset(&cl[found], 0, sizeof cl[found]);
		client_set_nick(&cl[found], name);
		found++;
	}
	cr_assert_eq(found, NCRAFT);
	unsigned longest = 0;
	const UT_hash_table *tbl = srv.nicks->hh.tbl;
	for (unsigned b = 0; b < tbl->num_buckets; b++)
		if (tbl->buckets[b].count > longest)
			longest = tbl->buckets[b].count;
	/* unkeyed: one chain of 64; keyed: about 64 / buckets, a few at most */
	cr_assert_lt(longest, 12, "longest chain %u of %d crafted names", longest, NCRAFT);
	for (int i = 0; i < NCRAFT; i++)
		cr_assert_eq(client_find(cl[i].nick), &cl[i]);
	for (int i = 0; i < NCRAFT; i++)
		HASH_DEL(srv.nicks, &cl[i]);
	config_free(&srv.cfg);
}

/* ---- secret_equal (secret.h): the connection password and oper hashes */
#include "secret.h"

Test(secret, equal_only_when_equal)
{
	cr_assert(secret_equal("hunter2", "hunter2"));
	cr_assert(secret_equal("", ""));
	cr_assert_not(secret_equal("hunter", "hunter2"));
	cr_assert_not(secret_equal("hunter22", "hunter2"));
	cr_assert_not(secret_equal("", "hunter2"));
	cr_assert_not(secret_equal("hunter2", ""));
	cr_assert_not(secret_equal("Hunter2", "hunter2"));
	cr_assert_not(secret_equal("hunter3", "hunter2"));
}
