/*
 * test_viz.c - the topology pictures: what the dot text and the rendered
 * files contain, and that a failed render leaves the target alone.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gvc.h>

#include "core/lab.h"
#include "viz/viz.h"

struct fixture {
	char dir[64];
	struct lab *lab;
	char err[256];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmpdir = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/test_viz.XXXXXX", tmpdir != NULL && strlen(tmpdir) < 40 ? tmpdir : "/tmp");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char p[512];
	DIR *d;

	d = opendir(fx->dir);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	lab_free(fx->lab);
	free(fx);
	return 0;
}

static void path_in(const struct fixture *fx, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", fx->dir, name);
}

/* Whole file as a NUL-terminated string (caller frees); NULL if absent. */
static char *slurp(const char *fname, size_t *lenp)
{
	FILE *f = fopen(fname, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static int count_dir_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static struct lab_node *add_node(struct lab *lab, const char *name)
{
	char err[256] = "";
	struct lab_node *n = lab_add_node(lab, name, err, sizeof(err));

	if (n == NULL)
		fail_msg("lab_add_node %s: %s", name, err);
	return n;
}

static struct lab_switch *add_switch(struct lab *lab, const char *name, enum lab_switch_kind kind)
{
	char err[256] = "";
	struct lab_switch *s = lab_add_switch(lab, name, kind, err, sizeof(err));

	if (s == NULL)
		fail_msg("lab_add_switch %s: %s", name, err);
	return s;
}

static void cable(struct lab *lab, struct lab_node *n, struct lab_switch *s, const char *cidr)
{
	char err[256] = "";

	if (lab_connect(lab, n, s, cidr, err, sizeof(err)) == NULL)
		fail_msg("lab_connect %s-%s: %s", n->name, s->name, err);
}

/* alpha and beta on switch sw1. */
static struct lab *two_on_switch(void)
{
	struct lab *lab = lab_new("twohosts");
	struct lab_switch *s;

	assert_non_null(lab);
	s = add_switch(lab, "sw1", LAB_SWITCH);
	cable(lab, add_node(lab, "alpha"), s, "10.0.0.1/24");
	cable(lab, add_node(lab, "beta"), s, "10.0.0.2/24");
	return lab;
}

/* Parse dot text back; the graph the renderer would see. */
static Agraph_t *parse(const char *dot)
{
	Agraph_t *g = agmemread(dot);

	if (g == NULL)
		fail_msg("agmemread rejected:\n%s", dot);
	return g;
}

static void render_ok(struct fixture *fx, const char *format, const char *name, char **out, size_t *len)
{
	char fname[512];

	path_in(fx, name, fname, sizeof(fname));
	fx->err[0] = '\0';
	if (viz_render(fx->lab, format, fname, fx->err, sizeof(fx->err)) != 0)
		fail_msg("viz_render %s: %s", format, fx->err);
	*out = slurp(fname, len);
	assert_non_null(*out);
	assert_true(*len > 0);
}

static void test_two_nodes_svg(void **state)
{
	struct fixture *fx = *state;
	char *svg;
	size_t len;

	fx->lab = two_on_switch();
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, "<svg"));
	assert_non_null(strstr(svg, ">alpha</text>"));
	assert_non_null(strstr(svg, ">beta</text>"));
	assert_non_null(strstr(svg, ">sw1</text>"));
	assert_non_null(strstr(svg, ">twohosts</text>"));
	assert_non_null(strstr(svg, ">eth0</text>"));
	assert_non_null(strstr(svg, ">10.0.0.2/24</text>"));
	free(svg);
	/* Only the picture is left behind, no temporary file. */
	assert_int_equal(count_dir_entries(fx->dir), 1);
}

static void test_shapes_and_labels_in_dot(void **state)
{
	struct fixture *fx = *state;
	struct lab_switch *hub;
	Agraph_t *g;
	Agnode_t *n;
	char *dot;

	fx->lab = two_on_switch();
	hub = add_switch(fx->lab, "hub1", LAB_HUB);
	cable(fx->lab, fx->lab->nodes[0], hub, NULL);
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	g = parse(dot);
	assert_string_equal(agget(g, "label"), "twohosts");
	n = agnode(g, "n:alpha", 0);
	assert_non_null(n);
	assert_string_equal(agget(n, "shape"), "box");
	assert_string_equal(agget(n, "label"), "alpha");
	n = agnode(g, "s:sw1", 0);
	assert_non_null(n);
	assert_string_equal(agget(n, "shape"), "component");
	n = agnode(g, "s:hub1", 0);
	assert_non_null(n);
	assert_string_equal(agget(n, "shape"), "ellipse");
	assert_int_equal(agnnodes(g), 4);
	assert_int_equal(agnedges(g), 3);
	/* Address at the guest end; no address: just the interface name. */
	assert_non_null(strstr(dot, "taillabel=\"eth0\\n10.0.0.1/24\""));
	assert_non_null(strstr(dot, "taillabel=\"eth1\""));
	agclose(g);
	free(dot);
}

static void test_node_without_links(void **state)
{
	struct fixture *fx = *state;
	Agraph_t *g;
	char *dot, *svg;
	size_t len;

	fx->lab = two_on_switch();
	add_node(fx->lab, "lonely");
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	g = parse(dot);
	assert_non_null(agnode(g, "n:lonely", 0));
	assert_int_equal(agdegree(g, agnode(g, "n:lonely", 0), 1, 1), 0);
	agclose(g);
	free(dot);
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, ">lonely</text>"));
	free(svg);

	/* A lab of nothing but an unconnected node renders too. */
	lab_free(fx->lab);
	fx->lab = lab_new("solo");
	assert_non_null(fx->lab);
	add_node(fx->lab, "only");
	render_ok(fx, "svg", "solo.svg", &svg, &len);
	assert_non_null(strstr(svg, ">only</text>"));
	free(svg);
}

static void test_parallel_links(void **state)
{
	struct fixture *fx = *state;
	struct lab_switch *s;
	struct lab_node *r;
	Agraph_t *g;
	char *dot, *svg;
	size_t len;

	fx->lab = lab_new("parallel");
	assert_non_null(fx->lab);
	s = add_switch(fx->lab, "s1", LAB_SWITCH);
	r = add_node(fx->lab, "r1");
	cable(fx->lab, r, s, "10.0.0.1/24");
	cable(fx->lab, r, s, "10.0.1.1/24");
	cable(fx->lab, r, s, NULL);
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	assert_int_equal(count_substr(dot, "\"n:r1\" -- \"s:s1\""), 3);
	g = parse(dot);
	assert_int_equal(agnedges(g), 3);
	agclose(g);
	free(dot);
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, ">eth0</text>"));
	assert_non_null(strstr(svg, ">eth1</text>"));
	assert_non_null(strstr(svg, ">eth2</text>"));
	assert_non_null(strstr(svg, ">10.0.1.1/24</text>"));
	assert_int_equal(count_substr(svg, "class=\"edge\""), 3);
	free(svg);
}

static void test_wire(void **state)
{
	struct fixture *fx = *state;
	struct lab_switch *w;
	Agraph_t *g;
	Agedge_t *e;
	char *dot, *svg;
	size_t len;

	fx->lab = lab_new("p2p");
	assert_non_null(fx->lab);
	w = add_switch(fx->lab, "w1", LAB_WIRE);
	cable(fx->lab, add_node(fx->lab, "left"), w, "192.168.5.1/30");
	cable(fx->lab, add_node(fx->lab, "right"), w, "192.168.5.2/30");
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	g = parse(dot);
	/* No node for the wire: one edge guest to guest, both ends labelled. */
	assert_null(agnode(g, "s:w1", 0));
	assert_int_equal(agnnodes(g), 2);
	assert_int_equal(agnedges(g), 1);
	e = agfstout(g, agnode(g, "n:left", 0));
	if (e == NULL)
		e = agfstout(g, agnode(g, "n:right", 0));
	assert_non_null(e);
	assert_non_null(strstr(agget(e, "taillabel"), "192.168.5."));
	assert_non_null(strstr(agget(e, "headlabel"), "192.168.5."));
	agclose(g);
	free(dot);
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, ">left</text>"));
	assert_non_null(strstr(svg, ">right</text>"));
	assert_non_null(strstr(svg, ">192.168.5.1/30</text>"));
	assert_non_null(strstr(svg, ">192.168.5.2/30</text>"));
	assert_int_equal(count_substr(svg, "class=\"node\""), 2);
	assert_int_equal(count_substr(svg, "class=\"edge\""), 1);
	free(svg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 250 guests on 25 switches, every tenth guest a router on two of them. */
static struct lab *big_lab(void)
{
	struct lab *lab = lab_new("big");
	struct lab_switch *sw[25];
	char name[32], cidr[32];
	int i;

	assert_non_null(lab);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		sw[i] = add_switch(lab, name, LAB_SWITCH);
	}
	for (i = 0; i < 250; i++) {
		struct lab_node *n;

		snprintf(name, sizeof(name), "h%d", i);
		n = add_node(lab, name);
		snprintf(cidr, sizeof(cidr), "10.%d.0.%d/24", i % 25, i / 25 + 1);
		cable(lab, n, sw[i % 25], cidr);
		if (i % 10 == 0) {
			snprintf(cidr, sizeof(cidr), "10.%d.0.%d/24", (i + 1) % 25, 200 + i / 25);
			cable(lab, n, sw[(i + 1) % 25], cidr);
		}
	}
	return lab;
}

static void test_big_lab(void **state)
{
	struct fixture *fx = *state;
	char *dot, *svg;
	double t0, t;
	size_t len;

	fx->lab = big_lab();
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "layout=sfdp"));
	free(dot);
	t0 = now();
	render_ok(fx, "svg", "big.svg", &svg, &len);
	t = now() - t0;
	print_message("250-node lab rendered to SVG (sfdp) in %.2f s, %zu bytes\n", t, len);
	/* Generous: a few seconds normally, slower under sanitizers. */
	assert_true(t < 60.0);
	assert_int_equal(count_substr(svg, "class=\"node\""), 275);
	assert_int_equal(count_substr(svg, "class=\"edge\""), 275);
	assert_non_null(strstr(svg, ">h0</text>"));
	assert_non_null(strstr(svg, ">h249</text>"));
	assert_non_null(strstr(svg, ">s24</text>"));
	free(svg);
}

static void test_small_lab_uses_dot(void **state)
{
	struct fixture *fx = *state;
	char *dot;

	fx->lab = two_on_switch();
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "layout=dot"));
	free(dot);
}

static void test_unknown_format_rejected(void **state)
{
	struct fixture *fx = *state;
	const char keep[] = "previous picture\n";
	char fname[512], *after;
	FILE *f;

	fx->lab = two_on_switch();
	path_in(fx, "lab.xyz", fname, sizeof(fname));
	f = fopen(fname, "w");
	assert_non_null(f);
	fputs(keep, f);
	fclose(f);
	assert_int_equal(viz_render(fx->lab, "xyz", fname, fx->err, sizeof(fx->err)), -1);
	assert_string_equal(fx->err, "unknown output format 'xyz' (use svg, png, pdf or dot)");
	after = slurp(fname, NULL);
	assert_non_null(after);
	assert_string_equal(after, keep);
	free(after);
	assert_int_equal(count_dir_entries(fx->dir), 1);

	/* Formats Graphviz knows but umlab does not offer are refused too. */
	assert_int_equal(viz_render(fx->lab, "ps", fname, fx->err, sizeof(fx->err)), -1);
	assert_int_equal(viz_render(fx->lab, "", fname, fx->err, sizeof(fx->err)), -1);
	assert_int_equal(count_dir_entries(fx->dir), 1);
}

static void test_failed_render_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	char fname[512];

	fx->lab = two_on_switch();
	path_in(fx, "missing-dir/lab.svg", fname, sizeof(fname));
	fx->err[0] = '\0';
	assert_int_equal(viz_render(fx->lab, "svg", fname, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "missing-dir/lab.svg"));
	assert_int_equal(count_dir_entries(fx->dir), 0);
}

static void test_replaces_existing(void **state)
{
	struct fixture *fx = *state;
	char fname[512], *svg;
	size_t len;
	FILE *f;

	fx->lab = two_on_switch();
	path_in(fx, "lab.svg", fname, sizeof(fname));
	f = fopen(fname, "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, "<svg"));
	free(svg);
	assert_int_equal(count_dir_entries(fx->dir), 1);
}

static void test_all_formats(void **state)
{
	struct fixture *fx = *state;
	char *out;
	size_t len;
	Agraph_t *g;

	fx->lab = two_on_switch();
	render_ok(fx, "png", "lab.png", &out, &len);
	assert_true(len > 8);
	assert_memory_equal(out, "\x89PNG\r\n\x1a\n", 8);
	free(out);
	render_ok(fx, "pdf", "lab.pdf", &out, &len);
	assert_memory_equal(out, "%PDF", 4);
	free(out);
	render_ok(fx, "dot", "lab.dot", &out, &len);
	g = parse(out);
	assert_int_equal(agnnodes(g), 3);
	agclose(g);
	free(out);
	assert_int_equal(count_dir_entries(fx->dir), 3);
}

static void test_dot_text_escaping(void **state)
{
	struct fixture *fx = *state;
	Agraph_t *g;
	char *dot, *svg;
	size_t len;

	/* Lab names are not validated like node names; quote them safely. */
	fx->lab = lab_new("my \"lab\" \\N {x}; -- \n");
	assert_non_null(fx->lab);
	cable(fx->lab, add_node(fx->lab, "a-1"), add_switch(fx->lab, "s_1", LAB_SWITCH), "10.1.1.1/8");
	add_node(fx->lab, "9");
	dot = viz_topology_dot(fx->lab);
	assert_non_null(dot);
	g = parse(dot);
	assert_int_equal(agnnodes(g), 3);
	assert_int_equal(agnedges(g), 1);
	/* \N stays a literal backslash-N, not the object's name. */
	assert_string_equal(agget(g, "label"), "my \"lab\" \\\\N {x}; -- ?");
	agclose(g);
	free(dot);
	render_ok(fx, "svg", "lab.svg", &svg, &len);
	assert_non_null(strstr(svg, ">my &quot;lab&quot; \\N {x}; &#45;&#45; ?</text>"));
	free(svg);
}

/* VLANs by colour and label, trunks between switches, a link down or impaired. */
static void test_vlans_trunks_and_link_state(void **state)
{
	struct lab *lab = lab_new("vlans");
	struct lab_switch *s1 = add_switch(lab, "s1", LAB_SWITCH), *s2 = add_switch(lab, "s2", LAB_SWITCH);
	uint16_t vl[2] = { 10, 20 };
	char err[256], *dot;

	cable(lab, add_node(lab, "a"), s1, "10.0.0.1/24");
	cable(lab, add_node(lab, "b"), s2, "10.0.0.2/24");
	cable(lab, add_node(lab, "c"), s2, "10.0.0.3/24");
	lab->links[0]->vlan = 10;
	lab->links[1]->down = 1;
	lab->links[2]->imp[0].loss = 0.1;
	assert_non_null(lab_add_trunk(lab, s1, s2, vl, 2, err, sizeof(err)));
	dot = viz_topology_dot(lab);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "vlan 10"));
	assert_non_null(strstr(dot, "trunk 10,20"));
	assert_non_null(strstr(dot, "DOWN"));
	assert_non_null(strstr(dot, "color=\"#c62828\" style=dashed"));
	assert_non_null(strstr(dot, "impaired"));
	free(dot);
	lab_free(lab);
	(void)state;
}

/* Uplinks and plugs both leave the lab, but look apart: an uplink is a
 * place (its URL), a plug a program on this host; the plug's socket is
 * only a tooltip, and only once the runtime has made it. */
static void test_uplinks_and_plugs(void **state)
{
	struct lab *lab = lab_new("out");
	struct lab_switch *s1 = add_switch(lab, "s1", LAB_SWITCH);
	char err[256], *dot, *svg;
	struct lab_plug *p;
	size_t len;

	cable(lab, add_node(lab, "a"), s1, "10.0.0.1/24");
	assert_non_null(lab_add_uplink(lab, s1, "vde:///tmp/sw", err, sizeof(err)));
	assert_non_null(p = lab_add_plug(lab, s1, err, sizeof(err)));
	dot = viz_topology_dot(lab);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "\"u:s1.up0\" [label=\"vde:///tmp/sw\" shape=cds"));
	assert_non_null(strstr(dot, "\"p:s1.plug0\" [label=\"host program\" shape=invhouse"));
	assert_non_null(strstr(dot, "\"s:s1\" -- \"p:s1.plug0\" [style=dotted label=\"s1.plug0\""));
	assert_null(strstr(dot, "umlab://"));
	free(dot);
	snprintf(p->path, sizeof(p->path), "/run/umlab/out.x/net/s1.plug0");
	dot = viz_topology_dot(lab);
	assert_non_null(strstr(dot, "tooltip=\"umlab:///run/umlab/out.x/net/s1.plug0\""));
	free(dot);
	svg = viz_render_mem(lab, "svg", NULL, &len, err, sizeof(err));
	assert_non_null(svg);
	assert_non_null(strstr(svg, ">host program</text>"));
	free(svg);
	lab_free(lab);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_nodes_svg, setup, teardown),
		cmocka_unit_test(test_vlans_trunks_and_link_state),
		cmocka_unit_test(test_uplinks_and_plugs),
		cmocka_unit_test_setup_teardown(test_shapes_and_labels_in_dot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_without_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_lab_uses_dot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_lab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_format_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_render_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dot_text_escaping, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
