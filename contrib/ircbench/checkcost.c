/* checkcost - what each per-connection check of issue 12 costs, in CPU
 * nanoseconds per call (CLOCK_PROCESS_CPUTIME_ID, so a busy machine
 * slows it less than wall time would): the cloak (3 x HMAC-SHA256), the
 * per-address limit and throttle (admit + release), and the D-line and
 * K-line checks against NBANS bans that do not match.
 *   usage: checkcost [NBANS]   (default 100) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addrlimit.h"
#include "bans.h"
#include "cloak.h"
#include "config.h"
#include "server.h"

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static struct netaddr addr_n(unsigned i)
{
	struct netaddr a = { .family = AF_INET };
	a.b[0] = 10;
	a.b[1] = (uint8_t)(i >> 16);
	a.b[2] = (uint8_t)(i >> 8);
	a.b[3] = (uint8_t)i;
	return a;
}

int main(int argc, char **argv)
{
	int nbans = argc > 1 ? atoi(argv[1]) : 100;
	struct config *cfg = calloc(1, sizeof *cfg);
	char err[256], dir[] = "/tmp/checkcost-XXXXXX";
	if (!cfg || !mkdtemp(dir))
		return 1;
	config_defaults(cfg);
	snprintf(cfg->state_directory, sizeof cfg->state_directory, "%s", dir);
	snprintf(cfg->cloak_secret, sizeof cfg->cloak_secret, "checkcost-secret-0123456789");
	if (nbans > CONFIG_MAX_BANS / 2)
		nbans = CONFIG_MAX_BANS / 2;
	for (int i = 0; i < nbans; i++) {
		char m[64];
		snprintf(m, sizeof m, "192.0.%d.0/24", i % 256);
		ban_parse_mask(&cfg->bans[cfg->nbans++], BAN_D, m);
		snprintf(m, sizeof m, "*!spammer%d@*.example", i);
		ban_parse_mask(&cfg->bans[cfg->nbans++], BAN_K, m);
	}
	srv.cfg = *cfg;
	cloak_setup(cfg, err, sizeof err);
	bans_load(cfg);

	enum { N = 200000 };
	char host[64];
	double t0 = cpu_ns();
	for (unsigned i = 0; i < N; i++) {
		struct netaddr a = addr_n(i);
		cloak_host(&a, host, sizeof host);
	}
	double cloak = (cpu_ns() - t0) / N;

	struct addrlimit_conf al = { .max_per_ip = 10, .throttle_connects = 10, .throttle_window = 60,
	                             .throttle_duration = 120, .ipv6_prefix = 64 };
	addrlimit_configure(&al);
	uint8_t counted;
	t0 = cpu_ns();
	for (unsigned i = 0; i < N; i++) {
		struct netaddr a = addr_n(i % 20000);   /* 20,000 addresses, 10 connects each */
		if (!addrlimit_admit(&a, 1.0, &counted))
			addrlimit_release(&a, counted);
	}
	double limit = (cpu_ns() - t0) / N;

	t0 = cpu_ns();
	unsigned hits = 0;
	for (unsigned i = 0; i < N; i++) {
		struct netaddr a = addr_n(i);
		hits += bans_match_ip(&a) != NULL;
	}
	double dline = (cpu_ns() - t0) / N;

	t0 = cpu_ns();
	for (unsigned i = 0; i < N / 10; i++)
		hits += bans_match_user("nick", "user", "10.1.2.3", "aaaaaaaa.bbbbbbbb.cccccccc.ircmini") != NULL;
	double kline = (cpu_ns() - t0) / (N / 10);

	printf("checkcost nbans=%d cloak_ns=%.0f addrlimit_ns=%.0f dline_ns=%.0f kline_ns=%.0f hits=%u\n",
	       nbans, cloak, limit, dline, kline, hits);
	char path[300];
	snprintf(path, sizeof path, "%s/cloak.key", dir);
	remove(path);
	remove(dir);
	return 0;
}
