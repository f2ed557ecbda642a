/* config.h - the validated server configuration, read from an INI file. */
#ifndef IRCMINI_CONFIG_H
#define IRCMINI_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#include "casemap.h"
#include "netaddr.h"

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_OPERS 32
#define CONFIG_MAX_SENTINELS 8
#define CONFIG_MAX_EXEMPT 64
#define CONFIG_MAX_BANS 128
#define BAN_MASK_MAX 127
#define BAN_REASON_MAX 200

struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[64];   /* as written, for logs */
	int tls;
	int services;    /* [listen] services: the TS6 link listener (ts6.c) */
	int ws;          /* a WebSocket listener (wsconn.h) */
	int line;        /* where the config file lists it, for errors */
};

#define CONFIG_MAX_PROXIES 16


struct oper_entry {
	char name[32];
	char hash[128];  /* crypt(3) form: $6$..., $y$... */
};

/* A server ban: a K-line (nick!user@host mask) or a D-line (CIDR block). */
enum ban_kind { BAN_K = 'K', BAN_D = 'D' };

struct ban_entry {
	char kind;                     /* BAN_K or BAN_D */
	char mask[BAN_MASK_MAX + 1];   /* K: nick!user@host; D: as cidr_text */
	struct cidr cidr;              /* D only */
	char reason[BAN_REASON_MAX + 1];
	int line;                      /* config line, for messages */
};

struct config {
	/* [server] */
	char name[64];
	char sid[4];           /* TS6 server ID: digit + 2 of [0-9A-Z] */
	int sid_line;          /* 0 = derived from name */
	char network[64];
	char description[128];
	char *motd;            /* text (file contents or inline), NULL = none */
	char motd_file[256];
	char password[128];    /* connection password, "" = none */
	char admin[128];
	enum casemapping casemapping;
	int log_level;         /* LOG_* from log.h */
	char state_directory[256];  /* bans and the cloak key live here */

	/* [listen] */
	int nlisten;
	struct listen_addr listen[CONFIG_MAX_LISTEN];

	/* [limits] */
	int max_clients;
	int max_per_ip;        /* per address group, 0 = unlimited */
	int throttle_connects; /* connects per window per group, 0 = off */
	int throttle_window;   /* seconds */
	int throttle_duration; /* seconds refused after exceeding it */
	int ipv6_prefix;       /* an IPv6 group (one user) is this prefix */
	int nexempt;           /* CIDR blocks exempt from the two above */
	struct cidr exempt[CONFIG_MAX_EXEMPT];
	int nicklen;
	int channellen;
	int topiclen;
	int awaylen;
	int kicklen;
	int max_channels;      /* channels per user */
	int max_members;       /* members per channel, 0 = unlimited */
	int max_targets;       /* TARGMAX for PRIVMSG/NOTICE */
	int max_bans;          /* +b, +e and +I entries per channel, together */
	int ping_interval;     /* seconds idle before we PING */
	int ping_timeout;      /* seconds to wait for the PONG */
	int registration_timeout;
	size_t sendq;          /* bytes queued for a client before drop */
	size_t recvq;          /* bytes of unprocessed input before drop */
	int flood_burst;       /* lines allowed at once, 0 = no flood control */
	int flood_rate;        /* lines per second after the burst */
	int whowas;            /* WHOWAS history entries, 0 = none */
	/* issue 15: what one client or address may make the server do/hold */
	int tls_handshakes_per_ip; /* TLS handshakes in progress per address, 0 = no limit */
	int nick_rate;         /* nick changes per minute (burst the same), 0 = no limit */
	int join_rate;         /* JOINs + PARTs per minute (burst the same), 0 = no limit */
	int max_ban_bytes;     /* +b/+e/+I masks + setters per channel, bytes */
	int channel_rate;      /* channels one address may create per minute, 0 = no limit */
	int list_chunk;        /* channels one LIST looks at per loop pass (cmd_list.c) */


	/* [services]: the Atheme link (doc/services.md) */
	char services_name[64];          /* "" = no services link */
	char services_send_password[128];    /* ours, in our PASS */
	char services_receive_password[128]; /* theirs, in their PASS */
	int services_line;               /* first [services] key, for errors */
	int services_listen_line;        /* [listen] services, 0 = none */

	/* [operators] */
	int nopers;
	struct oper_entry opers[CONFIG_MAX_OPERS];

	/* [cloak] */
	int cloak;             /* show users a keyed hash instead of the address */
	char cloak_secret[128];/* "" = generated and kept in state_directory */
	char cloak_suffix[64]; /* "" = the network name */

	/* [bans] */
	int nbans;
	struct ban_entry bans[CONFIG_MAX_BANS];

	/* [tls] */
	char tls_certificate[256];
	char tls_key[256];
	int tls_certificate_line, tls_key_line;  /* where set, for errors */
	int tls_listen_line;   /* first [listen] tls entry, 0 = none */

	/* [cluster] (cluster.c; doc/cluster.md) */
	int cluster;           /* the section is present: run as a cluster node */
	int cluster_line;      /* its header line, for errors */
	struct redis_addr {
		char host[256];    /* name or address, or a unix socket path */
		int port;          /* 0: host is a unix socket path */
	} redis, sentinels[CONFIG_MAX_SENTINELS];
	int nsentinels;
	char master_name[64];  /* with sentinel: the monitored primary's name */
	char redis_password[128];
	char cluster_prefix[64];  /* every key and stream; "" = the network name */
	int heartbeat;         /* seconds between heartbeats */
	int node_timeout;      /* seconds without a heartbeat before a node is lost */
	int snapshot_interval; /* seconds between state snapshots in Redis */

	/* [websocket] */
	char ws_origins[1024];   /* allowed Origin values, space-separated; "*" = any */
	int nws_proxies;
	struct cidr ws_proxies[CONFIG_MAX_PROXIES];  /* trusted for X-Forwarded-For */
};

/* A valid TS6 SID: a digit, then two digits or capital letters. */
int config_sid_valid(const char *sid);
/* Fill cfg with defaults. */
void config_defaults(struct config *cfg);
/* Load and validate `path`. On error returns -1 and writes a message
 * naming file, line and key into err. cfg is only valid on success. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
/* Load from a string (unit tests); `name` is used in messages. */
int config_load_string(const char *name, const char *text, struct config *cfg,
                       char *err, size_t errlen);
void config_free(struct config *cfg);
/* The TS6 SID derived from a server name when [server] sid is unset. */
void config_derive_sid(const char *name, char sid[4]);
/* The cluster's key prefix: [cluster] prefix, or the network name. */
const char *config_cluster_prefix(const struct config *cfg);
/* Parse "mask reason..." (K) or "cidr reason..." (D) into b; a bare
 * user@host becomes *!user@host. Returns NULL or what is wrong. Shared
 * by the [bans] section and the KLINE/DLINE commands. */
const char *ban_parse_mask(struct ban_entry *b, char kind, const char *mask);

#endif
