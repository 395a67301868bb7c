/*
 * netrig.h - a test rig for the fabric, shared by the unit tests that
 * send crafted frames through real ports: a temp folder, a loop, a
 * fabric, up to NETRIG_PORTS ports each with a libvdeplug client.
 */
#ifndef UMLAB_TEST_NETRIG_H
#define UMLAB_TEST_NETRIG_H

#include <libvdeplug.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/loop.h"
#include "netsim/netsim.h"

#define NETRIG_PORTS 5

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_x[6] = { 0x02, 0, 0, 0, 0, 0x7 };
static const uint8_t mac_bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct rig {
	char dir[64];
	struct loop *l;
	struct ns_fabric *f;
	struct ns_switch *sw[3];
	struct ns_port *p[NETRIG_PORTS];
	VDECONN *c[NETRIG_PORTS];
};

/* Port i on sw named name, with a client plugged into it. */
struct ns_port *port(struct rig *r, struct ns_switch *sw, int i, const char *name);
/* The same port with nobody connected yet (its socket: r->dir/name). */
struct ns_port *port_alone(struct rig *r, struct ns_switch *sw, int i, const char *name);
/* A rig in a new folder /tmp/umlab-test-TAG.XXXXXX. */
struct rig *rig_new(const char *tag);
/* cmocka teardown: *state is the rig. */
int rig_teardown(void **state);
/* A frame dst <- src, tagged with vid unless vid is 0; 60 bytes untagged. */
size_t craft(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid, uint8_t fill);
/* Run the loop ~30 ms; then the frame c has (its length), or 0. */
ssize_t got(struct rig *r, VDECONN *c, uint8_t *buf);
void sendf(VDECONN *c, const uint8_t *f, size_t len);

#endif
