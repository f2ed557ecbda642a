/* bans.c - see bans.h */
#include "bans.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "match.h"
#include "server.h"

/* Few enough (hundreds) that a list is the right structure: a D-line check
 * on accept costs one pass, measured in doc/internet.md. */
static struct xban *list;
static char path[300];

const char *bans_path(void)
{
	return path;
}

static void drop(struct xban **pp)
{
	struct xban *b = *pp;
	*pp = b->next;
	free(b);
}

/* Drop expired bans; returns how many (the caller saves if any). */
static int expire(time_t now)
{
	int n = 0;
	for (struct xban **pp = &list; *pp;) {
		if ((*pp)->expires && (*pp)->expires <= now) {
			log_info("%c-line %s expired", (*pp)->e.kind, (*pp)->e.mask);
			drop(pp);
			n++;
		} else {
			pp = &(*pp)->next;
		}
	}
	return n;
}

/* One line per operator ban: kind set expires setter mask :reason */
static void save(void)
{
	if (!path[0])
		return;
	char tmp[310];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		log_warn("bans: cannot write %s: %s (bans will not survive a restart)", tmp, strerror(errno));
		return;
	}
	for (const struct xban *b = list; b; b = b->next)
		if (!b->from_config)
			fprintf(f, "%c %lld %lld %s %s :%s\n", b->e.kind, (long long)b->set,
			        (long long)b->expires, b->setter, b->e.mask, b->e.reason);
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		log_warn("bans: cannot write %s: %s (bans will not survive a restart)", path, strerror(errno));
		unlink(tmp);
	}
}

static struct xban *find(char kind, const char *mask)
{
	for (struct xban *b = list; b; b = b->next)
		if (b->e.kind == kind && strcasecmp(b->e.mask, mask) == 0)
			return b;
	return NULL;
}

static void append(struct xban *nb)
{
	struct xban **pp = &list;
	while (*pp)
		pp = &(*pp)->next;
	nb->next = NULL;
	*pp = nb;
}

static void read_file(void)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			log_warn("bans: cannot read %s: %s", path, strerror(errno));
		return;
	}
	char line[600];
	int lineno = 0, loaded = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char kind, setter[64], mask[BAN_MASK_MAX + 1];
		long long set, expires;
		int off = 0;
		char *colon;
		if (sscanf(line, "%c %lld %lld %63s %127s %n", &kind, &set, &expires, setter, mask, &off) < 5 ||
		    !off || line[off] != ':' || (kind != BAN_K && kind != BAN_D)) {
			log_warn("bans: %s:%d: not a ban line, skipped", path, lineno);
			continue;
		}
		colon = line + off + 1;
		struct xban *b = calloc(1, sizeof *b);
		if (!b)
			break;
		const char *why = ban_parse_mask(&b->e, kind, mask);
		if (why) {
			log_warn("bans: %s:%d: %s, skipped", path, lineno, why);
			free(b);
			continue;
		}
		snprintf(b->e.reason, sizeof b->e.reason, "%s", colon);
		snprintf(b->setter, sizeof b->setter, "%s", setter);
		b->set = (time_t)set;
		b->expires = (time_t)expires;
		struct xban *old = find(kind, b->e.mask);
		if (old && old->from_config) {
			free(b);   /* the config's wins */
			continue;
		}
		append(b);
		loaded++;
	}
	fclose(f);
	if (loaded)
		log_info("bans: %d from %s", loaded, path);
}

void bans_load(const struct config *cfg)
{
	bans_free();
	snprintf(path, sizeof path, "%s/bans", cfg->state_directory);
	for (int i = 0; i < cfg->nbans; i++) {
		struct xban *b = calloc(1, sizeof *b);
		if (!b)
			break;
		b->e = cfg->bans[i];
		b->from_config = 1;
		snprintf(b->setter, sizeof b->setter, "config:%d", cfg->bans[i].line);
		append(b);
	}
	read_file();
	if (expire(time(NULL)))
		save();
}

const struct xban *bans_add(char kind, const char *mask, long duration, const char *setter,
                            const char *reason, char *err, size_t errlen)
{
	struct ban_entry e;
	const char *why = ban_parse_mask(&e, kind, mask);
	if (why) {
		snprintf(err, errlen, "%s: %s", mask, why);
		return NULL;
	}
	struct xban *b = find(kind, e.mask);
	if (b && b->from_config) {
		snprintf(err, errlen, "%s is banned in the config file already", e.mask);
		return NULL;
	}
	if (!b) {
		if (!(b = calloc(1, sizeof *b))) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		append(b);
	}
	b->e = e;
	snprintf(b->e.reason, sizeof b->e.reason, "%s", reason && *reason ? reason : "Banned");
	/* the reason is written after " :" on one line of the file */
	for (char *p = b->e.reason; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	snprintf(b->setter, sizeof b->setter, "%s", setter);
	b->set = time(NULL);
	b->expires = duration > 0 ? b->set + duration : 0;
	save();
	return b;
}

int bans_remove(char kind, const char *mask)
{
	struct ban_entry e;
	if (ban_parse_mask(&e, kind, mask))
		return -1;
	for (struct xban **pp = &list; *pp; pp = &(*pp)->next)
		if ((*pp)->e.kind == kind && strcasecmp((*pp)->e.mask, e.mask) == 0) {
			if ((*pp)->from_config)
				return -2;
			drop(pp);
			save();
			return 0;
		}
	return -1;
}

static int live(const struct xban *b, time_t now)
{
	return !b->expires || b->expires > now;
}

const struct xban *bans_match_ip(const struct netaddr *a)
{
	time_t now = time(NULL);
	for (const struct xban *b = list; b; b = b->next)
		if (b->e.kind == BAN_D && live(b, now) && cidr_match(&b->e.cidr, a))
			return b;
	return NULL;
}

const struct xban *bans_match_user(const char *nick, const char *user, const char *ip,
                                   const char *cloak)
{
	time_t now = time(NULL);
	char a[200], b2[200];
	snprintf(a, sizeof a, "%s!%s@%s", nick, user, ip);
	snprintf(b2, sizeof b2, "%s!%s@%s", nick, user, cloak);
	for (const struct xban *b = list; b; b = b->next) {
		if (b->e.kind != BAN_K || !live(b, now))
			continue;
		struct matcher mt;   /* one compile, two names */
		match_compile(&mt, srv.cfg.casemapping, b->e.mask);
		if (match_exec(&mt, a) || match_exec(&mt, b2))
			return b;
	}
	return NULL;
}

void bans_foreach(char kind, void (*fn)(const struct xban *b, void *arg), void *arg)
{
	if (expire(time(NULL)))
		save();
	for (const struct xban *b = list; b; b = b->next)
		if (b->e.kind == kind)
			fn(b, arg);
}

void bans_free(void)
{
	while (list)
		drop(&list);
}
