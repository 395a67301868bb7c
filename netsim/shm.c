/*
 * shm.c - the fabric's side of the umlab:// transport (shmring.h): a
 * program on the host that opens umlab://PATH with libvdeplug (through
 * netsim/libvdeplug_umlab.c) connects to a port's listener like a guest
 * does, says SHM_HELLO, and from then on frames move through two rings in
 * a memfd both sides map.  Neither side makes a system call per frame:
 * the fabric reads a batch straight out of the ring (the frames are
 * switched where they lie, as with recvmmsg's buffers) and copies frames
 * for the plug into its ring, kicking it only when it said it sleeps.
 *
 * The port's fd is then our end of the kick_fab socketpair: the data path
 * (pausing for backpressure included) watches it as it watches a guest's
 * connection.  The connection itself is only watched for its end.
 *
 * Every kick is a byte on a socketpair, sent and received with
 * MSG_DONTWAIT, never an eventfd: O_NONBLOCK belongs to the open file
 * description, which SCM_RIGHTS shares, so a plug could make a shared
 * eventfd blocking and hang the controller in read() or write().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim_int.h"
#include "netsim/shmring.h"

#define MASK (SHM_SLOTS - 1)
#define SHM_ROUNDS 8		/* batches per wakeup, then other fds get a turn */

struct ns_shm {
	struct shm_area *a;
	int ctl;			/* the connection: its end is the plug's */
	int kick_rx;			/* a byte here wakes the plug */
	int kick_space;			/* a byte here: room for a waiting plug */
	int kick_self;			/* the plug's end of kick_fab: we wake ourselves */
	uint32_t in_tail;		/* ring[SHM_TOFAB]: we consume */
	uint32_t out_head;		/* ring[SHM_FROMFAB]: we produce */
	uint32_t out_tail;		/* its tail as last read */
	int ctl_polled;
};

int
ns_shm_is_hello(const void *msg, size_t len)
{
	return len == sizeof(SHM_HELLO) && memcmp(msg, SHM_HELLO, len) == 0;
}

/* Empty our end of a kick socketpair, within reason: a plug that floods
 * it only keeps its own port awake. */
static void
drain(int fd)
{
	char b[256];
	int i;

	for (i = 0; i < 16 && recv(fd, b, sizeof(b), MSG_DONTWAIT) == (ssize_t)sizeof(b); i++)
		;
}

/* Frames waiting in the plug's ring, or -1 if its head makes no sense. */
static int64_t
in_avail(struct ns_shm *s)
{
	uint32_t n = atomic_load_explicit(&s->a->ring[SHM_TOFAB].head, memory_order_acquire) -
	    s->in_tail;

	return n > SHM_SLOTS ? -1 : (int64_t)n;
}

/* Switch up to NS_BATCH frames from the plug's ring, where they lie. */
static void
take_batch(struct ns_port *p, struct ns_shm *s, uint32_t n)
{
	struct shm_ring *r = &s->a->ring[SHM_TOFAB];
	struct iovec fr[NS_BATCH];
	uint32_t i;

	if (n > NS_BATCH)
		n = NS_BATCH;
	for (i = 0; i < n; i++) {
		struct shm_slot *sl = &r->slot[(s->in_tail + i) & MASK];
		/* read once: the plug may write it again at any time */
		uint32_t len = *(volatile uint32_t *)&sl->len;

		fr[i].iov_base = sl->data;
		fr[i].iov_len = len > SHM_MTU ? 0 : len;	/* 0: an rx error */
	}
	/* the frames are sent (or copied) before this returns */
	ns_rx_frames(p, fr, (int)n);
	if (p->shm != s)
		return;		/* dropped while we forwarded */
	s->in_tail += n;
	atomic_store_explicit(&r->tail, s->in_tail, memory_order_release);
	shm_wake(&r->prod_wait, s->kick_space);	/* the plug may wait for room */
}

/* The plug's kick, or the loop coming back to a ring we left frames in. */
static void
shm_readable(int fd, uint32_t events, void *arg)
{
	struct ns_port *p = arg;
	struct ns_shm *s = p->shm;
	struct shm_ring *r;
	int64_t n;
	int round, drained = 0;

	(void)events;
	if (s == NULL || p->paused)
		return;
	r = &s->a->ring[SHM_TOFAB];
	for (round = 0; round < SHM_ROUNDS; round++) {
		if ((n = in_avail(s)) < 0)
			goto broken;
		if (n == 0) {
			/* empty: reset the kick, say we sleep, look again */
			drain(fd);
			drained = 1;
			atomic_store_explicit(&r->cons_sleep, 1, memory_order_relaxed);
			atomic_thread_fence(memory_order_seq_cst);
			if ((n = in_avail(s)) < 0)
				goto broken;
			if (n == 0)
				return;		/* asleep: the next frame kicks */
			atomic_store_explicit(&r->cons_sleep, 0, memory_order_relaxed);
		}
		take_batch(p, s, (uint32_t)n);
		if (p->shm != s || p->paused)
			break;
	}
	/* frames are left (or a stalled egress paused us): keep our kick
	 * readable so that the loop comes back when it may */
	if (p->shm == s && drained)
		shm_kick(s->kick_self);
	return;
broken:
	fprintf(stderr, "umlab: netsim: port %s: the umlab:// plug broke its ring; dropped\n",
	    p->name);
	p->c.rx_errors++;
	ns_stream_drop(p);
}

/* The connection ended (or the plug wrote on it, which it never does):
 * take what it sent before it went, then forget it. */
static void
shm_ctl_event(int fd, uint32_t events, void *arg)
{
	struct ns_port *p = arg;
	struct ns_shm *s = p->shm;
	char b[64];
	int64_t n;
	int round;

	if ((events & EPOLLIN) && !(events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) &&
	    recv(fd, b, sizeof(b), MSG_DONTWAIT) != 0)
		return;		/* not the end */
	/* one ringful at most: a plug gone from the connection may still
	 * write the mapping */
	for (round = 0; round < (int)(SHM_SLOTS / NS_BATCH) && p->shm == s && !p->paused &&
	    (n = in_avail(s)) > 0; round++)
		take_batch(p, s, (uint32_t)n);
	if (p->shm == s)
		ns_stream_drop(p);
}

/* Map a fresh sealed memfd holding both rings.  The memfd, or -1. */
static int
area_new(struct shm_area **out)
{
	struct shm_area *a;
	int fd;

	if ((fd = memfd_create("umlab-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, sizeof(*a)) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == -1 ||
	    (a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	a->magic = SHM_MAGIC;
	a->nslots = SHM_SLOTS;
	a->slotsz = SHM_SLOTSZ;
	/* neither side has looked at its ring yet: the first frames kick */
	atomic_store(&a->ring[SHM_FROMFAB].cons_sleep, 1);
	atomic_store(&a->ring[SHM_TOFAB].cons_sleep, 1);
	*out = a;
	return fd;
}

static void
shm_close(struct ns_shm *s)
{
	if (s->a != NULL)
		munmap(s->a, sizeof(*s->a));
	if (s->kick_rx >= 0)
		close(s->kick_rx);
	if (s->kick_space >= 0)
		close(s->kick_space);
	if (s->kick_self >= 0)
		close(s->kick_self);
	if (s->ctl >= 0)
		close(s->ctl);
	free(s);
}

/*
 * p's fresh connection said SHM_HELLO: hand it the rings and its kicks,
 * and switch p over.  On failure the connection is dropped (the plug's
 * open fails) and a line says why.
 */
void
ns_shm_start(struct ns_port *p)
{
	struct ns_fabric *f = p->sw->f;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * SHM_NFDS)];
	} cm;
	struct shm_welcome w = { SHM_MAGIC, sizeof(struct shm_area) };
	struct iovec iov = { &w, sizeof(w) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
		.msg_controllen = sizeof(cm.b) };
	struct cmsghdr *ch;
	struct ns_shm *s;
	/* [0] ours, [1] the plug's */
	int mfd = -1, kf[2] = { -1, -1 }, rx[2] = { -1, -1 }, sp[2] = { -1, -1 };
	int fds[SHM_NFDS];

	memset(&cm, 0, sizeof(cm));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->ctl = s->kick_rx = s->kick_space = s->kick_self = -1;
	if ((mfd = area_new(&s->a)) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, kf) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rx) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		goto fail;
	fds[0] = mfd;
	fds[1] = kf[1];		/* the plug kicks us here */
	fds[2] = rx[1];		/* its datafd: we kick it from rx[0] */
	fds[3] = sp[1];		/* room: we kick it from sp[0] */
	fds[4] = rx[0];		/* the plug's copy, to wake itself */
	ch = CMSG_FIRSTHDR(&mh);
	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	ch->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(ch), fds, sizeof(fds));
	if (sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(w))
		goto fail;
	close(mfd);
	close(rx[1]);		/* the plug's now */
	close(sp[1]);
	s->kick_rx = rx[0];
	s->kick_space = sp[0];
	s->kick_self = kf[1];	/* we keep a copy: a byte here wakes us */
	/* the connection is only watched for its end now; kf[0] is the data */
	if (p->polled)
		loop_del_fd(f->l, p->fd);
	p->polled = 0;
	s->ctl = p->fd;
	p->fd = kf[0];
	p->shm = s;
	if (f->l != NULL) {
		if (loop_add_fd(f->l, s->ctl, EPOLLIN | EPOLLRDHUP, shm_ctl_event, p) == -1)
			goto fail_switched;
		s->ctl_polled = 1;
		if (loop_add_fd(f->l, kf[0], p->paused ? 0 : EPOLLIN, shm_readable, p) == -1)
			goto fail_switched;
		p->polled = 1;
	}
	p->shm_plugs++;
	return;
fail_switched:
	fprintf(stderr, "umlab: netsim: port %s: umlab:// plug: %s\n", p->name, strerror(errno));
	ns_stream_drop(p);
	return;
fail:
	fprintf(stderr, "umlab: netsim: port %s: umlab:// plug: %s\n", p->name, strerror(errno));
	if (mfd >= 0)
		close(mfd);
	for (int i = 0; i < 2; i++) {
		if (kf[i] >= 0)
			close(kf[i]);
		if (rx[i] >= 0)
			close(rx[i]);
		if (sp[i] >= 0)
			close(sp[i]);
	}
	if (s != NULL)
		shm_close(s);
	ns_stream_drop(p);
}

/* For ns_stream_drop: forget the plug's rings and kicks (not p->fd). */
void
ns_shm_free(struct ns_port *p)
{
	struct ns_shm *s = p->shm;

	if (s == NULL)
		return;
	if (s->ctl_polled)
		loop_del_fd(p->sw->f->l, s->ctl);
	p->shm = NULL;
	shm_close(s);
}

/* Room in the plug's ring, reading its tail again only when needed. */
static uint32_t
out_room(struct ns_shm *s)
{
	uint32_t used = s->out_head - s->out_tail;

	if (used >= SHM_SLOTS) {
		s->out_tail = atomic_load_explicit(&s->a->ring[SHM_FROMFAB].tail,
		    memory_order_acquire);
		used = s->out_head - s->out_tail;
		if (used > SHM_SLOTS)	/* a tail ahead of our head: nonsense */
			return 0;
	}
	return SHM_SLOTS - used;
}

/*
 * sendmmsg's contract on the plug's ring: copies m[0..n) while there is
 * room and returns how many (setting msg_len), or -1 with EAGAIN (full)
 * or EMSGSIZE (m[0] does not fit a slot).
 */
int
ns_shm_send(struct ns_port *p, struct mmsghdr *m, unsigned n)
{
	struct ns_shm *s = p->shm;
	struct shm_ring *r = &s->a->ring[SHM_FROMFAB];
	uint32_t room = out_room(s);
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct msghdr *h = &m[i].msg_hdr;
		struct shm_slot *sl;
		size_t len = 0, k;

		if (room == 0 && (room = out_room(s)) == 0)
			break;
		for (k = 0; k < h->msg_iovlen; k++)
			len += h->msg_iov[k].iov_len;
		if (len > SHM_MTU)
			break;
		sl = &r->slot[s->out_head & MASK];
		len = 0;
		for (k = 0; k < h->msg_iovlen; k++) {
			memcpy(sl->data + len, h->msg_iov[k].iov_base, h->msg_iov[k].iov_len);
			len += h->msg_iov[k].iov_len;
		}
		sl->len = (uint32_t)len;
		m[i].msg_len = (unsigned)len;
		s->out_head++;
		room--;
	}
	if (i > 0) {
		atomic_store_explicit(&r->head, s->out_head, memory_order_release);
		shm_wake(&r->cons_sleep, s->kick_rx);
		return (int)i;
	}
	errno = n == 0 || room == 0 ? EAGAIN : EMSGSIZE;
	return -1;
}

void
ns_port_allow_shm(struct ns_port *p)
{
	p->shm_ok = 1;
}

unsigned
ns_port_shm_plugs(const struct ns_port *p)
{
	return p->shm_plugs;
}
