/*
 * umlab-init.c - PID 1 of a umlab guest.
 *
 * The guest's root is the host's /, read-only over hostfs.  This program
 * mounts the few writable and virtual filesystems a lab needs, then speaks
 * the agent protocol (guest/proto.h, guest/PROTOCOL.md) on /dev/ttyS1:
 * HELLO, SETUP -> READY/ERROR, then EXEC/STDIN/KILL/POWEROFF requests,
 * answered by STDOUT/STDERR/EXIT, all in one poll() loop.
 *
 * As PID 1 it must never exit (the kernel panics) and must reap every
 * orphan.  Whatever the host sends is untrusted and checked.
 *
 * Built static (gcc -static): the guest runs it before anything is mounted.
 */
#define _GNU_SOURCE	/* execvpe, pipe2 */

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest/proto.h"

#define CHANNEL_PATH	"/dev/ttyS1"
#define MAX_PROCS	256
#define MAX_ARGS	4096
#define MAX_ENV		128
#define CHUNK		4096		/* bytes of output per STDOUT/STDERR */
#define STDIN_QUEUE_MAX	(1024 * 1024)	/* stdin bytes held for a slow reader */
#define BANNER		"umlab-init 1"

static const char *const base_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=dumb",
};
#define NBASE_ENV (sizeof(base_env) / sizeof(base_env[0]))

struct proc {
	int used;
	uint32_t id;
	pid_t pid;
	int outfd, errfd;	/* read ends; -1 at EOF */
	int infd;		/* write end of the child's stdin; -1 once closed */
	uint8_t *inq;		/* stdin bytes the pipe would not take yet */
	size_t inq_len;
	int in_eof;		/* host sent STDIN len 0: close after inq drains */
	int reaped;
	int status;
};

/* PID 1's whole state: one instance, in main(). */
struct init {
	int chan;		/* /dev/ttyS1 */
	int sigfd;		/* SIGCHLD */
	struct timespec t0;
	struct proc procs[MAX_PROCS];
	char *env[MAX_ENV];	/* KEY=VALUE from setup, malloc'd */
	size_t nenv;
	struct proto_decoder dec;
};

static void poweroff(void) __attribute__((noreturn));
static void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
say(const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "umlab-init: ");
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	dprintf(2, "%s\n", buf);
}

static void __attribute__((format(printf, 1, 2)))
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

static void
poweroff(void)
{
	int i;

	/* Everything but us; give them a moment to leave cleanly. */
	kill(-1, SIGTERM);
	for (i = 0; i < 40; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
			break;
		nanosleep(&ts, NULL);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached unless reboot failed; PID 1 must not return. */
	for (;;)
		pause();
}

static void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	dprintf(2, "umlab-init: fatal, powering off\n");
	poweroff();
}

static int64_t
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* --- the channel --- */

static void
write_all(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt > 0) {
		n = writev(fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { fd, POLLOUT, 0 };
				poll(&p, 1, -1);
				continue;
			}
			fatal("%s: write: %s", CHANNEL_PATH, strerror(errno));
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
}

/* Blocking: the host reads its end from an event loop, so this only waits
 * for the serial line to drain and doubles as back-pressure on output. */
static void
send_msg(struct init *in, uint16_t type, uint32_t id, const void *p, size_t len)
{
	uint8_t hdr[PROTO_HDR_LEN];
	struct iovec iov[2];

	if (proto_encode_hdr(hdr, type, id, len) == -1)
		fatal("%s: message of %zu bytes too big", proto_type_name(type), len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	write_all(in->chan, iov, len ? 2 : 1);
}

static void __attribute__((format(printf, 3, 4)))
send_error(struct init *in, uint32_t id, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	send_msg(in, PROTO_ERROR, id, buf, n);
}

static void
open_channel(struct init *in)
{
	struct termios t;
	int fl;

	/* O_NONBLOCK: do not wait for a modem carrier on open. */
	in->chan = open(CHANNEL_PATH, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (in->chan == -1)
		fatal("%s: %s", CHANNEL_PATH, strerror(errno));
	if (tcgetattr(in->chan, &t) == -1)
		fatal("%s: tcgetattr: %s", CHANNEL_PATH, strerror(errno));
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(in->chan, TCSANOW, &t) == -1)
		fatal("%s: tcsetattr: %s", CHANNEL_PATH, strerror(errno));
	if ((fl = fcntl(in->chan, F_GETFL)) == -1 ||
	    fcntl(in->chan, F_SETFL, fl & ~O_NONBLOCK) == -1)
		fatal("%s: fcntl: %s", CHANNEL_PATH, strerror(errno));
}

/* --- boot --- */

struct mnt {
	const char *type, *dir, *opts;
	unsigned long flags;
};

static const struct mnt mounts[] = {
	{ "proc", "/proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "sysfs", "/sys", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "devtmpfs", "/dev", "mode=755", MS_NOSUID },
	{ "devpts", "/dev/pts", "gid=5,mode=620,ptmxmode=666", MS_NOSUID | MS_NOEXEC },
	{ "tmpfs", "/dev/shm", "mode=1777", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/tmp", "mode=1777", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/run", "mode=755", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/var/tmp", "mode=1777", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/var/log", "mode=755", MS_NOSUID | MS_NODEV },
};

static void
mount_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mnt *m = &mounts[i];

		/* Points under /dev live on the fresh devtmpfs. */
		if (strncmp(m->dir, "/dev/", 5) == 0)
			mkdir(m->dir, 0755);
		/* EBUSY: the kernel mounted it already (DEVTMPFS_MOUNT). */
		if (mount(m->type, m->dir, m->type, m->flags, m->opts) == -1 &&
		    errno != EBUSY)
			warnmsg("mount %s on %s: %s", m->type, m->dir, strerror(errno));
	}
	/* What udev or systemd would create; cheap, and scripts expect it. */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	mkdir("/run/lock", 01777);
	chmod("/run/lock", 01777);
}

static void
open_console(void)
{
	int fd;

	if ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) == -1)
		return;	/* keep what the kernel gave us, if anything */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* --- network setup through ioctls: an exec costs tens of ms here --- */

static int
parse_prefix(const char *s, struct in_addr *addr, int *prefix)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	long p = 32;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		errno = 0;
		p = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || p < 0 || p > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	*prefix = (int)p;
	return 0;
}

static in_addr_t
prefix_mask(int prefix)
{
	return prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
}

static void
set_sin(struct sockaddr *sa, in_addr_t a)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = a;
	memcpy(sa, &sin, sizeof(sin));
}

/* Returns NULL or a static message. */
static const char *
iface_up(int s, const char *name, const struct in_addr *addr, int prefix)
{
	static char msg[128];
	struct ifreq ifr;

	if (strlen(name) >= IFNAMSIZ)
		return "interface name too long";
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (addr != NULL) {
		set_sin(&ifr.ifr_addr, addr->s_addr);
		if (ioctl(s, SIOCSIFADDR, &ifr) == -1)
			goto fail;
		set_sin(&ifr.ifr_netmask, prefix_mask(prefix));
		if (ioctl(s, SIOCSIFNETMASK, &ifr) == -1)
			goto fail;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	return NULL;
fail:
	snprintf(msg, sizeof(msg), "%s: %s", name, strerror(errno));
	return msg;
}

static const char *
route_add(int s, const struct in_addr *dst, int prefix, const struct in_addr *gw)
{
	static char msg[128];
	struct rtentry rt;
	in_addr_t mask = prefix_mask(prefix);

	memset(&rt, 0, sizeof(rt));
	set_sin(&rt.rt_dst, dst->s_addr & mask);
	set_sin(&rt.rt_genmask, mask);
	set_sin(&rt.rt_gateway, gw->s_addr);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (ioctl(s, SIOCADDRT, &rt) == -1) {
		snprintf(msg, sizeof(msg), "%s", strerror(errno));
		return msg;
	}
	return NULL;
}

/* --- setup --- */

static int
set_env(struct init *in, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen, i;
	char *dup;

	if (eq == NULL || eq == kv)
		return -1;
	klen = eq - kv + 1;
	if ((dup = strdup(kv)) == NULL)
		return -1;
	for (i = 0; i < in->nenv; i++) {
		if (strncmp(in->env[i], kv, klen) == 0) {
			free(in->env[i]);
			in->env[i] = dup;
			return 0;
		}
	}
	if (in->nenv >= MAX_ENV - NBASE_ENV - 1) {
		free(dup);
		return -1;
	}
	in->env[in->nenv++] = dup;
	return 0;
}

#define MAX_WORDS 8

static void
do_setup(struct init *in, const struct proto_msg *m)
{
	char *text, *line, *next, *w[MAX_WORDS];
	const char *why;
	struct in_addr a, gw;
	int s = -1, lineno = 0, nw, prefix;
	char info[128];
	double up = 0;
	FILE *f;

	if ((text = malloc(m->len + 1)) == NULL) {
		send_error(in, m->id, "setup: out of memory");
		return;
	}
	memcpy(text, m->payload, m->len);
	text[m->len] = '\0';
	if (memchr(text, '\0', m->len) != NULL) {
		send_error(in, m->id, "setup: NUL byte in text");
		goto out;
	}
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		send_error(in, m->id, "setup: socket: %s", strerror(errno));
		goto out;
	}
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (nw = 0; nw < MAX_WORDS; nw++) {
			w[nw] = strtok(nw == 0 ? line : NULL, " \t\r");
			if (w[nw] == NULL)
				break;
		}
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw == MAX_WORDS) {
			send_error(in, m->id, "setup line %d: too many words", lineno);
			goto out;
		}
		if (strcmp(w[0], "hostname") == 0) {
			if (nw != 2)
				goto usage;
			if (sethostname(w[1], strlen(w[1])) == -1) {
				send_error(in, m->id, "setup line %d: hostname %s: %s",
				    lineno, w[1], strerror(errno));
				goto out;
			}
		} else if (strcmp(w[0], "iface") == 0) {
			if (nw != 2 && nw != 3)
				goto usage;
			if (nw == 3 && parse_prefix(w[2], &a, &prefix) == -1) {
				send_error(in, m->id, "setup line %d: bad address %s",
				    lineno, w[2]);
				goto out;
			}
			if ((why = iface_up(s, w[1], nw == 3 ? &a : NULL, prefix)) != NULL) {
				send_error(in, m->id, "setup line %d: iface %s", lineno, why);
				goto out;
			}
		} else if (strcmp(w[0], "route") == 0) {
			if (nw != 3)
				goto usage;
			if (strcmp(w[1], "default") == 0) {
				a.s_addr = 0;
				prefix = 0;
			} else if (parse_prefix(w[1], &a, &prefix) == -1) {
				send_error(in, m->id, "setup line %d: bad destination %s",
				    lineno, w[1]);
				goto out;
			}
			if (inet_pton(AF_INET, w[2], &gw) != 1) {
				send_error(in, m->id, "setup line %d: bad gateway %s",
				    lineno, w[2]);
				goto out;
			}
			if ((why = route_add(s, &a, prefix, &gw)) != NULL) {
				send_error(in, m->id, "setup line %d: route %s via %s: %s",
				    lineno, w[1], w[2], why);
				goto out;
			}
		} else if (strcmp(w[0], "env") == 0) {
			if (nw != 2 || set_env(in, w[1]) == -1) {
				send_error(in, m->id, "setup line %d: bad or too many env", lineno);
				goto out;
			}
		} else {
			send_error(in, m->id, "setup line %d: unknown directive %.64s",
			    lineno, w[0]);
			goto out;
		}
		continue;
usage:
		send_error(in, m->id, "setup line %d: wrong number of arguments to %s",
		    lineno, w[0]);
		goto out;
	}
	if ((f = fopen("/proc/uptime", "re")) != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	snprintf(info, sizeof(info), "boot_ms %lld\ninit_ms %lld\n",
	    (long long)(up * 1000), (long long)ms_since(&in->t0));
	send_msg(in, PROTO_READY, m->id, info, strlen(info));
out:
	if (s != -1)
		close(s);
	free(text);
}

/* --- processes --- */

static struct proc *
proc_by_id(struct init *in, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		if (in->procs[i].used && in->procs[i].id == id)
			return &in->procs[i];
	return NULL;
}

static void
close_stdin(struct proc *p)
{
	if (p->infd != -1)
		close(p->infd);
	p->infd = -1;
	free(p->inq);
	p->inq = NULL;
	p->inq_len = 0;
}

/* EXIT goes only after both pipes ended and the child was reaped, so the
 * host has all output before the status. */
static void
proc_maybe_done(struct init *in, struct proc *p)
{
	uint8_t st[4];

	if (!p->used || !p->reaped || p->outfd != -1 || p->errfd != -1)
		return;
	proto_put_u32(st, (uint32_t)p->status);
	send_msg(in, PROTO_EXIT, p->id, st, sizeof(st));
	close_stdin(p);
	p->used = 0;
}

static void __attribute__((noreturn))
child(struct init *in, char **argv, int infd, int outfd, int errfd)
{
	const char *envp[MAX_ENV];
	sigset_t none;
	size_t i, n = 0;

	setsid();
	if (dup2(infd, 0) == -1 || dup2(outfd, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(126);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	for (i = 0; i < NBASE_ENV; i++)
		envp[n++] = base_env[i];
	for (i = 0; i < in->nenv; i++)
		envp[n++] = in->env[i];
	envp[n] = NULL;
	execvpe(argv[0], argv, (char *const *)envp);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static void
do_exec(struct init *in, const struct proto_msg *m)
{
	char *argv[MAX_ARGS + 1];
	const char *s, *end;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct proc *p = NULL;
	size_t argc = 0;
	pid_t pid;
	int i;

	if (m->id == 0) {
		send_error(in, 0, "exec: id 0 is reserved");
		return;
	}
	if (proc_by_id(in, m->id) != NULL) {
		send_error(in, m->id, "exec: id %u already running", m->id);
		return;
	}
	if (m->len == 0 || m->payload[m->len - 1] != '\0') {
		send_error(in, m->id, "exec: argv must be NUL-terminated strings");
		return;
	}
	s = (const char *)m->payload;
	end = s + m->len;
	while (s < end) {
		if (argc == MAX_ARGS) {
			send_error(in, m->id, "exec: more than %d arguments", MAX_ARGS);
			return;
		}
		argv[argc++] = (char *)s;
		s += strlen(s) + 1;
	}
	argv[argc] = NULL;
	if (argv[0][0] == '\0') {
		send_error(in, m->id, "exec: empty program name");
		return;
	}
	for (i = 0; i < MAX_PROCS; i++) {
		if (!in->procs[i].used) {
			p = &in->procs[i];
			break;
		}
	}
	if (p == NULL) {
		send_error(in, m->id, "exec: %d processes already running", MAX_PROCS);
		return;
	}
	if (pipe2(inp, O_CLOEXEC) == -1 || pipe2(outp, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1) {
		send_error(in, m->id, "exec: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) == -1) {
		send_error(in, m->id, "exec: fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(in, argv, inp[0], outp[1], errp[1]);
	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	/* A child that never reads its stdin must not stall PID 1. */
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->id = m->id;
	p->pid = pid;
	p->infd = inp[1];
	p->outfd = outp[0];
	p->errfd = errp[0];
	return;
fail:
	for (i = 0; i < 2; i++) {
		if (inp[i] != -1)
			close(inp[i]);
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
}

/* Write what the pipe takes; keep the rest for POLLOUT. */
static void
stdin_flush(struct proc *p)
{
	ssize_t n;

	while (p->infd != -1 && p->inq_len > 0) {
		n = write(p->infd, p->inq, p->inq_len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			close_stdin(p);	/* EPIPE: the reader is gone */
			return;
		}
		memmove(p->inq, p->inq + n, p->inq_len - n);
		p->inq_len -= n;
	}
	if (p->in_eof && p->inq_len == 0)
		close_stdin(p);
}

static void
do_stdin(struct init *in, const struct proto_msg *m)
{
	struct proc *p = proc_by_id(in, m->id);
	uint8_t *q;

	/* Unknown or closed: the process may have just ended; not an error. */
	if (p == NULL || p->infd == -1 || p->in_eof)
		return;
	if (m->len == 0) {
		p->in_eof = 1;
		stdin_flush(p);
		return;
	}
	if (p->inq_len + m->len > STDIN_QUEUE_MAX) {
		send_error(in, m->id, "stdin: more than %d bytes queued, closing stdin",
		    STDIN_QUEUE_MAX);
		close_stdin(p);
		return;
	}
	if ((q = realloc(p->inq, p->inq_len + m->len)) == NULL) {
		send_error(in, m->id, "stdin: out of memory, closing stdin");
		close_stdin(p);
		return;
	}
	p->inq = q;
	memcpy(p->inq + p->inq_len, m->payload, m->len);
	p->inq_len += m->len;
	stdin_flush(p);
}

static void
do_kill(struct init *in, const struct proto_msg *m)
{
	struct proc *p = proc_by_id(in, m->id);
	uint32_t sig;

	if (m->len != 4) {
		send_error(in, m->id, "kill: payload must be 4 bytes, not %u", m->len);
		return;
	}
	sig = proto_get_u32(m->payload);
	if (sig == 0 || sig >= (uint32_t)NSIG) {
		send_error(in, m->id, "kill: bad signal %u", sig);
		return;
	}
	if (p == NULL || p->reaped)
		return;	/* raced with its exit */
	/* The child leads its own session: reach its whole process group. */
	if (kill(-p->pid, (int)sig) == -1)
		kill(p->pid, (int)sig);
}

static void
reap(struct init *in)
{
	struct signalfd_siginfo si;
	pid_t pid;
	int st, i;

	while (read(in->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < MAX_PROCS; i++) {
			struct proc *p = &in->procs[i];

			if (p->used && !p->reaped && p->pid == pid) {
				p->reaped = 1;
				p->status = st;
				proc_maybe_done(in, p);
				break;
			}
		}
	}
}

static void
pump(struct init *in, struct proc *p, int *fdp, uint16_t type)
{
	uint8_t buf[CHUNK];
	ssize_t n;

	n = read(*fdp, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fdp);
		*fdp = -1;
		proc_maybe_done(in, p);
		return;
	}
	send_msg(in, type, p->id, buf, n);
}

static void
handle(struct init *in, const struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_SETUP:
		do_setup(in, m);
		break;
	case PROTO_EXEC:
		do_exec(in, m);
		break;
	case PROTO_STDIN:
		do_stdin(in, m);
		break;
	case PROTO_KILL:
		do_kill(in, m);
		break;
	case PROTO_POWEROFF:
		poweroff();
	default:
		send_error(in, m->id, "message type %s not for the guest",
		    proto_type_name(m->type));
		break;
	}
}

static void
read_channel(struct init *in)
{
	struct proto_msg m;
	uint8_t *space, ack[4];
	size_t room;
	ssize_t n;
	int r;

	if ((space = proto_decoder_space(&in->dec, &room)) == NULL)
		fatal("%s: decoder stuck", CHANNEL_PATH);
	n = read(in->chan, space, room);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	/* The controller is gone: a guest nobody drives has no purpose. */
	if (n == 0)
		fatal("%s: end of file from host", CHANNEL_PATH);
	if (n == -1)
		fatal("%s: read: %s", CHANNEL_PATH, strerror(errno));
	/* Before handling: the host may stream on while we work. */
	proto_put_u32(ack, (uint32_t)n);
	send_msg(in, PROTO_ACK, 0, ack, sizeof(ack));
	proto_decoder_commit(&in->dec, n);
	while ((r = proto_decoder_next(&in->dec, &m)) == 1)
		handle(in, &m);
	if (r == -1) {
		send_error(in, 0, "protocol: %s", in->dec.errmsg);
		fatal("%s: protocol: %s", CHANNEL_PATH, in->dec.errmsg);
	}
}

/* pollfd owners, parallel to the pollfd array */
enum { OWN_CHAN, OWN_SIG, OWN_OUT, OWN_ERR, OWN_IN };

static void
serve(struct init *in)
{
	static struct pollfd pfd[2 + 3 * MAX_PROCS];
	static struct { int kind; struct proc *p; } own[2 + 3 * MAX_PROCS];
	int i, n, k;

	for (;;) {
		n = 0;
		pfd[n] = (struct pollfd){ in->chan, POLLIN, 0 };
		own[n++].kind = OWN_CHAN;
		pfd[n] = (struct pollfd){ in->sigfd, POLLIN, 0 };
		own[n++].kind = OWN_SIG;
		for (i = 0; i < MAX_PROCS; i++) {
			struct proc *p = &in->procs[i];

			if (!p->used)
				continue;
			if (p->outfd != -1) {
				pfd[n] = (struct pollfd){ p->outfd, POLLIN, 0 };
				own[n].kind = OWN_OUT;
				own[n++].p = p;
			}
			if (p->errfd != -1) {
				pfd[n] = (struct pollfd){ p->errfd, POLLIN, 0 };
				own[n].kind = OWN_ERR;
				own[n++].p = p;
			}
			if (p->infd != -1 && p->inq_len > 0) {
				pfd[n] = (struct pollfd){ p->infd, POLLOUT, 0 };
				own[n].kind = OWN_IN;
				own[n++].p = p;
			}
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			struct proc *p = own[k].p;

			if (pfd[k].revents == 0)
				continue;
			switch (own[k].kind) {
			case OWN_CHAN:
				read_channel(in);
				break;
			case OWN_SIG:
				reap(in);
				break;
			/* An entry may have been finished or reused by an
			 * earlier entry this round: check the fd still matches. */
			case OWN_OUT:
				if (p->used && p->outfd == pfd[k].fd)
					pump(in, p, &p->outfd, PROTO_STDOUT);
				break;
			case OWN_ERR:
				if (p->used && p->errfd == pfd[k].fd)
					pump(in, p, &p->errfd, PROTO_STDERR);
				break;
			case OWN_IN:
				if (p->used && p->infd == pfd[k].fd)
					stdin_flush(p);
				break;
			}
		}
	}
}

int
main(void)
{
	static struct init in;
	uint8_t hello[4 + sizeof(BANNER) - 1];
	sigset_t mask;

	clock_gettime(CLOCK_MONOTONIC, &in.t0);
	in.chan = in.sigfd = -1;
	if (getpid() != 1)
		fprintf(stderr, "umlab-init: warning: not PID 1\n");

	/* Before anything can die: children become zombies we must collect. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((in.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd: %s", strerror(errno));

	umask(022);
	mount_all();
	open_console();
	/* execvpe() searches the caller's PATH, not the child's envp. */
	setenv("PATH", base_env[0] + 5, 1);
	chdir("/");

	/* lo is always up; a failure here is worth a line, not a halt. */
	{
		struct in_addr lo = { htonl(INADDR_LOOPBACK) };
		const char *why;
		int s;

		if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1) {
			if ((why = iface_up(s, "lo", &lo, 8)) != NULL)
				warnmsg("%s", why);
			close(s);
		}
	}

	open_channel(&in);
	proto_decoder_init(&in.dec);
	proto_put_u32(hello, PROTO_VERSION);
	memcpy(hello + 4, BANNER, sizeof(BANNER) - 1);
	send_msg(&in, PROTO_HELLO, 0, hello, sizeof(hello));
	serve(&in);
	fatal("serve loop ended");
}
