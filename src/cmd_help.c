/* cmd_help.c - HELP and HELPOP: a line of syntax for every command. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "numeric.h"
#include "send.h"

/* Kept next to the dispatch table's names; one syntax line each. */
static const struct {
	const char *name;
	const char *text;
} help[] = {
	{ "ADMIN", "ADMIN [server] - who runs this server" },
	{ "AWAY", "AWAY [:message] - mark yourself away; no message marks you back" },
	{ "CAP", "CAP LS [302] | LIST | REQ :caps | END - IRCv3 capability negotiation" },
	{ "DLINE", "DLINE [duration] address[/bits] [:reason] - ban an address block (IRC operators)" },
	{ "HELP", "HELP [command] - this help" },
	{ "INFO", "INFO [server] - about this server" },
	{ "INVITE", "INVITE nick #channel - invite someone (ops only on +i channels)" },
	{ "ISON", "ISON nick [nick ...] - which of these nicks are online" },
	{ "JOIN", "JOIN #chan[,#chan...] [key[,key...]] | JOIN 0 - join channels, or leave all" },
	{ "KICK", "KICK #chan nick[,nick...] [:reason] - remove someone (ops only)" },
	{ "KILL", "KILL nick :reason - disconnect someone (IRC operators only)" },
	{ "KLINE", "KLINE [duration] [nick!]user@host [:reason] - ban a mask (IRC operators; 30 = 30 minutes, or 90s 2h 1d)" },
	{ "LINKS", "LINKS [[server] mask] - the servers of this network" },
	{ "LIST", "LIST [#chan[,#chan...]] - channels, their sizes and topics" },
	{ "LUSERS", "LUSERS - user and channel counts" },
	{ "MODE", "MODE #chan [+-beIiklmnopstv [args]] | MODE nick [+-iw] - channel or user modes" },
	{ "MOTD", "MOTD [server] - the message of the day" },
	{ "NAMES", "NAMES [#chan[,#chan...]] - who is in a channel" },
	{ "NICK", "NICK newnick - choose or change your nickname" },
	{ "NOTICE", "NOTICE target[,target...] :text - like PRIVMSG, never answered with an error" },
	{ "OPER", "OPER name password - become an IRC operator" },
	{ "PART", "PART #chan[,#chan...] [:reason] - leave channels" },
	{ "PASS", "PASS password - the connection password, before NICK/USER" },
	{ "PING", "PING token - the server answers PONG with the token" },
	{ "PRIVMSG", "PRIVMSG target[,target...] :text - message a channel or a nick" },
	{ "QUIT", "QUIT [:reason] - disconnect" },
	{ "REHASH", "REHASH - reload the configuration, as SIGHUP (IRC operators)" },
	{ "SETNAME", "SETNAME :realname - change your real name (IRCv3 setname)" },
	{ "STATS", "STATS k|d|u|w - K-lines, D-lines, work counters (IRC operators); uptime" },
	{ "TAGMSG", "TAGMSG target - a message of tags only (IRCv3 message-tags)" },
	{ "TIME", "TIME [server] - the server's local time" },
	{ "TOPIC", "TOPIC #chan [:topic] - show or set a channel's topic" },
	{ "UNDLINE", "UNDLINE address[/bits] - lift a D-line (IRC operators)" },
	{ "UNKLINE", "UNKLINE [nick!]user@host - lift a K-line (IRC operators)" },
	{ "USER", "USER username 0 * :realname - register, with NICK" },
	{ "USERHOST", "USERHOST nick [nick ...] - user@host of up to five nicks" },
	{ "VERSION", "VERSION [server] - server version and features" },
	{ "WALLOPS", "WALLOPS :text - message users with +w (IRC operators only)" },
	{ "WHO", "WHO mask|#chan [o][%fields[,token]] - list users (WHOX fields)" },
	{ "WHOIS", "WHOIS [server] nick[,nick...] - about a user" },
	{ "WHOWAS", "WHOWAS nick [count] - about a user who has left" },
};

HANDLER(cmd_help)
{
	const char *subject = m->nparams > 0 && m->params[0][0] ? m->params[0] : NULL;
	if (!subject) {
		send_numeric(c, RPL_HELPSTART, "* :ircmini commands (HELP <command> for one):");
		char line[400];
		size_t len = 0;
		for (size_t i = 0; i < sizeof help / sizeof help[0]; i++) {
			if (len + strlen(help[i].name) + 2 > 60) {
				line[len] = '\0';
				send_numeric(c, RPL_HELPTXT, "* :%s", line);
				len = 0;
			}
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len ? " " : "", help[i].name);
		}
		if (len)
			send_numeric(c, RPL_HELPTXT, "* :%s", line);
		send_numeric(c, RPL_ENDOFHELP, "* :End of /HELP");
		return;
	}
	for (size_t i = 0; i < sizeof help / sizeof help[0]; i++)
		if (strcasecmp(help[i].name, subject) == 0) {
			send_numeric(c, RPL_HELPSTART, "%s :%s", help[i].name, help[i].text);
			send_numeric(c, RPL_ENDOFHELP, "%s :End of /HELP", help[i].name);
			return;
		}
	send_numeric(c, ERR_HELPNOTFOUND, "%s :No help available on this topic", subject);
}
