/* ws.h - the WebSocket codec (RFC 6455), pure functions: the opening
 * handshake's request parsing and reply, frame headers, masking and UTF-8.
 * No sockets, no state of a connection: wsconn.c is the transport that
 * uses these, and the unit tests and contrib/fuzz/fuzz_ws.c call them
 * directly. */
#ifndef IRCMINI_WS_H
#define IRCMINI_WS_H

#include <stddef.h>
#include <stdint.h>

enum { WS_CONT = 0x0, WS_TEXT = 0x1, WS_BINARY = 0x2, WS_CLOSE = 0x8, WS_PING = 0x9, WS_PONG = 0xA };

/* close status codes (RFC 6455 7.4.1) */
enum {
	WS_NORMAL = 1000,
	WS_GOING_AWAY = 1001,
	WS_PROTOCOL_ERROR = 1002,
	WS_BAD_DATA = 1007,        /* e.g. invalid UTF-8 in a text message */
	WS_POLICY = 1008,
	WS_TOO_BIG = 1009,
};

/* IRCv3 subprotocols; none negotiated is treated as text */
enum { WS_PROTO_NONE = 0, WS_PROTO_TEXT = 1, WS_PROTO_BINARY = 2 };

/* The longest request head we read (browsers send about 500 bytes). */
#define WS_MAX_REQUEST 8192

/* A parsed opening handshake. Pointers point into the parsed buffer and
 * are not NUL-terminated. */
struct ws_request {
	const char *key;       /* Sec-WebSocket-Key */
	size_t keylen;
	const char *origin;    /* NULL: no Origin header (not a browser) */
	size_t originlen;
	const char *xff;       /* X-Forwarded-For, NULL if absent */
	size_t xfflen;
	int proto;             /* WS_PROTO_*: the client's first choice we support */
	const char *why;       /* the reason when parsing failed */
};

/* Offset just past the blank line ending an HTTP request head in buf, or
 * 0 while it is incomplete. */
size_t ws_request_end(const char *buf, size_t len);
/* Parse a complete request head. Returns 0 if it is a valid WebSocket
 * upgrade (GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade, a
 * 16-byte key, version 13), else the HTTP status to answer (400, 405,
 * 426) with r->why set. */
int ws_parse_request(const char *head, size_t len, struct ws_request *r);
/* The Sec-WebSocket-Accept value for key: base64(SHA-1(key + GUID)),
 * NUL-terminated in out. Returns -1 if SHA-1 is unavailable. */
int ws_accept_value(const char *key, size_t keylen, char out[29]);
/* The 101 reply; returns its length (< cap) or 0 if it does not fit. */
size_t ws_handshake_reply(char *out, size_t cap, const char *accept, int proto);
/* An HTTP error reply that closes the connection; returns its length. */
size_t ws_http_error(char *out, size_t cap, int status, const char *why);
/* Is origin (len bytes) listed in `allowed` (space-separated, "*" = any)? */
int ws_origin_allowed(const char *allowed, const char *origin, size_t len);

/* A frame header as it came off the wire. */
struct ws_frame {
	uint8_t fin, rsv, opcode, masked;
	uint8_t mask[4];
	uint64_t len;
};
/* Decode a frame header from the first n bytes of p. Returns the header
 * length (2..14), or 0 while more bytes are needed. */
size_t ws_frame_decode(const uint8_t *p, size_t n, struct ws_frame *f);
/* Check a client frame against the protocol, given whether a fragmented
 * message is in progress and how many payload bytes that message may
 * still take. Returns 0, or the close code with *why set. */
int ws_frame_check(const struct ws_frame *f, int in_message, uint64_t room, const char **why);
/* A server frame header (FIN set, unmasked); returns its length (2..10). */
size_t ws_frame_header(uint8_t out[10], int opcode, uint64_t len);
/* Unmask n payload bytes in place; pos is their offset in the payload. */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t pos);

/* Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF). Start with state 0; returns the new state,
 * WS_UTF8_BAD once invalid. 0 at the end of a message means complete. */
#define WS_UTF8_BAD UINT32_MAX
uint32_t ws_utf8(uint32_t state, const uint8_t *p, size_t n);
/* Copy in to out (room for 3 * n bytes), each invalid byte replaced by
 * U+FFFD; returns the output length. */
size_t ws_utf8_sanitize(const uint8_t *in, size_t n, uint8_t *out);

#endif
