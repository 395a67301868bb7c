/* test_lua.c - scenario errors carry file:line, and map to exit statuses.
 * Only scenarios that never boot a guest: pure and fast. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "scenarios/scn.h"

struct run { int rc; json_t *report; char dir[64]; };

/* Write text as DIR/NAME.lua, run it, load report.json. */
static struct run
run_text(const char *name, const char *text)
{
	struct run r = { 0 };
	struct scn_options o = { .quiet = 1, .capture = 1 };
	char *file, *out, *rep;
	FILE *f;

	strcpy(r.dir, "/tmp/umlab-test-lua.XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	file = xasprintf("%s/%s.lua", r.dir, name);
	out = xasprintf("%s/out", r.dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	o.outdir = out;
	r.rc = scn_run(file, &o);
	rep = xasprintf("%s/report.json", out);
	r.report = json_load_file(rep, 0, NULL);
	free(rep);
	free(out);
	free(file);
	return r;
}

static void
run_done(struct run *r)
{
	json_decref(r->report);
	rm_rf(r->dir);
}

static const char *
report_error(struct run *r)
{
	assert_non_null(r->report);
	return json_string_value(json_object_get(r->report, "error"));
}

static void
syntax_error_names_file_and_line(void **state)
{
	struct run r = run_text("syntax", "local a = 1\nlocal b = 2\nif then\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "syntax.lua:3:"));
	assert_string_equal(json_string_value(json_object_get(r.report, "verdict")), "error");
	run_done(&r);
}

static void
runtime_error_names_file_and_line(void **state)
{
	struct run r = run_text("boom", "\n\nerror('it broke')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "boom.lua:3: it broke"));
	run_done(&r);
}

static void
api_error_names_the_argument(void **state)
{
	struct run r = run_text("badname", "node('r1')\nnode('no good')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "badname.lua:2: bad argument #1 to 'node'"));
	assert_non_null(strstr(report_error(&r), "invalid node name 'no good'"));
	run_done(&r);
}

static void
duplicate_and_bad_address(void **state)
{
	struct run r = run_text("dup", "local s = switch('s')\nlocal a = node('a')\n"
				"link(a, s, '10.1.2.3/40')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "dup.lua:3:"));
	assert_non_null(strstr(report_error(&r), "bad address '10.1.2.3/40'"));
	run_done(&r);
	r = run_text("dup2", "switch('x')\nnode('x')\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "dup2.lua:2:"));
	assert_non_null(strstr(report_error(&r), "duplicate name 'x'"));
	run_done(&r);
}

static void
exec_before_start_is_an_error(void **state)
{
	struct run r = run_text("early", "local a = node('a')\n\na:exec('true')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "early.lua:3: exec on a: the lab is not started"));
	run_done(&r);
}

static void
mem_too_small_is_refused(void **state)
{
	struct run r = run_text("mem", "node('a', {mem = 16})\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "mem.lua:1: node a: mem=16 MB"));
	run_done(&r);
}

static void
checks_decide_the_verdict(void **state)
{
	struct run r = run_text("pass", "check('one', true)\ncheck('two', 1 + 1 == 2)\n");
	json_t *checks;

	assert_int_equal(r.rc, UMLAB_EXIT_OK);
	checks = json_object_get(r.report, "checks");
	assert_int_equal(json_array_size(checks), 2);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(checks, 1), "where")),
			       "pass.lua:2"));
	run_done(&r);

	r = run_text("fail", "check('good', true)\ncheck('bad', false, 'because')\n");
	assert_int_equal(r.rc, UMLAB_EXIT_FAILED);
	assert_string_equal(json_string_value(json_object_get(r.report, "verdict")), "failed");
	checks = json_object_get(r.report, "checks");
	assert_false(json_boolean_value(json_object_get(json_array_get(checks, 1), "passed")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 1), "detail")),
			    "because");
	run_done(&r);
}

static void
missing_file_and_busy_outdir(void **state)
{
	struct scn_options o = { .quiet = 1 };
	char dir[] = "/tmp/umlab-test-lua.XXXXXX";
	char *f;

	assert_int_equal(scn_run("/nonexistent/x.lua", &o), UMLAB_EXIT_USAGE);
	assert_non_null(mkdtemp(dir));
	f = xasprintf("%s/keep.txt", dir);
	assert_int_equal(write_file_atomic(f, "precious", 8), 0);
	o.outdir = dir;
	assert_int_equal(scn_run(f, &o), UMLAB_EXIT_USAGE);  /* outdir not empty */
	{
		char *back = read_file(f, 64, NULL);

		assert_string_equal(back, "precious");          /* and left alone */
		free(back);
	}
	free(f);
	rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syntax_error_names_file_and_line),
		cmocka_unit_test(runtime_error_names_file_and_line),
		cmocka_unit_test(api_error_names_the_argument),
		cmocka_unit_test(duplicate_and_bad_address),
		cmocka_unit_test(exec_before_start_is_an_error),
		cmocka_unit_test(mem_too_small_is_refused),
		cmocka_unit_test(checks_decide_the_verdict),
		cmocka_unit_test(missing_file_and_busy_outdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
