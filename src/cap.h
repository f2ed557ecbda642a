/* cap.h - IRCv3 capabilities a client may negotiate (bits in client->caps). */
#ifndef IRCMINI_CAP_H
#define IRCMINI_CAP_H

enum {
	CAP_MULTI_PREFIX = 1 << 0,
	CAP_USERHOST_IN_NAMES = 1 << 1,
	CAP_CAP_NOTIFY = 1 << 2,
};

#endif
