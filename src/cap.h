/* cap.h - IRCv3 capabilities a client may negotiate (bits in client->caps). */
#ifndef IRCMINI_CAP_H
#define IRCMINI_CAP_H

enum {
	CAP_MULTI_PREFIX = 1 << 0,
	CAP_USERHOST_IN_NAMES = 1 << 1,
	CAP_CAP_NOTIFY = 1 << 2,
	CAP_SERVER_TIME = 1 << 3,      /* @time= on relayed lines */
	CAP_MESSAGE_TAGS = 1 << 4,     /* client-only tags relayed, TAGMSG */
	CAP_ECHO_MESSAGE = 1 << 5,     /* own PRIVMSG/NOTICE/TAGMSG echoed */
	CAP_AWAY_NOTIFY = 1 << 6,      /* AWAY of peers */
	CAP_SETNAME = 1 << 7,          /* SETNAME of peers and self */
	CAP_INVITE_NOTIFY = 1 << 8,    /* INVITEs to channels one is on */
	CAP_EXTENDED_JOIN = 1 << 9,    /* JOIN #chan account :realname */
	CAP_BATCH = 1 << 10,           /* BATCH (used by labeled-response) */
	CAP_LABELED_RESPONSE = 1 << 11, /* replies carry the command's label */
	CAP_SASL = 1 << 12,            /* AUTHENTICATE, relayed to services */
	CAP_ACCOUNT_NOTIFY = 1 << 13,  /* ACCOUNT of peers logging in/out */
	CAP_ACCOUNT_TAG = 1 << 14,     /* @account= on lines from logged-in users */
	CAP_CHGHOST = 1 << 15,         /* CHGHOST of peers and self (services vhosts) */
};

#endif
