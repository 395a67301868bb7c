/*
 * scn_lua_fault.c - the Lua layer over faults/: fault() schedules one,
 * fault_log() reads what happened.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "core/lab.h"
#include "faults/fault.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

static struct node *
hook_node(void *arg, const char *name)
{
	struct scn *s = arg;
	struct lab_node *ln = lab_find_node(s->lab, name);

	return ln && s->rt ? rt_node(s->rt, ln) : NULL;
}

static struct ns_port *
hook_port(void *arg, const char *name)
{
	struct scn *s = arg;
	struct lab_link *k = lab_find_link(s->lab, name);

	return k && s->rt ? k->rt : NULL;
}

static int
hook_node_ports(void *arg, const char *name, struct ns_port **out, int max)
{
	struct scn *s = arg;
	struct lab_node *ln = lab_find_node(s->lab, name);
	int n = 0;

	for (int i = 0; ln && s->rt && i < ln->nifaces && n < max; i++)
		if (ln->ifaces[i].link && ln->ifaces[i].link->rt)
			out[n++] = ln->ifaces[i].link->rt;
	return n;
}

static void
hook_logged(void *arg, const struct fault_event *e)
{
	struct scn *s = arg;

	if (s->o.quiet)
		return;
	printf("%s%-6s %7.3f s  %s %s: %s\n", s->o.tap ? "# " : "  ",
	       strcmp(e->phase, "failed") == 0 ? "FAULT!" : "FAULT", e->t, e->kind, e->target,
	       e->detail);
	fflush(stdout);
}

void
scn_faults_start(struct scn *s)
{
	struct fault_hooks h = { .node = hook_node, .port = hook_port, .node_ports = hook_node_ports,
				 .logged = hook_logged, .arg = s };

	s->faults = fault_ctx_new(s->loop, s->o.seed, &h);
	s->faults_t0 = scn_elapsed(s);
}

static double
opt_number(lua_State *L, int t, const char *key, double dflt)
{
	double v = dflt;

	if (lua_getfield(L, t, key) != LUA_TNIL) {
		int ok;

		v = lua_tonumberx(L, -1, &ok);
		if (!ok)
			luaL_error(L, "fault: option '%s' must be a number", key);
	}
	lua_pop(L, 1);
	return v;
}

/* fault(kind, target [, {at=, duration=, every=, rate=, count=, symbol=,
 *       offset=, bit=, length=, loss=, delay=, oneway=, mode=, sectors=, after=}]) */
static int
l_fault(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct fault_spec spec = { .bit = -1 };
	char err[512];

	spec.kind = luaL_checkstring(L, 1);
	spec.target = luaL_checkstring(L, 2);
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		spec.at = opt_number(L, 3, "at", 0);
		spec.duration = opt_number(L, 3, "duration", 0);
		spec.every = opt_number(L, 3, "every", 0);
		spec.rate = opt_number(L, 3, "rate", 0);
		spec.count = (int)opt_number(L, 3, "count", 0);
		spec.offset = (long)opt_number(L, 3, "offset", 0);
		spec.bit = (int)opt_number(L, 3, "bit", -1);
		spec.length = (int)opt_number(L, 3, "length", 0);
		spec.value = opt_number(L, 3, "loss", 0) + opt_number(L, 3, "delay", 0);
		if (lua_getfield(L, 3, "symbol") == LUA_TSTRING)
			spec.symbol = lua_tostring(L, -1);
		lua_pop(L, 1);   /* the string stays referenced by the table */
		if (lua_getfield(L, 3, "region") == LUA_TSTRING)
			spec.region = lua_tostring(L, -1);
		lua_pop(L, 1);
		spec.after = (int)opt_number(L, 3, "after", 0);
		if (lua_getfield(L, 3, "oneway") != LUA_TNIL)
			spec.oneway = lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "mode") == LUA_TSTRING)
			spec.mode = lua_tostring(L, -1);
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "sectors") == LUA_TSTRING)
			spec.sectors = lua_tostring(L, -1);
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "register") == LUA_TSTRING)
			spec.symbol = lua_tostring(L, -1);   /* regflip names its register here */
		lua_pop(L, 1);
	}
	if (s->faults == NULL)
		return luaL_error(L, "fault: the lab is not started (call start() first)");
	if (fault_schedule(s->faults, &spec, err, sizeof(err)) < 0)
		return luaL_error(L, "%s", err);
	return 0;
}

/* fault_log() -> {{t=, kind=, target=, phase=, detail=}, ...} */
static int
l_fault_log(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	size_t n = s->faults ? fault_log_count(s->faults) : 0;

	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct fault_event *e = fault_log_get(s->faults, i);

		lua_createtable(L, 0, 5);
		lua_pushnumber(L, e->t);
		lua_setfield(L, -2, "t");
		lua_pushstring(L, e->kind);
		lua_setfield(L, -2, "kind");
		lua_pushstring(L, e->target);
		lua_setfield(L, -2, "target");
		lua_pushstring(L, e->phase);
		lua_setfield(L, -2, "phase");
		lua_pushstring(L, e->detail);
		lua_setfield(L, -2, "detail");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

void
scn_lua_fault_open(lua_State *L)
{
	lua_register(L, "fault", l_fault);
	lua_register(L, "fault_log", l_fault_log);
}
