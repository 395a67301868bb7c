/*
 * scn_lua.c - the Lua API of scenarios (documented in scenarios/API.md).
 *
 * Nodes and switches are userdata holding an index into the lab model,
 * never a raw pointer, with the named metatables "umlab.node" and
 * "umlab.switch".  Calls that wait yield the scenario's coroutine (see
 * scn.c); every error carries the caller's file:line.
 */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <lua.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/lab.h"
#include "core/loop.h"
#include "core/util.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define NODE_MT "umlab.node"
#define SWITCH_MT "umlab.switch"
#define MAX_ARGV 256

int scn_start_lab(struct scn *s, char *err, size_t errlen);

struct ud { size_t index; };

static struct lab_node *
check_node(lua_State *L, int arg)
{
	struct scn *s = scn_from_lua(L);
	struct ud *u = luaL_checkudata(L, arg, NODE_MT);

	return s->lab->nodes[u->index];
}

static void
push_ud(lua_State *L, size_t index, const char *mt)
{
	struct ud *u = lua_newuserdatauv(L, sizeof(*u), 0);

	u->index = index;
	luaL_setmetatable(L, mt);
}

static void
need_build_phase(lua_State *L, struct scn *s, const char *what)
{
	if (s->phase != SCN_BUILD)
		luaL_error(L, "%s: the topology is fixed once start() has run", what);
}

/* Optional string field of an options table at arg. */
static const char *
opt_field_string(lua_State *L, int arg, const char *key)
{
	const char *v = NULL;

	if (!lua_istable(L, arg))
		return NULL;
	if (lua_getfield(L, arg, key) != LUA_TNIL) {
		if (!lua_isstring(L, -1))
			luaL_error(L, "option '%s' must be a string", key);
		v = lua_tostring(L, -1);
	}
	lua_pop(L, 1);   /* the string stays alive: it is referenced by the table */
	return v;
}

/* node(name [, {mem=MB, gateway="a.b.c.d"}]) */
static int
l_node(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	struct lab_node *n;
	const char *gw;
	char err[256];

	need_build_phase(L, s, "node");
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	if ((n = lab_add_node(s->lab, name, err, sizeof(err))) == NULL)
		return luaL_argerror(L, 1, err);
	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "mem") != LUA_TNIL) {
			lua_Integer mem = luaL_checkinteger(L, -1);

			if (mem < 40 || mem > 4096)
				luaL_error(L, "node %s: mem=%d MB is outside 40..4096 (UML needs at least "
					   "about 36 MB to boot)", name, (int)mem);
			n->mem_mb = (unsigned)mem;
		}
		lua_pop(L, 1);
		if ((gw = opt_field_string(L, 2, "gateway")) != NULL) {
			int prefix;

			if (lab_parse_cidr(gw, &n->gateway, &prefix) < 0 || prefix != 32)
				luaL_error(L, "node %s: bad gateway '%s' (want a.b.c.d)", name, gw);
			n->has_gateway = 1;
		}
	}
	scn_lua_node_options(L, 2, n);
	push_ud(L, s->lab->nnodes - 1, NODE_MT);
	return 1;
}

static int
add_switch(lua_State *L, enum lab_switch_kind kind, const char *what)
{
	struct scn *s = scn_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	char err[256];

	need_build_phase(L, s, what);
	if (lab_add_switch(s->lab, name, kind, err, sizeof(err)) == NULL)
		return luaL_argerror(L, 1, err);
	push_ud(L, s->lab->nswitches - 1, SWITCH_MT);
	return 1;
}

/* switch(name) */
static int
l_switch(lua_State *L)
{
	return add_switch(L, LAB_SWITCH, "switch");
}

/* hub(name) */
static int
l_hub(lua_State *L)
{
	return add_switch(L, LAB_HUB, "hub");
}

/* The address argument of link(): "a.b.c.d/n", {ip="..."} or nil. */
static const char *
addr_arg(lua_State *L, int arg)
{
	if (lua_isnoneornil(L, arg))
		return NULL;
	if (lua_istable(L, arg))
		return opt_field_string(L, arg, "ip");
	return luaL_checkstring(L, arg);
}

/* link(node, switch [, addr]) or link(node, node [, addr_a [, addr_b]]);
 * returns the link's name. */
static int
l_link(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *a = check_node(L, 1), *b = NULL;
	struct lab_switch *sw;
	struct lab_link *k;
	const char *ip_a = addr_arg(L, 3), *ip_b = NULL;
	char err[256];

	need_build_phase(L, s, "link");
	if (luaL_testudata(L, 2, NODE_MT) != NULL) {
		char name[LAB_NAME_MAX + 16];
		int i = 0;

		b = check_node(L, 2);
		if (a == b)
			return luaL_argerror(L, 2, "cannot link a node to itself");
		ip_b = addr_arg(L, 4);
		/* A direct cable is a two-port wire in the fabric. */
		snprintf(name, sizeof(name), "%.14s-%.14s", a->name, b->name);
		while (lab_find_switch(s->lab, name) || lab_find_node(s->lab, name))
			snprintf(name, sizeof(name), "%.12s-%.12s-%d", a->name, b->name, ++i);
		if ((sw = lab_add_switch(s->lab, name, LAB_WIRE, err, sizeof(err))) == NULL)
			return luaL_error(L, "%s", err);
	} else {
		struct ud *u = luaL_checkudata(L, 2, SWITCH_MT);

		sw = s->lab->switches[u->index];
	}
	if ((k = lab_connect(s->lab, a, sw, ip_a, err, sizeof(err))) == NULL)
		return luaL_argerror(L, 3, err);
	scn_lua_net_link_opts(L, k, 3);
	if (b != NULL && lab_connect(s->lab, b, sw, ip_b, err, sizeof(err)) == NULL)
		return luaL_argerror(L, 4, err);
	lua_pushstring(L, k->name);
	return 1;
}

/* start(): boot every node; returns when all are ready. */
static int
l_start(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	char err[1024];

	if (s->phase != SCN_BUILD)
		return luaL_error(L, "start: the lab is already started");
	if (L != s->co)
		return luaL_error(L, "start: call it from the scenario itself");
	if (scn_start_lab(s, err, sizeof(err)) < 0) {
		s->error_is_run = 1;
		return luaL_error(L, "start: %s", err);
	}
	return scn_yield(L);
}

struct pending_exec {
	struct scn *s;
	lua_State *co;
	int ref;               /* keeps co alive while we wait */
};

static void
exec_done(const struct agent_exec_result *r, void *arg)
{
	struct pending_exec *p = arg;
	struct scn *s = p->s;
	lua_State *co = p->co;

	luaL_unref(s->L, LUA_REGISTRYINDEX, p->ref);
	free(p);
	if (s->phase >= SCN_TEARDOWN)
		return;
	if (r->error != NULL) {
		lua_pushboolean(co, 0);
		lua_pushfstring(co, "exec: %s", r->error);
		scn_resume(s, co, 2);
		return;
	}
	lua_pushboolean(co, 1);
	scn_push_exec_result(co, r);
	scn_resume(s, co, 2);
}

/* node:exec(cmd): cmd is a shell command line or an argv table.
 * Returns {status=, stdout=, stderr=, duration=, ok=}. */
static int
l_exec(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	const char *argv[MAX_ARGV + 1];
	struct pending_exec *p;
	struct node *n;

	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_Integer len = luaL_len(L, 2);

		if (len < 1 || len > MAX_ARGV)
			return luaL_argerror(L, 2, "argv table must hold 1..256 strings");
		for (lua_Integer i = 1; i <= len; i++) {
			lua_geti(L, 2, i);
			argv[i - 1] = lua_tostring(L, -1);
			if (argv[i - 1] == NULL)
				return luaL_argerror(L, 2, "argv table must hold strings");
			lua_pop(L, 1);   /* still referenced by the table */
		}
		argv[len] = NULL;
	} else {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = luaL_checkstring(L, 2);
		argv[3] = NULL;
	}
	if (s->phase != SCN_RUNNING)
		return luaL_error(L, "exec on %s: the lab is not started (call start() first)",
				  ln->name);
	n = rt_node(s->rt, ln);
	if (n == NULL || node_state(n) != NODE_READY) {
		s->error_is_run = 1;
		return luaL_error(L, "exec on %s: node is %s", ln->name,
				  n ? node_state_name(node_state(n)) : "not started");
	}
	p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->co = L;
	lua_pushthread(L);
	p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (node_exec(n, argv, exec_done, p) < 0) {
		luaL_unref(L, LUA_REGISTRYINDEX, p->ref);
		free(p);
		s->error_is_run = 1;
		return luaL_error(L, "exec on %s: the agent is not reachable", ln->name);
	}
	return scn_yield(L);
}

/* node:sh(cmd): like exec, but raises an error unless the command
 * succeeds; returns its stdout. */
static int
l_sh_k(lua_State *L, int status, lua_KContext ctx)
{
	int top = lua_gettop(L);   /* node, cmd, result */
	struct lab_node *ln = check_node(L, 1);

	lua_getfield(L, top, "ok");
	if (!lua_toboolean(L, -1)) {
		lua_getfield(L, top, "status");
		lua_getfield(L, top, "stderr");
		return luaL_error(L, "sh on %s: '%s' failed with status %d: %s", ln->name,
				  lua_tostring(L, 2), (int)lua_tointeger(L, -2), lua_tostring(L, -1));
	}
	lua_getfield(L, top, "stdout");
	return 1;
}

static int
l_sh(lua_State *L)
{
	check_node(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_pushcfunction(L, l_exec);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_callk(L, 2, 1, 0, l_sh_k);
	return l_sh_k(L, LUA_OK, 0);
}

struct pending_sleep {
	struct scn *s;
	lua_State *co;
	int ref;
};

static int64_t
sleep_done(struct loop_timer *t, void *arg)
{
	struct pending_sleep *p = arg;
	struct scn *s = p->s;
	lua_State *co = p->co;

	luaL_unref(s->L, LUA_REGISTRYINDEX, p->ref);
	free(p);
	lua_pushboolean(co, 1);
	lua_pushnil(co);
	scn_resume(s, co, 2);
	return LOOP_TIMER_DONE;
}

/* sleep(seconds): wait without blocking the lab. */
static int
l_sleep(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	double secs = luaL_checknumber(L, 1);
	struct pending_sleep *p;

	if (secs < 0 || secs > 86400)
		return luaL_argerror(L, 1, "seconds must be within 0..86400");
	p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->co = L;
	lua_pushthread(L);
	p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	loop_timer_add(s->loop, (int64_t)(secs * 1e9), sleep_done, p);
	return scn_yield(L);
}

static void
where(lua_State *L, char *buf, size_t len)
{
	lua_Debug ar;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
		snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
	else
		snprintf(buf, len, "?");
}

/* check(name, condition [, detail]): record a named check; returns the
 * condition.  Never raises. */
static int
l_check(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	int ok;
	const char *detail;
	char at[256];

	luaL_checkany(L, 2);
	ok = lua_toboolean(L, 2);
	detail = lua_isnoneornil(L, 3) ? NULL : luaL_tolstring(L, 3, NULL);
	where(L, at, sizeof(at));
	scn_add_check(s, name, ok, at, detail);
	lua_pushboolean(L, ok);
	return 1;
}

/* outcome(class): classify this run for campaigns (e.g.
 * "silent_corruption"); the last call wins. */
static int
l_outcome(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *c = luaL_checkstring(L, 1);

	for (const char *p = c; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return luaL_argerror(L, 1, "use lower-case letters, digits, '_' or '-'");
	if (*c == '\0' || strlen(c) > 40)
		return luaL_argerror(L, 1, "1..40 characters");
	free(s->outcome);
	s->outcome = xstrdup(c);
	return 0;
}

/* lab{name=...}: metadata (optional). */
static int
l_lab(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *name;

	luaL_checktype(L, 1, LUA_TTABLE);
	need_build_phase(L, s, "lab");
	if ((name = opt_field_string(L, 1, "name")) != NULL)
		snprintf(s->lab->name, sizeof(s->lab->name), "%s", name);
	return 0;
}

void
scn_push_node(lua_State *L, const struct lab_node *ln)
{
	struct scn *s = scn_from_lua(L);

	for (size_t i = 0; i < s->lab->nnodes; i++)
		if (s->lab->nodes[i] == ln) {
			push_ud(L, i, NODE_MT);
			return;
		}
	lua_pushnil(L);
}

/* outdir() -> the run's output folder, for files a scenario writes itself
 * (a plot, a table) beside report.json */
static int
l_outdir(lua_State *L)
{
	lua_pushstring(L, scn_from_lua(L)->outdir);
	return 1;
}

/* nodes() -> every node of the lab, in the order they were made */
static int
l_nodes(lua_State *L)
{
	struct scn *s = scn_from_lua(L);

	lua_createtable(L, (int)s->lab->nnodes, 0);
	for (size_t i = 0; i < s->lab->nnodes; i++) {
		push_ud(L, i, NODE_MT);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* now() -> seconds since the run began */
static int
l_now(lua_State *L)
{
	lua_pushnumber(L, scn_elapsed(scn_from_lua(L)));
	return 1;
}

/* param(name [, default]): a -D name=value from the command line,
 * converted to the type of default when one is given. */
static int
l_param(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lua_getglobal(L, "params");
	if (lua_getfield(L, -1, name) == LUA_TNIL) {
		lua_settop(L, 2);
		return 1;
	}
	if (lua_type(L, 2) == LUA_TNUMBER) {
		if (!lua_stringtonumber(L, lua_tostring(L, -1)))
			return luaL_error(L, "param %s: '%s' is not a number", name, lua_tostring(L, -1));
	} else if (lua_type(L, 2) == LUA_TBOOLEAN) {
		const char *v = lua_tostring(L, -1);

		lua_pushboolean(L, strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
				strcmp(v, "yes") == 0);
	}
	return 1;
}

/* Checks and waits written in Lua on top of the C API. */
static const char prelude[] =
	"local check, sleep, now = check, sleep, now\n"
	"function wait_until(pred, timeout, interval)\n"
	"  timeout = timeout or 30; interval = interval or 0.2\n"
	"  -- umlab check --wait S: no wait in the checks is longer than S\n"
	"  if umlab_wait_cap__ and timeout > umlab_wait_cap__ then timeout = umlab_wait_cap__ end\n"
	"  local deadline = now() + timeout\n"
	"  while true do\n"
	"    local v = pred()\n"
	"    if v then return v end\n"
	"    if now() >= deadline then return false end\n"
	"    sleep(interval)\n"
	"  end\n"
	"end\n"
	"function expect_eq(name, want, got)\n"
	"  return check(name, want == got, string.format('want %q, got %q', tostring(want), tostring(got)))\n"
	"end\n"
	"function expect_match(name, pattern, s)\n"
	"  s = s == nil and '' or tostring(s)\n"
	"  return check(name, s:find(pattern) ~= nil, string.format('%q does not match %q', s, pattern))\n"
	"end\n"
	"function umlab_signatures__(dir, record)\n"
	"  local cmds = { 'ip -4 -o addr show | awk \\'{print $2, $4}\\' | sort',\n"
	"                 'ip -4 route show | sort',\n"
	"                 'ss -Hltnu 2>/dev/null | awk \\'{print $1, $5}\\' | sort -u' }\n"
	"  os.execute('mkdir -p \\'' .. dir .. '/signature\\'')\n"
	"  for _, n in ipairs(nodes()) do\n"
	"    local ok, sig = pcall(function()\n"
	"      local out = {}\n"
	"      for _, c in ipairs(cmds) do out[#out + 1] = '$ ' .. c .. '\\n' .. n:exec(c).stdout end\n"
	"      local t = { default = table.concat(out) }\n"
	"      local f = io.open(dir .. '/' .. n.name .. '.test')\n"
	"      -- The script's text, not its path: the guest's /tmp is its own.\n"
	"      if f then local src = f:read('a'); f:close(); t.user = n:exec({ '/bin/sh', '-c', src }).stdout end\n"
	"      return t\n"
	"    end)\n"
	"    if not ok then check('signature of ' .. n.name, false, sig) else\n"
	"    for _, kind in ipairs({ 'default', 'user' }) do\n"
	"      local text, path = sig[kind], dir .. '/signature/' .. n.name .. '.' .. kind\n"
	"      if text and record then\n"
	"        local f = assert(io.open(path, 'w')); f:write(text); f:close()\n"
	"        check('recorded ' .. n.name .. '.' .. kind, true)\n"
	"      elseif text then\n"
	"        local f = io.open(path); local old = f and f:read('a'); if f then f:close() end\n"
	"        if old == nil then check(n.name .. '.' .. kind .. ' matches its signature', false, 'no signature: run umlab test --record first')\n"
	"        else check(n.name .. '.' .. kind .. ' matches its signature', old == text, 'recorded:\\n' .. old .. 'now:\\n' .. text) end\n"
	"      end\n"
	"    end end\n"
	"  end\n"
	"end\n"
	"-- Exercise mode (umlab start --exercise): solution blocks are the\n"
	"-- student's part and are skipped; checks blocks are kept for umlab check.\n"
	"local checkblocks = {}\n"
	"function solution(name, fn)\n"
	"  if type(name) ~= 'string' or type(fn) ~= 'function' then error('usage: solution(name, function() ... end)', 2) end\n"
	"  if umlab_exercise__ then print('umlab: exercise: left to the student: ' .. name); return false end\n"
	"  fn()\n"
	"  return true\n"
	"end\n"
	"function checks(fn)\n"
	"  if type(fn) ~= 'function' then error('usage: checks(function() ... end)', 2) end\n"
	"  checkblocks[#checkblocks + 1] = fn\n"
	"  if not umlab_exercise__ then fn() end\n"
	"end\n"
	"function exercise() return umlab_exercise__ == true end\n"
	"-- umlab check: every checks block again, each wait at most cap seconds.\n"
	"-- Returns nil, or the error that stopped a block.\n"
	"function umlab_checks__(cap)\n"
	"  if #checkblocks == 0 then return 'this lab has no checks(function() ... end) block' end\n"
	"  umlab_wait_cap__ = cap\n"
	"  local err\n"
	"  for _, fn in ipairs(checkblocks) do\n"
	"    local ok, e = pcall(fn)\n"
	"    if not ok then err = tostring(e); break end\n"
	"  end\n"
	"  umlab_wait_cap__ = nil\n"
	"  return err\n"
	"end\n"
	"function expect_ok(name, r)\n"
	"  return check(name, r.ok, string.format('status %s: %s%s', tostring(r.status), r.stdout or '', r.stderr or ''))\n"
	"end\n";

static void
open_params(struct scn *s)
{
	lua_State *L = s->L;

	lua_newtable(L);
	for (char **d = s->o.defines; d && *d; d++) {
		const char *eq = strchr(*d, '=');

		if (eq == NULL)
			continue;   /* checked by the command line parser */
		lua_pushlstring(L, *d, (size_t)(eq - *d));
		lua_pushstring(L, eq + 1);
		lua_settable(L, -3);
	}
	lua_setglobal(L, "params");
	lua_register(L, "param", l_param);
	lua_pushinteger(L, (lua_Integer)s->o.seed);
	lua_setglobal(L, "seed");
	/* The same seed gives the same math.random() sequence. */
	lua_getglobal(L, "math");
	lua_getfield(L, -1, "randomseed");
	lua_pushinteger(L, (lua_Integer)s->o.seed);
	lua_call(L, 1, 0);
	lua_pop(L, 1);
	/* require() finds modules in the scenario's folder first. */
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", s->labdir, s->labdir);
	lua_getfield(L, -2, "path");
	lua_concat(L, 2);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);
}

static int
node_index(lua_State *L)
{
	struct lab_node *ln = check_node(L, 1);
	const char *key = luaL_checkstring(L, 2);

	if (strcmp(key, "name") == 0) {
		lua_pushstring(L, ln->name);
		return 1;
	}
	luaL_getmetafield(L, 1, "__methods");
	lua_getfield(L, -1, key);
	return 1;
}

static int
node_tostring(lua_State *L)
{
	lua_pushfstring(L, "node %s", check_node(L, 1)->name);
	return 1;
}

static int
switch_tostring(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct ud *u = luaL_checkudata(L, 1, SWITCH_MT);

	lua_pushfstring(L, "switch %s", s->lab->switches[u->index]->name);
	return 1;
}

void
scn_lua_open(struct scn *s)
{
	lua_State *L = s->L;
	static const luaL_Reg globals[] = {
		{ "node", l_node }, { "switch", l_switch }, { "hub", l_hub }, { "link", l_link },
		{ "start", l_start }, { "sleep", l_sleep }, { "check", l_check }, { "lab", l_lab },
		{ "now", l_now }, { "outcome", l_outcome }, { "nodes", l_nodes },
		{ "outdir", l_outdir },
		{ NULL, NULL },
	};
	static const luaL_Reg node_methods[] = {
		{ "exec", l_exec }, { "sh", l_sh }, { NULL, NULL },
	};

	luaL_newmetatable(L, NODE_MT);
	lua_pushcfunction(L, node_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, node_tostring);
	lua_setfield(L, -2, "__tostring");
	luaL_newlib(L, node_methods);
	lua_setfield(L, -2, "__methods");
	lua_pop(L, 1);
	scn_lua_node_open(L);

	scn_lua_life_open(L);

	luaL_newmetatable(L, SWITCH_MT);
	lua_pushcfunction(L, switch_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);

	lua_pushglobaltable(L);
	luaL_setfuncs(L, globals, 0);
	lua_pop(L, 1);
	scn_task_open(L);
	scn_lua_fault_open(L);
	open_params(s);
	lua_pushboolean(L, s->o.exercise);
	lua_setglobal(L, "umlab_exercise__");
	if (luaL_loadbuffer(L, prelude, sizeof(prelude) - 1, "=umlab") != LUA_OK)
		abort();   /* a bug in the prelude itself */
	lua_call(L, 0, 0);
	/* Every global of the API also under umlab.*, for scripts that prefer it. */
	lua_newtable(L);
	for (const char *const *n = (const char *const[]){ "node", "switch", "hub", "link", "start",
			"sleep", "check", "lab", "now", "outcome", "nodes", "outdir", "spawn", "on", "param", "wait_until",
			"expect_eq", "expect_match", "expect_ok", "fault", "fault_log", "solution", "checks",
			"exercise", NULL }; *n; n++) {
		lua_getglobal(L, *n);
		lua_setfield(L, -2, *n);
	}
	lua_setglobal(L, "umlab");
	scn_lua_net_open(L);
}
