/* match.c - see match.h.
 *
 * State k means "the first k literals/'?' of the mask are matched"; a '*'
 * just before the k-th literal is a self-loop on state k (it eats any
 * byte), so no epsilon moves are needed. For an input byte b:
 *     D' = ((D << 1) & acc[class(b)]) | (D & loop)
 * and the mask matches when state `nstates` is live after the last byte. */
#include "match.h"

#include <string.h>

unsigned long long match_steps;

static void setbit(uint64_t *v, unsigned k)
{
	v[k / 64] |= (uint64_t)1 << (k % 64);
}

void match_compile(struct matcher *mt, enum casemapping cm, const char *mask)
{
	size_t len = 0;
	unsigned k = 0;

	memset(mt->cls, 0, sizeof mt->cls);
	memset(mt->loop, 0, sizeof mt->loop);
	memset(mt->acc[0], 0, sizeof mt->acc[0]);
	mt->ok = 1;
	/* pass 1: self-loops, '?' states (row 0 holds them alone) */
	for (const char *p = mask; *p; p++, len++) {
		if (*p == '*') {
			setbit(mt->loop, k);
			continue;
		}
		if (k == MATCH_MASK_MAX) {
			mt->ok = 0;
			mt->words = 1;
			mt->nstates = 0;
			match_steps += len;
			return;
		}
		if (*p == '?')
			setbit(mt->acc[0], k + 1);
		k++;
	}
	mt->nstates = k;
	mt->words = (int)(k / 64 + 1);
	/* pass 2: one row per distinct folded literal, shared by every byte
	 * that folds to it (so matching never folds the name) */
	unsigned rows = 1;
	k = 0;
	for (const unsigned char *p = (const unsigned char *)mask; *p; p++) {
		if (*p == '*')
			continue;
		if (*p != '?') {
			unsigned char f = casemap_fold_byte(cm, *p);
			unsigned r = mt->cls[f];
			if (r == 0) {
				r = rows++;
				memcpy(mt->acc[r], mt->acc[0], sizeof mt->acc[0]);
				mt->cls[f] = (uint16_t)r;
				/* the other byte folding to f, if any */
				if ((f >= 'a' && f <= 'z') || (cm == CASEMAP_RFC1459 && f >= '{' && f <= '~'))
					mt->cls[f - 32] = (uint16_t)r;
			}
			setbit(mt->acc[r], k + 1);
		}
		k++;
	}
	match_steps += len;
}

int match_exec(const struct matcher *mt, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long long steps = 0;
	int live = mt->ok;

	if (mt->words == 1) {
		uint64_t d = 1, loop = mt->loop[0];
		for (; *s && live; s++, steps++) {
			d = ((d << 1) & mt->acc[mt->cls[*s]][0]) | (d & loop);
			live = d != 0;
		}
		match_steps += steps;
		return live && (d >> mt->nstates) & 1;
	}
	uint64_t d[MATCH_WORDS] = { 1 };
	for (; *s && live; s++) {
		const uint64_t *a = mt->acc[mt->cls[*s]];
		uint64_t carry = 0, any = 0;
		for (int w = 0; w < mt->words; w++) {
			uint64_t x = d[w];
			d[w] = (((x << 1) | carry) & a[w]) | (x & mt->loop[w]);
			carry = x >> 63;
			any |= d[w];
		}
		steps += (unsigned)mt->words;
		live = any != 0;
	}
	match_steps += steps;
	return live && (d[mt->nstates / 64] >> (mt->nstates % 64)) & 1;
}

int match_glob(enum casemapping cm, const char *mask, const char *str)
{
	struct matcher mt;
	match_compile(&mt, cm, mask);
	return match_exec(&mt, str);
}
