/* log.h - leveled logging to stderr (journald adds timestamps). */
#ifndef IRCMINI_LOG_H
#define IRCMINI_LOG_H

enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_level;

int log_level_parse(const char *s);  /* -1 if unknown */
/* 1 if stderr is systemd's journal stream: lines then carry "<N>" priorities */
int log_stderr_is_journal(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
/* Lines about one connection (connect, register, refuse, disconnect, a
 * failed OPER): rate-limited together, so a connection storm cannot flood
 * the journal; what is dropped is counted and reported. */
int log_conn_allow(void);
#define log_conn(level, ...) do { if (log_level >= (level) && log_conn_allow()) log_msg((level), __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_level >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
