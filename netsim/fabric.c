/*
 * fabric.c - switches, ports and the data path on the controller's loop.
 *
 * A guest port is a SOCK_SEQPACKET connection from the guest's vector
 * driver (stream.c), an uplink is a libvdeplug plug (uplink.c), a trunk
 * end has no socket.  The fabric does its own batched I/O on the guest
 * connections: one recvmmsg of up to NS_BATCH frames per wakeup into one
 * buffer set shared by the whole fabric, the forwarding decision per
 * frame, and one sendmmsg per egress port that points into the same
 * buffers (no copy, no allocation per frame).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg, sendmmsg, asprintf */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim_int.h"

static void tap_end(struct ns_port *p, int notify);


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
	if ((f->buf = malloc((size_t)NS_BATCH * NS_FRAME_MAX)) == NULL ||
	    (f->scratch = malloc(NS_FRAME_MAX + 4)) == NULL) {
		free(f->buf);
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

	if (p->polled)
		loop_del_fd(f->l, p->fd);
	if (p->lpolled)
		loop_del_fd(f->l, p->lfd);
	if (p->lfd >= 0)
		close(p->lfd);
	ns_shm_free(p);
	if (p->ext != NULL)
		ns_uplink_close(p);	/* closes fd too */
	else if (p->fd >= 0)
		close(p->fd);
	if (p->bound)
		(void)unlink(strstr(p->url, "://") + 3);
	ns_pcap_close(p->cap);
	tap_end(p, 1);
	free(p->stall);
	for (int d = 0; d < 2; d++) {
		if (p->q[d].timer != NULL && f->l != NULL)
			loop_timer_cancel(f->l, p->q[d].timer);
		ns_iq_free(&p->q[d]);
	}
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
	if (f->bp_timer != NULL && f->l != NULL)
		loop_timer_cancel(f->l, f->bp_timer);
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
	free(f->scratch);
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

/* Room for one more port on sw.  -1 on ENOMEM. */
static int
sw_grow(struct ns_switch *sw)
{
	int ncap = sw->capports ? sw->capports * 2 : 8;
	struct ns_port **np;
	int *no;

	if (sw->nports < sw->capports)
		return 0;
	if ((np = realloc(sw->port, ncap * sizeof(*np))) == NULL)
		return -1;
	sw->port = np;
	if ((no = realloc(sw->out, ncap * sizeof(*no))) == NULL)
		return -1;
	sw->out = no;
	sw->capports = ncap;
	return 0;
}

static void
set_bufsize(int fd, int force, int plain)
{
	int sz = NS_SOCKBUF;

	/* as root FORCE passes rmem_max/wmem_max; else take what we get */
	if (setsockopt(fd, SOL_SOCKET, force, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, plain, &sz, sizeof(sz));
}

void
ns_set_bufsize(int fd)
{
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF);
}

/* A port on sw, in no loop and with no socket yet; NULL and err when sw
 * has no room or memory is short. */
struct ns_port *
ns_port_alloc(struct ns_switch *sw, const char *name, char *err, size_t errlen)
{
	struct ns_port *p;

	if (sw->kind == NS_WIRE && sw->nports == 2) {
		snprintf(err, errlen, "port %s: wire %s already has two ports", name, sw->name);
		return NULL;
	}
	if (sw_grow(sw) < 0 || (p = calloc(1, sizeof(*p))) == NULL)
		goto nomem;
	p->sw = sw;
	p->fd = -1;
	p->lfd = -1;
	for (int d = 0; d < 2; d++) {
		p->q[d].seed = ns_seed_derive(sw->f->seed, name, d);
		ns_rng_seed(&p->q[d].rng, p->q[d].seed);
	}
	if ((p->name = strdup(name)) == NULL) {
		free(p);
		goto nomem;
	}
	return p;
nomem:
	snprintf(err, errlen, "port %s: %s", name, strerror(ENOMEM));
	return NULL;
}

/* p takes its place on its switch (ns_port_alloc made room). */
void
ns_port_attach(struct ns_port *p)
{
	struct ns_switch *sw = p->sw;

	p->idx = sw->nports;
	sw->port[sw->nports++] = p;
}

/* Free a port that ns_port_attach never placed. */
void
ns_port_discard(struct ns_port *p)
{
	port_free(p);
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

int
ns_port_capture(struct ns_port *p, const char *pcap_path, char *err, size_t errlen)
{
	struct ns_pcap *c = NULL;
	char e[256];

	if (pcap_path != NULL && (c = ns_pcap_open(pcap_path, p->name, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "port %s: %s", p->name, e);
		return -1;
	}
	ns_pcap_close(p->cap);
	p->cap = c;
	if (c != NULL)
		ns_pcap_limit(c, p->cap_max, p->cap_files);
	return 0;
}

void
ns_port_capture_limit(struct ns_port *p, uint64_t max_bytes, int files)
{
	p->cap_max = max_bytes;
	p->cap_files = files;
	if (p->cap != NULL)
		ns_pcap_limit(p->cap, max_bytes, files);
}

uint64_t
ns_port_capture_missed(const struct ns_port *p)
{
	return ns_pcap_missed(p->cap);
}

void
ns_fabric_set_seed(struct ns_fabric *f, uint64_t seed)
{
	f->seed = seed;
}

void
ns_port_counters(const struct ns_port *p, struct ns_counters *out)
{
	int d, r;

	*out = p->c;
	out->drop_frames = 0;
	for (d = 0; d < 2; d++) {
		out->dir[d] = p->q[d].c;
		for (r = 0; r < NS_DROP_NREASONS; r++)
			out->drop_frames += p->q[d].c.drop[r];
	}
}

uint64_t
ns_port_seed(const struct ns_port *p, enum ns_dir d)
{
	return p->q[d].seed;
}

void
ns_port_get_impair(const struct ns_port *p, enum ns_dir d, struct ns_impair *out)
{
	*out = p->q[d].im;
}

int
ns_port_is_up(const struct ns_port *p)
{
	return !p->down;
}

static void
now_tv(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* Drop everything queued in one direction, counted as why. */
static void
iq_drain(struct ns_port *p, struct ns_iq *q, enum ns_drop why)
{
	while (q->count > 0) {
		q->c.drop[why]++;
		ns_iq_pop(q);
	}
	if (q->timer != NULL && p->sw->f->l != NULL)
		loop_timer_cancel(p->sw->f->l, q->timer);
	q->timer = NULL;
	if (!q->active)
		ns_iq_free(q);
}

void
ns_port_set_up(struct ns_port *p, int up)
{
	p->down = !up;
	if (p->down) {
		iq_drain(p, &p->q[NS_TO_NODE], NS_DROP_LINK_DOWN);
		iq_drain(p, &p->q[NS_FROM_NODE], NS_DROP_LINK_DOWN);
		/* stations behind a dead link are gone: flood until relearned */
		ns_mt_forget_port(&p->sw->mt, p->idx);
	}
}

int
ns_port_impair(struct ns_port *p, enum ns_dir d, const struct ns_impair *im, uint64_t seed,
    char *err, size_t errlen)
{
	struct ns_iq *q = &p->q[d], nq;
	const struct ns_iq_ent *e;
	char e2[200];
	int zero = ns_impair_is_zero(im);
	uint32_t cap = im->limit ? im->limit : NS_IQ_LIMIT;
	uint32_t slotsz = NS_IQ_SLOT;

	if ((unsigned)d > NS_FROM_NODE) {
		snprintf(err, errlen, "link %s: bad direction", p->name);
		return -1;
	}
	if (ns_impair_check(im, e2, sizeof(e2)) < 0) {
		snprintf(err, errlen, "link %s: %s", p->name, e2);
		return -1;
	}
	if (im->mtu + 18 > slotsz)
		slotsz = (im->mtu + 18 + 63) & ~63u;
	if (!zero && (q->heap == NULL || q->cap != cap || q->slotsz != slotsz)) {
		/* a new queue first, so that failing leaves the link as it was */
		memset(&nq, 0, sizeof(nq));
		if (ns_iq_alloc(&nq, im) < 0) {
			snprintf(err, errlen, "link %s: %s", p->name, strerror(ENOMEM));
			return -1;
		}
		nq.c = q->c;
		while ((e = ns_iq_head(q)) != NULL) {
			/* what does not fit counts as queue full in nq.c */
			(void)ns_iq_push(&nq, ns_iq_data(q, e), e->len, e->t, 0, 0);
			ns_iq_pop(q);
		}
		q->c = nq.c;
		ns_iq_free(q);
		q->heap = nq.heap;
		q->freeslot = nq.freeslot;
		q->buf = nq.buf;
		q->cap = nq.cap;
		q->count = nq.count;
		q->nfree = nq.nfree;
		q->slotsz = nq.slotsz;
		q->seq = nq.seq;
	}
	q->im = *im;
	q->active = !zero;
	if (seed != 0) {
		q->seed = ns_seed_derive(seed, p->name, d);
		ns_rng_seed(&q->rng, q->seed);
		q->ge_bad = 0;
	}
	if (!im->rate_bps)
		q->last_end = 0;
	if (zero && q->count == 0)
		ns_iq_free(q);
	return 0;
}

/* --- VLANs: which ports carry a VLAN, and a frame's form on the wire --- */

static int
allowed(const struct ns_port *p, int vid)
{
	return (p->allowed[vid >> 6] >> (vid & 63)) & 1;
}

/* vid 0 is the untagged domain: plain ports, and a trunk's untagged frames */
static int
port_carries(const struct ns_port *p, int vid)
{
	if (p->trunk)
		return vid == 0 || allowed(p, vid);
	return p->vlan == vid;
}

void
ns_port_set_vlan(struct ns_port *p, int vid)
{
	p->vlan = vid > 0 && vid <= 4094 ? vid : 0;
	p->trunk = 0;
}

void
ns_port_set_trunk(struct ns_port *p, const uint16_t *vlans, int n)
{
	int i;

	memset(p->allowed, 0, sizeof(p->allowed));
	for (i = 0; i < n; i++)
		if (vlans[i] >= 1 && vlans[i] <= 4094)
			p->allowed[vlans[i] >> 6] |= 1ULL << (vlans[i] & 63);
	if (n == 0)
		for (i = 1; i <= 4094; i++)
			p->allowed[i >> 6] |= 1ULL << (i & 63);
	p->vlan = 0;
	p->trunk = 1;
}

int
ns_port_blocked(const struct ns_port *p)
{
	return p->blocked;
}

struct ns_port *
ns_trunk_new(struct ns_switch *a, struct ns_switch *b, const uint16_t *vlans, int n,
    char *err, size_t errlen)
{
	struct ns_port *p[2];
	struct ns_switch *sw[2] = { a, b };
	int i;

	for (i = 0; i < 2; i++) {
		struct ns_switch *s = sw[i];

		if (s->kind == NS_WIRE) {
			snprintf(err, errlen, "trunk %s=%s: %s is a wire", a->name, b->name, s->name);
			return NULL;
		}
		if (sw_grow(s) < 0 || (p[i] = calloc(1, sizeof(*p[i]))) == NULL ||
		    asprintf(&p[i]->name, "%s=%s", s->name, sw[!i]->name) == -1) {
			snprintf(err, errlen, "trunk %s=%s: %s", a->name, b->name, strerror(ENOMEM));
			if (i == 1) {
				a->nports--;
				port_free(p[0]);
			}
			return NULL;
		}
		p[i]->sw = s;
		p[i]->fd = -1;
		p[i]->lfd = -1;
		ns_port_set_trunk(p[i], vlans, n);
		p[i]->idx = s->nports;
		s->port[s->nports++] = p[i];
		s->ntrunks++;
	}
	p[0]->peer_port = p[1];
	p[1]->peer_port = p[0];
	return p[0];
}

/*
 * The wire form of fr for port o: tagged on a trunk for a VLAN, untagged
 * elsewhere.  Pushing or popping the tag is a matter of iovecs: no copy;
 * tag[] must live as long as iov.
 */
static int
wire_iov(const struct ns_port *o, const struct ns_frm *fr, struct iovec *iov, unsigned char tag[4])
{
	int want = o->trunk && fr->vid != 0;

	if (want == fr->tagged) {
		iov[0].iov_base = fr->data;
		iov[0].iov_len = fr->len;
		return 1;
	}
	iov[0].iov_base = fr->data;
	iov[0].iov_len = 12;
	if (want) {
		tag[0] = 0x81;
		tag[1] = 0x00;
		tag[2] = (unsigned char)(fr->vid >> 8);
		tag[3] = (unsigned char)fr->vid;
		iov[1].iov_base = tag;
		iov[1].iov_len = 4;
		iov[2].iov_base = fr->data + 12;
		iov[2].iov_len = fr->len - 12;
		return 3;
	}
	iov[1].iov_base = fr->data + 16;
	iov[1].iov_len = fr->len - 16;
	return 2;
}

static size_t
iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;

	while (n-- > 0)
		len += iov[n].iov_len;
	return len;
}

static void port_flush(struct ns_port *p);

/* Queue fr (in o's wire form) for o's guest: no copy, so the frame must
 * live until the flush. */
static void
tx_add(struct ns_port *o, const struct ns_frm *fr)
{
	struct ns_fabric *f = o->sw->f;
	struct msghdr *h;

	if (o->ntx == NS_BATCH)
		port_flush(o);		/* stays on the dirty list */
	if (!o->listed) {
		o->listed = 1;
		o->next_dirty = f->dirty;
		f->dirty = o;
	}
	h = &o->tx[o->ntx].msg_hdr;
	h->msg_name = NULL;	/* a connected socket */
	h->msg_namelen = 0;
	h->msg_iov = o->txiov[o->ntx];
	h->msg_iovlen = (size_t)wire_iov(o, fr, o->txiov[o->ntx], o->tag[o->ntx]);
	o->ntx++;
}

static int64_t iq_timer_to_node(struct loop_timer *t, void *arg);
static int64_t iq_timer_from_node(struct loop_timer *t, void *arg);

/* Queue a copy of iov in q, departing at t; arm q's timer for its head. */
static void
iq_enqueue(struct ns_port *p, enum ns_dir d, const struct iovec *iov, int niov, int64_t t,
    int64_t now, int corrupt, uint32_t bit)
{
	struct ns_iq *q = &p->q[d];
	struct loop *l = p->sw->f->l;

	if (ns_iq_pushv(q, iov, niov, t, corrupt, bit) < 0)
		return;
	q->c.delayed++;
	if (l == NULL)
		return;
	if (q->timer != NULL && t >= q->timer_at)
		return;
	if (q->timer != NULL)
		loop_timer_cancel(l, q->timer);
	q->timer_at = t;
	q->timer = loop_timer_add(l, t > now ? t - now : 0,
	    d == NS_TO_NODE ? iq_timer_to_node : iq_timer_from_node, p);
}

static void sw_switch(struct ns_port *in, const struct ns_frm *fr, int64_t now);
static void forward(struct ns_port *in, unsigned char *frame, size_t len, int64_t now);

/*
 * One frame through one direction's impairments: each copy that leaves
 * now, unchanged, with nothing queued ahead of it, goes on at once
 * without a copy; the rest wait in the queue (copied, in wire form).
 */
static void
iq_pass(struct ns_port *p, enum ns_dir d, const struct ns_frm *fr, int64_t now)
{
	struct ns_iq *q = &p->q[d];
	struct ns_fate fate;
	struct iovec iov[3];
	unsigned char tag[4];
	int i, niov;
	size_t len;

	if (d == NS_TO_NODE) {
		niov = wire_iov(p, fr, iov, tag);
	} else {
		niov = 1;
		iov[0].iov_base = fr->data;
		iov[0].iov_len = fr->len;
	}
	len = iov_len(iov, niov);
	ns_iq_decide(q, len, now, &fate);
	for (i = 0; i < fate.n; i++) {
		if (fate.t[i] <= now && !fate.corrupt[i] && (q->count == 0 || fate.reordered)) {
			q->c.frames++;
			q->c.bytes += len;
			if (d == NS_TO_NODE)
				tx_add(p, fr);
			else
				forward(p, fr->data, fr->len, now);
		} else {
			iq_enqueue(p, d, iov, niov, fate.t[i], now, fate.corrupt[i], fate.bit[i]);
		}
	}
}

/* An internal trunk: fr crosses to the port on the other switch. */
static void
trunk_cross(struct ns_port *o, const struct ns_frm *fr, int64_t now)
{
	struct ns_port *in = o->peer_port;
	size_t len = fr->len - (fr->tagged ? 4 : 0) + (fr->vid ? 4 : 0);

	if (in->blocked) {
		in->q[NS_FROM_NODE].c.drop[NS_DROP_LOOP]++;
		return;
	}
	o->c.tx_frames++;
	o->c.tx_bytes += len;
	in->c.rx_frames++;
	in->c.rx_bytes += len;
	sw_switch(in, fr, now);
}

/* A frame leaves the switch through port o. */
static void
egress(struct ns_port *o, const struct ns_frm *fr, int64_t now)
{
	struct ns_iq *q = &o->q[NS_TO_NODE];

	if (!port_carries(o, fr->vid))
		return;			/* not in this VLAN: not a drop */
	if (o->blocked) {
		q->c.drop[NS_DROP_LOOP]++;
		return;
	}
	if (o->peer_port != NULL) {
		trunk_cross(o, fr, now);
		return;
	}
	if (o->down) {
		q->c.drop[NS_DROP_LINK_DOWN]++;
		return;
	}
	if (o->sw->f->part_used != 0 && ns_part_blocks(o->sw->f, o->sw->f->src, o)) {
		q->c.drop[NS_DROP_PARTITION]++;
		return;
	}
	if (q->active || q->count > 0) {
		iq_pass(o, NS_TO_NODE, fr, now);
		return;
	}
	q->c.frames++;
	q->c.bytes += fr->len;
	tx_add(o, fr);
}

/* 64-bit FNV-1a of the frame without its VLAN tag. */
static uint64_t
frame_hash(const struct ns_frm *fr)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < fr->len; i++) {
		if (fr->tagged && i == 12)
			i = 16;
		h = (h ^ fr->data[i]) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * Broadcast loop detection: the same frame seen again by this switch
 * within NS_LOOP_WINDOW on another port went round a loop.  Block that
 * port (it neither sends nor receives any more, like an STP blocking
 * port) and say so once.  Returns 1 when fr must be dropped.
 */
static int
loop_check(struct ns_port *in, const struct ns_frm *fr, int64_t now)
{
	struct ns_switch *sw = in->sw;
	struct ns_loopdet *ld = &sw->ld;
	uint64_t h = frame_hash(fr);
	int i;

	for (i = 0; i < NS_LOOP_SLOTS; i++) {
		if (ld->hash[i] != h || now - ld->t[i] > NS_LOOP_WINDOW)
			continue;
		if (ld->port[i] == in->idx) {
			ld->t[i] = now;		/* the same frame again from the same side */
			return 0;
		}
		in->blocked = 1;
		in->q[NS_FROM_NODE].c.drop[NS_DROP_LOOP]++;
		sw->loops++;
		fprintf(stderr, "umlab: netsim: switch %s: broadcast loop: a frame first seen on "
		    "port %s came back on port %s; port %s blocked\n", sw->name,
		    ld->port[i] < sw->nports ? sw->port[ld->port[i]]->name : "?", in->name,
		    in->name);
		return 1;
	}
	ld->hash[ld->next] = h;
	ld->port[ld->next] = in->idx;
	ld->t[ld->next] = now;
	ld->next = (ld->next + 1) % NS_LOOP_SLOTS;
	return 0;
}

/* fr has entered the switch through port in: pick its egress ports. */
static void
sw_switch(struct ns_port *in, const struct ns_frm *fr, int64_t now)
{
	struct ns_switch *sw = in->sw;
	struct ns_fabric *f = sw->f;
	int j, nout;

	if (f->depth >= NS_MAX_HOPS) {
		/* a loop the detector missed: never recurse without bound */
		in->q[NS_FROM_NODE].c.drop[NS_DROP_LOOP]++;
		return;
	}
	if (sw->kind == NS_SWITCH && ((fr->data[0] & 1) || in->peer_port != NULL) &&
	    loop_check(in, fr, now))
		return;
	nout = ns_decide_v(sw->kind, &sw->mt, sw->nports, in->idx, fr->vid, fr->data, fr->len,
	    now, sw->out);
	if (nout == 0)
		return;
	f->depth++;
	if (nout == 1 || sw->ntrunks == 0) {
		/* only a trunk brings a frame back here, reusing sw->out */
		for (j = 0; j < nout; j++)
			egress(sw->port[sw->out[j]], fr, now);
	} else {
		int out[nout];

		memcpy(out, sw->out, sizeof(out));
		for (j = 0; j < nout; j++)
			egress(sw->port[out[j]], fr, now);
	}
	f->depth--;
}

/* A frame from in's guest enters the switch: its VLAN first. */
static void
forward(struct ns_port *in, unsigned char *frame, size_t len, int64_t now)
{
	struct ns_frm fr = { frame, len, in->vlan, 0 };
	int tagged = len >= 18 && frame[12] == 0x81 && frame[13] == 0x00;

	if (in->trunk && tagged) {
		fr.vid = (frame[14] << 8 | frame[15]) & 0xfff;
		fr.tagged = 1;
		if (fr.vid == 0 || fr.vid == 0xfff || !allowed(in, fr.vid)) {
			in->q[NS_FROM_NODE].c.drop[NS_DROP_VLAN]++;
			return;
		}
	} else if (in->vlan != 0 && tagged) {
		/* an access port takes untagged frames only */
		in->q[NS_FROM_NODE].c.drop[NS_DROP_VLAN]++;
		return;
	}
	if (in->blocked) {
		in->q[NS_FROM_NODE].c.drop[NS_DROP_LOOP]++;
		return;
	}
	in->sw->f->src = in;		/* partitions: where the frame came from */
	sw_switch(in, &fr, now);
}

static void
flush_dirty(struct ns_fabric *f)
{
	struct ns_port *o;

	while ((o = f->dirty) != NULL) {
		f->dirty = o->next_dirty;
		o->listed = 0;
		port_flush(o);
	}
}

static int64_t
iq_timer_done(struct ns_port *p, struct ns_iq *q, int64_t now)
{
	const struct ns_iq_ent *e = ns_iq_head(q);

	if (e == NULL) {
		q->timer = NULL;
		if (!q->active)
			ns_iq_free(q);
		return LOOP_TIMER_DONE;
	}
	q->timer_at = e->t;
	return e->t > now ? e->t - now : 0;
}

/* Frames due for the guest, already in wire form: sent from their slots,
 * which stay intact until the flush (nothing pushes to this queue
 * meanwhile). */
static int64_t
iq_timer_to_node(struct loop_timer *t, void *arg)
{
	struct ns_port *p = arg;
	struct ns_iq *q = &p->q[NS_TO_NODE];
	const struct ns_iq_ent *e;
	int64_t now = loop_now();
	unsigned n = 0;

	now_tv(&p->sw->f->tv);
	while ((e = ns_iq_head(q)) != NULL && e->t <= now && n < q->cap) {
		struct ns_frm fr = { ns_iq_data(q, e), e->len, 0, 0 };

		q->c.frames++;
		q->c.bytes += e->len;
		tx_add(p, &fr);		/* vid 0, untagged: as it is */
		ns_iq_pop(q);
		n++;
	}
	flush_dirty(p->sw->f);
	return iq_timer_done(p, q, now);
}

/* Frames due into the switch: forwarded from their slots.  A slot popped
 * here is reused only by a later push to this queue, after the flush. */
static int64_t
iq_timer_from_node(struct loop_timer *t, void *arg)
{
	struct ns_port *p = arg;
	struct ns_iq *q = &p->q[NS_FROM_NODE];
	const struct ns_iq_ent *e;
	int64_t now = loop_now();
	unsigned n = 0;

	now_tv(&p->sw->f->tv);
	while ((e = ns_iq_head(q)) != NULL && e->t <= now && n < NS_BATCH) {
		unsigned char *frame = ns_iq_data(q, e);
		size_t len = e->len;

		q->c.frames++;
		q->c.bytes += len;
		ns_iq_pop(q);
		forward(p, frame, len, now);
		n++;
	}
	flush_dirty(p->sw->f);
	return iq_timer_done(p, q, now);
}

/* --- live capture: a pcap stream into a reader's fd --- */

struct ns_tap {
	int fd;
	void (*gone)(void *arg);
	void *arg;
	uint64_t dropped;
};

/* notify: tell the owner (the reader went away, or the port is closing);
 * not when the owner itself stops or replaces the tap. */
static void
tap_end(struct ns_port *p, int notify)
{
	struct ns_tap *t = p->tap;

	if (t == NULL)
		return;
	p->tap = NULL;
	close(t->fd);
	if (notify && t->gone)
		t->gone(t->arg);
	free(t);
}

static void
tap_write(struct ns_port *p, const struct timespec *ts, const void *frame, size_t len)
{
	uint32_t h[4] = { (uint32_t)ts->tv_sec, (uint32_t)ts->tv_nsec,
			  (uint32_t)(len > NS_SNAPLEN ? NS_SNAPLEN : len), (uint32_t)len };
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)frame, h[2] } };

	/* A record is smaller than PIPE_BUF: it goes whole or not at all. */
	if (writev(p->tap->fd, iov, 2) < 0) {
		if (errno == EAGAIN)
			p->tap->dropped++;
		else
			tap_end(p, 1);   /* the reader went away */
	}
}

int
ns_port_tap(struct ns_port *p, int fd, void (*gone)(void *arg), void *arg)
{
	/* The pcap file header: nanosecond magic, v2.4, Ethernet. */
	static const uint32_t hdr[6] = { 0xa1b23c4d, 0x00040002, 0, 0, NS_SNAPLEN, 1 };
	struct ns_tap *t;
	int fl;

	tap_end(p, 0);
	if (fd < 0)
		return 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
		close(fd);
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		close(fd);
		return -1;
	}
	t->fd = fd;
	t->gone = gone;
	t->arg = arg;
	p->tap = t;
	return 0;
}

void
ns_port_record(struct ns_port *p, enum ns_dir d, const struct timespec *ts, const void *frame,
	    size_t len)
{
	if (p->cap != NULL)
		ns_pcap_write(p->cap, d, ts, frame, len);
	if (p->tap != NULL)
		tap_write(p, ts, frame, len);
}

/* A queued frame in one piece: as it is, or gathered into the fabric's
 * scratch buffer when a tag was pushed or popped (several iovecs). */
const void *
ns_frame_flat(struct ns_fabric *f, const struct msghdr *h, size_t *len)
{
	size_t i;

	if (h->msg_iovlen == 1) {
		*len = h->msg_iov[0].iov_len;
		return h->msg_iov[0].iov_base;
	}
	for (*len = 0, i = 0; i < h->msg_iovlen; i++) {
		memcpy(f->scratch + *len, h->msg_iov[i].iov_base, h->msg_iov[i].iov_len);
		*len += h->msg_iov[i].iov_len;
	}
	return f->scratch;
}

static void
capture_iov(struct ns_port *p, enum ns_dir d, const struct msghdr *h)
{
	struct ns_fabric *f = p->sw->f;
	size_t len;
	const void *frame = ns_frame_flat(f, h, &len);

	ns_port_record(p, d, &f->tv, frame, len);
}

static int64_t bp_retry(struct loop_timer *t, void *arg);

/* Keep one frame (gathered from iov) for a stalled port; 0 if kept. */
static int
stall_keep(struct ns_port *p, const struct iovec *iov, size_t niov)
{
	size_t len = 0, i;
	unsigned char *d;

	if (p->stall == NULL && (p->stall = malloc((size_t)NS_BATCH * NS_STALL_SLOT)) == NULL)
		return -1;
	if (p->nstall == NS_BATCH)
		return -1;
	d = p->stall + (size_t)p->nstall * NS_STALL_SLOT;
	for (i = 0; i < niov; i++) {
		if (len + iov[i].iov_len > NS_STALL_SLOT)
			return -1;
		memcpy(d + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	p->stall_len[p->nstall++] = (uint32_t)len;
	p->q[NS_TO_NODE].c.held++;
	return 0;
}

/*
 * Backpressure: p's guest refused frames (EAGAIN) while we were reading
 * in.  Keep them, stop reading in, and retry every NS_BP_RETRY; after
 * NS_BP_MAX the frames are dropped and p gets no backpressure for
 * NS_BP_OFF, so that a frozen guest cannot stall its LAN.  Returns the
 * number of frames kept (from tx[i..]).
 */
static unsigned
stall(struct ns_port *p, unsigned i)
{
	struct ns_fabric *f = p->sw->f;
	struct ns_port *in = f->cur_in;
	int64_t now;
	unsigned k = i;

	if (in == NULL || f->l == NULL || in->fd < 0)
		return 0;
	now = loop_now();
	if (now < p->bp_off_until)
		return 0;
	for (; k < p->ntx; k++)
		if (stall_keep(p, p->tx[k].msg_hdr.msg_iov, p->tx[k].msg_hdr.msg_iovlen) < 0)
			break;
	if (k == i)
		return 0;
	if (p->stall_since == 0) {
		p->stall_since = now;
		p->next_stalled = f->stalled;
		f->stalled = p;
	}
	if (!in->paused) {
		in->paused = 1;
		loop_mod_fd(f->l, in->fd, 0);
		in->next_paused = f->paused;
		f->paused = in;
	}
	if (f->bp_timer == NULL)
		f->bp_timer = loop_timer_add(f->l, NS_BP_RETRY, bp_retry, f);
	return k - i;
}

/* sendmmsg on p's connection, or into a umlab:// plug's ring. */
static int
port_send(struct ns_port *p, struct mmsghdr *m, unsigned n)
{
	if (p->shm != NULL)
		return ns_shm_send(p, m, n);
	return sendmmsg(p->fd, m, n, MSG_DONTWAIT);
}

/* Send p's held frames; 1 when none is left. */
static int
stall_send(struct ns_port *p, int64_t now)
{
	struct mmsghdr m[NS_BATCH];
	struct iovec iov[NS_BATCH];
	struct ns_iq *q = &p->q[NS_TO_NODE];
	unsigned i;
	int r;

	memset(m, 0, sizeof(m));
	for (i = 0; i < p->nstall; i++) {
		iov[i].iov_base = p->stall + (size_t)i * NS_STALL_SLOT;
		iov[i].iov_len = p->stall_len[i];
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	r = port_send(p, m, p->nstall);
	if (r > 0) {
		for (i = 0; i < (unsigned)r; i++) {
			p->c.tx_frames++;
			p->c.tx_bytes += p->stall_len[i];
			if (p->cap != NULL || p->tap != NULL)
				ns_port_record(p, NS_TO_NODE, &p->sw->f->tv, iov[i].iov_base,
				    iov[i].iov_len);
		}
		memmove(p->stall, p->stall + (size_t)r * NS_STALL_SLOT,
		    (size_t)(p->nstall - r) * NS_STALL_SLOT);
		memmove(p->stall_len, p->stall_len + r, (p->nstall - r) * sizeof(p->stall_len[0]));
		p->nstall -= r;
	}
	if (p->nstall == 0)
		return 1;
	if ((r == -1 && errno != EAGAIN && errno != EINTR) || now - p->stall_since > NS_BP_MAX) {
		q->c.drop[r == -1 && errno != EAGAIN ? NS_DROP_NO_PEER : NS_DROP_QUEUE_FULL] +=
		    p->nstall;
		p->nstall = 0;
		if (now - p->stall_since > NS_BP_MAX)
			p->bp_off_until = now + NS_BP_OFF;
		return 1;
	}
	return 0;
}

static int64_t
bp_retry(struct loop_timer *t, void *arg)
{
	struct ns_fabric *f = arg;
	struct ns_port **pp = &f->stalled, *p;
	int64_t now = loop_now();

	now_tv(&f->tv);
	while ((p = *pp) != NULL) {
		if (stall_send(p, now)) {
			p->stall_since = 0;
			*pp = p->next_stalled;
		} else {
			pp = &p->next_stalled;
		}
	}
	if (f->stalled != NULL)
		return NS_BP_RETRY;
	while ((p = f->paused) != NULL) {
		f->paused = p->next_paused;
		p->paused = 0;
		if (p->polled)
			loop_mod_fd(f->l, p->fd, EPOLLIN);
	}
	f->bp_timer = NULL;
	return LOOP_TIMER_DONE;
}

/* Send what is queued for p; what the kernel refuses is dropped, or held
 * back (backpressure) when we are reading a port. */
static void
port_flush(struct ns_port *p)
{
	struct ns_iq *q = &p->q[NS_TO_NODE];
	unsigned i = 0, k;
	int r;

	if (p->ext != NULL) {
		ns_uplink_flush(p);
		return;
	}
	if (p->fd < 0) {	/* between two connections of its guest */
		q->c.drop[NS_DROP_NO_PEER] += p->ntx;
		p->ntx = 0;
		return;
	}
	if (p->nstall > 0) {
		/* behind frames held back: keep the order, or drop */
		i += stall(p, 0);
		q->c.drop[NS_DROP_QUEUE_FULL] += p->ntx - i;
		p->ntx = 0;
		return;
	}
	while (i < p->ntx) {
		r = port_send(p, &p->tx[i], p->ntx - i);
		if (r > 0) {
			for (k = i; k < i + (unsigned)r; k++) {
				p->c.tx_frames++;
				p->c.tx_bytes += p->tx[k].msg_len;
				if (p->cap != NULL || p->tap != NULL)
					capture_iov(p, NS_TO_NODE, &p->tx[k].msg_hdr);
			}
			i += r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EMSGSIZE) {
			q->c.drop[NS_DROP_MTU]++;	/* this frame only */
			i++;
			continue;
		}
		if (r == -1 && errno == ENOBUFS) {
			q->c.drop[NS_DROP_QUEUE_FULL]++;
			i++;
			continue;
		}
		/* ENOENT/ECONNREFUSED: no guest on PATH+ (yet, or any more);
		 * EAGAIN: its queue is full.  Either way the rest of the batch
		 * would fail alike: drop, quietly, or hold them back */
		if (r == -1 && errno == EAGAIN)
			i += stall(p, i);
		q->c.drop[errno == EAGAIN ? NS_DROP_QUEUE_FULL : NS_DROP_NO_PEER] += p->ntx - i;
		break;
	}
	p->ntx = 0;
}

/* The n frames fr[] came in on port in (an iov_len of 0: a frame that
 * could not be read whole).  They must stay put until this returns. */
void
ns_rx_frames(struct ns_port *in, const struct iovec *fr, int n)
{
	struct ns_fabric *f = in->sw->f;
	struct ns_iq *q = &in->q[NS_FROM_NODE];
	int64_t now = loop_now();
	int i;

	now_tv(&f->tv);
	f->cur_in = in;
	for (i = 0; i < n; i++) {
		unsigned char *frame = fr[i].iov_base;
		size_t len = fr[i].iov_len;

		in->c.rx_frames++;
		in->c.rx_bytes += len;
		if (len > 0 && (in->cap != NULL || in->tap != NULL))
			ns_port_record(in, NS_FROM_NODE, &f->tv, frame, len);
		if (len < NS_ETH_HLEN) {
			in->c.rx_errors++;
			continue;
		}
		if (in->down) {
			q->c.drop[NS_DROP_LINK_DOWN]++;
			continue;
		}
		if (q->active || q->count > 0) {
			struct ns_frm frm = { frame, len, 0, 0 };

			iq_pass(in, NS_FROM_NODE, &frm, now);
			continue;
		}
		q->c.frames++;
		q->c.bytes += len;
		forward(in, frame, len, now);
	}
	flush_dirty(f);
	f->cur_in = NULL;
}

/* The n frames of the fabric's receive batch came in on port in. */
void
ns_rx_batch(struct ns_port *in, int n)
{
	struct ns_fabric *f = in->sw->f;
	struct iovec fr[NS_BATCH];
	int i;

	for (i = 0; i < n; i++) {
		fr[i].iov_base = f->rxiov[i].iov_base;
		/* more than NS_FRAME_MAX: counted as an error, not captured */
		fr[i].iov_len = (f->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : f->rx[i].msg_len;
	}
	ns_rx_frames(in, fr, n);
}

void
ns_port_readable(int fd, uint32_t events, void *arg)
{
	struct ns_port *in = arg;
	int n, k = 0;

	if (in->paused) {
		/* backpressure: an egress port is stalled.  A hangup is
		 * reported even with no events asked for: take it now, or
		 * the loop spins on it until the pause ends */
		if (events & (EPOLLHUP | EPOLLERR))
			ns_stream_drop(in);
		return;
	}
	n = recvmmsg(fd, in->sw->f->rx, NS_BATCH, MSG_DONTWAIT, NULL);
	if (in->fresh && n > 0) {
		/* a umlab:// plug says hello first, then waits for the answer;
		 * on a guest's port the same bytes are just a frame */
		in->fresh = 0;
		if (in->shm_ok &&
		    ns_shm_is_hello(in->sw->f->rxiov[0].iov_base, in->sw->f->rx[0].msg_len)) {
			in->c.rx_errors += (unsigned)(n - 1);	/* a plug sends nothing more */
			ns_shm_start(in);
			return;
		}
	}
	/* the guest's EOF reads as empty messages (recvmmsg fills the batch
	 * with them): the frames before it, then the end */
	while (k < n && in->sw->f->rx[k].msg_len > 0)
		k++;
	if (k > 0)
		ns_rx_batch(in, k);
	if (k < n || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		ns_stream_drop(in);	/* the guest went away */
	/* else EAGAIN: level-triggered, we come back */
}
