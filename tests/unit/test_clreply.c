/* test_clreply.c - the stream reader's reply arena (src/cluster_reply.c)
 * under hiredis's parser: the shapes the cluster reads, nils in every
 * position, one reply after another in one arena, and refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_int.h"

static redisReader *rd;

static void setup(void)
{
	rd = redisReaderCreateWithFunctions(cl_reply_functions());
	cr_assert(rd);
}

static void teardown(void)
{
	redisReaderFree(rd);
}

TestSuite(clreply, .init = setup, .fini = teardown);

/* Feed len bytes of text; the next complete reply (or NULL). */
static redisReply *next_n(const char *text, size_t len)
{
	void *r = NULL;
	if (text)
		cr_assert_eq(redisReaderFeed(rd, text, len), REDIS_OK);
	cr_assert_eq(redisReaderGetReply(rd, &r), REDIS_OK);
	return r;
}

static redisReply *next(const char *text)
{
	return next_n(text, text ? strlen(text) : 0);
}

static void done(redisReply *r)
{
	rd->fn->freeObject(r);
}

Test(clreply, xread_shape)
{
	static const char text[] = "*1\r\n*2\r\n$5\r\nt:log\r\n*2\r\n"
		"*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\nt\r\n$2\r\n11\r\n$1\r\nx\r\n$5\r\nhe\0lo\r\n"
		"*2\r\n$3\r\n1-2\r\n*0\r\n";
	redisReply *r = next_n(text, sizeof text - 1);
	cr_assert(r);
	cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
	cr_assert_eq(r->elements, 1);
	const redisReply *s = r->element[0];
	cr_assert_eq(s->elements, 2);
	cr_assert_str_eq(s->element[0]->str, "t:log");
	const redisReply *entries = s->element[1];
	cr_assert_eq(entries->elements, 2);
	const redisReply *e = entries->element[0];
	cr_assert_str_eq(e->element[0]->str, "1-1");
	cr_assert_eq(e->element[1]->elements, 4);
	cr_assert_eq(e->element[1]->element[3]->len, 5);   /* a NUL inside is kept */
	cr_assert_eq(memcmp(e->element[1]->element[3]->str, "he\0lo", 5), 0);
	cr_assert_eq(e->element[1]->element[3]->str[5], '\0');
	cr_assert_eq(entries->element[1]->element[1]->type, REDIS_REPLY_ARRAY);
	cr_assert_eq(entries->element[1]->element[1]->elements, 0);
	done(r);
}

Test(clreply, nils_are_nil_whatever_the_task_says)
{
	redisReply *r = next("*-1\r\n");   /* XREAD BLOCK timed out */
	cr_assert_eq(r->type, REDIS_REPLY_NIL);
	done(r);
	r = next("*3\r\n$-1\r\n*-1\r\n:7\r\n");
	cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
	cr_assert_eq(r->element[0]->type, REDIS_REPLY_NIL);
	cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL);
	cr_assert_eq(r->element[2]->type, REDIS_REPLY_INTEGER);
	cr_assert_eq(r->element[2]->integer, 7);
	done(r);
	r = next("-ERR nope\r\n+OK\r\n");
	cr_assert_eq(r->type, REDIS_REPLY_ERROR);
	cr_assert_str_eq(r->str, "ERR nope");
	done(r);
	r = next(NULL);
	cr_assert_eq(r->type, REDIS_REPLY_STATUS);
	done(r);
}

/* Many replies one after another, each larger than one arena block:
 * every one reads back intact after the resets. */
Test(clreply, replies_after_one_another)
{
	static char big[300 * 1024];
	for (int round = 0; round < 3; round++) {
		size_t n = (size_t)snprintf(big, sizeof big, "*2000\r\n");
		for (int i = 0; i < 2000; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "$%d\r\n%0*d\r\n", 100 + round, 100 + round, i);
		redisReply *r = next(big);
		cr_assert_eq(r->elements, 2000);
		for (int i = 0; i < 2000; i++) {
			cr_assert_eq(r->element[i]->len, (size_t)(100 + round));
			cr_assert_eq(atoi(r->element[i]->str), i);
		}
		done(r);
	}
}

Test(clreply, absurd_length_is_a_reader_error)
{
	void *r = NULL;
	const char *text = "*1717177777\r\n";
	cr_assert_eq(redisReaderFeed(rd, text, strlen(text)), REDIS_OK);
	cr_assert_eq(redisReaderGetReply(rd, &r), REDIS_ERR);
	cr_assert_null(r);
}

Test(clreply, partial_reply_freed_with_the_reader)
{
	cr_assert_null(next("*2\r\n$3\r\nabc\r\n$10\r\n01234"));
	/* teardown frees the reader holding the half-built reply */
}
