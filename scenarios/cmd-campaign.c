/*
 * cmd-campaign.c - `umlab campaign`: run a scenario many times over a
 * parameter grid and classify the outcomes (the engine is faults/campaign.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/util.h"
#include "faults/campaign.h"
#include "scenarios/cmd.h"

#define MAX_RUNS 1000000u

static int
usage_error(void)
{
	fprintf(stderr, "usage: umlab campaign %s\n", cmd_campaign_entry.args);
	return UMLAB_EXIT_USAGE;
}

/* SCENARIO as a file (a folder means its scenario.lua), made absolute so
 * that campaign.json names it whatever the current folder. */
static char *
resolve_scenario(const char *arg, char *err, size_t errlen)
{
	struct stat st;
	char *file, *real;

	if (stat(arg, &st) < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(errno));
		return NULL;
	}
	file = S_ISDIR(st.st_mode) ? xasprintf("%s/scenario.lua", arg) : xstrdup(arg);
	real = realpath(file, NULL);
	if (real == NULL)
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
	free(file);
	return real;
}

/* A syntax error would fail every run the same way: say it once, now. */
static int
syntax_ok(const char *file, char *err, size_t errlen)
{
	lua_State *L = luaL_newstate();
	int ok;

	if (L == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	ok = luaL_loadfile(L, file) == LUA_OK;
	if (!ok)
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
	lua_close(L);
	return ok;
}

static char *
default_outdir(const char *scenario)
{
	char *dup = xstrdup(scenario), *slash = strrchr(dup, '/'), *name = slash ? slash + 1 : dup;
	char stamp[32], *dir;
	time_t now = time(NULL);
	struct tm tm;

	if (strcmp(name, "scenario.lua") == 0 && slash && slash != dup) {
		*slash = '\0';
		name = strrchr(dup, '/') ? strrchr(dup, '/') + 1 : dup;
	} else if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".lua") == 0)
		name[strlen(name) - 4] = '\0';
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	dir = xasprintf("umlab-out/campaign-%s-%s", name, stamp);
	free(dup);
	return dir;
}

static int
dir_empty_or_absent(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

/* Open DIR for this campaign: a new one (campaign.json written) or the
 * same one again (campaign.json matches).  Returns an exit status. */
static int
open_campaign(struct camp_def *d, const char *dir, int *lockfd)
{
	char *path = xasprintf("%s/campaign.json", dir), *lock = xasprintf("%s/campaign.lock", dir);
	char *stored = read_file(path, 1 << 20, NULL), err[1024];
	int rc = UMLAB_EXIT_OK;

	if (stored == NULL && !dir_empty_or_absent(dir)) {
		fprintf(stderr, "umlab campaign: %s is not empty and holds no campaign; choose "
			"another -o\n", dir);
		rc = UMLAB_EXIT_USAGE;
	} else if (stored != NULL && camp_def_match(d, stored, err, sizeof(err)) < 0) {
		fprintf(stderr, "umlab campaign: %s holds another campaign: %s.\n"
			"  Resume it with its own parameters (see %s), or choose another -o.\n",
			dir, err, path);
		rc = UMLAB_EXIT_USAGE;
	} else if (mkdir_p(dir, 0755) < 0) {
		fprintf(stderr, "umlab campaign: cannot create %s: %s\n", dir, strerror(errno));
		rc = UMLAB_EXIT_FAILED;
	} else if ((*lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
		   flock(*lockfd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "umlab campaign: %s: %s\n", dir, errno == EWOULDBLOCK ?
			"another umlab campaign is running there" : strerror(errno));
		rc = errno == EWOULDBLOCK ? UMLAB_EXIT_USAGE : UMLAB_EXIT_FAILED;
	} else if (stored == NULL) {
		char *text = camp_def_dump(d);

		if (write_file_atomic(path, text, strlen(text)) < 0) {
			fprintf(stderr, "umlab campaign: cannot write %s: %s\n", path, strerror(errno));
			rc = UMLAB_EXIT_FAILED;
		}
		free(text);
	}
	free(stored);
	free(lock);
	free(path);
	return rc;
}

/* Which runs are done: a complete report.json each.  Anything else a
 * run left (a torn or interrupted report) is removed for a fresh start. */
static size_t
scan_runs(const struct camp_def *d, const char *dir, struct camp_result *res)
{
	size_t total = camp_total(d), done = 0;

	for (size_t i = 0; i < total; i++) {
		char *run = camp_run_dir(d, i), *full = xasprintf("%s/%s", dir, run);
		char *rep = xasprintf("%s/report.json", full);
		int got = camp_read_report(rep, &res[i]);

		if (got == 1)
			done++;
		else
			rm_rf(full);
		free(rep);
		free(full);
		free(run);
	}
	return done;
}

static int
write_outputs(const struct camp_def *d, const char *dir, const struct camp_result *res)
{
	char *csv = xasprintf("%s/results.csv", dir), *json = xasprintf("%s/results.json", dir);
	char *svg = xasprintf("%s/outcomes.svg", dir), *html = xasprintf("%s/index.html", dir);
	char *svgtext = NULL, *tmp = xasprintf("%s.tmp", csv);
	size_t svglen = 0;
	struct camp_tally t;
	FILE *f, *mem;
	int rc = 0;

	camp_tally(d, res, &t);
	f = fopen(tmp, "w");
	if (f == NULL || camp_write_csv(f, d, res) < 0 || fclose(f) != 0 || rename(tmp, csv) < 0)
		rc = -1;
	if (camp_write_json(json, d, res, &t) < 0)
		rc = -1;
	mem = open_memstream(&svgtext, &svglen);
	camp_write_svg(mem, d, &t);
	fclose(mem);
	if (write_file_atomic(svg, svgtext, svglen) < 0 || camp_write_html(html, d, &t, svgtext) < 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "umlab campaign: cannot write the results in %s: %s\n", dir,
			strerror(errno));
	printf("umlab: campaign %s: %zu of %zu runs done\n", d->scenario, t.done, camp_total(d));
	camp_print_summary(stdout, d, &t);
	printf("  results   %s (and results.json)\n  picture   %s\n  page      %s\n"
	       "  runs      %s/runs/NNNN/ (logs in %s/logs/)\n", csv, svg, html, dir, dir);
	fflush(stdout);
	camp_tally_free(&t);
	free(svgtext);
	free(tmp);
	free(html);
	free(svg);
	free(json);
	free(csv);
	return rc;
}

static unsigned
default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n >= 4 ? (unsigned)(n / 2) : 1;
}

static int
parse_count(const char *opt, const char *arg, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg == '\0' || *arg == '-' || *end != '\0' || errno || v == 0 || v > max) {
		fprintf(stderr, "umlab campaign: bad %s '%s' (a number from 1 to %u)\n", opt, arg, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int
cmd_campaign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 's' },
		{ "define", required_argument, NULL, 'D' },
		{ "output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-capture", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct camp_def d = { .capture = 1 };
	struct camp_opts o = { .jobs = default_jobs(), .exe = "/proc/self/exe",
			       .progress = stderr };
	struct camp_result *res = NULL;
	char err[1024], *end, *outdir = NULL;
	int c, rc, lockfd = -1;
	size_t done;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:j:s:D:o:t:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_count("--runs", optarg, MAX_RUNS, &d.runs) < 0)
				goto bad;
			break;
		case 'j':
			if (parse_count("--jobs", optarg, 256, &o.jobs) < 0)
				goto bad;
			break;
		case 's':
			errno = 0;
			d.seed = strtoull(optarg, &end, 0);
			if (*optarg == '\0' || *optarg == '-' || *end != '\0' || errno ||
			    d.seed > (uint64_t)INT64_MAX) {
				fprintf(stderr, "umlab campaign: bad --seed '%s' (a number from 0 to "
					"2^63-1)\n", optarg);
				goto bad;
			}
			d.has_seed = 1;
			break;
		case 'D':
			if (camp_grid_add(&d.grid, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "umlab campaign: %s\n", err);
				goto bad;
			}
			break;
		case 'o':
			free(outdir);
			outdir = xstrdup(optarg);
			break;
		case 't':
			d.timeout_s = strtod(optarg, &end);
			if (*end != '\0' || *optarg == '\0' || !(d.timeout_s > 0)) {
				fprintf(stderr, "umlab campaign: bad --timeout '%s' (seconds > 0)\n", optarg);
				goto bad;
			}
			break;
		case 'n':
			d.capture = 0;
			break;
		case 'h':
			cmd_print_help(&cmd_campaign_entry);
			camp_def_free(&d);
			free(outdir);
			return UMLAB_EXIT_OK;
		default:
			usage_error();
			goto bad;
		}
	}
	if (argc - optind != 1) {
		usage_error();
		goto bad;
	}
	if (d.runs == 0) {
		fprintf(stderr, "umlab campaign: --runs N is required (runs at every grid point)\n");
		goto bad;
	}
	if (camp_total(&d) > MAX_RUNS) {
		fprintf(stderr, "umlab campaign: %zu runs is too many (at most %u)\n", camp_total(&d),
			MAX_RUNS);
		goto bad;
	}
	if ((d.scenario = resolve_scenario(argv[optind], err, sizeof(err))) == NULL ||
	    !syntax_ok(d.scenario, err, sizeof(err))) {
		fprintf(stderr, "umlab campaign: %s\n", err);
		goto bad;
	}
	if (!d.has_seed && getrandom(&d.seed, sizeof(d.seed), 0) != (ssize_t)sizeof(d.seed))
		d.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (!d.has_seed)
		d.seed >>= 1;
	if (outdir == NULL)
		outdir = default_outdir(d.scenario);
	rc = open_campaign(&d, outdir, &lockfd);
	if (rc != UMLAB_EXIT_OK)
		goto out;
	res = xcalloc(camp_total(&d), sizeof(*res));
	done = scan_runs(&d, outdir, res);
	o.outdir = outdir;
	o.tty = isatty(STDERR_FILENO);
	fprintf(stderr, "umlab: campaign of %s: %zu runs (%u at each of %zu points), seed %llu, "
		"%u at a time, in %s\n", d.scenario, camp_total(&d), d.runs,
		camp_grid_points(&d.grid), (unsigned long long)d.seed, o.jobs, outdir);
	if (done)
		fprintf(stderr, "umlab: resuming: %zu runs already done, %zu to go\n", done,
			camp_total(&d) - done);
	rc = camp_run(&d, res, &o, err, sizeof(err));
	if (write_outputs(&d, outdir, res) < 0 && rc == UMLAB_EXIT_OK)
		rc = UMLAB_EXIT_FAILED;
	if (rc != UMLAB_EXIT_OK) {
		fprintf(stderr, "umlab campaign: %s\n", err);
		if (rc == UMLAB_EXIT_FAILED)
			fprintf(stderr, "  the same command with -o %s%s resumes it\n", outdir,
				d.has_seed ? "" : " (the seed is kept there)");
	}
	goto out;
bad:
	rc = UMLAB_EXIT_USAGE;
out:
	if (res)
		for (size_t i = 0; i < camp_total(&d); i++)
			camp_result_clear(&res[i]);
	free(res);
	if (lockfd >= 0)
		close(lockfd);
	camp_def_free(&d);
	free(outdir);
	return rc;
}

const struct cmd_entry cmd_campaign_entry = {
	.name = "campaign",
	.args = "--runs N [--jobs J] [--seed S] [-D NAME=V1,V2,...]... [-o DIR] SCENARIO",
	.summary = "run a scenario many times over a parameter grid; count the outcomes",
	.help =
	"Runs SCENARIO N times at every point of a parameter grid (the cartesian\n"
	"product of the -D lists), each run a `umlab run` of its own, and counts\n"
	"the runs' outcomes (report.json's \"outcome\": passed, check_failed,\n"
	"node_crashed, timeout, error, or a class the scenario set with outcome()).\n"
	"\n"
	"  -r, --runs N       runs at every grid point (required)\n"
	"  -j, --jobs J       runs at a time (default: half the CPUs, at least 1)\n"
	"  -s, --seed S       the campaign's seed (default: a new one, recorded);\n"
	"                     repetition r has the r-th splitmix64 output from S, at every point\n"
	"  -D NAME=V1,V2,...  a parameter and its values (params.NAME in the scenario)\n"
	"  -o, --output DIR   the campaign's folder (default: umlab-out/campaign-LAB-TIME/)\n"
	"  -t, --timeout S    each run's time limit (default: umlab run's, 600 s)\n"
	"  -n, --no-capture   no pcap files in the runs\n"
	"\n"
	"Results in DIR: results.csv and results.json (one row per run), outcomes.svg\n"
	"(the outcomes per grid point), index.html (picture and table), runs/NNNN/\n"
	"(each run's own results), logs/N.log (each run's output), campaign.json.\n"
	"A run whose umlab died without a report counts as crashed_controller.\n"
	"\n"
	"Interrupting: ^C stops launching and waits for the running runs (^C again,\n"
	"or SIGTERM, stops them).  The same command with the same -o resumes: done\n"
	"runs are kept, the others run; other parameters are refused.\n"
	"\n"
	"Exit status: 0 the campaign ran (whatever the outcomes); 1 runs could not\n"
	"be performed or it was interrupted; 2 bad input (options, scenario syntax,\n"
	"a folder holding another campaign); 3 the environment is not fit.\n",
	.exec = cmd_campaign,
};
