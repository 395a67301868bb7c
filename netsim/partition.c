/*
 * partition.c - partitions between groups of ports (Jepsen style): a rule
 * says frames from a port of group A to a port of group B are dropped (and
 * from B to A unless the rule is one-way).  Up to 64 rules at once; each
 * port carries two bit masks (the rules it is in as A, as B), so the
 * per-frame check is two ANDs, and nothing at all while no rule is set.
 * Pure logic: no I/O, no allocation.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "netsim/netsim_int.h"

int
ns_part_blocks(const struct ns_fabric *f, const struct ns_port *src, const struct ns_port *dst)
{
	return (src->part_a & dst->part_b) != 0 ||
	    (src->part_b & dst->part_a & f->part_twoway) != 0;
}

struct ns_fabric *
ns_port_fabric(const struct ns_port *p)
{
	return p->sw->f;
}

int
ns_partition_add(struct ns_fabric *f, struct ns_port *const *a, int na, struct ns_port *const *b,
		 int nb, int oneway, char *err, size_t errlen)
{
	int id, i, j;
	uint64_t bit;

	if (na <= 0 || nb <= 0) {
		snprintf(err, errlen, "a partition needs ports on both sides");
		return -1;
	}
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i] == b[j]) {
				snprintf(err, errlen, "port %s is on both sides of the partition",
				    a[i]->name);
				return -1;
			}
	for (id = 0; id < NS_PART_MAX && (f->part_used >> id & 1); id++)
		;
	if (id == NS_PART_MAX) {
		snprintf(err, errlen, "too many partitions at once (at most %d)", NS_PART_MAX);
		return -1;
	}
	bit = 1ULL << id;
	f->part_used |= bit;
	if (!oneway)
		f->part_twoway |= bit;
	for (i = 0; i < na; i++)
		a[i]->part_a |= bit;
	for (j = 0; j < nb; j++)
		b[j]->part_b |= bit;
	return id;
}

void
ns_partition_remove(struct ns_fabric *f, int id)
{
	uint64_t bit;
	struct ns_switch *sw;
	int i;

	if (id < 0 || id >= NS_PART_MAX || !(f->part_used >> id & 1))
		return;
	bit = 1ULL << id;
	f->part_used &= ~bit;
	f->part_twoway &= ~bit;
	for (sw = f->sw; sw; sw = sw->next)
		for (i = 0; i < sw->nports; i++) {
			sw->port[i]->part_a &= ~bit;
			sw->port[i]->part_b &= ~bit;
		}
}

int
ns_partition_count(const struct ns_fabric *f)
{
	return __builtin_popcountll(f->part_used);
}
