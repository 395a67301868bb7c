/*
 * libvdeplug_umlab.c - the vdeplug4 plugin for umlab://PATH: a program on
 * the host (vde_plug, a packet generator, anything linked with libvdeplug)
 * takes a port of a running lab's switch, and frames move through shared
 * memory rings instead of one socket message each.  The layout, the
 * handshake and the wakeup protocol are in netsim/shmring.h; the fabric's
 * side is netsim/shm.c.
 *
 * libvdeplug finds the plugin as libvdeplug_umlab.so in its plugin folder
 * (where libvdeplug.so is, under vdeplug/), or in VDEPLUGIN_PATH, which,
 * when set, is the only place it looks.
 *
 * Callers differ in how they wait, and the plug follows the datafd's
 * O_NONBLOCK flag (the flags argument is 0 for all of them):
 *  - set (an event loop that reads until EAGAIN): vde_recv on an empty
 *    ring and vde_send on a full ring fail with EAGAIN;
 *  - clear: vde_send waits for room, as a blocking socket does; vde_recv
 *    on an empty ring returns 0 if the datafd was readable (vde_plug polls
 *    first and gives up on a negative return; the kick it woke for was for
 *    frames it has read already), else waits up to 200 ms.
 * A caller that polls the datafd before each vde_recv must never sleep
 * beside waiting frames: when the plug emptied the kick socket and still
 * found frames, it writes a byte into it itself (kick_self).
 *
 * Two limits of the datafd, both as documented for vdeplug4 callers that
 * also watch the ctlfd (vde_plug does): it never reports POLLOUT-only
 * waits (a non-blocking sender facing a full ring gets EAGAIN and must
 * retry), and it never hangs up (the plug holds both ends of its kick
 * socket); the end of the lab shows on the ctlfd, the connection.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvdeplug_mod.h>

#include "netsim/shmring.h"

#define MASK (SHM_SLOTS - 1)
#define WAIT_MS 200

struct umlab_conn {
	void *handle;			/* libvdeplug's: must come first */
	struct vdeplug_module *module;
	int ctl, kick_fab, kick_rx, kick_space, kick_self;
	struct shm_area *a;
	uint32_t tx_head, tx_tail;	/* to-fabric ring: we produce */
	uint32_t rx_tail, rx_head;	/* from-fabric ring: we consume */
};

static int
nonblocking(const struct umlab_conn *c)
{
	int fl = fcntl(c->kick_rx, F_GETFL);

	return fl == -1 || (fl & O_NONBLOCK);
}

/* Empty a kick socket without blocking; 1 if there was anything.  Every
 * kick is a byte on a socketpair, with MSG_DONTWAIT: the descriptors are
 * shared with the fabric, and so is their O_NONBLOCK flag. */
static int
drain(int fd)
{
	char b[64];
	int any = 0;

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		any = 1;
	return any;
}


static void
close_fds(const int *fd, int n)
{
	int e = errno;

	while (n-- > 0)
		if (fd[n] >= 0)
			close(fd[n]);
	errno = e;
}

/* Connect, say hello, take the welcome and its descriptors. */
static int
handshake(const char *path, int fds[SHM_NFDS], struct shm_welcome *w)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * SHM_NFDS)];
	} cm;
	struct iovec iov = { w, sizeof(*w) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
		.msg_controllen = sizeof(cm.b) };
	struct timeval tmo = { .tv_sec = 5 };
	struct cmsghdr *ch;
	ssize_t r;
	int s, n;

	if (strlen(path) >= sizeof(sun.sun_path))
		return errno = ENAMETOOLONG, -1;
	strcpy(sun.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* a port that does not answer (a guest's: it takes the hello for a
	 * frame) must not hang the caller */
	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    send(s, SHM_HELLO, sizeof(SHM_HELLO), MSG_NOSIGNAL) == -1 ||
	    (r = recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		close_fds(&s, 1);
		return -1;
	}
	ch = CMSG_FIRSTHDR(&mh);
	if (ch == NULL || ch->cmsg_level != SOL_SOCKET || ch->cmsg_type != SCM_RIGHTS ||
	    ch->cmsg_len != CMSG_LEN(sizeof(int) * SHM_NFDS)) {
		/* whatever descriptors came (fewer, if we are near our limit) */
		if (ch != NULL && ch->cmsg_level == SOL_SOCKET && ch->cmsg_type == SCM_RIGHTS &&
		    (n = (int)((ch->cmsg_len - CMSG_LEN(0)) / sizeof(int))) > 0 && n <= SHM_NFDS) {
			memcpy(fds, CMSG_DATA(ch), sizeof(int) * (size_t)n);
			close_fds(fds, n);
		}
		/* closed without a welcome: not a umlab port, or it refused */
		close_fds(&s, 1);
		return errno = r == 0 ? ECONNREFUSED : (mh.msg_flags & MSG_CTRUNC) ? EMFILE : EPROTO, -1;
	}
	memcpy(fds, CMSG_DATA(ch), sizeof(int) * SHM_NFDS);
	if (r != (ssize_t)sizeof(*w) || w->magic != SHM_MAGIC ||
	    w->size != sizeof(struct shm_area)) {
		close_fds(fds, SHM_NFDS);
		close_fds(&s, 1);
		return errno = EPROTO, -1;
	}
	return s;
}

static VDECONN *
umlab_open(char *url, char *descr, int interface_version, struct vde_open_args *open_args)
{
	struct shm_welcome w;
	struct umlab_conn *c;
	int fds[SHM_NFDS], s;
	void *a;

	(void)descr;
	(void)interface_version;
	(void)open_args;
	if ((s = handshake(url, fds, &w)) == -1)
		return NULL;
	a = mmap(NULL, sizeof(struct shm_area), PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	close(fds[0]);
	fds[0] = -1;
	if (a == MAP_FAILED || (c = calloc(1, sizeof(*c))) == NULL) {
		if (a != MAP_FAILED)
			munmap(a, sizeof(struct shm_area));
		close_fds(fds, SHM_NFDS);
		close_fds(&s, 1);
		return NULL;
	}
	c->a = a;
	c->ctl = s;
	c->kick_fab = fds[1];
	c->kick_rx = fds[2];
	c->kick_space = fds[3];
	c->kick_self = fds[4];
	c->tx_head = atomic_load(&c->a->ring[SHM_TOFAB].head);
	c->tx_tail = atomic_load(&c->a->ring[SHM_TOFAB].tail);
	c->rx_tail = atomic_load(&c->a->ring[SHM_FROMFAB].tail);
	c->rx_head = atomic_load(&c->a->ring[SHM_FROMFAB].head);
	return (VDECONN *)c;
}

/* Wait (or not) for a frame in the from-fabric ring: 1 when one is
 * there, 0 for "nothing, no error" (see the top), -1 and errno. */
static int
rx_wait(struct umlab_conn *c)
{
	struct shm_ring *r = &c->a->ring[SHM_FROMFAB];
	struct pollfd p = { .fd = c->kick_rx, .events = POLLIN };

	for (;;) {
		int nb = nonblocking(c), kicked;

		if (c->rx_tail != (c->rx_head = atomic_load_explicit(&r->head, memory_order_acquire)))
			return 1;
		/* empty: reset the kick, say we sleep, look again */
		kicked = drain(c->kick_rx);
		atomic_store_explicit(&r->cons_sleep, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (c->rx_tail != (c->rx_head = atomic_load_explicit(&r->head, memory_order_acquire))) {
			atomic_store_explicit(&r->cons_sleep, 0, memory_order_relaxed);
			/* we may have eaten the kick for these frames */
			if (kicked || nb)
				shm_kick(c->kick_self);
			return 1;
		}
		if (nb)
			return errno = EAGAIN, -1;
		if (kicked)
			return 0;
		if (poll(&p, 1, WAIT_MS) <= 0)
			return errno = EAGAIN, -1;
	}
}

static ssize_t
umlab_recv(VDECONN *conn, void *buf, size_t len, int flags)
{
	struct umlab_conn *c = (struct umlab_conn *)conn;
	struct shm_ring *r = &c->a->ring[SHM_FROMFAB];
	struct shm_slot *s;
	uint32_t n;
	int w;

	(void)flags;
	if (c->rx_tail == c->rx_head && (w = rx_wait(c)) <= 0)
		return w;
	s = &r->slot[c->rx_tail & MASK];
	n = s->len;
	if (n > SHM_MTU)
		n = SHM_MTU;
	if (n > len)
		n = (uint32_t)len;
	memcpy(buf, s->data, n);
	atomic_store_explicit(&r->tail, ++c->rx_tail, memory_order_release);
	shm_wake(&r->prod_wait, c->kick_fab);
	return n;
}

/* Room for one frame in the to-fabric ring: 0, or -1 and errno. */
static int
tx_room(struct umlab_conn *c)
{
	struct shm_ring *r = &c->a->ring[SHM_TOFAB];
	struct pollfd p = { .fd = c->kick_space, .events = POLLIN };

	while (c->tx_head - c->tx_tail >= SHM_SLOTS &&
	    c->tx_head - (c->tx_tail = atomic_load_explicit(&r->tail, memory_order_acquire)) >=
	    SHM_SLOTS) {
		struct pollfd h = { .fd = c->ctl, .events = POLLRDHUP };

		if (nonblocking(c))
			return errno = EAGAIN, -1;
		if (poll(&h, 1, 0) == 1)
			return errno = ECONNRESET, -1;	/* the lab is gone */
		drain(c->kick_space);
		atomic_store_explicit(&r->prod_wait, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (c->tx_head - (c->tx_tail = atomic_load_explicit(&r->tail, memory_order_acquire)) <
		    SHM_SLOTS) {
			atomic_store_explicit(&r->prod_wait, 0, memory_order_relaxed);
			break;
		}
		(void)poll(&p, 1, WAIT_MS);
	}
	return 0;
}

static ssize_t
umlab_send(VDECONN *conn, const void *buf, size_t len, int flags)
{
	struct umlab_conn *c = (struct umlab_conn *)conn;
	struct shm_ring *r = &c->a->ring[SHM_TOFAB];
	struct shm_slot *s;

	(void)flags;
	if (len > SHM_MTU)
		return errno = EMSGSIZE, -1;
	if (tx_room(c) == -1)
		return -1;
	s = &r->slot[c->tx_head & MASK];
	s->len = (uint32_t)len;
	memcpy(s->data, buf, len);
	atomic_store_explicit(&r->head, ++c->tx_head, memory_order_release);
	shm_wake(&r->cons_sleep, c->kick_fab);
	return (ssize_t)len;
}

static int
umlab_datafd(VDECONN *conn)
{
	return ((struct umlab_conn *)conn)->kick_rx;
}

/* The connection: it hangs up when the lab stops. */
static int
umlab_ctlfd(VDECONN *conn)
{
	return ((struct umlab_conn *)conn)->ctl;
}

static int
umlab_close(VDECONN *conn)
{
	struct umlab_conn *c = (struct umlab_conn *)conn;
	int fds[] = { c->ctl, c->kick_fab, c->kick_rx, c->kick_space, c->kick_self };

	munmap(c->a, sizeof(*c->a));
	close_fds(fds, 5);
	free(c);
	return 0;
}

__attribute__((visibility("default"))) struct vdeplug_module vdeplug_ops = {
	.vde_open_real = umlab_open,
	.vde_recv = umlab_recv,
	.vde_send = umlab_send,
	.vde_datafd = umlab_datafd,
	.vde_ctlfd = umlab_ctlfd,
	.vde_close = umlab_close,
};
