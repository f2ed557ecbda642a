/* commands.h - the command dispatch table and every handler, by family. */
#ifndef IRCMINI_COMMANDS_H
#define IRCMINI_COMMANDS_H

#include "client.h"
#include "message.h"

struct channel;

typedef void (*cmd_handler)(struct client *c, struct message *m);

void command_dispatch(struct client *c, struct message *m);

#define HANDLER(name) void name(struct client *c, struct message *m)

/* cmd_login.c */
HANDLER(cmd_pass); HANDLER(cmd_nick); HANDLER(cmd_user); HANDLER(cmd_quit);
HANDLER(cmd_ping); HANDLER(cmd_pong); HANDLER(cmd_setname);
/* cmd_cap.c */
HANDLER(cmd_cap);
/* cmd_sasl.c */
HANDLER(cmd_authenticate);
/* cmd_channel.c */
HANDLER(cmd_join); HANDLER(cmd_part); HANDLER(cmd_topic); HANDLER(cmd_names);
HANDLER(cmd_list); HANDLER(cmd_kick); HANDLER(cmd_invite);
/* cmd_mode.c */
HANDLER(cmd_mode);
/* cmd_message.c */
HANDLER(cmd_privmsg); HANDLER(cmd_notice); HANDLER(cmd_tagmsg);
/* cmd_query.c */
HANDLER(cmd_whois); HANDLER(cmd_whowas); HANDLER(cmd_who); HANDLER(cmd_userhost);
HANDLER(cmd_ison); HANDLER(cmd_lusers); HANDLER(cmd_motd); HANDLER(cmd_version);
HANDLER(cmd_time); HANDLER(cmd_admin); HANDLER(cmd_info); HANDLER(cmd_away);
HANDLER(cmd_links);
/* cmd_help.c */
HANDLER(cmd_help);
/* cmd_stats.c */
HANDLER(cmd_stats);
/* cmd_oper.c */
HANDLER(cmd_oper); HANDLER(cmd_kill); HANDLER(cmd_wallops);
/* cmd_xline.c */
HANDLER(cmd_kline); HANDLER(cmd_unkline); HANDLER(cmd_dline); HANDLER(cmd_undline);
HANDLER(cmd_rehash);
/* STATS k/d for cmd_stats(): 0 when c is not an operator (481 sent) */
int xline_stats(struct client *c, char q);

/* Parts of the registration burst, also used by their commands. */
void send_isupport(struct client *c);
void send_lusers(struct client *c);
void send_motd(struct client *c);
/* NAMES reply for one channel (353s + 366). */
void send_names(struct client *c, struct channel *ch);
/* 331, or 332 + 333, for one channel. */
void send_topic(struct client *c, struct channel *ch);

#endif
