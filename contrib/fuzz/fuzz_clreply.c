/* fuzz_clreply.c - libFuzzer harness for src/cluster_reply.c: hiredis's
 * reply parser building its objects in the stream reader's arena, as a
 * cluster node reads what Redis sends on the XREAD connection.
 *
 * The first input byte sets how the rest is fed to the reader (in pieces
 * of 1..256 bytes, as reads from a socket would split it); every reply the
 * reader completes is walked (types, string lengths and terminators,
 * array elements all set) and then freed the way hiredis frees it, through
 * the object functions, which resets the arena. A reader freed in the
 * middle of a reply frees the partial one too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_int.h"

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz_clreply: invariant failed: %s (line %d)\n", \
			        #cond, __LINE__);                                   \
			abort();                                                    \
		}                                                                   \
	} while (0)

static size_t walk(const redisReply *r, int depth)
{
	CHECK(r);
	CHECK(depth < 16);
	size_t n = 1;
	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		CHECK(r->str && r->str[r->len] == '\0');
		break;
	case REDIS_REPLY_ARRAY:
		CHECK(r->elements == 0 || r->element);
		for (size_t i = 0; i < r->elements; i++)
			n += walk(r->element[i], depth + 1);
		break;
	case REDIS_REPLY_INTEGER:
	case REDIS_REPLY_NIL:
		break;
	default:
		CHECK(!"unknown reply type");
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	data++, size--;
	redisReader *rd = redisReaderCreateWithFunctions(cl_reply_functions());
	if (!rd)
		return 0;
	int bad = 0;
	for (size_t off = 0; off < size && !bad; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		if (redisReaderFeed(rd, (const char *)data + off, n) != REDIS_OK)
			break;
		for (;;) {
			void *reply = NULL;
			if (redisReaderGetReply(rd, &reply) != REDIS_OK) {
				bad = 1;
				break;
			}
			if (!reply)
				break;
			walk(reply, 0);
			rd->fn->freeObject(reply);
		}
	}
	redisReaderFree(rd);
	return 0;
}
