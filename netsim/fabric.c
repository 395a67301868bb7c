/*
 * fabric.c - switches, ports and their sockets on the controller's loop.
 *
 * A port is the first opener of a vdeplug4 ptp:// link: vde_open binds
 * PATH, the guest binds PATH+ and connects to PATH.  The fabric then does
 * its own batched I/O on vde_datafd(): one recvmmsg of up to NS_BATCH
 * frames per wakeup into one buffer set shared by the whole fabric, the
 * forwarding decision per frame, and one sendmmsg per egress port that
 * points into the same buffers (no copy, no allocation per frame).
 *
 * The fabric never connect()s its socket, unlike the first opener in
 * libvdeplug, which connects to PATH+ on its first send: a connected
 * datagram socket accepts only its peer, so after a guest restarts, its
 * new socket could not even connect to PATH (EPERM) until the stale peer
 * was found dead.  The price: the kernel caps our receive queue at
 * net.unix.max_dgram_qlen datagrams (10 on Debian) for a sender that is
 * not our peer, so a guest faster than the fabric sees EAGAIN sooner.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg, sendmmsg, asprintf */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim_int.h"

static void port_readable(int fd, uint32_t events, void *arg);

#if defined(__SANITIZE_ADDRESS__)
/*
 * libvdeplug loads its plugins with RTLD_DEEPBIND, which AddressSanitizer
 * refuses (it aborts the process).  Sanitizer builds of anything linking
 * the fabric get this dlopen first; it drops the flag and goes on to the
 * real one.  The plugins do not need it: libvdeplug finds their ops by
 * dlsym on the handle.
 */
void *
dlopen(const char *file, int mode)
{
	void *(*real)(const char *, int) =
	    (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");

	return real(file, mode & ~RTLD_DEEPBIND);
}
#endif

struct ns_fabric *
ns_fabric_new(struct loop *l)
{
	struct ns_fabric *f;
	int i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->l = l;
	if ((f->buf = malloc((size_t)NS_BATCH * NS_FRAME_MAX)) == NULL) {
		free(f);
		return NULL;
	}
	for (i = 0; i < NS_BATCH; i++) {
		f->rxiov[i].iov_base = f->buf + (size_t)i * NS_FRAME_MAX;
		f->rxiov[i].iov_len = NS_FRAME_MAX;
		f->rx[i].msg_hdr.msg_iov = &f->rxiov[i];
		f->rx[i].msg_hdr.msg_iovlen = 1;
	}
	return f;
}

static void
port_free(struct ns_port *p)
{
	struct ns_fabric *f = p->sw->f;

	if (p->conn != NULL) {
		if (f->l != NULL)
			loop_del_fd(f->l, p->fd);
		vde_close(p->conn);	/* closes fd, unlinks PATH */
	}
	ns_pcap_close(p->cap);
	free(p->name);
	free(p->url);
	free(p);
}

void
ns_fabric_free(struct ns_fabric *f)
{
	struct ns_switch *sw;
	int i;

	if (f == NULL)
		return;
	while ((sw = f->sw) != NULL) {
		f->sw = sw->next;
		for (i = 0; i < sw->nports; i++)
			port_free(sw->port[i]);
		ns_mt_fini(&sw->mt);
		free(sw->port);
		free(sw->out);
		free(sw->name);
		free(sw);
	}
	free(f->buf);
	free(f);
}

struct ns_switch *
ns_switch_new(struct ns_fabric *f, const char *name, enum ns_kind kind)
{
	struct ns_switch *sw, **tail;

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return NULL;
	if ((sw->name = strdup(name)) == NULL)
		goto fail;
	/* hubs and wires never learn: keep their table minimal */
	if (ns_mt_init(&sw->mt, kind == NS_SWITCH ? NS_MT_CAP : 4, NS_MT_AGE_NS) == -1)
		goto fail;
	sw->f = f;
	sw->kind = kind;
	/* keep creation order: it is the order reports list them in */
	for (tail = &f->sw; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = sw;
	return sw;
fail:
	free(sw->name);
	free(sw);
	return NULL;
}

void
ns_switch_set_aging(struct ns_switch *sw, int64_t age_ns)
{
	sw->mt.age_ns = age_ns;
}

const char *
ns_switch_name(const struct ns_switch *sw)
{
	return sw->name;
}

static void
set_bufsize(int fd, int force, int plain)
{
	int sz = NS_SOCKBUF;

	/* as root FORCE passes rmem_max/wmem_max; else take what we get */
	if (setsockopt(fd, SOL_SOCKET, force, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, plain, &sz, sizeof(sz));
}

struct ns_port *
ns_port_new(struct ns_switch *sw, const char *name, const char *path,
    char *err, size_t errlen)
{
	struct ns_fabric *f = sw->f;
	struct sockaddr_un self;
	socklen_t selflen = sizeof(self);
	struct ns_port *p;
	struct stat st;
	size_t plen = strlen(path);
	int fl;

	if (sw->kind == NS_WIRE && sw->nports == 2) {
		snprintf(err, errlen, "port %s: wire %s already has two ports", name, sw->name);
		return NULL;
	}
	/* room for the guest's PATH+ and the terminating NUL */
	if (plen == 0 || plen + 2 > sizeof(self.sun_path)) {
		snprintf(err, errlen, "port %s: bind %s: path too long for a unix socket", name, path);
		return NULL;
	}
	/* vde_open would quietly become the second opener of a live link:
	 * refuse a path whose socket answers */
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		memset(&self, 0, sizeof(self));
		self.sun_family = AF_UNIX;
		memcpy(self.sun_path, path, plen);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&self, sizeof(self)) == 0) {
			close(probe);
			snprintf(err, errlen, "port %s: bind %s: %s", name, path, strerror(EADDRINUSE));
			return NULL;
		}
		if (probe >= 0)
			close(probe);
	}
	if (sw->nports == sw->capports) {
		int ncap = sw->capports ? sw->capports * 2 : 8;
		struct ns_port **np;
		int *no;

		if ((np = realloc(sw->port, ncap * sizeof(*np))) == NULL)
			goto nomem;
		sw->port = np;
		if ((no = realloc(sw->out, ncap * sizeof(*no))) == NULL)
			goto nomem;
		sw->out = no;
		sw->capports = ncap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto nomem;
	p->sw = sw;
	p->fd = -1;
	if ((p->name = strdup(name)) == NULL || asprintf(&p->url, "ptp://%s", path) == -1) {
		p->url = NULL;
		port_free(p);
		goto nomem;
	}
	p->peer.sun_family = AF_UNIX;
	snprintf(p->peer.sun_path, sizeof(p->peer.sun_path), "%s+", path);
	p->peerlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 2);

	errno = 0;
	if ((p->conn = vde_open(p->url, "umlab", NULL)) == NULL) {
		snprintf(err, errlen, "port %s: bind %s: %s", name, path,
		    strerror(errno ? errno : EINVAL));
		port_free(p);
		return NULL;
	}
	p->fd = vde_datafd(p->conn);
	/* make sure we are the end that bound PATH, not a second opener */
	if (getsockname(p->fd, (struct sockaddr *)&self, &selflen) == -1 ||
	    selflen <= offsetof(struct sockaddr_un, sun_path) ||
	    strcmp(self.sun_path, path) != 0) {
		snprintf(err, errlen, "port %s: bind %s: %s", name, path, strerror(EADDRINUSE));
		/* vde_close would unlink the live peer's PATH+ */
		close(p->fd);
		p->conn = NULL;
		port_free(p);
		return NULL;
	}
	if ((fl = fcntl(p->fd, F_GETFL)) == -1 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "port %s: %s: %s", name, path, strerror(errno));
		goto fail;
	}
	set_bufsize(p->fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_bufsize(p->fd, SO_SNDBUFFORCE, SO_SNDBUF);
	if (f->l != NULL && loop_add_fd(f->l, p->fd, EPOLLIN, port_readable, p) == -1) {
		snprintf(err, errlen, "port %s: %s: event loop: %s", name, path, strerror(errno));
		goto fail;
	}
	p->idx = sw->nports;
	sw->port[sw->nports++] = p;
	return p;
fail:
	if (f->l != NULL)
		loop_del_fd(f->l, p->fd);
	vde_close(p->conn);
	p->conn = NULL;
	port_free(p);
	return NULL;
nomem:
	snprintf(err, errlen, "port %s: %s: %s", name, path, strerror(ENOMEM));
	return NULL;
}

const char *
ns_port_url(const struct ns_port *p)
{
	return p->url;
}

const char *
ns_port_name(const struct ns_port *p)
{
	return p->name;
}

void
ns_port_counters(const struct ns_port *p, struct ns_counters *out)
{
	*out = p->c;
}

int
ns_port_capture(struct ns_port *p, const char *pcap_path, char *err, size_t errlen)
{
	struct ns_pcap *c = NULL;
	char e[256];

	if (pcap_path != NULL && (c = ns_pcap_open(pcap_path, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "port %s: %s", p->name, e);
		return -1;
	}
	ns_pcap_close(p->cap);
	p->cap = c;
	return 0;
}

static void
now_tv(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

/* Send what is queued for p; what the kernel refuses is dropped. */
static void
port_flush(struct ns_port *p, const struct timeval *tv)
{
	unsigned i = 0, k;
	int r;

	while (i < p->ntx) {
		r = sendmmsg(p->fd, &p->tx[i], p->ntx - i, MSG_DONTWAIT);
		if (r > 0) {
			for (k = i; k < i + (unsigned)r; k++) {
				p->c.tx_frames++;
				p->c.tx_bytes += p->txiov[k].iov_len;
				if (p->cap != NULL)
					ns_pcap_write(p->cap, tv, p->txiov[k].iov_base,
					    p->txiov[k].iov_len);
			}
			i += r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EMSGSIZE || errno == ENOBUFS)) {
			p->c.drop_frames++;	/* this frame only */
			i++;
			continue;
		}
		/* ENOENT/ECONNREFUSED: no guest on PATH+ (yet, or any more);
		 * EAGAIN: its queue is full (no queue of our own yet).  Either
		 * way the rest of the batch would fail alike: drop, quietly */
		p->c.drop_frames += p->ntx - i;
		break;
	}
	p->ntx = 0;
}

static void
port_readable(int fd, uint32_t events, void *arg)
{
	struct ns_port *in = arg, *o;
	struct ns_switch *sw = in->sw;
	struct ns_fabric *f = sw->f;
	struct timeval tv;
	int64_t now;
	int n, i, j, nout;

	n = recvmmsg(fd, f->rx, NS_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;		/* EAGAIN, or nothing: level-triggered, we come back */
	now = loop_now();
	now_tv(&tv);
	for (i = 0; i < n; i++) {
		unsigned char *frame = f->rxiov[i].iov_base;
		size_t len = f->rx[i].msg_len;

		in->c.rx_frames++;
		in->c.rx_bytes += len;
		if (in->cap != NULL)
			ns_pcap_write(in->cap, &tv, frame, len);
		if (len < NS_ETH_HLEN || (f->rx[i].msg_hdr.msg_flags & MSG_TRUNC)) {
			in->c.rx_errors++;
			continue;
		}
		nout = ns_decide(sw->kind, &sw->mt, sw->nports, in->idx, frame, len, now, sw->out);
		for (j = 0; j < nout; j++) {
			o = sw->port[sw->out[j]];
			if (o->ntx == 0) {
				o->next_dirty = f->dirty;
				f->dirty = o;
			}
			o->txiov[o->ntx].iov_base = frame;
			o->txiov[o->ntx].iov_len = len;
			o->tx[o->ntx].msg_hdr.msg_name = &o->peer;
			o->tx[o->ntx].msg_hdr.msg_namelen = o->peerlen;
			o->tx[o->ntx].msg_hdr.msg_iov = &o->txiov[o->ntx];
			o->tx[o->ntx].msg_hdr.msg_iovlen = 1;
			o->ntx++;
		}
	}
	while ((o = f->dirty) != NULL) {
		f->dirty = o->next_dirty;
		port_flush(o, &tv);
	}
}
