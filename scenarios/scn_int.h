/*
 * scn_int.h - the scenario runner's state, shared by scn.c (the runner),
 * scn_lua.c (the Lua API) and report.c (report.json, summary, topology).
 */
#ifndef UMLAB_SCN_INT_H
#define UMLAB_SCN_INT_H

#include <lua.h>
#include <stddef.h>

#include "scenarios/scn.h"

struct lab;
struct loop;
struct rt;
struct loop_timer;

struct scn_check {
	char *name;
	int passed;
	double t;             /* seconds since the run began */
	char *where;          /* "file:line" */
	char *detail;         /* NULL or text shown on failure */
};

enum scn_phase { SCN_BUILD, SCN_STARTING, SCN_RUNNING, SCN_TEARDOWN, SCN_DONE };

enum scn_verdict { SCN_PASSED, SCN_FAILED, SCN_ERROR, SCN_ENV, SCN_INTERRUPTED };

struct scn {
	struct scn_options o;
	char *path;            /* the scenario file */
	char *labdir;          /* its folder */
	char *outdir;
	struct loop *loop;
	struct lab *lab;
	struct rt *rt;
	lua_State *L;
	lua_State *co;         /* the main scenario coroutine */
	int co_ref;
	enum scn_phase phase;
	struct scn_check *checks;
	size_t nchecks;
	char *error;           /* what ended the run early, "file:line: msg" */
	int error_is_run;      /* the lab failed (exit 1), not the script (exit 2) */
	int env_problem;       /* exit 3 */
	int interrupted;
	int64_t t0;
	double duration_s;
	struct loop_timer *deadline;
	int sigfd;
};

extern const char scn_key;   /* registry key of the struct scn pointer */

/* scn_lua.c */
void scn_lua_open(struct scn *s);
/* scn_lua_net.c: impair, link_down/up, link_stats, trunk; link() options */
void scn_lua_net_open(lua_State *L);
struct lab_link;
void scn_lua_net_link_opts(lua_State *L, struct lab_link *k, int arg);
/* scn.c */
struct scn *scn_from_lua(lua_State *L);
void scn_resume(struct scn *s, lua_State *co, int nargs);
/* Push (true, value) or (false, message) for a coroutine waiting in
 * scn_yield(), then resume it. */
int scn_yield(lua_State *L);
void scn_add_check(struct scn *s, const char *name, int passed, const char *where, const char *detail);
void scn_begin_teardown(struct scn *s);
double scn_elapsed(const struct scn *s);
/* report.c */
enum scn_verdict scn_verdict(const struct scn *s);
const char *scn_verdict_name(enum scn_verdict v);
int scn_exit_status(enum scn_verdict v);
/* Write report.json (and collect link counters; call before rt_free). */
int scn_write_report(struct scn *s);
void scn_write_topology(struct scn *s);
void scn_print_summary(const struct scn *s);

#endif
