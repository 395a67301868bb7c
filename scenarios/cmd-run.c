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
	char *end;
	int c;

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
	return scn_run(argv[optind], &o);
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
	"Results in DIR: report.json (verdict, checks, nodes, links), topology.svg,\n"
	"pcap/LINK.pcap for every link, console/NODE.log for every node.\n"
	"\n"
	"Exit status: 0 every check passed; 1 a check failed or the lab broke;\n"
	"2 bad input (scenario error, unknown option, missing file); 3 the\n"
	"environment is not fit (e.g. linux.uml missing).\n"
	"\n"
	"Environment: UMLAB_KERNEL picks another guest kernel (default\n"
	"/usr/bin/linux.uml); UMLAB_INIT another in-guest init.\n",
	.exec = cmd_run,
};
