/* test_match.c - glob masks (match.c): semantics, agreement with a
 * reference matcher, and the work bound (counted steps, never time). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"


Test(match, literal_and_case)
{
	cr_assert(match_glob(CASEMAP_RFC1459, "nick!user@host", "NICK!User@HOST"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "nick!user@host", "nick!user@hos"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "nick!user@hos", "nick!user@host"));
	cr_assert(match_glob(CASEMAP_RFC1459, "", ""));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "", "a"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "a", ""));
}

Test(match, star)
{
	cr_assert(match_glob(CASEMAP_RFC1459, "*", ""));
	cr_assert(match_glob(CASEMAP_RFC1459, "*", "anything at all"));
	cr_assert(match_glob(CASEMAP_RFC1459, "*!*@*", "n!u@h"));
	cr_assert(match_glob(CASEMAP_RFC1459, "*!*@*.example.org", "n!u@a.b.example.org"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*!*@*.example.org", "n!u@example.org"));
	cr_assert(match_glob(CASEMAP_RFC1459, "bad*", "BADGUY"));
	cr_assert(match_glob(CASEMAP_RFC1459, "*guy", "badguy"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*guy", "badguys"));
	cr_assert(match_glob(CASEMAP_RFC1459, "a**b", "ab"));
	cr_assert(match_glob(CASEMAP_RFC1459, "a*b*c", "aXXbYYbZZc"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "a*b*c", "aXXbYYbZZ"));
	/* backtracking past a false partial match */
	cr_assert(match_glob(CASEMAP_RFC1459, "*abc", "ababc"));
	cr_assert(match_glob(CASEMAP_RFC1459, "*aab", "aaab"));
}

Test(match, question_mark)
{
	cr_assert(match_glob(CASEMAP_RFC1459, "n?ck", "nick"));
	cr_assert(match_glob(CASEMAP_RFC1459, "???", "abc"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "???", "ab"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "???", "abcd"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "?", ""));
	cr_assert(match_glob(CASEMAP_RFC1459, "*?", "x"));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*?", ""));
	cr_assert(match_glob(CASEMAP_RFC1459, "?*?", "xy"));
}

Test(match, case_folded_per_mapping)
{
	cr_assert(match_glob(CASEMAP_RFC1459, "[foo]*", "{FOO}!u@h"));
	cr_assert(match_glob(CASEMAP_RFC1459, "*|*", "a\\b"));
	cr_assert_not(match_glob(CASEMAP_ASCII, "[foo]*", "{FOO}!u@h"));
	cr_assert(match_glob(CASEMAP_ASCII, "[foo]*", "[FOO]!u@h"));
}

Test(match, pathological_masks_terminate, .timeout = 10)
{
	/* a naive recursive matcher is exponential here; the test only needs
	 * to finish (the timeout is a safety net, not a measurement) */
	static char s[20001];
	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*a*a*a*a*a*b", s));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", s));
	cr_assert(match_glob(CASEMAP_RFC1459, "*a*a*a*a*a*a", s));
	cr_assert_not(match_glob(CASEMAP_RFC1459, "*?*?*?*?*?*?*b", s));
	s[sizeof s - 2] = 'B';
	cr_assert(match_glob(CASEMAP_RFC1459, "*a*a*a*a*a*b", s));
}

Test(match, long_mask_of_stars)
{
	char mask[4001];
	memset(mask, '*', sizeof mask - 1);
	mask[sizeof mask - 1] = '\0';
	cr_assert(match_glob(CASEMAP_RFC1459, mask, ""));
	cr_assert(match_glob(CASEMAP_RFC1459, mask, "whatever"));
	mask[sizeof mask - 2] = 'z';
	cr_assert_not(match_glob(CASEMAP_RFC1459, mask, "whatever"));
}

/* Reference: textbook dynamic programming over (mask, name) prefixes. */
static int ref_match(enum casemapping cm, const char *m, const char *s)
{
	size_t ml = strlen(m), sl = strlen(s);
	char *t = calloc((ml + 1) * (sl + 1), 1);
	t[0] = 1;
	for (size_t i = 1; i <= ml; i++)
		t[i * (sl + 1)] = m[i - 1] == '*' && t[(i - 1) * (sl + 1)];
	for (size_t i = 1; i <= ml; i++)
		for (size_t j = 1; j <= sl; j++) {
			char mc = m[i - 1];
			char v;
			if (mc == '*')
				v = t[(i - 1) * (sl + 1) + j] || t[i * (sl + 1) + j - 1];
			else
				v = (mc == '?' || casemap_fold_byte(cm, (unsigned char)mc) ==
				                  casemap_fold_byte(cm, (unsigned char)s[j - 1])) &&
				    t[(i - 1) * (sl + 1) + j - 1];
			t[i * (sl + 1) + j] = v;
		}
	int r = t[ml * (sl + 1) + sl];
	free(t);
	return r;
}

Test(match, agrees_with_reference)
{
	/* small alphabets make matches and near-misses frequent; lengths
	 * cross the 64-state word boundary */
	static const char ma[] = "aAb[{*?", sa[] = "aAbB[{";
	unsigned seed = 12345;
	char m[150], s[150];
	for (int iter = 0; iter < 20000; iter++) {
		int ml = (int)((seed = seed * 1103515245 + 12345) >> 16) % (iter < 10000 ? 8 : 140);
		int sl = (int)((seed = seed * 1103515245 + 12345) >> 16) % (iter < 10000 ? 10 : 145);
		for (int i = 0; i < ml; i++)
			m[i] = ma[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof ma - 1)];
		for (int i = 0; i < sl; i++)
			s[i] = sa[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof sa - 1)];
		m[ml] = s[sl] = '\0';
		/* long masks of mostly literals never match a random name: build
		 * half of them from the name itself */
		if (iter % 2 && ml > 0 && sl > 0)
			for (int i = 0; i < ml && i < sl; i++)
				if (m[i] != '*' && m[i] != '?')
					m[i] = s[i];
		for (int cm = 0; cm < 2; cm++)
			cr_assert_eq(match_glob((enum casemapping)cm, m, s), ref_match((enum casemapping)cm, m, s),
			             "mask \"%s\" name \"%s\" cm %d", m, s, cm);
	}
}

Test(match, overlong_mask_matches_nothing)
{
	char mask[MATCH_MASK_MAX + 2];
	memset(mask, '?', sizeof mask - 1);
	mask[sizeof mask - 1] = '\0';
	char name[MATCH_MASK_MAX + 2];
	memcpy(name, mask, sizeof name);
	cr_assert_not(match_glob(CASEMAP_RFC1459, mask, name));
	mask[sizeof mask - 2] = '\0';   /* exactly the maximum: works */
	name[sizeof name - 2] = '\0';
	cr_assert(match_glob(CASEMAP_RFC1459, mask, name));
}

/* The audit's WHO mask: "*" then n/2 '?' then 'Z', against a long name
 * that it can never match. The old backtracking matcher spent about
 * (n/2)^2 steps on it; here each name byte costs one step per 64 states. */
Test(match, work_is_bounded_by_name_times_mask_words)
{
	static char name[451], mask[228];
	memset(name, 'a', 450);
	mask[0] = '*';
	memset(mask + 1, '?', 225);
	mask[226] = 'Z';
	struct matcher mt;
	match_compile(&mt, CASEMAP_RFC1459, mask);
	unsigned long long before = match_steps;
	cr_assert_not(match_exec(&mt, name));
	unsigned long long steps = match_steps - before;
	/* 227 mask bytes: 226 states, 4 words; 450 bytes of name */
	cr_assert_leq(steps, 450ULL * 4, "steps %llu", steps);
	cr_assert_gt(steps, 0);

	/* the same bound for every mask shape that made backtrackers slow */
	static const char *const shapes[] = {
		"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "*?*?*?*?*?*?*b", "*aaaaaaaaaaaaaaaaaaaaaab*",
		"a*", "*", "????????????????????????????????????????????????????????????????????????Z",
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		match_compile(&mt, CASEMAP_RFC1459, shapes[i]);
		before = match_steps;
		match_exec(&mt, name);
		steps = match_steps - before;
		cr_assert_leq(steps, 450ULL * (unsigned)mt.words, "%s: %llu steps", shapes[i], steps);
	}
}

Test(match, dead_automaton_stops_early)
{
	/* a literal prefix that fails at once costs one step, not the name */
	static char name[451];
	memset(name, 'a', 450);
	struct matcher mt;
	match_compile(&mt, CASEMAP_RFC1459, "b*");
	unsigned long long before = match_steps;
	cr_assert_not(match_exec(&mt, name));
	cr_assert_leq(match_steps - before, 1);
}
