/*
 * test_vlan.c - VLANs with crafted frames through real ports: access
 * ports, an 802.1Q trunk port (tag push, pop, filter), MAC learning per
 * VLAN; then a ring of three switches joined by internal trunks, whose
 * loop must be cut instead of melting the machine.
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
#include <fcntl.h>
#include <libvdeplug.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim.h"
#include "netsim/netsim_int.h"
#include "tests/unit/netrig.h"

static int
vlan_setup(void **state)
{
	struct rig *r = rig_new("vlan");
	uint16_t v[] = { 10, 20 };

	r->sw[0] = ns_switch_new(r->f, "s1", NS_SWITCH);
	ns_port_set_trunk(port(r, r->sw[0], 0, "t"), v, 2);
	ns_port_set_vlan(port(r, r->sw[0], 1, "a"), 10);
	ns_port_set_vlan(port(r, r->sw[0], 2, "b"), 20);
	port(r, r->sw[0], 3, "c");	/* plain: the untagged domain */
	*state = r;
	return 0;
}

static void
test_access_and_trunk(void **state)
{
	struct rig *r = *state;
	uint8_t f[128], g[2048];
	struct ns_counters c;
	size_t n;

	/* access a (VLAN 10) -> trunk: tag pushed; b, c see nothing */
	n = craft(f, mac_bc, mac_a, 0, 1);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], g), (ssize_t)n + 4);
	assert_memory_equal(g, f, 12);
	assert_int_equal(g[12], 0x81);
	assert_int_equal(g[13], 0x00);
	assert_int_equal((g[14] << 8 | g[15]) & 0xfff, 10);
	assert_memory_equal(g + 16, f + 12, n - 12);
	assert_int_equal(got(r, r->c[2], g), 0);
	assert_int_equal(got(r, r->c[3], g), 0);

	/* trunk, VLAN 20 -> access b: tag popped */
	n = craft(f, mac_bc, mac_x, 20, 2);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[2], g), (ssize_t)n - 4);
	assert_memory_equal(g, f, 12);
	assert_memory_equal(g + 12, f + 16, n - 16);
	assert_int_equal(got(r, r->c[1], g), 0);
	assert_int_equal(got(r, r->c[3], g), 0);

	/* trunk, VLAN 30 (not allowed): filtered */
	n = craft(f, mac_bc, mac_x, 30, 3);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[1], g), 0);
	assert_int_equal(got(r, r->c[2], g), 0);
	ns_port_counters(r->p[0], &c);
	assert_int_equal(c.dir[NS_FROM_NODE].drop[NS_DROP_VLAN], 1);

	/* a tagged frame on an access port: filtered */
	n = craft(f, mac_bc, mac_a, 10, 4);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], g), 0);
	ns_port_counters(r->p[1], &c);
	assert_int_equal(c.dir[NS_FROM_NODE].drop[NS_DROP_VLAN], 1);

	/* untagged on the trunk: the plain port's domain */
	n = craft(f, mac_bc, mac_x, 0, 5);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[3], g), (ssize_t)n);
	assert_int_equal(got(r, r->c[1], g), 0);
	assert_int_equal(got(r, r->c[2], g), 0);
}

static void
test_learning_per_vlan(void **state)
{
	struct rig *r = *state;
	uint8_t f[128], g[2048];
	size_t n;

	/* x speaks in VLAN 10 from the trunk: learned there, in VLAN 10 */
	n = craft(f, mac_a, mac_x, 10, 1);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[1], g), (ssize_t)n - 4);	/* unknown a: flooded in 10 */
	/* a -> x is now a known unicast in VLAN 10: to the trunk, tagged */
	n = craft(f, mac_x, mac_a, 0, 2);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], g), (ssize_t)n + 4);
	assert_int_equal(g[15], 10);
	/* b -> x in VLAN 20: x is unknown there, flooded to the trunk only */
	sendf(r->c[2], f, n);
	assert_int_equal(got(r, r->c[0], g), (ssize_t)n + 4);
	assert_int_equal(g[15], 20);
	assert_int_equal(got(r, r->c[1], g), 0);
	assert_int_equal(got(r, r->c[3], g), 0);
	assert_int_equal(ns_mt_lookup_v(&r->sw[0]->mt, mac_x, 10, loop_now()), 0);
	assert_int_equal(ns_mt_lookup_v(&r->sw[0]->mt, mac_x, 20, loop_now()), NS_FLOOD);
}

static int
ring_setup(void **state)
{
	struct rig *r = rig_new("vlan");
	char err[256];
	struct ns_port *t[3];
	int i;

	r->sw[0] = ns_switch_new(r->f, "s1", NS_SWITCH);
	r->sw[1] = ns_switch_new(r->f, "s2", NS_SWITCH);
	r->sw[2] = ns_switch_new(r->f, "s3", NS_SWITCH);
	port(r, r->sw[0], 0, "a");
	port(r, r->sw[1], 1, "b");
	for (i = 0; i < 3; i++)
		if ((t[i] = ns_trunk_new(r->sw[i], r->sw[(i + 1) % 3], NULL, 0, err,
		    sizeof(err))) == NULL)
			fail_msg("%s", err);
	*state = r;
	return 0;
}

static int
nblocked(struct rig *r)
{
	int i, j, n = 0;

	for (i = 0; i < 3; i++)
		for (j = 0; j < r->sw[i]->nports; j++)
			n += ns_port_blocked(r->sw[i]->port[j]);
	return n;
}

static void
test_ring_loop_is_cut(void **state)
{
	struct rig *r = *state;
	uint8_t f[128], g[2048];
	size_t n;
	int k, copies;

	for (k = 0; k < 3; k++) {
		n = craft(f, mac_bc, mac_a, 0, (uint8_t)k);
		sendf(r->c[0], f, n);
		copies = 0;
		while (got(r, r->c[1], g) > 0)
			copies++;
		assert_int_equal(copies, 1);		/* exactly once, not a storm */
		assert_int_equal(got(r, r->c[0], g), 0);	/* never back to the sender */
		assert_int_equal(nblocked(r), 1);	/* one port cut the ring */
	}
	assert_int_equal(r->sw[0]->loops + r->sw[1]->loops + r->sw[2]->loops, 1);
	/* and back: b's broadcast reaches a once */
	n = craft(f, mac_bc, mac_x, 0, 9);
	sendf(r->c[1], f, n);
	copies = 0;
	while (got(r, r->c[0], g) > 0)
		copies++;
	assert_int_equal(copies, 1);
}

/* Freeing a fabric with trunks closes only its own descriptors: a
 * trunk end has none (it once closed fd 0, twice). */
static void
test_trunk_closes_nothing_of_ours(void **state)
{
	struct ns_fabric *f = ns_fabric_new(NULL);
	struct ns_switch *a = ns_switch_new(f, "a", NS_SWITCH), *b = ns_switch_new(f, "b", NS_SWITCH);
	char err[256];
	int saved = dup(0), null = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(saved >= 0 && null >= 0);
	assert_int_equal(dup2(null, 0), 0);
	close(null);
	assert_non_null(ns_trunk_new(a, b, NULL, 0, err, sizeof(err)));
	ns_fabric_free(f);
	assert_int_not_equal(fcntl(0, F_GETFD), -1);	/* still open */
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_access_and_trunk, vlan_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_learning_per_vlan, vlan_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_ring_loop_is_cut, ring_setup, rig_teardown),
		cmocka_unit_test(test_trunk_closes_nothing_of_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
