/*
 * mactable.c - MAC learning and the forwarding decision.  Pure logic: no
 * I/O, no clock of its own (the caller passes now), no allocation after
 * ns_mt_init.  An open-addressing hash with linear probing and
 * backward-shift deletion, so no tombstones pile up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netsim/netsim_int.h"

#define NS_MT_USED (1ULL << 63)

/* MACs are learned per VLAN: the VLAN id sits above the 48 MAC bits. */
static uint64_t
mac_key_v(const uint8_t m[6], int vid)
{
	return NS_MT_USED | (uint64_t)(vid & 0xfff) << 48 | (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 |
	    (uint64_t)m[2] << 24 | (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static uint32_t
mt_hash(const struct ns_mactable *t, uint64_t key)
{
	/* Fibonacci hashing: vendors share OUIs, so mix all the bits */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

int
ns_mt_init(struct ns_mactable *t, uint32_t cap, int64_t age_ns)
{
	memset(t, 0, sizeof(*t));
	if (cap < 4 || (cap & (cap - 1)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL)
		return -1;
	t->mask = cap - 1;
	t->max = cap / 4 * 3;
	t->age_ns = age_ns;
	return 0;
}

void
ns_mt_fini(struct ns_mactable *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* Empty slot i and pull later members of its cluster back over the hole. */
static void
mt_delete(struct ns_mactable *t, uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		t->slot[i].key = 0;
		for (;;) {
			j = (j + 1) & t->mask;
			if (t->slot[j].key == 0) {
				t->count--;
				return;
			}
			home = mt_hash(t, t->slot[j].key);
			/* j may move to i only if its home is not in (i, j] */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		t->slot[i] = t->slot[j];
		i = j;
	}
}

static int
mt_expired(const struct ns_mactable *t, const struct ns_mac_entry *e, int64_t now)
{
	return now - e->seen > t->age_ns;
}

void
ns_mt_expire(struct ns_mactable *t, int64_t now)
{
	uint32_t i = 0;

	t->last_sweep = now;
	/* deletion shifts entries back into i: look at i again */
	while (i <= t->mask) {
		if (t->slot[i].key != 0 && mt_expired(t, &t->slot[i], now))
			mt_delete(t, i);
		else
			i++;
	}
}

void
ns_mt_forget_port(struct ns_mactable *t, int port)
{
	uint32_t i = 0;

	while (i <= t->mask) {
		if (t->slot[i].key != 0 && t->slot[i].port == port)
			mt_delete(t, i);
		else
			i++;
	}
}

static struct ns_mac_entry *
mt_find(struct ns_mactable *t, uint64_t key, uint32_t *where)
{
	uint32_t i = mt_hash(t, key);

	while (t->slot[i].key != 0) {
		if (t->slot[i].key == key) {
			*where = i;
			return &t->slot[i];
		}
		i = (i + 1) & t->mask;
	}
	*where = i;
	return NULL;
}

void
ns_mt_learn(struct ns_mactable *t, const uint8_t mac[6], int port, int64_t now)
{
	ns_mt_learn_v(t, mac, 0, port, now);
}

void
ns_mt_learn_v(struct ns_mactable *t, const uint8_t mac[6], int vid, int port, int64_t now)
{
	uint64_t key = mac_key_v(mac, vid);
	struct ns_mac_entry *e;
	uint32_t i;

	if ((e = mt_find(t, key, &i)) != NULL) {
		e->port = port;		/* a station may move */
		e->seen = now;
		return;
	}
	if (t->count >= t->max) {
		/* full: reclaim aged entries, at most once a second so a MAC
		 * flood cannot turn every frame into a table scan */
		if (now - t->last_sweep < 1000000000LL)
			return;
		ns_mt_expire(t, now);
		if (t->count >= t->max)
			return;		/* unknown stays flooded, as on a real switch */
		mt_find(t, key, &i);
	}
	t->slot[i].key = key;
	t->slot[i].port = port;
	t->slot[i].seen = now;
	t->count++;
}

int
ns_mt_lookup(struct ns_mactable *t, const uint8_t mac[6], int64_t now)
{
	return ns_mt_lookup_v(t, mac, 0, now);
}

int
ns_mt_lookup_v(struct ns_mactable *t, const uint8_t mac[6], int vid, int64_t now)
{
	struct ns_mac_entry *e;
	uint32_t i;

	if ((e = mt_find(t, mac_key_v(mac, vid), &i)) == NULL)
		return NS_FLOOD;
	if (mt_expired(t, e, now)) {
		mt_delete(t, i);
		return NS_FLOOD;
	}
	return e->port;
}

static int
all_but(int nports, int in, int *out)
{
	int i, n = 0;

	for (i = 0; i < nports; i++)
		if (i != in)
			out[n++] = i;
	return n;
}

int
ns_decide(enum ns_kind kind, struct ns_mactable *t, int nports, int in,
    const uint8_t *frame, size_t len, int64_t now, int *out)
{
	return ns_decide_v(kind, t, nports, in, 0, frame, len, now, out);
}

int
ns_decide_v(enum ns_kind kind, struct ns_mactable *t, int nports, int in, int vid,
    const uint8_t *frame, size_t len, int64_t now, int *out)
{
	const uint8_t *dst = frame, *src = frame + 6;
	int p;

	if (len < NS_ETH_HLEN)
		return 0;
	switch (kind) {
	case NS_WIRE:
		if (nports != 2)
			return 0;
		out[0] = !in;
		return 1;
	case NS_HUB:
		return all_but(nports, in, out);
	case NS_SWITCH:
		break;
	}
	/* a multicast source address is bogus: never learn it */
	if ((src[0] & 1) == 0)
		ns_mt_learn_v(t, src, vid, in, now);
	if (dst[0] & 1)
		return all_but(nports, in, out);
	if ((p = ns_mt_lookup_v(t, dst, vid, now)) == NS_FLOOD)
		return all_but(nports, in, out);
	if (p == in || p >= nports)
		return 0;	/* destination is on the segment it came from */
	out[0] = p;
	return 1;
}
