/*
 * cmd-test.c - `umlab test`: signature tests in the manner of Netkit's
 * ltest.  --record runs the lab and saves what every node shows (its
 * addresses, routes, listening ports, and the output of _test/NODE.test
 * when the lab has one) under LAB/_test/signature/; without --record the
 * same is compared with the saved signature, one check per node and kind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/scn.h"

static int
cmd_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "record", no_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "tap", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scn_options o = { .capture = 1, .kernel = getenv("UMLAB_KERNEL") };
	const char *lab = ".";
	char real[PATH_MAX], *dir;
	struct stat st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+ro:Th", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.record = 1;
			break;
		case 'o':
			o.outdir = optarg;
			break;
		case 'T':
			o.tap = 1;
			break;
		case 'h':
			cmd_print_help(&cmd_test_entry);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab test %s\n", cmd_test_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: umlab test %s\n", cmd_test_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if (argc - optind == 1)
		lab = argv[optind];
	if (realpath(lab, real) == NULL) {
		fprintf(stderr, "umlab test: %s: %s\n", lab, strerror(errno));
		return UMLAB_EXIT_USAGE;
	}
	/* Signatures live beside the lab: LAB/_test, or FILE's folder/_test. */
	if (stat(real, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(real, '/');

		if (slash)
			*slash = '\0';
	}
	dir = xasprintf("%s/_test", real);
	o.signature_dir = dir;
	rc = scn_run(lab, &o);
	if (rc == UMLAB_EXIT_OK && o.record)
		printf("umlab: signatures recorded in %s/signature/\n", dir);
	free(dir);
	return rc;
}

const struct cmd_entry cmd_test_entry = {
	.name = "test",
	.args = "[--record] [-o DIR] [--tap] [LAB]",
	.summary = "signature tests of a lab, as Netkit's ltest",
	.help =
	"Runs LAB (default: the current folder), then on every node records or\n"
	"compares what it shows: IPv4 addresses, routes, listening ports, and\n"
	"the output of LAB/_test/NODE.test (a shell script run in the node) when\n"
	"there is one.\n"
	"\n"
	"  -r, --record       save the signatures in LAB/_test/signature/\n"
	"  -o, --output DIR   the run's results (report.json, junit.xml, ...)\n"
	"  -T, --tap          print the checks as TAP\n"
	"\n"
	"Without --record every node's output is compared with its signature: one\n"
	"check per node and kind, with both texts shown when they differ.  Exit\n"
	"status as umlab run: 0 all match, 1 a difference.\n",
	.exec = cmd_test,
};
