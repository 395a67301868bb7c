/*
 * umlab.c - the command line front: dispatch to one command per file.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/util.h"
#include "scenarios/cmd.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_start_entry,
	&cmd_status_entry,
	&cmd_exec_entry,
	&cmd_connect_entry,
	&cmd_stop_entry,
	&cmd_list_entry,
	&cmd_fault_entry,
	&cmd_capture_entry,
	&cmd_test_entry,
	&cmd_check_entry,
	&cmd_doctor_entry,
	&cmd_campaign_entry,
	&cmd_graph_entry,
	&cmd_report_entry,
	NULL,
};

/* Named here so that `umlab --help` says what is coming and nobody takes
 * their absence for a bug. */
static const char *const not_yet[] = {
	NULL,
};

static void
usage(FILE *f)
{
	fprintf(f, "umlab %s - a virtual network lab of User-Mode Linux guests\n\n", PACKAGE_VERSION);
	fprintf(f, "usage: umlab COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		fprintf(f, "  %-9s %s\n", (*e)->name, (*e)->summary);
	if (not_yet[0] != NULL) {
		fprintf(f, "\nnot built yet:");
		for (const char *const *n = not_yet; *n; n++)
			fprintf(f, " %s", *n);
		fprintf(f, "\n");
	}
	fprintf(f, "\n`umlab COMMAND --help` tells more.  Exit status: 0 every check passed, "
		"1 a check failed,\n2 bad input (scenario error, unknown option, missing file), "
		"3 the environment is not fit.\n");
}

void
cmd_print_help(const struct cmd_entry *e)
{
	printf("usage: umlab %s %s\n\n%s", e->name, e->args, e->help);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return UMLAB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return UMLAB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("umlab %s\n", PACKAGE_VERSION);
		return UMLAB_EXIT_OK;
	}
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (strcmp((*e)->name, argv[1]) == 0)
			return (*e)->exec(argc - 1, argv + 1);
	for (const char *const *n = not_yet; *n; n++)
		if (strcmp(*n, argv[1]) == 0) {
			fprintf(stderr, "umlab: '%s' is not built yet in this version\n", argv[1]);
			return UMLAB_EXIT_USAGE;
		}
	fprintf(stderr, "umlab: unknown command '%s' (see umlab --help)\n", argv[1]);
	return UMLAB_EXIT_USAGE;
}
