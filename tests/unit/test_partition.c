/*
 * test_partition.c - partitions between groups of ports (Jepsen style):
 * the rule logic on bare ports, then crafted frames through real ports on
 * two switches joined by a trunk: both ways, one way, healing.
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim.h"
#include "netsim/netsim_int.h"
#include "tests/unit/netrig.h"

/* The rule logic alone, on bare ports of a bare fabric. */
static void
test_rule_logic(void **state)
{
	struct ns_fabric f = { 0 };
	struct ns_switch sw = { .f = &f };
	struct ns_port p[5] = { 0 };
	struct ns_port *a[] = { &p[0], &p[1] }, *b[] = { &p[2], &p[3] }, *x[] = { &p[0] };
	struct ns_port *sw_ports[5] = { &p[0], &p[1], &p[2], &p[3], &p[4] };
	char err[128];
	int id, id2, i, j;

	(void)state;
	sw.port = sw_ports;
	sw.nports = 5;
	f.sw = &sw;
	for (i = 0; i < 5; i++) {
		p[i].sw = &sw;
		p[i].name = (char *)"p";
	}
	/* no rule: nothing blocked */
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			assert_false(ns_part_blocks(&f, &p[i], &p[j]));
	/* a b | c d, both ways */
	id = ns_partition_add(&f, a, 2, b, 2, 0, err, sizeof(err));
	assert_true(id >= 0);
	assert_int_equal(ns_partition_count(&f), 1);
	for (i = 0; i < 2; i++)
		for (j = 2; j < 4; j++) {
			assert_true(ns_part_blocks(&f, &p[i], &p[j]));
			assert_true(ns_part_blocks(&f, &p[j], &p[i]));
		}
	assert_false(ns_part_blocks(&f, &p[0], &p[1]));   /* inside a group */
	assert_false(ns_part_blocks(&f, &p[2], &p[3]));
	for (i = 0; i < 4; i++) {                         /* e is in neither */
		assert_false(ns_part_blocks(&f, &p[i], &p[4]));
		assert_false(ns_part_blocks(&f, &p[4], &p[i]));
	}
	/* a | c one way on top: a -> c blocked twice over, removing it keeps the first */
	struct ns_port *c1[] = { &p[2] };
	id2 = ns_partition_add(&f, x, 1, c1, 1, 1, err, sizeof(err));
	assert_true(id2 >= 0 && id2 != id);
	ns_partition_remove(&f, id);
	assert_int_equal(ns_partition_count(&f), 1);
	assert_true(ns_part_blocks(&f, &p[0], &p[2]));    /* a -> c dropped */
	assert_false(ns_part_blocks(&f, &p[2], &p[0]));   /* c -> a passes */
	assert_false(ns_part_blocks(&f, &p[1], &p[3]));   /* the first rule is gone */
	assert_false(ns_part_blocks(&f, &p[0], &p[3]));
	ns_partition_remove(&f, id2);
	assert_int_equal(ns_partition_count(&f), 0);
	assert_int_equal(f.part_used, 0);
	for (i = 0; i < 5; i++)
		assert_true(p[i].part_a == 0 && p[i].part_b == 0);
	ns_partition_remove(&f, id2);                     /* twice: harmless */
	/* errors: a port on both sides, an empty side, too many rules */
	assert_int_equal(ns_partition_add(&f, a, 2, x, 1, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "both sides"));
	assert_int_equal(ns_partition_add(&f, a, 0, b, 2, 0, err, sizeof(err)), -1);
	for (i = 0; i < NS_PART_MAX; i++)
		assert_int_equal(ns_partition_add(&f, a, 2, b, 2, 1, err, sizeof(err)), i);
	assert_int_equal(ns_partition_add(&f, a, 2, b, 2, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many"));
	for (i = 0; i < NS_PART_MAX; i++)
		ns_partition_remove(&f, i);
	assert_int_equal(f.part_used, 0);
}

/* a, b on s1; c, d on s2; s1 = s2 by an internal trunk; e on s2. */
static int
part_setup(void **state)
{
	struct rig *r = rig_new("part");
	char err[256];

	r->sw[0] = ns_switch_new(r->f, "s1", NS_SWITCH);
	r->sw[1] = ns_switch_new(r->f, "s2", NS_SWITCH);
	port(r, r->sw[0], 0, "a");
	port(r, r->sw[0], 1, "b");
	port(r, r->sw[1], 2, "c");
	port(r, r->sw[1], 3, "d");
	port(r, r->sw[1], 4, "e");
	assert_non_null(ns_trunk_new(r->sw[0], r->sw[1], NULL, 0, err, sizeof(err)));
	*state = r;
	return 0;
}

static const uint8_t mac_n[5][6] = {
	{ 2, 0, 0, 0, 0, 0xa }, { 2, 0, 0, 0, 0, 0xb }, { 2, 0, 0, 0, 0, 0xc },
	{ 2, 0, 0, 0, 0, 0xd }, { 2, 0, 0, 0, 0, 0xe },
};

/* Does a unicast frame from i reach j?  (Every port learned first.) */
static int
reaches(struct rig *r, int i, int j)
{
	uint8_t f[128], g[2048];
	size_t n = craft(f, mac_n[j], mac_n[i], 0, (uint8_t)(i * 16 + j));

	sendf(r->c[i], f, n);
	return got(r, r->c[j], g) == (ssize_t)n;
}

static void
drain(struct rig *r)
{
	uint8_t g[2048];

	for (int k = 0; k < 5; k++)
		while (got(r, r->c[k], g) > 0)
			;
}

static void
test_partition_ports(void **state)
{
	struct rig *r = *state;
	struct ns_port *a[] = { r->p[0], r->p[1] }, *b[] = { r->p[2], r->p[3] };
	struct ns_counters c;
	uint8_t f[128], g[2048];
	char err[128];
	int id, i, j;
	size_t n;

	/* every port says hello (broadcast): the switches learn */
	for (i = 0; i < 5; i++) {
		n = craft(f, mac_bc, mac_n[i], 0, (uint8_t)i);
		sendf(r->c[i], f, n);
		drain(r);
	}
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			if (i != j)
				assert_true(reaches(r, i, j));

	id = ns_partition_add(ns_port_fabric(r->p[0]), a, 2, b, 2, 0, err, sizeof(err));
	assert_true(id >= 0);
	assert_false(reaches(r, 0, 2));
	assert_false(reaches(r, 3, 1));
	assert_true(reaches(r, 0, 1));      /* inside a group */
	assert_true(reaches(r, 2, 3));
	assert_true(reaches(r, 0, 4));      /* e is in neither group */
	assert_true(reaches(r, 4, 2));
	/* a broadcast from a reaches b and e only */
	n = craft(f, mac_bc, mac_n[0], 0, 0x55);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[1], g), (ssize_t)n);
	assert_int_equal(got(r, r->c[4], g), (ssize_t)n);
	assert_int_equal(got(r, r->c[2], g), 0);
	assert_int_equal(got(r, r->c[3], g), 0);
	ns_port_counters(r->p[2], &c);
	assert_int_equal(c.dir[NS_TO_NODE].drop[NS_DROP_PARTITION], 2);   /* a->c, a broadcast */
	ns_partition_remove(ns_port_fabric(r->p[0]), id);
	assert_true(reaches(r, 0, 2));      /* healed */
	assert_true(reaches(r, 3, 1));

	/* one way: a -> c dropped, c -> a passes */
	struct ns_port *x[] = { r->p[0] }, *y[] = { r->p[2] };
	id = ns_partition_add(ns_port_fabric(r->p[0]), x, 1, y, 1, 1, err, sizeof(err));
	assert_false(reaches(r, 0, 2));
	assert_true(reaches(r, 2, 0));
	assert_true(reaches(r, 1, 2));
	ns_partition_remove(ns_port_fabric(r->p[0]), id);
	assert_true(reaches(r, 0, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_logic),
		cmocka_unit_test_setup_teardown(test_partition_ports, part_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
