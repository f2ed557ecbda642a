/* test_config.c - config_defaults / config_load_string / config_load */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define NAME "test.ini"

static struct config cfg;
static char err[512];

static int load(const char *text)
{
	err[0] = '\0';
	return config_load_string(NAME, text, &cfg, err, sizeof err);
}

static void load_ok(const char *text)
{
	int rc = load(text);
	cr_assert_eq(rc, 0, "unexpected error: %s", err);
}

/* The load fails and the message names file, line and key, plus `what`
 * (a fragment of the reason). */
static void load_fails(const char *text, int line, const char *key, const char *what)
{
	char where[64];
	cr_assert_eq(load(text), -1, "accepted:\n%s", text);
	snprintf(where, sizeof where, "%s:%d: ", NAME, line);
	cr_assert(strncmp(err, where, strlen(where)) == 0, "no \"%s\" in: %s", where, err);
	cr_assert_not_null(strstr(err, key), "key \"%s\" not in: %s", key, err);
	if (what)
		cr_assert_not_null(strstr(err, what), "\"%s\" not in: %s", what, err);
	cr_assert_null(cfg.motd, "motd not freed on error");
}

static char tmpdir[64];

static void teardown(void)
{
	config_free(&cfg);
	if (tmpdir[0])
		rmdir(tmpdir);  /* tests unlink their files; fails harmlessly if not */
}

TestSuite(config, .fini = teardown);

/* A file in a fresh temporary directory; returns its path (static). */
static const char *temp_file(const char *base, const char *text)
{
	static char path[128];
	char *dir = tmpdir;
	if (!dir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/ircmini-unit-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	snprintf(path, sizeof path, "%s/%s", tmpdir, base);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int port_of(const struct listen_addr *la)
{
	if (la->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&la->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&la->sa)->sin6_port);
}

/* ---- defaults */

Test(config, defaults_follow_modern_networks)
{
	config_defaults(&cfg);
	cr_assert_eq(cfg.nicklen, 30);
	cr_assert_eq(cfg.channellen, 50);
	cr_assert_eq(cfg.topiclen, 390);
	cr_assert_eq(cfg.casemapping, CASEMAP_RFC1459);
	cr_assert_eq(cfg.log_level, LOG_INFO);
	cr_assert_str_eq(cfg.name, "irc.localhost");
	cr_assert_str_eq(cfg.network, "ircmini");
	cr_assert_null(cfg.motd);
	cr_assert_str_eq(cfg.password, "");
	cr_assert_gt(cfg.max_clients, 0);
	cr_assert_gt(cfg.max_channels, 0);
	cr_assert_gt(cfg.max_targets, 0);
	cr_assert_gt(cfg.ping_interval, 0);
	cr_assert_gt(cfg.ping_timeout, 0);
	cr_assert_gt(cfg.registration_timeout, 0);
	cr_assert_geq(cfg.sendq, 4096);
	cr_assert_geq(cfg.recvq, 1024);
	cr_assert_eq(cfg.list_chunk, 250);   /* doc/internet.md: measured against 1000 */
	cr_assert_eq(cfg.nopers, 0);
	cr_assert_eq(cfg.nlisten, 1);
	cr_assert_str_eq(cfg.listen[0].text, "127.0.0.1:6667");
	cr_assert_eq(cfg.listen[0].sa.ss_family, AF_INET);
	cr_assert_eq(port_of(&cfg.listen[0]), 6667);
}

Test(config, empty_file_gives_defaults)
{
	load_ok("");
	cr_assert_eq(cfg.nicklen, 30);
	cr_assert_eq(cfg.channellen, 50);
	cr_assert_eq(cfg.topiclen, 390);
	cr_assert_eq(cfg.nlisten, 1);
	cr_assert_eq(port_of(&cfg.listen[0]), 6667);
}

Test(config, comments_and_blank_lines)
{
	load_ok("; comment\n# another\n\n[server]\nname = irc.example.org ; inline\n");
	cr_assert_str_eq(cfg.name, "irc.example.org");
}

Test(config, full_valid_file)
{
	load_ok("[server]\n"
	        "name = irc.example.org\n"
	        "network = ExampleNet\n"
	        "description = a test server\n"
	        "admin = root@example.org\n"
	        "password = sekrit\n"
	        "casemapping = ascii\n"
	        "log_level = debug\n"
	        "[listen]\n"
	        "address = 127.0.0.1:7000\n"
	        "[limits]\n"
	        "nicklen = 16\n"
	        "channellen = 32\n"
	        "topiclen = 300\n"
	        "sendq = 65536\n"
	        "recvq = 4096\n"
	        "[operators]\n"
	        "alice = $6$saltsalt$0123456789abcdefghij\n"
	        "[tls]\n"
	        "certificate = /etc/ssl/cert.pem\n"
	        "key = /etc/ssl/key.pem\n");
	cr_assert_str_eq(cfg.name, "irc.example.org");
	cr_assert_str_eq(cfg.network, "ExampleNet");
	cr_assert_str_eq(cfg.description, "a test server");
	cr_assert_str_eq(cfg.admin, "root@example.org");
	cr_assert_str_eq(cfg.password, "sekrit");
	cr_assert_eq(cfg.casemapping, CASEMAP_ASCII);
	cr_assert_eq(cfg.log_level, LOG_DEBUG);
	cr_assert_eq(cfg.nlisten, 1);
	cr_assert_eq(port_of(&cfg.listen[0]), 7000);
	cr_assert_eq(cfg.nicklen, 16);
	cr_assert_eq(cfg.channellen, 32);
	cr_assert_eq(cfg.topiclen, 300);
	cr_assert_eq(cfg.sendq, 65536);
	cr_assert_eq(cfg.recvq, 4096);
	cr_assert_eq(cfg.nopers, 1);
	cr_assert_str_eq(cfg.opers[0].name, "alice");
	cr_assert_str_eq(cfg.opers[0].hash, "$6$saltsalt$0123456789abcdefghij");
	cr_assert_str_eq(cfg.tls_certificate, "/etc/ssl/cert.pem");
	cr_assert_str_eq(cfg.tls_key, "/etc/ssl/key.pem");
}

Test(config, casemapping_and_log_level_values)
{
	load_ok("[server]\ncasemapping = RFC1459\nlog_level = warning\n");
	cr_assert_eq(cfg.casemapping, CASEMAP_RFC1459);
	cr_assert_eq(cfg.log_level, LOG_WARN);
	config_free(&cfg);
	load_ok("[server]\nlog_level = error\n");
	cr_assert_eq(cfg.log_level, LOG_ERROR);
}

/* ---- every [limits] key: min and max accepted, one beyond refused */

static const struct {
	const char *key;
	long min, max;
} limit_keys[] = {
	{ "max_clients", 1, 1000000 },
	{ "max_per_ip", 0, 1000000 },
	{ "nicklen", 9, 30 },
	{ "channellen", 2, 50 },
	{ "topiclen", 1, 390 },
	{ "awaylen", 1, 390 },
	{ "kicklen", 1, 390 },
	{ "max_channels", 1, 10000 },
	{ "max_members", 0, 1000000 },
	{ "max_targets", 1, 100 },
	{ "max_bans", 1, 10000 },
	{ "ping_interval", 5, 86400 },
	{ "ping_timeout", 5, 86400 },
	{ "registration_timeout", 1, 3600 },
	{ "flood_burst", 0, 100000 },
	{ "flood_rate", 1, 100000 },
	{ "whowas", 0, 100000 },
	{ "throttle_connects", 0, 1000000 },
	{ "throttle_window", 1, 86400 },
	{ "throttle_duration", 0, 86400 },
	{ "ipv6_prefix", 16, 128 },
	{ "tls_handshakes_per_ip", 0, 100000 },
	{ "nick_rate", 0, 100000 },
	{ "join_rate", 0, 100000 },
	{ "max_ban_bytes", 256, 10000000 },
	{ "channel_rate", 0, 100000 },
	{ "list_chunk", 1, 1000000 },
};

static long limit_value(const char *key)
{
	const struct {
		const char *key;
		const int *v;
	} f[] = {
		{ "max_clients", &cfg.max_clients }, { "max_per_ip", &cfg.max_per_ip },
		{ "nicklen", &cfg.nicklen }, { "channellen", &cfg.channellen },
		{ "topiclen", &cfg.topiclen }, { "awaylen", &cfg.awaylen },
		{ "kicklen", &cfg.kicklen }, { "max_channels", &cfg.max_channels },
		{ "max_members", &cfg.max_members }, { "max_targets", &cfg.max_targets },
		{ "max_bans", &cfg.max_bans }, { "ping_interval", &cfg.ping_interval },
		{ "ping_timeout", &cfg.ping_timeout },
		{ "registration_timeout", &cfg.registration_timeout },
		{ "flood_burst", &cfg.flood_burst }, { "flood_rate", &cfg.flood_rate },
		{ "whowas", &cfg.whowas },
		{ "throttle_connects", &cfg.throttle_connects },
		{ "throttle_window", &cfg.throttle_window },
		{ "throttle_duration", &cfg.throttle_duration },
		{ "ipv6_prefix", &cfg.ipv6_prefix },
		{ "tls_handshakes_per_ip", &cfg.tls_handshakes_per_ip },
		{ "nick_rate", &cfg.nick_rate }, { "join_rate", &cfg.join_rate },
		{ "max_ban_bytes", &cfg.max_ban_bytes }, { "channel_rate", &cfg.channel_rate },
		{ "list_chunk", &cfg.list_chunk },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(f[i].key, key) == 0)
			return *f[i].v;
	cr_assert_fail("no field for %s", key);
	return -1;
}

Test(config, every_limit_in_range_is_stored)
{
	char text[128];
	for (size_t i = 0; i < sizeof limit_keys / sizeof limit_keys[0]; i++) {
		long bounds[2] = { limit_keys[i].min, limit_keys[i].max };
		for (int b = 0; b < 2; b++) {
			snprintf(text, sizeof text, "[limits]\n%s = %ld\n", limit_keys[i].key, bounds[b]);
			load_ok(text);
			cr_assert_eq(limit_value(limit_keys[i].key), bounds[b], "%s", limit_keys[i].key);
			config_free(&cfg);
		}
	}
}

Test(config, every_limit_out_of_range_fails)
{
	char text[128], key[64];
	for (size_t i = 0; i < sizeof limit_keys / sizeof limit_keys[0]; i++) {
		long bad[2] = { limit_keys[i].min - 1, limit_keys[i].max + 1 };
		snprintf(key, sizeof key, "[limits] %s:", limit_keys[i].key);
		for (int b = 0; b < 2; b++) {
			snprintf(text, sizeof text, "\n[limits]\n%s = %ld\n", limit_keys[i].key, bad[b]);
			load_fails(text, 3, key, "out of range");
		}
	}
}

Test(config, sizes_have_minimums)
{
	load_fails("[limits]\nsendq = 4095\n", 2, "[limits] sendq:", "out of range");
	load_fails("[limits]\nrecvq = 1023\n", 2, "[limits] recvq:", "out of range");
	load_fails("[limits]\nsendq = lots\n", 2, "[limits] sendq:", "not a number");
}

Test(config, bad_numbers)
{
	load_fails("[limits]\nnicklen = abc\n", 2, "[limits] nicklen:", "not a number: \"abc\"");
	load_fails("[limits]\nnicklen = 12abc\n", 2, "[limits] nicklen:", "not a number");
	load_fails("[limits]\nnicklen = 1.5\n", 2, "[limits] nicklen:", "not a number");
	load_fails("[limits]\nnicklen =\n", 2, "[limits] nicklen:", "not a number");
	load_fails("[limits]\nmax_clients = 99999999999999999999999\n", 2,
	           "[limits] max_clients:", "not a number");
	load_fails("[limits]\nnicklen = 31\n", 2, "[limits] nicklen:", "31 out of range 9..30");
	load_fails("[limits]\ntopiclen = -1\n", 2, "[limits] topiclen:", "out of range");
}

/* ---- unknown sections and keys */

Test(config, unknown_section)
{
	load_fails("[server]\nname = irc.x.org\n\n[bogus]\nfoo = 1\n", 5, "foo", "[bogus]");
}

Test(config, unknown_key_in_each_section)
{
	load_fails("[server]\nnmae = irc.x.org\n", 2, "[server] nmae:", "unknown key");
	load_fails("[listen]\nport = 6667\n", 2, "[listen] port:", "unknown key");
	load_fails("[limits]\nnicklength = 20\n", 2, "[limits] nicklength:", "unknown key");
	load_fails("[tls]\ncert = /x.pem\n", 2, "[tls] cert:", "unknown key");
	load_fails("[cloak]\nkey = abc\n", 2, "[cloak] key:", "unknown key");
	load_fails("[bans]\ngline = *@x bad\n", 2, "[bans] gline:", "unknown key");
	/* in [operators] every key is an operator name: a bad one is refused */
	load_fails("[operators]\nbad*name = $6$saltsalt$0123456789abcdefghij\n", 2,
	           "[operators] bad*name:", "operator name");
}

Test(config, key_outside_any_section)
{
	load_fails("name = irc.x.org\n", 1, "name", "outside any [section]");
}

Test(config, broken_section_header_is_the_reported_error)
{
	/* the keys under it must not be blamed instead */
	load_fails("[server\nname = irc.x.org\n", 1, "syntax error", NULL);
}

Test(config, listener_listed_twice)
{
	load_fails("[listen]\naddress = 127.0.0.1:6667\naddress = 127.0.0.1:6667\n", 3,
	           "[listen] address:", "already listed on line 2");
}

Test(config, syntax_error_names_line)
{
	load_fails("[server]\nname = irc.x.org\nthis line has no equals sign\n", 3, "syntax error", NULL);
}

Test(config, first_error_wins)
{
	load_fails("[limits]\nnicklen = 99\nchannellen = 1\n", 2, "[limits] nicklen:", "out of range");
}

/* ---- [server] values */

Test(config, bad_server_values)
{
	load_fails("[server]\nname = nodot\n", 2, "[server] name:", "nodot");
	load_fails("[server]\nname = irc.x.org extra\n", 2, "[server] name:", NULL);
	load_fails("[server]\nname = *.x.org\n", 2, "[server] name:", NULL);
	load_fails("[server]\nnetwork = Two Words\n", 2, "[server] network:", NULL);
	load_fails("[server]\nnetwork =\n", 2, "[server] network:", NULL);
}

Test(config, value_too_long)
{
	char text[256];
	snprintf(text, sizeof text, "[server]\nname = %.*s.org\n", 70,
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	load_fails(text, 2, "[server] name:", "too long");
}

Test(config, bad_casemapping)
{
	load_fails("[server]\ncasemapping = strict-rfc1459\n", 2, "[server] casemapping:",
	           "strict-rfc1459");
	load_fails("[server]\ncasemapping =\n", 2, "[server] casemapping:", NULL);
}

Test(config, bad_log_level)
{
	load_fails("[server]\nlog_level = verbose\n", 2, "[server] log_level:", "verbose");
	load_fails("[server]\nlog_level = 3\n", 2, "[server] log_level:", NULL);
}

/* ---- [listen] */

Test(config, several_listen_addresses)
{
	load_ok("[listen]\n"
	        "address = 127.0.0.1:6667\n"
	        "address = [::1]:6667\n"
	        "address = 127.0.0.2:6697\n"
	        "address = *:7000\n");
	cr_assert_eq(cfg.nlisten, 4);
	cr_assert_eq(cfg.listen[0].sa.ss_family, AF_INET);
	cr_assert_eq(cfg.listen[0].salen, sizeof(struct sockaddr_in));
	cr_assert_eq(port_of(&cfg.listen[0]), 6667);
	cr_assert_eq(cfg.listen[0].tls, 0);

	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&cfg.listen[1].sa;
	cr_assert_eq(cfg.listen[1].sa.ss_family, AF_INET6);
	cr_assert_eq(cfg.listen[1].salen, sizeof(struct sockaddr_in6));
	cr_assert(IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr));
	cr_assert_eq(port_of(&cfg.listen[1]), 6667);
	cr_assert_str_eq(cfg.listen[1].text, "[::1]:6667");

	cr_assert_eq(port_of(&cfg.listen[2]), 6697);
	cr_assert_str_eq(cfg.listen[2].text, "127.0.0.2:6697");

	const struct sockaddr_in *any = (const struct sockaddr_in *)&cfg.listen[3].sa;
	cr_assert_eq(any->sin_addr.s_addr, htonl(INADDR_ANY));
	cr_assert_eq(port_of(&cfg.listen[3]), 7000);
}

Test(config, listen_replaces_default)
{
	load_ok("[listen]\naddress = [::1]:6668\n");
	cr_assert_eq(cfg.nlisten, 1);
	cr_assert_eq(cfg.listen[0].sa.ss_family, AF_INET6);
	cr_assert_eq(port_of(&cfg.listen[0]), 6668);
}

Test(config, bad_addresses)
{
	static const char *bad[] = {
		"127.0.0.1",         /* missing port */
		"127.0.0.1:",        /* empty port */
		"127.0.0.1:0",       /* port 0 */
		"127.0.0.1:70000",   /* port too big */
		"127.0.0.1:-1",
		"127.0.0.1:66x",
		"irc.example.org:6667", /* a name, not an address */
		"garbage:6667",
		"300.1.2.3:6667",
		"::1:6667",          /* IPv6 without brackets */
		"::1",
		"[::1]",             /* bracketed, no port */
		"[::1]6667",
		"[::1:6667",
		"[nonsense]:6667",
		":6667",
	};
	char text[128];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "[listen]\naddress = 127.0.0.1:6667\naddress = %s\n", bad[i]);
		load_fails(text, 3, "[listen] address:", bad[i]);
	}
	load_fails("[listen]\ntls = 127.0.0.1\n", 2, "[listen] tls:", "address:port");
}

Test(config, too_many_listeners)
{
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof text, "[listen]\n");
	for (int i = 0; i < CONFIG_MAX_LISTEN + 1; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "address = 127.0.0.1:%d\n", 7000 + i);
	load_fails(text, CONFIG_MAX_LISTEN + 2, "[listen] address:", "too many");
}

/* ---- [operators] */

Test(config, operator_must_be_a_crypt_hash)
{
	load_fails("[operators]\nalice = hunter2\n", 2, "[operators] alice:", "crypt");
	load_fails("[operators]\nalice = $6$short\n", 2, "[operators] alice:", "crypt");
	load_fails("[operators]\nalice = $nodollarsafterthefirst\n", 2, "[operators] alice:", "crypt");
	load_fails("[operators]\nalice =\n", 2, "[operators] alice:", "crypt");
}

Test(config, several_operators)
{
	load_ok("[operators]\n"
	        "alice = $6$saltsalt$0123456789abcdefghij\n"
	        "bob = $y$j9T$abcdefghijklmnop$qrstuvwxyz\n");
	cr_assert_eq(cfg.nopers, 2);
	cr_assert_str_eq(cfg.opers[1].name, "bob");
	cr_assert_str_eq(cfg.opers[1].hash, "$y$j9T$abcdefghijklmnop$qrstuvwxyz");
}

/* ---- MOTD */

Test(config, inline_motd_lines_append)
{
	load_ok("[server]\n"
	        "motd = first line\n"
	        "motd = second line\n"
	        "  continued line\n"
	        "name = irc.x.org\n"
	        "motd = last\n");
	cr_assert_str_eq(cfg.motd, "first line\nsecond line\ncontinued line\nlast\n");
}

Test(config, motd_file_is_read)
{
	const char *path = temp_file("motd.txt", "Hello from a file.\nSecond line.\n");
	char text[256];
	snprintf(text, sizeof text, "[server]\nmotd_file = %s\n", path);
	load_ok(text);
	cr_assert_str_eq(cfg.motd, "Hello from a file.\nSecond line.\n");
	cr_assert_str_eq(cfg.motd_file, path);
	unlink(path);
}

Test(config, motd_and_motd_file_both_set)
{
	const char *path = temp_file("motd.txt", "x\n");
	char text[256];
	snprintf(text, sizeof text, "[server]\nmotd = inline\nmotd_file = %s\n", path);
	load_fails(text, 3, "motd_file", "both");
	snprintf(text, sizeof text, "[server]\nmotd_file = %s\n\nmotd = inline\n", path);
	load_fails(text, 4, "motd", "both");
	unlink(path);
}

Test(config, unreadable_motd_file)
{
	load_fails("[server]\nname = irc.x.org\nmotd_file = /nonexistent/ircmini/motd\n", 3,
	           "[server] motd_file:", "/nonexistent/ircmini/motd");
	/* a directory opens but cannot be read */
	load_fails("[server]\nmotd_file = /\n", 2, "[server] motd_file:", "cannot read");
}

/* ---- config_load (from a file) */

Test(config, load_file_ok)
{
	const char *path = temp_file("ok.ini", "[server]\nname = irc.file.org\n[limits]\nnicklen = 20\n");
	cr_assert_eq(config_load(path, &cfg, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(cfg.name, "irc.file.org");
	cr_assert_eq(cfg.nicklen, 20);
	unlink(path);
}

Test(config, load_file_error_names_path_line_key)
{
	const char *path = temp_file("bad.ini", "; comment\n[server]\nname = irc.file.org\n\n"
	                                        "[limits]\nchannellen = 500\n");
	char want[160];
	cr_assert_eq(config_load(path, &cfg, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:6: [limits] channellen:", path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "want \"%s\" got: %s", want, err);
	cr_assert_not_null(strstr(err, "out of range"), "%s", err);
	unlink(path);
}

Test(config, missing_file)
{
	cr_assert_eq(config_load("/nonexistent/ircmini.ini", &cfg, err, sizeof err), -1);
	cr_assert(strncmp(err, "/nonexistent/ircmini.ini: ", 26) == 0, "%s", err);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

/* ---- [server] sid and [services] (the Atheme link) */

Test(config, sid_derived_from_name_when_unset)
{
	load_ok("[server]\nname = irc.example.org\n");
	cr_assert_eq(strlen(cfg.sid), 3);
	cr_assert(cfg.sid[0] >= '0' && cfg.sid[0] <= '9', "sid %s", cfg.sid);
	char again[4];
	config_derive_sid("irc.example.org", again);
	cr_assert_str_eq(cfg.sid, again);
	config_derive_sid("irc.example.net", again);
	cr_assert_str_neq(cfg.sid, again, "two names, one SID %s", again);
}

Test(config, sid_set_and_checked)
{
	load_ok("[server]\nsid = 0AB\n");
	cr_assert_str_eq(cfg.sid, "0AB");
	load_fails("[server]\nname = a.b\nsid = AB0\n", 3, "[server] sid:", "TS6 server ID");
	load_fails("[server]\nsid = 0ab\n", 2, "[server] sid:", "TS6 server ID");
	load_fails("[server]\nsid = 0ABC\n", 2, "[server] sid:", "TS6 server ID");
}

static const char *services_ok =
	"[listen]\n"
	"services = 127.0.0.1:6900\n"
	"[services]\n"
	"name = services.localhost\n"
	"send_password = ours\n"
	"receive_password = theirs\n";

Test(config, services_link_keys)
{
	load_ok(services_ok);
	cr_assert_str_eq(cfg.services_name, "services.localhost");
	cr_assert_str_eq(cfg.services_send_password, "ours");
	cr_assert_str_eq(cfg.services_receive_password, "theirs");
	/* the services entry does not replace the default client listener */
	cr_assert_eq(cfg.nlisten, 2);
	cr_assert_eq(port_of(&cfg.listen[0]), 6667);
	cr_assert_eq(cfg.listen[0].services, 0);
	cr_assert_eq(port_of(&cfg.listen[1]), 6900);
	cr_assert_eq(cfg.listen[1].services, 1);
	cr_assert_eq(cfg.services_listen_line, 2);
}

Test(config, services_listener_then_address_keeps_both)
{
	load_ok("[listen]\nservices = 127.0.0.1:6900\naddress = 127.0.0.1:7000\n"
	        "[services]\nname = s.x\nsend_password = a\nreceive_password = b\n");
	cr_assert_eq(cfg.nlisten, 2);
	cr_assert_eq(port_of(&cfg.listen[0]), 6900);
	cr_assert_eq(port_of(&cfg.listen[1]), 7000);
}

Test(config, services_errors_name_line_and_key)
{
	load_fails("[listen]\nservices = 127.0.0.1:6900\n", 2, "[listen] services:", "[services] name");
	load_fails("[listen]\nservices = 127.0.0.1:6900\n[services]\nname = s.x\nsend_password = a\n", 2,
	           "[listen] services:", "receive_password");
	load_fails("[listen]\nservices = 127.0.0.1:6900\nservices = 127.0.0.1:6901\n", 3,
	           "[listen] services:", "one services listener");
	load_fails("[services]\nname = nodot\n", 2, "[services] name:", "server name");
	load_fails("[services]\nsend_password = two words\n", 2, "[services] send_password:", "one word");
	load_fails("[services]\nreceive_password = :x\n", 2, "[services] receive_password:", "one word");
	cr_assert_null(strstr(err, ":x"), "password echoed: %s", err);
	load_fails("[services]\nhub = x\n", 2, "[services] hub:", "unknown key");
	load_fails("[server]\nname = irc.x\n[listen]\nservices = 127.0.0.1:6900\n[services]\nname = irc.x\n"
	           "send_password = a\nreceive_password = b\n", 6, "[services] name:", "own name");
}

Test(config, only_a_services_listener_keeps_the_default)
{
	load_ok(services_ok);
	cr_assert_eq(cfg.listen[0].line, 0);
}
/* ---- [cluster] (issue 10) */

#ifdef HAVE_HIREDIS
Test(config, no_cluster_section_is_one_process)
{
	load_ok("[server]\nname = irc.a.org\n");
	cr_assert_eq(cfg.cluster, 0);
	cr_assert_str_eq(config_cluster_prefix(&cfg), "ircmini");
}

Test(config, cluster_redis_tcp_and_defaults)
{
	load_ok("[server]\nname = irc.a.org\nnetwork = Net\n[cluster]\nredis = 127.0.0.1:6390\n");
	cr_assert_eq(cfg.cluster, 1);
	cr_assert_str_eq(cfg.redis.host, "127.0.0.1");
	cr_assert_eq(cfg.redis.port, 6390);
	cr_assert_str_eq(config_cluster_prefix(&cfg), "Net");
	cr_assert_eq(cfg.heartbeat, 2);
	cr_assert_eq(cfg.node_timeout, 10);
	cr_assert_eq(cfg.nsentinels, 0);
}

Test(config, cluster_all_keys)
{
	load_ok("[cluster]\nredis = unix:/run/redis/redis.sock\nredis_password = s3cret\n"
	        "prefix = net-1\nheartbeat = 1\nnode_timeout = 3\nsnapshot_interval = 30\n");
	cr_assert_str_eq(cfg.redis.host, "/run/redis/redis.sock");
	cr_assert_eq(cfg.redis.port, 0);
	cr_assert_str_eq(cfg.redis_password, "s3cret");
	cr_assert_str_eq(config_cluster_prefix(&cfg), "net-1");
	cr_assert_eq(cfg.heartbeat, 1);
	cr_assert_eq(cfg.node_timeout, 3);
	cr_assert_eq(cfg.snapshot_interval, 30);
}

Test(config, cluster_sentinels)
{
	load_ok("[cluster]\nsentinel = 127.0.0.1:26379\nsentinel = [::1]:26380\n"
	        "sentinel = redis-a.internal:26379\nmaster_name = ircmini\n");
	cr_assert_eq(cfg.nsentinels, 3);
	cr_assert_str_eq(cfg.sentinels[1].host, "::1");
	cr_assert_eq(cfg.sentinels[1].port, 26380);
	cr_assert_str_eq(cfg.sentinels[2].host, "redis-a.internal");
	cr_assert_str_eq(cfg.master_name, "ircmini");
}

Test(config, cluster_bad_values)
{
	load_fails("[cluster]\nredis = 127.0.0.1\n", 2, "[cluster] redis", "HOST:PORT");
	load_fails("[cluster]\nredis = 127.0.0.1:0\n", 2, "[cluster] redis", "HOST:PORT");
	load_fails("[cluster]\nredis = 127.0.0.1:99999\n", 2, "[cluster] redis", NULL);
	load_fails("[cluster]\nredis = :6379\n", 2, "[cluster] redis", NULL);
	load_fails("[cluster]\nredis = unix:relative.sock\n", 2, "[cluster] redis", NULL);
	load_fails("[cluster]\n\nsentinel = unix:/tmp/s\n", 3, "[cluster] sentinel", "HOST:PORT");
	load_fails("[cluster]\nredis = h:1\nredis_password =\n", 3, "[cluster] redis_password", "empty");
	load_fails("[cluster]\nredis = h:1\nprefix = a b\n", 3, "[cluster] prefix", "letters");
	load_fails("[cluster]\nredis = h:1\nprefix = a{x}\n", 3, "[cluster] prefix", NULL);
	load_fails("[cluster]\nredis = h:1\nheartbeat = 0\n", 3, "[cluster] heartbeat", "out of range");
	load_fails("[cluster]\nredis = h:1\nnode_timeout = x\n", 3, "[cluster] node_timeout", "not a number");
	load_fails("[cluster]\nredis = h:1\nsnapshot_interval = -1\n", 3, "[cluster] snapshot_interval", NULL);
	load_fails("[cluster]\nredis = h:1\nmaster_name = a b\n", 3, "[cluster] master_name", NULL);
	load_fails("[cluster]\nredis = h:1\nnodes = 3\n", 3, "[cluster] nodes", "unknown key");
}

Test(config, cluster_cross_key_errors_name_the_section_line)
{
	load_fails("[server]\nname = irc.a.org\n[cluster]\n", 3, "[cluster]", "needs redis");
	load_fails("[cluster]\nredis = h:1\nsentinel = h:2\nmaster_name = m\n", 1, "[cluster]", "not both");
	load_fails("; x\n[cluster]\nsentinel = h:2\n", 2, "[cluster]", "master_name");
	load_fails("[cluster]\nredis = h:1\nmaster_name = m\n", 1, "[cluster]", "only for sentinel");
	load_fails("[cluster]\nredis = h:1\nheartbeat = 5\nnode_timeout = 6\n", 1, "[cluster]", "twice heartbeat");
	char many[1024] = "[cluster]\nmaster_name = m\n";
	for (int i = 0; i <= CONFIG_MAX_SENTINELS; i++)
		strcat(many, "sentinel = 127.0.0.1:26379\n");
	load_fails(many, 3 + CONFIG_MAX_SENTINELS, "[cluster] sentinel", "too many");
}
#else
Test(config, cluster_section_without_hiredis_is_an_error)
{
	load_fails("[server]\nname = irc.a.org\n[cluster]\nredis = 127.0.0.1:6379\n", 4,
	           "[cluster] redis", "without cluster support");
	load_fails("[server]\nname = irc.a.org\n[cluster]\n", 3, "[cluster]", "without cluster support");
}
#endif

/* ---- issue 12: open-internet defaults, exemptions, cloak, bans */

Test(config, internet_defaults_are_on)
{
	load_ok("");
	cr_assert_eq(cfg.max_per_ip, 10);
	cr_assert_eq(cfg.throttle_connects, 10);
	cr_assert_eq(cfg.throttle_window, 60);
	cr_assert_eq(cfg.throttle_duration, 120);
	cr_assert_eq(cfg.ipv6_prefix, 64);
	cr_assert_eq(cfg.nexempt, 0, "nothing is exempt by default, loopback included");
	cr_assert_eq(cfg.cloak, 1);
	cr_assert_str_eq(cfg.cloak_secret, "");
	cr_assert_eq(cfg.nbans, 0);
}

Test(config, state_directory)
{
	load_ok("[server]\nstate_directory = /srv/irc/state\n");
	cr_assert_str_eq(cfg.state_directory, "/srv/irc/state");
	config_free(&cfg);
	load_fails("[server]\nname = irc.x.org\nstate_directory = relative/dir\n", 3,
	           "[server] state_directory:", "absolute path");
}

Test(config, state_directory_from_systemd)
{
	setenv("STATE_DIRECTORY", "/var/lib/from-systemd", 1);
	load_ok("");
	unsetenv("STATE_DIRECTORY");
	cr_assert_str_eq(cfg.state_directory, "/var/lib/from-systemd");
	config_free(&cfg);
	load_ok("");
	cr_assert_str_eq(cfg.state_directory, "/var/lib/ircmini");
}

Test(config, exemptions)
{
	load_ok("[limits]\nexempt = 192.0.2.0/24\nexempt = 2001:db8::/48\nexempt = 198.51.100.7\n");
	cr_assert_eq(cfg.nexempt, 3);
	cr_assert_eq(cfg.exempt[0].bits, 24);
	cr_assert_eq(cfg.exempt[1].bits, 48);
	cr_assert_eq(cfg.exempt[2].bits, 32);
	config_free(&cfg);
	load_fails("[limits]\nmax_per_ip = 3\nexempt = 192.0.2.1/24\n", 3, "[limits] exempt:", "CIDR");
	load_fails("[limits]\nexempt = 192.0.2.0/33\n", 2, "[limits] exempt:", "CIDR");
	load_fails("[limits]\nexempt = localhost\n", 2, "[limits] exempt:", "CIDR");
}

Test(config, cloak_keys)
{
	load_ok("[cloak]\nenabled = no\nsecret = 0123456789abcdef0123\nsuffix = users.example\n");
	cr_assert_eq(cfg.cloak, 0);
	cr_assert_str_eq(cfg.cloak_secret, "0123456789abcdef0123");
	cr_assert_str_eq(cfg.cloak_suffix, "users.example");
	config_free(&cfg);
	load_fails("[cloak]\nenabled = maybe\n", 2, "[cloak] enabled:", "yes or no");
	load_fails("\n[cloak]\nsecret = short\n", 3, "[cloak] secret:", "at least 16");
	cr_assert_null(strstr(err, "short"), "the secret is echoed: %s", err);
	load_fails("[cloak]\nsuffix = two words\n", 2, "[cloak] suffix:", "one word");
}

Test(config, bans_section)
{
	load_ok("[bans]\nkline = *!*@bad.example Spamming the network\n"
	        "kline = evil@*.example.org\ndline = 203.0.113.0/24 open proxies\n");
	cr_assert_eq(cfg.nbans, 3);
	cr_assert_eq(cfg.bans[0].kind, BAN_K);
	cr_assert_str_eq(cfg.bans[0].mask, "*!*@bad.example");
	cr_assert_str_eq(cfg.bans[0].reason, "Spamming the network");
	cr_assert_eq(cfg.bans[0].line, 2);
	cr_assert_str_eq(cfg.bans[1].mask, "*!evil@*.example.org");
	cr_assert_str_eq(cfg.bans[1].reason, "Banned");
	cr_assert_eq(cfg.bans[2].kind, BAN_D);
	cr_assert_str_eq(cfg.bans[2].mask, "203.0.113.0/24");
	cr_assert_str_eq(cfg.bans[2].reason, "open proxies");
	config_free(&cfg);
	load_fails("[bans]\nkline = nobody reason\n", 2, "[bans] kline:", "user@host");
	load_fails("[bans]\ndline = 203.0.113.1/24 x\n", 2, "[bans] dline:", "CIDR");
	load_fails("[bans]\ndline =\n", 2, "[bans] dline:", "mask and a reason");
}

/* ---- WebSocket (issue 13) */

Test(config, websocket_listeners)
{
	load_ok("[listen]\naddress = 127.0.0.1:6667\nwebsocket = 127.0.0.1:8067\n"
	        "websocket_tls = [::1]:8097\n[tls]\ncertificate = /c\nkey = /k\n");
	cr_assert_eq(cfg.nlisten, 3);
	cr_assert(!cfg.listen[0].ws && !cfg.listen[0].tls);
	cr_assert(cfg.listen[1].ws && !cfg.listen[1].tls);
	cr_assert(cfg.listen[2].ws && cfg.listen[2].tls);
	cr_assert_eq(cfg.listen[1].line, 3);
	/* only a websocket listener: it replaces the default like any other */
	config_free(&cfg);
	load_ok("[listen]\nwebsocket = 127.0.0.1:8067\n");
	cr_assert_eq(cfg.nlisten, 1);
	cr_assert(cfg.listen[0].ws);
}

Test(config, websocket_listener_errors)
{
	load_fails("[listen]\nwebsocket = 127.0.0.1\n", 2, "[listen] websocket:", "address:port");
	load_fails("[listen]\naddress = 127.0.0.1:6667\nwebsocket = 127.0.0.1:6667\n", 3,
	           "[listen] websocket:", "already listed on line 2");
	load_fails("[listen]\nwebsocket_tls = 127.0.0.1:8097\n", 2, "[listen] websocket_tls:",
	           "needs [tls] certificate");
	load_fails("[listen]\nwebsockets = 127.0.0.1:8067\n", 2, "[listen] websockets:", "websocket_tls");
}

Test(config, websocket_origins)
{
	load_ok("[websocket]\norigins = https://a.example http://b.example:8080\norigins = *\n");
	cr_assert_str_eq(cfg.ws_origins, "https://a.example http://b.example:8080 *");
	config_free(&cfg);
	load_ok("[server]\nname = x.y\n");
	cr_assert_str_eq(cfg.ws_origins, "");   /* default: no browser page */
	/* repeated keys add up to at most 1023 bytes */
	char big[2000] = "[websocket]\n";
	for (int i = 0; i < 11; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "origins = https://%090d.example\n", i);
	load_fails(big, 11, "[websocket] origins:", "too long");   /* the 10th passes 1023 */
	load_fails("[websocket]\norigin = *\n", 2, "[websocket] origin:", "unknown key");
}

Test(config, websocket_trusted_proxies)
{
	load_ok("[websocket]\ntrusted_proxies = 127.0.0.1 10.0.0.0/8\ntrusted_proxies = ::1 2001:db8::/32\n");
	cr_assert_eq(cfg.nws_proxies, 4);
	cr_assert_eq(cfg.ws_proxies[0].net.family, AF_INET);
	cr_assert_eq(cfg.ws_proxies[0].bits, 32);
	cr_assert_eq(cfg.ws_proxies[1].bits, 8);
	cr_assert_eq(cfg.ws_proxies[1].net.b[0], 10);
	cr_assert_eq(cfg.ws_proxies[2].net.family, AF_INET6);
	cr_assert_eq(cfg.ws_proxies[2].bits, 128);
	cr_assert_eq(cfg.ws_proxies[3].bits, 32);
	/* host bits under the mask: a typo, not a block */
	load_fails("[websocket]\ntrusted_proxies = 10.0.0.1/8\n", 2, "[websocket] trusted_proxies:", "10.0.0.1/8");
	load_fails("[websocket]\ntrusted_proxies = 127.0.0.1 proxy.example\n", 2,
	           "[websocket] trusted_proxies:", "\"proxy.example\"");
	load_fails("[websocket]\ntrusted_proxies = 10.0.0.0/33\n", 2, "[websocket] trusted_proxies:", "10.0.0.0/33");
	load_fails("[websocket]\ntrusted_proxies = ::1/129\n", 2, "[websocket] trusted_proxies:", NULL);
	load_fails("[websocket]\ntrusted_proxies = 10.0.0.0/\n", 2, "[websocket] trusted_proxies:", NULL);
	char many[512] = "[websocket]\ntrusted_proxies =";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), " 10.0.0.%d", i);
	strcat(many, "\n");
	load_fails(many, 2, "[websocket] trusted_proxies:", "too many");
}
