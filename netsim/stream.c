/*
 * stream.c - guest ports on a SOCK_SEQPACKET listener: UML's vector
 * network driver with its BESS transport (vecN:transport=bess,dst=PATH)
 * connects to PATH when the guest brings the interface up, and every
 * message on the connection is one Ethernet frame.
 *
 * Against a vdeplug4 ptp:// link (eth0=vde,ptp://PATH, what umlab used
 * before, see README.md), a stream port:
 *  - has no helper process: Debian's linux.uml runs a vde_plug process
 *    per VDE NIC and relays every frame through it; the vector driver
 *    talks to our socket itself, with recvmmsg/sendmmsg batches of its
 *    own;
 *  - is connected: no path lookup per frame, no net.unix.max_dgram_qlen
 *    cap (only the socket buffers limit what is queued);
 *  - knows its peer's life: a guest that dies or closes its interface is
 *    an EOF, and a new connection (a restarted guest, an interface taken
 *    down and up, a reboot from inside the guest) replaces the old one,
 *    so a restarted guest never finds the port taken.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim_int.h"

/* Make path free for a port: refuse it if a socket there answers
 * (somebody's live lab), remove it if none does (a leftover).  0, or -1
 * and err. */
static int
path_claim(const char *name, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int probe, live;

	if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return 0;
	/* EPROTOTYPE: a live socket of another kind; EAGAIN: a full backlog */
	live = connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EPROTOTYPE ||
	    errno == EAGAIN;
	close(probe);
	if (live) {
		snprintf(err, errlen, "port %s: bind %s: %s", name, path, strerror(EADDRINUSE));
		return -1;
	}
	(void)unlink(path);
	return 0;
}

/* Forget p's guest connection: frames for it are dropped until the next. */
void
ns_stream_drop(struct ns_port *p)
{
	struct ns_fabric *f = p->sw->f;

	if (p->fd < 0)
		return;
	if (p->polled)
		loop_del_fd(f->l, p->fd);
	p->polled = 0;
	ns_shm_free(p);
	close(p->fd);
	p->fd = -1;
	/* frames held back for the old guest mean nothing to the next one */
	p->q[NS_TO_NODE].c.drop[NS_DROP_NO_PEER] += p->nstall;
	p->nstall = 0;
}

static void
stream_accept(int lfd, uint32_t events, void *arg)
{
	struct ns_port *p = arg;
	struct ns_fabric *f = p->sw->f;
	int fd;

	(void)events;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct pollfd pf = { .fd = fd, .events = POLLRDHUP };

		/* gone before we took it (a probe, a guest that died at
		 * once): it must not replace a live guest */
		if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLRDHUP))) {
			close(fd);
			continue;
		}
		/* the newest connection is the guest's interface now */
		ns_stream_drop(p);
		ns_set_bufsize(fd);
		p->fd = fd;
		p->fresh = 1;
		if (f->l != NULL) {
			/* a paused port stays paused: bp_retry turns it on */
			if (loop_add_fd(f->l, fd, p->paused ? 0 : EPOLLIN, ns_port_readable, p) == -1) {
				close(fd);
				p->fd = -1;
				continue;
			}
			p->polled = 1;
		}
		p->connections++;
	}
}

struct ns_port *
ns_port_new(struct ns_switch *sw, const char *name, const char *path,
    char *err, size_t errlen)
{
	struct ns_fabric *f = sw->f;
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	struct ns_port *p;
	size_t plen = strlen(path);

	if (plen == 0 || plen >= sizeof(self.sun_path)) {
		snprintf(err, errlen, "port %s: bind %s: path too long for a unix socket", name, path);
		return NULL;
	}
	memcpy(self.sun_path, path, plen);
	if (path_claim(name, path, err, errlen) < 0)
		return NULL;
	if ((p = ns_port_alloc(sw, name, err, errlen)) == NULL)
		return NULL;
	if (asprintf(&p->url, "bess://%s", path) == -1) {
		p->url = NULL;
		snprintf(err, errlen, "port %s: %s", name, strerror(ENOMEM));
		ns_port_discard(p);
		return NULL;
	}
	if ((p->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(p->lfd, (struct sockaddr *)&self, sizeof(self)) == -1) {
		snprintf(err, errlen, "port %s: bind %s: %s", name, path, strerror(errno));
		ns_port_discard(p);
		return NULL;
	}
	p->bound = 1;
	(void)chmod(path, 0700);	/* the runtime hands it to the guest's uid */
	if (listen(p->lfd, 4) == -1 ||
	    (f->l != NULL && loop_add_fd(f->l, p->lfd, EPOLLIN, stream_accept, p) == -1)) {
		snprintf(err, errlen, "port %s: listen %s: %s", name, path, strerror(errno));
		ns_port_discard(p);
		return NULL;
	}
	p->lpolled = f->l != NULL;
	ns_port_attach(p);
	return p;
}

/* Test rigs without a loop: take a waiting connection now. */
void
ns_port_accept(struct ns_port *p)
{
	if (p->lfd >= 0)
		stream_accept(p->lfd, EPOLLIN, p);
}

unsigned
ns_port_connections(const struct ns_port *p)
{
	return p->connections;
}
