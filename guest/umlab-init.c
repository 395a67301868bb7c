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
#define _GNU_SOURCE	/* execvpe, pipe2, ptsname_r */

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
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

#include <dirent.h>
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
#define MAX_XFERS	16		/* PUTs open at once */
#define GET_CHUNK	16384		/* bytes of a file per GETDATA */
#define GRACE_MS	200		/* after exit, wait this long for output to end */
#define SHUTDOWN_MS	2000		/* the host powers off hard after 3 s */
#define MAX_EXEC_ENV	1024		/* environment entries of one EXECX */
#define STAGE		"/mnt"		/* where the new root is assembled */
#define MODULES		"/usr/lib/uml/modules"
#define STARTUP_LOG	"/var/log/startup.log"
#define SHUTDOWN_LOG	"/var/log/shutdown.log"

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
	int pty;		/* outfd is a pty master; infd a dup of it */
	int64_t deadline;	/* ms on init's clock: kill then (timeout); 0: none */
	int timed_out;
	int64_t grace;		/* reaped, output still open: EXIT at this time */
	int detached;		/* EXIT sent; draining a leftover process's output */
};

/* A PUT in progress. */
struct xfer {
	uint32_t id;		/* 0: free */
	int fd;			/* -1 after a write error (the rest is dropped) */
	uint32_t mode;
	char *path;
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
	struct xfer xfers[MAX_XFERS];
	int overlay;		/* the root is an overlay: every path is writable */
	char *startup;		/* scripts from setup, malloc'd */
	char *shutdown;
	char *pending_rest;	/* setup's current line tail, freed with it */
};

static void poweroff(void) __attribute__((noreturn));
static void cover_unreadable(void);
static int run_script(struct init *in, const char *path, const char *logpath, int64_t timeout_ms);
static void reap(struct init *in);
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
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
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
	/* After a reboot the line may still hold bytes the host sent to
	 * the kernel before it: they are not for us (the host sends
	 * nothing before our HELLO) */
	{
		char junk[512];

		(void)tcflush(in->chan, TCIFLUSH);
		while (read(in->chan, junk, sizeof(junk)) > 0)
			;
	}
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

/*
 * The host gives NIC K as UML's vector driver (vecK:transport=bess) on a
 * fabric port; labs, startup files and people call it ethK.  Rename
 * before anything looks (the interfaces are still down).
 */
static void
rename_vector_nics(int s)
{
	/* only the ones that exist: an ioctl on a name the kernel does not
	 * know makes it run modprobe for "netdev-NAME" (0.15 s each here) */
	struct if_nameindex *all = if_nameindex(), *i;

	for (i = all; i != NULL && i->if_index != 0; i++) {
		struct ifreq ifr;
		int k;

		if (sscanf(i->if_name, "vec%d", &k) != 1)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "eth%d", k);
		if (ioctl(s, SIOCSIFNAME, &ifr) == -1)
			warnmsg("rename %s to eth%d: %s", i->if_name, k, strerror(errno));
	}
	if (all != NULL)
		if_freenameindex(all);
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

/* --- the private root: an overlay of the host's / --- */

static int
load_module(const char *path)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	/* finit_module(2): no exec of insmod, which costs tens of ms here. */
	r = (int)syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	if (r == -1 && errno == EEXIST)
		r = 0;
	return r;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Assemble lowerdir=/ (the host, read-only) + an upper layer (tmpfs, or
 * the ext4 file system on dev) under STAGE, move the virtual file systems
 * across and pivot_root into it.  pivot_root rather than chroot: it also
 * moves the kernel threads' root, so the kernel's own modprobe calls see
 * the new root.  Returns NULL or a static message.
 */
/*
 * The new root, in base (a tmpfs or the node's disk): a plain writable
 * folder whose host folders (usr, etc, var, opt...) are each an overlay
 * of the host's folder (hostfs, read-only below) and a private upper
 * layer.  One overlay per folder rather than one over the host's /: the
 * guest may not list the host's / (Landlock: it would show other labs'
 * and users' folders), and an overlay of / could not list the guest's /
 * either.  Host symlinks at the top (bin -> usr/bin on Debian) are copied;
 * the rest of the top (home, root, srv, ...) starts empty and private.
 */
static const char *
build_root(const char *base)
{
	static const char *const shared[] = { "usr", "etc", "var", "opt", NULL };
	static const char *const empty[] = {
		"proc", "sys", "dev", "run", "tmp", "home", "root", "srv", "mnt", "media", "boot", NULL,
	};
	static const char *const links[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL };
	static char what[256];
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], opts[3 * PATH_MAX + 64];
	struct stat st;
	ssize_t n;

	snprintf(a, sizeof(a), "%s/root", base);
	/* pivot_root wants the new root to be a mount point. */
	if (mkdir_p(a, 0755) == -1 || mount(a, a, NULL, MS_BIND, NULL) == -1) {
		snprintf(what, sizeof(what), "mkdir and bind %.200s", a);
		return what;
	}
	for (const char *const *d = shared; *d; d++) {
		snprintf(c, sizeof(c), "/%s", *d);
		if (lstat(c, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(a, sizeof(a), "%s/lower/%s", base, *d);
		snprintf(b, sizeof(b), "%s/upper/%s", base, *d);
		snprintf(c, sizeof(c), "%s/work/%s", base, *d);
		if (mkdir_p(a, 0755) == -1 || mkdir_p(b, st.st_mode & 07777) == -1 ||
		    mkdir_p(c, 0755) == -1) {
			snprintf(what, sizeof(what), "mkdir in %.200s", base);
			return what;
		}
		snprintf(opts, sizeof(opts), "/%s", *d);
		if (mount("none", a, "hostfs", MS_RDONLY, opts) == -1) {
			snprintf(what, sizeof(what), "mount hostfs /%s", *d);
			return what;
		}
		snprintf(opts, sizeof(opts), "lowerdir=%.4000s,upperdir=%.4000s,workdir=%.4000s", a, b, c);
		snprintf(a, sizeof(a), "%s/root/%s", base, *d);
		if (mkdir_p(a, st.st_mode & 07777) == -1 || mount("overlay", a, "overlay", 0, opts) == -1) {
			snprintf(what, sizeof(what), "mount overlay on /%s", *d);
			return what;
		}
	}
	for (const char *const *d = empty; *d; d++) {
		snprintf(a, sizeof(a), "%s/root/%s", base, *d);
		mkdir(a, strcmp(*d, "root") == 0 ? 0700 : strcmp(*d, "tmp") == 0 ? 01777 : 0755);
	}
	for (const char *const *l = links; *l; l++) {
		snprintf(c, sizeof(c), "/%s", *l);
		if ((n = readlink(c, b, sizeof(b) - 1)) <= 0)
			continue;
		b[n] = '\0';
		snprintf(a, sizeof(a), "%s/root/%s", base, *l);
		if (symlink(b, a) == -1 && errno != EEXIST)
			warnmsg("symlink %s: %s", a, strerror(errno));
	}
	return NULL;
}

static const char *
root_overlay(struct init *in, const char *kind, const char *dev, const char *label)
{
	static char msg[320];
	static const char *const moved[] = { "/proc", "/sys", "/dev", "/run", "/tmp" };
	struct utsname u;
	char path[PATH_MAX];
	const char *what;
	size_t i;

	if (in->overlay)
		return "the root is already an overlay";
	if (uname(&u) == -1) {
		what = "uname";
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s/kernel/fs/overlayfs/overlay.ko", MODULES, u.release);
	if (load_module(path) == -1) {
		snprintf(msg, sizeof(msg), "insmod %.200s: %s", path, strerror(errno));
		return msg;
	}
	if (strcmp(kind, "tmpfs") == 0) {
		if (mount("tmpfs", STAGE, "tmpfs", 0, "mode=755") == -1) {
			what = "mount tmpfs on " STAGE;
			goto fail;
		}
	} else if (mount(dev, STAGE, "ext4", MS_NOATIME, NULL) == -1) {
		snprintf(msg, sizeof(msg), "disk %s (%s): mount ext4: %s%s",
		    label ? label : dev, dev, strerror(errno),
		    errno == EINVAL || errno == EUCLEAN ? " (not an ext4 file system, or corrupt)" :
		    errno == ENXIO || errno == ENODEV || errno == ENOENT ?
		    " (no such disk: locked by another running guest?)" : "");
		return msg;
	}
	if ((what = build_root(STAGE)) != NULL)
		goto fail;
	/* The overlays are writable: /var/log and /var/tmp live in them now. */
	umount2("/var/log", MNT_DETACH);
	umount2("/var/tmp", MNT_DETACH);
	for (i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		snprintf(path, sizeof(path), STAGE "/root%s", moved[i]);
		if (mount(moved[i], path, NULL, MS_MOVE, NULL) == -1)
			warnmsg("move %s: %s", moved[i], strerror(errno));
	}
	if (chdir(STAGE "/root") == -1) {
		what = "chdir " STAGE "/root";
		goto fail;
	}
	/* put_old: the host's /mnt as seen in the overlay. */
	if (syscall(SYS_pivot_root, ".", "." STAGE) == -1) {
		what = "pivot_root";
		goto fail;
	}
	if (chroot(".") == -1 || chdir("/") == -1) {
		what = "chroot";
		goto fail;
	}
	if (umount2(STAGE, MNT_DETACH) == -1)
		warnmsg("umount old root: %s", strerror(errno));
	/* modprobe looks in /usr/lib/modules/<version>; the kernel's modules
	 * are elsewhere on the host.  A link makes on-demand loading work. */
	snprintf(path, sizeof(path), MODULES "/%s", u.release);
	mkdir_p("/usr/lib/modules", 0755);
	{
		char link[PATH_MAX];

		snprintf(link, sizeof(link), "/usr/lib/modules/%s", u.release);
		if (symlink(path, link) == -1 && errno != EEXIST)
			warnmsg("symlink %s: %s", link, strerror(errno));
	}
	mkdir("/run/lock", 01777);
	chmod("/run/lock", 01777);
	cover_unreadable();
	in->overlay = 1;
	return NULL;
fail:
	snprintf(msg, sizeof(msg), "%.250s: %s", what, strerror(errno));
	return msg;
}

/* --- folders the guest kernel's host uid cannot read --- */

/*
 * The guest kernel runs as an ordinary host uid (an unprivileged one when
 * umlab runs as root) and under Landlock (node/confine.c), so host folders
 * closed to it (/root, /home, /var/log/apache2, /etc/ssl/private...) cannot be listed,
 * and overlayfs cannot copy them up: programs fail with "Permission
 * denied" on the first write.  Such a folder gets an empty tmpfs of the
 * same owner and mode instead: private to the guest, and writable.
 */
static void
cover_dir(const char *path)
{
	struct stat st;
	char opts[64];
	DIR *d;

	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode))
		return;
	/* overlayfs opens a merged folder lazily: reading is the test. */
	if ((d = opendir(path)) != NULL) {
		int denied;

		errno = 0;
		denied = readdir(d) == NULL && errno == EACCES;
		closedir(d);
		if (!denied)
			return;
	} else if (errno != EACCES) {
		return;
	}
	snprintf(opts, sizeof(opts), "mode=%o", (unsigned)(st.st_mode & 07777));
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) == -1) {
		warnmsg("cover %s: %s", path, strerror(errno));
		return;
	}
	if (chown(path, st.st_uid, st.st_gid) == -1)
		warnmsg("chown %s: %s", path, strerror(errno));
}

static void
cover_unreadable(void)
{
	static const char *const tops[] = {
		"/etc", "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/mail",
		"/srv", "/home", "/opt", "/mnt", "/media", "/boot",
	};
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	cover_dir("/root");
	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		if ((d = opendir(tops[i])) == NULL) {
			cover_dir(tops[i]);   /* closed as a whole (Landlock, or its mode) */
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", tops[i], e->d_name) <
			    sizeof(path))
				cover_dir(path);
		}
		closedir(d);
	}
}

/* --- the host's files, as the host sees them --- */

/*
 * Paths in copy/startup/shutdown are the host's.  The guest's root is the
 * host's / too, but with tmpfs mounted over /tmp, /run and others, so a
 * lab folder under the host's /tmp would be hidden.  A second hostfs
 * mount of the host's / under /run shows every host path as it is.
 */
#define HOST_VIEW PROTO_HOST_VIEW

static const char *
host_path(const char *path, char *buf, size_t len)
{
	static int mounted;

	if (!mounted) {
		mkdir(HOST_VIEW, 0700);
		if (mount("none", HOST_VIEW, "hostfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "/") == 0)
			mounted = 1;
		else
			return path;   /* best effort: the path as the guest sees it */
	}
	if ((size_t)snprintf(buf, len, "%s%s", HOST_VIEW, path) >= len)
		return path;
	return buf;
}

/* --- node files: copy a host tree onto / --- */

static int
copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen)
{
	char buf[65536];
	int in = -1, out = -1, r = -1;
	ssize_t n, w, off;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(errno));
		return -1;
	}
	unlink(dst);	/* a symlink or read-only file in the way */
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777)) == -1) {
		snprintf(err, errlen, "%.300s: %s", dst, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			if ((w = write(out, buf + off, n - off)) == -1) {
				snprintf(err, errlen, "%.300s: %s", dst, strerror(errno));
				goto out;
			}
		}
	}
	if (n == -1) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(errno));
		goto out;
	}
	if (fchmod(out, mode & 07777) == -1) {
		snprintf(err, errlen, "%.300s: chmod: %s", dst, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && r == 0) {
		snprintf(err, errlen, "%.300s: %s", dst, strerror(errno));
		r = -1;
	}
	return r;
}

/* src and dst are directories; dst exists. */
static int
copy_tree(const char *src, const char *dst, int depth, char *err, size_t errlen)
{
	char s[PATH_MAX], d[PATH_MAX], target[PATH_MAX];
	struct dirent *e;
	struct stat st;
	ssize_t n;
	DIR *dir;
	int r = 0;

	if (depth > 64) {
		snprintf(err, errlen, "%.300s: nested too deep", src);
		return -1;
	}
	if ((dir = opendir(src)) == NULL) {
		snprintf(err, errlen, "%.300s: %s", src, strerror(errno));
		return -1;
	}
	while (r == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, e->d_name) >= sizeof(s) ||
		    (size_t)snprintf(d, sizeof(d), "%s/%s", strcmp(dst, "/") ? dst : "",
		    e->d_name) >= sizeof(d)) {
			snprintf(err, errlen, "%s/%s: path too long", src, e->d_name);
			r = -1;
			break;
		}
		if (lstat(s, &st) == -1) {
			snprintf(err, errlen, "%.300s: %s", s, strerror(errno));
			r = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(d, st.st_mode & 07777) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "%.300s: %s", d, strerror(errno));
				r = -1;
			} else {
				r = copy_tree(s, d, depth + 1, err, errlen);
				if (r == 0 && chmod(d, st.st_mode & 07777) == -1) {
					snprintf(err, errlen, "%.300s: chmod: %s", d, strerror(errno));
					r = -1;
				}
			}
		} else if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(s, target, sizeof(target) - 1)) == -1) {
				snprintf(err, errlen, "%.300s: %s", s, strerror(errno));
				r = -1;
			} else {
				target[n] = '\0';
				unlink(d);
				if (symlink(target, d) == -1) {
					snprintf(err, errlen, "%.300s: %s", d, strerror(errno));
					r = -1;
				}
			}
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(s, d, st.st_mode, err, errlen);
		}
		/* Devices, fifos and sockets are not node files: skipped. */
	}
	closedir(dir);
	return r;
}

/* --- startup and shutdown scripts --- */

/* Copy what the script appended to its log onto the console, so the
 * console log shows it too. */
static void
tail_log(int fd, off_t *pos)
{
	char buf[4096];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), *pos)) > 0) {
		if (write(2, buf, n) < 0)
			break;
		*pos += n;
	}
}

/*
 * Run /bin/sh PATH with its output appended to logpath (and copied to the
 * console).  Output goes to the file, not a pipe: daemons the script
 * starts keep writing there, and never get SIGPIPE from us.  Returns the
 * exit status (128+N for a signal), or -1 if it could not be run.
 * timeout_ms > 0 bounds it: the script's process group is killed then.
 */
static int
run_script(struct init *in, const char *path, const char *logpath, int64_t timeout_ms)
{
	const char *envp[MAX_ENV + NBASE_ENV + 1];
	char *const argv[] = { "sh", (char *)path, NULL };
	struct signalfd_siginfo si;
	int64_t end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	struct pollfd p = { in->sigfd, POLLIN, 0 };
	off_t pos;
	size_t i, n = 0;
	pid_t pid;
	int fd, nul, st = 0;

	if ((fd = open(logpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		warnmsg("%s: %s", logpath, strerror(errno));
		return -1;
	}
	pos = lseek(fd, 0, SEEK_END);
	dprintf(2, "umlab-init: running %s\n", path);
	for (i = 0; i < NBASE_ENV; i++)
		envp[n++] = base_env[i];
	for (i = 0; i < in->nenv; i++)
		envp[n++] = in->env[i];
	envp[n] = NULL;
	if ((pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		setsid();
		nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve("/bin/sh", argv, (char *const *)envp);
		dprintf(2, "/bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	for (;;) {
		int64_t left = end ? end - now_ms() : 100;

		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (end && left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			dprintf(fd, "umlab-init: %s killed after %lld ms\n", path,
			    (long long)timeout_ms);
			break;
		}
		tail_log(fd, &pos);
		if (poll(&p, 1, left > 100 ? 100 : (int)left) > 0)
			while (read(in->sigfd, &si, sizeof(si)) == sizeof(si))
				;
	}
	tail_log(fd, &pos);
	close(fd);
	reap(in);	/* we drained SIGCHLD: collect whatever else ended */
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
	char *text, *line, *next, *w[MAX_WORDS], *rest, *e;
	const char *why;
	struct in_addr a, gw;
	int s = -1, lineno = 0, nw, prefix, startup_status = -2, n;
	char info[256], err[512];
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
		/* Paths keep their spaces: the rest of the line after word 1. */
		rest = line + strspn(line, " \t");
		rest += strcspn(rest, " \t");
		rest += strspn(rest, " \t");
		if ((rest = strdup(rest)) == NULL) {
			send_error(in, m->id, "setup: out of memory");
			goto out;
		}
		for (e = rest + strlen(rest); e > rest && strchr(" \t\r", e[-1]); )
			*--e = '\0';
		free(in->pending_rest);
		in->pending_rest = rest;
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
		} else if (strcmp(w[0], "root") == 0) {
			/* root overlay tmpfs | root overlay disk DEV [LABEL] */
			if (nw < 3 || strcmp(w[1], "overlay") != 0 ||
			    (strcmp(w[2], "tmpfs") == 0 ? nw != 3 :
			     strcmp(w[2], "disk") != 0 || nw < 4 || nw > 5))
				goto usage;
			if ((why = root_overlay(in, w[2], nw > 3 ? w[3] : NULL,
			    nw > 4 ? w[4] : NULL)) != NULL) {
				send_error(in, m->id, "setup line %d: root: %s", lineno, why);
				goto out;
			}
		} else if (strcmp(w[0], "copy") == 0) {
			if (nw < 2)
				goto usage;
			char hp[PATH_MAX];

			if (copy_tree(host_path(rest, hp, sizeof(hp)), "/", 0, err, sizeof(err)) == -1) {
				send_error(in, m->id, "setup line %d: copy %s: %s", lineno, rest, err);
				goto out;
			}
		} else if (strcmp(w[0], "startup") == 0 || strcmp(w[0], "shutdown") == 0) {
			char **slot = w[0][1] == 't' ? &in->startup : &in->shutdown;

			char hp[PATH_MAX];
			const char *path;

			if (nw < 2)
				goto usage;
			path = host_path(rest, hp, sizeof(hp));
			if (access(path, R_OK) == -1) {
				send_error(in, m->id, "setup line %d: %s %s: %s", lineno, w[0],
				    rest, strerror(errno));
				goto out;
			}
			free(*slot);
			*slot = strdup(path);
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
	/* Last, once everything else is in place (as Kathara does). */
	if (in->startup != NULL) {
		startup_status = run_script(in, in->startup, STARTUP_LOG, 0);
		free(in->startup);
		in->startup = NULL;
	}
	if ((f = fopen("/proc/uptime", "re")) != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	n = snprintf(info, sizeof(info), "boot_ms %lld\ninit_ms %lld\nroot %s\n",
	    (long long)(up * 1000), (long long)ms_since(&in->t0),
	    in->overlay ? "overlay" : "hostfs");
	if (startup_status != -2)
		snprintf(info + n, sizeof(info) - n, "startup_status %d\n", startup_status);
	send_msg(in, PROTO_READY, m->id, info, strlen(info));
out:
	if (s != -1)
		close(s);
	free(in->pending_rest);
	in->pending_rest = NULL;
	free(text);
}

/* --- processes --- */

static struct proc *
proc_by_id(struct init *in, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		if (in->procs[i].used && !in->procs[i].detached && in->procs[i].id == id)
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

static void
send_exit(struct init *in, struct proc *p, uint32_t flags)
{
	uint8_t st[8];

	proto_put_u32(st, (uint32_t)p->status);
	proto_put_u32(st + 4, flags | (p->timed_out ? PROTO_EXIT_TIMEOUT : 0));
	send_msg(in, PROTO_EXIT, p->id, st, sizeof(st));
	close_stdin(p);
}

/* EXIT goes after both pipes ended and the child was reaped, so the host
 * has all output before the status; or GRACE_MS after the reap when a
 * leftover process (`daemon &`) still holds the pipes: the slot then
 * drains and drops that output until it ends. */
static void
proc_maybe_done(struct init *in, struct proc *p)
{
	if (!p->used || !p->reaped)
		return;
	if (p->outfd != -1 || p->errfd != -1) {
		if (!p->detached && p->grace == 0)
			p->grace = now_ms() + GRACE_MS;
		return;
	}
	if (!p->detached)
		send_exit(in, p, 0);
	p->used = 0;
}

/* Deadlines: timeouts and output grace periods.  Returns the poll timeout. */
static int
check_timers(struct init *in)
{
	int64_t now = now_ms(), next = -1, t;
	int i;

	for (i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &in->procs[i];

		if (!p->used || p->detached)
			continue;
		if (p->deadline && !p->reaped) {
			if (now >= p->deadline) {
				/* The whole session: a shell's children too. */
				kill(-p->pid, SIGKILL);
				kill(p->pid, SIGKILL);
				p->timed_out = 1;
				p->deadline = 0;
			} else {
				t = p->deadline - now;
				next = next == -1 || t < next ? t : next;
			}
		}
		if (p->grace && p->reaped) {
			if (now >= p->grace) {
				send_exit(in, p, PROTO_EXIT_DETACHED);
				p->detached = 1;
				p->id = 0;
			} else {
				t = p->grace - now;
				next = next == -1 || t < next ? t : next;
			}
		}
	}
	return next > INT32_MAX ? INT32_MAX : (int)next;
}

struct spawn {
	char **argv;
	char **env;		/* extra KEY=VALUE, override setup's */
	size_t nenv;
	const char *cwd;	/* NULL: / */
	const char *pts;	/* pty slave path, or NULL for pipes */
	const char **envp;	/* built by the parent: the child runs after vfork() */
};

/* base + setup env + the exec's own, later keys replacing earlier ones;
 * sets the caller's PATH, which execvpe() searches.  malloc'd. */
static const char **
build_env(struct init *in, const struct spawn *sp)
{
	const char **envp;
	size_t i, j, n = 0, klen;

	if ((envp = calloc(NBASE_ENV + in->nenv + sp->nenv + 1, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < NBASE_ENV; i++)
		envp[n++] = base_env[i];
	for (i = 0; i < in->nenv + sp->nenv; i++) {
		const char *kv = i < in->nenv ? in->env[i] : sp->env[i - in->nenv];

		klen = strcspn(kv, "=") + 1;
		for (j = 0; j < n && strncmp(envp[j], kv, klen) != 0; j++)
			;
		envp[j] = kv;
		if (j == n)
			n++;
	}
	envp[n] = NULL;
	for (i = 0; i < n; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			setenv("PATH", envp[i] + 5, 1);
	return envp;
}

/* After vfork(): shares PID 1's memory, so system calls only, no malloc,
 * no setenv. */
static void __attribute__((noreturn))
child(const struct spawn *sp, int infd, int outfd, int errfd)
{
	sigset_t none;

	setsid();
	if (sp->pts != NULL) {
		int t = open(sp->pts, O_RDWR);

		/* Job control: the pty is the session's controlling terminal. */
		if (t == -1 || ioctl(t, TIOCSCTTY, 0) == -1)
			_exit(126);
		infd = outfd = errfd = t;
	}
	if (dup2(infd, 0) == -1 || dup2(outfd, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(126);
	if (sp->cwd != NULL && chdir(sp->cwd) == -1) {
		dprintf(2, "cd %s: %s\n", sp->cwd, strerror(errno));
		_exit(126);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);	/* per process: vfork does not share handlers */
	execvpe(sp->argv[0], sp->argv, (char *const *)sp->envp);
	dprintf(2, "%s: %s\n", sp->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static struct proc *
free_slot(struct init *in)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		if (!in->procs[i].used)
			return &in->procs[i];
	return NULL;
}

/* Start a process for request id; errors go to the host as ERROR. */
static void
spawn(struct init *in, uint32_t id, const struct spawn *sp, int64_t timeout_ms,
    unsigned rows, unsigned cols)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char pts[64];
	struct spawn s = *sp;
	struct stat st;
	struct proc *p;
	pid_t pid;
	volatile int master = -1;	/* read after vfork() */
	int i;

	if ((p = free_slot(in)) == NULL) {
		send_error(in, id, "exec: %d processes already running", MAX_PROCS);
		return;
	}
	if (s.cwd != NULL && (stat(s.cwd, &st) == -1 || !S_ISDIR(st.st_mode))) {
		send_error(in, id, "exec: cwd %.256s: %s", s.cwd,
		    errno && !S_ISDIR(st.st_mode) ? strerror(ENOTDIR) : strerror(errno));
		return;
	}
	if (rows != 0 || cols != 0 || s.pts != NULL) {
		struct winsize ws = { rows ? rows : 24, cols ? cols : 80, 0, 0 };

		if ((master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
		    grantpt(master) == -1 || unlockpt(master) == -1 ||
		    ptsname_r(master, pts, sizeof(pts)) != 0) {
			send_error(in, id, "exec: pty: %s", strerror(errno));
			goto fail;
		}
		ioctl(master, TIOCSWINSZ, &ws);
		s.pts = pts;
		if ((inp[1] = fcntl(master, F_DUPFD_CLOEXEC, 0)) == -1) {
			send_error(in, id, "exec: dup: %s", strerror(errno));
			goto fail;
		}
		outp[0] = master;
	} else if (pipe2(inp, O_CLOEXEC) == -1 || pipe2(outp, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1) {
		send_error(in, id, "exec: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((s.envp = build_env(in, &s)) == NULL) {
		send_error(in, id, "exec: out of memory");
		goto fail;
	}
	/* vfork: under UML a fork copies PID 1's address space through the
	 * host, several ms; a vfork child borrows it until it execs. */
	pid = vfork();
	if (pid == 0)
		child(&s, inp[0], outp[1], errp[1]);
	free(s.envp);
	setenv("PATH", base_env[0] + 5, 1);
	if (pid == -1) {
		send_error(in, id, "exec: fork: %s", strerror(errno));
		goto fail;
	}
	if (master == -1) {
		close(inp[0]);
		close(outp[1]);
		close(errp[1]);
	}
	/* A child that never reads its stdin must not stall PID 1. */
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->id = id;
	p->pid = pid;
	p->infd = inp[1];
	p->outfd = outp[0];
	p->errfd = errp[0];
	p->pty = master != -1;
	if (timeout_ms > 0)
		p->deadline = now_ms() + timeout_ms;
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

/* Split NUL-terminated strings from *sp (bounded by end) into v[0..n). */
static int
take_strings(const char **sp, const char *end, char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *z = memchr(*sp, '\0', end - *sp);

		if (*sp >= end || z == NULL)
			return -1;
		v[i] = (char *)*sp;
		*sp = z + 1;
	}
	return 0;
}

static int
exec_id_ok(struct init *in, uint32_t id)
{
	if (id == 0) {
		send_error(in, 0, "exec: id 0 is reserved");
		return 0;
	}
	if (proc_by_id(in, id) != NULL) {
		send_error(in, id, "exec: id %u already running", id);
		return 0;
	}
	return 1;
}

static void
do_exec(struct init *in, const struct proto_msg *m)
{
	char *argv[MAX_ARGS + 1];
	const char *s, *end;
	size_t argc = 0;
	struct spawn sp = { argv, NULL, 0, NULL, NULL, NULL };

	if (!exec_id_ok(in, m->id))
		return;
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
	spawn(in, m->id, &sp, 0, 0, 0);
}

/* EXECX: u32 flags, u32 timeout_ms, u16 rows, u16 cols, u32 argc, u32
 * envc, then cwd, argv[argc], env[envc] as NUL-terminated strings. */
static void
do_execx(struct init *in, const struct proto_msg *m)
{
	static char *argv[MAX_ARGS + 1], *env[MAX_EXEC_ENV];
	const char *s, *end;
	uint32_t flags, timeout, argc, envc, i;
	unsigned rows, cols;
	char *cwd;
	struct spawn sp = { argv, env, 0, NULL, NULL, NULL };

	if (!exec_id_ok(in, m->id))
		return;
	if (m->len < PROTO_EXECX_FIXED) {
		send_error(in, m->id, "execx: payload of %u bytes, need %d", m->len,
		    PROTO_EXECX_FIXED);
		return;
	}
	flags = proto_get_u32(m->payload);
	timeout = proto_get_u32(m->payload + 4);
	rows = proto_get_u16(m->payload + 8);
	cols = proto_get_u16(m->payload + 10);
	argc = proto_get_u32(m->payload + 12);
	envc = proto_get_u32(m->payload + 16);
	if (flags & ~PROTO_EXECX_FLAGS) {
		send_error(in, m->id, "execx: unknown flags 0x%x", flags);
		return;
	}
	if (argc == 0 || argc > MAX_ARGS || envc > MAX_EXEC_ENV) {
		send_error(in, m->id, "execx: %u arguments (1..%d), %u env (0..%d)",
		    argc, MAX_ARGS, envc, MAX_EXEC_ENV);
		return;
	}
	s = (const char *)m->payload + PROTO_EXECX_FIXED;
	end = (const char *)m->payload + m->len;
	if (take_strings(&s, end, &cwd, 1) == -1 ||
	    take_strings(&s, end, argv, argc) == -1 ||
	    take_strings(&s, end, env, envc) == -1 || s != end) {
		send_error(in, m->id, "execx: strings do not match argc %u, envc %u", argc, envc);
		return;
	}
	argv[argc] = NULL;
	for (i = 0; i < envc; i++) {
		if (strchr(env[i], '=') == NULL || env[i][0] == '=') {
			send_error(in, m->id, "execx: env entry %u is not KEY=VALUE", i);
			return;
		}
	}
	if (argv[0][0] == '\0') {
		send_error(in, m->id, "exec: empty program name");
		return;
	}
	sp.nenv = envc;
	sp.cwd = cwd[0] ? cwd : NULL;
	if (flags & PROTO_EXECX_PTY) {
		rows = rows ? rows : 24;
		cols = cols ? cols : 80;
	} else {
		rows = cols = 0;
	}
	spawn(in, m->id, &sp, timeout, rows, cols);
}

static void
do_winsz(struct init *in, const struct proto_msg *m)
{
	struct proc *p = proc_by_id(in, m->id);
	struct winsize ws;

	if (m->len != 4) {
		send_error(in, m->id, "winsz: payload must be 4 bytes, not %u", m->len);
		return;
	}
	if (p == NULL || !p->pty || p->outfd == -1)
		return;	/* ended, or not on a pty: nothing to resize */
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = proto_get_u16(m->payload);
	ws.ws_col = proto_get_u16(m->payload + 2);
	/* The kernel sends SIGWINCH to the foreground process group. */
	ioctl(p->outfd, TIOCSWINSZ, &ws);
}

/* --- files: PUT, PUTDATA, GET --- */

static struct xfer *
xfer_by_id(struct init *in, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_XFERS; i++)
		if (in->xfers[i].id != 0 && in->xfers[i].id == id)
			return &in->xfers[i];
	return NULL;
}

static void
xfer_end(struct xfer *x)
{
	if (x->fd != -1)
		close(x->fd);
	free(x->path);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

/* Copy a path out of a payload: NUL-terminated, no other NUL. */
static int
payload_path(const uint8_t *p, size_t len, char *out)
{
	if (len < 2 || len > PROTO_PATH_MAX + 1 || p[len - 1] != '\0' ||
	    memchr(p, '\0', len - 1) != NULL)
		return -1;
	memcpy(out, p, len);
	return 0;
}

static void
do_put(struct init *in, const struct proto_msg *m)
{
	char path[PROTO_PATH_MAX + 1];
	struct xfer *x = NULL;
	uint32_t mode;
	int i;

	if (m->id == 0 || xfer_by_id(in, m->id) != NULL) {
		send_error(in, m->id, "put: id %u is 0 or in use", m->id);
		return;
	}
	if (m->len < 4 || payload_path(m->payload + 4, m->len - 4, path) == -1) {
		send_error(in, m->id, "put: want u32 mode and a NUL-terminated path");
		return;
	}
	mode = proto_get_u32(m->payload) & 07777;
	for (i = 0; i < MAX_XFERS; i++) {
		if (in->xfers[i].id == 0) {
			x = &in->xfers[i];
			break;
		}
	}
	if (x == NULL) {
		send_error(in, m->id, "put %s: %d transfers already open", path, MAX_XFERS);
		return;
	}
	/* A failed open still takes the slot: its PUTDATA is dropped, the
	 * ERROR is sent once. */
	x->id = m->id;
	x->mode = mode;
	x->path = strdup(path);
	x->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (x->fd == -1)
		send_error(in, m->id, "put %s: %s", path, strerror(errno));
}

static void
do_putdata(struct init *in, const struct proto_msg *m)
{
	struct xfer *x = xfer_by_id(in, m->id);
	size_t off = 0;
	ssize_t n;

	if (x == NULL)
		return;	/* an unknown id: the host gave up on it */
	if (m->len == 0) {
		if (x->fd != -1) {
			if (fchmod(x->fd, x->mode) == -1 || close(x->fd) == -1)
				send_error(in, m->id, "put %s: %s", x->path, strerror(errno));
			else
				send_msg(in, PROTO_DONE, m->id, NULL, 0);
			x->fd = -1;
		}
		xfer_end(x);
		return;
	}
	while (x->fd != -1 && off < m->len) {
		if ((n = write(x->fd, m->payload + off, m->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			send_error(in, m->id, "put %s: write: %s", x->path, strerror(errno));
			close(x->fd);
			x->fd = -1;
			break;
		}
		off += n;
	}
}

/* Synchronous: the host reads its end from an event loop. */
static void
do_get(struct init *in, const struct proto_msg *m)
{
	static uint8_t buf[GET_CHUNK];
	char path[PROTO_PATH_MAX + 1];
	uint8_t hdr[12];
	struct stat st;
	ssize_t n;
	int fd;

	if (m->id == 0 || payload_path(m->payload, m->len, path) == -1) {
		send_error(in, m->id, "get: want a non-zero id and a NUL-terminated path");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		send_error(in, m->id, "get %s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		send_error(in, m->id, "get %s: %s", path,
		    S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file");
		close(fd);
		return;
	}
	proto_put_u32(hdr, st.st_mode & 07777);
	proto_put_u32(hdr + 4, (uint32_t)st.st_size);
	proto_put_u32(hdr + 8, (uint32_t)((uint64_t)st.st_size >> 32));
	send_msg(in, PROTO_FILE, m->id, hdr, sizeof(hdr));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		send_msg(in, PROTO_GETDATA, m->id, buf, n);
	if (n == -1)
		send_error(in, m->id, "get %s: read: %s", path, strerror(errno));
	else
		send_msg(in, PROTO_DONE, m->id, NULL, 0);
	close(fd);
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

			if (p->used && !p->reaped && !p->detached && p->pid == pid) {
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
	/* A pty master reads EIO once the last slave fd is closed. */
	if (n <= 0) {
		close(*fdp);
		*fdp = -1;
		proc_maybe_done(in, p);
		return;
	}
	if (!p->detached)	/* a leftover process's output: dropped */
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
	case PROTO_EXECX:
		do_execx(in, m);
		break;
	case PROTO_WINSZ:
		do_winsz(in, m);
		break;
	case PROTO_PUT:
		do_put(in, m);
		break;
	case PROTO_PUTDATA:
		do_putdata(in, m);
		break;
	case PROTO_GET:
		do_get(in, m);
		break;
	case PROTO_POWEROFF:
		if (in->shutdown != NULL)
			run_script(in, in->shutdown, SHUTDOWN_LOG, SHUTDOWN_MS);
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
	/* A big read is acknowledged before handling, so the host streams on
	 * while we work; a small one (a request) after, so that the request
	 * does not wait for the ACK's trip down the serial line. */
	proto_put_u32(ack, (uint32_t)n);
	if (n >= PROTO_WINDOW / 2)
		send_msg(in, PROTO_ACK, 0, ack, sizeof(ack));
	proto_decoder_commit(&in->dec, n);
	while ((r = proto_decoder_next(&in->dec, &m)) == 1)
		handle(in, &m);
	if (n < PROTO_WINDOW / 2)
		send_msg(in, PROTO_ACK, 0, ack, sizeof(ack));
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
	int i, n, k, timeout;

	for (;;) {
		timeout = check_timers(in);
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
		if (poll(pfd, n, timeout) == -1) {
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
			rename_vector_nics(s);
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
