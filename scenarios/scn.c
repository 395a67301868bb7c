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
#include <limits.h>
#include <lauxlib.h>
#include <libgen.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/lab.h"
#include "core/loop.h"
#include "core/util.h"
#include "faults/fault.h"
#include "node/node.h"
#include "scenarios/ctl.h"
#include "scenarios/kathara.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"
#include "viz/report.h"

#define DEFAULT_TIMEOUT_S 600.0

const char scn_key = 0;

/* start() from Lua: create the runtime and bring the lab up. */
int scn_start_lab(struct scn *s, char *err, size_t errlen);

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

/* A TAP YAML block for a failed check. */
static void
tap_diag(const char *where, const char *detail)
{
	printf("  ---\n  at: \"%s\"\n", where ? where : "");
	if (detail && *detail) {
		printf("  detail: |\n");
		for (const char *p = detail; *p;) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			printf("    %.*s\n", n, p);
			p += n + (nl != NULL);
		}
	}
	printf("  ...\n");
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
	if (s->o.tap) {
		printf("%s %zu - %s\n", passed ? "ok" : "not ok", s->nchecks, name);
		if (!passed)
			tap_diag(where, detail);
		fflush(stdout);
	} else if (!s->o.quiet) {
		printf("  %s  %s", passed ? "PASS" : "FAIL", name);
		if (!passed && detail && *detail)
			printf("\n        %s", detail);
		printf("\n");
		fflush(stdout);
	}
	if (s->check_hook)
		s->check_hook(s->check_hook_arg, c);
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
	/* the scenario is over: no fault fires into the stopping lab (a
	 * freeze of a node that is exiting failed the run) */
	if (s->faults != NULL)
		fault_cancel_pending(s->faults);
	if (s->rt != NULL)
		rt_stop(s->rt);   /* on_stopped() breaks the loop */
	else {
		s->phase = SCN_DONE;
		loop_break(s->loop);
	}
}

/* --- interactive mode --- */

static void
notify(struct scn *s, const char *status, const char *msg)
{
	if (!s->o.interactive || s->ready_notified || s->o.ready_fd < 0)
		return;
	s->ready_notified = 1;
	dprintf(s->o.ready_fd, "%s %s %s\n", status, s->outdir, msg ? msg : "");
	close(s->o.ready_fd);
	s->o.ready_fd = -1;
}

void
scn_ready_for_clients(struct scn *s)
{
	notify(s, "OK", NULL);
}

void
scn_request_stop(struct scn *s)
{
	scn_begin_teardown(s);
}

static void run_signatures(struct scn *s);

/* The script ended without error: what comes next depends on the command. */
static void
after_script(struct scn *s)
{
	char err[1024];

	if (s->error == NULL && (s->o.interactive || (s->o.signature_dir && !s->signatures_ran)) &&
	    s->phase == SCN_BUILD) {
		/* The script only described the lab: start it for the user. */
		s->autostarting = 1;
		if (scn_start_lab(s, err, sizeof(err)) < 0) {
			set_error(s, err, 1);
			scn_begin_teardown(s);
		}
		return;
	}
	if (s->error == NULL && s->o.interactive) {
		scn_ready_for_clients(s);   /* the lab stays up until `umlab stop` */
		return;
	}
	if (s->error == NULL && s->o.signature_dir && !s->signatures_ran) {
		run_signatures(s);
		return;
	}
	scn_begin_teardown(s);
}

/* umlab test: run the signature commands on every node as the script's
 * continuation (a new main coroutine). */
static void
run_signatures(struct scn *s)
{
	s->signatures_ran = 1;
	luaL_unref(s->L, LUA_REGISTRYINDEX, s->co_ref);
	s->co = lua_newthread(s->L);
	s->co_ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
	lua_getglobal(s->co, "umlab_signatures__");
	lua_pushstring(s->co, s->o.signature_dir);
	lua_pushboolean(s->co, s->o.record);
	scn_resume(s, s->co, 2);
}

/* --- coroutine driving --- */

void
scn_resume(struct scn *s, lua_State *co, int nargs)
{
	struct scn_task *t = *(struct scn_task **)lua_getextraspace(co);
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

		/* An error in any task ends the run, as one in the script does. */
		set_error(s, msg ? msg : "error object is not a string", s->error_is_run);
		scn_begin_teardown(s);
		return;
	}
	if (t != NULL) {
		scn_task_finished(t, nres);
		return;
	}
	s->main_done = 1;
	after_script(s);
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
	s->timed_out = 1;
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
	/* host programs the scenario starts (vde_plug on a plug) must find
	 * the umlab:// plugin: libvdeplug looks only beside itself, or only
	 * in VDEPLUGIN_PATH (so it keeps the system's folder too) */
	if (getenv("VDEPLUGIN_PATH") == NULL && rt_vdeplugin_path() != NULL)
		setenv("VDEPLUGIN_PATH", rt_vdeplugin_path(), 1);
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
char *
scn_find_scenario(const char *path, char *err, size_t errlen)
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
			return f;   /* a Kathará/Netkit lab: scn_run() builds it */
		snprintf(err, errlen, "%s: no scenario.lua or lab.conf in this folder", path);
		free(f);
		return NULL;
	}
	return xstrdup(path);
}

char *
scn_lab_name_from(const char *file)
{
	char *dup = xstrdup(file), *dir = xstrdup(file), *b, *dot, *name;

	b = basename(dup);
	if (strcmp(b, "scenario.lua") == 0 || strcmp(b, "lab.conf") == 0)
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

void
scn_free(struct scn *s)
{
	if (s->L)
		lua_close(s->L);
	scn_tasks_free(s);
	if (s->deadline)
		loop_timer_cancel(s->loop, s->deadline);
	if (s->sigfd >= 0) {
		loop_del_fd(s->loop, s->sigfd);
		close(s->sigfd);
	}
	kathara_free(s->kathara);
	lab_free(s->lab);
	loop_free(s->loop);
	for (size_t i = 0; i < s->nchecks; i++) {
		free(s->checks[i].name);
		free(s->checks[i].where);
		free(s->checks[i].detail);
	}
	free(s->checks);
	free(s->error);
	free(s->outcome);
	free(s->path);
	free(s->labdir);
	free(s->outdir);
	free(s);
}

/* Write faults.log and, for --replay, compare it with the recorded one:
 * a different schedule fails the run, naming the first difference. */
static void
check_replay(struct scn *s)
{
	char *path = xasprintf("%s/faults.log", s->outdir), *now = NULL, *was = NULL;
	const char *a, *b;
	int line = 1;

	if (s->faults == NULL || fault_log_write(s->faults, path) < 0) {
		if (s->o.replay_log)
			set_error(s, "replay: this run scheduled no faults to compare", 1);
		free(path);
		return;
	}
	if (s->o.replay_log == NULL) {
		free(path);
		return;
	}
	now = read_file(path, 16 << 20, NULL);
	was = read_file(s->o.replay_log, 16 << 20, NULL);
	if (was == NULL) {
		char *msg = xasprintf("replay: cannot read %s", s->o.replay_log);

		set_error(s, msg, 0);
		free(msg);
	} else if (strcmp(now, was) != 0) {
		char *msg;

		for (a = now, b = was; *a && *a == *b; a++, b++)
			if (*a == '\n')
				line++;
		/* Back to the start of the line that differs, in both. */
		while (a > now && a[-1] != '\n') {
			a--;
			b--;
		}
		msg = xasprintf("replay: the fault schedule differs from %s at line %d:\n"
				"  recorded: %.*s\n  now:      %.*s", s->o.replay_log, line,
				(int)strcspn(b, "\n"), b, (int)strcspn(a, "\n"), a);
		set_error(s, msg, 1);
		free(msg);
	} else if (!s->o.quiet) {
		printf("%sreplay: the fault schedule matches %s\n", s->o.tap ? "# " : "umlab: ",
		       s->o.replay_log);
	}
	free(now);
	free(was);
	free(path);
}

char **
scn_lab_packages(const char *labdir)
{
	char *path = xasprintf("%s/packages", labdir), *txt = read_file(path, 65536, NULL);
	char **v, *line, *save;
	size_t n = 0;

	free(path);
	if (txt == NULL)
		return NULL;
	v = xcalloc(strlen(txt) / 2 + 2, sizeof(char *));   /* a name is >= 1 char + '\n' */
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *h = strchr(line, '#');

		if (h)
			*h = '\0';
		line += strspn(line, " \t");
		line[strcspn(line, " \t")] = '\0';
		if (*line != '\0')
			v[n++] = xstrdup(line);
	}
	free(txt);
	return v;
}

/* The packages a lab's `packages` file names that are not installed, as
 * " a b c", or NULL. */
static char *
missing_packages(const char *labdir)
{
	char **v = scn_lab_packages(labdir), *missing = NULL, *m;

	for (size_t i = 0; v && v[i]; i++) {
		if (!kathara_pkg_installed(v[i])) {
			m = xasprintf("%s %s", missing ? missing : "", v[i]);
			free(missing);
			missing = m;
		}
		free(v[i]);
	}
	free(v);
	return missing;
}

/* Called by start() in scn_lua.c through the runtime's events. */
static void
on_started(struct rt *rt, int ok, const char *msg, void *arg)
{
	struct scn *s = arg;

	if (s->phase != SCN_STARTING)
		return;
	s->phase = SCN_RUNNING;
	if (s->autostarting) {
		s->autostarting = 0;
		if (ok) {
			after_script(s);
		} else {
			set_error(s, msg, 1);
			scn_begin_teardown(s);
		}
		return;
	}
	if (ok && !s->o.quiet) {
		printf("%s%zu nodes ready in %.2f s:", s->o.tap ? "# " : "umlab: ", s->lab->nnodes, scn_elapsed(s));
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
	struct scn *s = arg;
	char *msg = xasprintf("node %s crashed: %s", ln->name, reason);

	fprintf(stderr, "umlab: %s\n", msg);
	free(msg);
	if (s->phase != SCN_RUNNING)
		return;
	scn_push_node(s->L, ln);
	lua_pushstring(s->L, reason);
	scn_emit(s, "node_down", 2);
}

static const struct rt_events rt_events = {
	.started = on_started,
	.node_down = on_node_down,
	.stopped = on_stopped,
};

/* report.json, then report.html made from it. */
static void
write_reports(struct scn *s)
{
	char err[1024];

	if (scn_write_report(s) == 0 && viz_report_write(s->outdir, NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "umlab: %s\n", err);
}

/* start() from Lua: create the runtime and bring the lab up. */
int scn_start_lab(struct scn *s, char *err, size_t errlen);

int
scn_start_lab(struct scn *s, char *err, size_t errlen)
{
	/* Guests may read the lab's folder (shared/) and, for a Kathará lab,
	 * the systemctl shim its start sequence puts first in PATH. */
	const char *ro_paths[] = { s->labdir, s->kathara ? s->kathara->shimdir : NULL, NULL };
	struct rt_options ro = {
		.outdir = s->outdir,
		.kernel = s->o.kernel,
		.init = s->o.init,
		.capture = s->o.capture,
		.quiet = s->o.quiet,
		.ro_paths = ro_paths,
		.seed = s->o.seed,
	};

	write_reports(s);   /* now with the lab's nodes and links */
	s->rt = rt_new(s->loop, s->lab, &ro, &rt_events, s, &s->env_problem, err, errlen);
	if (s->rt == NULL)
		return -1;
	s->phase = SCN_STARTING;
	scn_faults_start(s);
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
	if (!s->o.has_seed) {
		if (getrandom(&s->o.seed, sizeof(s->o.seed), 0) != sizeof(s->o.seed))
			s->o.seed = (unsigned long long)loop_now();
		s->o.seed &= 0xffffffffffffULL;   /* short enough to type back in */
	}
	if (s->o.timeout_s <= 0)
		s->o.timeout_s = DEFAULT_TIMEOUT_S;
	if ((s->path = scn_find_scenario(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "umlab: %s\n", err);
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	{
		char *d = xstrdup(s->path), real[PATH_MAX];

		/* Absolute: guests are given it (Landlock, host paths). */
		s->labdir = xstrdup(realpath(dirname(d), real) ? real : dirname(d));
		free(d);
	}
	labname = scn_lab_name_from(s->path);
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
	*(void **)lua_getextraspace(s->L) = NULL;   /* copied into every new thread */
	luaL_openlibs(s->L);
	lua_pushlightuserdata(s->L, s);
	lua_rawsetp(s->L, LUA_REGISTRYINDEX, &scn_key);
	scn_lua_open(s);

	if ((labname = missing_packages(s->labdir)) != NULL) {
		/* Before anything boots: the nodes run the host's programs. */
		fprintf(stderr, "umlab: this lab needs Debian packages that are not installed "
			"(%s/packages); install them first:\n  %sapt-get install%s\n", s->labdir,
			geteuid() ? "sudo " : "", labname);
		free(labname);
		scn_free(s);
		return UMLAB_EXIT_ENV;
	}
	if (strlen(s->path) >= 8 && strcmp(s->path + strlen(s->path) - 8, "lab.conf") == 0) {
		/* A Kathará/Netkit lab: the lab comes from lab.conf, the steps
		 * from a built-in scenario. */
		if ((s->kathara = kathara_open(s->labdir, s->lab, err, sizeof(err))) == NULL) {
			fprintf(stderr, "umlab: %s\n", err);
			scn_free(s);
			return UMLAB_EXIT_USAGE;
		}
		if ((labname = kathara_apt_line(s->kathara)) != NULL) {
			fprintf(stderr, "umlab: this lab's nodes run the host's programs, and some are "
				"missing; install them first:\n  %s%s\n", geteuid() ? "sudo " : "", labname);
			free(labname);
			scn_free(s);
			return UMLAB_EXIT_ENV;
		}
		if (!s->o.quiet)
			kathara_print_plan(s->kathara, stdout);
		st = luaL_loadbufferx(s->L, s->kathara->scenario, strlen(s->kathara->scenario),
				      "=lab.conf", "t");
	} else
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
	if (s->kathara && kathara_write_scripts(s->kathara, s->outdir, err, sizeof(err)) < 0) {
		fprintf(stderr, "umlab: %s\n", err);
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	/* Each device's folder, and the start sequence written above. */
	for (size_t i = 0; s->kathara && i < s->kathara->nnodes; i++) {
		struct kathara_node *kn = &s->kathara->nodes[i];

		if (kn->node == NULL)
			continue;   /* not started (e.g. a Wireshark image) */
		kn->node->files_dir = kn->files_dir ? xstrdup(kn->files_dir) : NULL;
		kn->node->startup = kn->startup ? xstrdup(kn->startup) : NULL;
		kn->node->shutdown = kn->shutdown ? xstrdup(kn->shutdown) : NULL;
	}
	if (setup_signals(s) < 0) {
		fprintf(stderr, "umlab: signalfd: %s\n", strerror(errno));
		scn_free(s);
		return UMLAB_EXIT_ENV;
	}
	write_reports(s);   /* "incomplete" until the end replaces it */
	if (s->o.interactive) {
		if (ctl_listen(s, s->o.ctl_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "umlab: %s\n", err);
			notify(s, "ERR", err);
			scn_free(s);
			return UMLAB_EXIT_USAGE;
		}
	} else {
		s->deadline = loop_timer_add(s->loop, (int64_t)(s->o.timeout_s * 1e9), on_deadline,
					     s);
	}
	s->co = lua_newthread(s->L);
	s->co_ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
	lua_xmove(s->L, s->co, 1);   /* the chunk */
	if (s->o.tap)
		printf("TAP version 13\n# umlab: running %s (seed %llu)\n", s->path, s->o.seed);
	else if (!s->o.quiet)
		printf("umlab: running %s (seed %llu)\n", s->path, s->o.seed);
	s->phase = SCN_BUILD;
	scn_resume(s, s->co, 0);
	if (s->phase != SCN_DONE)
		loop_run(s->loop);
report:
	s->duration_s = scn_elapsed(s);
	s->report_final = 1;
	if (mkdir_p(s->outdir, 0755) == 0) {
		if (s->faults)
			fault_clear_all(s->faults);
		check_replay(s);
	}
	if (s->error && !s->o.quiet)
		fprintf(stderr, "umlab: %s\n", s->error);
	if (mkdir_p(s->outdir, 0755) == 0) {
		write_reports(s);        /* reads link counters: before rt_free */
		scn_write_junit(s);
		scn_write_topology(s);
	}
	v = scn_verdict(s);          /* while the runtime and the fault log still exist */
	rc = scn_exit_status(v);
	rt_free(s->rt);              /* closes the captures, removes the runtime folder */
	s->rt = NULL;
	ctl_close(s);                /* after rt_free: pending execs are answered first */
	fault_ctx_free(s->faults);   /* after rt_free too: a fault's exec is answered first */
	s->faults = NULL;
	notify(s, "ERR", s->error ? s->error : "the lab ended before it was ready");
	scn_print_summary(s, v);
	scn_free(s);
	return rc;
}
