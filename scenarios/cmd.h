/*
 * cmd.h - the umlab command table: one file per command (cmd-*.c), each
 * defining one struct cmd_entry; umlab.c holds the table and builds the
 * usage and --help text from it.
 */
#ifndef UMLAB_CMD_H
#define UMLAB_CMD_H

struct cmd_entry {
	const char *name;
	const char *args;      /* "FILE|DIR [-o DIR]" */
	const char *summary;   /* one line */
	const char *help;      /* full text for `umlab CMD --help` */
	int (*exec)(int argc, char **argv);  /* argv[0] is the command name */
};

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_fault_entry;
extern const struct cmd_entry cmd_connect_entry;
extern const struct cmd_entry cmd_capture_entry;
extern const struct cmd_entry cmd_test_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_campaign_entry;
extern const struct cmd_entry cmd_graph_entry;
extern const struct cmd_entry cmd_report_entry;

/* Print `umlab CMD --help` text for e to stdout. */
void cmd_print_help(const struct cmd_entry *e);

#endif
