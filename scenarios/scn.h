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
	unsigned long long seed; /* impairments' seed; 0: $UMLAB_SEED or the clock */
};

/* Run the scenario at path (a .lua file, or a folder holding
 * scenario.lua).  Returns the umlab exit status (core/util.h). */
int scn_run(const char *path, const struct scn_options *o);

#endif
