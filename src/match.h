/* match.h - IRC glob masks ('*' any run, '?' one byte), casemap-aware,
 * at a cost bounded by name length x mask length whatever the mask.
 *
 * A mask is compiled into a bit-parallel automaton (Shift-And with
 * self-loops for '*'): one state per literal or '?' of the mask, all
 * states advanced together, one machine word per 64 of them, for each byte
 * of the name. No backtracking: "*???...?Z" against a 450-byte name costs
 * 450 x ceil(states / 64) word steps, not (n/2)^2 comparisons. Every mask
 * match in the server (WHO, bans, LIST, WHOWAS, server names) goes here. */
#ifndef IRCMINI_MATCH_H
#define IRCMINI_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "casemap.h"

/* Masks with more literals and '?' than this ('*' do not count) never
 * match anything: no IRC line carries one, and the bound keeps the
 * automaton on the stack. */
#define MATCH_MASK_MAX 512
#define MATCH_WORDS ((MATCH_MASK_MAX + 1 + 63) / 64)

struct matcher {
	int ok;                 /* 0: over-long mask, matches nothing */
	int words;              /* 64-bit words in use */
	unsigned nstates;       /* literals + '?' in the mask */
	uint16_t cls[256];      /* input byte -> row of `acc` */
	uint64_t loop[MATCH_WORDS];   /* states with a '*' self-loop */
	/* acc[r]: states a byte of class r advances into (bit k+1 for the k-th
	 * literal it satisfies); row 0: bytes no literal names ('?' only) */
	uint64_t acc[257][MATCH_WORDS];
};

/* Compile; cheap (touches only the rows the mask uses). */
void match_compile(struct matcher *mt, enum casemapping cm, const char *mask);
/* Does the whole of str match? */
int match_exec(const struct matcher *mt, const char *str);
/* Compile and run once. */
int match_glob(enum casemapping cm, const char *mask, const char *str);

/* Work done so far, in word steps (compile and exec): tests and
 * benchmarks bound it; never reset by the server. */
extern unsigned long long match_steps;

#endif
