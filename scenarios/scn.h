/*
 * scn.h - running a scenario: a Lua script that builds a lab, starts it,
 * drives its nodes and checks results.  The Lua API is in scn_lua.c and
 * documented in scenarios/API.md.
 */
#ifndef UMLAB_SCN_H
#define UMLAB_SCN_H

struct scn_options {
	const char *outdir;   /* NULL: a new folder under ./umlab-out/ */
	int force;            /* allow a non-empty outdir */
	int capture;          /* pcap of every link (default on) */
	int quiet;            /* no per-check lines, no progress */
	double timeout_s;     /* whole-run limit; 0: 600 s */
	const char *init;     /* NULL: found automatically */
	const char *kernel;   /* NULL: the configured linux.uml */
	char **defines;       /* "name=value" from -D, NULL-terminated (or NULL) */
	int has_seed;
	unsigned long long seed;
	int tap;              /* TAP on stdout */
	int interactive;      /* keep the lab up after the script (umlab start) */
	const char *command_line; /* NULL or the shell command that reproduces the run */
	const char *replay_log;  /* a recorded faults.log to compare this run's with */
	const char *signature_dir;  /* umlab test: LAB/_test (absolute) */
	int record;              /* umlab test --record */
	const char *ctl_path; /* interactive: the control socket to listen on */
	int ready_fd;         /* interactive: told "OK" or "ERR why" once (-1: none) */
	int exercise;         /* umlab start --exercise: skip solution() blocks, keep
	                         checks() blocks for `umlab check` */
};

/* Run the scenario at path (a .lua file, or a folder holding
 * scenario.lua).  Returns the umlab exit status (core/util.h). */
int scn_run(const char *path, const struct scn_options *o);

/* The Debian packages LABDIR/packages names (one a line, # comments), as
 * a NULL-terminated malloc'ed array of malloc'ed names, or NULL when the
 * lab has no such file. */
char **scn_lab_packages(const char *labdir);

/* Build the lab of the scenario at path without starting it: the script
 * runs with the normal API until it calls start(), which ends it quietly
 * (sleep() returns at once).  On success *out is the lab (the caller
 * frees it with lab_free) and the result is UMLAB_EXIT_OK; otherwise the
 * exit status `umlab run` would give (2 for a scenario error) and err
 * holds "file:line: message". */
struct lab;
int scn_load_lab(const char *path, struct lab **out, char *err, size_t errlen);

#endif
