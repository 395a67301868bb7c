/*
 * campaign.h - many runs of one scenario: seeds, a parameter grid, resume
 * bookkeeping, a scheduler of `umlab run` child processes and the results
 * (results.csv, results.json, outcomes.svg, index.html, a summary table).
 *
 * Run numbering: a campaign of R runs over a grid of P points has R*P
 * runs; run i is repetition i / P at grid point i % P, so that a
 * campaign stopped halfway has covered every point about equally.
 * Repetition r has seed camp_seed(S, r) at every point: the points are
 * compared on the same random draws (common random numbers), which makes
 * their differences due to the parameters, not to luck.
 */
#ifndef UMLAB_CAMPAIGN_H
#define UMLAB_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* splitmix64's output function: a well-mixed 64-bit value of x. */
uint64_t camp_splitmix64(uint64_t x);
/* The seed of repetition rep of a campaign seeded with base: the rep-th
 * output of splitmix64 seeded with base. */
uint64_t camp_seed(uint64_t base, unsigned rep);

struct camp_param {
	char *name;
	char **values;
	size_t nvalues;
};

/* The cartesian product of the -D lists, in the order they were given;
 * the last parameter varies fastest. */
struct camp_grid {
	struct camp_param *params;
	size_t nparams;
};

/* Add "-D name=v1,v2,..." to the grid.  On bad input returns -1 with a
 * message naming the option in err. */
int camp_grid_add(struct camp_grid *g, const char *arg, char *err, size_t errlen);
/* Number of points (1 for an empty grid). */
size_t camp_grid_points(const struct camp_grid *g);
/* The value of parameter k at point p. */
const char *camp_grid_value(const struct camp_grid *g, size_t p, size_t k);
/* The index of parameter k's value at point p. */
size_t camp_grid_index(const struct camp_grid *g, size_t p, size_t k);
/* "loss=0.1 delay=20" (malloc'ed; "all runs" for an empty grid). */
char *camp_grid_label(const struct camp_grid *g, size_t p);
void camp_grid_free(struct camp_grid *g);

/* What defines a campaign: two invocations with the same definition are
 * the same campaign (DIR/campaign.json), whatever --jobs says. */
struct camp_def {
	char *scenario;           /* absolute path of the scenario file */
	uint64_t seed;
	int has_seed;             /* given on the command line */
	unsigned runs;            /* repetitions of every grid point */
	double timeout_s;         /* per run; 0: umlab run's default */
	int capture;              /* pcap in every run */
	struct camp_grid grid;
};

size_t camp_total(const struct camp_def *d);
size_t camp_point_of(const struct camp_def *d, size_t run);
unsigned camp_rep_of(const struct camp_def *d, size_t run);
uint64_t camp_run_seed(const struct camp_def *d, size_t run);
/* "runs/0007" for run 7 (the width grows past 9999 runs); malloc'ed. */
char *camp_run_dir(const struct camp_def *d, size_t run);

/* campaign.json text (malloc'ed). */
char *camp_def_dump(const struct camp_def *d);
/* Compare d with a stored campaign.json text.  When d has no seed of its
 * own it adopts the stored one.  0 if they are the same campaign; -1 with
 * what differs in err. */
int camp_def_match(struct camp_def *d, const char *stored, char *err, size_t errlen);
void camp_def_free(struct camp_def *d);

enum camp_state { CAMP_TODO, CAMP_RUNNING, CAMP_DONE };

struct camp_result {
	enum camp_state state;
	char *outcome;     /* "passed", ..., or the scenario's own class */
	char *verdict;     /* NULL when there is no report */
	char *error;
	double duration_s;
	int exit_status;
};

/* Read a run's report.json into r.  1: complete (r filled); 0: absent;
 * -1: present but unusable (torn, or "interrupted": the run was stopped
 * and must be done again). */
int camp_read_report(const char *path, struct camp_result *r);
void camp_result_clear(struct camp_result *r);

/* Outcome counts: classes in a stable order (passed first, the known
 * classes next, the scenario's own classes by name), count[point][class]. */
struct camp_tally {
	char **classes;
	size_t nclasses;
	size_t npoints;
	size_t *count;     /* npoints * nclasses */
	size_t done;
};

void camp_tally(const struct camp_def *d, const struct camp_result *res, struct camp_tally *t);
size_t camp_tally_get(const struct camp_tally *t, size_t point, size_t cls);
void camp_tally_free(struct camp_tally *t);

/* One CSV field with RFC 4180 quoting (only when needed). */
void camp_csv_field(FILE *f, const char *s);
/* Outputs; each returns 0 or -1 (errno set). */
int camp_write_csv(FILE *f, const struct camp_def *d, const struct camp_result *res);
int camp_write_json(const char *path, const struct camp_def *d, const struct camp_result *res,
		    const struct camp_tally *t);
/* outcomes.svg: one stacked bar per grid point, a legend. */
void camp_write_svg(FILE *f, const struct camp_def *d, const struct camp_tally *t);
int camp_write_html(const char *path, const struct camp_def *d, const struct camp_tally *t,
		    const char *svg_text);
/* The summary table: classes with counts and percentages, overall and per
 * parameter value. */
void camp_print_summary(FILE *f, const struct camp_def *d, const struct camp_tally *t);

/* --- the scheduler --- */

struct camp_opts {
	const char *outdir;
	const char *exe;          /* the umlab binary to run children with */
	unsigned jobs;
	int tty;                  /* a live progress line instead of plain lines */
	FILE *progress;
};

/* Run every run of res that is CAMP_TODO, at most o->jobs at a time, each
 * as `umlab run --quiet -o DIR/runs/NNNN ...`.  SIGINT stops launching and
 * waits for the running ones (a second SIGINT, or SIGTERM, stops them).
 * Returns the campaign's exit status: 0 all runs done, 1 runs could not
 * be performed or the campaign was interrupted, 3 the environment is not
 * fit (a run said so); err says why. */
int camp_run(const struct camp_def *d, struct camp_result *res, const struct camp_opts *o,
	     char *err, size_t errlen);

#endif
