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
struct kathara_lab;

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
	int main_done;         /* the script returned */
	struct ctl_server *ctl;   /* interactive mode: the control socket */
	int autostarting;      /* start() run for a script that did not call it */
	int ready_notified;
	int signatures_ran;
	struct scn_task *tasks;
	int handlers_ref;      /* registry: event name -> list of functions */
	char *outcome;         /* set by outcome() in the scenario, or NULL */
	struct fault_ctx *faults;  /* made when the lab starts */
	double faults_t0;      /* when (seconds into the run) the fault log's clock began */
	int timed_out;
	int report_final;      /* 0: report.json says "incomplete" (written early) */
	int64_t t0;
	double duration_s;
	struct loop_timer *deadline;
	int sigfd;
	struct kathara_lab *kathara;  /* a Kathará/Netkit lab folder (lab.conf), or NULL */
	/* umlab check: told of every check recorded while it runs (ctl.c) */
	void (*check_hook)(void *arg, const struct scn_check *c);
	void *check_hook_arg;
};

extern const char scn_key;   /* registry key of the struct scn pointer */

/* scn_task.c: tasks (extra coroutines) and event handlers */
struct scn_task;
void scn_task_open(lua_State *L);
/* A task's coroutine returned nres values on its stack. */
void scn_task_finished(struct scn_task *t, int nres);
/* Run every handler registered with on(event, fn), each as a new task,
 * with nargs arguments taken from the top of the stack of s->L. */
void scn_emit(struct scn *s, const char *event, int nargs);
/* Run the function on top of the stack of s->L (below nargs arguments) as
 * a task; done(arg, co, nres) is called when it returns, with its nres
 * results on co's stack. */
void scn_task_run(struct scn *s, int nargs, void (*done)(void *arg, lua_State *co, int nres),
		  void *arg);
void scn_tasks_free(struct scn *s);
/* interactive mode (ctl.c) */
void scn_ready_for_clients(struct scn *s);
/* A client asked the lab to stop. */
void scn_request_stop(struct scn *s);
/* report.c: the nodes and links of the lab as JSON (new references). */
struct json_t;
struct json_t *scn_nodes_json(struct scn *s);
struct json_t *scn_links_json(struct scn *s);
struct json_t *scn_uplinks_json(struct scn *s);
struct json_t *scn_plugs_json(struct scn *s);

/* scn_lua_fault.c */
void scn_faults_start(struct scn *s);
void scn_lua_fault_open(lua_State *L);

/* scn_lua.c */
void scn_lua_open(struct scn *s);
/* scn_lua_life.c: node:stop/start/restart/reboot/freeze/thaw, node.state */
void scn_lua_life_open(lua_State *L);
struct lab_node;
/* Push the Lua object of a node. */
void scn_push_node(lua_State *L, const struct lab_node *ln);

/* scn_lua_node.c */
struct lab_node;
void scn_lua_node_options(lua_State *L, int arg, struct lab_node *n);
void scn_lua_node_open(lua_State *L);
struct agent_exec_result;
/* The Lua table of an exec's result: status, signal, stdout, stderr,
 * duration, ok, timed_out, truncated. */
void scn_push_exec_result(lua_State *co, const struct agent_exec_result *r);

/* scn_lua_net.c: impair, link_down/up, link_stats, trunk, uplink, plug; link() options */
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
/* The scenario file for path (a file, or a folder holding scenario.lua),
 * malloc'ed; NULL with err filled. */
char *scn_find_scenario(const char *path, char *err, size_t errlen);
/* The default lab name for a scenario file (malloc'ed). */
char *scn_lab_name_from(const char *file);
/* Free s and everything it owns (s->lab too, unless set to NULL). */
void scn_free(struct scn *s);
/* report.c */
enum scn_verdict scn_verdict(const struct scn *s);
const char *scn_verdict_name(enum scn_verdict v);
int scn_exit_status(enum scn_verdict v);
/* Write report.json (and collect link counters; call before rt_free). */
int scn_write_report(struct scn *s);
void scn_write_topology(struct scn *s);
int scn_write_junit(struct scn *s);
/* The run's outcome class for campaigns: the scenario's own (outcome()),
 * else passed, check_failed, node_crashed, timeout, error, environment,
 * interrupted. */
const char *scn_outcome(struct scn *s);
void scn_print_summary(const struct scn *s, enum scn_verdict v);

#endif
