/*
 * cmd-report.c - `umlab report`: rebuild a run's report.html from its
 * report.json.
 */
#include <getopt.h>
#include <stdio.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "viz/report.h"

static int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char err[1024];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			cmd_print_help(&cmd_report_entry);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab report %s\n", cmd_report_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: umlab report %s\n", cmd_report_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	rc = viz_report_write(argv[optind], out, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "umlab report: %s\n", err);
		return rc == -1 ? UMLAB_EXIT_USAGE : UMLAB_EXIT_FAILED;
	}
	return UMLAB_EXIT_OK;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.args = "[-o FILE] DIR",
	.summary = "rebuild DIR/report.html from DIR/report.json",
	.help =
	"Makes the page of the run in DIR (a folder `umlab run` wrote) again from\n"
	"its report.json and console logs, e.g. after an upgrade of umlab.\n"
	"\n"
	"  -o, --output FILE  write the page to FILE (default: DIR/report.html)\n"
	"\n"
	"The page is replaced only once the new one is complete.\n"
	"\n"
	"Exit status: 0 written; 1 the page could not be written; 2 bad input\n"
	"(no report.json, not JSON, or a report_format this umlab does not know).\n",
	.exec = cmd_report,
};
