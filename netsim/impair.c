/*
 * impair.c - link impairments as netem has them: delay with jitter and a
 * distribution, random and Gilbert-Elliott loss, duplication, corruption,
 * reordering, a rate limit with a queue limit, an MTU.
 *
 * Pure logic: no I/O, no clock of its own (the caller passes now), no
 * allocation per frame.  Every random decision comes from one seeded
 * xoshiro256** generator per link direction, drawn in a fixed order per
 * frame, so the same seed and the same frames give the same decisions.
 *
 * Queued frames sit in preallocated slots, ordered by departure time in
 * a min-heap (ties in arrival order), so jitter may reorder frames and a
 * reordered frame leaves first, as in netem's tfifo.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "netsim/netsim_int.h"

uint64_t
ns_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
ns_rng_seed(struct ns_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = ns_splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
ns_rng_next(struct ns_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double
ns_rng_unit(struct ns_rng *r)
{
	return (double)(ns_rng_next(r) >> 11) * 0x1.0p-53;
}

double
ns_rng_normal(struct ns_rng *r)
{
	/* Box-Muller, one value per call: two draws, always, so the number
	 * of draws per frame does not depend on earlier frames */
	double u1 = 1.0 - ns_rng_unit(r), u2 = ns_rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t
ns_seed_derive(uint64_t base, const char *name, int dir)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a of the name */
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h ^= base;
	h += (uint64_t)(dir + 1) * 0x9e3779b97f4a7c15ULL;
	return ns_splitmix64(&h);
}

/* Pareto (alpha 3) scaled to mean 0, stddev 1. */
static double
pareto(struct ns_rng *r)
{
	const double xm = 2.0 / sqrt(3.0);	/* stddev of alpha-3 Pareto is xm*sqrt(3)/2 */
	double u = 1.0 - ns_rng_unit(r);

	return xm * pow(u, -1.0 / 3.0) - 1.5 * xm;
}

static double
dist_sample(struct ns_rng *r, enum ns_dist d)
{
	switch (d) {
	case NS_DIST_UNIFORM:
		return 2.0 * ns_rng_unit(r) - 1.0;
	case NS_DIST_NORMAL:
		return ns_rng_normal(r);
	case NS_DIST_PARETO:
		return pareto(r);
	case NS_DIST_PARETONORMAL:
		/* netem's table mixes a quarter normal, three quarters Pareto */
		return 0.25 * ns_rng_normal(r) + 0.75 * pareto(r);
	}
	return 0;
}

const char *
ns_dist_name(enum ns_dist d)
{
	static const char *n[] = { "uniform", "normal", "pareto", "paretonormal" };

	return (unsigned)d < 4 ? n[d] : "?";
}

const char *
ns_drop_name(enum ns_drop r)
{
	static const char *n[NS_DROP_NREASONS] = {
		"queue_full", "loss", "link_down", "mtu", "no_peer", "loop", "vlan",
		"partition",
	};

	return (unsigned)r < NS_DROP_NREASONS ? n[r] : "?";
}

int
ns_impair_is_zero(const struct ns_impair *im)
{
	return im->delay_ns == 0 && im->jitter_ns == 0 && im->loss == 0 && !im->ge &&
	    im->duplicate == 0 && im->corrupt == 0 && im->reorder == 0 && im->rate_bps == 0 &&
	    im->mtu == 0;
}

static int
prob_ok(const char *what, double v, char *err, size_t errlen)
{
	if (!(v >= 0.0 && v <= 1.0)) {
		snprintf(err, errlen, "%s %g is outside 0..1", what, v);
		return 0;
	}
	return 1;
}

int
ns_impair_check(const struct ns_impair *im, char *err, size_t errlen)
{
	if (im->delay_ns < 0 || im->delay_ns > 3600LL * 1000000000LL) {
		snprintf(err, errlen, "delay %g s is outside 0..3600", (double)im->delay_ns / 1e9);
		return -1;
	}
	if (im->jitter_ns < 0 || im->jitter_ns > 3600LL * 1000000000LL) {
		snprintf(err, errlen, "jitter %g s is outside 0..3600", (double)im->jitter_ns / 1e9);
		return -1;
	}
	if ((unsigned)im->dist > NS_DIST_PARETONORMAL) {
		snprintf(err, errlen, "distribution %d is unknown", (int)im->dist);
		return -1;
	}
	if (!prob_ok("loss", im->loss, err, errlen) || !prob_ok("duplicate", im->duplicate, err, errlen) ||
	    !prob_ok("corrupt", im->corrupt, err, errlen) || !prob_ok("reorder", im->reorder, err, errlen))
		return -1;
	if (im->ge && (!prob_ok("loss_model.p", im->ge_p, err, errlen) ||
	    !prob_ok("loss_model.r", im->ge_r, err, errlen) ||
	    !prob_ok("loss_model.h", im->ge_h, err, errlen) ||
	    !prob_ok("loss_model.k", im->ge_k, err, errlen)))
		return -1;
	if (im->ge && im->loss > 0) {
		snprintf(err, errlen, "loss %g and loss_model are exclusive", im->loss);
		return -1;
	}
	if (im->limit > 1000000) {
		snprintf(err, errlen, "limit %u is outside 1..1000000 frames", im->limit);
		return -1;
	}
	if (im->mtu != 0 && (im->mtu < 68 || im->mtu > 65535 - 18)) {
		snprintf(err, errlen, "mtu %u is outside 68..65517", im->mtu);
		return -1;
	}
	return 0;
}

int
ns_parse_rate(const char *s, uint64_t *bps)
{
	static const struct { const char *unit; double mul; } u[] = {
		{ "", 1 }, { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v > 0) || v > 1e12)
		return -1;
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (strcasecmp(end, u[i].unit) == 0) {
			if (v * u[i].mul < 1 || v * u[i].mul > 1e13)
				return -1;
			*bps = (uint64_t)(v * u[i].mul);
			return 0;
		}
	return -1;
}

int
ns_iq_alloc(struct ns_iq *q, const struct ns_impair *im)
{
	uint32_t cap = im->limit ? im->limit : NS_IQ_LIMIT, i;
	uint32_t slotsz = NS_IQ_SLOT;

	if (im->mtu + 18 > slotsz)
		slotsz = (im->mtu + 18 + 63) & ~63u;
	q->heap = calloc(cap, sizeof(*q->heap));
	q->freeslot = calloc(cap, sizeof(*q->freeslot));
	q->buf = malloc((size_t)cap * slotsz);
	if (q->heap == NULL || q->freeslot == NULL || q->buf == NULL) {
		free(q->heap);
		free(q->freeslot);
		free(q->buf);
		q->heap = NULL;
		q->freeslot = NULL;
		q->buf = NULL;
		errno = ENOMEM;
		return -1;
	}
	q->cap = cap;
	q->slotsz = slotsz;
	q->count = 0;
	for (i = 0; i < cap; i++)
		q->freeslot[i] = cap - 1 - i;
	q->nfree = cap;
	return 0;
}

void
ns_iq_free(struct ns_iq *q)
{
	free(q->heap);
	free(q->freeslot);
	free(q->buf);
	q->heap = NULL;
	q->freeslot = NULL;
	q->buf = NULL;
	q->cap = q->count = q->nfree = 0;
}

static int
lost(struct ns_iq *q)
{
	const struct ns_impair *im = &q->im;
	double u;

	if (!im->ge)
		return im->loss > 0 && ns_rng_unit(&q->rng) < im->loss;
	/* decide in the current state, then move (two draws, always) */
	u = ns_rng_unit(&q->rng);
	int drop = q->ge_bad ? u >= im->ge_h : u >= im->ge_k;

	u = ns_rng_unit(&q->rng);
	if (q->ge_bad ? u < im->ge_r : u < im->ge_p)
		q->ge_bad = !q->ge_bad;
	return drop;
}

/*
 * netem's order: duplicate, loss, corrupt, queue limit, then delay (or an
 * immediate send for the reordered fraction) and the rate.  A draw is made
 * only for an impairment that is set, so adding one changes the sequence;
 * the same spec and seed always give the same one.
 */
void
ns_iq_decide(struct ns_iq *q, size_t len, int64_t now, struct ns_fate *f)
{
	const struct ns_impair *im = &q->im;
	size_t payload = len >= NS_ETH_HLEN ? len - NS_ETH_HLEN : 0;
	int i;

	memset(f, 0, sizeof(*f));
	if (im->mtu != 0 && payload > im->mtu) {
		f->why = NS_DROP_MTU;
		q->c.drop[NS_DROP_MTU]++;
		return;
	}
	f->n = 1;
	if (im->duplicate > 0 && ns_rng_unit(&q->rng) < im->duplicate)
		f->n = 2;
	if (lost(q))
		f->n--;
	if (f->n == 0) {
		f->why = NS_DROP_LOSS;
		q->c.drop[NS_DROP_LOSS]++;
		return;
	}
	if (q->cap != 0 && q->count >= q->cap && (im->delay_ns || im->jitter_ns || im->rate_bps)) {
		f->n = 0;
		f->why = NS_DROP_QUEUE_FULL;
		q->c.drop[NS_DROP_QUEUE_FULL]++;
		return;
	}
	if (f->n == 2)
		q->c.duplicated++;
	for (i = 0; i < f->n; i++) {
		int64_t t = now;

		if (im->corrupt > 0 && ns_rng_unit(&q->rng) < im->corrupt && len > 0) {
			f->corrupt[i] = 1;
			f->bit[i] = (uint32_t)(ns_rng_next(&q->rng) % ((uint64_t)len * 8));
			q->c.corrupted++;
		}
		if (im->reorder > 0 && ns_rng_unit(&q->rng) < im->reorder) {
			f->reordered = 1;	/* sent at once, ahead of the delayed ones */
			q->c.reordered++;
		} else if (im->delay_ns > 0 || im->jitter_ns > 0) {
			double d = (double)im->delay_ns;

			if (im->jitter_ns > 0)
				d += (double)im->jitter_ns * dist_sample(&q->rng, im->dist);
			if (d > 0)
				t += (int64_t)d;
		}
		if (im->rate_bps > 0) {
			if (t < q->last_end)
				t = q->last_end;
			t += (int64_t)((double)len * 8e9 / (double)im->rate_bps);
			q->last_end = t;
		}
		f->t[i] = t;
	}
}

/* heap on (t, seq) */
static int
ent_less(const struct ns_iq_ent *a, const struct ns_iq_ent *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int
ns_iq_push(struct ns_iq *q, const void *frame, size_t len, int64_t t, int corrupt, uint32_t bit)
{
	struct iovec iov = { (void *)frame, len };

	return ns_iq_pushv(q, &iov, 1, t, corrupt, bit);
}

int
ns_iq_pushv(struct ns_iq *q, const struct iovec *iov, int niov, int64_t t, int corrupt,
    uint32_t bit)
{
	struct ns_iq_ent e, tmp;
	uint32_t i, parent;
	unsigned char *d;
	size_t len = 0, off = 0;
	int k;

	for (k = 0; k < niov; k++)
		len += iov[k].iov_len;
	if (q->nfree == 0 || len > q->slotsz) {
		q->c.drop[len > q->slotsz ? NS_DROP_MTU : NS_DROP_QUEUE_FULL]++;
		return -1;
	}
	e.slot = q->freeslot[--q->nfree];
	e.len = (uint32_t)len;
	e.t = t;
	e.seq = q->seq++;
	d = q->buf + (size_t)e.slot * q->slotsz;
	for (k = 0; k < niov; k++) {
		memcpy(d + off, iov[k].iov_base, iov[k].iov_len);
		off += iov[k].iov_len;
	}
	if (corrupt)
		d[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	i = q->count++;
	q->heap[i] = e;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!ent_less(&q->heap[i], &q->heap[parent]))
			break;
		tmp = q->heap[i];
		q->heap[i] = q->heap[parent];
		q->heap[parent] = tmp;
		i = parent;
	}
	return 0;
}

const struct ns_iq_ent *
ns_iq_head(const struct ns_iq *q)
{
	return q->count ? &q->heap[0] : NULL;
}

unsigned char *
ns_iq_data(const struct ns_iq *q, const struct ns_iq_ent *e)
{
	return q->buf + (size_t)e->slot * q->slotsz;
}

void
ns_iq_pop(struct ns_iq *q)
{
	struct ns_iq_ent tmp;
	uint32_t i = 0, l, r, m;

	if (q->count == 0)
		return;
	q->freeslot[q->nfree++] = q->heap[0].slot;
	q->heap[0] = q->heap[--q->count];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < q->count && ent_less(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->count && ent_less(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		tmp = q->heap[i];
		q->heap[i] = q->heap[m];
		q->heap[m] = tmp;
		i = m;
	}
}
