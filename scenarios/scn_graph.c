/*
 * scn_graph.c - the lab of a scenario without running it: for `umlab
 * graph` and anything else that only needs the topology.
 *
 * The script runs with the normal API in a coroutine, except that start()
 * yields a private marker (the script ends there, quietly) and sleep()
 * returns at once.  No guest, no output folder, no signal handling.
 */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/loop.h"
#include "core/util.h"
#include "scenarios/kathara.h"
#include "scenarios/scn_int.h"

/* Describing a lab takes milliseconds; a script still busy after this
 * long before start() is stuck, and `umlab graph` must not hang in CI. */
#define GRAPH_LIMIT_S 10.0

/* Its address is the value start() yields; nothing else can yield it. */
static const char graph_start_marker = 0;

static int
graph_start(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&graph_start_marker);
	return lua_yield(L, 1);
}

static int
graph_sleep(lua_State *L)
{
	double secs = luaL_checknumber(L, 1);

	if (secs < 0 || secs > 86400)
		return luaL_argerror(L, 1, "seconds must be within 0..86400");
	return 0;
}

static void
graph_hook(lua_State *L, lua_Debug *ar)
{
	if (scn_elapsed(scn_from_lua(L)) <= GRAPH_LIMIT_S)
		return;
	/* In a hook, the position is that of the function being run (ar). */
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		luaL_error(L, "%s:%d: still running after %d s without calling start()", ar->short_src,
			   ar->currentline, (int)GRAPH_LIMIT_S);
	luaL_error(L, "still running after %d s without calling start()", (int)GRAPH_LIMIT_S);
}

/* Replace name in the globals and in the umlab table. */
static void
graph_override(lua_State *L, const char *name, lua_CFunction f)
{
	lua_pushcfunction(L, f);
	lua_setglobal(L, name);
	if (lua_getglobal(L, "umlab") == LUA_TTABLE) {
		lua_pushcfunction(L, f);
		lua_setfield(L, -2, name);
	}
	lua_pop(L, 1);
}

int
scn_load_lab(const char *path, struct lab **out, char *err, size_t errlen)
{
	struct scn *s = xcalloc(1, sizeof(*s));
	lua_State *co;
	char *labname;
	int st, nres, rc = UMLAB_EXIT_USAGE;

	*out = NULL;
	s->sigfd = -1;
	s->o.quiet = 1;   /* check() before start() records, never prints */
	if ((s->path = scn_find_scenario(path, err, errlen)) == NULL) {
		scn_free(s);
		return UMLAB_EXIT_USAGE;
	}
	{
		/* Relative paths in node options are the scenario folder's. */
		char *d = xstrdup(s->path), *slash = strrchr(d, '/');

		if (slash)
			*slash = '\0';
		s->labdir = slash ? d : (free(d), xstrdup("."));
	}
	labname = scn_lab_name_from(s->path);
	s->lab = lab_new(labname);
	free(labname);
	if (strlen(s->path) >= 8 && strcmp(s->path + strlen(s->path) - 8, "lab.conf") == 0) {
		/* A Kathará lab folder: the topology is lab.conf's; no script. */
		struct kathara_lab *kl = kathara_open(s->labdir, s->lab, err, errlen);

		if (kl == NULL) {
			scn_free(s);
			return UMLAB_EXIT_USAGE;
		}
		kathara_free(kl);
		*out = s->lab;
		s->lab = NULL;
		scn_free(s);
		return UMLAB_EXIT_OK;
	}
	s->loop = loop_new();
	s->t0 = loop_now();
	s->phase = SCN_BUILD;
	s->L = luaL_newstate();
	luaL_openlibs(s->L);
	lua_pushlightuserdata(s->L, s);
	lua_rawsetp(s->L, LUA_REGISTRYINDEX, &scn_key);
	scn_lua_open(s);
	graph_override(s->L, "start", graph_start);
	graph_override(s->L, "sleep", graph_sleep);

	co = lua_newthread(s->L);
	lua_sethook(co, graph_hook, LUA_MASKCOUNT, 1000000);
	st = luaL_loadfilex(co, s->path, "t");
	if (st == LUA_OK) {
		s->co = co;
		st = lua_resume(co, s->L, 0, &nres);
	}
	if (st == LUA_YIELD) {
		if (nres == 1 && lua_touserdata(co, -1) == &graph_start_marker)
			st = LUA_OK;
		else
			snprintf(err, errlen, "%s: the scenario waits for something other than start() "
				 "before the lab is started", s->path);
	} else if (st != LUA_OK) {
		const char *m = lua_tostring(co, -1);

		snprintf(err, errlen, "%s", m ? m : "error object is not a string");
	}
	if (st == LUA_OK) {
		*out = s->lab;
		s->lab = NULL;
		rc = UMLAB_EXIT_OK;
	}
	scn_free(s);
	return rc;
}
