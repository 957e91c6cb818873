// The waiter: what a detached container's monitor turns into once the container runs. See
// waiter.go for why it is C and how the monitor hands over to it and back.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "waiter.h"

// One read of a stream, at most: Docker's json-file driver cuts long lines at 16 KiB too.
#define CHUNK 16384

// The json text of one entry: a byte escapes to at most 6 ("\u00XX"), plus the names and the
// time around it.
static char entry[CHUNK * 6 + 128];

// utf8_len is the length of the valid UTF-8 sequence at s (n bytes available), or 0 when it is
// not one: the rules of Go's utf8.DecodeRune, so that the log reads as Go's json would write it.
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; // the surrogates
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f; // beyond U+10FFFF
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

// append_json_string writes s as the inside of a JSON string, escaped as Go's encoding/json
// escapes it (HTML-safe, invalid UTF-8 as U+FFFD), and returns the end.
static char *append_json_string(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			switch (c) {
			case '"': *out++ = '\\'; *out++ = '"'; continue;
			case '\\': *out++ = '\\'; *out++ = '\\'; continue;
			case '\b': *out++ = '\\'; *out++ = 'b'; continue;
			case '\f': *out++ = '\\'; *out++ = 'f'; continue;
			case '\n': *out++ = '\\'; *out++ = 'n'; continue;
			case '\r': *out++ = '\\'; *out++ = 'r'; continue;
			case '\t': *out++ = '\\'; *out++ = 't'; continue;
			}
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				out += sprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
				continue;
			}
			*out++ = (char)c;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			out += sprintf(out, "\\ufffd");
			i++;
			continue;
		}
		// U+2028 and U+2029 end lines in JavaScript: Go escapes them.
		if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			out += sprintf(out, "\\u202%c", s[i + 2] == 0xa8 ? '8' : '9');
			i += 3;
			continue;
		}
		memcpy(out, s + i, len);
		out += len;
		i += len;
	}
	return out;
}

// append_time writes t as Go's time.Time marshals a UTC time: RFC 3339 with the nanoseconds,
// their trailing zeros cut.
static char *append_time(char *out, const struct timespec *t)
{
	struct tm tm;
	char frac[11];

	gmtime_r(&t->tv_sec, &tm);
	out += strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	if (t->tv_nsec != 0) {
		int len = snprintf(frac, sizeof frac, ".%09ld", t->tv_nsec);
		while (frac[len - 1] == '0')
			len--;
		memcpy(out, frac, len);
		out += len;
	}
	*out++ = 'Z';
	return out;
}

size_t minilink_log_entry(char *out, const unsigned char *line, size_t n, const char *stream,
			  const struct timespec *t)
{
	char *p = out;

	p = stpcpy(p, "{\"log\":\"");
	p = append_json_string(p, line, n);
	p = stpcpy(p, "\",\"stream\":\"");
	p = stpcpy(p, stream);
	p = stpcpy(p, "\",\"time\":\"");
	p = append_time(p, t);
	p = stpcpy(p, "\"}\n");
	return p - out;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; // a full disk loses output; the container must not block on it
		p += w;
		n -= w;
	}
}

// copy_chunk reads once from fd and appends what came as log entries, one per line. It returns
// read's result: 0 at the end of the stream, -1 with errno set.
static ssize_t copy_chunk(int fd, int log, const char *stream)
{
	static unsigned char buf[CHUNK];
	struct timespec now;
	ssize_t n = read(fd, buf, sizeof buf);

	if (n <= 0)
		return n;
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < (size_t)n;) {
		unsigned char *nl = memchr(buf + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) + 1 : (size_t)n - i;
		write_all(log, entry, minilink_log_entry(entry, buf + i, len, stream, &now));
		i += len;
	}
	return n;
}

// wait_and_log copies the container's output into its log until pid exits, then what is left
// of it, and returns pid's wait status (-1 when it cannot be had).
static int wait_and_log(pid_t pid, int fds[2], int log)
{
	static const char *streams[2] = { "stdout", "stderr" };
	int status = -1;
	// Readable once pid has exited; without pidfds (Linux < 5.3) the loop polls every 100 ms.
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = fds[0], .events = POLLIN },
			{ .fd = fds[1], .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		if (poll(p, 3, pidfd >= 0 ? -1 : 100) < 0 && errno != EINTR) {
			waitpid(pid, &status, 0);
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || p[i].revents == 0)
				continue;
			ssize_t n = copy_chunk(fds[i], log, streams[i]);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				close(fds[i]); // the end (a pty master reads EIO once nothing holds the slave)
				fds[i] = -1;
			}
		}
		if (pidfd >= 0 && p[2].revents == 0)
			continue;
		pid_t w = waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
	}
	// The container's processes died with its init: what they wrote is in the pipes already.
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		while (copy_chunk(fds[i], log, streams[i]) > 0)
			;
		close(fds[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

// The monitor execs itself with MINILINK_WAITER_ENV set; glibc passes constructors main's
// arguments, which the waiter needs to exec the monitor again.
__attribute__((constructor)) static void minilink_waiter(int argc, char **argv)
{
	const char *spec = getenv(MINILINK_WAITER_ENV);
	int pid, fds[2], log, owner_lock;
	char status[16];

	(void)argc;
	if (spec == NULL)
		return;
	if (sscanf(spec, "%d %d %d %d %d", &pid, &fds[0], &fds[1], &log, &owner_lock) != 5 ||
	    pid <= 0) {
		fprintf(stderr, "minilink waiter: bad %s=%s\n", MINILINK_WAITER_ENV, spec);
		_exit(1);
	}
	unsetenv(MINILINK_WAITER_ENV);
	snprintf(status, sizeof status, "%d", wait_and_log(pid, fds, log));
	close(log);
	// The owner lock tells a listing that this process waits for the container; past this point
	// the container has exited, and the lock must not pass to what the monitor starts.
	if (owner_lock >= 0)
		close(owner_lock);
	setenv(MINILINK_WAITED_ENV, status, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "minilink waiter: exec /proc/self/exe: %s\n", strerror(errno));
	_exit(1);
}
