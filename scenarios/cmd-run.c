/*
 * cmd-run.c - `umlab run`: run a scenario headless and leave a report.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/scn.h"

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scn_options o = { .capture = 1, .kernel = getenv("UMLAB_KERNEL") };
	char *end, *line;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:fnqt:h", longopts, NULL)) != -1) {
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
		case 'h':
			cmd_print_help(&cmd_run_entry);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab run %s\n", cmd_run_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: umlab run %s\n", cmd_run_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	o.command_line = line = shell_line(argc, argv);
	rc = scn_run(argv[optind], &o);
	free(line);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "[-o DIR] SCENARIO",
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
	"\n"
	"Results in DIR: report.html (the page to read), report.json (verdict,\n"
	"checks, nodes, links), topology.svg, pcap/LINK.pcap for every link,\n"
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
