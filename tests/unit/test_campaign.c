/* test_campaign.c - the campaign engine: seeds, grids, the definition,
 * resume bookkeeping, CSV and SVG output. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "faults/campaign.h"

static void
seeds_are_stable(void **state)
{
	(void)state;
	/* splitmix64's published sequence from state 0. */
	assert_true(camp_splitmix64(0) == 0xe220a8397b1dcdafULL);
	assert_true(camp_splitmix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
	assert_true(camp_splitmix64(2 * 0x9e3779b97f4a7c15ULL) == 0x06c45d188009454fULL);
	/* Run seeds: stable across versions (a campaign's results depend on them). */
	assert_true(camp_seed(0, 0) == 0xe220a8397b1dcdafULL >> 1);
	assert_true(camp_seed(0, 1) == 0x6e789e6aa1b965f4ULL >> 1);
	assert_true(camp_seed(0, 2) == 0x06c45d188009454fULL >> 1);
	assert_true(camp_seed(42, 0) == camp_splitmix64(42) >> 1);
	assert_true(camp_seed(1, 0) == 0x910a2dec89025cc1ULL >> 1);
	/* Neighbouring campaign seeds share no runs. */
	for (unsigned r = 0; r < 100; r++)
		for (unsigned q = 0; q < 100; q++)
			assert_true(camp_seed(41, r) != camp_seed(42, q));
	assert_true(camp_seed(UINT64_MAX, 1) < (1ULL << 63));
}

static void
grid_is_a_cartesian_product(void **state)
{
	struct camp_grid g = { 0 };
	char err[256], *l;

	(void)state;
	assert_int_equal(camp_grid_points(&g), 1);
	l = camp_grid_label(&g, 0);
	assert_string_equal(l, "all runs");
	free(l);
	assert_int_equal(camp_grid_add(&g, "loss=0,0.1,0.2", err, sizeof(err)), 0);
	assert_int_equal(camp_grid_add(&g, "delay=0,20", err, sizeof(err)), 0);
	assert_int_equal(camp_grid_points(&g), 6);
	/* The last parameter varies fastest, like nested loops in -D order. */
	static const char *want[6][2] = {
		{ "0", "0" }, { "0", "20" }, { "0.1", "0" }, { "0.1", "20" }, { "0.2", "0" },
		{ "0.2", "20" },
	};
	for (size_t p = 0; p < 6; p++) {
		assert_string_equal(camp_grid_value(&g, p, 0), want[p][0]);
		assert_string_equal(camp_grid_value(&g, p, 1), want[p][1]);
	}
	l = camp_grid_label(&g, 3);
	assert_string_equal(l, "loss=0.1 delay=20");
	free(l);
	assert_int_equal(camp_grid_add(&g, "mode=a b", err, sizeof(err)), 0);
	assert_int_equal(camp_grid_points(&g), 6);
	assert_string_equal(camp_grid_value(&g, 5, 2), "a b");
	camp_grid_free(&g);
}

static void
grid_refuses_bad_input(void **state)
{
	struct camp_grid g = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(camp_grid_add(&g, "loss", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad -D 'loss'"));
	assert_int_equal(camp_grid_add(&g, "=1,2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad -D '=1,2'"));
	assert_int_equal(camp_grid_add(&g, "a b=1", err, sizeof(err)), -1);
	assert_int_equal(camp_grid_add(&g, "loss=", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty value"));
	assert_int_equal(camp_grid_add(&g, "loss=1,,2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad -D 'loss=1,,2'"));
	assert_int_equal(camp_grid_add(&g, "loss=1,", err, sizeof(err)), -1);
	assert_int_equal(camp_grid_add(&g, "loss=1,2,1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "value '1' given twice"));
	assert_int_equal(g.nparams, 0);
	assert_int_equal(camp_grid_add(&g, "loss=1", err, sizeof(err)), 0);
	assert_int_equal(camp_grid_add(&g, "loss=2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "parameter 'loss' given twice"));
	assert_int_equal(g.nparams, 1);
	camp_grid_free(&g);
}

static void
runs_map_to_points_and_seeds(void **state)
{
	struct camp_def d = { .seed = 7, .runs = 3 };
	char err[256], *dir;

	(void)state;
	camp_grid_add(&d.grid, "x=a,b", err, sizeof(err));
	assert_int_equal(camp_total(&d), 6);
	/* Interleaved: run i is at point i % 2, repetition i / 2. */
	assert_int_equal(camp_point_of(&d, 4), 0);
	assert_int_equal(camp_point_of(&d, 5), 1);
	assert_int_equal(camp_rep_of(&d, 5), 2);
	/* Every point gets the same seeds (common random numbers). */
	assert_true(camp_run_seed(&d, 4) == camp_run_seed(&d, 5));
	assert_true(camp_run_seed(&d, 4) == camp_seed(7, 2));
	dir = camp_run_dir(&d, 5);
	assert_string_equal(dir, "runs/0005");
	free(dir);
	d.runs = 10000;
	dir = camp_run_dir(&d, 5);
	assert_string_equal(dir, "runs/00005");
	free(dir);
	camp_grid_free(&d.grid);
}

static void
definition_round_trips_and_refuses_others(void **state)
{
	struct camp_def d = { .scenario = xstrdup("/x/s.lua"), .seed = 5, .has_seed = 1, .runs = 4,
			      .capture = 1 };
	struct camp_def e = { .scenario = xstrdup("/x/s.lua"), .runs = 4, .capture = 1 };
	char err[512], *text;

	(void)state;
	camp_grid_add(&d.grid, "loss=0,0.1", err, sizeof(err));
	camp_grid_add(&e.grid, "loss=0,0.1", err, sizeof(err));
	text = camp_def_dump(&d);
	/* No seed given: the stored one is adopted. */
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), 0);
	assert_true(e.seed == 5);
	e.runs = 5;
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--runs 4, not 5"));
	e.runs = 4;
	e.seed = 6;
	e.has_seed = 1;
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--seed 5, not 6"));
	e.seed = 5;
	camp_grid_free(&e.grid);
	camp_grid_add(&e.grid, "loss=0,0.2", err, sizeof(err));
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "-D loss=0,0.1, not -D loss=0,0.2"));
	camp_grid_free(&e.grid);
	camp_grid_add(&e.grid, "loss=0,0.1", err, sizeof(err));
	e.capture = 0;
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), -1);
	e.capture = 1;
	free(e.scenario);
	e.scenario = xstrdup("/y/s.lua");
	assert_int_equal(camp_def_match(&e, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scenario /x/s.lua"));
	assert_int_equal(camp_def_match(&e, "{ torn", err, sizeof(err)), -1);
	free(text);
	camp_def_free(&d);
	camp_def_free(&e);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text)), 0);
	free(p);
}

static void
reports_decide_what_is_done(void **state)
{
	char tmpl[] = "/tmp/test_campaign.XXXXXX", *dir = mkdtemp(tmpl), *p;
	struct camp_result r = { 0 };

	(void)state;
	assert_non_null(dir);
	p = xasprintf("%s/absent.json", dir);
	assert_int_equal(camp_read_report(p, &r), 0);
	free(p);
	put(dir, "ok.json", "{\"verdict\": \"failed\", \"exit_status\": 1, \"outcome\": \"weird\","
	    " \"duration_s\": 0.25, \"error\": null}");
	p = xasprintf("%s/ok.json", dir);
	assert_int_equal(camp_read_report(p, &r), 1);
	assert_int_equal(r.state, CAMP_DONE);
	assert_string_equal(r.outcome, "weird");
	assert_string_equal(r.verdict, "failed");
	assert_null(r.error);
	assert_true(r.duration_s == 0.25);
	assert_int_equal(r.exit_status, 1);
	free(p);
	camp_result_clear(&r);
	put(dir, "torn.json", "{\"verdict\": \"pas");
	p = xasprintf("%s/torn.json", dir);
	assert_int_equal(camp_read_report(p, &r), -1);
	free(p);
	/* A run stopped by a signal is done again, not counted. */
	put(dir, "int.json", "{\"verdict\": \"interrupted\", \"outcome\": \"interrupted\"}");
	p = xasprintf("%s/int.json", dir);
	assert_int_equal(camp_read_report(p, &r), -1);
	free(p);
	rm_rf(dir);
}

static void
set_done(struct camp_result *r, const char *outcome, const char *error)
{
	r->state = CAMP_DONE;
	r->outcome = xstrdup(outcome);
	r->verdict = xstrdup("failed");
	r->error = error ? xstrdup(error) : NULL;
	r->duration_s = 0.5;
}

static void
tally_orders_classes(void **state)
{
	struct camp_def d = { .scenario = xstrdup("/s.lua"), .seed = 1, .runs = 2 };
	struct camp_result res[4] = { 0 };
	struct camp_tally t;
	char err[256];

	(void)state;
	camp_grid_add(&d.grid, "x=a,b", err, sizeof(err));
	set_done(&res[0], "weird", NULL);
	set_done(&res[1], "check_failed", NULL);
	set_done(&res[2], "passed", NULL);
	camp_tally(&d, res, &t);
	assert_int_equal(t.done, 3);
	assert_int_equal(t.nclasses, 3);
	assert_string_equal(t.classes[0], "passed");
	assert_string_equal(t.classes[1], "check_failed");
	assert_string_equal(t.classes[2], "weird");
	assert_int_equal(camp_tally_get(&t, 0, 0), 1);  /* run 2: point 0, passed */
	assert_int_equal(camp_tally_get(&t, 0, 2), 1);  /* run 0: point 0, weird */
	assert_int_equal(camp_tally_get(&t, 1, 1), 1);
	camp_tally_free(&t);
	for (int i = 0; i < 4; i++)
		camp_result_clear(&res[i]);
	camp_def_free(&d);
}

static char *
capture(void (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, arg);
	fclose(f);
	return buf;
}

static void
field(FILE *f, void *arg)
{
	camp_csv_field(f, arg);
}

static void
csv_fields_are_escaped(void **state)
{
	static const char *cases[][2] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ " padded", "\" padded\"" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = capture(field, (void *)cases[i][0]);

		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

static void
csv_has_one_row_per_done_run(void **state)
{
	struct camp_def d = { .scenario = xstrdup("/s.lua"), .seed = 1, .runs = 1 };
	struct camp_result res[2] = { 0 };
	char err[256], *buf = NULL, *want;
	size_t len = 0;
	FILE *f;

	(void)state;
	camp_grid_add(&d.grid, "x=a,b c", err, sizeof(err));
	set_done(&res[1], "check_failed", "s.lua:3: boom, \"bad\"");
	f = open_memstream(&buf, &len);
	assert_int_equal(camp_write_csv(f, &d, res), 0);
	fclose(f);
	want = xasprintf("run,seed,x,outcome,verdict,duration_s,error\n"
			 "1,%llu,b c,check_failed,failed,0.500,\"s.lua:3: boom, \"\"bad\"\"\"\n",
			 (unsigned long long)camp_seed(1, 0));
	assert_string_equal(buf, want);
	free(want);
	free(buf);
	camp_result_clear(&res[1]);
	camp_def_free(&d);
}

/* A small well-formedness check: every tag closes in order, attribute
 * values are quoted, no stray '&' or '<' in text. */
static int
xml_well_formed(const char *s)
{
	char stack[64][32];
	int depth = 0;

	if (strncmp(s, "<?xml", 5) == 0)
		s = strstr(s, "?>") + 2;
	while (*s) {
		if (*s == '&') {
			const char *semi = strchr(s, ';');

			if (semi == NULL || semi - s > 6)
				return 0;
			s = semi + 1;
		} else if (*s == '<') {
			const char *end = strchr(s, '>');
			int closing = s[1] == '/', selfclose;
			char name[32];
			size_t n;

			if (end == NULL)
				return 0;
			selfclose = end[-1] == '/';
			n = strcspn(s + 1 + closing, " />");
			if (n == 0 || n >= sizeof(name))
				return 0;
			memcpy(name, s + 1 + closing, n);
			name[n] = '\0';
			for (const char *q = s + 1; q < end; q++)
				if (*q == '<')
					return 0;
			if (closing) {
				if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
					return 0;
				depth--;
			} else if (!selfclose) {
				if (depth == 64)
					return 0;
				strcpy(stack[depth++], name);
			}
			s = end + 1;
		} else
			s++;
	}
	return depth == 0;
}

struct svg_arg {
	struct camp_def *d;
	struct camp_tally *t;
};

static void
svg(FILE *f, void *arg)
{
	struct svg_arg *a = arg;

	camp_write_svg(f, a->d, a->t);
}

static void
svg_is_well_formed(void **state)
{
	struct camp_def d = { .scenario = xstrdup("/labs/<a&b>.lua"), .seed = 1, .runs = 3 };
	struct camp_result res[6] = { 0 };
	struct camp_tally t;
	struct svg_arg a = { &d, &t };
	char err[256], *s, tmpl[] = "/tmp/test_campaign.XXXXXX", *dir = mkdtemp(tmpl), *p, *cmd;

	(void)state;
	camp_grid_add(&d.grid, "mode=<x>,\"y\"&z", err, sizeof(err));
	set_done(&res[0], "passed", NULL);
	set_done(&res[1], "o'dd<class>", NULL);
	set_done(&res[2], "passed", NULL);
	set_done(&res[3], "crashed_controller", NULL);
	camp_tally(&d, res, &t);
	s = capture(svg, &a);
	assert_true(xml_well_formed(s));
	assert_non_null(strstr(s, "mode=&lt;x&gt;"));
	assert_non_null(strstr(s, "o&#39;dd&lt;class&gt;: 1"));
	assert_null(strstr(s, "<a&b>"));
	assert_false(xml_well_formed("<svg><rect></svg>"));
	assert_false(xml_well_formed("<svg>a & b</svg>"));
	/* And xmllint, when it is there, agrees. */
	p = xasprintf("%s/o.svg", dir);
	assert_int_equal(write_file_atomic(p, s, strlen(s)), 0);
	cmd = xasprintf("command -v xmllint >/dev/null || exit 0; xmllint --noout %s", p);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(p);
	/* An empty campaign draws too. */
	camp_tally_free(&t);
	for (int i = 0; i < 6; i++)
		camp_result_clear(&res[i]);
	camp_tally(&d, res, &t);
	free(s);
	s = capture(svg, &a);
	assert_true(xml_well_formed(s));
	free(s);
	camp_tally_free(&t);
	rm_rf(dir);
	camp_def_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seeds_are_stable),
		cmocka_unit_test(grid_is_a_cartesian_product),
		cmocka_unit_test(grid_refuses_bad_input),
		cmocka_unit_test(runs_map_to_points_and_seeds),
		cmocka_unit_test(definition_round_trips_and_refuses_others),
		cmocka_unit_test(reports_decide_what_is_done),
		cmocka_unit_test(tally_orders_classes),
		cmocka_unit_test(csv_fields_are_escaped),
		cmocka_unit_test(csv_has_one_row_per_done_run),
		cmocka_unit_test(svg_is_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
