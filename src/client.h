/* client.h - an IRC client (user): registration state, identity, modes,
 * and the nick table keyed by the casemapped nick. */
#ifndef IRCMINI_CLIENT_H
#define IRCMINI_CLIENT_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include "hashkey.h"

#include "conn.h"
#include "ratelimit.h"
#include "netaddr.h"
#include "event.h"

#define NICK_MAX 30
#define USER_MAX 10
#define HOST_MAX 63
/* Real names are cut to this: every 311/352/314 reply carrying one still
 * fits a 512-byte line with a 30-byte nick, 63-byte host and 50-byte
 * channel, and a WHO mask tried on it costs at most 128 matcher steps per
 * 64 mask characters (match.h). Common servers use 50 (solanum,
 * UnrealIRCd) to 130 (InspIRCd); long real names are rare and decorative. */
#define REALNAME_MAX 128

enum {
	REG_NICK = 1 << 0,
	REG_USER = 1 << 1,
	REG_PASS = 1 << 2,
	REG_CAP = 1 << 3,       /* CAP negotiation in progress: hold 001 */
	REG_DONE = 1 << 4,
	REG_PENDING = 1 << 5,   /* USER event emitted, not applied yet */
};

enum {
	UMODE_INVISIBLE = 1 << 0,
	UMODE_WALLOPS = 1 << 1,
	UMODE_OPER = 1 << 2,
};

struct member;
struct node;
struct safelist;

/* A user of the network. Local: it has its connection (`conn`, first, so a
 * struct conn * is a struct client *). Remote: it belongs to another node
 * (`node`), its `conn` is never started and nothing is ever sent to it; its
 * node delivers its lines. */
struct client {
	struct conn conn;          /* valid only when !remote */
	UT_hash_handle hh;         /* srv.nicks, keyed by `key` */
	UT_hash_handle hh_uid;     /* srv.uids, keyed by `uid` */
	char uid[UID_LEN + 1];     /* SID + 6; "" once it left the tables */
	struct node *node;         /* where it is connected (srv.me if local) */
	char nick[NICK_MAX + 1];
	char key[NICK_MAX + 1];    /* casemapped nick */
	char user[USER_MAX + 1];
	char host[HOST_MAX + 1];   /* what others see: the cloak (cloak.h) */
	struct netaddr addr;       /* the real address: operators, logs, server bans */
	char *realname;
	char *away;
	char *account;             /* services account logged in to, NULL = none */
	char *certfp;              /* TLS client certificate fingerprint (tls.h), NULL = none */
	struct member *chans;      /* this client's memberships */
	struct invite *invites;    /* invitations held (channel.h), newest first */
	struct safelist *listing;  /* a LIST in progress (list.h), or NULL */
	unsigned long epoch;
	time_t signon;
	time_t last_msg;           /* for WHOIS idle */
	uint32_t caps;             /* negotiated IRCv3 capabilities */
	uint16_t nchans;
	uint16_t ninvites;
	uint8_t reg;
	uint8_t umodes;
	uint8_t tls;
	uint8_t cap_version;
	uint8_t counted;           /* how addrlimit counted it (addrlimit_admit) */
	uint8_t sasl;              /* a SASL exchange is in progress (ts6.c) */
	uint8_t sasl_done;         /* SASL succeeded: 907 on another try */
	uint8_t oper_fails;        /* failed OPER attempts (cmd_oper.c) */
	uint8_t certfp_done;       /* certfp looked up (once per connection) */
	struct bucket nick_rate;   /* [limits] nick_rate (cmd_login.c) */
	struct bucket join_rate;   /* [limits] join_rate (cmd_channel.c) */
	uint8_t remote;            /* on another node: no socket */
	uint8_t detached;          /* local, connection closed, its QUIT not applied yet */
};

static inline struct client *client_of(struct conn *c)
{
	return (struct client *)c;
}

static inline int client_registered(const struct client *c)
{
	return c->reg & REG_DONE;
}

/* Called by the listener for each accepted socket. */
/* kind: LISTEN_TLS | LISTEN_WS bits (listener.h) */
void client_accept(int fd, const struct sockaddr_storage *peer, socklen_t len, int kind);
struct client *client_find(const char *nick);
/* A registered user (or, with any=1, a local connection) by UID. */
struct client *client_find_uid(const char *uid, int any);
/* Table mechanics for state.c (the one caller): take `nick` (already
 * validated and free) for c; drop c's nick; add / drop c's UID. */
void client_set_nick(struct client *c, const char *nick);
/* A heap copy of a real name cut to REALNAME_MAX bytes (never inside a
 * UTF-8 sequence), or NULL when out of memory. */
char *realname_dup(const char *name);
void client_drop_nick(struct client *c);
void client_add_uid(struct client *c);
void client_drop_uid(struct client *c);
/* Free a user that has no connection (remote, or detached). */
void client_free(struct client *c);
/* The registration burst: 001-005, LUSERS, MOTD (state.c calls it when
 * the user's USER event is applied). */
void client_welcome(struct client *c);
/* Valid per RFC 2812 + Modern IRC, within NICKLEN. */
int nick_valid(const char *nick);
/* c's client certificate fingerprint, NULL without one. A local TLS
 * user's is computed the first time it is asked for (registration or
 * SASL: after the handshake, since a line came), and kept. */
const char *client_certfp(struct client *c);
/* The real address as text, for operators and the log only. */
const char *client_ip(const struct client *c, char buf[NETADDR_TEXT]);
/* "nick!user@host" into buf. */
const char *client_mask(const struct client *c, char *buf, size_t len);
/* Disconnect with an ERROR line and a QUIT reason for the others. */
void client_exit(struct client *c, const char *reason);
/* Every other client sharing a channel with c, once each (epoch marks). */
void client_visit_peers(struct client *c, void (*fn)(struct client *peer, void *arg), void *arg);
/* Send the registration burst when NICK+USER (+CAP END, +PASS) are in. */
void client_try_register(struct client *c);
/* Give c its TS6 UID (at accept). */
void client_assign_uid(struct client *c);

void client_init_conn_handlers(void);
/* Record a WHOWAS entry (called on nick change and quit). */
void whowas_add(const struct client *c);
struct whowas {
	char nick[NICK_MAX + 1];
	char user[USER_MAX + 1];
	char host[HOST_MAX + 1];
	char realname[REALNAME_MAX + 1];
	time_t when;
};
/* Iterate newest first; returns NULL at the end. */
const struct whowas *whowas_get(int i);

#endif
