/*
 * lab.c - the lab model: building and querying nodes, switches, links.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/util.h"

#define DEFAULT_MEM_MB 64

struct lab *
lab_new(const char *name)
{
	struct lab *lab = xcalloc(1, sizeof(*lab));

	snprintf(lab->name, sizeof(lab->name), "%s", name ? name : "lab");
	return lab;
}

void
lab_free(struct lab *lab)
{
	if (lab == NULL)
		return;
	for (size_t i = 0; i < lab->nnodes; i++) {
		free(lab->nodes[i]->files_dir);
		free(lab->nodes[i]->startup);
		free(lab->nodes[i]->shutdown);
		free(lab->nodes[i]->disk);
		free(lab->nodes[i]);
	}
	for (size_t i = 0; i < lab->nswitches; i++)
		free(lab->switches[i]);
	for (size_t i = 0; i < lab->nlinks; i++)
		free(lab->links[i]);
	free(lab->nodes);
	free(lab->switches);
	free(lab->links);
	for (size_t i = 0; i < lab->ntrunks; i++)
		free(lab->trunks[i]);
	free(lab->trunks);
	for (size_t i = 0; i < lab->nuplinks; i++)
		free(lab->uplinks[i]);
	free(lab->uplinks);
	for (size_t i = 0; i < lab->nplugs; i++)
		free(lab->plugs[i]);
	free(lab->plugs);
	free(lab);
}

int
lab_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= LAB_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return 0;
	return 1;
}

static void
append(void ***arr, size_t *n, void *item)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (a == NULL)
		abort();
	a[(*n)++] = item;
	*arr = a;
}

static int
name_taken(const struct lab *lab, const char *name)
{
	return lab_find_node(lab, name) != NULL || lab_find_switch(lab, name) != NULL;
}

static int
check_new_name(const struct lab *lab, const char *what, const char *name, char *err, size_t errlen)
{
	if (!lab_valid_name(name)) {
		snprintf(err, errlen, "invalid %s name '%s' (use 1-%d letters, digits, '-' or '_')",
			 what, name, LAB_NAME_MAX - 1);
		return -1;
	}
	if (name_taken(lab, name)) {
		snprintf(err, errlen, "duplicate name '%s'", name);
		return -1;
	}
	return 0;
}

struct lab_node *
lab_add_node(struct lab *lab, const char *name, char *err, size_t errlen)
{
	struct lab_node *n;

	if (check_new_name(lab, "node", name, err, errlen) < 0)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->mem_mb = DEFAULT_MEM_MB;
	append((void ***)&lab->nodes, &lab->nnodes, n);
	return n;
}

struct lab_switch *
lab_add_switch(struct lab *lab, const char *name, enum lab_switch_kind kind, char *err, size_t errlen)
{
	struct lab_switch *s;

	if (check_new_name(lab, "switch", name, err, errlen) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = kind;
	append((void ***)&lab->switches, &lab->nswitches, s);
	return s;
}

int
lab_parse_cidr(const char *s, struct in_addr *ip, int *prefix)
{
	char buf[32], *slash, *end;
	long p = 32;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (slash[1] == '\0')
			return -1;
		p = strtol(slash + 1, &end, 10);
		if (*end != '\0' || p < 0 || p > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, ip) != 1)
		return -1;
	*prefix = (int)p;
	return 0;
}

void
lab_iface_cidr(const struct lab_iface *i, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (!i->has_ip) {
		snprintf(buf, len, "%s", "");
		return;
	}
	inet_ntop(AF_INET, &i->ip, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, i->prefix);
}

/* FNV-1a: a stable hash, so a node keeps its MAC from run to run. */
void
lab_make_mac(uint8_t mac[6], const char *node, int ifindex)
{
	uint32_t h = 2166136261u;

	for (const char *p = node; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	mac[0] = 0x02;   /* locally administered, unicast */
	mac[1] = 0x55;
	mac[2] = h >> 24;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = (uint8_t)((h & 0xf0) | (ifindex & 0x0f));
}

static int
mac_taken(const struct lab *lab, const struct lab_iface *me)
{
	for (size_t n = 0; n < lab->nnodes; n++)
		for (int k = 0; k < lab->nodes[n]->nifaces; k++) {
			const struct lab_iface *o = &lab->nodes[n]->ifaces[k];

			if (o != me && memcmp(o->mac, me->mac, 6) == 0)
				return 1;
		}
	return 0;
}

struct lab_link *
lab_connect(struct lab *lab, struct lab_node *node, struct lab_switch *sw, const char *cidr,
	    char *err, size_t errlen)
{
	struct lab_iface *i;
	struct lab_link *k;

	if (node->nifaces >= LAB_MAX_IFACES) {
		snprintf(err, errlen, "node %s: too many interfaces (at most %d)", node->name,
			 LAB_MAX_IFACES);
		return NULL;
	}
	if (sw->kind == LAB_WIRE && sw->nports >= 2) {
		snprintf(err, errlen, "wire %s: already has two ends", sw->name);
		return NULL;
	}
	i = &node->ifaces[node->nifaces];
	memset(i, 0, sizeof(*i));
	if (cidr != NULL && *cidr != '\0') {
		if (lab_parse_cidr(cidr, &i->ip, &i->prefix) < 0) {
			snprintf(err, errlen, "node %s: bad address '%s' (want a.b.c.d/len)",
				 node->name, cidr);
			return NULL;
		}
		i->has_ip = 1;
	}
	i->index = node->nifaces;
	snprintf(i->name, sizeof(i->name), "eth%d", i->index);
	i->node = node;
	lab_make_mac(i->mac, node->name, i->index);
	while (mac_taken(lab, i))   /* a hash collision: rare, but never two equal MACs */
		i->mac[2]++;
	node->nifaces++;

	k = xcalloc(1, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s.%s-%s", node->name, i->name, sw->name);
	k->iface = i;
	k->sw = sw;
	i->link = k;
	sw->nports++;
	append((void ***)&lab->links, &lab->nlinks, k);
	return k;
}

struct lab_trunk *
lab_add_trunk(struct lab *lab, struct lab_switch *a, struct lab_switch *b, const uint16_t *vlans,
	      int nvlans, char *err, size_t errlen)
{
	struct lab_trunk *t;

	if (a == b) {
		snprintf(err, errlen, "trunk %s: cannot join a switch to itself", a->name);
		return NULL;
	}
	if (a->kind == LAB_WIRE || b->kind == LAB_WIRE) {
		snprintf(err, errlen, "trunk %s=%s: a wire has no room for a trunk", a->name, b->name);
		return NULL;
	}
	if (nvlans < 0 || nvlans > 64) {
		snprintf(err, errlen, "trunk %s=%s: at most 64 VLANs (none: all)", a->name, b->name);
		return NULL;
	}
	for (int i = 0; i < nvlans; i++)
		if (vlans[i] < 1 || vlans[i] > LAB_VLAN_MAX) {
			snprintf(err, errlen, "trunk %s=%s: VLAN %d is outside 1..%d", a->name, b->name,
				 vlans[i], LAB_VLAN_MAX);
			return NULL;
		}
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s=%s", a->name, b->name);
	t->a = a;
	t->b = b;
	t->nvlans = nvlans;
	memcpy(t->vlans, vlans, (size_t)nvlans * sizeof(*vlans));
	a->nports++;
	b->nports++;
	append((void ***)&lab->trunks, &lab->ntrunks, t);
	return t;
}

struct lab_uplink *
lab_add_uplink(struct lab *lab, struct lab_switch *sw, const char *url, char *err, size_t errlen)
{
	struct lab_uplink *u;
	int n = 0;

	if (url == NULL || *url == '\0' || strlen(url) >= sizeof(u->url)) {
		snprintf(err, errlen, "uplink from %s: the URL must be 1..%zu characters", sw->name,
			 sizeof(u->url) - 1);
		return NULL;
	}
	if (sw->kind == LAB_WIRE) {
		snprintf(err, errlen, "uplink from %s: a wire has no room for an uplink", sw->name);
		return NULL;
	}
	for (size_t i = 0; i < lab->nuplinks; i++)
		n += lab->uplinks[i]->sw == sw;
	u = xcalloc(1, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s.up%d", sw->name, n);
	u->sw = sw;
	snprintf(u->url, sizeof(u->url), "%s", url);
	sw->nports++;
	append((void ***)&lab->uplinks, &lab->nuplinks, u);
	return u;
}

struct lab_plug *
lab_add_plug(struct lab *lab, struct lab_switch *sw, char *err, size_t errlen)
{
	struct lab_plug *p;
	int n = 0;

	if (sw->kind == LAB_WIRE) {
		snprintf(err, errlen, "plug on %s: a wire has no room for a plug", sw->name);
		return NULL;
	}
	for (size_t i = 0; i < lab->nplugs; i++)
		n += lab->plugs[i]->sw == sw;
	p = xcalloc(1, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s.plug%d", sw->name, n);
	p->sw = sw;
	sw->nports++;
	append((void ***)&lab->plugs, &lab->nplugs, p);
	return p;
}

struct lab_node *
lab_find_node(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->nnodes; i++)
		if (strcmp(lab->nodes[i]->name, name) == 0)
			return lab->nodes[i];
	return NULL;
}

struct lab_switch *
lab_find_switch(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->nswitches; i++)
		if (strcmp(lab->switches[i]->name, name) == 0)
			return lab->switches[i];
	return NULL;
}

struct lab_link *
lab_find_link(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->nlinks; i++)
		if (strcmp(lab->links[i]->name, name) == 0)
			return lab->links[i];
	return NULL;
}

struct lab_plug *
lab_find_plug(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->nplugs; i++)
		if (strcmp(lab->plugs[i]->name, name) == 0)
			return lab->plugs[i];
	return NULL;
}

struct lab_uplink *
lab_find_uplink(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->nuplinks; i++)
		if (strcmp(lab->uplinks[i]->name, name) == 0)
			return lab->uplinks[i];
	return NULL;
}
