/*
 * scn_lua_net.c - the network part of the Lua API: impairments, link
 * down/up, link counters, VLAN access ports and trunks, uplinks and plugs
 * (documented in scenarios/API.md, "Links and impairments").
 *
 * Before start() every call only records into the lab model; the runtime
 * applies the model when it opens the ports.  After start() the same
 * record is applied to the running fabric at once (rt_apply_link), and a
 * change the fabric refuses is undone in the model too.
 */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "netsim/netsim.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define SWITCH_MT "umlab.switch"

struct ud { size_t index; };

/* luaL_error with the whole of printf (lua_pushfstring has no %g). */
static int __attribute__((format(printf, 2, 3)))
net_error(lua_State *L, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return luaL_error(L, "%s", buf);
}

/* The link called name, or an error listing the links that exist. */
static struct lab_link *
find_link(lua_State *L, const char *what, const char *name)
{
	struct scn *s = scn_from_lua(L);
	struct lab_link *k = lab_find_link(s->lab, name);
	luaL_Buffer b;

	if (k != NULL)
		return k;
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < s->lab->nlinks && i < 32; i++) {
		if (i > 0)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, s->lab->links[i]->name);
	}
	if (s->lab->nlinks > 32)
		luaL_addstring(&b, ", ...");
	if (s->lab->nlinks == 0)
		luaL_addstring(&b, "none yet");
	luaL_pushresult(&b);
	luaL_error(L, "%s: no link '%s' (links: %s)", what, name, lua_tostring(L, -1));
	return NULL;
}

static double
num_field(lua_State *L, int t, const char *what, const char *link, const char *key, int *set)
{
	double v = 0;

	*set = 0;
	if (lua_getfield(L, t, key) != LUA_TNIL) {
		if (!lua_isnumber(L, -1))
			net_error(L, "%s: link %s: %s must be a number", what, link, key);
		v = lua_tonumber(L, -1);
		*set = 1;
	}
	lua_pop(L, 1);
	return v;
}

static double
prob_field(lua_State *L, int t, const char *what, const char *link, const char *key)
{
	int set;
	double v = num_field(L, t, what, link, key, &set);

	if (set && !(v >= 0 && v <= 1))
		net_error(L, "%s: link %s: %s %g is outside 0..1", what, link, key, v);
	return v;
}

static int64_t
secs_field(lua_State *L, int t, const char *what, const char *link, const char *key)
{
	int set;
	double v = num_field(L, t, what, link, key, &set);

	if (set && !(v >= 0 && v <= 3600))
		net_error(L, "%s: link %s: %s %g s is outside 0..3600 (seconds)", what, link, key, v);
	return (int64_t)(v * 1e9 + 0.5);
}

static const char *const impair_keys[] = {
	"delay", "jitter", "distribution", "loss", "loss_model", "duplicate", "corrupt",
	"reorder", "rate", "limit", "mtu", "direction", "seed", NULL,
};
/* link()'s options table may also hold these */
static const char *const link_keys[] = { "ip", "vlan", "vlans", NULL };

static int
in_list(const char *const *l, const char *k)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

/*
 * Parse the impairment table at t into im (every field not given is
 * zero: a call replaces the direction's whole spec, as `tc qdisc change`
 * does).  *dirmask gets the directions (bit 0 to the node, bit 1 from).
 */
static void
parse_impair(lua_State *L, int t, const char *what, const char *link, int for_link,
	     struct lab_impair *im, int *dirmask)
{
	int set;
	double v;

	memset(im, 0, sizeof(*im));
	*dirmask = 3;
	t = lua_absindex(L, t);
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;

		if (k == NULL || !(in_list(impair_keys, k) || (for_link && in_list(link_keys, k))))
			net_error(L, "%s: link %s: unknown option '%s' (known: delay, jitter, "
				   "distribution, loss, loss_model, duplicate, corrupt, reorder, rate, "
				   "limit, mtu, direction, seed)", what, link, k ? k : "?");
		lua_pop(L, 1);
	}
	im->delay_ns = secs_field(L, t, what, link, "delay");
	im->jitter_ns = secs_field(L, t, what, link, "jitter");
	if (lua_getfield(L, t, "distribution") != LUA_TNIL) {
		const char *d = lua_tostring(L, -1);
		int i;

		for (i = 0; i < 4; i++)
			if (d != NULL && strcmp(d, ns_dist_name((enum ns_dist)i)) == 0)
				break;
		if (i == 4)
			net_error(L, "%s: link %s: distribution '%s' is not one of uniform, normal, "
				   "pareto, paretonormal", what, link, d ? d : "?");
		im->dist = i;
	} else {
		im->dist = NS_DIST_UNIFORM;	/* netem's, without a table */
	}
	lua_pop(L, 1);
	im->loss = prob_field(L, t, what, link, "loss");
	if (lua_getfield(L, t, "loss_model") != LUA_TNIL) {
		int m = lua_gettop(L);

		if (!lua_istable(L, m))
			net_error(L, "%s: link %s: loss_model must be a table {p=, r=, h=, k=}",
				   what, link);
		im->ge = 1;
		im->ge_p = prob_field(L, m, what, link, "p");
		num_field(L, m, what, link, "r", &set);
		im->ge_r = set ? prob_field(L, m, what, link, "r") : 1 - im->ge_p;
		num_field(L, m, what, link, "h", &set);
		im->ge_h = set ? prob_field(L, m, what, link, "h") : 0;
		num_field(L, m, what, link, "k", &set);
		im->ge_k = set ? prob_field(L, m, what, link, "k") : 1;
		if (im->loss > 0)
			net_error(L, "%s: link %s: loss and loss_model are exclusive", what, link);
	}
	lua_pop(L, 1);
	im->duplicate = prob_field(L, t, what, link, "duplicate");
	im->corrupt = prob_field(L, t, what, link, "corrupt");
	im->reorder = prob_field(L, t, what, link, "reorder");
	if (im->reorder > 0 && im->delay_ns == 0)
		net_error(L, "%s: link %s: reorder %g needs a delay (the rest is delayed)", what,
			   link, im->reorder);
	if (lua_getfield(L, t, "rate") != LUA_TNIL) {
		const char *r = lua_tostring(L, -1);

		if (r == NULL || ns_parse_rate(r, &im->rate_bps) < 0)
			net_error(L, "%s: link %s: rate '%s' is not a rate (\"10mbit\", \"512kbit\", "
				   "\"1gbit\", or bits/s)", what, link, r ? r : "?");
	}
	lua_pop(L, 1);
	v = num_field(L, t, what, link, "limit", &set);
	if (set && !(v >= 1 && v <= 1000000 && v == (double)(int64_t)v))
		net_error(L, "%s: link %s: limit %g is outside 1..1000000 (frames)", what, link, v);
	im->limit = (uint32_t)v;
	v = num_field(L, t, what, link, "mtu", &set);
	if (set && !(v >= 68 && v <= 65517 && v == (double)(int64_t)v))
		net_error(L, "%s: link %s: mtu %g is outside 68..65517", what, link, v);
	im->mtu = (uint32_t)v;
	if (lua_getfield(L, t, "seed") != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) == 0)
			net_error(L, "%s: link %s: seed must be a non-zero integer", what, link);
		im->seed = (uint64_t)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "direction") != LUA_TNIL) {
		const char *d = lua_tostring(L, -1);

		if (d != NULL && strcmp(d, "both") == 0)
			*dirmask = 3;
		else if (d != NULL && strcmp(d, "to_node") == 0)
			*dirmask = 1 << LAB_TO_NODE;
		else if (d != NULL && strcmp(d, "from_node") == 0)
			*dirmask = 1 << LAB_FROM_NODE;
		else
			net_error(L, "%s: link %s: direction '%s' is not both, to_node or from_node",
				   what, link, d ? d : "?");
	}
	lua_pop(L, 1);
	{
		struct ns_impair n;
		char err[200];

		rt_impair_to_ns(im, &n);
		if (ns_impair_check(&n, err, sizeof(err)) < 0)
			net_error(L, "%s: link %s: %s", what, link, err);
	}
}

/* Record im on k's directions, and apply it if the lab runs; on failure
 * the model goes back to what it was. */
static void
set_impair(lua_State *L, const char *what, struct lab_link *k, const struct lab_impair *im,
	   int dirmask)
{
	struct scn *s = scn_from_lua(L);
	struct lab_impair old[2];
	char err[256];

	memcpy(old, k->imp, sizeof(old));
	for (int d = 0; d < 2; d++)
		if (dirmask & (1 << d))
			k->imp[d] = *im;
	if (s->rt != NULL && rt_apply_link(s->rt, k, dirmask, err, sizeof(err)) < 0) {
		memcpy(k->imp, old, sizeof(old));
		net_error(L, "%s: %s", what, err);
	}
}

/* impair(link_name, {delay=, jitter=, ..., direction=}); impair(name) or
 * impair(name, {}) makes the link perfect again. */
static int
l_impair(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	struct lab_link *k = find_link(L, "impair", name);
	struct lab_impair im;
	int dirmask = 3;

	memset(&im, 0, sizeof(im));
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		parse_impair(L, 2, "impair", k->name, 0, &im, &dirmask);
	}
	set_impair(L, "impair", k, &im, dirmask);
	return 0;
}

static int
set_down(lua_State *L, int down)
{
	struct scn *s = scn_from_lua(L);
	const char *what = down ? "link_down" : "link_up";
	struct lab_link *k = find_link(L, what, luaL_checkstring(L, 1));
	char err[256];
	int old = k->down;

	k->down = down;
	if (s->rt != NULL && rt_apply_link(s->rt, k, 0, err, sizeof(err)) < 0) {
		k->down = old;
		return net_error(L, "%s: %s", what, err);
	}
	return 0;
}

/* link_down(name): both directions drop every frame. */
static int
l_link_down(lua_State *L)
{
	return set_down(L, 1);
}

/* link_up(name) */
static int
l_link_up(lua_State *L)
{
	return set_down(L, 0);
}

static void
set_int(lua_State *L, const char *key, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

static void
push_dir(lua_State *L, const struct ns_dir_counters *c, uint64_t seed)
{
	char hex[24];

	lua_createtable(L, 0, 8);
	set_int(L, "frames", c->frames);
	set_int(L, "bytes", c->bytes);
	lua_createtable(L, 0, NS_DROP_NREASONS);
	for (int r = 0; r < NS_DROP_NREASONS; r++)
		set_int(L, ns_drop_name((enum ns_drop)r), c->drop[r]);
	lua_setfield(L, -2, "drops");
	set_int(L, "duplicated", c->duplicated);
	set_int(L, "corrupted", c->corrupted);
	set_int(L, "reordered", c->reordered);
	set_int(L, "delayed", c->delayed);
	set_int(L, "held", c->held);
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)seed);
	lua_pushstring(L, hex);
	lua_setfield(L, -2, "seed");
}

/* link_stats(name) -> {rx_frames=, tx_frames=, drops=, up=, to_node={...},
 * from_node={...}}; all zero before start(). */
static int
l_link_stats(lua_State *L)
{
	struct lab_link *k = find_link(L, "link_stats", luaL_checkstring(L, 1));
	struct ns_counters c;
	struct ns_port *p = k->rt;

	memset(&c, 0, sizeof(c));
	if (p != NULL)
		ns_port_counters(p, &c);
	lua_createtable(L, 0, 10);
	lua_pushstring(L, k->name);
	lua_setfield(L, -2, "name");
	set_int(L, "rx_frames", c.rx_frames);
	set_int(L, "rx_bytes", c.rx_bytes);
	set_int(L, "tx_frames", c.tx_frames);
	set_int(L, "tx_bytes", c.tx_bytes);
	set_int(L, "drops", c.drop_frames);
	set_int(L, "rx_errors", c.rx_errors);
	lua_pushboolean(L, !k->down);
	lua_setfield(L, -2, "up");
	push_dir(L, &c.dir[NS_TO_NODE], p ? ns_port_seed(p, NS_TO_NODE) : 0);
	lua_setfield(L, -2, "to_node");
	push_dir(L, &c.dir[NS_FROM_NODE], p ? ns_port_seed(p, NS_FROM_NODE) : 0);
	lua_setfield(L, -2, "from_node");
	return 1;
}

/* The VLAN list at idx (a table of 1..4094, at most 64; "all" where
 * all_ok) into vlans; their number (0: all).  Raises on a bad one. */
static int
parse_vlans(lua_State *L, int idx, const char *what, int all_ok, uint16_t vlans[64])
{
	lua_Integer len;
	int nv = 0;

	if (all_ok && lua_type(L, idx) == LUA_TSTRING && strcmp(lua_tostring(L, idx), "all") == 0)
		return 0;
	if (!lua_istable(L, idx))
		net_error(L, "%s: vlans must be a list of VLAN numbers%s", what,
			  all_ok ? " or \"all\"" : "");
	len = luaL_len(L, idx);
	if (len > 64 || (all_ok && len == 0))
		net_error(L, "%s: vlans lists 1 to 64 VLANs (%s)", what,
			  all_ok ? "\"all\" for every one" : "none: all");
	for (lua_Integer i = 1; i <= len; i++) {
		lua_geti(L, idx, i);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    lua_tointeger(L, -1) > LAB_VLAN_MAX)
			net_error(L, "%s: vlans[%d] %s is outside 1..%d", what, (int)i,
				  luaL_tolstring(L, -1, NULL), LAB_VLAN_MAX);
		vlans[nv++] = (uint16_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	return nv;
}

/* link()'s options table at arg: impairments and vlan for the new link k
 * (called by l_link in scn_lua.c once k exists). */
void
scn_lua_net_link_opts(lua_State *L, struct lab_link *k, int arg)
{
	struct lab_impair im;
	int dirmask, has = 0;

	if (!lua_istable(L, arg))
		return;
	parse_impair(L, arg, "link", k->name, 1, &im, &dirmask);
	for (const char *const *key = impair_keys; *key; key++) {
		has |= lua_getfield(L, arg, *key) != LUA_TNIL;
		lua_pop(L, 1);
	}
	if (has)
		set_impair(L, "link", k, &im, dirmask);
	if (lua_getfield(L, arg, "vlan") != LUA_TNIL) {
		lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;

		if (v < 1 || v > LAB_VLAN_MAX)
			net_error(L, "link: link %s: vlan %s is outside 1..%d", k->name,
				  luaL_tolstring(L, -1, NULL), LAB_VLAN_MAX);
		if (k->sw->kind != LAB_SWITCH)
			net_error(L, "link: link %s: vlan needs a switch, not a hub or a cable",
				  k->name);
		k->vlan = (int)v;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, arg, "vlans") != LUA_TNIL) {
		char what[sizeof(k->name) + 16];

		snprintf(what, sizeof(what), "link: link %s", k->name);
		if (k->vlan != 0)
			net_error(L, "%s: vlan (an access port) and vlans (a trunk) together",
				  what);
		if (k->sw->kind != LAB_SWITCH)
			net_error(L, "%s: vlans needs a switch, not a hub or a cable", what);
		k->nvlans = parse_vlans(L, lua_gettop(L), what, 1, k->vlans);
		k->trunk = 1;
	}
	lua_pop(L, 1);
}

/* trunk(switch_a, switch_b [, {vlans = {10, 20}}]) -> trunk name: an
 * 802.1Q cable between two switches inside the fabric. */
static int
l_trunk(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct ud *a = luaL_checkudata(L, 1, SWITCH_MT), *b = luaL_checkudata(L, 2, SWITCH_MT);
	uint16_t vlans[64];
	int nv = 0;
	struct lab_trunk *t;
	char err[256];

	if (s->phase != SCN_BUILD)
		return net_error(L, "trunk: the topology is fixed once start() has run");
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "vlans") != LUA_TNIL)
			nv = parse_vlans(L, lua_gettop(L), "trunk", 0, vlans);
		lua_pop(L, 1);
	}
	t = lab_add_trunk(s->lab, s->lab->switches[a->index], s->lab->switches[b->index], vlans, nv,
			  err, sizeof(err));
	if (t == NULL)
		return net_error(L, "trunk: %s", err);
	lua_pushstring(L, t->name);
	return 1;
}

/* uplink(switch, url) -> uplink name ("s1.up0"): a port of switch whose
 * far end is the vdeplug4 URL url, opened when the lab starts. */
static int
l_uplink(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct ud *sw = luaL_checkudata(L, 1, SWITCH_MT);
	const char *url = luaL_checkstring(L, 2);
	struct lab_uplink *u;
	char err[320];

	if (s->phase != SCN_BUILD)
		return net_error(L, "uplink: the topology is fixed once start() has run");
	if ((u = lab_add_uplink(s->lab, s->lab->switches[sw->index], url, err, sizeof(err))) == NULL)
		return net_error(L, "uplink: %s", err);
	lua_pushstring(L, u->name);
	return 1;
}

/* plug(switch) -> plug name ("s1.plug0"): a port of switch for a program
 * on the host, made when the lab starts. */
static int
l_plug(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	struct ud *sw = luaL_checkudata(L, 1, SWITCH_MT);
	struct lab_plug *p;
	char err[320];

	if (s->phase != SCN_BUILD)
		return net_error(L, "plug: the topology is fixed once start() has run");
	if ((p = lab_add_plug(s->lab, s->lab->switches[sw->index], err, sizeof(err))) == NULL)
		return net_error(L, "plug: %s", err);
	lua_pushstring(L, p->name);
	return 1;
}

/* plug_url(name) -> "umlab:///RUN/net/NAME".  The socket lives in the
 * runtime folder, whose name mkdtemp picks at start(): before that there
 * is no URL to give, and a guessed one would be wrong. */
static int
l_plug_url(lua_State *L)
{
	struct scn *s = scn_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	struct lab_plug *p = lab_find_plug(s->lab, name);
	luaL_Buffer b;

	if (p == NULL) {
		luaL_buffinit(L, &b);
		for (size_t i = 0; i < s->lab->nplugs && i < 32; i++) {
			if (i > 0)
				luaL_addstring(&b, ", ");
			luaL_addstring(&b, s->lab->plugs[i]->name);
		}
		if (s->lab->nplugs > 32)
			luaL_addstring(&b, ", ...");
		if (s->lab->nplugs == 0)
			luaL_addstring(&b, "none yet");
		luaL_pushresult(&b);
		return luaL_error(L, "plug_url: no plug '%s' (plugs: %s)", name, lua_tostring(L, -1));
	}
	if (p->path[0] == '\0')
		return net_error(L, "plug_url: plug %s has no socket until start() has run", p->name);
	lua_pushfstring(L, "umlab://%s", p->path);
	return 1;
}

void
scn_lua_net_open(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "impair", l_impair }, { "link_down", l_link_down }, { "link_up", l_link_up },
		{ "link_stats", l_link_stats }, { "trunk", l_trunk }, { "uplink", l_uplink },
		{ "plug", l_plug }, { "plug_url", l_plug_url },
		{ NULL, NULL },
	};

	lua_pushglobaltable(L);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
	if (lua_getglobal(L, "umlab") == LUA_TTABLE)
		luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
}
