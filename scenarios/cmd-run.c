/*
 * cmd-run.c - `umlab run`: run a scenario headless and leave a report.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/scn.h"

/* --replay DIR: run again with the recorded run's scenario, seed and
 * parameters (from DIR/report.json), then compare the fault schedules. */
static int
load_replay(const char *dir, struct scn_options *o, char **defines, size_t *ndefines,
	    char **scenario)
{
	char *path = xasprintf("%s/report.json", dir);
	json_error_t jerr;
	json_t *r = json_load_file(path, 0, &jerr), *params, *v;
	const char *key, *scn;

	if (r == NULL) {
		fprintf(stderr, "umlab run: --replay: %s:%d: %s\n", path, jerr.line, jerr.text);
		free(path);
		return -1;
	}
	scn = json_string_value(json_object_get(r, "scenario"));
	if (scn == NULL || !json_is_integer(json_object_get(r, "seed"))) {
		fprintf(stderr, "umlab run: --replay: %s has no scenario or seed (not a umlab run "
			"report?)\n", path);
		json_decref(r);
		free(path);
		return -1;
	}
	*scenario = xstrdup(scn);
	o->seed = (unsigned long long)json_integer_value(json_object_get(r, "seed"));
	o->has_seed = 1;
	params = json_object_get(r, "params");
	json_object_foreach(params, key, v) {
		if (json_is_string(v) && *ndefines < 63)
			defines[(*ndefines)++] = xasprintf("%s=%s", key, json_string_value(v));
	}
	o->replay_log = xasprintf("%s/faults.log", dir);
	json_decref(r);
	free(path);
	return 0;
}

/* One word for a POSIX shell, quoted only when it needs it. */
static void
put_word(FILE *f, const char *a)
{
	if (*a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789-_./=:,+@%") == strlen(a)) {
		fputs(a, f);
		return;
	}
	fputc('\'', f);
	for (; *a; a++)
		if (*a == '\'')
			fputs("'\\''", f);
		else
			fputc(*a, f);
	fputc('\'', f);
}

/* The shell command that reproduces this run: the environment that
 * changes it, then umlab and its arguments (caller frees). */
static char *
shell_line(int argc, char **argv)
{
	static const char *const env[] = { "UMLAB_KERNEL", "UMLAB_INIT", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (const char *const *e = env; *e; e++) {
		const char *v = getenv(*e);

		if (v != NULL) {
			fprintf(f, "%s=", *e);
			put_word(f, v);
			fputc(' ', f);
		}
	}
	fputs("umlab", f);
	for (int i = 0; i < argc; i++) {
		fputc(' ', f);
		put_word(f, argv[i]);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-capture", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "define", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "tap", no_argument, NULL, 'T' },
		{ "replay", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scn_options o = { .capture = 1, .kernel = getenv("UMLAB_KERNEL") };
	char *end, *line;
	char **defines = xcalloc((size_t)argc + 64, sizeof(char *));
	const char *replay = NULL;
	char *scenario = NULL;
	size_t ndefines = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:fnqt:D:s:TR:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.outdir = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'n':
			o.capture = 0;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 't':
			o.timeout_s = strtod(optarg, &end);
			if (*end != '\0' || o.timeout_s <= 0) {
				fprintf(stderr, "umlab run: bad --timeout '%s' (seconds > 0)\n", optarg);
				return UMLAB_EXIT_USAGE;
			}
			break;
		case 'D':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr, "umlab run: bad -D '%s' (want name=value)\n", optarg);
				free(defines);
				return UMLAB_EXIT_USAGE;
			}
			defines[ndefines++] = optarg;
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 0);
			if (*end != '\0' || *optarg == '-' || *optarg == '\0') {
				fprintf(stderr, "umlab run: bad --seed '%s' (a number >= 0)\n", optarg);
				free(defines);
				return UMLAB_EXIT_USAGE;
			}
			o.has_seed = 1;
			break;
		case 'T':
			o.tap = 1;
			break;
		case 'R':
			replay = optarg;
			break;
		case 'h':
			cmd_print_help(&cmd_run_entry);
			free(defines);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab run %s\n", cmd_run_entry.args);
			free(defines);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 && !(replay && argc == optind)) {
		fprintf(stderr, "usage: umlab run %s\n", cmd_run_entry.args);
		free(defines);
		return UMLAB_EXIT_USAGE;
	}
	if (replay && load_replay(replay, &o, defines, &ndefines, &scenario) < 0) {
		free(defines);
		return UMLAB_EXIT_USAGE;
	}
	o.defines = defines;
	o.command_line = line = shell_line(argc, argv);
	rc = scn_run(argc > optind ? argv[optind] : scenario, &o);
	free(scenario);
	free((char *)o.replay_log);
	free(line);
	free(defines);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "[-o DIR] [-D NAME=VALUE]... [--seed N] [--tap] SCENARIO | --replay DIR",
	.summary = "run a scenario headless; exit status is the verdict",
	.help =
	"Runs SCENARIO (a .lua file, or a folder holding scenario.lua): builds its\n"
	"lab, boots every node, runs its steps and checks, then tears the lab down.\n"
	"\n"
	"  -o, --output DIR   write results into DIR (default: umlab-out/LAB-TIME/)\n"
	"  -f, --force        write into DIR even if it is not empty\n"
	"  -n, --no-capture   do not record pcap files\n"
	"  -q, --quiet        print nothing but errors\n"
	"  -t, --timeout S    stop the run after S seconds (default 600)\n"
	"  -D NAME=VALUE      a parameter for the scenario: params.NAME, param(NAME)\n"
	"  -s, --seed N       seed of every random choice (default: a new one,\n"
	"                     printed and recorded in report.json)\n"
	"  -T, --tap          print the checks as TAP on stdout\n"
	"  -R, --replay DIR   run DIR's scenario again with its seed and parameters\n"
	"                     and check that the fault schedule is the same\n"
	"\n"
	"Results in DIR: report.html (the page to read), report.json (verdict,\n"
	"checks, nodes, links, faults), junit.xml, faults.log (the reproducible\n"
	"fault schedule), topology.svg, pcap/LINK.pcapng for every link,\n"
	"console/NODE.log for every node.\n"
	"\n"
	"Exit status: 0 every check passed; 1 a check failed or the lab broke;\n"
	"2 bad input (scenario error, unknown option, missing file); 3 the\n"
	"environment is not fit (e.g. linux.uml missing).\n"
	"\n"
	"Environment: UMLAB_KERNEL picks another guest kernel (default\n"
	"/usr/bin/linux.uml); UMLAB_INIT another in-guest init.\n",
	.exec = cmd_run,
};
