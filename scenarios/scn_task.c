/*
 * scn_task.c - several things at once in a scenario: tasks are extra
 * coroutines on the lab's event loop (spawn, task:wait), and event
 * handlers (on("node_down", fn)) run as tasks.
 *
 * A coroutine's LUA_EXTRASPACE holds its struct scn_task pointer (NULL for
 * the main script), so the runner knows which one ended.  Tasks live as
 * long as the run; an error in any task ends the run like an error in the
 * script.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/util.h"
#include "scenarios/scn_int.h"

#define TASK_MT "umlab.task"

struct waiter {
	lua_State *co;
	int ref;
	struct waiter *next;
};

struct scn_task {
	struct scn *s;
	lua_State *co;
	int ref;              /* keeps the thread alive */
	int done;
	int result_ref;       /* its first result */
	struct waiter *waiters;
	void (*on_done)(void *arg, lua_State *co, int nres);   /* or NULL */
	void *done_arg;
	struct scn_task *next;
};

static int64_t
task_first_run(struct loop_timer *tm, void *arg)
{
	struct scn_task *t = arg;
	int nargs = lua_gettop(t->co) - 1;   /* the function, then its arguments */

	scn_resume(t->s, t->co, nargs);
	return LOOP_TIMER_DONE;
}

/* Start fn (at the top of L's stack, below nargs arguments) as a task on
 * the next round of the loop.  Pushes nothing. */
static struct scn_task *
task_start(struct scn *s, lua_State *L, int nargs)
{
	struct scn_task *t = xcalloc(1, sizeof(*t));

	t->s = s;
	t->co = lua_newthread(L);
	t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	t->result_ref = LUA_NOREF;
	*(struct scn_task **)lua_getextraspace(t->co) = t;
	lua_xmove(L, t->co, nargs + 1);
	t->next = s->tasks;
	s->tasks = t;
	loop_timer_add(s->loop, 0, task_first_run, t);
	return t;
}

void
scn_task_finished(struct scn_task *t, int nres)
{
	struct scn *s = t->s;
	struct waiter *w, *next;

	t->done = 1;
	if (t->on_done != NULL)
		t->on_done(t->done_arg, t->co, nres);
	if (nres > 0) {
		lua_settop(t->co, lua_gettop(t->co) - nres + 1);   /* keep the first */
		lua_xmove(t->co, s->L, 1);
		t->result_ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
	}
	for (w = t->waiters; w != NULL; w = next) {
		next = w->next;
		lua_pushboolean(w->co, 1);
		lua_rawgeti(w->co, LUA_REGISTRYINDEX, t->result_ref);
		luaL_unref(s->L, LUA_REGISTRYINDEX, w->ref);
		lua_State *co = w->co;
		free(w);
		scn_resume(s, co, 2);
	}
	t->waiters = NULL;
}

/* spawn(fn, ...) -> task */
static int
l_spawn(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct scn_task *t;
	int nargs = lua_gettop(L) - 1;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	if (s->phase >= SCN_TEARDOWN)
		return luaL_error(L, "spawn: the run is ending");
	t = task_start(s, L, nargs);
	*(struct scn_task **)lua_newuserdatauv(L, sizeof(t), 0) = t;
	luaL_setmetatable(L, TASK_MT);
	return 1;
}

/* task:wait() -> the task function's first result */
static int
l_task_wait(lua_State *L)
{
	struct scn_task *t = *(struct scn_task **)luaL_checkudata(L, 1, TASK_MT);
	struct waiter *w;

	if (t->done) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, t->result_ref);
		return 1;
	}
	if (L == t->co)
		return luaL_error(L, "a task cannot wait for itself");
	w = xcalloc(1, sizeof(*w));
	w->co = L;
	lua_pushthread(L);
	w->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	w->next = t->waiters;
	t->waiters = w;
	return scn_yield(L);
}

/* task:done() -> boolean */
static int
l_task_done(lua_State *L)
{
	struct scn_task *t = *(struct scn_task **)luaL_checkudata(L, 1, TASK_MT);

	lua_pushboolean(L, t->done);
	return 1;
}

/* on(event, fn): run fn as a task each time event happens.
 * Events: "node_down" (node, reason). */
static int
l_on(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *ev = luaL_checkstring(L, 1);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (strcmp(ev, "node_down") != 0)
		return luaL_argerror(L, 1, "unknown event (known: node_down)");
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->handlers_ref);
	if (lua_getfield(L, -1, ev) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, ev);
	}
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
	lua_pop(L, 2);
	return 0;
}

void
scn_task_run(struct scn *s, int nargs, void (*done)(void *arg, lua_State *co, int nres), void *arg)
{
	struct scn_task *t = task_start(s, s->L, nargs);

	t->on_done = done;
	t->done_arg = arg;
}

void
scn_emit(struct scn *s, const char *event, int nargs)
{
	lua_State *L = s->L;
	int base = lua_gettop(L) - nargs;

	lua_rawgeti(L, LUA_REGISTRYINDEX, s->handlers_ref);
	if (lua_getfield(L, -1, event) == LUA_TTABLE) {
		lua_Integer n = luaL_len(L, -1);

		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, i);
			for (int a = 1; a <= nargs; a++)
				lua_pushvalue(L, base + a);
			task_start(s, L, nargs);
		}
	}
	lua_settop(L, base);
}

void
scn_task_open(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	static const luaL_Reg methods[] = {
		{ "wait", l_task_wait }, { "done", l_task_done }, { NULL, NULL },
	};

	lua_newtable(L);
	s->handlers_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	luaL_newmetatable(L, TASK_MT);
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	lua_register(L, "spawn", l_spawn);
	lua_register(L, "on", l_on);
}

void
scn_tasks_free(struct scn *s)
{
	struct scn_task *t, *next;

	for (t = s->tasks; t != NULL; t = next) {
		struct waiter *w, *wn;

		next = t->next;
		for (w = t->waiters; w != NULL; w = wn) {
			wn = w->next;
			free(w);
		}
		free(t);
	}
	s->tasks = NULL;
}
