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
#include <time.h>
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
#define NS_STALL_SLOT 9216		/* frames larger than this are not held back */
#define NS_BP_RETRY (100LL * 1000)	/* ns between retries of a stalled port */
#define NS_BP_MAX (20LL * 1000000)	/* a stall lasts at most this, then drops */
#define NS_BP_OFF (1000LL * 1000000)	/* and the guest gets no backpressure for this */

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
/* The same within VLAN vid (0: untagged ports): MACs are learned per VLAN. */
void ns_mt_learn_v(struct ns_mactable *t, const uint8_t mac[6], int vid, int port, int64_t now);
int ns_mt_lookup_v(struct ns_mactable *t, const uint8_t mac[6], int vid, int64_t now);
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

/* ns_decide within VLAN vid: learning and lookup use (vid, MAC).  The
 * caller filters flooded ports by VLAN membership. */
int ns_decide_v(enum ns_kind kind, struct ns_mactable *t, int nports, int in, int vid,
		const uint8_t *frame, size_t len, int64_t now, int *out);

/* --- pcap.c --- */

/* Captured bytes per frame at most (the capture's snaplen). */
#define NS_SNAPLEN 65535

struct ns_pcap;
struct ns_tap;
/* A pcapng file at path; name (the port's, or NULL) goes into the
 * interfaces' names: "NAME from node", "NAME to node". */
struct ns_pcap *ns_pcap_open(const char *path, const char *name, char *err, size_t errlen);
struct timespec;
/* One frame, on the interface of its direction d, with epb_flags saying
 * d too (NS_FROM_NODE: inbound; NS_TO_NODE: outbound). */
void ns_pcap_write(struct ns_pcap *c, enum ns_dir d, const struct timespec *ts,
		   const void *frame, size_t len);
/* At most max_bytes a file (0: no limit); files > 1: a ring of that many. */
void ns_pcap_limit(struct ns_pcap *c, uint64_t max_bytes, int files);
/* Frames not written because the limit was reached. */
uint64_t ns_pcap_missed(const struct ns_pcap *c);
/* Flushes and closes: the file is complete afterwards. */
void ns_pcap_close(struct ns_pcap *c);

/* --- impair.c: random decisions and the delay queue, no I/O --- */

/* xoshiro256**, seeded through splitmix64 */
struct ns_rng { uint64_t s[4]; };
uint64_t ns_splitmix64(uint64_t *x);
void ns_rng_seed(struct ns_rng *r, uint64_t seed);
uint64_t ns_rng_next(struct ns_rng *r);
double ns_rng_unit(struct ns_rng *r);		/* [0, 1) */
double ns_rng_normal(struct ns_rng *r);		/* mean 0, stddev 1 */
/* A direction's seed from a base seed, a name and the direction. */
uint64_t ns_seed_derive(uint64_t base, const char *name, int dir);

#define NS_IQ_SLOT 2048		/* bytes a queued frame may take, unless mtu says more */
#define NS_IQ_LIMIT 1000	/* default queue limit */

struct ns_iq_ent {
	int64_t t;			/* departure, loop_now() clock */
	uint64_t seq;			/* ties leave in arrival order */
	uint32_t slot, len;
};

/* What happens to one frame (ns_iq_decide). */
struct ns_fate {
	int n;				/* copies to send: 0 (dropped), 1 or 2 */
	enum ns_drop why;		/* when n == 0 */
	int64_t t[2];			/* departure of each copy */
	int corrupt[2];			/* flip bit[] of that copy */
	uint32_t bit[2];
	int reordered;
};

/* One direction of a link: its spec, generator, queue and counters. */
struct ns_iq {
	struct ns_impair im;
	int active;			/* im is not all zero */
	uint64_t seed;
	struct ns_rng rng;
	int ge_bad;			/* Gilbert-Elliott state */
	int64_t last_end;		/* rate: when the last frame finishes */
	uint64_t seq;
	/* a min-heap of queued frames by (t, seq); slots from a free stack */
	struct ns_iq_ent *heap;
	uint32_t cap, count;
	uint32_t *freeslot, nfree;
	unsigned char *buf;		/* cap * slotsz */
	uint32_t slotsz;
	struct loop_timer *timer;
	int64_t timer_at;
	struct ns_dir_counters c;
};

int ns_impair_is_zero(const struct ns_impair *im);
/* Allocate q's queue for im (limit, mtu).  Frees nothing; -1 on ENOMEM. */
int ns_iq_alloc(struct ns_iq *q, const struct ns_impair *im);
void ns_iq_free(struct ns_iq *q);
/* The fate of one frame of len bytes arriving at now.  Pure apart from
 * q's generator, Gilbert-Elliott state and rate clock; counts drops. */
void ns_iq_decide(struct ns_iq *q, size_t len, int64_t now, struct ns_fate *f);
/* Queue a copy (flipping bit if corrupt).  -1 when full (counted). */
struct iovec;
int ns_iq_pushv(struct ns_iq *q, const struct iovec *iov, int niov, int64_t t, int corrupt,
		uint32_t bit);
int ns_iq_push(struct ns_iq *q, const void *frame, size_t len, int64_t t, int corrupt, uint32_t bit);
/* The earliest queued frame, or NULL. */
const struct ns_iq_ent *ns_iq_head(const struct ns_iq *q);
unsigned char *ns_iq_data(const struct ns_iq *q, const struct ns_iq_ent *e);
void ns_iq_pop(struct ns_iq *q);

/* --- partition.c: pure logic --- */

#define NS_PART_MAX 64
struct ns_fabric;
struct ns_port;
/* 1 if a partition rule drops frames from src to dst (both guest ports). */
int ns_part_blocks(const struct ns_fabric *f, const struct ns_port *src, const struct ns_port *dst);

/* --- fabric.c --- */

struct vdeconn;

struct ns_port {
	struct ns_switch *sw;
	int idx;			/* index in sw->port, the MAC table's port id */
	char *name;
	char *url;			/* "bess://PATH", or an uplink's URL */
	int fd;				/* the guest's connection, an uplink's fd, or -1 */
	struct vdeconn *ext;		/* an uplink: a plug of libvdeplug's (uplink.c) */
	int ext_errno;			/* the uplink's far end failed for good */
	unsigned bound : 1;		/* we bound PATH: unlink it at the end */
	unsigned polled : 1;		/* fd is in the loop */
	unsigned lpolled : 1;		/* lfd is in the loop */
	int lfd;			/* a guest port's listener at PATH; else -1 */
	unsigned connections;		/* guest connections accepted (stream.c) */
	int fresh;			/* the connection has sent nothing yet */
	int shm_ok;			/* a umlab:// hello is answered (not a guest's port) */
	struct ns_shm *shm;		/* a umlab:// plug's rings (shm.c); fd is its kick */
	unsigned shm_plugs;		/* umlab:// plugs that connected */
	struct ns_counters c;
	struct ns_pcap *cap;
	struct ns_tap *tap;		/* a live capture stream (ns_port_tap) */
	uint64_t cap_max;		/* capture size limit, 0: none */
	int cap_files;			/* ring of files at the limit */
	int down;			/* link down: both directions drop */
	uint64_t seed;			/* base of both directions' seeds */
	struct ns_iq q[2];		/* by enum ns_dir */
	/* frames waiting for this port's sendmmsg, pointing into the
	 * fabric's receive buffers: at most one receive batch */
	unsigned ntx;
	struct mmsghdr tx[NS_BATCH];
	struct iovec txiov[NS_BATCH][3];	/* a tag pushed: head, tag, rest */
	unsigned char tag[NS_BATCH][4];
	/* VLANs: an access port (vlan), or an 802.1Q trunk (allowed) */
	int vlan;			/* 1..4094; 0: untagged port */
	int trunk;
	uint64_t allowed[64];		/* trunk: bitmap of VLANs 0..4095 */
	struct ns_port *peer_port;	/* internal trunk: its other end, no socket */
	int blocked;			/* a loop came back through it: no forwarding */
	/* backpressure: frames the guest's socket refused (EAGAIN), kept
	 * while the ingress port that sent them is paused */
	unsigned char *stall;		/* NS_BATCH slots of NS_STALL_SLOT bytes */
	uint32_t stall_len[NS_BATCH];
	unsigned nstall;
	int64_t stall_since;
	int64_t bp_off_until;		/* gave up on this guest: drop until then */
	int paused;			/* not read: an egress is stalled */
	struct ns_port *next_stalled, *next_paused;
	struct ns_port *next_dirty;
	int listed;			/* on the fabric's dirty list */
	/* partitions (partition.c): the rules this port is in, as side A
	 * and as side B, one bit per rule */
	uint64_t part_a, part_b;
};

#define NS_LOOP_SLOTS 64
#define NS_LOOP_WINDOW (100LL * 1000000LL)	/* ns */
#define NS_MAX_HOPS 16			/* switches a frame may cross */

/* Recently flooded frames per switch, to see one come back. */
struct ns_loopdet {
	uint64_t hash[NS_LOOP_SLOTS];
	int port[NS_LOOP_SLOTS];
	int64_t t[NS_LOOP_SLOTS];
	unsigned next;
};

/* A frame inside the fabric: its bytes as received, and its VLAN. */
struct ns_frm {
	unsigned char *data;
	size_t len;
	int vid;			/* 0: untagged domain */
	int tagged;			/* data holds an 802.1Q tag at 12 */
};

struct ns_switch {
	struct ns_fabric *f;
	struct ns_loopdet ld;
	uint64_t loops;			/* loops detected */
	int ntrunks;			/* internal trunk ports */
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
	uint64_t seed;
	struct ns_switch *sw;
	struct ns_port *dirty;		/* ports with frames in tx[] */
	struct timespec tv;		/* time of day of the current batch, for captures */
	unsigned char *scratch;		/* one frame, to capture a re-tagged frame */
	int depth;			/* switches the current frame has crossed */
	struct ns_port *cur_in;		/* the port being read (port_readable) */
	struct ns_port *stalled, *paused;
	struct loop_timer *bp_timer;
	/* partitions: rules in use, and those that also block B -> A */
	uint64_t part_used, part_twoway;
	struct ns_port *src;		/* the guest port the current frame came from */
	/* one receive batch, shared by every port */
	unsigned char *buf;		/* NS_BATCH * NS_FRAME_MAX */
	struct mmsghdr rx[NS_BATCH];
	struct iovec rxiov[NS_BATCH];
};


/* fabric.c, for uplink.c */
struct ns_port *ns_port_alloc(struct ns_switch *sw, const char *name, char *err, size_t errlen);
void ns_port_attach(struct ns_port *p);
void ns_port_discard(struct ns_port *p);
void ns_rx_batch(struct ns_port *in, int n);
void ns_rx_frames(struct ns_port *in, const struct iovec *fr, int n);
const void *ns_frame_flat(struct ns_fabric *f, const struct msghdr *h, size_t *len);
void ns_port_readable(int fd, uint32_t events, void *arg);
/* Into p's capture file and live capture, if it has them. */
void ns_port_record(struct ns_port *p, enum ns_dir d, const struct timespec *ts, const void *frame,
		    size_t len);
void ns_set_bufsize(int fd);

/* stream.c */
void ns_stream_drop(struct ns_port *p);

/* shm.c */
struct ns_shm;
int ns_shm_is_hello(const void *msg, size_t len);
void ns_shm_start(struct ns_port *p);
void ns_shm_free(struct ns_port *p);
int ns_shm_send(struct ns_port *p, struct mmsghdr *m, unsigned n);

/* uplink.c */
void ns_uplink_readable(int fd, uint32_t events, void *arg);
void ns_uplink_flush(struct ns_port *p);
void ns_uplink_close(struct ns_port *p);

#endif
