/*
 * scn.c - the scenario runner.
 *
 * The script runs as one Lua coroutine driven by the lab's event loop.
 * API calls that wait (start, exec, sleep) yield; the loop resumes the
 * coroutine when what it waits for has happened, so the fabric keeps
 * forwarding and guests keep being served while a scenario waits.
 *
 * Teardown always runs: after the script ends, fails, times out or is
 * interrupted, every node is stopped, then the report, the topology and
 * the captures are written and the runtime folder is removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lauxlib.h>
#include <libgen.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/lab.h"
#include "core/loop.h"
#include "core/util.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define DEFAULT_TIMEOUT_S 600.0

const char scn_key = 0;

struct scn *
scn_from_lua(lua_State *L)
{
	struct scn *s;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &scn_key);
	s = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return s;
}

double
scn_elapsed(const struct scn *s)
{
	return (double)(loop_now() - s->t0) / 1e9;
}

void
scn_add_check(struct scn *s, const char *name, int passed, const char *where, const char *detail)
{
	struct scn_check *c;

	s->checks = realloc(s->checks, (s->nchecks + 1) * sizeof(*s->checks));
	if (s->checks == NULL)
		abort();
	c = &s->checks[s->nchecks++];
	c->name = xstrdup(name);
	c->passed = passed;
	c->t = scn_elapsed(s);
	c->where = xstrdup(where ? where : "");
	c->detail = detail ? xstrdup(detail) : NULL;
	if (!s->o.quiet) {
		printf("  %s  %s", passed ? "PASS" : "FAIL", name);
		if (!passed && detail && *detail)
			printf("\n        %s", detail);
		printf("\n");
		fflush(stdout);
	}
}

static void
set_error(struct scn *s, const char *msg, int is_run)
{
	if (s->error != NULL)
		return;   /* the first cause is the one worth reporting */
	s->error = xstrdup(msg);
	s->error_is_run = is_run;
}

/* --- teardown --- */

static void
on_stopped(struct rt *rt, void *arg)
{
	struct scn *s = arg;

	s->phase = SCN_DONE;
	loop_break(s->loop);
}

void
scn_begin_teardown(struct scn *s)
{
	if (s->phase >= SCN_TEARDOWN)
		return;
	s->phase = SCN_TEARDOWN;
	if (s->rt != NULL)
		rt_stop(s->rt);   /* on_stopped() breaks the loop */
	else {
		s->phase = SCN_DONE;
		loop_break(s->loop);
	}
}

/* --- coroutine driving --- */

void
scn_resume(struct scn *s, lua_State *co, int nargs)
{
	int nres, st;

	if (s->phase >= SCN_TEARDOWN)
		return;   /* the run is over; whatever it waited for is moot */
	st = lua_resume(co, s->L, nargs, &nres);
	if (st == LUA_YIELD) {
		lua_pop(co, nres);
		return;
	}
	if (st != LUA_OK) {
		const char *msg = lua_tostring(co, -1);

		set_error(s, msg ? msg : "error object is not a string", s->error_is_run);
	}
	scn_begin_teardown(s);
}

/* Continuation of every waiting call: the resumer pushed (ok, value). */
static int
yield_k(lua_State *L, int status, lua_KContext ctx)
{
	int top = lua_gettop(L);

	if (!lua_toboolean(L, top - 1)) {
		struct scn *s = scn_from_lua(L);

		/* A failure of the lab, not of the script: exit status 1. */
		s->error_is_run = 1;
		luaL_where(L, 1);
		lua_pushvalue(L, top);
		lua_concat(L, 2);
		return lua_error(L);
	}
	return 1;
}

int
scn_yield(lua_State *L)
{
	return lua_yieldk(L, 0, 0, yield_k);
}

/* --- run limits and signals --- */

static int64_t
on_deadline(struct loop_timer *t, void *arg)
{
	struct scn *s = arg;
	char msg[96];

	s->deadline = NULL;
	snprintf(msg, sizeof(msg), "the run took longer than its limit of %.0f s", s->o.timeout_s);
	set_error(s, msg, 1);
	scn_begin_teardown(s);
	return LOOP_TIMER_DONE;
}

static void
on_signal(int fd, uint32_t events, void *arg)
{
	struct scn *s = arg;
	struct signalfd_siginfo si;
	char msg[64];

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (s->interrupted) {
		/* Second signal: no more patience.  rt_free() kills the rest. */
		fprintf(stderr, "umlab: killing the lab\n");
		s->phase = SCN_DONE;
		loop_break(s->loop);
		return;
	}
	s->interrupted = 1;
	snprintf(msg, sizeof(msg), "interrupted by %s", strsignal((int)si.ssi_signo));
	set_error(s, msg, 1);
	fprintf(stderr, "\numlab: %s; stopping the lab (again to kill it)\n", msg);
	scn_begin_teardown(s);
}

static int
setup_signals(struct scn *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -1;
	return loop_add_fd(s->loop, s->sigfd, EPOLLIN, on_signal, s);
}

/* --- folders --- */

static int
dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static char *
default_outdir(const char *labname)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *base, *p;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	base = xasprintf("umlab-out/%s-%s", labname, stamp);
	/* Two runs in one second get distinct folders. */
	for (int i = 2; access(base, F_OK) == 0; i++) {
		p = xasprintf("umlab-out/%s-%s-%d", labname, stamp, i);
		free(base);
		base = p;
	}
	return base;
}

/* Resolve path (file or folder) to the scenario file. */
static char *
find_scenario(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		char *f = xasprintf("%s/scenario.lua", path);

		if (access(f, R_OK) == 0)
			return f;
		free(f);
		f = xasprintf("%s/lab.conf", path);
		if (access(f, R_OK) == 0)
			snprintf(err, errlen, "%s: Kathara/Netkit lab folders are not supported yet "
				 "(no scenario.lua)", path);
		else
			snprintf(err, errlen, "%s: no scenario.lua in this folder", path);
		free(f);
		return NULL;
	}
	return xstrdup(path);
}

static char *
lab_name_from(const char *file)
{
	char *dup = xstrdup(file), *dir = xstrdup(file), *b, *dot, *name;

	b = basename(dup);
	if (strcmp(b, "scenario.lua") == 0)
		b = basename(dirname(dir));
	else if ((dot = strrchr(b, '.')) != NULL && strcmp(dot, ".lua") == 0)
		*dot = '\0';
	name = xstrdup(*b && strcmp(b, ".") != 0 && strcmp(b, "/") != 0 ? b : "lab");
	for (char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	free(dup);
	free(dir);
	return name;
}

static void
scn_free(struct scn *s)
{
	if (s->L)
		lua_close(s->L);
	if (s->deadline)
		loop_timer_cancel(s->loop, s->deadline);
	if (s->sigfd >= 0) {
		loop_del_fd(s->loop, s->sigfd);
		close(s->sigfd);
	}
	lab_free(s->lab);
	loop_free(s->loop);
	for (size_t i = 0; i < s->nchecks; i++) {
		free(s->checks[i].name);
		free(s->checks[i].where);
		free(s->checks[i].detail);
	}
	free(s->checks);
	free(s->error);
	free(s->path);
	free(s->labdir);
	free(s->outdir);
	free(s);
}

/* Called by start() in scn_lua.c through the runtime's events. */
static void
on_started(struct rt *rt, int ok, const char *msg, void *arg)
{
	struct scn *s = arg;

	if (s->phase != SCN_STARTING)
		return;
	s->phase = SCN_RUNNING;
	if (ok && !s->o.quiet) {
		printf("umlab: %zu nodes ready in %.2f s:", s->lab->nnodes, scn_elapsed(s));
		for (size_t i = 0; i < s->lab->nnodes; i++)
			printf(" %s %.2f s%s", s->lab->nodes[i]->name,
			       node_boot_seconds(rt_node(rt, s->lab->nodes[i])),
			       i + 1 < s->lab->nnodes ? "," : "");
		printf("\n");
		fflush(stdout);
	}
	lua_pushboolean(s->co, ok);
	if (ok)
		lua_pushnil(s->co);
	else
		lua_pushstring(s->co, msg);
	scn_resume(s, s->co, 2);
}

static void
on_node_down(struct rt *rt, struct lab_node *ln, const char *reason, void *arg)
{
	char *msg = xasprintf("node %s crashed: %s", ln->name, reason);

	fprintf(stderr, "umlab: %s\n", msg);
	free(msg);
}

static const struct rt_events rt_events = {
	.started = on_started,
	.node_down = on_node_down,
	.stopped = on_stopped,
};

/* start() from Lua: create the runtime and bring the lab up. */
int scn_start_lab(struct scn *s, char *err, size_t errlen);

int
scn_start_lab(struct scn *s, char *err, size_t errlen)
{
	struct rt_options ro = {
		.outdir = s->outdir,
		.kernel = s->o.kernel,
		.init = s->o.init,
		.capture = s->o.capture,
		.quiet = s->o.quiet,
		.seed = s->o.seed,
	};

	s->rt = rt_new(s->loop, s->lab, &ro, &rt_events, s, &s->env_problem, err, errlen);
	if (s->rt == NULL)
		return -1;
	s->phase = SCN_STARTING;
	if (rt_start(s->rt, err, errlen) < 0) {
		s->phase = SCN_RUNNING;
		return -1;
	}
	return 0;
}

int
scn_run(const char *path, const struct scn_options *o)
{
	struct scn *s = xcalloc(1, sizeof(*s));
	char err[1024];
	char *labname;
	enum scn_verdict v;
	int st, rc;

	s->o = *o;
	s->sigfd = -1;
	if (s->o.timeout_s <= 0)
		s->o.timeout_s = DEFAULT_TIMEOUT_S;
	if ((s->path = find_scenario(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "umlab: %s\n", err);
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	{
		char *d = xstrdup(s->path);

		s->labdir = xstrdup(dirname(d));
		free(d);
	}
	labname = lab_name_from(s->path);
	s->lab = lab_new(labname);
	s->outdir = o->outdir ? xstrdup(o->outdir) : default_outdir(labname);
	free(labname);
	if (!s->o.force && !dir_is_empty(s->outdir)) {
		fprintf(stderr, "umlab: output folder %s is not empty; choose another with -o "
			"or pass --force to write over it\n", s->outdir);
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	s->loop = loop_new();
	s->t0 = loop_now();

	s->L = luaL_newstate();
	luaL_openlibs(s->L);
	lua_pushlightuserdata(s->L, s);
	lua_rawsetp(s->L, LUA_REGISTRYINDEX, &scn_key);
	scn_lua_open(s);

	st = luaL_loadfilex(s->L, s->path, "t");
	if (st != LUA_OK) {
		const char *m = lua_tostring(s->L, -1);

		fprintf(stderr, "umlab: %s\n", m ? m : "cannot load the scenario");
		set_error(s, m ? m : "cannot load the scenario", 0);
		if (st == LUA_ERRFILE)
			s->error_is_run = 0;
		goto report;
	}
	if (mkdir_p(s->outdir, 0755) < 0) {
		fprintf(stderr, "umlab: output folder %s: %s\n", s->outdir, strerror(errno));
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	if (setup_signals(s) < 0) {
		fprintf(stderr, "umlab: signalfd: %s\n", strerror(errno));
		scn_free(s);
		return UMLAB_EXIT_ENV;
	}
	s->deadline = loop_timer_add(s->loop, (int64_t)(s->o.timeout_s * 1e9), on_deadline, s);
	s->co = lua_newthread(s->L);
	s->co_ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
	lua_xmove(s->L, s->co, 1);   /* the chunk */
	if (!s->o.quiet)
		printf("umlab: running %s\n", s->path);
	s->phase = SCN_BUILD;
	scn_resume(s, s->co, 0);
	if (s->phase != SCN_DONE)
		loop_run(s->loop);
report:
	s->duration_s = scn_elapsed(s);
	if (s->error && !s->o.quiet)
		fprintf(stderr, "umlab: %s\n", s->error);
	if (mkdir_p(s->outdir, 0755) == 0) {
		scn_write_report(s);     /* reads link counters: before rt_free */
		scn_write_topology(s);
	}
	rt_free(s->rt);              /* closes the captures, removes the runtime folder */
	s->rt = NULL;
	v = scn_verdict(s);
	rc = scn_exit_status(v);
	scn_print_summary(s);
	scn_free(s);
	return rc;
}
