/*
 * campaign.c - the campaign engine: seeds, the parameter grid, the
 * definition kept in campaign.json, reading run reports, tallies and the
 * outputs.  The scheduler (camp_run) is at the end; everything above it
 * is pure or writes to a FILE, for unit tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/loop.h"
#include "core/util.h"
#include "faults/campaign.h"

/* --- seeds --- */

uint64_t
camp_splitmix64(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
camp_seed(uint64_t base, unsigned rep)
{
	/* The rep-th output of splitmix64 seeded with base, not
	 * splitmix64(base + rep): with that, campaigns seeded 1 and 2 would
	 * share all runs but one.  Lua's integers are signed 64-bit and
	 * report.json stores a signed integer: keep seeds below 2^63 so they
	 * read back unchanged. */
	return camp_splitmix64(base + (uint64_t)rep * 0x9e3779b97f4a7c15ULL) >> 1;
}

/* --- the grid --- */

static int
valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || s[i] == '-' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

int
camp_grid_add(struct camp_grid *g, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	struct camp_param p = { 0 };
	char *list;

	if (eq == NULL || !valid_name(arg, (size_t)(eq - arg))) {
		snprintf(err, errlen, "bad -D '%s' (want NAME=V1,V2,...; NAME of letters, digits, "
			 "'_', '-', '.')", arg);
		return -1;
	}
	p.name = strndup(arg, (size_t)(eq - arg));
	for (size_t k = 0; k < g->nparams; k++)
		if (strcmp(g->params[k].name, p.name) == 0) {
			snprintf(err, errlen, "bad -D '%s' (parameter '%s' given twice; list its "
				 "values in one -D %s=V1,V2)", arg, p.name, p.name);
			free(p.name);
			return -1;
		}
	list = xstrdup(eq + 1);
	/* strtok_r would merge ",," silently: walk by hand to refuse empties. */
	for (char *v = list;; ) {
		char *comma = strchr(v, ',');

		if (comma)
			*comma = '\0';
		if (*v == '\0') {
			snprintf(err, errlen, "bad -D '%s' (an empty value in the list)", arg);
			for (size_t k = 0; k < p.nvalues; k++)
				free(p.values[k]);
			free(p.values);
			free(p.name);
			free(list);
			return -1;
		}
		for (size_t k = 0; k < p.nvalues; k++)
			if (strcmp(p.values[k], v) == 0) {
				snprintf(err, errlen, "bad -D '%s' (value '%s' given twice)", arg, v);
				for (size_t j = 0; j < p.nvalues; j++)
					free(p.values[j]);
				free(p.values);
				free(p.name);
				free(list);
				return -1;
			}
		p.values = realloc(p.values, (p.nvalues + 1) * sizeof(char *));
		if (p.values == NULL)
			abort();
		p.values[p.nvalues++] = xstrdup(v);
		if (comma == NULL)
			break;
		v = comma + 1;
	}
	free(list);
	g->params = realloc(g->params, (g->nparams + 1) * sizeof(*g->params));
	if (g->params == NULL)
		abort();
	g->params[g->nparams++] = p;
	return 0;
}

size_t
camp_grid_points(const struct camp_grid *g)
{
	size_t n = 1;

	for (size_t k = 0; k < g->nparams; k++)
		n *= g->params[k].nvalues;
	return n;
}

size_t
camp_grid_index(const struct camp_grid *g, size_t p, size_t k)
{
	size_t stride = 1;

	for (size_t j = g->nparams; j-- > k + 1; )
		stride *= g->params[j].nvalues;
	return (p / stride) % g->params[k].nvalues;
}

const char *
camp_grid_value(const struct camp_grid *g, size_t p, size_t k)
{
	return g->params[k].values[camp_grid_index(g, p, k)];
}

char *
camp_grid_label(const struct camp_grid *g, size_t p)
{
	char *s = xstrdup(g->nparams ? "" : "all runs");

	for (size_t k = 0; k < g->nparams; k++) {
		char *t = xasprintf("%s%s%s=%s", s, k ? " " : "", g->params[k].name,
				    camp_grid_value(g, p, k));

		free(s);
		s = t;
	}
	return s;
}

void
camp_grid_free(struct camp_grid *g)
{
	for (size_t k = 0; k < g->nparams; k++) {
		for (size_t j = 0; j < g->params[k].nvalues; j++)
			free(g->params[k].values[j]);
		free(g->params[k].values);
		free(g->params[k].name);
	}
	free(g->params);
	g->params = NULL;
	g->nparams = 0;
}

/* --- the definition --- */

size_t
camp_total(const struct camp_def *d)
{
	return (size_t)d->runs * camp_grid_points(&d->grid);
}

size_t
camp_point_of(const struct camp_def *d, size_t run)
{
	return run % camp_grid_points(&d->grid);
}

unsigned
camp_rep_of(const struct camp_def *d, size_t run)
{
	return (unsigned)(run / camp_grid_points(&d->grid));
}

uint64_t
camp_run_seed(const struct camp_def *d, size_t run)
{
	return camp_seed(d->seed, camp_rep_of(d, run));
}

char *
camp_run_dir(const struct camp_def *d, size_t run)
{
	int width = 4;

	for (size_t n = camp_total(d); n > 10000; n /= 10)
		width++;
	return xasprintf("runs/%0*zu", width, run);
}

static json_t *
def_json(const struct camp_def *d)
{
	json_t *o = json_object(), *params = json_object();

	json_object_set_new(o, "campaign_format", json_integer(1));
	json_object_set_new(o, "scenario", json_string(d->scenario));
	json_object_set_new(o, "seed", json_integer((json_int_t)d->seed));
	json_object_set_new(o, "runs", json_integer(d->runs));
	json_object_set_new(o, "timeout_s", json_real(d->timeout_s));
	json_object_set_new(o, "capture", json_boolean(d->capture));
	for (size_t k = 0; k < d->grid.nparams; k++) {
		json_t *vals = json_array();

		for (size_t j = 0; j < d->grid.params[k].nvalues; j++)
			json_array_append_new(vals, json_string(d->grid.params[k].values[j]));
		json_object_set_new(params, d->grid.params[k].name, vals);
	}
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "points", json_integer((json_int_t)camp_grid_points(&d->grid)));
	json_object_set_new(o, "total_runs", json_integer((json_int_t)camp_total(d)));
	return o;
}

char *
camp_def_dump(const struct camp_def *d)
{
	json_t *o = def_json(d);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *t = xasprintf("%s\n", s);

	free(s);
	json_decref(o);
	return t;
}

/* The -D options as a command line would spell them, for messages. */
static char *
params_text(json_t *params)
{
	char *s = xstrdup("");
	const char *name;
	json_t *vals;

	json_object_foreach(params, name, vals) {
		char *t = xasprintf("%s%s-D %s=", s, *s ? " " : "", name), *u;
		size_t i;
		json_t *v;

		json_array_foreach(vals, i, v) {
			u = xasprintf("%s%s%s", t, i ? "," : "", json_string_value(v));
			free(t);
			t = u;
		}
		free(s);
		s = t;
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("no -D");
	}
	return s;
}

int
camp_def_match(struct camp_def *d, const char *stored, char *err, size_t errlen)
{
	json_t *o = json_loads(stored, 0, NULL), *mine;
	json_t *seed;
	int rc = -1;

	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "its campaign.json is unreadable");
		json_decref(o);
		return -1;
	}
	seed = json_object_get(o, "seed");
	if (!json_is_integer(seed) || json_integer_value(seed) < 0) {
		snprintf(err, errlen, "its campaign.json has no seed");
		goto out;
	}
	if (!d->has_seed)
		d->seed = (uint64_t)json_integer_value(seed);
	mine = def_json(d);
	if (!json_equal(json_object_get(o, "scenario"), json_object_get(mine, "scenario")))
		snprintf(err, errlen, "it ran scenario %s, not %s",
			 json_string_value(json_object_get(o, "scenario")), d->scenario);
	else if (!json_equal(json_object_get(o, "params"), json_object_get(mine, "params"))) {
		char *a = params_text(json_object_get(o, "params"));
		char *b = params_text(json_object_get(mine, "params"));

		snprintf(err, errlen, "it ran with %s, not %s", a, b);
		free(a);
		free(b);
	} else if (!json_equal(json_object_get(o, "runs"), json_object_get(mine, "runs")))
		snprintf(err, errlen, "it ran --runs %lld, not %u",
			 (long long)json_integer_value(json_object_get(o, "runs")), d->runs);
	else if (!json_equal(seed, json_object_get(mine, "seed")))
		snprintf(err, errlen, "it ran --seed %lld, not %llu",
			 (long long)json_integer_value(seed), (unsigned long long)d->seed);
	else if (json_number_value(json_object_get(o, "timeout_s")) != d->timeout_s)
		snprintf(err, errlen, "it ran --timeout %g, not %g",
			 json_number_value(json_object_get(o, "timeout_s")), d->timeout_s);
	else if (!json_equal(json_object_get(o, "capture"), json_object_get(mine, "capture")))
		snprintf(err, errlen, "it ran %s, not %s",
			 json_is_true(json_object_get(o, "capture")) ? "with captures" : "--no-capture",
			 d->capture ? "with captures" : "--no-capture");
	else
		rc = 0;
	json_decref(mine);
out:
	json_decref(o);
	return rc;
}

void
camp_def_free(struct camp_def *d)
{
	free(d->scenario);
	d->scenario = NULL;
	camp_grid_free(&d->grid);
}

/* --- run reports --- */

void
camp_result_clear(struct camp_result *r)
{
	free(r->outcome);
	free(r->verdict);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

int
camp_read_report(const char *path, struct camp_result *r)
{
	json_t *o, *err;
	const char *outcome, *verdict;

	if (access(path, F_OK) < 0)
		return 0;
	o = json_load_file(path, 0, NULL);
	outcome = json_string_value(json_object_get(o, "outcome"));
	verdict = json_string_value(json_object_get(o, "verdict"));
	if (outcome == NULL || verdict == NULL || strcmp(outcome, "interrupted") == 0) {
		json_decref(o);
		return -1;
	}
	camp_result_clear(r);
	r->state = CAMP_DONE;
	r->outcome = xstrdup(outcome);
	r->verdict = xstrdup(verdict);
	err = json_object_get(o, "error");
	r->error = json_is_string(err) ? xstrdup(json_string_value(err)) : NULL;
	r->duration_s = json_number_value(json_object_get(o, "duration_s"));
	r->exit_status = (int)json_integer_value(json_object_get(o, "exit_status"));
	json_decref(o);
	return 1;
}

/* --- tallies --- */

static const char *const known_classes[] = {
	"passed", "check_failed", "node_crashed", "timeout", "error", "crashed_controller",
	"environment", "interrupted", NULL,
};

static int
class_rank(const char *c)
{
	for (int i = 0; known_classes[i]; i++)
		if (strcmp(known_classes[i], c) == 0)
			return i;
	return -1;
}

static int
class_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = class_rank(x), ry = class_rank(y);

	if (rx >= 0 && ry >= 0)
		return rx - ry;
	if (rx >= 0 || ry >= 0)
		return rx >= 0 ? -1 : 1;
	return strcmp(x, y);
}

static size_t
class_index(const struct camp_tally *t, const char *c)
{
	for (size_t i = 0; i < t->nclasses; i++)
		if (strcmp(t->classes[i], c) == 0)
			return i;
	return (size_t)-1;
}

void
camp_tally(const struct camp_def *d, const struct camp_result *res, struct camp_tally *t)
{
	size_t total = camp_total(d);

	memset(t, 0, sizeof(*t));
	t->npoints = camp_grid_points(&d->grid);
	for (size_t i = 0; i < total; i++) {
		if (res[i].state != CAMP_DONE || class_index(t, res[i].outcome) != (size_t)-1)
			continue;
		t->classes = realloc(t->classes, (t->nclasses + 1) * sizeof(char *));
		if (t->classes == NULL)
			abort();
		t->classes[t->nclasses++] = xstrdup(res[i].outcome);
	}
	if (t->nclasses > 1)
		qsort(t->classes, t->nclasses, sizeof(char *), class_cmp);
	t->count = xcalloc(t->npoints * (t->nclasses ? t->nclasses : 1), sizeof(size_t));
	for (size_t i = 0; i < total; i++) {
		if (res[i].state != CAMP_DONE)
			continue;
		t->count[camp_point_of(d, i) * t->nclasses + class_index(t, res[i].outcome)]++;
		t->done++;
	}
}

size_t
camp_tally_get(const struct camp_tally *t, size_t point, size_t cls)
{
	return t->count[point * t->nclasses + cls];
}

void
camp_tally_free(struct camp_tally *t)
{
	for (size_t i = 0; i < t->nclasses; i++)
		free(t->classes[i]);
	free(t->classes);
	free(t->count);
	memset(t, 0, sizeof(*t));
}

/* --- results.csv and results.json --- */

void
camp_csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ' && (*s == '\0' || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int
camp_write_csv(FILE *f, const struct camp_def *d, const struct camp_result *res)
{
	size_t total = camp_total(d);

	fputs("run,seed", f);
	for (size_t k = 0; k < d->grid.nparams; k++) {
		fputc(',', f);
		camp_csv_field(f, d->grid.params[k].name);
	}
	fputs(",outcome,verdict,duration_s,error\n", f);
	for (size_t i = 0; i < total; i++) {
		const struct camp_result *r = &res[i];

		if (r->state != CAMP_DONE)
			continue;
		fprintf(f, "%zu,%llu", i, (unsigned long long)camp_run_seed(d, i));
		for (size_t k = 0; k < d->grid.nparams; k++) {
			fputc(',', f);
			camp_csv_field(f, camp_grid_value(&d->grid, camp_point_of(d, i), k));
		}
		fputc(',', f);
		camp_csv_field(f, r->outcome);
		fputc(',', f);
		camp_csv_field(f, r->verdict ? r->verdict : "");
		fprintf(f, ",%.3f,", r->duration_s);
		camp_csv_field(f, r->error ? r->error : "");
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

static json_t *
counts_json(const struct camp_tally *t, const size_t *counts)
{
	json_t *o = json_object();

	for (size_t c = 0; c < t->nclasses; c++)
		if (counts[c])
			json_object_set_new(o, t->classes[c], json_integer((json_int_t)counts[c]));
	return o;
}

int
camp_write_json(const char *path, const struct camp_def *d, const struct camp_result *res,
		const struct camp_tally *t)
{
	json_t *o = json_object(), *runs = json_array(), *points = json_array();
	size_t total = camp_total(d), *sum = xcalloc(t->nclasses + 1, sizeof(size_t));
	char *text;
	int rc;

	json_object_set_new(o, "campaign", def_json(d));
	json_object_set_new(o, "done", json_integer((json_int_t)t->done));
	for (size_t i = 0; i < total; i++) {
		const struct camp_result *r = &res[i];
		json_t *run, *params = json_object();
		char *dir;

		if (r->state != CAMP_DONE)
			continue;
		run = json_object();
		dir = camp_run_dir(d, i);
		json_object_set_new(run, "run", json_integer((json_int_t)i));
		json_object_set_new(run, "seed", json_integer((json_int_t)camp_run_seed(d, i)));
		for (size_t k = 0; k < d->grid.nparams; k++)
			json_object_set_new(params, d->grid.params[k].name,
					    json_string(camp_grid_value(&d->grid, camp_point_of(d, i), k)));
		json_object_set_new(run, "params", params);
		json_object_set_new(run, "outcome", json_string(r->outcome));
		json_object_set_new(run, "verdict", r->verdict ? json_string(r->verdict) : json_null());
		json_object_set_new(run, "duration_s", json_real(r->duration_s));
		json_object_set_new(run, "error", r->error ? json_string(r->error) : json_null());
		json_object_set_new(run, "report", json_sprintf("%s/report.json", dir));
		json_array_append_new(runs, run);
		free(dir);
	}
	for (size_t p = 0; p < t->npoints; p++) {
		json_t *pt = json_object(), *params = json_object();

		for (size_t k = 0; k < d->grid.nparams; k++)
			json_object_set_new(params, d->grid.params[k].name,
					    json_string(camp_grid_value(&d->grid, p, k)));
		json_object_set_new(pt, "params", params);
		json_object_set_new(pt, "outcomes", counts_json(t, &t->count[p * t->nclasses]));
		json_array_append_new(points, pt);
		for (size_t c = 0; c < t->nclasses; c++)
			sum[c] += camp_tally_get(t, p, c);
	}
	json_object_set_new(o, "outcomes", counts_json(t, sum));
	json_object_set_new(o, "points", points);
	json_object_set_new(o, "runs", runs);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	free(sum);
	rc = text ? write_file_atomic(path, text, strlen(text)) : -1;
	free(text);
	return rc;
}

/* --- the summary table --- */

static void
summary_row(FILE *f, const char *label, int lw, const struct camp_tally *t, const size_t *counts)
{
	size_t n = 0;

	for (size_t c = 0; c < t->nclasses; c++)
		n += counts[c];
	fprintf(f, "  %-*s %6zu", lw, label, n);
	for (size_t c = 0; c < t->nclasses; c++) {
		int cw = (int)strlen(t->classes[c]) > 13 ? (int)strlen(t->classes[c]) : 13;
		char cell[48];

		snprintf(cell, sizeof(cell), "%zu (%.0f%%)", counts[c], n ? 100.0 * counts[c] / n : 0.0);
		fprintf(f, "  %*s", cw, cell);
	}
	fputc('\n', f);
}

void
camp_print_summary(FILE *f, const struct camp_def *d, const struct camp_tally *t)
{
	size_t *counts = xcalloc(t->nclasses + 1, sizeof(size_t));
	int lw = 8;

	for (size_t k = 0; k < d->grid.nparams; k++)
		for (size_t j = 0; j < d->grid.params[k].nvalues; j++) {
			int w = (int)(strlen(d->grid.params[k].name) + 1 +
				      strlen(d->grid.params[k].values[j]));

			if (w > lw)
				lw = w;
		}
	if (lw > 40)
		lw = 40;
	fprintf(f, "  %-*s %6s", lw, "", "runs");
	for (size_t c = 0; c < t->nclasses; c++)
		fprintf(f, "  %*s", (int)strlen(t->classes[c]) > 13 ? (int)strlen(t->classes[c]) : 13,
			t->classes[c]);
	fputc('\n', f);
	for (size_t p = 0; p < t->npoints; p++)
		for (size_t c = 0; c < t->nclasses; c++)
			counts[c] += camp_tally_get(t, p, c);
	summary_row(f, "all", lw, t, counts);
	for (size_t k = 0; k < d->grid.nparams; k++)
		for (size_t j = 0; j < d->grid.params[k].nvalues; j++) {
			char *label = xasprintf("%s=%s", d->grid.params[k].name,
						d->grid.params[k].values[j]);

			memset(counts, 0, (t->nclasses + 1) * sizeof(size_t));
			for (size_t p = 0; p < t->npoints; p++)
				if (camp_grid_index(&d->grid, p, k) == j)
					for (size_t c = 0; c < t->nclasses; c++)
						counts[c] += camp_tally_get(t, p, c);
			summary_row(f, label, lw, t, counts);
			free(label);
		}
	free(counts);
}

/* --- outcomes.svg and index.html --- */

/*
 * The picture is written as SVG text directly rather than through
 * Graphviz or a plotting library: stacked bars are a few rectangles and
 * labels, Graphviz lays out graphs, not charts, and a charting library
 * would be a new dependency for a hundred lines of output.
 */

static void
xml_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			fputc(*p < 0x20 ? '?' : *p, f);
		}
	}
}

static const char *
class_color(const char *c, size_t i)
{
	static const char *const known[] = {
		"#4caf50", "#ff9800", "#e53935", "#8e24aa", "#757575", "#212121", "#795548", "#bdbdbd",
	};
	static const char *const other[] = {
		"#1e88e5", "#fdd835", "#00acc1", "#d81b60", "#7cb342", "#5e35b1", "#f4511e", "#3949ab",
	};
	int r = class_rank(c);

	return r >= 0 ? known[r] : other[i % (sizeof(other) / sizeof(other[0]))];
}

void
camp_write_svg(FILE *f, const struct camp_def *d, const struct camp_tally *t)
{
	const int left = 200, barw = 480, barh = 24, gap = 10, top = 44;
	const int width = left + barw + 90;
	int legend_y = top + (int)t->npoints * (barh + gap) + 16;
	int height = legend_y + (int)(t->nclasses ? t->nclasses : 1) * 20 + 16;
	size_t *sum = xcalloc(t->nclasses + 1, sizeof(size_t));
	char *name = xstrdup(d->scenario), *b = strrchr(name, '/');

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		width, height, width, height);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Outcomes of ");
	xml_text(f, d->scenario);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"38\" fill=\"#555\">%zu runs of %zu, seed %llu"
		"</text>\n", 10, t->done, camp_total(d), (unsigned long long)d->seed);
	for (size_t p = 0; p < t->npoints; p++) {
		int y = top + (int)p * (barh + gap);
		char *label = camp_grid_label(&d->grid, p);
		size_t n = 0;
		double x = left;

		for (size_t c = 0; c < t->nclasses; c++)
			n += camp_tally_get(t, p, c);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + barh / 2 + 4);
		xml_text(f, label);
		fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f2f2f2\" "
			"stroke=\"#ccc\"/>\n", left, y, barw, barh);
		for (size_t c = 0; n && c < t->nclasses; c++) {
			size_t k = camp_tally_get(t, p, c);
			double w = (double)barw * (double)k / (double)n;

			sum[c] += k;
			if (k == 0)
				continue;
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
				"<title>", x, y, w, barh, class_color(t->classes[c], c));
			xml_text(f, label);
			fprintf(f, ": ");
			xml_text(f, t->classes[c]);
			fprintf(f, " %zu of %zu (%.1f%%)</title></rect>\n", k, n, 100.0 * k / n);
			if (w >= 36)
				fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">"
					"%.0f%%</text>\n", x + w / 2, y + barh / 2 + 4,
					class_rank(t->classes[c]) == 5 ? "white" : "black", 100.0 * k / n);
			x += w;
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555\">n=%zu</text>\n", left + barw + 8,
			y + barh / 2 + 4, n);
		free(label);
	}
	for (size_t c = 0; c < t->nclasses; c++) {
		int y = legend_y + (int)c * 20;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\" "
			"stroke=\"#888\"/>\n<text x=\"%d\" y=\"%d\">", left, y,
			class_color(t->classes[c], c), left + 20, y + 12);
		xml_text(f, t->classes[c]);
		fprintf(f, ": %zu (%.1f%%)</text>\n", sum[c], t->done ? 100.0 * sum[c] / t->done : 0.0);
	}
	if (t->nclasses == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\">no run finished yet</text>\n", left, legend_y + 12);
	fprintf(f, "</svg>\n");
	(void)b;
	free(name);
	free(sum);
}

int
camp_write_html(const char *path, const struct camp_def *d, const struct camp_tally *t,
		const char *svg_text)
{
	char *tmp = xasprintf("%s.tmp", path), *table = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&table, &tlen), *f;
	const char *svg = strstr(svg_text, "<svg");
	int rc = 0;

	camp_print_summary(mem, d, t);
	fclose(mem);
	f = fopen(tmp, "w");
	if (f == NULL) {
		free(table);
		free(tmp);
		return -1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Campaign: ");
	xml_text(f, d->scenario);
	fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:2em}"
		"pre{background:#f6f6f6;padding:1em}td,th{padding:2px 8px;text-align:left}"
		"</style></head><body>\n<h1>Campaign: ");
	xml_text(f, d->scenario);
	fprintf(f, "</h1>\n<p>%zu of %zu runs done (%u per point, %zu points), seed %llu. "
		"Every run's folder is <code>runs/NNNN/</code>; all rows are in "
		"<a href=\"results.csv\">results.csv</a> and "
		"<a href=\"results.json\">results.json</a>.</p>\n",
		t->done, camp_total(d), d->runs, t->npoints, (unsigned long long)d->seed);
	fputs(svg ? svg : "", f);
	fprintf(f, "<h2>Outcomes</h2>\n<pre>");
	xml_text(f, table);
	fprintf(f, "</pre>\n</body></html>\n");
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		rc = -1;
	}
	free(table);
	free(tmp);
	return rc;
}

/* --- the scheduler --- */

/* How long past its own time limit a run may take to stop before we
 * kill it: teardown of a stuck lab takes a few seconds at most. */
#define CAMP_GRACE_S 30.0

struct slot {
	pid_t pid;
	size_t run;
	int64_t started;
	struct loop_timer *watchdog;
	int killed;         /* by us: its report does not count */
	int overran;        /* killed by the watchdog */
	struct sched *s;
};

struct sched {
	const struct camp_def *d;
	struct camp_result *res;
	const struct camp_opts *o;
	struct loop *loop;
	struct slot *slots;
	size_t running, next, total, done_now, done_before, ndone;
	int64_t t0;
	int stopping;          /* 1: drain; 2: terminate the running */
	int status;
	char *why;
	sigset_t oldmask;
	struct loop_timer *ticker;
	int progress_shown;
};

static void
progress(struct sched *s, FILE *f, int final)
{
	double el = (double)(loop_now() - s->t0) / LOOP_NS_PER_S;
	double rate = el > 0 ? s->done_now / el : 0;
	size_t left = s->total - s->ndone;
	struct camp_tally t;
	char eta[32] = "?";

	if (rate > 0)
		snprintf(eta, sizeof(eta), "%.0f s", left / rate);
	camp_tally(s->d, s->res, &t);
	fprintf(f, "%s%zu/%zu runs, %.1f runs/s (%.0f/h), ETA %s", s->o->tty ? "\r\033[K" : "",
		s->ndone, s->total, rate, rate * 3600, left ? eta : "0 s");
	for (size_t c = 0; c < t.nclasses; c++) {
		size_t n = 0;

		for (size_t p = 0; p < t.npoints; p++)
			n += camp_tally_get(&t, p, c);
		fprintf(f, "%s %s %zu", c ? "," : " |", t.classes[c], n);
	}
	if (!s->o->tty || final)
		fputc('\n', f);
	fflush(f);
	s->progress_shown = s->o->tty && !final;
	camp_tally_free(&t);
}

static int64_t
tick(struct loop_timer *t, void *arg)
{
	struct sched *s = arg;

	(void)t;
	progress(s, s->o->progress, 0);
	return LOOP_NS_PER_S;
}

static int64_t
overrun(struct loop_timer *t, void *arg)
{
	struct slot *sl = arg;

	(void)t;
	sl->watchdog = NULL;
	sl->overran = 1;
	kill(-sl->pid, SIGKILL);
	return LOOP_TIMER_DONE;
}

static void launch_more(struct sched *s);

static void
set_why(struct sched *s, int status, char *why)
{
	if (s->why == NULL) {
		s->why = why;
		s->status = status;
	} else
		free(why);
}

static void
child_done(pid_t pid, int wstatus, void *arg)
{
	struct slot *sl = arg;
	struct sched *s = sl->s;
	struct camp_result *r = &s->res[sl->run];
	char *dir = camp_run_dir(s->d, sl->run);
	char *full = xasprintf("%s/%s", s->o->outdir, dir);
	char *rep = xasprintf("%s/report.json", full);
	int got;

	(void)pid;
	if (sl->watchdog)
		loop_timer_cancel(s->loop, sl->watchdog);
	/* Whatever the run left behind of its own children. */
	kill(-sl->pid, SIGKILL);
	sl->pid = 0;
	s->running--;
	got = camp_read_report(rep, r);
	if (sl->killed) {
		/* Stopped by us: it will be run again by the next campaign. */
		rm_rf(full);
		camp_result_clear(r);
	} else if (got == 1 && r->exit_status == UMLAB_EXIT_ENV) {
		set_why(s, UMLAB_EXIT_ENV, xasprintf("run %zu: %s", sl->run,
						      r->error ? r->error : "the environment is not fit"));
		rm_rf(full);
		camp_result_clear(r);
		s->stopping = s->stopping ? s->stopping : 1;
	} else {
		if (got != 1) {
			char *log = xasprintf("%s/logs/%zu.log", s->o->outdir, sl->run);
			char *tail = file_tail(log, 1);
			size_t n = strlen(tail);

			while (n && tail[n - 1] == '\n')
				tail[--n] = '\0';
			camp_result_clear(r);
			r->state = CAMP_DONE;
			r->outcome = xstrdup("crashed_controller");
			if (sl->overran)
				r->error = xasprintf("killed: still running %.0f s past its time limit",
						     CAMP_GRACE_S);
			else if (WIFSIGNALED(wstatus))
				r->error = xasprintf("umlab run died of signal %d without a report%s%s",
						     WTERMSIG(wstatus), *tail ? ": " : "", tail);
			else
				r->error = xasprintf("umlab run exited %d without a report%s%s",
						     WEXITSTATUS(wstatus), *tail ? ": " : "", tail);
			r->exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
			r->duration_s = (double)(loop_now() - sl->started) / LOOP_NS_PER_S;
			free(tail);
			free(log);
		}
		s->done_now++;
		s->ndone++;
		if (!s->o->tty) {
			char *label = camp_grid_label(&s->d->grid, camp_point_of(s->d, sl->run));
			size_t every = s->total / 10 ? s->total / 10 : 1;

			fprintf(s->o->progress, "[%zu/%zu] run %zu (%s, seed %llu): %s (%.2f s)\n",
				s->ndone, s->total, sl->run, label,
				(unsigned long long)camp_run_seed(s->d, sl->run), r->outcome,
				r->duration_s);
			free(label);
			if (s->ndone % every == 0 || s->ndone == s->total)
				progress(s, s->o->progress, 0);
		} else
			progress(s, s->o->progress, 0);
	}
	free(rep);
	free(full);
	free(dir);
	launch_more(s);
}

static int
spawn(struct sched *s, struct slot *sl, size_t run)
{
	const struct camp_def *d = s->d;
	char *dir = camp_run_dir(d, run), *full = xasprintf("%s/%s", s->o->outdir, dir);
	char *log = xasprintf("%s/logs/%zu.log", s->o->outdir, run);
	char seed[32], timeout[32];
	const char **argv = xcalloc(16 + 2 * d->grid.nparams, sizeof(char *));
	char **defs = xcalloc(d->grid.nparams + 1, sizeof(char *));
	size_t a = 0, point = camp_point_of(d, run);
	pid_t pid;

	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)camp_run_seed(d, run));
	snprintf(timeout, sizeof(timeout), "%g", d->timeout_s);
	argv[a++] = "umlab";
	argv[a++] = "run";
	argv[a++] = "--quiet";
	argv[a++] = "-o";
	argv[a++] = full;
	argv[a++] = "--seed";
	argv[a++] = seed;
	if (d->timeout_s > 0) {
		argv[a++] = "--timeout";
		argv[a++] = timeout;
	}
	if (!d->capture)
		argv[a++] = "--no-capture";
	for (size_t k = 0; k < d->grid.nparams; k++) {
		defs[k] = xasprintf("%s=%s", d->grid.params[k].name, camp_grid_value(&d->grid, point, k));
		argv[a++] = "-D";
		argv[a++] = defs[k];
	}
	argv[a++] = "--";
	argv[a++] = d->scenario;
	rm_rf(full);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int nul = open("/dev/null", O_RDONLY);

		/* Its own process group: a ^C at the terminal reaches only the
		 * campaign, which decides what the runs get. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
		if (nul >= 0)
			dup2(nul, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(s->o->exe, (char **)argv);
		fprintf(stderr, "umlab campaign: cannot run %s: %s\n", s->o->exe, strerror(errno));
		_exit(127);
	}
	for (size_t k = 0; k < d->grid.nparams; k++)
		free(defs[k]);
	free(defs);
	free(argv);
	free(log);
	free(full);
	free(dir);
	if (pid < 0)
		return -1;
	setpgid(pid, pid);   /* both sides, so that a kill(-pid) never misses */
	sl->pid = pid;
	sl->run = run;
	sl->killed = sl->overran = 0;
	sl->started = loop_now();
	sl->s = s;
	if (loop_add_child(s->loop, pid, child_done, sl) < 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		sl->pid = 0;
		return -1;
	}
	sl->watchdog = loop_timer_add(s->loop, (int64_t)(((d->timeout_s > 0 ? d->timeout_s : 600) +
							   CAMP_GRACE_S) * LOOP_NS_PER_S),
				      overrun, sl);
	s->res[run].state = CAMP_RUNNING;
	s->running++;
	return 0;
}

static void
launch_more(struct sched *s)
{
	while (!s->stopping && s->running < s->o->jobs) {
		struct slot *sl = NULL;

		while (s->next < s->total && s->res[s->next].state != CAMP_TODO)
			s->next++;
		if (s->next >= s->total)
			break;
		for (unsigned j = 0; j < s->o->jobs; j++)
			if (s->slots[j].pid == 0) {
				sl = &s->slots[j];
				break;
			}
		if (spawn(s, sl, s->next) < 0) {
			set_why(s, UMLAB_EXIT_FAILED, xasprintf("cannot start run %zu: %s", s->next,
								strerror(errno)));
			s->stopping = 1;
			break;
		}
		s->next++;
	}
	if (s->running == 0)
		loop_break(s->loop);
}

static void
terminate_running(struct sched *s)
{
	for (unsigned j = 0; j < s->o->jobs; j++)
		if (s->slots[j].pid > 0) {
			s->slots[j].killed = 1;
			/* umlab run tears its lab down on SIGTERM. */
			kill(s->slots[j].pid, SIGTERM);
		}
}

static void
on_signal(int fd, uint32_t events, void *arg)
{
	struct sched *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (s->progress_shown)
			fputc('\n', s->o->progress);
		s->progress_shown = 0;
		if (si.ssi_signo == SIGINT && s->stopping == 0) {
			s->stopping = 1;
			fprintf(s->o->progress, "umlab campaign: interrupted; waiting for %zu running "
				"run%s to end (^C again stops %s)\n", s->running,
				s->running == 1 ? "" : "s", s->running == 1 ? "it" : "them");
		} else if (s->stopping < 2) {
			s->stopping = 2;
			fprintf(s->o->progress, "umlab campaign: stopping %zu running run%s\n",
				s->running, s->running == 1 ? "" : "s");
			terminate_running(s);
		}
		set_why(s, UMLAB_EXIT_FAILED, xasprintf("interrupted by %s", strsignal((int)si.ssi_signo)));
	}
	if (s->running == 0)
		loop_break(s->loop);
}

int
camp_run(const struct camp_def *d, struct camp_result *res, const struct camp_opts *o,
	 char *err, size_t errlen)
{
	struct sched s = { .d = d, .res = res, .o = o, .total = camp_total(d) };
	char *logs = xasprintf("%s/logs", o->outdir);
	sigset_t set;
	int sfd;

	for (size_t i = 0; i < s.total; i++)
		s.ndone += res[i].state == CAMP_DONE;
	s.done_before = s.ndone;
	if (mkdir_p(logs, 0755) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", logs, strerror(errno));
		free(logs);
		return UMLAB_EXIT_FAILED;
	}
	free(logs);
	s.loop = loop_new();
	s.slots = xcalloc(o->jobs, sizeof(*s.slots));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &s.oldmask);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.loop == NULL || sfd < 0 || loop_add_fd(s.loop, sfd, EPOLLIN, on_signal, &s) < 0) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		if (sfd >= 0)
			close(sfd);
		sigprocmask(SIG_SETMASK, &s.oldmask, NULL);
		loop_free(s.loop);
		free(s.slots);
		return UMLAB_EXIT_FAILED;
	}
	s.t0 = loop_now();
	if (o->tty)
		s.ticker = loop_timer_add(s.loop, LOOP_NS_PER_S, tick, &s);
	launch_more(&s);
	if (s.running > 0)
		loop_run(s.loop);
	if (s.ticker)
		loop_timer_cancel(s.loop, s.ticker);
	if (s.progress_shown)
		progress(&s, o->progress, 1);
	loop_del_fd(s.loop, sfd);
	close(sfd);
	loop_free(s.loop);
	sigprocmask(SIG_SETMASK, &s.oldmask, NULL);
	free(s.slots);
	if (s.why == NULL && s.ndone < s.total)
		set_why(&s, UMLAB_EXIT_FAILED, xasprintf("%zu runs were not performed",
							 s.total - s.ndone));
	if (s.why != NULL) {
		snprintf(err, errlen, "%s", s.why);
		free(s.why);
		return s.status;
	}
	return UMLAB_EXIT_OK;
}
