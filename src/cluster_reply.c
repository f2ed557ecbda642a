/* cluster_reply.c - hiredis reply objects from one arena, for the
 * connection that reads the stream. An XREAD reply of a few hundred
 * entries is some twenty objects per entry; made and freed one malloc at
 * a time they cost a node more than applying the events (perf: 40% of a
 * node's time in malloc_consolidate, _int_malloc and free). hiredis builds
 * a connection's replies one after another and frees each one (its
 * top-level object) before it starts the next, so one arena per
 * connection, reset when the top-level reply is freed, holds them all.
 * The objects are plain redisReply, so the callbacks read them as usual. */
#include "cluster_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(max_align_t) char mem[];
};

/* One arena, for the one stream-reading connection at a time (the old
 * one is freed before a reconnect opens the next). */
static struct block *arena;

#define BLOCK_MIN (256 * 1024)

static void *arena_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!arena || arena->cap - arena->used < n) {
		size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
		struct block *b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = arena;
		b->used = 0;
		b->cap = cap;
		arena = b;
	}
	void *p = arena->mem + arena->used;
	arena->used += n;
	return p;
}

/* Keep one block (the newest, of the common size); free the others. */
static void arena_reset(void)
{
	if (!arena)
		return;
	struct block *keep = arena, *b = arena->next;
	keep->next = NULL;
	keep->used = 0;
	while (b) {
		struct block *n = b->next;
		free(b);
		b = n;
	}
	if (keep->cap > BLOCK_MIN) {
		free(keep);
		arena = NULL;
	}
}

/* type: the task's, but for a nil ($-1, *-1), whose task says string
 * or array */
static void *attach(const redisReadTask *task, redisReply *r, int type)
{
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->type = type;
	if (task->parent) {
		redisReply *parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	return r;
}

static void *make_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *r = arena_alloc(sizeof *r + len + 1);
	if (!attach(task, r, task->type))
		return NULL;
	r->str = (char *)(r + 1);
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

/* More than any reply on this connection can hold (XREAD COUNT 1000 of
 * entries of at most 2 x EVCODEC_MAXPAIRS strings): a length past it is
 * refused before anything is allocated for it, and the reader's error
 * makes the node reconnect */
#define MAX_ELEMENTS (1 << 20)

static void *make_array(const redisReadTask *task, int elements)
{
	if (elements > MAX_ELEMENTS)
		return NULL;
	redisReply *r = arena_alloc(sizeof *r);
	redisReply **el = elements > 0 ? arena_alloc((size_t)elements * sizeof *el) : NULL;
	if ((elements > 0 && !el) || !attach(task, r, REDIS_REPLY_ARRAY))
		return NULL;
	if (el)
		memset(el, 0, (size_t)elements * sizeof *el);
	r->element = el;
	r->elements = elements > 0 ? (size_t)elements : 0;
	return r;
}

static void *make_integer(const redisReadTask *task, long long v)
{
	redisReply *r = attach(task, arena_alloc(sizeof(redisReply)), REDIS_REPLY_INTEGER);
	if (r)
		r->integer = v;
	return r;
}

static void *make_nil(const redisReadTask *task)
{
	return attach(task, arena_alloc(sizeof(redisReply)), REDIS_REPLY_NIL);
}

static void free_reply(void *reply)
{
	(void)reply;   /* the top-level object: the whole reply goes at once */
	arena_reset();
}

static redisReplyObjectFunctions arena_fn = {
	make_string, make_array, make_integer, make_nil, free_reply,
};

redisReplyObjectFunctions *cl_reply_functions(void)
{
	return &arena_fn;
}

void cl_reply_arena(redisAsyncContext *ac)
{
	ac->c.reader->fn = &arena_fn;
}
