/*
 * netsim.h - umlab's switch fabric.  Knows frames and ports, never guests
 * or Lua.  A fabric runs inside the controller's event loop.
 *
 * Each port is the far end of a vdeplug4 point-to-point link: the fabric
 * opens "ptp://PATH" first (binding PATH), then the guest kernel opens the
 * same URL (eth0=vde,ptp://PATH) and binds PATH+.  Frames are unix
 * datagrams, one Ethernet frame each.
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

struct ns_counters {
	uint64_t rx_frames, rx_bytes;   /* frames the port received from its guest */
	uint64_t tx_frames, tx_bytes;   /* frames the port delivered to its guest */
	uint64_t drop_frames;           /* frames for this port that could not be sent */
	uint64_t rx_errors;             /* received but dropped: shorter than 14 bytes, truncated */
};

struct ns_fabric *ns_fabric_new(struct loop *l);
/* Closes every port (unlinking its socket) and finishes every capture. */
void ns_fabric_free(struct ns_fabric *f);

struct ns_switch *ns_switch_new(struct ns_fabric *f, const char *name, enum ns_kind kind);
/* MAC aging time of an NS_SWITCH (default 300 s). */
void ns_switch_set_aging(struct ns_switch *sw, int64_t age_ns);
const char *ns_switch_name(const struct ns_switch *sw);

/* Create a port on sw listening at path (a unix socket path, < 100 bytes).
 * Returns NULL and fills err on failure. */
struct ns_port *ns_port_new(struct ns_switch *sw, const char *name, const char *path,
			    char *err, size_t errlen);
/* The URL a guest gives to eth0=vde,URL. */
const char *ns_port_url(const struct ns_port *p);
/* Record every frame through the port (both directions) into a pcap file
 * (LINKTYPE_ETHERNET, microsecond timestamps).  0 on success.  A second
 * call finishes the previous file first; pcap_path NULL stops capturing. */
int ns_port_capture(struct ns_port *p, const char *pcap_path, char *err, size_t errlen);
void ns_port_counters(const struct ns_port *p, struct ns_counters *out);
const char *ns_port_name(const struct ns_port *p);

#endif
