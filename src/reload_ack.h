/* reload_ack.h - the outcome of a SIGHUP reload, for whoever sent it.
 * Under systemd (RuntimeDirectory=ircmini) the server writes its verdict to
 * $RUNTIME_DIRECTORY/reload after every reload, and `ircmini -t -r PID` (the
 * unit's ExecReload) waits for that file to change: `systemctl reload` then
 * returns once the reload is done, and fails if the server refused it (a
 * new address it cannot bind, which -t cannot know). */
#ifndef IRCMINI_RELOAD_ACK_H
#define IRCMINI_RELOAD_ACK_H

#include <sys/types.h>

/* Server side, after each SIGHUP: ok is 1 if the new configuration applies. */
void reload_ack_write(int ok);
/* Send SIGHUP to pid and wait up to `seconds` for its verdict: 0 applied,
 * -1 refused, not answered or not signalled (a message on stderr). Without
 * RUNTIME_DIRECTORY there is nothing to wait on: it only signals. */
int reload_ack_signal(pid_t pid, int seconds);

#endif
