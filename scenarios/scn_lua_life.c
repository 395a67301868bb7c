/*
 * scn_lua_life.c - a node's life from Lua while the lab runs:
 *   node:stop() node:halt() node:kill()         -> true once it is down
 *   node:start() node:restart() node:reboot()   -> boot seconds once ready
 *   node:freeze() -> seconds until the stop was confirmed; node:thaw()
 *   node.state ("booting", "ready", "stopped", ...), node.reason,
 *   node.boot_s, node.boots, node.frozen, node.ptrace_stops
 * A thin layer over rt_node_life() and node_freeze() (scenarios/API.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/util.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define NODE_MT "umlab.node"

struct ud { size_t index; };   /* as in scn_lua.c */

struct pending_life {
	struct scn *s;
	lua_State *co;
	int ref;
};

static struct lab_node *
check_node(lua_State *L, int arg)
{
	struct scn *s = scn_from_lua(L);
	struct ud *u = luaL_checkudata(L, arg, NODE_MT);

	return s->lab->nodes[u->index];
}

static struct node *
running_node(lua_State *L, struct scn *s, struct lab_node *ln, const char *what)
{
	struct node *n;

	if (s->phase != SCN_RUNNING || s->rt == NULL)
		luaL_error(L, "%s on %s: the lab is not started (call start() first)", what,
			   ln->name);
	n = rt_node(s->rt, ln);
	if (n == NULL)
		luaL_error(L, "%s on %s: node is not started", what, ln->name);
	return n;
}

static void
life_done(struct rt *rt, struct lab_node *ln, int ok, const char *msg, void *arg)
{
	struct pending_life *p = arg;
	struct scn *s = p->s;
	lua_State *co = p->co;
	struct node *n = rt_node(rt, ln);

	luaL_unref(s->L, LUA_REGISTRYINDEX, p->ref);
	free(p);
	if (!ok) {
		lua_pushboolean(co, 0);
		lua_pushfstring(co, "node %s: %s", ln->name, msg ? msg : "failed");
	} else {
		lua_pushboolean(co, 1);
		if (n && node_state(n) == NODE_READY)
			lua_pushnumber(co, node_boot_seconds(n));
		else
			lua_pushboolean(co, 1);
	}
	scn_resume(s, co, 2);
}

static int
life(lua_State *L, enum rt_life op, const char *what)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	struct pending_life *p;
	char err[512];

	running_node(L, s, ln, what);
	p = xcalloc(1, sizeof(*p));
	p->s = s;
	p->co = L;
	lua_pushthread(L);
	p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (rt_node_life(s->rt, ln, op, life_done, p, err, sizeof(err)) < 0) {
		luaL_unref(L, LUA_REGISTRYINDEX, p->ref);
		free(p);
		return luaL_error(L, "%s: %s", what, err);
	}
	return scn_yield(L);
}

static int l_stop(lua_State *L) { return life(L, RT_LIFE_STOP, "stop"); }
static int l_halt(lua_State *L) { return life(L, RT_LIFE_HALT, "halt"); }
static int l_kill(lua_State *L) { return life(L, RT_LIFE_KILL, "kill"); }
static int l_start(lua_State *L) { return life(L, RT_LIFE_START, "start"); }
static int l_restart(lua_State *L) { return life(L, RT_LIFE_RESTART, "restart"); }
static int l_reboot(lua_State *L) { return life(L, RT_LIFE_REBOOT, "reboot"); }

static int
l_freeze(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	struct node *n = running_node(L, s, ln, "freeze");

	if (node_freeze(n) < 0)
		return luaL_error(L, "freeze on %s: %s", ln->name, strerror(errno));
	lua_pushnumber(L, node_freeze_latency(n));
	return 1;
}

static int
l_thaw(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	struct node *n = running_node(L, s, ln, "thaw");

	if (node_thaw(n) < 0)
		return luaL_error(L, "thaw on %s: %s", ln->name,
				  errno == EALREADY ? "not frozen" : strerror(errno));
	lua_pushboolean(L, 1);
	return 1;
}

/* __index: the life fields, else the previous __index (upvalue 1). */
static int
life_index(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct lab_node *ln = check_node(L, 1);
	const char *key = luaL_checkstring(L, 2);
	struct node *n = s->rt ? rt_node(s->rt, ln) : NULL;

	if (strcmp(key, "state") == 0) {
		lua_pushstring(L, n ? node_state_name(node_state(n)) : "defined");
		return 1;
	}
	if (strcmp(key, "reason") == 0) {
		lua_pushstring(L, n ? node_reason(n) : "");
		return 1;
	}
	if (strcmp(key, "boot_s") == 0) {
		if (n && node_boot_seconds(n) >= 0)
			lua_pushnumber(L, node_boot_seconds(n));
		else
			lua_pushnil(L);
		return 1;
	}
	if (strcmp(key, "boots") == 0) {
		lua_pushinteger(L, n ? node_boots(n) : 0);
		return 1;
	}
	if (strcmp(key, "frozen") == 0) {
		lua_pushboolean(L, n && node_frozen(n));
		return 1;
	}
	if (strcmp(key, "ptrace_stops") == 0) {
		lua_pushinteger(L, n ? (lua_Integer)node_ptrace_stops(n) : 0);
		return 1;
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

void
scn_lua_life_open(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "stop", l_stop }, { "halt", l_halt }, { "kill", l_kill }, { "start", l_start },
		{ "restart", l_restart }, { "reboot", l_reboot }, { "freeze", l_freeze },
		{ "thaw", l_thaw }, { NULL, NULL },
	};

	luaL_getmetatable(L, NODE_MT);
	lua_getfield(L, -1, "__methods");
	luaL_setfuncs(L, methods, 0);
	lua_pop(L, 1);
	lua_getfield(L, -1, "__index");
	lua_pushcclosure(L, life_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}
