/*
 * deepq.c - the unix datagram sockets behind the fabric's guest ports,
 * made with a deep receive queue when the machine allows it.
 *
 * A guest sends its frames to PATH, our unconnected socket.  For a sender
 * that is not its peer, the kernel caps an AF_UNIX datagram socket's
 * receive queue at net.unix.max_dgram_qlen datagrams (10 on Debian): the
 * eleventh frame of a burst makes the guest's send fail, and a fast guest
 * spends its time blocked while the fabric has work queued behind a
 * wakeup.  We cannot connect() to the guest instead: a connected datagram
 * socket refuses every other sender, so a rebooted guest (same PATH+, new
 * socket) could not plug in again until we happened to send to the dead
 * one.
 *
 * The cap is read from the socket's network namespace when the socket is
 * made, and a pathname socket works across namespaces.  So a short-lived
 * child enters a network namespace of its own (inside a user namespace
 * when we are not root), raises the sysctl there, makes a batch of
 * sockets, passes them back over SCM_RIGHTS and exits.  The namespace
 * holds nothing else and dies with the last of its sockets.  Where user
 * namespaces are off (a sysctl, a container's seccomp policy, a chroot),
 * ports get plain sockets and ns_fabric_queue_note() says why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* unshare */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netsim/netsim_int.h"

#define QLEN_SYSCTL "/proc/sys/net/unix/max_dgram_qlen"

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(s);

	if (fd < 0)
		return -1;
	n = write(fd, s, (size_t)len);
	close(fd);
	return n == len ? 0 : -1;
}

/* In the child: a namespace, the sysctl, n sockets to fd sv.  Only
 * system calls here (the parent may hold locks in libc). */
static void __attribute__((noreturn))
child(int sv, int n, int root, const char *uidmap, const char *gidmap, const char *qlen)
{
	int fds[NS_DEEPQ_BATCH];
	char cbuf[CMSG_SPACE(sizeof(fds))];
	char why = 0;
	struct iovec iov = { &why, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };	/* why, and the fds if none */
	struct cmsghdr *c;
	int i;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (root ? unshare(CLONE_NEWNET) : unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		why = 'u';
		goto out;
	}
	if (!root && (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", uidmap) || write_file("/proc/self/gid_map", gidmap))) {
		why = 'm';
		goto out;
	}
	if (write_file(QLEN_SYSCTL, qlen)) {
		why = 's';
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((fds[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
			why = 'k';
			goto out;
		}
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_control = cbuf;
	m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
out:
	_exit(sendmsg(sv, &m, 0) == 1 ? 0 : 1);
}

static const char *
why_text(char why)
{
	switch (why) {
	case 'u': return "no network namespace of our own (user namespaces off here?)";
	case 'm': return "could not map our uid in a user namespace";
	case 's': return "could not raise " QLEN_SYSCTL " in our namespace";
	case 'k': return "socket() failed in our namespace";
	default: return "the socket maker failed";
	}
}

/* Refill f's pool; -1 and f->deepq_why set when the machine will not. */
static int
refill(struct ns_fabric *f)
{
	char uidmap[64], gidmap[64], qlen[16], why = 0, cbuf[CMSG_SPACE(sizeof(int) * NS_DEEPQ_BATCH)];
	struct iovec iov = { &why, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sv[2], root = geteuid() == 0;
	ssize_t r;
	pid_t pid;

	snprintf(uidmap, sizeof(uidmap), "0 %u 1", (unsigned)geteuid());
	snprintf(gidmap, sizeof(gidmap), "0 %u 1", (unsigned)getegid());
	snprintf(qlen, sizeof(qlen), "%d", NS_DEEPQ_LEN);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		f->deepq_why = "socketpair failed";
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		f->deepq_why = "fork failed";
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], NS_DEEPQ_BATCH, root, uidmap, gidmap, qlen);
	}
	close(sv[1]);
	do
		r = recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	c = r == 1 ? CMSG_FIRSTHDR(&m) : NULL;
	if (r != 1 || why != 0 || c == NULL || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int) * NS_DEEPQ_BATCH)) {
		if (c != NULL && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < n; i++)
				close(((int *)CMSG_DATA(c))[i]);
		}
		f->deepq_why = why_text(why);
		return -1;
	}
	memcpy(f->deepq_pool, CMSG_DATA(c), sizeof(int) * NS_DEEPQ_BATCH);
	f->deepq_n = NS_DEEPQ_BATCH;
	return 0;
}

int
ns_deepq_socket(struct ns_fabric *f)
{
	if (f->deepq_n == 0 && f->deepq_why == NULL && refill(f) < 0)
		f->deepq_n = 0;
	if (f->deepq_n > 0)
		return f->deepq_pool[--f->deepq_n];
	return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

void
ns_deepq_fini(struct ns_fabric *f)
{
	while (f->deepq_n > 0)
		close(f->deepq_pool[--f->deepq_n]);
}

const char *
ns_fabric_queue_note(struct ns_fabric *f, char *buf, size_t len)
{
	if (f->deepq_n == 0 && f->deepq_why == NULL)
		(void)refill(f);	/* no port yet: find out now */
	if (f->deepq_why == NULL)
		snprintf(buf, len, "guest ports queue up to %d frames (a network namespace of their own)",
		    NS_DEEPQ_LEN);
	else
		snprintf(buf, len, "guest ports queue at most net.unix.max_dgram_qlen frames: %s",
		    f->deepq_why);
	return buf;
}
