/* test_lab.c - the lab model: names, addresses, MACs, links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/lab.h"

static void
names_are_checked(void **state)
{
	struct lab *lab = lab_new("t");
	char err[256];

	assert_non_null(lab_add_node(lab, "r1", err, sizeof(err)));
	assert_null(lab_add_node(lab, "r1", err, sizeof(err)));
	assert_non_null(strstr(err, "duplicate name 'r1'"));
	assert_null(lab_add_switch(lab, "r1", LAB_SWITCH, err, sizeof(err)));
	assert_null(lab_add_node(lab, "", err, sizeof(err)));
	assert_null(lab_add_node(lab, "a b", err, sizeof(err)));
	assert_non_null(strstr(err, "invalid node name 'a b'"));
	assert_null(lab_add_node(lab, "-x", err, sizeof(err)));
	assert_null(lab_add_node(lab, "abcdefghijabcdefghijabcdefghijabc", err, sizeof(err)));
	assert_non_null(lab_add_node(lab, "host_2-b", err, sizeof(err)));
	lab_free(lab);
}

static void
cidr_parsing(void **state)
{
	struct in_addr ip;
	int p;

	assert_int_equal(lab_parse_cidr("10.0.0.1/24", &ip, &p), 0);
	assert_int_equal(p, 24);
	assert_int_equal(ntohl(ip.s_addr), 0x0a000001);
	assert_int_equal(lab_parse_cidr("192.168.1.1", &ip, &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(lab_parse_cidr("10.0.0.1/33", &ip, &p), -1);
	assert_int_equal(lab_parse_cidr("10.0.0.1/", &ip, &p), -1);
	assert_int_equal(lab_parse_cidr("10.0.0.1/2x", &ip, &p), -1);
	assert_int_equal(lab_parse_cidr("10.0.0/24", &ip, &p), -1);
	assert_int_equal(lab_parse_cidr("300.0.0.1/8", &ip, &p), -1);
	assert_int_equal(lab_parse_cidr("", &ip, &p), -1);
}

static void
connect_names_interfaces_and_links(void **state)
{
	struct lab *lab = lab_new("t");
	char err[256], buf[32];
	struct lab_node *a = lab_add_node(lab, "a", err, sizeof(err));
	struct lab_switch *s = lab_add_switch(lab, "s1", LAB_SWITCH, err, sizeof(err));
	struct lab_link *k1 = lab_connect(lab, a, s, "10.0.0.1/24", err, sizeof(err));
	struct lab_link *k2 = lab_connect(lab, a, s, NULL, err, sizeof(err));

	assert_non_null(k1);
	assert_non_null(k2);
	assert_string_equal(k1->name, "a.eth0-s1");
	assert_string_equal(k2->name, "a.eth1-s1");
	assert_string_equal(a->ifaces[1].name, "eth1");
	lab_iface_cidr(&a->ifaces[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1/24");
	lab_iface_cidr(&a->ifaces[1], buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_ptr_equal(lab_find_link(lab, "a.eth1-s1"), k2);
	assert_int_equal(s->nports, 2);
	assert_null(lab_connect(lab, a, s, "10.0.0.300/24", err, sizeof(err)));
	assert_non_null(strstr(err, "bad address '10.0.0.300/24'"));
	lab_free(lab);
}

static void
wire_takes_two_ends(void **state)
{
	struct lab *lab = lab_new("t");
	char err[256];
	struct lab_node *a = lab_add_node(lab, "a", err, sizeof(err));
	struct lab_node *b = lab_add_node(lab, "b", err, sizeof(err));
	struct lab_node *c = lab_add_node(lab, "c", err, sizeof(err));
	struct lab_switch *w = lab_add_switch(lab, "a-b", LAB_WIRE, err, sizeof(err));

	assert_non_null(lab_connect(lab, a, w, NULL, err, sizeof(err)));
	assert_non_null(lab_connect(lab, b, w, NULL, err, sizeof(err)));
	assert_null(lab_connect(lab, c, w, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "already has two ends"));
	lab_free(lab);
}

static void
macs_are_stable_local_and_unique(void **state)
{
	struct lab *lab = lab_new("t");
	struct lab_switch *s;
	char err[256], name[16];
	uint8_t m1[6], m2[6];

	lab_make_mac(m1, "r1", 0);
	lab_make_mac(m2, "r1", 0);
	assert_memory_equal(m1, m2, 6);
	assert_int_equal(m1[0] & 0x03, 0x02);   /* locally administered unicast */
	s = lab_add_switch(lab, "s", LAB_SWITCH, err, sizeof(err));
	for (int i = 0; i < 300; i++) {
		struct lab_node *n;

		snprintf(name, sizeof(name), "n%d", i);
		n = lab_add_node(lab, name, err, sizeof(err));
		assert_non_null(lab_connect(lab, n, s, NULL, err, sizeof(err)));
		assert_non_null(lab_connect(lab, n, s, NULL, err, sizeof(err)));
	}
	for (size_t i = 0; i < lab->nnodes; i++)
		for (size_t j = 0; j < lab->nnodes; j++)
			for (int x = 0; x < 2; x++)
				for (int y = 0; y < 2; y++)
					if (i != j || x != y)
						assert_memory_not_equal(lab->nodes[i]->ifaces[x].mac,
									lab->nodes[j]->ifaces[y].mac, 6);
	lab_free(lab);
}

static void
too_many_interfaces(void **state)
{
	struct lab *lab = lab_new("t");
	char err[256];
	struct lab_node *a = lab_add_node(lab, "a", err, sizeof(err));
	struct lab_switch *s = lab_add_switch(lab, "s", LAB_SWITCH, err, sizeof(err));

	for (int i = 0; i < LAB_MAX_IFACES; i++)
		assert_non_null(lab_connect(lab, a, s, NULL, err, sizeof(err)));
	assert_null(lab_connect(lab, a, s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "too many interfaces"));
	lab_free(lab);
}

/* Plugs count per switch, take a port, and are found by name; a wire,
 * whose two ends are its nodes', has no room for one (as for uplinks). */
static void
plugs_are_named_per_switch(void **state)
{
	struct lab *lab = lab_new("t");
	char err[256];
	struct lab_node *a = lab_add_node(lab, "a", err, sizeof(err));
	struct lab_node *b = lab_add_node(lab, "b", err, sizeof(err));
	struct lab_switch *s1 = lab_add_switch(lab, "s1", LAB_SWITCH, err, sizeof(err));
	struct lab_switch *h = lab_add_switch(lab, "h", LAB_HUB, err, sizeof(err));
	struct lab_switch *w = lab_add_switch(lab, "a-b", LAB_WIRE, err, sizeof(err));
	struct lab_plug *p0 = lab_add_plug(lab, s1, err, sizeof(err));
	struct lab_plug *q0 = lab_add_plug(lab, h, err, sizeof(err));
	struct lab_plug *p1 = lab_add_plug(lab, s1, err, sizeof(err));

	assert_string_equal(p0->name, "s1.plug0");
	assert_string_equal(p1->name, "s1.plug1");
	assert_string_equal(q0->name, "h.plug0");
	assert_ptr_equal(p1->sw, s1);
	assert_string_equal(p0->path, "");      /* the runtime fills it in */
	assert_null(p0->rt);
	assert_int_equal(s1->nports, 2);
	assert_ptr_equal(lab_find_plug(lab, "s1.plug1"), p1);
	assert_null(lab_find_plug(lab, "s1.plug2"));
	assert_null(lab_find_plug(lab, "s1"));
	assert_non_null(lab_connect(lab, a, w, NULL, err, sizeof(err)));
	assert_null(lab_add_plug(lab, w, err, sizeof(err)));
	assert_string_equal(err, "plug on a-b: a wire has no room for a plug");
	assert_int_equal(lab->nplugs, 3);
	assert_non_null(lab_connect(lab, b, w, NULL, err, sizeof(err)));   /* its other end is free */
	lab_free(lab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_checked),
		cmocka_unit_test(cidr_parsing),
		cmocka_unit_test(connect_names_interfaces_and_links),
		cmocka_unit_test(wire_takes_two_ends),
		cmocka_unit_test(macs_are_stable_local_and_unique),
		cmocka_unit_test(too_many_interfaces),
		cmocka_unit_test(plugs_are_named_per_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
