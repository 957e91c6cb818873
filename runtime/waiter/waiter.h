#ifndef MINILINK_WAITER_H
#define MINILINK_WAITER_H

#include <stddef.h>
#include <time.h>

// The monitor's hand-over: "PID STDOUT_FD STDERR_FD LOG_FD OWNER_LOCK_FD" (-1 for one it does not
// have).
#define MINILINK_WAITER_ENV "_MINILINK_WAITER"
// The way back: PID's wait status, or -1 when it could not be had.
#define MINILINK_WAITED_ENV "_MINILINK_WAITED"

// minilink_log_entry writes one line of Docker's json-file log to out (6 * n + 128 bytes at
// least) and returns its length, newline included.
size_t minilink_log_entry(char *out, const unsigned char *line, size_t n, const char *stream,
			  const struct timespec *t);

#endif
