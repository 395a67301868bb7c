/*
 * netsim.h - umlab's switch fabric.  Knows frames and ports, never guests
 * or Lua.  A fabric runs inside the controller's event loop.
 *
 * A guest port is a SOCK_SEQPACKET listener at PATH: the guest kernel's
 * vector driver (vecN:transport=bess,dst=PATH) connects when the guest
 * brings the interface up, and each message is one Ethernet frame.
 */
#ifndef UMLAB_NETSIM_H
#define UMLAB_NETSIM_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct ns_fabric;
struct ns_switch;
struct ns_port;

enum ns_kind {
	NS_SWITCH, /* MAC learning, floods unknown and broadcast destinations */
	NS_HUB,    /* repeats every frame to every other port */
	NS_WIRE,   /* exactly two ports */
};

/* The two directions of a link, seen from the node. */
enum ns_dir {
	NS_TO_NODE = 0,     /* switch -> node */
	NS_FROM_NODE = 1,   /* node -> switch */
};

/* Why a frame was dropped (per direction). */
enum ns_drop {
	NS_DROP_QUEUE_FULL, /* impairment queue at its limit, or the guest's socket full */
	NS_DROP_LOSS,       /* random or Gilbert-Elliott loss */
	NS_DROP_LINK_DOWN,  /* ns_port_set_up(p, 0) */
	NS_DROP_MTU,        /* payload larger than the link's mtu */
	NS_DROP_NO_PEER,    /* no guest bound to PATH+ (yet, or any more) */
	NS_DROP_LOOP,       /* broadcast loop detected, port blocked */
	NS_DROP_VLAN,       /* VLAN not allowed on the port */
	NS_DROP_PARTITION,  /* a partition rule (ns_partition_add) between the ports */
	NS_DROP_NREASONS
};

struct ns_dir_counters {
	uint64_t frames, bytes;         /* frames that made it through this direction */
	uint64_t drop[NS_DROP_NREASONS];
	uint64_t duplicated, corrupted, reordered, delayed;
	uint64_t held;                  /* to the node: held back while its socket was full */
};

struct ns_counters {
	uint64_t rx_frames, rx_bytes;   /* frames the port received from its guest */
	uint64_t tx_frames, tx_bytes;   /* frames the port delivered to its guest */
	uint64_t drop_frames;           /* every drop in either direction (sum of dir[].drop) */
	uint64_t rx_errors;             /* received but dropped: shorter than 14 bytes, truncated */
	struct ns_dir_counters dir[2];  /* by enum ns_dir */
};

/* Delay distributions, as netem's (jitter is the standard deviation
 * for normal/pareto/paretonormal, the half-width for uniform). */
enum ns_dist { NS_DIST_UNIFORM, NS_DIST_NORMAL, NS_DIST_PARETO, NS_DIST_PARETONORMAL };

/*
 * Impairments of one direction of a link.  All zero = a perfect link (the
 * zero-copy path).  Probabilities are 0..1.
 */
struct ns_impair {
	int64_t delay_ns, jitter_ns;
	enum ns_dist dist;
	double loss;                    /* random loss */
	int ge;                         /* Gilbert-Elliott loss instead of random */
	double ge_p, ge_r;              /* good->bad, bad->good transition probabilities */
	double ge_h, ge_k;              /* P(frame survives) in the bad / good state */
	double duplicate, corrupt;
	double reorder;                 /* fraction sent at once, the rest delayed (netem) */
	uint64_t rate_bps;              /* 0: unlimited; serialization delay len*8/rate */
	uint32_t limit;                 /* frames queued at most; 0: 1000 */
	uint32_t mtu;                   /* largest payload (frame - 14); 0: no limit */
};

/* Check a spec: 0, or -1 with err such as "loss 1.5 is outside 0..1". */
int ns_impair_check(const struct ns_impair *im, char *err, size_t errlen);
/* Parse a rate "10mbit", "1gbit", "512kbit", "100bit", "2mbps" (bytes/s), or
 * a plain number of bits/s.  0 on success. */
int ns_parse_rate(const char *s, uint64_t *bps);
const char *ns_dist_name(enum ns_dist d);
const char *ns_drop_name(enum ns_drop r);

struct ns_fabric *ns_fabric_new(struct loop *l);
/* Closes every port (unlinking its socket) and finishes every capture. */
void ns_fabric_free(struct ns_fabric *f);

struct ns_switch *ns_switch_new(struct ns_fabric *f, const char *name, enum ns_kind kind);
/* MAC aging time of an NS_SWITCH (default 300 s). */
void ns_switch_set_aging(struct ns_switch *sw, int64_t age_ns);
const char *ns_switch_name(const struct ns_switch *sw);

/* A guest port on sw: a SOCK_SEQPACKET listener at path (< 108 bytes)
 * for UML's vector driver (vecN:transport=bess,dst=path); each message
 * is one frame and the newest connection is the guest (stream.c).
 * With ns_port_allow_shm, a program on the host may take it with the
 * vdeplug4 URL umlab://path (libvdeplug_umlab.so: shared-memory rings).
 * Returns NULL and fills err on failure. */
struct ns_port *ns_port_new(struct ns_switch *sw, const char *name, const char *path,
			    char *err, size_t errlen);
/* Without a loop (tests): accept a waiting connection now. */
void ns_port_accept(struct ns_port *p);
/* Guest connections a stream port has accepted so far. */
unsigned ns_port_connections(const struct ns_port *p);
/* Let a program on the host take the port as umlab://PATH (a plug's
 * port; never a guest's, whose guest could otherwise say the hello). */
void ns_port_allow_shm(struct ns_port *p);
/* umlab:// plugs that took the port so far. */
unsigned ns_port_shm_plugs(const struct ns_port *p);
/* The port's URL: "bess://PATH" for a guest port (node.c makes it
 * vecN:transport=bess,dst=PATH), an uplink's own URL. */
const char *ns_port_url(const struct ns_port *p);
/* Record every frame through the port (both directions) into a pcapng file
 * (LINKTYPE_ETHERNET, nanosecond timestamps, an interface a direction).
 * 0 on success.  A second call finishes the previous file first;
 * pcap_path NULL stops capturing. */
int ns_port_capture(struct ns_port *p, const char *pcap_path, char *err, size_t errlen);
/* Limit the capture to max_bytes a file (0: none).  files <= 1: stop at
 * the limit; files > 1: a ring, PATH then PATH.1 .. PATH.(files-1), the
 * oldest overwritten.  Applies to this and later captures of the port. */
void ns_port_capture_limit(struct ns_port *p, uint64_t max_bytes, int files);
/* Frames the limit kept out of the capture. */
uint64_t ns_port_capture_missed(const struct ns_port *p);
void ns_port_counters(const struct ns_port *p, struct ns_counters *out);
/* Stream every frame through the port, as a pcap stream (nanosecond
 * timestamps) into fd, from now on; fd -1 stops.  The fabric owns fd
 * (made non-blocking) and closes it; frames the reader is too slow for
 * are dropped, not queued.  gone(arg) runs once if the reader goes away
 * (EPIPE) or the port closes; not when the caller stops or replaces it. */
int ns_port_tap(struct ns_port *p, int fd, void (*gone)(void *arg), void *arg);
const char *ns_port_name(const struct ns_port *p);

/* The run's seed: every port's random generators derive from it and the
 * port's name (set it before creating ports). */
void ns_fabric_set_seed(struct ns_fabric *f, uint64_t seed);
/* Replace the impairments of one direction while the lab runs.  On error
 * (bad spec, no memory) nothing changes.  Frames already queued keep
 * their departure times (up to the new limit; the rest count as queue
 * full).  seed != 0 reseeds the direction's generator. */
int ns_port_impair(struct ns_port *p, enum ns_dir d, const struct ns_impair *im,
		   uint64_t seed, char *err, size_t errlen);
void ns_port_get_impair(const struct ns_port *p, enum ns_dir d, struct ns_impair *out);
/* The seed a direction's generator started from (reported for replays). */
uint64_t ns_port_seed(const struct ns_port *p, enum ns_dir d);
/* Link down: both directions drop every frame (and what is queued),
 * counted as NS_DROP_LINK_DOWN. */
void ns_port_set_up(struct ns_port *p, int up);
int ns_port_is_up(const struct ns_port *p);

/* VLANs.  An access port carries one VLAN untagged (vid 1..4094; 0: a
 * plain port, the untagged domain).  A trunk port carries the listed
 * VLANs tagged (n 0: all) and the untagged domain untagged.  MACs are
 * learned per VLAN. */
void ns_port_set_vlan(struct ns_port *p, int vid);
void ns_port_set_trunk(struct ns_port *p, const uint16_t *vlans, int n);
/* An uplink: a port on sw whose far end is the vdeplug4 URL url
 * ("vde:///run/vde.ctl", "tap://tap0", "vxvde://239.1.2.3", ...), opened
 * now as a plug.  NULL and err ("uplink NAME: cannot open URL: why") when
 * it cannot be opened. */
struct ns_port *ns_uplink_new(struct ns_switch *sw, const char *name, const char *url,
    char *err, size_t errlen);
int ns_port_is_uplink(const struct ns_port *p);
/* 0, or the errno that made the uplink's far end unusable for good. */
int ns_uplink_error(const struct ns_port *p);
/* An 802.1Q trunk cable between two switches inside the fabric: two
 * ports ("a=b" on a, "b=a" on b) joined without a socket.  Returns a's
 * port.  A frame that loops back to a switch through another port
 * blocks that port (counted as NS_DROP_LOOP, with a warning). */
struct ns_port *ns_trunk_new(struct ns_switch *a, struct ns_switch *b, const uint16_t *vlans,
			     int n, char *err, size_t errlen);
/* A loop was detected through this port: it forwards nothing. */
int ns_port_blocked(const struct ns_port *p);

/* Partitions (Jepsen style).  Frames from a guest on a port of a[] to a
 * guest on a port of b[] are dropped, counted as NS_DROP_PARTITION on the
 * egress port's NS_TO_NODE direction; also b[] to a[] unless oneway.
 * Ports in neither group are not affected, nor frames inside a group.
 * It holds across switches and trunks (the frame's first port counts).
 * Returns the rule's id (>= 0), or -1 with err.  At most 64 at once; no
 * cost per frame while none is set. */
struct ns_fabric *ns_port_fabric(const struct ns_port *p);
int ns_partition_add(struct ns_fabric *f, struct ns_port *const *a, int na,
		     struct ns_port *const *b, int nb, int oneway, char *err, size_t errlen);
void ns_partition_remove(struct ns_fabric *f, int id);
int ns_partition_count(const struct ns_fabric *f);

#endif
