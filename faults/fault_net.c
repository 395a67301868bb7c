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
