/*
 * fault_net.c - network faults in the fabric: a link down, a node cut off
 * from every link, and bursts of loss or delay on a link (both
 * directions), each undone after its duration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "faults/fault_int.h"
#include "netsim/netsim.h"

#define MAX_PORTS 16

/* What a burst replaced, to put it back. */
struct net_saved {
	struct ns_port *ports[MAX_PORTS];
	int nports;
	struct ns_impair im[MAX_PORTS][2];
};

static int
ports_of(struct fault *f, struct ns_port **out)
{
	const struct fault_hooks *h = fault_hooks(f);

	if (f->type->needs_node)
		return h->node_ports ? h->node_ports(h->arg, f->target, out, MAX_PORTS) : 0;
	out[0] = h->port ? h->port(h->arg, f->target) : NULL;
	return out[0] != NULL;
}

static void
set_up(struct fault *f, int up)
{
	struct ns_port *p[MAX_PORTS];
	int n = ports_of(f, p);

	if (n <= 0) {
		fault_log(f, "failed", "no open port for %s", f->target);
		return;
	}
	for (int i = 0; i < n; i++)
		ns_port_set_up(p[i], up);
	fault_log(f, up ? "clear" : "inject", "%d link%s %s", n, n == 1 ? "" : "s",
		  up ? "up" : "down");
}

static void
inject_down(struct fault *f)
{
	set_up(f, 0);
}

static void
clear_down(struct fault *f)
{
	set_up(f, 1);
}

const struct fault_type fault_link_down = {
	.name = "link_down", .clearable = 1, .inject = inject_down, .clear = clear_down,
};
const struct fault_type fault_isolate = {
	.name = "isolate", .needs_node = 1, .clearable = 1, .inject = inject_down,
	.clear = clear_down,
};

/* --- bursts: loss or delay for a while --- */

static int
check_burst(const struct fault_spec *s, char *err, size_t errlen)
{
	if (strcmp(s->kind, "loss") == 0 && !(s->value > 0 && s->value <= 1)) {
		snprintf(err, errlen, "fault loss on %s: loss=%g is outside 0..1 (give loss=)",
			 s->target, s->value);
		return -1;
	}
	if (strcmp(s->kind, "delay") == 0 && !(s->value > 0 && s->value <= 60)) {
		snprintf(err, errlen, "fault delay on %s: delay=%g s is outside 0..60 (give delay=)",
			 s->target, s->value);
		return -1;
	}
	return 0;
}

static void
inject_burst(struct fault *f)
{
	struct net_saved *sv;
	char err[256];
	int n;

	free(f->state);
	f->state = sv = xcalloc(1, sizeof(*sv));
	n = ports_of(f, sv->ports);
	if (n <= 0) {
		fault_log(f, "failed", "no open port for %s", f->target);
		return;
	}
	sv->nports = n;
	for (int i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			struct ns_impair im;

			ns_port_get_impair(sv->ports[i], (enum ns_dir)d, &sv->im[i][d]);
			im = sv->im[i][d];
			if (strcmp(f->type->name, "loss") == 0)
				im.loss = f->spec.value;
			else
				im.delay_ns = (int64_t)(f->spec.value * 1e9);
			if (ns_port_impair(sv->ports[i], (enum ns_dir)d, &im, 0, err, sizeof(err)) < 0) {
				fault_log(f, "failed", "%s", err);
				return;
			}
		}
	fault_log(f, "inject", "%s=%g on both directions", f->type->name, f->spec.value);
}

static void
clear_burst(struct fault *f)
{
	struct net_saved *sv = f->state;
	char err[256];

	if (sv == NULL)
		return;
	for (int i = 0; i < sv->nports; i++)
		for (int d = 0; d < 2; d++)
			ns_port_impair(sv->ports[i], (enum ns_dir)d, &sv->im[i][d], 0, err, sizeof(err));
	fault_log(f, "clear", "%s restored", f->type->name);
}

const struct fault_type fault_loss = {
	.name = "loss", .clearable = 1, .check = check_burst, .inject = inject_burst,
	.clear = clear_burst,
};
const struct fault_type fault_delay = {
	.name = "delay", .clearable = 1, .check = check_burst, .inject = inject_burst,
	.clear = clear_burst,
};

/* --- partition: "a b | c d" (Jepsen style), both ways or one way --- */

#define PART_MAX_PORTS 256

struct part_side {
	struct ns_port *p[PART_MAX_PORTS];
	int n;
};

/* The ports of the nodes of target's two groups.  0, or -1 with err. */
static int
part_parse(const struct fault_hooks *h, const char *target, struct part_side side[2], char *err,
	   size_t errlen)
{
	char *copy = xstrdup(target), *bar = strchr(copy, '|'), *tok, *save;
	int rc = 0;

	side[0].n = side[1].n = 0;
	if (bar == NULL || strchr(bar + 1, '|') != NULL) {
		snprintf(err, errlen, "fault partition: target '%s' must be two groups of nodes "
			 "split by one '|', e.g. \"a b | c d\"", target);
		free(copy);
		return -1;
	}
	*bar = '\0';
	for (int s = 0; s < 2 && rc == 0; s++) {
		for (tok = strtok_r(s ? bar + 1 : copy, " ,\t", &save); tok && rc == 0;
		     tok = strtok_r(NULL, " ,\t", &save)) {
			int n;

			if (h->node(h->arg, tok) == NULL) {
				snprintf(err, errlen, "fault partition: no running node named '%s'", tok);
				rc = -1;
				break;
			}
			n = h->node_ports ? h->node_ports(h->arg, tok, side[s].p + side[s].n,
							  PART_MAX_PORTS - side[s].n) : 0;
			if (n <= 0) {
				snprintf(err, errlen, "fault partition: node '%s' has no open link", tok);
				rc = -1;
				break;
			}
			side[s].n += n;
		}
		if (rc == 0 && side[s].n == 0) {
			snprintf(err, errlen, "fault partition: target '%s' has an empty group", target);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int
check_partition(const struct fault_hooks *h, const struct fault_spec *s, char *err, size_t errlen)
{
	struct part_side *side = xcalloc(2, sizeof(*side));
	int rc = part_parse(h, s->target, side, err, errlen);

	for (int i = 0; rc == 0 && i < side[0].n; i++)
		for (int j = 0; j < side[1].n; j++)
			if (side[0].p[i] == side[1].p[j]) {
				snprintf(err, errlen, "fault partition: link %s is on both sides of '%s'",
					 ns_port_name(side[0].p[i]), s->target);
				rc = -1;
				break;
			}
	free(side);
	return rc;
}

struct part_state {
	struct ns_fabric *fab;
	int id;
};

static void
clear_partition(struct fault *f)
{
	struct part_state *st = f->state;

	if (st == NULL || st->id < 0)
		return;
	ns_partition_remove(st->fab, st->id);
	st->id = -1;
	fault_log(f, "clear", "healed");
}

static void
inject_partition(struct fault *f)
{
	struct part_side *side = xcalloc(2, sizeof(*side));
	struct part_state *st = f->state;
	char err[256];

	if (st == NULL) {
		f->state = st = xcalloc(1, sizeof(*st));
		st->id = -1;
	}
	if (st->id >= 0)   /* a repetition without duration: replace the rule */
		ns_partition_remove(st->fab, st->id);
	st->id = -1;
	if (part_parse(fault_hooks(f), f->target, side, err, sizeof(err)) < 0) {
		fault_log(f, "failed", "%s", err);
		free(side);
		return;
	}
	st->fab = ns_port_fabric(side[0].p[0]);
	st->id = ns_partition_add(st->fab, side[0].p, side[0].n, side[1].p, side[1].n,
				  f->spec.oneway, err, sizeof(err));
	if (st->id < 0)
		fault_log(f, "failed", "%s", err);
	else
		fault_log(f, "inject", "%d link%s | %d link%s, %s", side[0].n,
			  side[0].n == 1 ? "" : "s", side[1].n, side[1].n == 1 ? "" : "s",
			  f->spec.oneway ? "one way (left to right dropped)" : "both ways");
	free(side);
}

const struct fault_type fault_partition = {
	.name = "partition", .needs_node = 1, .clearable = 1, .check_target = check_partition,
	.inject = inject_partition, .clear = clear_partition,
};
