/*
 * test_switch.c - the fabric: forwarding logic on its own (clock driven by
 * hand), then real ports with libvdeplug clients, captures and counters.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libvdeplug.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim.h"
#include "netsim/netsim_int.h"
#include "tests/unit/guestplug.h"

#define S (1000000000LL)

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0xc };
static const uint8_t mac_bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static size_t
mkframe(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], size_t len)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;		/* local experimental ethertype */
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

/* ns_decide on a frame dst <- src entering port in; out sorted by index. */
static int
decide(enum ns_kind k, struct ns_mactable *t, int nports, int in,
    const uint8_t *dst, const uint8_t *src, int64_t now, int *out)
{
	uint8_t f[64];

	mkframe(f, dst, src, sizeof(f));
	return ns_decide(k, t, nports, in, f, sizeof(f), now, out);
}

static void
test_learn_and_forward(void **state)
{
	struct ns_mactable t;
	int out[4], n;

	assert_int_equal(ns_mt_init(&t, 64, 300 * S), 0);
	/* a on port 0 talks to unknown b: flooded to 1, 2, 3 */
	n = decide(NS_SWITCH, &t, 4, 0, mac_b, mac_a, 0, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 3);
	assert_int_equal(ns_mt_lookup(&t, mac_a, 0), 0);
	/* b answers from port 2: goes to port 0 only */
	n = decide(NS_SWITCH, &t, 4, 2, mac_a, mac_b, 1, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0);
	/* now a -> b goes to port 2 only */
	n = decide(NS_SWITCH, &t, 4, 0, mac_b, mac_a, 2, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 2);
	ns_mt_fini(&t);
}

static void
test_broadcast_floods(void **state)
{
	struct ns_mactable t;
	uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	int out[4], n;

	assert_int_equal(ns_mt_init(&t, 64, 300 * S), 0);
	decide(NS_SWITCH, &t, 4, 1, mac_a, mac_b, 0, out);
	n = decide(NS_SWITCH, &t, 4, 1, mac_bc, mac_b, 0, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 3);
	n = decide(NS_SWITCH, &t, 4, 3, mcast, mac_c, 0, out);
	assert_int_equal(n, 3);
	/* a multicast source is never learned */
	decide(NS_SWITCH, &t, 4, 2, mac_b, mcast, 0, out);
	assert_int_equal(ns_mt_lookup(&t, mcast, 0), NS_FLOOD);
	ns_mt_fini(&t);
}

static void
test_never_back_to_ingress(void **state)
{
	struct ns_mactable t;
	int out[4], n, i;

	assert_int_equal(ns_mt_init(&t, 64, 300 * S), 0);
	/* a and b both behind port 1 (another switch there) */
	decide(NS_SWITCH, &t, 4, 1, mac_bc, mac_a, 0, out);
	decide(NS_SWITCH, &t, 4, 1, mac_bc, mac_b, 0, out);
	n = decide(NS_SWITCH, &t, 4, 1, mac_b, mac_a, 0, out);
	assert_int_equal(n, 0);
	n = decide(NS_SWITCH, &t, 4, 1, mac_c, mac_a, 0, out);
	for (i = 0; i < n; i++)
		assert_int_not_equal(out[i], 1);
	n = decide(NS_HUB, NULL, 4, 1, mac_c, mac_a, 0, out);
	for (i = 0; i < n; i++)
		assert_int_not_equal(out[i], 1);
	ns_mt_fini(&t);
}

static void
test_aging(void **state)
{
	struct ns_mactable t;
	int out[4], n;

	assert_int_equal(ns_mt_init(&t, 64, 300 * S), 0);
	decide(NS_SWITCH, &t, 3, 2, mac_bc, mac_b, 10 * S, out);
	assert_int_equal(ns_mt_lookup(&t, mac_b, 310 * S), 2);	/* exactly the age */
	n = decide(NS_SWITCH, &t, 3, 0, mac_b, mac_a, 309 * S, out);
	assert_int_equal(n, 1);
	/* silent for more than 300 s: forgotten, flooded again */
	n = decide(NS_SWITCH, &t, 3, 0, mac_b, mac_a, 311 * S, out);
	assert_int_equal(n, 2);
	assert_int_equal(t.count, 1);	/* a stays, b was removed */
	/* a frame from b refreshes it */
	decide(NS_SWITCH, &t, 3, 2, mac_a, mac_b, 400 * S, out);
	assert_int_equal(ns_mt_lookup(&t, mac_b, 699 * S), 2);
	ns_mt_expire(&t, 1000 * S);
	assert_int_equal(t.count, 0);
	ns_mt_fini(&t);
}

static void
test_station_moves(void **state)
{
	struct ns_mactable t;
	int out[4], n;

	assert_int_equal(ns_mt_init(&t, 64, 300 * S), 0);
	decide(NS_SWITCH, &t, 4, 1, mac_a, mac_b, 0, out);
	assert_int_equal(ns_mt_lookup(&t, mac_b, 1), 1);
	decide(NS_SWITCH, &t, 4, 3, mac_a, mac_b, 2, out);
	assert_int_equal(ns_mt_lookup(&t, mac_b, 3), 3);
	n = decide(NS_SWITCH, &t, 4, 0, mac_b, mac_a, 4, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 3);
	assert_int_equal(t.count, 2);
	ns_mt_forget_port(&t, 3);
	assert_int_equal(ns_mt_lookup(&t, mac_b, 5), NS_FLOOD);
	ns_mt_fini(&t);
}

static void
test_hub_and_wire(void **state)
{
	int out[5], n;

	n = decide(NS_HUB, NULL, 5, 2, mac_b, mac_a, 0, out);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 3);
	assert_int_equal(out[3], 4);
	/* a hub repeats the same unicast again: it never learns */
	n = decide(NS_HUB, NULL, 5, 0, mac_a, mac_b, 0, out);
	assert_int_equal(n, 4);
	n = decide(NS_WIRE, NULL, 2, 0, mac_b, mac_a, 0, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	n = decide(NS_WIRE, NULL, 2, 1, mac_bc, mac_b, 0, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0);
	/* runts go nowhere */
	assert_int_equal(ns_decide(NS_HUB, NULL, 5, 0, (const uint8_t *)"short", 5, 0, out), 0);
}

/* Fill past the load limit, expire half, check every survivor still found:
 * backward-shift deletion must keep probe chains intact. */
static void
test_table_full_and_delete(void **state)
{
	struct ns_mactable t;
	uint8_t m[6] = { 0x02, 0, 0, 0, 0, 0 };
	uint32_t i, found = 0;

	assert_int_equal(ns_mt_init(&t, 256, 100), 0);
	for (i = 0; i < 300; i++) {
		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		ns_mt_learn(&t, m, (int)(i % 7), (i & 1) ? 1000 : 0);
	}
	assert_int_equal(t.count, 192);		/* 3/4 of 256, the rest flooded */
	ns_mt_expire(&t, 150);			/* the even ones are 150 old */
	for (i = 0; i < 300; i++) {
		int p;

		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		p = ns_mt_lookup(&t, m, 150);
		if (p != NS_FLOOD) {
			assert_true(i & 1);
			assert_int_equal(p, (int)(i % 7));
			found++;
		}
	}
	assert_int_equal(found, t.count);
	assert_int_equal(found, 96);
	ns_mt_fini(&t);
}

/* --- real ports --- */

struct rig {
	char dir[64];
	char path[4][128];
	struct loop *l;
	struct ns_fabric *f;
	struct ns_switch *sw;
	struct ns_port *p[4];
};

static int
rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	char err[256];
	int i;

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "/tmp/umlab-test-switch.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	assert_non_null(r->l = loop_new());
	assert_non_null(r->f = ns_fabric_new(r->l));
	assert_non_null(r->sw = ns_switch_new(r->f, "lan0", NS_SWITCH));
	for (i = 0; i < 3; i++) {
		char name[16], path[128];

		snprintf(name, sizeof(name), "%c.eth0", 'a' + i);
		snprintf(path, sizeof(path), "%s/%s", r->dir, name);
		memcpy(r->path[i], path, sizeof(path));
		r->p[i] = ns_port_new(r->sw, name, r->path[i], err, sizeof(err));
		if (r->p[i] == NULL)
			fail_msg("%s", err);
	}
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/a.pcapng", r->dir);
		memcpy(r->path[3], path, sizeof(path));
	}
	*state = r;
	return 0;
}

static int
rig_teardown(void **state)
{
	struct rig *r = *state;
	char cmd[128];

	ns_fabric_free(r->f);
	loop_free(r->l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", r->dir);
	free(r);
	return 0;
}

/* A guest's NIC on the port at path (guestplug.h). */
static VDECONN *
plug(const char *path)
{
	VDECONN *c = guest_plug(path);

	if (c == NULL)
		fail_msg("connect %s: %s", path, strerror(errno));
	return c;
}

/* A guest's vector driver, by hand, for a test that watches the
 * connection itself. */
static int
vector_nic(const char *path)
{
	int fd = guest_connect(path);

	assert_true(fd >= 0);
	return fd;
}

/* Another program's end of a vdeplug4 ptp:// link at path. */
static VDECONN *
ptp_plug(const char *path)
{
	char url[176];
	VDECONN *c;

	snprintf(url, sizeof(url), "ptp://%s", path);
	if ((c = vde_open(url, "test", NULL)) == NULL)
		fail_msg("vde_open %s: %s", url, strerror(errno));
	return c;
}

/* Run the loop until c has a frame (or 2 s pass); the frame's length or -1. */
static ssize_t
pump(struct rig *r, VDECONN *c, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = vde_datafd(c), .events = POLLIN };
	int i;

	for (i = 0; i < 200; i++) {
		loop_run_once(r->l, 10);
		if (poll(&pfd, 1, 0) == 1)
			return vde_recv(c, buf, len, 0);
	}
	return -1;
}

/* Run the loop for ms and report whether c got anything. */
static int
quiet(struct rig *r, VDECONN *c, int ms)
{
	struct pollfd pfd = { .fd = vde_datafd(c), .events = POLLIN };
	int i;

	for (i = 0; i < ms / 10; i++)
		loop_run_once(r->l, 10);
	return poll(&pfd, 1, 0) == 0;
}

static void
test_ports_forward_capture_count(void **state)
{
	struct rig *r = *state;
	struct ns_counters ca, cb, cc;
	uint8_t f[1514], g[2048];
	struct pcap_pkthdr *h;
	const u_char *data;
	char err[PCAP_ERRBUF_SIZE];
	VDECONN *a, *b;
	pcap_t *pc;
	size_t n1, n2;
	int frames = 0;

	assert_string_equal(ns_port_name(r->p[0]), "a.eth0");
	snprintf((char *)g, sizeof(g), "bess://%s", r->path[0]);
	assert_string_equal(ns_port_url(r->p[0]), (char *)g);
	assert_int_equal(ns_port_capture(r->p[0], r->path[3], err, sizeof(err)), 0);

	a = plug(r->path[0]);
	b = plug(r->path[1]);		/* c.eth0 has no guest: its copies drop */

	/* broadcast from a reaches b */
	n1 = mkframe(f, mac_bc, mac_a, 60);
	assert_int_equal(vde_send(a, f, n1, 0), (ssize_t)n1);
	assert_int_equal(pump(r, b, g, sizeof(g)), (ssize_t)n1);
	assert_memory_equal(g, f, n1);

	/* b answers a with a full-size frame: a gets it */
	n2 = mkframe(f, mac_a, mac_b, 1514);
	assert_int_equal(vde_send(b, f, n2, 0), (ssize_t)n2);
	assert_int_equal(pump(r, a, g, sizeof(g)), (ssize_t)n2);
	assert_memory_equal(g, f, n2);

	/* a to b again: learned, so c.eth0 sees nothing more */
	mkframe(f, mac_b, mac_a, 100);
	assert_int_equal(vde_send(a, f, 100, 0), 100);
	assert_int_equal(pump(r, b, g, sizeof(g)), 100);

	/* a runt is counted and dropped */
	assert_int_equal(vde_send(a, f, 10, 0), 10);
	assert_true(quiet(r, b, 50));

	ns_port_counters(r->p[0], &ca);
	ns_port_counters(r->p[1], &cb);
	ns_port_counters(r->p[2], &cc);
	assert_int_equal(ca.rx_frames, 3);
	assert_int_equal(ca.rx_bytes, n1 + 100 + 10);
	assert_int_equal(ca.rx_errors, 1);
	assert_int_equal(ca.tx_frames, 1);
	assert_int_equal(ca.tx_bytes, n2);
	assert_int_equal(ca.drop_frames, 0);
	assert_int_equal(cb.rx_frames, 1);
	assert_int_equal(cb.rx_bytes, n2);
	assert_int_equal(cb.tx_frames, 2);
	assert_int_equal(cb.tx_bytes, n1 + 100);
	assert_int_equal(cc.tx_frames, 0);
	assert_int_equal(cc.rx_frames, 0);
	assert_int_equal(cc.drop_frames, 1);	/* the broadcast */

	vde_close(a);
	vde_close(b);
	/* freeing the fabric finishes the capture */
	ns_fabric_free(r->f);
	r->f = NULL;
	{
		struct stat st;

		assert_int_equal(stat(r->path[0], &st), -1);	/* sockets unlinked */
	}

	pc = pcap_open_offline(r->path[3], err);
	if (pc == NULL)
		fail_msg("%s", err);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		static const size_t want[] = { 60, 1514, 100, 10 };

		assert_true(frames < 4);
		/* a's file: what a sent (rx) and got (tx), in order */
		assert_int_equal(h->caplen, want[frames]);
		assert_int_equal(h->len, want[frames]);
		assert_true(h->ts.tv_sec > 1600000000);
		/* the source MAC, as far as captured (the runt has 4 bytes of it) */
		if (frames == 1)
			assert_memory_equal(data + 6, mac_b, 6);
		else
			assert_memory_equal(data + 6, mac_a, h->caplen < 12 ? h->caplen - 6 : 6);
		frames++;
	}
	pcap_close(pc);
	assert_int_equal(frames, 4);
}

static int
count_frames(const char *path, int *nano)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int n = 0;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (pc == NULL)
		return -1;
	*nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	while (pcap_next_ex(pc, &h, &data) == 1)
		n++;
	pcap_close(pc);
	return n;
}

/* A pcapng file's blocks, checked as they are read. */
struct ng {
	int nidb, nepb;
	char ifname[2][64];
	struct {
		uint32_t ifid, caplen, len, flags;
		uint64_t ts;
		uint8_t src[6];
	} epb[8];
	size_t size;
};

static uint32_t
u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void
parse_pcapng(const char *path, struct ng *ng)
{
	static uint8_t buf[1 << 16];
	FILE *fp = fopen(path, "rb");
	size_t n, off;

	memset(ng, 0, sizeof(*ng));
	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ng->size = n;
	/* the SHB first: its type reads alike in both byte orders */
	assert_true(n >= 28);
	assert_int_equal(u32(buf), 0x0A0D0D0A);
	assert_int_equal(u32(buf + 8), 0x1A2B3C4D);	/* our byte order */
	assert_int_equal(u16(buf + 12), 1);
	assert_int_equal(u16(buf + 14), 0);
	for (off = 0; off < n;) {
		uint32_t type = u32(buf + off), total = u32(buf + off + 4);
		const uint8_t *b = buf + off, *o, *end;

		assert_true(total >= 12 && total % 4 == 0 && off + total <= n);
		assert_int_equal(u32(b + total - 4), total);	/* length at both ends */
		if (off == 0)
			assert_int_equal(type, 0x0A0D0D0A);
		else
			assert_int_not_equal(type, 0x0A0D0D0A);	/* one section */
		end = b + total - 4;
		if (type == 1) {	/* IDB */
			int tsresol = -1;

			assert_int_equal(ng->nepb, 0);	/* IDBs come first */
			assert_true(ng->nidb < 2);
			assert_int_equal(u16(b + 8), 1);	/* LINKTYPE_ETHERNET */
			assert_int_equal(u32(b + 12), NS_SNAPLEN);
			for (o = b + 16; o + 4 <= end && u16(o) != 0; o += 4 + ((u16(o + 2) + 3) & ~3)) {
				if (u16(o) == 9) {
					assert_int_equal(u16(o + 2), 1);
					tsresol = o[4];
				} else if (u16(o) == 2) {
					assert_true(u16(o + 2) < 64);
					memcpy(ng->ifname[ng->nidb], o + 4, u16(o + 2));
				}
			}
			assert_int_equal(tsresol, 9);		/* nanoseconds */
			ng->nidb++;
		} else if (type == 6) {	/* EPB */
			uint32_t caplen = u32(b + 20);

			assert_int_equal(ng->nidb, 2);
			assert_true(ng->nepb < 8);
			ng->epb[ng->nepb].ifid = u32(b + 8);
			ng->epb[ng->nepb].ts = (uint64_t)u32(b + 12) << 32 | u32(b + 16);
			ng->epb[ng->nepb].caplen = caplen;
			ng->epb[ng->nepb].len = u32(b + 24);
			memcpy(ng->epb[ng->nepb].src, b + 28 + 6, 6);
			ng->epb[ng->nepb].flags = 0xdeadbeef;
			for (o = b + 28 + ((caplen + 3) & ~3u); o + 4 <= end && u16(o) != 0;
			     o += 4 + ((u16(o + 2) + 3) & ~3)) {
				if (u16(o) == 2) {
					assert_int_equal(u16(o + 2), 4);
					ng->epb[ng->nepb].flags = u32(o + 4);
				}
			}
			assert_int_not_equal(ng->epb[ng->nepb].flags, 0xdeadbeef);
			assert_true(ng->epb[ng->nepb].ifid < 2);
			ng->nepb++;
		}
		off += total;
	}
	assert_int_equal(off, n);
}

/* Nanosecond timestamps; a size limit with a ring of three files. */
static void
test_capture_ring(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], g[128];
	char err[256], p1[160], p2[160], p3[160];
	VDECONN *a, *b;
	int i, nano = 0;

	/* SHB (44) and two IDBs (52 each: "a.eth0 from node", "a.eth0 to
	 * node") + two 104-byte EPBs (60-byte frame, epb_flags) a file */
	ns_port_capture_limit(r->p[0], 148 + 2 * 104, 3);
	assert_int_equal(ns_port_capture(r->p[0], r->path[3], err, sizeof(err)), 0);
	a = plug(r->path[0]);
	b = plug(r->path[1]);
	for (i = 0; i < 7; i++) {
		mkframe(f, mac_bc, mac_a, 60);
		assert_int_equal(vde_send(a, f, 60, 0), 60);
		assert_int_equal(pump(r, b, g, sizeof(g)), 60);
	}
	vde_close(a);
	vde_close(b);
	ns_fabric_free(r->f);
	r->f = NULL;
	snprintf(p1, sizeof(p1), "%s.1", r->path[3]);
	snprintf(p2, sizeof(p2), "%s.2", r->path[3]);
	snprintf(p3, sizeof(p3), "%s.3", r->path[3]);
	/* frames 7 | 5, 6 | 3, 4; 1 and 2 were overwritten */
	assert_int_equal(count_frames(r->path[3], &nano), 1);
	assert_true(nano);
	assert_int_equal(count_frames(p1, &nano), 2);
	assert_int_equal(count_frames(p2, &nano), 2);
	assert_int_equal(access(p3, F_OK), -1);
	/* each file of the ring is a section of its own: SHB, IDBs, EPBs */
	{
		const char *files[3] = { r->path[3], p1, p2 };
		struct ng ng;

		for (i = 0; i < 3; i++) {
			parse_pcapng(files[i], &ng);
			assert_int_equal(ng.nidb, 2);
			assert_int_equal(ng.nepb, i == 0 ? 1 : 2);
			assert_int_equal(ng.epb[0].ifid, 0);	/* a sent them */
			assert_int_equal(ng.epb[0].flags & 3, 1);
			assert_int_equal(ng.size, i == 0 ? 148 + 104 : 148 + 2 * 104);
		}
	}
}

/* The file's blocks, read by hand: the direction of every frame, by
 * interface and by epb_flags. */
static void
test_capture_pcapng_direction(void **state)
{
	struct rig *r = *state;
	uint8_t f[128], g[128];
	char err[256];
	VDECONN *a, *b;
	struct ng ng;
	int nano = 0;

	assert_int_equal(ns_port_capture(r->p[0], r->path[3], err, sizeof(err)), 0);
	a = plug(r->path[0]);
	b = plug(r->path[1]);
	/* a sends (into the fabric): from node */
	mkframe(f, mac_bc, mac_a, 61);
	assert_int_equal(vde_send(a, f, 61, 0), 61);
	assert_int_equal(pump(r, b, g, sizeof(g)), 61);
	/* b's answer is delivered to a: to node */
	mkframe(f, mac_a, mac_b, 98);
	assert_int_equal(vde_send(b, f, 98, 0), 98);
	assert_int_equal(pump(r, a, g, sizeof(g)), 98);
	vde_close(a);
	vde_close(b);
	ns_fabric_free(r->f);
	r->f = NULL;

	parse_pcapng(r->path[3], &ng);
	assert_int_equal(ng.nidb, 2);
	assert_string_equal(ng.ifname[0], "a.eth0 from node");
	assert_string_equal(ng.ifname[1], "a.eth0 to node");
	assert_int_equal(ng.nepb, 2);
	assert_int_equal(ng.epb[0].ifid, 0);
	assert_int_equal(ng.epb[0].flags & 3, 1);	/* inbound */
	assert_int_equal(ng.epb[0].caplen, 61);
	assert_int_equal(ng.epb[0].len, 61);
	assert_memory_equal(ng.epb[0].src, mac_a, 6);
	assert_int_equal(ng.epb[1].ifid, 1);
	assert_int_equal(ng.epb[1].flags & 3, 2);	/* outbound */
	assert_int_equal(ng.epb[1].caplen, 98);
	assert_memory_equal(ng.epb[1].src, mac_b, 6);
	/* nanoseconds since the epoch, in order */
	assert_true(ng.epb[0].ts > 1600000000ULL * 1000000000ULL);
	assert_true(ng.epb[1].ts >= ng.epb[0].ts);
	assert_true(ng.epb[1].ts - ng.epb[0].ts < 60ULL * 1000000000ULL);
	/* and libpcap reads it too, in nanoseconds */
	assert_int_equal(count_frames(r->path[3], &nano), 2);
	assert_true(nano);
}

static void
test_guest_restart(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], g[128];
	VDECONN *a, *b;

	a = plug(r->path[0]);
	b = plug(r->path[1]);
	mkframe(f, mac_b, mac_a, 64);
	vde_send(a, f, 64, 0);
	assert_int_equal(pump(r, b, g, sizeof(g)), 64);
	mkframe(f, mac_a, mac_b, 64);
	vde_send(b, f, 64, 0);
	assert_int_equal(pump(r, a, g, sizeof(g)), 64);

	/* b's guest reboots: its new connection takes the port at once */
	vde_close(b);
	b = plug(r->path[1]);
	mkframe(f, mac_a, mac_b, 64);
	assert_int_equal(vde_send(b, f, 64, 0), 64);
	assert_int_equal(pump(r, a, g, sizeof(g)), 64);
	mkframe(f, mac_b, mac_a, 64);
	vde_send(a, f, 64, 0);
	assert_int_equal(pump(r, b, g, sizeof(g)), 64);
	vde_close(a);
	vde_close(b);
}

/*
 * A guest's burst while the fabric is busy: it all waits in the
 * connection, none of it fails (a ptp:// port's unconnected socket took
 * 10 frames, net.unix.max_dgram_qlen), and all of it is then forwarded.
 */
static void
test_burst_is_queued(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], g[128];
	VDECONN *b;
	int fd, i, sent = 0, got = 0;

	b = plug(r->path[1]);
	fd = vector_nic(r->path[0]);	/* to send without blocking as UML does */
	mkframe(f, mac_b, mac_a, 64);
	for (i = 0; i < 200; i++)
		if (send(fd, f, sizeof(f), MSG_DONTWAIT) == (ssize_t)sizeof(f))
			sent++;
	assert_int_equal(sent, 200);
	while (got < 200 && pump(r, b, g, sizeof(g)) == 64)
		got++;
	assert_int_equal(got, 200);
	close(fd);
	vde_close(b);
}

/*
 * An uplink to another program's ptp:// link: that program opens first,
 * the fabric plugs in as the second opener, and frames cross both ways
 * through libvdeplug.  A URL that cannot be opened names the uplink.
 */
static void
test_uplink(void **state)
{
	struct rig *r = *state;
	char path[160], url[180], err[256];
	uint8_t f[64], g[128];
	struct ns_counters c;
	struct ns_port *up;
	VDECONN *a, *x;

	snprintf(path, sizeof(path), "%.120s/outside", r->dir);
	x = ptp_plug(path);	/* binds the path: the first opener */
	snprintf(url, sizeof(url), "ptp://%s", path);
	up = ns_uplink_new(r->sw, "lan0.up0", url, err, sizeof(err));
	if (up == NULL)
		fail_msg("%s", err);
	assert_true(ns_port_is_uplink(up));
	a = plug(r->path[0]);
	/* out: a broadcast from a's guest reaches the program beyond */
	mkframe(f, mac_bc, mac_a, 64);
	assert_int_equal(vde_send(a, f, 64, 0), 64);
	assert_int_equal(pump(r, x, g, sizeof(g)), 64);
	assert_memory_equal(g, f, 64);
	/* in: the answer comes back to a, its MAC learned on the uplink */
	mkframe(f, mac_a, mac_c, 64);
	assert_int_equal(vde_send(x, f, 64, 0), 64);
	assert_int_equal(pump(r, a, g, sizeof(g)), 64);
	assert_memory_equal(g, f, 64);
	ns_port_counters(up, &c);
	assert_int_equal(c.rx_frames, 1);
	assert_int_equal(c.tx_frames, 1);
	assert_int_equal(ns_uplink_error(up), 0);
	vde_close(a);
	vde_close(x);

	assert_null(ns_uplink_new(r->sw, "lan0.up1", "vde:///nonexistent/umlab-switch", err,
	    sizeof(err)));
	assert_string_equal(err, "uplink lan0.up1: cannot open vde:///nonexistent/umlab-switch: "
	    "No such file or directory");
	assert_null(ns_uplink_new(r->sw, "lan0.up2", "", err, sizeof(err)));
	assert_string_equal(err, "uplink lan0.up2: no URL");
}

/* Run the loop until fd has a message (or 2 s pass); its length, 0 at
 * EOF, -1 when nothing came. */
static ssize_t
pump_fd(struct rig *r, int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (int i = 0; i < 200; i++) {
		loop_run_once(r->l, 10);
		if (poll(&pfd, 1, 0) == 1)
			return recv(fd, buf, len, 0);
	}
	return -1;
}

/*
 * A guest port: frames both ways over the guest's connection; a second connection (the guest restarted, or took its
 * interface down and up) replaces the first; after the guest's EOF,
 * frames for it are dropped as having no peer.
 */
static void
test_stream_port(void **state)
{
	struct rig *r = *state;
	char path[160], err[256];
	uint8_t f[64], g[128];
	struct ns_counters c;
	struct ns_port *d;
	VDECONN *a;
	int g1, g2;

	snprintf(path, sizeof(path), "%.120s/d.eth0", r->dir);
	d = ns_port_new(r->sw, "d.eth0", path, err, sizeof(err));
	if (d == NULL)
		fail_msg("%s", err);
	assert_non_null(strstr(ns_port_url(d), "bess://"));
	assert_null(ns_port_new(r->sw, "e.eth0", path, err, sizeof(err)));
	assert_non_null(strstr(err, "Address already in use"));

	a = plug(r->path[0]);
	g1 = vector_nic(path);
	mkframe(f, mac_bc, mac_c, 64);		/* d's guest has mac_c */
	assert_int_equal(send(g1, f, 64, 0), 64);
	assert_int_equal(pump(r, a, g, sizeof(g)), 64);
	mkframe(f, mac_c, mac_a, 64);
	assert_int_equal(vde_send(a, f, 64, 0), 64);
	assert_int_equal(pump_fd(r, g1, g, sizeof(g)), 64);
	assert_memory_equal(g, f, 64);

	g2 = vector_nic(path);			/* the guest came back */
	assert_int_equal(pump_fd(r, g1, g, sizeof(g)), 0);	/* the old one: EOF */
	assert_int_equal(ns_port_connections(d), 2);
	assert_int_equal(vde_send(a, f, 64, 0), 64);
	assert_int_equal(pump_fd(r, g2, g, sizeof(g)), 64);

	close(g2);
	assert_true(quiet(r, a, 50));
	assert_int_equal(vde_send(a, f, 64, 0), 64);
	assert_true(quiet(r, a, 50));
	ns_port_counters(d, &c);
	assert_int_equal(c.dir[NS_TO_NODE].drop[NS_DROP_NO_PEER], 1);
	assert_int_equal(c.rx_frames, 1);
	assert_int_equal(c.tx_frames, 2);
	close(g1);
	vde_close(a);
}

static void
test_port_errors(void **state)
{
	struct rig *r = *state;
	struct ns_switch *w;
	char err[256], path[128];

	/* a second port on a live path */
	assert_null(ns_port_new(r->sw, "x.eth0", r->path[0], err, sizeof(err)));
	assert_non_null(strstr(err, "port x.eth0: bind "));
	assert_non_null(strstr(err, "Address already in use"));
	/* a folder that does not exist */
	assert_null(ns_port_new(r->sw, "y.eth0", "/nonexistent/dir/y", err, sizeof(err)));
	assert_string_equal(err, "port y.eth0: bind /nonexistent/dir/y: No such file or directory");
	/* a wire takes two ports, no more */
	assert_non_null(w = ns_switch_new(r->f, "w0", NS_WIRE));
	snprintf(path, sizeof(path), "%s/w1", r->dir);
	assert_non_null(ns_port_new(w, "w1", path, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/w2", r->dir);
	assert_non_null(ns_port_new(w, "w2", path, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/w3", r->dir);
	assert_null(ns_port_new(w, "w3", path, err, sizeof(err)));
	assert_non_null(strstr(err, "two ports"));
	/* a capture that cannot be written */
	assert_int_equal(ns_port_capture(r->p[0], "/nonexistent/x.pcapng", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port a.eth0: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_and_forward),
		cmocka_unit_test(test_broadcast_floods),
		cmocka_unit_test(test_never_back_to_ingress),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_station_moves),
		cmocka_unit_test(test_hub_and_wire),
		cmocka_unit_test(test_table_full_and_delete),
		cmocka_unit_test_setup_teardown(test_ports_forward_capture_count, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_guest_restart, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_capture_ring, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_capture_pcapng_direction, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_burst_is_queued, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_uplink, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_stream_port, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_port_errors, rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
