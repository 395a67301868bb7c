/*
 * lab.h - the lab model: nodes, switches and the links between them, as a
 * scenario or a lab folder describes them.  Pure data: no processes, no
 * sockets.  Every other part reads it; the scenario layer builds it.
 */
#ifndef UMLAB_LAB_H
#define UMLAB_LAB_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define LAB_NAME_MAX 32
#define LAB_MAX_IFACES 16

struct lab_node;
struct lab_switch;

struct lab_iface {
	char name[16];              /* "eth0" */
	struct lab_node *node;
	int index;                  /* N in ethN */
	uint8_t mac[6];
	int has_ip;
	struct in_addr ip;
	int prefix;                 /* 0..32 */
	struct lab_link *link;      /* NULL: not connected */
};

struct lab_node {
	char name[LAB_NAME_MAX];
	unsigned mem_mb;
	int nifaces;
	struct lab_iface ifaces[LAB_MAX_IFACES];
	int has_gateway;
	struct in_addr gateway;
	/* Node files (absolute host paths, malloc'd, NULL: none); see
	 * scenarios/scn_lua_node.c and the guest's SETUP directives. */
	char *files_dir;            /* copied onto the node's / */
	char *startup, *shutdown;   /* run with /bin/sh in the guest */
	char *disk;                 /* persist: ext4 image holding the upper layer */
	int persist;
	uint64_t data_disk_bytes;   /* > 0: a sparse raw disk /dev/ubdb, as /dev/mapper/data */
	void *rt;                   /* runtime object (struct node_rt) */
};

enum lab_switch_kind { LAB_SWITCH, LAB_HUB, LAB_WIRE };

struct lab_switch {
	char name[LAB_NAME_MAX];
	enum lab_switch_kind kind;
	int nports;
	void *rt;                   /* runtime object (struct ns_switch) */
};

/* Impairments of one direction of a link, as the scenario gave them.
 * Mirrors netsim's struct ns_impair (the runtime applies it to the port);
 * all zero is a perfect link.  Probabilities are 0..1. */
struct lab_impair {
	int64_t delay_ns, jitter_ns;
	int dist;                   /* 0 uniform, 1 normal, 2 pareto, 3 paretonormal */
	double loss;
	int ge;                     /* Gilbert-Elliott loss: p, r, h, k */
	double ge_p, ge_r, ge_h, ge_k;
	double duplicate, corrupt, reorder;
	uint64_t rate_bps;
	uint32_t limit, mtu;
	uint64_t seed;              /* 0: derived from the run's seed and the link name */
};

enum lab_dir { LAB_TO_NODE = 0, LAB_FROM_NODE = 1 };

#define LAB_VLAN_MAX 4094

/* One cable: a node's interface to a switch port. */
struct lab_link {
	char name[2 * LAB_NAME_MAX + 24]; /* "a.eth0-s1" */
	struct lab_iface *iface;
	struct lab_switch *sw;
	void *rt;                   /* runtime object (struct ns_port) */
	struct lab_impair imp[2];   /* by enum lab_dir */
	int down;                   /* link_down() */
	int vlan;                   /* access VLAN 1..4094; 0: untagged, no VLAN */
	int trunk;                  /* an 802.1Q trunk to the guest: vlans tagged */
	int nvlans;                 /* 0: every VLAN */
	uint16_t vlans[64];
};

/* An 802.1Q trunk between two switches, inside the fabric (no guest). */
struct lab_trunk {
	char name[2 * LAB_NAME_MAX + 8]; /* "s1=s2" */
	struct lab_switch *a, *b;
	int nvlans;                 /* 0: every VLAN */
	uint16_t vlans[64];
	void *rt;
};

/* An uplink: a switch port whose far end is outside the lab, a vdeplug4
 * URL (a vde_switch, a host tap, a vxvde multicast group). */
struct lab_uplink {
	char name[LAB_NAME_MAX + 16];   /* "s1.up0" */
	struct lab_switch *sw;
	char url[256];
	void *rt;                   /* runtime object (struct ns_port) */
};

/* A plug: a switch port for a program on the host, a SOCK_SEQPACKET
 * listener the runtime makes in its folder when the lab starts.  Host
 * programs reach it as umlab://PATH (libvdeplug_umlab) or connect to PATH
 * and send one frame a message. */
struct lab_plug {
	char name[LAB_NAME_MAX + 16];   /* "s1.plug0" */
	struct lab_switch *sw;
	char path[108];             /* the socket (a sun_path); "" until the lab starts */
	void *rt;                   /* runtime object (struct ns_port) */
};

struct lab {
	char name[64];
	struct lab_node **nodes;
	size_t nnodes;
	struct lab_switch **switches;
	size_t nswitches;
	struct lab_link **links;
	size_t nlinks;
	struct lab_trunk **trunks;
	size_t ntrunks;
	struct lab_uplink **uplinks;
	size_t nuplinks;
	struct lab_plug **plugs;
	size_t nplugs;
};

struct lab *lab_new(const char *name);
void lab_free(struct lab *lab);

/* All return NULL and fill err (size errlen) on bad input. */
struct lab_node *lab_add_node(struct lab *lab, const char *name, char *err, size_t errlen);
struct lab_switch *lab_add_switch(struct lab *lab, const char *name, enum lab_switch_kind kind,
				  char *err, size_t errlen);
/* Adds the next ethN to node and cables it to sw.  cidr may be NULL
 * ("10.0.0.1/24" otherwise). */
struct lab_link *lab_connect(struct lab *lab, struct lab_node *node, struct lab_switch *sw,
			     const char *cidr, char *err, size_t errlen);

/* A trunk between switches a and b carrying vlans (nvlans 0: all). */
struct lab_trunk *lab_add_trunk(struct lab *lab, struct lab_switch *a, struct lab_switch *b,
				const uint16_t *vlans, int nvlans, char *err, size_t errlen);

/* An uplink from sw to the vdeplug4 URL url, named "SW.upN". */
struct lab_uplink *lab_add_uplink(struct lab *lab, struct lab_switch *sw, const char *url,
				  char *err, size_t errlen);

/* A plug on sw, named "SW.plugN". */
struct lab_plug *lab_add_plug(struct lab *lab, struct lab_switch *sw, char *err, size_t errlen);

struct lab_node *lab_find_node(const struct lab *lab, const char *name);
struct lab_switch *lab_find_switch(const struct lab *lab, const char *name);
struct lab_link *lab_find_link(const struct lab *lab, const char *name);
struct lab_plug *lab_find_plug(const struct lab *lab, const char *name);
struct lab_uplink *lab_find_uplink(const struct lab *lab, const char *name);

/* A valid name: [A-Za-z0-9_-], 1..LAB_NAME_MAX-1 chars, starting with a letter or digit. */
int lab_valid_name(const char *name);
/* "10.0.0.1/24" -> ip, prefix. 0 on success. */
int lab_parse_cidr(const char *s, struct in_addr *ip, int *prefix);
/* Locally administered MAC derived from node and interface names (stable). */
void lab_make_mac(uint8_t mac[6], const char *node, int ifindex);
/* Text form of an interface's address ("10.0.0.1/24") or "" */
void lab_iface_cidr(const struct lab_iface *i, char *buf, size_t len);

#endif
