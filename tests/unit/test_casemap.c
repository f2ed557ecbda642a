/* test_casemap.c - casemap_fold / casemap_cmp (glob masks: test_match.c) */
#include <criterion/criterion.h>
#include <string.h>

#include "casemap.h"

static const char *fold(enum casemapping cm, const char *s)
{
	static char buf[256];
	casemap_fold(cm, buf, sizeof buf, s);
	return buf;
}

/* ---- folding */

Test(fold, letters_both_mappings)
{
	cr_assert_str_eq(fold(CASEMAP_RFC1459, "NiCk_Z09-"), "nick_z09-");
	cr_assert_str_eq(fold(CASEMAP_ASCII, "NiCk_Z09-"), "nick_z09-");
}

Test(fold, rfc1459_specials_fold)
{
	/* []\ are the upper case of {}|; ^ and ~ are one class */
	cr_assert_str_eq(fold(CASEMAP_RFC1459, "[]\\"), "{}|");
	cr_assert_str_eq(fold(CASEMAP_RFC1459, "{}|"), "{}|");
	cr_assert_str_eq(fold(CASEMAP_RFC1459, "^"), fold(CASEMAP_RFC1459, "~"));
}

Test(fold, ascii_specials_untouched)
{
	cr_assert_str_eq(fold(CASEMAP_ASCII, "[]\\~{}|^"), "[]\\~{}|^");
}

Test(fold, neighbours_untouched)
{
	/* just outside the ranges: @ ` _ and DEL, and bytes >= 0x80 */
	const char *s = "@`_\x7f\xc3\x89";
	cr_assert_str_eq(fold(CASEMAP_RFC1459, s), s);
	cr_assert_str_eq(fold(CASEMAP_ASCII, s), s);
}

Test(fold, returns_length_and_truncates)
{
	char buf[4];
	cr_assert_eq(casemap_fold(CASEMAP_RFC1459, buf, sizeof buf, "ABCDEF"), 3);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(casemap_fold(CASEMAP_RFC1459, buf, 1, "ABC"), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(casemap_fold(CASEMAP_ASCII, buf, sizeof buf, "Ab"), 2);
	cr_assert_str_eq(buf, "ab");
}

Test(fold, names)
{
	cr_assert_str_eq(casemap_name(CASEMAP_RFC1459), "rfc1459");
	cr_assert_str_eq(casemap_name(CASEMAP_ASCII), "ascii");
}

/* ---- compare */

Test(cmp, rfc1459_collisions)
{
	cr_assert_eq(casemap_cmp(CASEMAP_RFC1459, "[Foo]", "{foo}"), 0);
	cr_assert_eq(casemap_cmp(CASEMAP_RFC1459, "a\\b", "A|B"), 0);
	cr_assert_eq(casemap_cmp(CASEMAP_RFC1459, "[]\\~", "{}|^"), 0);
	cr_assert_eq(casemap_cmp(CASEMAP_RFC1459, "x^", "X~"), 0);
}

Test(cmp, ascii_keeps_specials_apart)
{
	cr_assert_eq(casemap_cmp(CASEMAP_ASCII, "FOO", "foo"), 0);
	cr_assert_neq(casemap_cmp(CASEMAP_ASCII, "[Foo]", "{foo}"), 0);
	cr_assert_neq(casemap_cmp(CASEMAP_ASCII, "a\\b", "a|b"), 0);
	cr_assert_neq(casemap_cmp(CASEMAP_ASCII, "^", "~"), 0);
}

Test(cmp, ordering_and_prefixes)
{
	cr_assert_lt(casemap_cmp(CASEMAP_RFC1459, "abc", "ABD"), 0);
	cr_assert_gt(casemap_cmp(CASEMAP_RFC1459, "ABD", "abc"), 0);
	cr_assert_lt(casemap_cmp(CASEMAP_RFC1459, "ab", "ABC"), 0);
	cr_assert_gt(casemap_cmp(CASEMAP_RFC1459, "abc", "AB"), 0);
	cr_assert_eq(casemap_cmp(CASEMAP_RFC1459, "", ""), 0);
	cr_assert_neq(casemap_cmp(CASEMAP_ASCII, "", "a"), 0);
}

Test(cmp, high_bytes_compare_unsigned)
{
	/* a byte >= 0x80 sorts after ASCII and never folds */
	cr_assert_gt(casemap_cmp(CASEMAP_RFC1459, "\xc3", "z"), 0);
	cr_assert_neq(casemap_cmp(CASEMAP_RFC1459, "\xc3\x89", "\xc3\xa9"), 0);
}
