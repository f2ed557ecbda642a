/* config.c - inih callback into a validated struct config. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

struct parse_state {
	struct config *cfg;
	char err[256];      /* first error, without the file:line part */
	int have_listen;    /* first address/tls entry replaces the default */
	int line;           /* physical line being parsed (see read_line) */
	int err_line;       /* the line of err */
	int motd_inline;    /* motd seen (conflicts with motd_file) */
};

static char *read_file(const char *path);

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->name, sizeof cfg->name, "irc.localhost");
	snprintf(cfg->network, sizeof cfg->network, "ircmini");
	snprintf(cfg->description, sizeof cfg->description, "ircmini IRC server");
	snprintf(cfg->admin, sizeof cfg->admin, "the server administrator");
	cfg->casemapping = CASEMAP_RFC1459;
	cfg->log_level = LOG_INFO;
	/* systemd's StateDirectory= says where; /var/lib/ircmini otherwise */
	const char *sd = getenv("STATE_DIRECTORY");
	snprintf(cfg->state_directory, sizeof cfg->state_directory, "%s",
	         sd && *sd && !strchr(sd, ':') ? sd : "/var/lib/ircmini");

	cfg->max_clients = 10000;
	/* 10: a household or small office behind one NAT address, or a few
	 * people on one bouncer, fits; a single host opening hundreds of
	 * clones does not. Larger NATs and bouncer hosts go in `exempt`. */
	cfg->max_per_ip = 10;
	/* 10 connects a minute is more than any reconnecting client needs;
	 * a reconnect loop or a clone script is then refused for 2 minutes */
	cfg->throttle_connects = 10;
	cfg->throttle_window = 60;
	cfg->throttle_duration = 120;
	cfg->ipv6_prefix = 64;    /* the smallest end-site allocation: one user */
	cfg->cloak = 1;
	cfg->nicklen = 30;
	cfg->channellen = 50;
	cfg->topiclen = 390;
	cfg->awaylen = 200;
	cfg->kicklen = 255;
	cfg->max_channels = 50;
	cfg->max_members = 0;
	cfg->max_targets = 4;
	cfg->max_bans = 60;
	cfg->ping_interval = 120;
	cfg->ping_timeout = 120;
	cfg->registration_timeout = 30;
	cfg->sendq = 1024 * 1024;
	cfg->recvq = 16384;
	cfg->flood_burst = 50;   /* a pasted screenful or a 50-channel autojoin goes through at once */
	cfg->flood_rate = 4;
	cfg->whowas = 100;
	cfg->tls_handshakes_per_ip = 10;
	cfg->nick_rate = 10;
	cfg->join_rate = 120;        /* a 50-channel autojoin, and parting them all, fit */
	cfg->max_ban_bytes = 6144;   /* 60 bans of a 20-byte mask and a 80-byte setter */
	cfg->channel_rate = 100;
	cfg->list_chunk = 250;

	cfg->heartbeat = 2;
	cfg->node_timeout = 10;
	cfg->snapshot_interval = 60;

	/* default listener, replaced by the first [listen] entry */
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                          .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo("127.0.0.1", "6667", &hints, &ai) == 0) {
		memcpy(&cfg->listen[0].sa, ai->ai_addr, ai->ai_addrlen);
		cfg->listen[0].salen = ai->ai_addrlen;
		snprintf(cfg->listen[0].text, sizeof cfg->listen[0].text, "127.0.0.1:6667");
		cfg->nlisten = 1;
		freeaddrinfo(ai);
	}
}

/* Stable across restarts (services remember UIDs by SID only per link, but
 * logs are easier to read when it does not change): a hash of the name. */
void config_derive_sid(const char *name, char sid[4])
{
	static const char b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	sid[0] = (char)('0' + h % 10);
	h /= 10;
	sid[1] = b36[h % 36];
	h /= 36;
	sid[2] = b36[h % 36];
	sid[3] = '\0';
}

int config_sid_valid(const char *v)
{
	if (strlen(v) != 3 || v[0] < '0' || v[0] > '9')
		return 0;
	for (int i = 1; i < 3; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z')))
			return 0;
	return 1;
}

void config_free(struct config *cfg)
{
	free(cfg->motd);
	cfg->motd = NULL;
}

__attribute__((format(printf, 4, 5)))
static int fail(struct parse_state *st, const char *section, const char *name,
                const char *fmt, ...)
{
	if (!st->err[0]) {
		st->err_line = st->line;
		char what[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		snprintf(st->err, sizeof st->err, "[%s] %s: %s", section, name, what);
	}
	return 0;
}

static int set_str(struct parse_state *st, const char *section, const char *name,
                   char *dst, size_t cap, const char *value)
{
	if (strlen(value) >= cap)
		return fail(st, section, name, "value too long: \"%s\"", value);
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

static int set_int(struct parse_state *st, const char *section, const char *name,
                   int *dst, const char *value, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0')
		return fail(st, section, name, "not a number: \"%s\"", value);
	if (v < min || v > max) {
		char what[96];
		snprintf(what, sizeof what, "%s out of range %ld..%ld", value, min, max);
		return fail(st, section, name, "%s", what);
	}
	*dst = (int)v;
	return 1;
}

/* A server/network name is one IRC word without wildcards. */
static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s == ':' || *s == ',' || *s == '*' || *s == '?' || *s == '!' || *s == '@')
			return 0;
	return 1;
}

/* "host:port", "[v6]:port" or "*:port" (all IPv4 addresses). */
static int parse_listen(struct listen_addr *la, const char *value)
{
	char host[64];
	const char *port;

	if (value[0] == '[') {
		const char *close = strchr(value, ']');
		if (!close || close[1] != ':' || (size_t)(close - value - 1) >= sizeof host)
			return -1;
		memcpy(host, value + 1, (size_t)(close - value - 1));
		host[close - value - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(value, ':');
		if (!colon || strchr(value, ':') != colon || (size_t)(colon - value) >= sizeof host)
			return -1;
		memcpy(host, value, (size_t)(colon - value));
		host[colon - value] = '\0';
		port = colon + 1;
	}
	if (strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -1;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                          .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(&la->sa, ai->ai_addr, ai->ai_addrlen);
	la->salen = ai->ai_addrlen;
	snprintf(la->text, sizeof la->text, "%s", value);
	freeaddrinfo(ai);
	return 0;
}

static int on_server(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;

	if (strcmp(n, "name") == 0) {
		if (!valid_name(v) || !strchr(v, '.'))
			return fail(st, s, n, "not a valid server name (one word with a dot): \"%s\"", v);
		return set_str(st, s, n, cfg->name, sizeof cfg->name, v);
	}
	if (strcmp(n, "sid") == 0) {
		if (!config_sid_valid(v))
			return fail(st, s, n, "not a TS6 server ID (a digit, then two of 0-9 A-Z, e.g. 0AB): \"%s\"", v);
		cfg->sid_line = st->line;
		return set_str(st, s, n, cfg->sid, sizeof cfg->sid, v);
	}
	if (strcmp(n, "network") == 0) {
		if (!valid_name(v))
			return fail(st, s, n, "not a valid network name (one word): \"%s\"", v);
		return set_str(st, s, n, cfg->network, sizeof cfg->network, v);
	}
	if (strcmp(n, "description") == 0)
		return set_str(st, s, n, cfg->description, sizeof cfg->description, v);
	if (strcmp(n, "admin") == 0)
		return set_str(st, s, n, cfg->admin, sizeof cfg->admin, v);
	if (strcmp(n, "password") == 0)
		return set_str(st, s, n, cfg->password, sizeof cfg->password, v);
	if (strcmp(n, "motd_file") == 0) {
		/* read here, not after parsing, so an error can name this line */
		if (st->motd_inline)
			return fail(st, s, n, "motd and motd_file are both set; keep one%s", "");
		if (!set_str(st, s, n, cfg->motd_file, sizeof cfg->motd_file, v))
			return 0;
		char *text = read_file(v);
		if (!text)
			return fail(st, s, n, "cannot read %s: %s", v, strerror(errno));
		free(cfg->motd);
		cfg->motd = text;
		return 1;
	}
	if (strcmp(n, "motd") == 0) {
		if (cfg->motd_file[0])
			return fail(st, s, n, "motd and motd_file are both set; keep one%s", "");
		st->motd_inline = 1;
		/* repeated or continued lines append, one MOTD line each */
		size_t old = cfg->motd ? strlen(cfg->motd) : 0, add = strlen(v);
		char *m = realloc(cfg->motd, old + add + 2);
		if (!m)
			return fail(st, s, n, "out of memory%s", "");
		memcpy(m + old, v, add);
		m[old + add] = '\n';
		m[old + add + 1] = '\0';
		cfg->motd = m;
		return 1;
	}
	if (strcmp(n, "casemapping") == 0) {
		if (strcasecmp(v, "rfc1459") == 0)
			cfg->casemapping = CASEMAP_RFC1459;
		else if (strcasecmp(v, "ascii") == 0)
			cfg->casemapping = CASEMAP_ASCII;
		else
			return fail(st, s, n, "must be rfc1459 or ascii, not \"%s\"", v);
		return 1;
	}
	if (strcmp(n, "state_directory") == 0) {
		if (v[0] != '/')
			return fail(st, s, n, "must be an absolute path, not \"%s\"", v);
		return set_str(st, s, n, cfg->state_directory, sizeof cfg->state_directory, v);
	}
	if (strcmp(n, "log_level") == 0) {
		int l = log_level_parse(v);
		if (l < 0)
			return fail(st, s, n, "must be error, warn, info or debug, not \"%s\"", v);
		cfg->log_level = l;
		return 1;
	}
	return fail(st, s, n, "unknown key%s", "");
}

static int on_listen(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
	int tls = 0, services = 0, ws = 0;

	if (strcmp(n, "address") == 0)
		tls = 0, ws = 0;
	else if (strcmp(n, "tls") == 0)
		tls = 1;
	else if (strcmp(n, "websocket") == 0)
		ws = 1;
	else if (strcmp(n, "websocket_tls") == 0)
		tls = 1, ws = 1;
	else if (strcmp(n, "services") == 0)
		services = 1;
	else
		return fail(st, s, n, "unknown key (use address, tls, websocket, websocket_tls or services)%s", "");
	if (services && cfg->services_listen_line)
		return fail(st, s, n, "one services listener only (already on line %d)", cfg->services_listen_line);
	if (!services && !st->have_listen) {
		/* the default client listener is listen[0]; a services entry
		 * before this one stays */
		if (cfg->nlisten > 0 && cfg->listen[0].line == 0) {
			memmove(&cfg->listen[0], &cfg->listen[1], (size_t)(cfg->nlisten - 1) * sizeof cfg->listen[0]);
			cfg->nlisten--;
		}
		st->have_listen = 1;
	}
	if (cfg->nlisten == CONFIG_MAX_LISTEN)
		return fail(st, s, n, "too many listeners (max 16) at \"%s\"", v);
	struct listen_addr *la = &cfg->listen[cfg->nlisten];
	memset(la, 0, sizeof *la);
	if (parse_listen(la, v) < 0)
		return fail(st, s, n, "not an address:port (e.g. 127.0.0.1:6667 or [::1]:6667): \"%s\"", v);
#ifndef HAVE_TLS
	/* the WebSocket handshake's SHA-1 comes from OpenSSL too */
	if (tls || ws)
		return fail(st, s, n, "this ircmini was built without OpenSSL (configure --with-tls)%s", "");
#endif
	la->tls = tls;
	la->services = services;
	la->ws = ws;
	la->line = st->line;
	for (int i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].salen == la->salen && memcmp(&cfg->listen[i].sa, &la->sa, la->salen) == 0)
			return fail(st, s, n, "%s is already listed on line %d", v, cfg->listen[i].line);
	if (tls && !cfg->tls_listen_line)
		cfg->tls_listen_line = st->line;
	if (services)
		cfg->services_listen_line = st->line;
	cfg->nlisten++;
	return 1;
}

/* A link password is one TS6 word: no spaces, no leading ':'. */
static int valid_password(const char *v)
{
	if (!*v || *v == ':')
		return 0;
	for (; *v; v++)
		if (*v <= ' ')
			return 0;
	return 1;
}

static int on_services(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;

	if (!cfg->services_line)
		cfg->services_line = st->line;
	if (strcmp(n, "name") == 0) {
		if (!valid_name(v) || !strchr(v, '.'))
			return fail(st, s, n, "not a valid server name (one word with a dot): \"%s\"", v);
		return set_str(st, s, n, cfg->services_name, sizeof cfg->services_name, v);
	}
	int send = strcmp(n, "send_password") == 0;
	if (send || strcmp(n, "receive_password") == 0) {
		if (!valid_password(v))  /* never echo a password */
			return fail(st, s, n, "must be one word without spaces and not start with ':'%s", "");
		if (send)
			return set_str(st, s, n, cfg->services_send_password, sizeof cfg->services_send_password, v);
		return set_str(st, s, n, cfg->services_receive_password, sizeof cfg->services_receive_password, v);
	}
	return fail(st, s, n, "unknown key%s", "");
}

static int set_size(struct parse_state *st, const char *s, const char *n,
                    size_t *dst, const char *v, long min)
{
	int x;
	if (!set_int(st, s, n, &x, v, min, INT_MAX))
		return 0;
	*dst = (size_t)x;
	return 1;
}

static int on_limits(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *c = st->cfg;
	static const struct {
		const char *key;
		size_t off;
		long min, max;
	} ints[] = {
		{ "max_clients", offsetof(struct config, max_clients), 1, 1000000 },
		{ "max_per_ip", offsetof(struct config, max_per_ip), 0, 1000000 },
		{ "throttle_connects", offsetof(struct config, throttle_connects), 0, 1000000 },
		{ "throttle_window", offsetof(struct config, throttle_window), 1, 86400 },
		{ "throttle_duration", offsetof(struct config, throttle_duration), 0, 86400 },
		{ "ipv6_prefix", offsetof(struct config, ipv6_prefix), 16, 128 },
		{ "nicklen", offsetof(struct config, nicklen), 9, 30 },
		{ "channellen", offsetof(struct config, channellen), 2, 50 },
		{ "topiclen", offsetof(struct config, topiclen), 1, 390 },
		{ "awaylen", offsetof(struct config, awaylen), 1, 390 },
		{ "kicklen", offsetof(struct config, kicklen), 1, 390 },
		{ "max_channels", offsetof(struct config, max_channels), 1, 10000 },
		{ "max_members", offsetof(struct config, max_members), 0, 1000000 },
		{ "max_targets", offsetof(struct config, max_targets), 1, 100 },
		{ "max_bans", offsetof(struct config, max_bans), 1, 10000 },
		{ "ping_interval", offsetof(struct config, ping_interval), 5, 86400 },
		{ "ping_timeout", offsetof(struct config, ping_timeout), 5, 86400 },
		{ "registration_timeout", offsetof(struct config, registration_timeout), 1, 3600 },
		{ "flood_burst", offsetof(struct config, flood_burst), 0, 100000 },
		{ "flood_rate", offsetof(struct config, flood_rate), 1, 100000 },
		{ "whowas", offsetof(struct config, whowas), 0, 100000 },
		{ "tls_handshakes_per_ip", offsetof(struct config, tls_handshakes_per_ip), 0, 100000 },
		{ "nick_rate", offsetof(struct config, nick_rate), 0, 100000 },
		{ "join_rate", offsetof(struct config, join_rate), 0, 100000 },
		{ "max_ban_bytes", offsetof(struct config, max_ban_bytes), 256, 10000000 },
		{ "channel_rate", offsetof(struct config, channel_rate), 0, 100000 },
		{ "list_chunk", offsetof(struct config, list_chunk), 1, 1000000 },
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if (strcmp(n, ints[i].key) == 0)
			return set_int(st, s, n, (int *)((char *)c + ints[i].off), v, ints[i].min, ints[i].max);
	if (strcmp(n, "exempt") == 0) {
		if (c->nexempt == CONFIG_MAX_EXEMPT)
			return fail(st, s, n, "too many exemptions (max %d)", CONFIG_MAX_EXEMPT);
		if (cidr_parse(&c->exempt[c->nexempt], v) < 0)
			return fail(st, s, n, "not an address or CIDR block (e.g. 192.0.2.0/24 or 2001:db8::/48): \"%s\"", v);
		c->nexempt++;
		return 1;
	}
	if (strcmp(n, "sendq") == 0)
		return set_size(st, s, n, &c->sendq, v, 4096);
	if (strcmp(n, "recvq") == 0)
		return set_size(st, s, n, &c->recvq, v, 1024);
	return fail(st, s, n, "unknown key%s", "");
}

static int on_operators(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;

	/* crypt(3) hashes only, so a leaked config never leaks a password */
	if (v[0] != '$' || strlen(v) < 20 || strchr(v + 1, '$') == NULL)
		return fail(st, s, n, "not a crypt(3) hash (make one with: openssl passwd -6)%s", "");  /* never echo: it may be a plain password */
	if (!valid_name(n) || strlen(n) >= sizeof cfg->opers[0].name)
		return fail(st, s, n, "not a valid operator name%s", "");
	if (cfg->nopers == CONFIG_MAX_OPERS)
		return fail(st, s, n, "too many operators (max 32)%s", "");
	struct oper_entry *o = &cfg->opers[cfg->nopers];
	if (!set_str(st, s, n, o->hash, sizeof o->hash, v))
		return 0;
	snprintf(o->name, sizeof o->name, "%s", n);
	cfg->nopers++;
	return 1;
}

static int set_bool(struct parse_state *st, const char *s, const char *n, int *dst, const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *dst = 1;
		if (strcasecmp(v, no[i]) == 0)
			return (*dst = 0) + 1;
	}
	return fail(st, s, n, "must be yes or no, not \"%s\"", v);
}

static int on_cloak(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
	if (strcmp(n, "enabled") == 0)
		return set_bool(st, s, n, &cfg->cloak, v);
	if (strcmp(n, "secret") == 0) {
		/* never echoed: it is a secret */
		if (strlen(v) < 16)
			return fail(st, s, n, "needs at least 16 characters (make one with: openssl rand -hex 32)%s", "");
		return set_str(st, s, n, cfg->cloak_secret, sizeof cfg->cloak_secret, v);
	}
	if (strcmp(n, "suffix") == 0) {
		if (!valid_name(v) || strlen(v) > 32)
			return fail(st, s, n, "not one word of at most 32 characters: \"%s\"", v);
		return set_str(st, s, n, cfg->cloak_suffix, sizeof cfg->cloak_suffix, v);
	}
	return fail(st, s, n, "unknown key%s", "");
}

const char *ban_parse_mask(struct ban_entry *b, char kind, const char *mask)
{
	memset(b, 0, sizeof *b);
	b->kind = kind;
	if (kind == BAN_D) {
		if (cidr_parse(&b->cidr, mask) < 0)
			return "not an address or CIDR block";
		cidr_text(&b->cidr, b->mask, sizeof b->mask);
		return NULL;
	}
	const char *at = strchr(mask, '@');
	if (!at || !at[1] || strchr(at + 1, '@'))
		return "not a nick!user@host or user@host mask";
	for (const char *p = mask; *p; p++)
		if (*p <= ' ' || *p == ',' || *p == ':')
			return "a mask cannot hold spaces, commas or colons";
	int n = snprintf(b->mask, sizeof b->mask, "%s%s", strchr(mask, '!') && strchr(mask, '!') < at ? "" : "*!", mask);
	if (n < 0 || (size_t)n >= sizeof b->mask)
		return "mask too long";
	return NULL;
}

static int on_bans(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
	char kind;
	if (strcmp(n, "kline") == 0)
		kind = BAN_K;
	else if (strcmp(n, "dline") == 0)
		kind = BAN_D;
	else
		return fail(st, s, n, "unknown key (use kline or dline)%s", "");
	if (cfg->nbans == CONFIG_MAX_BANS)
		return fail(st, s, n, "too many bans (max %d)", CONFIG_MAX_BANS);
	char mask[BAN_MASK_MAX + 1];
	size_t ml = strcspn(v, " \t");
	if (ml == 0 || ml >= sizeof mask)
		return fail(st, s, n, "expected a mask and a reason: \"%s\"", v);
	memcpy(mask, v, ml);
	mask[ml] = '\0';
	struct ban_entry *b = &cfg->bans[cfg->nbans];
	const char *why = ban_parse_mask(b, kind, mask);
	if (why)
		return fail(st, s, n, "%s: \"%s\"", why, mask);
	const char *reason = v + ml;
	while (*reason == ' ' || *reason == '\t')
		reason++;
	snprintf(b->reason, sizeof b->reason, "%s", *reason ? reason : "Banned");
	b->line = st->line;
	cfg->nbans++;
	return 1;
}

static int on_tls(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
	/* the files are loaded by tls_prepare(), which names these lines */
	if (strcmp(n, "certificate") == 0) {
		cfg->tls_certificate_line = st->line;
		return set_str(st, s, n, cfg->tls_certificate, sizeof cfg->tls_certificate, v);
	}
	if (strcmp(n, "key") == 0) {
		cfg->tls_key_line = st->line;
		return set_str(st, s, n, cfg->tls_key, sizeof cfg->tls_key, v);
	}
	return fail(st, s, n, "unknown key%s", "");
}

/* "host:port", "[v6]:port" or "unix:/path". Names are resolved when the
 * cluster connects, not here: a name must be valid, not resolvable now. */
static int parse_redis_addr(struct redis_addr *ra, const char *v)
{
	memset(ra, 0, sizeof *ra);
	if (strncmp(v, "unix:", 5) == 0) {
		v += 5;
		if (v[0] != '/' || strlen(v) >= 108)
			return -1;
		snprintf(ra->host, sizeof ra->host, "%s", v);
		return 0;
	}
	const char *port;
	size_t hlen;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return -1;
		hlen = (size_t)(close - v - 1);
		v++;
		port = close + 2;
	} else {
		const char *colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon)
			return -1;
		hlen = (size_t)(colon - v);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof ra->host)
		return -1;
	for (size_t i = 0; i < hlen; i++)
		if (v[i] <= ' ' || v[i] == '/' || (unsigned char)v[i] >= 0x7f)
			return -1;
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -1;
	memcpy(ra->host, v, hlen);
	ra->host[hlen] = '\0';
	ra->port = (int)p;
	return 0;
}

static int on_cluster(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
#ifndef HAVE_HIREDIS
	return fail(st, s, n, "this ircmini was built without cluster support "
	            "(install libhiredis-dev and re-run configure)%s", "");
#endif
	if (strcmp(n, "redis") == 0) {
		if (parse_redis_addr(&cfg->redis, v) < 0 || !cfg->redis.host[0])
			return fail(st, s, n, "not HOST:PORT or unix:/path (e.g. 127.0.0.1:6379): \"%s\"", v);
		return 1;
	}
	if (strcmp(n, "sentinel") == 0) {
		if (cfg->nsentinels == CONFIG_MAX_SENTINELS)
			return fail(st, s, n, "too many sentinels (max %d)", CONFIG_MAX_SENTINELS);
		struct redis_addr *ra = &cfg->sentinels[cfg->nsentinels];
		if (parse_redis_addr(ra, v) < 0 || ra->port == 0)
			return fail(st, s, n, "not HOST:PORT (e.g. 127.0.0.1:26379): \"%s\"", v);
		cfg->nsentinels++;
		return 1;
	}
	if (strcmp(n, "master_name") == 0) {
		if (!valid_name(v))
			return fail(st, s, n, "not a valid name (one word): \"%s\"", v);
		return set_str(st, s, n, cfg->master_name, sizeof cfg->master_name, v);
	}
	if (strcmp(n, "redis_password") == 0) {
		if (!*v)
			return fail(st, s, n, "empty (leave the key out for no password)%s", "");
		return set_str(st, s, n, cfg->redis_password, sizeof cfg->redis_password, v);
	}
	if (strcmp(n, "prefix") == 0) {
		if (!*v || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(v))
			return fail(st, s, n, "letters, digits, '.', '_' and '-' only: \"%s\"", v);
		return set_str(st, s, n, cfg->cluster_prefix, sizeof cfg->cluster_prefix, v);
	}
	if (strcmp(n, "heartbeat") == 0)
		return set_int(st, s, n, &cfg->heartbeat, v, 1, 3600);
	if (strcmp(n, "node_timeout") == 0)
		return set_int(st, s, n, &cfg->node_timeout, v, 2, 86400);
	if (strcmp(n, "snapshot_interval") == 0)
		return set_int(st, s, n, &cfg->snapshot_interval, v, 1, 86400);
	return fail(st, s, n, "unknown key%s", "");
}

static int on_websocket(struct parse_state *st, const char *s, const char *n, const char *v)
{
	struct config *cfg = st->cfg;
	char word[256];

	if (strcmp(n, "origins") == 0) {
		/* repeated keys add to the list */
		size_t have = strlen(cfg->ws_origins), add = strlen(v);
		if (have + add + 2 > sizeof cfg->ws_origins)
			return fail(st, s, n, "too long (at most %zu bytes in all)", sizeof cfg->ws_origins - 1);
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p < ' ' && *p != '\t')
				return fail(st, s, n, "control character in \"%s\"", v);
		if (have)
			cfg->ws_origins[have++] = ' ';
		memcpy(cfg->ws_origins + have, v, add + 1);
		return 1;
	}
	if (strcmp(n, "trusted_proxies") == 0) {
		for (const char *p = v; *p;) {
			p += strspn(p, " \t");
			size_t len = strcspn(p, " \t");
			if (!len)
				break;
			if (len >= sizeof word)
				return fail(st, s, n, "not an address or address/prefix: \"%.40s...\"", p);
			memcpy(word, p, len);
			word[len] = '\0';
			p += len;
			if (cfg->nws_proxies == CONFIG_MAX_PROXIES)
				return fail(st, s, n, "too many entries (max %d)", CONFIG_MAX_PROXIES);
			if (cidr_parse(&cfg->ws_proxies[cfg->nws_proxies], word) < 0)
				return fail(st, s, n, "not an address or address/prefix (e.g. 127.0.0.1 or 10.0.0.0/8): \"%s\"", word);
			cfg->nws_proxies++;
		}
		return 1;
	}
	return fail(st, s, n, "unknown key (use origins or trusted_proxies)%s", "");
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (strcmp(section, "server") == 0)
		return on_server(st, section, name, value);
	if (strcmp(section, "listen") == 0)
		return on_listen(st, section, name, value);
	if (strcmp(section, "limits") == 0)
		return on_limits(st, section, name, value);
	if (strcmp(section, "operators") == 0)
		return on_operators(st, section, name, value);
	if (strcmp(section, "tls") == 0)
		return on_tls(st, section, name, value);
	if (strcmp(section, "services") == 0)
		return on_services(st, section, name, value);
	if (strcmp(section, "cluster") == 0)
		return on_cluster(st, section, name, value);
	if (strcmp(section, "websocket") == 0)
		return on_websocket(st, section, name, value);
	if (strcmp(section, "cloak") == 0)
		return on_cloak(st, section, name, value);
	if (strcmp(section, "bans") == 0)
		return on_bans(st, section, name, value);
	if (!st->err[0] && !section[0]) {
		st->err_line = st->line;
		snprintf(st->err, sizeof st->err, "%s: key outside any [section]", name);
	} else if (!st->err[0]) {
		st->err_line = st->line;
		snprintf(st->err, sizeof st->err, "unknown section [%s] (key %s)", section, name);
	}
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			if (cap >= 1 << 20)
				break;  /* a MOTD of a megabyte is a mistake; keep what we have */
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	/* a directory opens fine and then fails to read: that is an error too */
	int bad = ferror(f), saved = errno;
	fclose(f);
	if (bad) {
		free(buf);
		errno = saved;
		return NULL;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int validate_cluster(const char *file, struct config *cfg, char *err, size_t errlen)
{
	if (!cfg->cluster)
		return 0;
	const char *what = NULL;
#ifndef HAVE_HIREDIS
	what = "this ircmini was built without cluster support (install libhiredis-dev and re-run configure)";
#else
	if (cfg->redis.host[0] && cfg->nsentinels)
		what = "set redis or sentinel, not both";
	else if (!cfg->redis.host[0] && !cfg->nsentinels)
		what = "needs redis = HOST:PORT (or unix:/path), or sentinel = HOST:PORT with master_name";
	else if (cfg->nsentinels && !cfg->master_name[0])
		what = "sentinel needs master_name";
	else if (cfg->master_name[0] && !cfg->nsentinels)
		what = "master_name is only for sentinel";
	else if (cfg->node_timeout < 2 * cfg->heartbeat)
		what = "node_timeout must be at least twice heartbeat (a late heartbeat is not a lost node)";
#endif
	if (what) {
		snprintf(err, errlen, "%s:%d: [cluster]: %s", file, cfg->cluster_line, what);
		return -1;
	}
	return 0;
}

const char *config_cluster_prefix(const struct config *cfg)
{
	return cfg->cluster_prefix[0] ? cfg->cluster_prefix : cfg->network;
}

/* Checks across keys, after the whole file is read. */
static int validate(const char *file, struct config *cfg, char *err, size_t errlen)
{
	int clients = 0;
	for (int i = 0; i < cfg->nlisten; i++)
		clients += !cfg->listen[i].services;
	if (clients == 0) {
		snprintf(err, errlen, "%s: [listen] has no address", file);
		return -1;
	}
	if (!cfg->sid_line)
		config_derive_sid(cfg->name, cfg->sid);
	if (cfg->services_listen_line) {
		const char *missing = !cfg->services_name[0] ? "name"
		                      : !cfg->services_send_password[0] ? "send_password"
		                      : !cfg->services_receive_password[0] ? "receive_password" : NULL;
		if (missing) {
			snprintf(err, errlen, "%s:%d: [listen] services: needs [services] %s", file,
			         cfg->services_listen_line, missing);
			return -1;
		}
		if (strcasecmp(cfg->services_name, cfg->name) == 0) {
			snprintf(err, errlen, "%s:%d: [services] name: is this server's own name", file,
			         cfg->services_line);
			return -1;
		}
	}
	if (cfg->tls_certificate[0] && !cfg->tls_key[0]) {
		snprintf(err, errlen, "%s:%d: [tls] certificate: set without [tls] key", file,
		         cfg->tls_certificate_line);
		return -1;
	}
	if (cfg->tls_key[0] && !cfg->tls_certificate[0]) {
		snprintf(err, errlen, "%s:%d: [tls] key: set without [tls] certificate", file,
		         cfg->tls_key_line);
		return -1;
	}
	if (cfg->tls_listen_line && !cfg->tls_certificate[0]) {
		int ws = 0;
		for (int i = 0; i < cfg->nlisten; i++)
			if (cfg->listen[i].line == cfg->tls_listen_line)
				ws = cfg->listen[i].ws;
		snprintf(err, errlen, "%s:%d: [listen] %s: a TLS listener needs [tls] certificate and key",
		         file, cfg->tls_listen_line, ws ? "websocket_tls" : "tls");
		return -1;
	}
	return validate_cluster(file, cfg, err, errlen);
}

static int finish(const char *file, int rc, struct parse_state *st, char *err, size_t errlen)
{
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
	} else if (rc == -2) {
		snprintf(err, errlen, "%s: out of memory", file);
	} else if (rc > 0) {
		/* inih reports the first bad line; ours is only it if no syntax
		 * error came before */
		if (st->err[0] && st->err_line <= rc)
			snprintf(err, errlen, "%s:%d: %s", file, rc, st->err);
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", file, rc);
	} else if (validate(file, st->cfg, err, errlen) == 0) {
		return 0;
	}
	config_free(st->cfg);
	return -1;
}

/* inih does not tell the handler which line it is on, and errors found
 * after parsing (the TLS files) must name one: count lines as inih reads
 * them. A chunk starts a new line when the previous one ended with '\n'. */
struct line_reader {
	FILE *f;             /* a file, or */
	const char *s;       /* the rest of a string */
	int *line;
	int at_start;
	struct config *cfg;  /* [cluster] header seen: cluster mode, even with no key */
};

static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *r = stream;
	char *got = NULL;
	if (r->f) {
		got = fgets(str, num, r->f);
	} else if (*r->s && num > 1) {
		int n = 0;
		while (n < num - 1 && r->s[n] && r->s[n] != '\n')
			n++;
		if (n < num - 1 && r->s[n] == '\n')
			n++;
		memcpy(str, r->s, (size_t)n);
		str[n] = '\0';
		r->s += n;
		got = str;
	}
	if (got) {
		if (r->at_start) {
			(*r->line)++;
			const char *p = got + strspn(got, " \t");
			if (strncmp(p, "[cluster]", 9) == 0 && !r->cfg->cluster) {
				r->cfg->cluster = 1;
				r->cfg->cluster_line = *r->line;
			}
		}
		size_t len = strlen(got);
		r->at_start = len > 0 && got[len - 1] == '\n';
	}
	return got;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct parse_state st = { .cfg = cfg };
	config_defaults(cfg);
	errno = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return finish(path, -1, &st, err, errlen);
	struct line_reader r = { .f = f, .line = &st.line, .at_start = 1, .cfg = cfg };
	int rc = ini_parse_stream(read_line, &r, handler, &st);
	fclose(f);
	return finish(path, rc, &st, err, errlen);
}

int config_load_string(const char *name, const char *text, struct config *cfg,
                       char *err, size_t errlen)
{
	struct parse_state st = { .cfg = cfg };
	config_defaults(cfg);
	struct line_reader r = { .s = text, .line = &st.line, .at_start = 1, .cfg = cfg };
	int rc = ini_parse_stream(read_line, &r, handler, &st);
	return finish(name, rc, &st, err, errlen);
}
