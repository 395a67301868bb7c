/* test_labconf.c - Kathará lab folders: lab.conf/lab.dep/lab.ext parsing
 * (labconf.c) and their mapping to the lab model and run plan (kathara.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/util.h"
#include "guest/proto.h"
#include "scenarios/kathara.h"
#include "scenarios/labconf.h"

static char *
srcpath(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/%s", top ? top : ".", rel);
}

/* The shared copy of real labs: $UMLAB_KATHARA_LABS or ../shared/kathara-labs beside the clone. */
static char *
real_labs(void)
{
	const char *env = getenv("UMLAB_KATHARA_LABS");
	char *p;

	if (env != NULL && *env)
		return xstrdup(env);
	p = srcpath("../shared/kathara-labs");
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static void
real_labs_parse(void **state)
{
	static const struct { const char *lab; size_t ndev, ncds; } labs[] = {
		{ "add-one-router", 4, 3 }, { "arp", 5, 3 }, { "basic-ipv4", 6, 3 },
		{ "capture-packets", 3, 1 }, { "http-tcp", 3, 1 }, { "ospf-multiarea", 11, 14 },
		{ "bgp-announcement", 2, 3 }, { "bgp-prefix-filtering", 2, 5 },
	};
	char *dir = real_labs(), err[512];

	if (dir == NULL) {
		print_message("SKIP: no ../shared/kathara-labs beside the source tree "
			      "(set UMLAB_KATHARA_LABS to run this test)\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(labs) / sizeof(*labs); i++) {
		char *p = xasprintf("%s/%s", dir, labs[i].lab);
		struct lc_lab *l = lc_load(p, err, sizeof(err));

		if (l == NULL)
			fail_msg("%s: %s", labs[i].lab, err);
		assert_int_equal(l->ndevices, labs[i].ndev);
		assert_int_equal(l->nstart_order, labs[i].ndev);
		if (strcmp(labs[i].lab, "ospf-multiarea") != 0)
			assert_int_equal(l->ncds, labs[i].ncds);
		if (strcmp(labs[i].lab, "basic-ipv4") == 0) {
			struct lc_device *r1 = lc_find_device(l, "r1"), *ws = lc_find_device(l, "wireshark");

			assert_string_equal(l->author, "L. Ariemma, T. Caiazzi, G. Di Battista, M. Patrignani, "
					    "M. Pizzonia, F. Ricci, M. Rimondini");
			assert_string_equal(l->version, "1.0");
			assert_int_equal(r1->nifaces, 2);
			assert_string_equal(r1->ifaces[1].cd, "B");
			assert_true(r1->ifaces[0].has_mac);
			assert_int_equal(r1->ifaces[0].mac[5], 0xa1);
			assert_int_equal(r1->ipv6, 0);
			assert_true(ws->bridged);
			assert_int_equal(ws->num_terms, 0);
			assert_int_equal(ws->nports, 1);
			assert_string_equal(ws->ports[0].key, "3000/tcp");
			assert_string_equal(ws->ports[0].value, "3000");
		}
		if (strcmp(labs[i].lab, "capture-packets") == 0)
			assert_string_equal(lc_find_device(l, "wireshark")->ifaces[0].cd, "A");
		lc_free(l);
		free(p);
	}
	free(dir);
}

static void
valid_syntax(void **state)
{
	char err[512];
	const char *conf =
		"LAB_NAME=\"demo\"\n"
		"LAB_WEB=http://example.org/\n"
		"# comment\n"
		"\n"
		"r1[0]=\"A\"\n"
		"r1[1]='B/02:00:00:00:00:0b'\n"
		"r1[image]=\"kathara/frr\"   # a comment\n"
		"r1[mem]=128M\n"
		"r1[exec]=echo one\n"
		"r1[exec]=\"echo two\"\n"
		"r1[sysctl]=\"net.ipv4.tcp_syncookies=0\"\n"
		"r1[env]=\"FOO=bar baz\"\n"
		"r1[ulimit]=nofile=1024:2048\n"
		"r1[volume]=\"/tmp|/mnt|rw\"\n"
		"pc1[0]=A\r\n"                       /* Netkit style, CRLF */
		"pc1[mem]=1g\n"
		"pc1[exec]=echo hi # it's\n"         /* the regex backtracks to 'echo hi' */
		"pc1[num_terms]=0\n";
	struct lc_lab *l = lc_parse(conf, NULL, NULL, err, sizeof(err));
	struct lc_device *r1, *pc1;

	if (l == NULL)
		fail_msg("%s", err);
	assert_string_equal(l->name, "demo");
	assert_string_equal(l->web, "http://example.org/");
	assert_int_equal(l->ndevices, 2);
	assert_int_equal(l->ncds, 2);
	r1 = lc_find_device(l, "r1");
	pc1 = lc_find_device(l, "pc1");
	assert_string_equal(r1->image, "kathara/frr");
	assert_int_equal(r1->mem_mb, 128);
	assert_int_equal(r1->nexec, 2);
	assert_string_equal(r1->exec[1], "echo two");
	assert_string_equal(lc_sysctl(r1, "net.ipv4.tcp_syncookies"), "0");
	assert_string_equal(r1->envs[0].value, "bar baz");
	assert_string_equal(r1->ulimits[0].value, "1024:2048");
	assert_string_equal(r1->volumes[0].value, "/mnt|rw");
	assert_int_equal(r1->ifaces[1].mac[5], 0x0b);
	assert_int_equal(pc1->mem_mb, 1024);
	assert_string_equal(pc1->exec[0], "echo hi");
	assert_int_equal(pc1->num_terms, 0);
	assert_int_equal(r1->ipv6, -1);
	lc_free(l);

	/* A repeated option is a warning, as in Kathará. */
	l = lc_parse("a[0]=A\na[image]=x\na[image]=y\n", NULL, NULL, err, sizeof(err));
	assert_non_null(l);
	assert_int_equal(l->nwarnings, 1);
	assert_non_null(strstr(l->warnings[0], "lab.conf:3: a[image] is given again"));
	assert_string_equal(lc_find_device(l, "a")->image, "y");
	lc_free(l);
}

static void
memory_and_bools(void **state)
{
	assert_int_equal(lc_parse_mem("64m"), 64);
	assert_int_equal(lc_parse_mem("128M"), 128);
	assert_int_equal(lc_parse_mem("512"), 512);
	assert_int_equal(lc_parse_mem("2g"), 2048);
	assert_int_equal(lc_parse_mem("65536k"), 64);
	assert_int_equal(lc_parse_mem("12x"), -1);
	assert_int_equal(lc_parse_mem("m"), -1);
	assert_int_equal(lc_parse_mem(""), -1);
	assert_int_equal(lc_strtobool("True"), 1);
	assert_int_equal(lc_strtobool("off"), 0);
	assert_int_equal(lc_strtobool("maybe"), -1);
}

static void
malformed_conf(void **state)
{
	static const struct { const char *conf, *error; } cases[] = {
		{ "a[0]=A\n\n\n\n\n\nb[0]=\"B\n", "lab.conf:7: unterminated quote" },
		{ "a[0]=A\nr1[0]=A\nr1[x1]=B\n", "lab.conf:3: unknown option 'x1' for device r1" },
		{ "r1[1x]=A\n", "lab.conf:1: bad interface index '1x' for device r1" },
		{ "r1[0]=A\nr1[foo]=bar\n", "lab.conf:2: unknown option 'foo' for device r1" },
		{ "r1[1]=B\nr1[0]=A\nr1[0]=C\n", "lab.conf:3: interface 0 of r1 defined twice (first at line 2)" },
		{ "r1[0]=A\nr1[1]=A\n", "lab.conf:2: r1 is connected twice to collision domain A" },
		{ "r1[0]=A\nr1[2]=B\n", "lab.conf:2: interface 1 of r1 is missing, yet r1[2] is defined" },
		{ "r1[0]=\"A/00:11:22:33:44\"\n", "lab.conf:1: bad MAC address '00:11:22:33:44' for r1[0]" },
		{ "r1[0]=\"A/\"\n", "lab.conf:1: bad interface definition 'A/' for r1[0]" },
		{ "r1[0]=\"A-1\"\n", "lab.conf:1: collision domain 'A-1' of r1[0] has characters other" },
		{ "shared[0]=A\n", "lab.conf:1: 'shared' is a reserved name" },
		{ "_test[0]=A\n", "lab.conf:1: '_test' is a reserved name" },
		{ "R1[0]=A\n", "lab.conf:1: bad device name in 'R1[0]=A'" },
		{ "r1[0]=\n", "lab.conf:1: empty value in 'r1[0]='" },
		{ "r1[exec]=\"echo 'hi'\"\n", "lab.conf:1: a quote inside the value" },
		{ "r1[image]=\"x\"# c\n", "lab.conf:1: unexpected text after the value" },
		{ "r1[0]=A\n  # indented\n", "lab.conf:2: indented comment" },
		{ "hello world\n", "lab.conf:1: unrecognised line 'hello world'" },
		{ "LAB_WEB=http://x/?a=b\n", "lab.conf:1: LAB_WEB's value contains '='" },
		{ "r1[mem]=12x\n", "lab.conf:1: bad mem value '12x' for r1" },
		{ "r1[ipv6]=maybe\n", "lab.conf:1: bad ipv6 value 'maybe' for r1" },
		{ "r1[sysctl]=kernel.panic=1\n", "lab.conf:1: bad sysctl 'kernel.panic=1' for r1" },
		{ "r1[env]=noequals\n", "lab.conf:1: bad env 'noequals' for r1" },
		{ "r1[ulimit]=nofile=-1:10\n", "lab.conf:1: bad ulimit 'nofile=-1:10' for r1" },
		{ "r1[port]=80/icmp\n", "lab.conf:1: bad port protocol 'icmp' for r1" },
		{ "r1[volume]=/only\n", "lab.conf:1: bad volume '/only' for r1" },
		{ "", "lab.conf: the file is empty" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct lc_lab *l = lc_parse(cases[i].conf, NULL, NULL, err, sizeof(err));

		if (l != NULL)
			fail_msg("case %zu parsed; want '%s'", i, cases[i].error);
		if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err, cases[i].error);
	}
}

static void
dep_and_ext(void **state)
{
	char err[512];
	const char *conf = "a[0]=A\nb[0]=A\nc[0]=B\n";
	struct lc_lab *l;

	l = lc_parse(conf, "# order\na: b c\nb:c\nz: a\n", "A eth1\nB eth2.20\n", err, sizeof(err));
	if (l == NULL)
		fail_msg("%s", err);
	assert_int_equal(l->nstart_order, 3);
	assert_string_equal(l->start_order[0], "c");
	assert_string_equal(l->start_order[1], "b");
	assert_string_equal(l->start_order[2], "a");
	assert_int_equal(l->nwarnings, 1);
	assert_non_null(strstr(l->warnings[0], "lab.dep:4: 'z' is not a device"));
	assert_int_equal(l->nexts, 2);
	assert_string_equal(l->exts[1].host_iface, "eth2");
	assert_int_equal(l->exts[1].vlan, 20);
	lc_free(l);

	assert_null(lc_parse(conf, "a: b\nb: a\n", NULL, err, sizeof(err)));
	assert_string_equal(err, "lab.dep:1: dependency loop: a -> b -> a");
	assert_null(lc_parse(conf, "a: a\n", NULL, err, sizeof(err)));
	assert_string_equal(err, "lab.dep:1: dependency loop: a -> a");
	assert_null(lc_parse(conf, "a -> b\n", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "lab.dep:1: bad line 'a -> b'"));
	assert_null(lc_parse(conf, "a:  b\n", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "lab.dep:1: bad line"));
	assert_null(lc_parse(conf, NULL, "A eth0.4095\n", err, sizeof(err)));
	assert_string_equal(err, "lab.ext:1: VLAN ID 4095 is outside 1..4094");
	assert_null(lc_parse(conf, NULL, "\nZ eth0\n", err, sizeof(err)));
	assert_string_equal(err, "lab.ext:2: collision domain Z is not used in lab.conf");
	assert_null(lc_parse(conf, NULL, "A\n", err, sizeof(err)));
	assert_non_null(strstr(err, "lab.ext:1: bad line 'A'"));
}

static void
malformed_folders(void **state)
{
	static const struct { const char *dir, *error; } cases[] = {
		{ "tests/data/labconf/bad-quote", "lab.conf:1: unterminated quote" },
		{ "tests/data/labconf/dep-loop", "lab.dep:1: dependency loop: a -> b -> c -> a" },
		{ "tests/data/labconf/gap", "lab.conf:2: interface 1 of r1 is missing" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *dir = srcpath(cases[i].dir);
		struct lab *lab = lab_new("t");
		struct kathara_lab *kl = kathara_open(dir, lab, err, sizeof(err));
		char *want = xasprintf("/%s", cases[i].error);

		assert_null(kl);
		/* "/abs/path/DIR/lab.conf:1: ..." */
		if (strstr(err, want) == NULL || strstr(err, cases[i].dir) == NULL)
			fail_msg("%s: got '%s'", cases[i].dir, err);
		free(want);
		free(dir);
		lab_free(lab);
	}
}

static void
mapping_and_plan(void **state)
{
	char *dir = srcpath("tests/data/labconf/basic"), err[512];
	struct lab *lab = lab_new("t");
	struct kathara_lab *kl;
	struct lab_node *h1, *r1, *h2;
	const struct kathara_node *kr1 = NULL;
	char buf[32];

	setenv("UMLAB_KATHARA_BIN", "/opt/shim", 1);
	kl = kathara_open(dir, lab, err, sizeof(err));
	if (kl == NULL)
		fail_msg("%s", err);
	/* lab.dep: r1 first */
	assert_string_equal(lab->nodes[0]->name, "r1");
	assert_int_equal(lab->nswitches, 2);
	assert_non_null(lab_find_switch(lab, "lan1"));
	h1 = lab_find_node(lab, "h1");
	r1 = lab_find_node(lab, "r1");
	h2 = lab_find_node(lab, "h2");
	assert_int_equal(r1->mem_mb, 96);
	assert_int_equal(h1->mem_mb, 64);
	assert_int_equal(r1->nifaces, 2);
	assert_string_equal(r1->ifaces[1].link->sw->name, "lan2");
	assert_int_equal(h1->ifaces[0].mac[0], 0x02);
	assert_int_equal(h1->ifaces[0].mac[5], 0x01);
	for (size_t i = 0; i < kl->nnodes; i++)
		if (strcmp(kl->nodes[i].dev->name, "r1") == 0)
			kr1 = &kl->nodes[i];
	assert_non_null(kr1);
	assert_non_null(kr1->files_dir);
	assert_non_null(strstr(kr1->files_dir, "basic/r1"));
	/* The stand-in is written into the guest (here /opt/shim is missing: said so). */
	assert_non_null(strstr(kr1->startup_text, "export PATH=/run/umlab-kathara:"));
	assert_non_null(strstr(kr1->startup_text, "umlab_sysctl net.ipv4.ip_forward '1'"));
	assert_non_null(strstr(kr1->startup_text, "umlab_sysctl net.ipv4.conf.eth1.rp_filter '0'"));
	assert_non_null(strstr(kr1->startup_text, "umlab_sysctl net.ipv6.conf.all.disable_ipv6 '1'"));
	assert_non_null(strstr(kr1->startup_text, "umlab_sysctl net.ipv4.conf.all.forwarding '1'"));
	assert_non_null(strstr(kr1->startup_text, "mount -t hostfs none /shared -o '"));
	/* The lab's startup files travel inside the script: the guest's uid
	 * may not be able to read the lab's folder. */
	assert_non_null(strstr(kr1->startup_text, "cat > '/run/umlab-kathara/shared.startup' <<'UMLAB_EOF_0'\n"));
	assert_non_null(strstr(kr1->startup_text, "/bin/bash -x /run/umlab-kathara/shared.startup > /var/log/shared.log 2>&1"));
	assert_non_null(strstr(kr1->startup_text, "cat > '/run/umlab-kathara/startup' <<'UMLAB_EOF_0'\n"));
	assert_non_null(strstr(kr1->startup_text, "/bin/bash -x /run/umlab-kathara/startup > /var/log/startup.log 2>&1"));
	assert_non_null(strstr(kr1->startup_text, "echo exec ran > /tmp/exec.out\ntouch /tmp/second\n"
				"touch /tmp/EOS\n"));
	assert_null(kr1->shutdown_text);
	/* h2 has ipv6=true */
	for (size_t i = 0; i < kl->nnodes; i++)
		if (strcmp(kl->nodes[i].dev->name, "h2") == 0)
			assert_non_null(strstr(kl->nodes[i].startup_text,
					       "umlab_sysctl net.ipv6.conf.all.disable_ipv6 '0'"));

	assert_non_null(strstr(kl->scenario, "start()"));
	kathara_free(kl);
	lab_free(lab);
	free(dir);
}

static void
images_and_packages(void **state)
{
	const char *note;
	int skip;
	char *dir = xstrdup("/tmp/umlab-dpkg-XXXXXX"), *p;
	struct lab *lab = lab_new("t");
	struct kathara_lab *kl;
	char err[512];

	assert_string_equal(kathara_image_packages("kathara/frr:latest", &note, &skip),
			    "iproute2 iputils-ping frr");
	assert_false(skip);
	kathara_image_packages("lscr.io/linuxserver/wireshark", &note, &skip);
	assert_true(skip);
	assert_non_null(strstr(note, "umlab's own capture"));
	kathara_image_packages("kathara/quagga", &note, &skip);
	assert_non_null(strstr(note, "not packaged in Debian 12"));

	/* A fake dpkg database with only iproute2: the apt line names the rest. */
	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/iproute2.list", dir);
	assert_int_equal(write_file_atomic(p, "", 0), 0);
	setenv("UMLAB_DPKG_INFO", dir, 1);
	free(p);
	p = srcpath("tests/data/labconf/basic");
	kl = kathara_open(p, lab, err, sizeof(err));
	assert_non_null(kl);
	free(p);
	p = kathara_apt_line(kl);
	/* image kathara/base; startup files use ip, ifconfig, route */
	assert_string_equal(p, "apt-get install -y iputils-ping net-tools");
	free(p);
	unsetenv("UMLAB_DPKG_INFO");
	kathara_free(kl);
	lab_free(lab);
	rm_rf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_labs_parse),
		cmocka_unit_test(valid_syntax),
		cmocka_unit_test(memory_and_bools),
		cmocka_unit_test(malformed_conf),
		cmocka_unit_test(dep_and_ext),
		cmocka_unit_test(malformed_folders),
		cmocka_unit_test(mapping_and_plan),
		cmocka_unit_test(images_and_packages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
