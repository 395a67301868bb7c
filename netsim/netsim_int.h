/*
 * netsim_int.h - structures shared by the netsim files.  Not an interface
 * for other parts: use netsim.h.  Unit tests include it to reach the pure
 * switching logic (MAC table, forwarding decision) without sockets.
 */
#ifndef UMLAB_NETSIM_INT_H
#define UMLAB_NETSIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>

#include "netsim/netsim.h"

#define NS_BATCH 32		/* frames per recvmmsg/sendmmsg */
#define NS_FRAME_MAX 65536	/* largest datagram accepted */
#define NS_ETH_HLEN 14		/* shorter frames are dropped */
#define NS_FLOOD (-1)		/* lookup result: destination unknown */

#define NS_MT_CAP 4096		/* MAC table slots per switch (power of 2) */
#define NS_MT_AGE_NS (300LL * 1000000000LL)
#define NS_SOCKBUF (4 * 1024 * 1024)

/* --- mactable.c: pure logic, no I/O, no allocation per frame --- */

struct ns_mac_entry {
	uint64_t key;		/* mac | NS_MT_USED; 0 = empty */
	int64_t seen;		/* ns, caller's clock */
	int port;
};

struct ns_mactable {
	struct ns_mac_entry *slot;
	uint32_t mask;		/* capacity - 1 */
	uint32_t count, max;	/* max: load limit, 3/4 of capacity */
	int64_t age_ns;
	int64_t last_sweep;
};

/* cap must be a power of 2.  0 on success, -1 (ENOMEM) on failure. */
int ns_mt_init(struct ns_mactable *t, uint32_t cap, int64_t age_ns);
void ns_mt_fini(struct ns_mactable *t);
void ns_mt_learn(struct ns_mactable *t, const uint8_t mac[6], int port, int64_t now);
/* The port mac was last seen on, or NS_FLOOD (unknown or aged out). */
int ns_mt_lookup(struct ns_mactable *t, const uint8_t mac[6], int64_t now);
/* Drop entries older than the aging time. */
void ns_mt_expire(struct ns_mactable *t, int64_t now);
/* Drop every entry on port (link down, port removed). */
void ns_mt_forget_port(struct ns_mactable *t, int port);

/*
 * The forwarding decision for one frame that came in on port in (of
 * nports).  Fills out[] (room for nports) with the egress ports, never in,
 * and returns their number.  t is used (and learns) only for NS_SWITCH.
 */
int ns_decide(enum ns_kind kind, struct ns_mactable *t, int nports, int in,
	      const uint8_t *frame, size_t len, int64_t now, int *out);

/* --- pcap.c --- */

struct ns_pcap;
struct ns_pcap *ns_pcap_open(const char *path, char *err, size_t errlen);
void ns_pcap_write(struct ns_pcap *c, const struct timeval *tv, const void *frame, size_t len);
/* Flushes and closes: the file is complete afterwards. */
void ns_pcap_close(struct ns_pcap *c);

/* --- fabric.c --- */

struct vdeconn;

struct ns_port {
	struct ns_switch *sw;
	int idx;			/* index in sw->port, the MAC table's port id */
	char *name;
	char *url;			/* "ptp://PATH" */
	struct vdeconn *conn;
	int fd;
	struct sockaddr_un peer;	/* PATH+, where the guest binds */
	socklen_t peerlen;
	struct ns_counters c;
	struct ns_pcap *cap;
	/* frames waiting for this port's sendmmsg, pointing into the
	 * fabric's receive buffers: at most one receive batch */
	unsigned ntx;
	struct mmsghdr tx[NS_BATCH];
	struct iovec txiov[NS_BATCH];
	struct ns_port *next_dirty;
};

struct ns_switch {
	struct ns_fabric *f;
	char *name;
	enum ns_kind kind;
	struct ns_port **port;
	int nports, capports;
	int *out;			/* scratch for ns_decide, capports ints */
	struct ns_mactable mt;
	struct ns_switch *next;
};

struct ns_fabric {
	struct loop *l;
	struct ns_switch *sw;
	struct ns_port *dirty;		/* ports with frames in tx[] */
	/* one receive batch, shared by every port */
	unsigned char *buf;		/* NS_BATCH * NS_FRAME_MAX */
	struct mmsghdr rx[NS_BATCH];
	struct iovec rxiov[NS_BATCH];
};

#endif
