/* cmd_login.c - PASS, NICK, USER, QUIT, PING, PONG: connection and
 * registration commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "secret.h"
#include "server.h"

HANDLER(cmd_pass)
{
	if (client_registered(c)) {
		send_numeric(c, ERR_ALREADYREGISTERED, ":You may not reregister");
		return;
	}
	if (srv.cfg.password[0] && secret_equal(m->params[0], srv.cfg.password))
		c->reg |= REG_PASS;
	else
		c->reg &= (uint8_t)~REG_PASS;
}

HANDLER(cmd_nick)
{
	/* with a connection password, no nick is taken (and no 433 tells who
	 * is online) before PASS is right */
	if (!client_registered(c) && srv.cfg.password[0] && !(c->reg & REG_PASS)) {
		send_numeric(c, ERR_PASSWDMISMATCH, ":Password incorrect");
		client_exit(c, "Bad password");
		return;
	}
	if (m->nparams < 1 || !m->params[0][0]) {
		send_numeric(c, ERR_NONICKNAMEGIVEN, ":No nickname given");
		return;
	}
	const char *nick = m->params[0];
	if (!nick_valid(nick)) {
		send_numeric(c, ERR_ERRONEUSNICKNAME, "%s :Erroneous nickname", nick);
		return;
	}
	struct client *other = client_find(nick);
	if (other && other != c) {
		send_numeric(c, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", nick);
		return;
	}
	if (strcmp(nick, c->nick) == 0)
		return;
	if (!client_registered(c)) {
		/* while its USER event is on its way the nick must not move */
		if (c->reg & REG_PENDING)
			return;
		/* not network state yet: only this node's nick table */
		client_set_nick(c, nick);
		c->reg |= REG_NICK;
		client_try_register(c);
		return;
	}
	/* each change goes to everyone sharing a channel: [limits] nick_rate */
	if (!bucket_take(&c->nick_rate, ev_now(srv.loop), srv.cfg.nick_rate)) {
		send_numeric(c, ERR_NICKTOOFAST, "%s :Nick change too fast. Please wait %.0f seconds.", nick,
		             bucket_wait(&c->nick_rate, srv.cfg.nick_rate) + 0.5);
		return;
	}
	struct event ev = { .type = EV_NICK, .uid = c->uid, .u_hint = c, .nargs = 1, .args = { nick },
	                    .ts = (int64_t)time(NULL) };
	event_emit(&ev);
}

/* Keep the username to characters that are safe in a hostmask. */
static void set_username(struct client *c, const char *u)
{
	size_t n = 0;
	for (; *u && n < USER_MAX; u++)
		if (*u > ' ' && *u != '@' && *u != '!' && *u != ':' && *u != ',' && *u != '*' && *u != '?')
			c->user[n++] = *u;
	if (n == 0)
		c->user[n++] = 'u';
	c->user[n] = '\0';
}

HANDLER(cmd_user)
{
	if (client_registered(c) || c->reg & REG_USER) {
		send_numeric(c, ERR_ALREADYREGISTERED, ":You may not reregister");
		return;
	}
	/* Modern IRC: an empty username or realname is a missing parameter */
	if (!m->params[0][0] || !m->params[3][0]) {
		send_needmore(c, "USER");
		return;
	}
	set_username(c, m->params[0]);
	free(c->realname);
	c->realname = realname_dup(m->params[3]);
	c->reg |= REG_USER;
	client_try_register(c);
}

HANDLER(cmd_quit)
{
	char reason[300];
	if (m->nparams > 0 && m->params[0][0])
		snprintf(reason, sizeof reason, "Quit: %s", m->params[0]);
	else
		snprintf(reason, sizeof reason, "Client Quit");
	client_exit(c, reason);
}

HANDLER(cmd_ping)
{
	if (m->nparams < 1 || !m->params[0][0]) {
		send_numeric(c, ERR_NOORIGIN, ":No origin specified");
		return;
	}
	/* HexChat's lag meter reads the token from the second parameter */
	send_line(c, ":%s PONG %s :%s", srv.cfg.name, srv.cfg.name, m->params[0]);
}

HANDLER(cmd_pong)
{
	/* any input already counted as activity in conn.c */
	(void)c;
	(void)m;
}

/* IRCv3 setname: change the realname; peers and self with the cap see it.
 * Without the cap it still works, silently, as the spec asks. */
HANDLER(cmd_setname)
{
	const char *name = m->params[0];
	if (!name[0]) {
		send_line(c, ":%s FAIL SETNAME INVALID_REALNAME :Realname is not valid", srv.cfg.name);
		return;
	}
	struct event ev = { .type = EV_SETNAME, .uid = c->uid, .u_hint = c, .text = name };
	event_emit(&ev);
}
