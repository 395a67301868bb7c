/*
 * test_html.c - report.html from a crafted report.json (what it names,
 * what it escapes, what it refuses), and the lab of a scenario drawn
 * without booting it (scn_load_lab).  No guest is booted.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/util.h"
#include "scenarios/scn.h"
#include "viz/report.h"
#include "viz/viz.h"

static const char report_ok[] =
	"{\"umlab_version\": \"0.1.0\", \"report_format\": 1, \"scenario\": \"x.lua\","
	" \"command_line\": \"umlab run -o out x.lua\", \"cwd\": \"/home/t\","
	" \"lab\": \"demo\", \"verdict\": \"failed\", \"exit_status\": 1, \"duration_s\": 2.5,"
	" \"error\": null,"
	" \"nodes\": ["
	"  {\"name\": \"alpha\", \"mem_mb\": 64, \"state\": \"stopped\", \"boot_s\": 0.2,"
	"   \"reason\": \"stopped\", \"console\": \"console/alpha.log\","
	"   \"interfaces\": [{\"name\": \"eth0\", \"mac\": \"02:00:00:00:00:01\","
	"   \"address\": \"10.0.0.1/24\", \"link\": \"alpha.eth0-s1\"}]},"
	"  {\"name\": \"beta\", \"mem_mb\": 64, \"state\": \"crashed\", \"boot_s\": null,"
	"   \"reason\": \"kernel panic <oops>\", \"console\": \"../../etc/passwd\","
	"   \"interfaces\": [{\"name\": \"eth0\", \"mac\": \"02:00:00:00:00:02\","
	"   \"address\": null, \"link\": \"beta.eth0-s1\"}]}],"
	" \"links\": ["
	"  {\"name\": \"alpha.eth0-s1\", \"node\": \"alpha\", \"interface\": \"eth0\", \"switch\": \"s1\","
	"   \"switch_kind\": \"switch\", \"frames_from_node\": 12, \"bytes_from_node\": 900,"
	"   \"frames_to_node\": 11, \"bytes_to_node\": 800, \"drops\": 0, \"pcap\": \"pcap/alpha.eth0-s1.pcapng\"},"
	"  {\"name\": \"beta.eth0-s1\", \"node\": \"beta\", \"interface\": \"eth0\", \"switch\": \"s1\","
	"   \"switch_kind\": \"switch\", \"frames_from_node\": 3, \"bytes_from_node\": 200,"
	"   \"frames_to_node\": 4, \"bytes_to_node\": 300, \"drops\": 2}],"
	" \"checks\": ["
	"  {\"name\": \"alpha pings beta\", \"passed\": true, \"time_s\": 0.5, \"where\": \"x.lua:7\"},"
	"  {\"name\": \"<script>alert('x')</script> & co\", \"passed\": false, \"time_s\": 1.5,"
	"   \"where\": \"x.lua:9\", \"detail\": \"</pre><img src=x onerror=alert(1)>\"}],"
	" \"events\": [{\"t\": 1.0, \"kind\": \"fault\", \"target\": \"beta\", \"text\": \"killed <b>\"}]"
	"}";

static char *
html_of(const char *json, const char *dir)
{
	char err[512] = "";
	char *h = viz_report_html(json, strlen(json), dir, err, sizeof(err));

	if (h == NULL)
		fail_msg("viz_report_html: %s", err);
	return h;
}

static void
test_names_nodes_and_checks(void **state)
{
	char *h = html_of(report_ok, NULL);

	(void)state;
	assert_non_null(strstr(h, "<!DOCTYPE html>"));
	assert_non_null(strstr(h, ">alpha<"));
	assert_non_null(strstr(h, ">beta<"));
	assert_non_null(strstr(h, "FAILED"));
	/* Each check with its result in the same table row. */
	assert_non_null(strstr(h, "PASS</span></td><td>alpha pings beta"));
	assert_non_null(strstr(h, "FAIL</span></td><td>&lt;script&gt;"));
	assert_non_null(strstr(h, "umlab run -o out x.lua"));
	assert_non_null(strstr(h, "cd /home/t &amp;&amp; "));
	assert_non_null(strstr(h, "pcap/alpha.eth0-s1.pcapng"));
	/* Inline topology with states and counters, and a timeline. */
	assert_non_null(strstr(h, "<svg role=\"img\" aria-label=\"topology\""));
	assert_non_null(strstr(h, ">crashed<"));
	assert_non_null(strstr(h, "12 out / 11 in"));
	assert_non_null(strstr(h, "3 out / 4 in, 2 dropped"));
	assert_non_null(strstr(h, "aria-label=\"timeline\""));
	/* The event: in the timeline and its table. */
	assert_non_null(strstr(h, "killed &lt;b&gt;"));
	assert_null(strstr(h, "INCOMPLETE"));
	free(h);
}

static void
test_escapes_hostile_strings(void **state)
{
	char *h = html_of(report_ok, NULL);

	(void)state;
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<oops>"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
	assert_non_null(strstr(h, "&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;"));
	/* Nothing may be fetched from anywhere (SVG namespaces are names). */
	assert_null(strstr(h, "src=\"http"));
	assert_null(strstr(h, "href=\"http"));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "<!DOCTYPE svg"));
	assert_non_null(strstr(h, "default-src 'none'"));
	free(h);
}

static void
test_rejects_unknown_format(void **state)
{
	static const char future[] = "{\"report_format\": 2, \"verdict\": \"passed\"}";
	char err[256] = "";

	(void)state;
	assert_null(viz_report_html(future, strlen(future), NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "report_format 2"));
	err[0] = '\0';
	assert_null(viz_report_html("{\"verdict\": 1}", 14, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not an umlab report"));
	err[0] = '\0';
	assert_null(viz_report_html("{oops", 5, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not JSON"));
}

static void
test_incomplete_banner(void **state)
{
	static const char killed[] = "{\"report_format\": 1, \"lab\": \"l\", \"verdict\": \"incomplete\","
				     " \"error\": null, \"nodes\": [], \"links\": [], \"checks\": []}";
	static const char timeout[] = "{\"report_format\": 1, \"lab\": \"l\", \"verdict\": \"failed\","
				      " \"error\": \"x.lua:3: the run took longer than its limit\","
				      " \"nodes\": [], \"links\": [], \"checks\": []}";
	char *h;

	(void)state;
	h = html_of(killed, NULL);
	assert_non_null(strstr(h, "INCOMPLETE"));
	assert_non_null(strstr(h, "killed or crashed"));
	free(h);
	h = html_of(timeout, NULL);
	assert_non_null(strstr(h, "INCOMPLETE"));
	assert_non_null(strstr(h, "ERROR: x.lua:3: the run took longer"));
	free(h);
}

struct dirfx { char dir[64]; };

static int
dir_setup(void **state)
{
	struct dirfx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/umlab-test-html.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dirfx *fx = *state;

	rm_rf(fx->dir);
	free(fx);
	return 0;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text)), 0);
	free(p);
}

static char *
get(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *t = read_file(p, 1 << 24, NULL);

	free(p);
	return t;
}

static void
test_console_inlined_and_confined(void **state)
{
	struct dirfx *fx = *state;
	char *c = xasprintf("%s/console", fx->dir), *h, err[512];

	mkdir(c, 0755);
	free(c);
	put(fx->dir, "console/alpha.log", "Linux version 6.1\n\x1b[1mbold\x1b[0m <tag> \x01ok\n");
	put(fx->dir, "report.json", report_ok);
	assert_int_equal(viz_report_write(fx->dir, NULL, err, sizeof(err)), 0);
	h = get(fx->dir, "report.html");
	assert_non_null(h);
	assert_non_null(strstr(h, "<details><summary>console</summary><pre>Linux version 6.1\nbold &lt;tag&gt; ok\n"));
	free(h);
	/* A symlink out of the folder, or a FIFO, is not followed (nor waited on). */
	c = xasprintf("%s/console/alpha.log", fx->dir);
	unlink(c);
	assert_int_equal(symlink("/etc/passwd", c), 0);
	assert_int_equal(viz_report_write(fx->dir, NULL, err, sizeof(err)), 0);
	h = get(fx->dir, "report.html");
	assert_null(strstr(h, "root:"));
	assert_non_null(strstr(h, "(no console log)"));
	free(h);
	unlink(c);
	assert_int_equal(mkfifo(c, 0600), 0);
	assert_int_equal(viz_report_write(fx->dir, NULL, err, sizeof(err)), 0);
	free(c);
	h = get(fx->dir, "report.html");
	/* beta's console path leaves the run folder: not read. */
	assert_null(strstr(h, "root:"));
	assert_null(strstr(h, "href=\"../../etc/passwd\""));
	free(h);
}

static void
test_failed_build_keeps_page(void **state)
{
	struct dirfx *fx = *state;
	char err[512] = "", *h;

	put(fx->dir, "report.html", "old page");
	put(fx->dir, "report.json", "{\"report_format\": 99}");
	assert_int_equal(viz_report_write(fx->dir, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "report_format 99"));
	h = get(fx->dir, "report.html");
	assert_string_equal(h, "old page");
	free(h);
}

/* --- scn_load_lab: the lab of a scenario, never started --- */

static char *
scenario(const char *dir, const char *name, const char *text)
{
	put(dir, name, text);
	return xasprintf("%s/%s", dir, name);
}

static void
test_load_lab_without_start(void **state)
{
	struct dirfx *fx = *state;
	char *f = scenario(fx->dir, "plain.lua",
			   "local s = switch('s1')\nlocal a, b = node('a'), node('b')\n"
			   "link(a, s, '10.0.0.1/24')\nlink(b, s, '10.0.0.2/24')\n"
			   "check('early', true)\nsleep(100)\n");
	struct lab *lab = NULL;
	char err[512] = "", *svg;

	assert_int_equal(scn_load_lab(f, &lab, err, sizeof(err)), UMLAB_EXIT_OK);
	assert_non_null(lab);
	assert_string_equal(lab->name, "plain");
	assert_int_equal(lab->nnodes, 2);
	assert_int_equal(lab->nlinks, 2);
	svg = viz_render_mem(lab, "svg", NULL, NULL, err, sizeof(err));
	assert_non_null(svg);
	assert_non_null(strstr(svg, ">a<"));
	assert_non_null(strstr(svg, ">s1<"));
	free(svg);
	lab_free(lab);
	free(f);
}

static void
test_load_lab_stops_at_start(void **state)
{
	struct dirfx *fx = *state;
	char *f = scenario(fx->dir, "started.lua",
			   "lab { name = 'ring' }\nlocal a, b = node('a'), node('b')\n"
			   "link(a, b, '10.0.12.1/30', '10.0.12.2/30')\n"
			   "start()\n"
			   "error('ran past start')\n");
	struct lab *lab = NULL;
	char err[512] = "";

	assert_int_equal(scn_load_lab(f, &lab, err, sizeof(err)), UMLAB_EXIT_OK);
	assert_non_null(lab);
	assert_string_equal(lab->name, "ring");
	assert_int_equal(lab->nnodes, 2);
	assert_int_equal(lab->nswitches, 1);
	lab_free(lab);
	free(f);
}

static void
test_load_lab_error_has_position(void **state)
{
	struct dirfx *fx = *state;
	char *f = scenario(fx->dir, "bad.lua", "node('a')\n\nnode('a b')\nstart()\n");
	char *g = scenario(fx->dir, "syntax.lua", "node('a'\n");
	struct lab *lab = (struct lab *)1;
	char err[512] = "";

	assert_int_equal(scn_load_lab(f, &lab, err, sizeof(err)), UMLAB_EXIT_USAGE);
	assert_null(lab);
	assert_non_null(strstr(err, "bad.lua:3:"));
	assert_int_equal(scn_load_lab(g, &lab, err, sizeof(err)), UMLAB_EXIT_USAGE);
	assert_non_null(strstr(err, "syntax.lua:"));
	assert_int_equal(scn_load_lab("/nonexistent/x.lua", &lab, err, sizeof(err)), UMLAB_EXIT_USAGE);
	assert_non_null(strstr(err, "/nonexistent/x.lua"));
	free(f);
	free(g);
}

/* A run renders in one process several times.  Graphviz 2.42's pango
 * plugin kept a font name of the previous context: under ASan the second
 * render of a lab whose last and first texts have the same size (here the
 * graph label alone) was a heap-use-after-free. */
static void
test_render_twice_in_one_process(void **state)
{
	struct lab *lab = lab_new("empty");
	char err[256] = "";

	(void)state;
	for (int i = 0; i < 3; i++) {
		char *svg = viz_render_mem(lab, "svg", NULL, NULL, err, sizeof(err));

		assert_non_null(svg);
		assert_non_null(strstr(svg, ">empty<"));
		free(svg);
	}
	lab_free(lab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_nodes_and_checks),
		cmocka_unit_test(test_escapes_hostile_strings),
		cmocka_unit_test(test_rejects_unknown_format),
		cmocka_unit_test(test_incomplete_banner),
		cmocka_unit_test(test_render_twice_in_one_process),
		cmocka_unit_test_setup_teardown(test_console_inlined_and_confined, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_failed_build_keeps_page, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_lab_without_start, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_lab_stops_at_start, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_lab_error_has_position, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
