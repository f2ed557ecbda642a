/* server.c - shared state, limits, reload and shutdown. */
#include "server.h"

#include <stdio.h>
#include <string.h>

#include "addrlimit.h"
#include "bans.h"
#include "client.h"
#include "cloak.h"
#include "cluster.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "node.h"
#include "tls.h"
#include "ts6.h"

struct server srv;

void server_apply_limits(void)
{
	const struct config *k = &srv.cfg;
	log_level = srv.debug ? LOG_DEBUG : k->log_level;
	conn_configure(k->sendq, k->recvq, k->flood_burst, k->flood_rate, k->ping_interval,
	               k->ping_timeout, k->registration_timeout);
	struct addrlimit_conf al = {
		.max_per_ip = k->max_per_ip, .throttle_connects = k->throttle_connects,
		.throttle_window = k->throttle_window, .throttle_duration = k->throttle_duration,
		.ipv6_prefix = k->ipv6_prefix, .nexempt = k->nexempt, .exempt = k->exempt,
	};
	addrlimit_configure(&al);
	char err[256];
	if (cloak_setup(k, err, sizeof err) < 0)
		log_error("%s", err);
	bans_load(k);
	tls_set_handshake_limit(k->tls_handshakes_per_ip);
}

int server_reload(void)
{
	struct config fresh;
	char err[512];

	if (config_load(srv.config_path, &fresh, err, sizeof err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		return -1;
	}
	if (fresh.casemapping != srv.cfg.casemapping) {
		/* every nick and channel key was folded with the old mapping */
		log_warn("reload: casemapping cannot change at runtime; keeping %s",
		         casemap_name(srv.cfg.casemapping));
		fresh.casemapping = srv.cfg.casemapping;
	}
	/* a new certificate serves new connections; open ones keep theirs */
	struct tls_ctx *tctx;
	if (tls_prepare(&fresh, srv.config_path, &tctx, err, sizeof err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		config_free(&fresh);
		return -1;
	}
	if (listener_apply(&fresh, srv.config_path, err, sizeof err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		tls_discard(tctx);
		config_free(&fresh);
		return -1;
	}
	if (strcmp(fresh.sid, srv.cfg.sid) != 0) {
		/* every UID of this node starts with it */
		log_warn("reload: sid cannot change at runtime; keeping %s", srv.cfg.sid);
		memcpy(fresh.sid, srv.cfg.sid, sizeof fresh.sid);
	}
	tls_install(tctx);
	config_free(&srv.cfg);
	srv.cfg = fresh;
	node_init_self();
	server_apply_limits();
	log_info("configuration reloaded from %s", srv.config_path);
	return 0;
}

static void say_goodbye(struct conn *c)
{
	if (c->flags & CONN_LINK)
		return;   /* ts6_shutdown() below */
	client_exit(client_of(c), "Server shutting down");
}

void server_shutdown(void)
{
	log_info("shutting down");
	listener_close_all();
	cluster_stop();   /* the others quit our users now, not after node_timeout */
	/* every connection, registered or not, hears why it is closed */
	conn_foreach(say_goodbye);
	ts6_shutdown();
	conn_flush_all();
	ev_break(srv.loop, EVBREAK_ALL);
}
