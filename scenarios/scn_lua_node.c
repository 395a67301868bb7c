/*
 * scn_lua_node.c - the Lua API of node files and the full agent
 * (scenarios/API.md): node options persist/files/startup/shutdown,
 * node:exec with options, node:put, node:get, node:startup_status.
 *
 * Paths in node options are relative to the scenario's folder and are
 * checked when node() runs, so a missing one is reported at its line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/util.h"
#include "node/agent.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define NODE_MT "umlab.node"
#define MAX_ARGV 256
#define MAX_ENV 256
#define DISK_SIZE (1024LL * 1024 * 1024)	/* sparse: only what is written takes room */
#define PUT_MAX (64u * 1024 * 1024)

extern char **environ;

struct ud { size_t index; };

static struct lab_node *
check_node(lua_State *L, int arg)
{
	struct scn *s = scn_from_lua(L);
	struct ud *u = luaL_checkudata(L, arg, NODE_MT);

	return s->lab->nodes[u->index];
}

/* A path from the scenario, made absolute against its folder. */
static char *
scenario_path(struct scn *s, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", s->labdir ? s->labdir : ".", p);
}

static char *
opt_path(lua_State *L, int arg, const char *key, const char *node, int want_dir)
{
	struct scn *s = scn_from_lua(L);
	struct stat st;
	const char *v;
	char *path;

	if (lua_getfield(L, arg, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if ((v = lua_tostring(L, -1)) == NULL)
		luaL_error(L, "node %s: option '%s' must be a path", node, key);
	path = scenario_path(s, v);
	if (stat(path, &st) == -1 || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		int e = errno;

		lua_pushfstring(L, "node %s: %s '%s' not found (%s: %s)", node,
				want_dir ? "files folder" : key, v, path,
				stat(path, &st) == -1 ? strerror(e)
				: want_dir ? "not a folder" : "not a regular file");
		free(path);
		luaL_where(L, 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
		lua_error(L);
	}
	lua_pop(L, 1);
	return path;
}

/* Who holds UML's lock on the image (UML takes an fcntl write lock on
 * every ubd file it opens): 0 when nobody does. */
static pid_t
disk_locker(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid ? fl.l_pid : -1;
}

static int
run_mkfs(const char *path, char *err, size_t errlen)
{
	char *argv[] = { "mkfs.ext4", "-q", "-F", "-m", "0", "-E",
			 "lazy_itable_init=1,lazy_journal_init=1", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	setenv("PATH", getenv("PATH") ? getenv("PATH") : "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	r = posix_spawnp(&pid, "mkfs.ext4", &fa, NULL, argv, environ);
	if (r != 0 && (r = posix_spawn(&pid, "/usr/sbin/mkfs.ext4", &fa, NULL, argv, environ)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		snprintf(err, errlen, "mkfs.ext4: %s (install e2fsprogs)", strerror(r));
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "mkfs.ext4 failed (status %d)", WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

/* Make sure path is a usable ext4 image: create it (sparse) if absent,
 * refuse one another lab holds or one without an ext4 superblock. */
static int
disk_prepare(const char *path, char *err, size_t errlen)
{
	unsigned char magic[2];
	pid_t holder;
	int fd;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 && errno == ENOENT) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1 ||
		    ftruncate(fd, DISK_SIZE) == -1) {
			snprintf(err, errlen, "cannot create it: %s", strerror(errno));
			if (fd != -1) {
				close(fd);
				unlink(path);
			}
			return -1;
		}
		close(fd);
		if (run_mkfs(path, err, errlen) == -1) {
			unlink(path);
			return -1;
		}
		return 0;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if ((holder = disk_locker(fd)) != 0) {
		snprintf(err, errlen, "in use by another running guest (process %d): stop that lab first",
			 (int)holder);
		close(fd);
		return -1;
	}
	/* ext4 superblock at 1024, magic 0xEF53 at offset 56 in it. */
	if (pread(fd, magic, 2, 1024 + 56) != 2 || magic[0] != 0x53 || magic[1] != 0xef) {
		snprintf(err, errlen, "not an ext4 image (corrupt?); delete it to start afresh");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* node(name, {persist=, files=, startup=, shutdown=}): called from l_node. */
void
scn_lua_node_options(lua_State *L, int arg, struct lab_node *n)
{
	struct scn *s = scn_from_lua(L);
	char err[256];

	if (!lua_istable(L, arg))
		return;
	n->files_dir = opt_path(L, arg, "files", n->name, 1);
	n->startup = opt_path(L, arg, "startup", n->name, 0);
	n->shutdown = opt_path(L, arg, "shutdown", n->name, 0);
	lua_getfield(L, arg, "data_disk");
	if (!lua_isnil(L, -1)) {
		const char *v = lua_tostring(L, -1);
		char *end = NULL;
		double mb = v ? strtod(v, &end) : -1;

		if (end && (*end == 'M' || *end == 'm'))
			end++;
		else if (end && (*end == 'G' || *end == 'g')) {
			end++;
			mb *= 1024;
		}
		if (v == NULL || end == v || (end && *end) || !(mb >= 1 && mb <= 1 << 20))
			luaL_error(L, "node %s: data_disk must be a size such as \"64M\" or \"1G\" "
				   "(1 MiB .. 1 TiB)", n->name);
		n->data_disk_bytes = (uint64_t)(mb * 1048576.0) / 512 * 512;
	}
	lua_pop(L, 1);
	lua_getfield(L, arg, "persist");
	if (lua_type(L, -1) == LUA_TSTRING)
		n->disk = scenario_path(s, lua_tostring(L, -1));
	else if (lua_toboolean(L, -1))
		n->disk = xasprintf("%s/%s.disk", s->labdir ? s->labdir : ".", n->name);
	lua_pop(L, 1);
	if (n->disk != NULL) {
		n->persist = 1;
		if (disk_prepare(n->disk, err, sizeof(err)) == -1)
			luaL_error(L, "node %s: disk %s: %s", n->name, n->disk, err);
	}
}

/* --- waiting for the agent --- */

struct pending {
	struct scn *s;
	lua_State *co;
	int ref;
	int kind;	/* 'x' exec, 'p' put, 'g' get */
	char *what;	/* for messages */
};

void
scn_push_exec_result(lua_State *co, const struct agent_exec_result *r)
{
	lua_createtable(co, 0, 8);
	if (WIFEXITED(r->status)) {
		lua_pushinteger(co, WEXITSTATUS(r->status));
	} else {
		lua_pushinteger(co, 128 + WTERMSIG(r->status));
		lua_pushinteger(co, WTERMSIG(r->status));
		lua_setfield(co, -3, "signal");
	}
	lua_setfield(co, -2, "status");
	lua_pushlstring(co, r->out, r->out_len);
	lua_setfield(co, -2, "stdout");
	lua_pushlstring(co, r->err, r->err_len);
	lua_setfield(co, -2, "stderr");
	lua_pushnumber(co, (double)r->duration_ns / 1e9);
	lua_setfield(co, -2, "duration");
	lua_pushboolean(co, WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0 && !r->timed_out);
	lua_setfield(co, -2, "ok");
	if (r->timed_out) {
		lua_pushboolean(co, 1);
		lua_setfield(co, -2, "timed_out");
	}
	if (r->detached) {
		lua_pushboolean(co, 1);
		lua_setfield(co, -2, "detached");
	}
	if (r->truncated) {
		lua_pushboolean(co, 1);
		lua_setfield(co, -2, "truncated");
	}
}

static void
done(const struct agent_exec_result *r, void *arg)
{
	struct pending *p = arg;
	struct scn *s = p->s;
	lua_State *co = p->co;
	int kind = p->kind;
	char *what = p->what;

	luaL_unref(s->L, LUA_REGISTRYINDEX, p->ref);
	free(p);
	if (s->phase >= SCN_TEARDOWN) {
		free(what);
		return;
	}
	if (r->error != NULL) {
		lua_pushboolean(co, 0);
		lua_pushfstring(co, "%s: %s", what, r->error);
	} else if (kind == 'x') {
		lua_pushboolean(co, 1);
		scn_push_exec_result(co, r);
	} else if (kind == 'g') {
		lua_pushboolean(co, 1);
		lua_pushlstring(co, r->out, r->out_len);
	} else {
		lua_pushboolean(co, 1);
		lua_pushboolean(co, 1);
	}
	free(what);
	scn_resume(s, co, 2);
}

/* The ready node's agent, or a Lua error naming the node. */
static struct agent *
ready_agent(lua_State *L, struct lab_node *ln, const char *what)
{
	struct scn *s = scn_from_lua(L);
	struct node *n;
	struct agent *a;

	if (s->phase != SCN_RUNNING)
		luaL_error(L, "%s on %s: the lab is not started (call start() first)", what, ln->name);
	n = rt_node(s->rt, ln);
	if (n == NULL || (a = node_agent(n)) == NULL) {
		s->error_is_run = 1;
		luaL_error(L, "%s on %s: node is %s", what, ln->name,
			   n ? node_state_name(node_state(n)) : "not started");
	}
	return a;
}

static struct pending *
pending_new(lua_State *L, int kind, const char *what)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->s = scn_from_lua(L);
	p->co = L;
	p->kind = kind;
	p->what = xstrdup(what);
	lua_pushthread(L);
	p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return p;
}

static void
pending_cancel(lua_State *L, struct pending *p)
{
	luaL_unref(L, LUA_REGISTRYINDEX, p->ref);
	free(p->what);
	free(p);
}

/* env: {"K=V", ...} or {K = "V", ...}; built strings are kept alive in
 * the table at index keep. */
static void
collect_env(lua_State *L, int t, int keep, const char **env, int max)
{
	int n = 0;

	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		if (n == max)
			luaL_error(L, "exec: more than %d env entries", max);
		if (lua_type(L, -2) == LUA_TNUMBER) {
			env[n++] = luaL_checkstring(L, -1);
		} else {
			lua_pushfstring(L, "%s=%s", luaL_checkstring(L, -2), luaL_checkstring(L, -1));
			env[n++] = lua_tostring(L, -1);
			lua_rawseti(L, keep, n);
		}
		lua_pop(L, 1);
	}
	env[n] = NULL;
}

/* node:exec(cmd [, {env=, cwd=, stdin=, timeout=}]) -> result */
static int
l_exec(lua_State *L)
{
	struct lab_node *ln = check_node(L, 1);
	const char *argv[MAX_ARGV + 1], *env[MAX_ENV + 1];
	struct agent_exec_opts o = { 0 };
	struct pending *p;
	struct agent *a;
	char what[96];

	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_Integer len = luaL_len(L, 2);

		if (len < 1 || len > MAX_ARGV)
			return luaL_argerror(L, 2, "argv table must hold 1..256 strings");
		for (lua_Integer i = 1; i <= len; i++) {
			lua_geti(L, 2, i);
			if ((argv[i - 1] = lua_tostring(L, -1)) == NULL)
				return luaL_argerror(L, 2, "argv table must hold strings");
			lua_pop(L, 1);
		}
		argv[len] = NULL;
	} else {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = luaL_checkstring(L, 2);
		argv[3] = NULL;
	}
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "env") == LUA_TTABLE) {
			int t = lua_gettop(L);

			lua_newtable(L);	/* stays on the stack until we yield */
			collect_env(L, t, t + 1, env, MAX_ENV);
			o.env = env;
		} else if (!lua_isnil(L, -1)) {
			return luaL_argerror(L, 3, "env must be a table");
		}
		if (lua_getfield(L, 3, "cwd") != LUA_TNIL)
			o.cwd = luaL_checkstring(L, -1);
		if (lua_getfield(L, 3, "stdin") != LUA_TNIL)
			o.stdin_data = luaL_checklstring(L, -1, &o.stdin_len);
		if (lua_getfield(L, 3, "timeout") != LUA_TNIL) {
			lua_Number t = luaL_checknumber(L, -1);

			if (t <= 0 || t > 86400)
				return luaL_argerror(L, 3, "timeout must be within 0..86400 seconds");
			o.timeout_ms = (unsigned)(t * 1000 + 0.5);
			if (o.timeout_ms == 0)
				o.timeout_ms = 1;
		}
		if (lua_getfield(L, 3, "pty") != LUA_TNIL) {
			o.pty = lua_toboolean(L, -1);
			lua_getfield(L, 3, "rows");
			lua_getfield(L, 3, "cols");
			o.rows = (unsigned)luaL_optinteger(L, -2, 24);
			o.cols = (unsigned)luaL_optinteger(L, -1, 80);
		}
		/* Values stay on the stack (and so alive) until we yield. */
	}
	a = ready_agent(L, ln, "exec");
	snprintf(what, sizeof(what), "exec on %s", ln->name);
	p = pending_new(L, 'x', what);
	if (agent_exec_ex(a, argv, &o, done, p) < 0) {
		int e = errno;

		pending_cancel(L, p);
		scn_from_lua(L)->error_is_run = e != E2BIG && e != EINVAL;
		return luaL_error(L, "exec on %s: %s", ln->name,
				  e == E2BIG ? "command too long" : e == EINVAL ? "bad env entry"
				  : "the agent is not reachable");
	}
	return scn_yield(L);
}

/* Read a whole host file; NULL with errno on failure. */
static char *
slurp(const char *path, size_t *len, mode_t *mode)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (size_t)st.st_size > PUT_MAX) {
		if (errno == 0 || S_ISREG(st.st_mode))
			errno = EFBIG;
		else
			errno = EINVAL;
		close(fd);
		return NULL;
	}
	buf = xcalloc(1, (size_t)st.st_size + 1);
	while (off < (size_t)st.st_size && (n = read(fd, buf + off, st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	*len = off;
	*mode = st.st_mode & 07777;
	return buf;
}

/* node:put(src, guest_path [, mode]): src is {data = "..."}, the path of
 * a host file (relative to the scenario's folder), or else the content. */
static int
l_put(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	const char *dst = luaL_checkstring(L, 3);
	const char *data = NULL;
	char *file = NULL, *path, what[96];
	size_t len = 0;
	mode_t mode = 0644;
	struct pending *p;
	struct agent *a;
	int r;

	/* Read the mode first: getting a table's data field pushes onto slot 4. */
	if (!lua_isnoneornil(L, 4))
		mode = (mode_t)luaL_checkinteger(L, 4) & 07777;
	lua_settop(L, 4);
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "data");
		data = luaL_checklstring(L, -1, &len);
	} else {
		data = luaL_checklstring(L, 2, &len);
		if (len > 0 && len < 4096 && memchr(data, '\n', len) == NULL &&
		    strlen(data) == len) {
			path = scenario_path(s, data);
			if (access(path, F_OK) == 0) {
				if ((file = slurp(path, &len, &mode)) == NULL) {
					int e = errno;

					free(path);
					return luaL_error(L, "put on %s: %s: %s", ln->name, data,
							  strerror(e));
				}
				data = file;
			}
			free(path);
		}
	}
	a = ready_agent(L, ln, "put");
	snprintf(what, sizeof(what), "put on %s", ln->name);
	p = pending_new(L, 'p', what);
	r = agent_put(a, dst, mode, data, len, done, p);
	free(file);
	if (r < 0) {
		pending_cancel(L, p);
		return luaL_error(L, "put on %s: %s: %s", ln->name, dst,
				  errno == EINVAL ? "bad path" : "the agent is not reachable");
	}
	return scn_yield(L);
}

/* node:get(guest_path) -> content */
static int
l_get(lua_State *L)
{
	struct lab_node *ln = check_node(L, 1);
	const char *src = luaL_checkstring(L, 2);
	struct pending *p;
	struct agent *a;
	char what[96];

	a = ready_agent(L, ln, "get");
	snprintf(what, sizeof(what), "get on %s", ln->name);
	p = pending_new(L, 'g', what);
	if (agent_get(a, src, done, p) < 0) {
		pending_cancel(L, p);
		return luaL_error(L, "get on %s: %s: %s", ln->name, src,
				  errno == EINVAL ? "bad path" : "the agent is not reachable");
	}
	return scn_yield(L);
}

/* node:startup_status() -> the startup script's exit status, or nil */
static int
l_startup_status(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	struct node *n = s->rt ? rt_node(s->rt, ln) : NULL;
	const char *k;

	if (n == NULL || (k = strstr(node_ready_info(n), "startup_status ")) == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, strtol(k + 15, NULL, 10));
	return 1;
}

/* Adds (or replaces) node methods in the node metatable's __methods. */
void
scn_lua_node_open(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "exec", l_exec }, { "put", l_put }, { "get", l_get },
		{ "startup_status", l_startup_status }, { NULL, NULL },
	};

	luaL_getmetatable(L, NODE_MT);
	lua_getfield(L, -1, "__methods");
	luaL_setfuncs(L, methods, 0);
	lua_pop(L, 2);
}
