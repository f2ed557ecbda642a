/* message.h - parse and serialise one IRC line (RFC 1459 / IRCv3 tags).
 * Pure: no I/O, no globals; safe to fuzz. */
#ifndef IRCMINI_MESSAGE_H
#define IRCMINI_MESSAGE_H

#include <stddef.h>

#define MSG_MAXPARAMS 15   /* RFC 1459 2.3: at most 15 parameters */
#define MSG_MAXLINE 512    /* incl. CRLF, without tags */

struct message {
	char *tags;     /* raw tags after '@', without it; NULL if none */
	char *prefix;   /* source after ':', NULL if none */
	char *command;
	int nparams;
	char *params[MSG_MAXPARAMS];
};

enum msg_status {
	MSG_OK = 0,
	MSG_EMPTY,      /* blank line (only spaces): ignore silently */
	MSG_NOCOMMAND,  /* tags/prefix but no command */
};

/* Parse a NUL-terminated line (no CR/LF) in place: separators in `line`
 * are overwritten with NULs and `m` points into it. Parameters beyond the
 * 15th are folded into the 15th, as RFC 2812 allows. */
enum msg_status msg_parse(char *line, struct message *m);

/* Serialise into out (capacity cap, must be >= 3) as one line ending in
 * CRLF, truncating content so the result never exceeds `max` bytes incl.
 * CRLF (max <= cap). Parameters are sanitised: CR, LF and NUL never reach
 * the output. The last parameter is written as trailing (':') when it is
 * empty, contains a space or starts with ':'; earlier parameters that
 * would need it are written anyway (callers never pass such). Returns the
 * number of bytes written. prefix may be NULL. */
size_t msg_build(char *out, size_t max, const char *prefix, const char *command,
                 int nparams, const char *const *params);

/* A copy of a raw line for the -d log, with the secrets of PASS, OPER
 * (its second parameter) and AUTHENTICATE replaced by "***". */
void msg_redact(const char *line, char *out, size_t cap);

/* Split a comma list in place: the next item (maybe empty) or NULL at
 * the end; *cursor moves past it. */
char *msg_next_item(char **cursor);

/* True if `s` may appear as a middle (non-trailing) parameter. */
int msg_is_middle(const char *s);

#endif
