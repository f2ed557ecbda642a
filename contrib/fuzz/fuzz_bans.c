/* fuzz_bans - the parsers of ban text: cidr_parse and ban_parse_mask on
 * every line (what KLINE/DLINE and the [bans] section accept), and the
 * whole input as the ban file that bans_load reads back from the state
 * directory at start and on every reload.
 * Checks: an accepted CIDR prints to text that parses back to the same
 * block, and matches its own network address; an accepted mask has an
 * '@' and no space, comma or colon; every ban loaded from the file has a
 * kind K or D, a mask that parses again, and a reason without CR or LF
 * (it is written back one line per ban). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bans.h"
#include "config.h"
#include "netaddr.h"
#include "server.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_bans: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static struct config cfg;
static char file[300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	config_defaults(&cfg);
	srv.cfg = cfg;
	static char dir[] = "/tmp/ircmini-fuzz-bans-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	snprintf(cfg.state_directory, sizeof cfg.state_directory, "%s", dir);
	snprintf(file, sizeof file, "%s/bans", dir);
	return 0;
}

static void check_ban(const struct xban *b, void *arg)
{
	(void)arg;
	struct ban_entry again;
	if (b->e.kind != BAN_K && b->e.kind != BAN_D)
		FAIL("kind %d", b->e.kind);
	if (ban_parse_mask(&again, b->e.kind, b->e.mask) || strcmp(again.mask, b->e.mask) != 0)
		FAIL("mask %s does not parse to itself", b->e.mask);
	if (strpbrk(b->e.reason, "\r\n"))
		FAIL("reason with a line break");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cidr c, back;
		char t[80];
		if (cidr_parse(&c, line) == 0) {
			cidr_text(&c, t, sizeof t);
			if (cidr_parse(&back, t) != 0 || memcmp(&back, &c, sizeof c) != 0)
				FAIL("cidr %s -> %s does not parse back", line, t);
			if (!cidr_match(&c, &c.net))
				FAIL("cidr %s does not match its own network", t);
		}
		struct ban_entry b;
		if (!ban_parse_mask(&b, BAN_K, line) &&
		    (!strchr(b.mask, '@') || strpbrk(b.mask, " ,:")))
			FAIL("accepted K mask %s", b.mask);
	}
	free(text);
	/* the input as the ban file */
	FILE *f = fopen(file, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	bans_load(&cfg);
	bans_foreach(BAN_K, check_ban, NULL);
	bans_foreach(BAN_D, check_ban, NULL);
	bans_free();
	unlink(file);
	return 0;
}
