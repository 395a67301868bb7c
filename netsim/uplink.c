/*
 * uplink.c - a switch port whose far end is any vdeplug4 URL: vde:// (a
 * vde_switch), tap:// (a host tap, for a user with the right to open it),
 * vxvde:// (a lab spread over hosts), ptp:// (another program's end of a
 * point-to-point link), or any plugin libvdeplug finds.
 *
 * Here the fabric is the plug, so frames go through vde_recv() and
 * vde_send(), one call per frame: a plugin may encapsulate them (vxvde
 * adds a header) or carry its own traffic on the same descriptor, so its
 * socket cannot be read behind its back.  The descriptor from
 * vde_datafd() is made non-blocking and polled like a guest port's.
 * Frames that the far end will not take are dropped and counted, never
 * held back: an uplink leaves the lab, and what lies beyond it is not
 * ours to wait for.  A plugin whose vde_send blocks (vxvde's unicast
 * socket, cmd://'s pipe) can still hold the loop up while the far end
 * is slow: libvdeplug gives no non-blocking send.  A vde_switch that
 * stops is seen only as failed sends (no_peer drops), not as an error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <libvdeplug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim_int.h"

struct ns_port *
ns_uplink_new(struct ns_switch *sw, const char *name, const char *url, char *err, size_t errlen)
{
	struct ns_fabric *f = sw->f;
	struct ns_port *p;
	int fl;

	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "uplink %s: no URL", name);
		return NULL;
	}
	if ((p = ns_port_alloc(sw, name, err, errlen)) == NULL)
		return NULL;
	if ((p->url = strdup(url)) == NULL) {
		snprintf(err, errlen, "uplink %s: %s", name, strerror(ENOMEM));
		ns_port_discard(p);
		return NULL;
	}
	errno = 0;
	if ((p->ext = vde_open(p->url, "umlab", NULL)) == NULL) {
		snprintf(err, errlen, "uplink %s: cannot open %s: %s", name, url,
		    strerror(errno ? errno : EINVAL));
		ns_port_discard(p);
		return NULL;
	}
	if ((p->fd = vde_datafd(p->ext)) < 0 || (fl = fcntl(p->fd, F_GETFL)) == -1 ||
	    fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "uplink %s: %s: no usable descriptor", name, url);
		ns_port_discard(p);
		return NULL;
	}
	if (f->l != NULL && loop_add_fd(f->l, p->fd, EPOLLIN, ns_uplink_readable, p) == -1) {
		snprintf(err, errlen, "uplink %s: %s: event loop: %s", name, url, strerror(errno));
		ns_port_discard(p);
		return NULL;
	}
	p->polled = f->l != NULL;
	ns_port_attach(p);
	return p;
}

/* The far end is gone for good: stop listening rather than spin on it. */
static void
uplink_fail(struct ns_port *p, int err)
{
	p->ext_errno = err;
	if (p->polled) {
		loop_del_fd(p->sw->f->l, p->fd);
		p->polled = 0;
	}
}

void
ns_uplink_readable(int fd, uint32_t events, void *arg)
{
	struct ns_port *in = arg;
	struct ns_fabric *f = in->sw->f;
	int n = 0, tries;

	if (events & (EPOLLERR | EPOLLHUP)) {
		uplink_fail(in, ECONNRESET);
		return;
	}
	if (in->paused)
		return;		/* backpressure: an egress port is stalled */
	for (tries = 0; n < NS_BATCH && tries < 2 * NS_BATCH; tries++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		/* some plugins block in vde_recv whatever the descriptor's
		 * flags (vxvde waits in an epoll of its own): ask first,
		 * except for the read the wakeup promised */
		if (tries > 0 && poll(&pf, 1, 0) != 1)
			break;
		r = vde_recv(in->ext, f->rxiov[n].iov_base, NS_FRAME_MAX, 0);
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				uplink_fail(in, errno);
			break;
		}
		if (r == 0) {		/* end of stream (non-frames read as 1) */
			uplink_fail(in, ECONNRESET);
			break;
		}
		if (r < NS_ETH_HLEN)
			continue;	/* the plugin's own traffic, not a frame */
		f->rx[n].msg_len = (unsigned)r;
		f->rx[n].msg_hdr.msg_flags = 0;
		n++;
	}
	if (n > 0)
		ns_rx_batch(in, n);
}

void
ns_uplink_flush(struct ns_port *p)
{
	struct ns_iq *q = &p->q[NS_TO_NODE];
	unsigned i;

	for (i = 0; i < p->ntx; i++) {
		size_t len;
		const void *data = ns_frame_flat(p->sw->f, &p->tx[i].msg_hdr, &len);

		/* some plugins add their own bytes (cmd:// returns len + 2) */
		if (p->ext_errno == 0 && vde_send(p->ext, data, len, 0) >= (ssize_t)len) {
			p->c.tx_frames++;
			p->c.tx_bytes += len;
			ns_port_record(p, NS_TO_NODE, &p->sw->f->tv, data, len);
		} else {
			q->c.drop[p->ext_errno == 0 && (errno == EAGAIN || errno == ENOBUFS) ?
			    NS_DROP_QUEUE_FULL : NS_DROP_NO_PEER]++;
		}
	}
	p->ntx = 0;
}

void
ns_uplink_close(struct ns_port *p)
{
	vde_close(p->ext);	/* closes its descriptor */
	p->ext = NULL;
	p->fd = -1;
}

int
ns_port_is_uplink(const struct ns_port *p)
{
	return p->ext != NULL;
}

int
ns_uplink_error(const struct ns_port *p)
{
	return p->ext_errno;
}
