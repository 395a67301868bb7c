/*
 * cmd-graph.c - `umlab graph`: draw a scenario's lab without booting it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/scn.h"
#include "viz/viz.h"

static int
graph_usage(void)
{
	fprintf(stderr, "usage: umlab graph %s\n", cmd_graph_entry.args);
	return UMLAB_EXIT_USAGE;
}

static int
cmd_graph(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "layout", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct viz_style st = { 0 };
	const char *format = "svg", *output = NULL;
	struct lab *lab;
	char err[1024], *path;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+T:o:K:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'K':
			st.engine = optarg;
			break;
		case 'h':
			cmd_print_help(&cmd_graph_entry);
			return UMLAB_EXIT_OK;
		default:
			return graph_usage();
		}
	}
	if (argc - optind != 1)
		return graph_usage();
	/* Bad options fail before the scenario runs at all. */
	if (strcmp(format, "svg") != 0 && strcmp(format, "png") != 0 && strcmp(format, "pdf") != 0 &&
	    strcmp(format, "dot") != 0) {
		fprintf(stderr, "umlab graph: unknown format '%s' (use svg, png, pdf or dot)\n", format);
		return UMLAB_EXIT_USAGE;
	}
	if (st.engine != NULL && !viz_known_engine(st.engine)) {
		fprintf(stderr, "umlab graph: unknown layout engine '%s' "
			"(use dot, neato, sfdp, fdp, circo or twopi)\n", st.engine);
		return UMLAB_EXIT_USAGE;
	}
	if (output != NULL && output[0] == '\0') {
		fprintf(stderr, "umlab graph: empty output path\n");
		return UMLAB_EXIT_USAGE;
	}
	rc = scn_load_lab(argv[optind], &lab, err, sizeof(err));
	if (rc != UMLAB_EXIT_OK) {
		fprintf(stderr, "umlab: %s\n", err);
		return rc;
	}
	path = output ? xstrdup(output) : xasprintf("%s.%s", lab->name, format);
	if (viz_render_style(lab, format, path, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "umlab graph: %s\n", err);
		rc = UMLAB_EXIT_USAGE;   /* as `umlab run` with an unusable -o */
	} else if (strcmp(path, "-") != 0) {
		fprintf(stderr, "umlab: lab %s: %zu nodes, %zu links drawn in %s\n", lab->name,
			lab->nnodes, lab->nlinks, path);
	}
	free(path);
	lab_free(lab);
	return rc;
}

const struct cmd_entry cmd_graph_entry = {
	.name = "graph",
	.args = "[-T FMT] [-o FILE] SCENARIO",
	.summary = "draw a scenario's lab without booting it",
	.help =
	"Runs SCENARIO (a .lua file, or a folder holding scenario.lua) only up to\n"
	"its start() call, with no guest booted, and draws the lab it built.\n"
	"\n"
	"  -T, --format FMT   svg (default), png, pdf or dot\n"
	"  -K, --layout ENG   dot, neato, sfdp, fdp, circo or twopi (default: dot\n"
	"                     up to 40 nodes, sfdp above)\n"
	"  -o, --output FILE  write to FILE (default: LAB.FMT here); '-' for stdout\n"
	"\n"
	"An existing FILE is replaced only when the new drawing is complete.  A\n"
	"script still running after 10 s without calling start() is stopped.\n"
	"\n"
	"Exit status: 0 drawn; 2 bad input (scenario error as file:line, unknown\n"
	"option, format or engine, an output path that cannot be written).\n",
	.exec = cmd_graph,
};
