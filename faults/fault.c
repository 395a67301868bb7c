/*
 * fault.c - the fault schedule and the fault log.
 *
 * A scheduled fault is a timer on the lab's loop: it injects, re-arms for
 * the next repetition (fixed period, or exponential gaps drawn from the
 * run's generator for a rate), and arms a clear timer when the fault has
 * a duration.  A fault type may finish its injection asynchronously (e.g.
 * memflip asks the guest for a symbol first); it holds the fault while it
 * does.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "faults/fault_int.h"

struct fault_ctx {
	struct loop *loop;
	struct fault_hooks hooks;
	uint64_t rng;
	int64_t t0;
	struct fault *faults;
	unsigned nfaults;
	struct fault_event *log;
	size_t nlog, caplog;
	size_t failures;
};

static const struct fault_type *const types[] = {
	&fault_crash, &fault_panic, &fault_halt, &fault_memflip, &fault_freeze, &fault_regflip,
	&fault_link_down, &fault_isolate, &fault_loss, &fault_delay, &fault_partition, &fault_disk, NULL,
};

const char *const *
fault_kinds(void)
{
	static const char *names[sizeof(types) / sizeof(types[0])];

	for (size_t i = 0; types[i]; i++)
		names[i] = types[i]->name;
	return names;
}

uint64_t
fault_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
fault_rand(struct fault *f)
{
	return fault_rand_next(&f->rng);
}

struct fault_ctx *
fault_ctx_new(struct loop *l, uint64_t seed, const struct fault_hooks *h)
{
	struct fault_ctx *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->hooks = *h;
	/* A stream of its own, so that faults do not shift other draws. */
	c->rng = seed ^ 0x6661756c74730000ULL;   /* "faults" */
	c->t0 = loop_now();
	return c;
}

static void
fault_free(struct fault *f)
{
	free(f->target);
	free(f->symbol);
	free(f->region);
	free(f->mode);
	free(f->sectors);
	free(f->state);
	free(f);
}

void
fault_cancel_pending(struct fault_ctx *c)
{
	for (struct fault *f = c->faults; f; f = f->next)
		if (f->timer) {
			loop_timer_cancel(c->loop, f->timer);
			f->timer = NULL;
		}
}

void
fault_clear_all(struct fault_ctx *c)
{
	for (struct fault *f = c->faults; f; f = f->next) {
		if (f->timer) {
			loop_timer_cancel(c->loop, f->timer);
			f->timer = NULL;
		}
		if (f->active && f->type->clear) {
			f->type->clear(f);
			f->active = 0;
		}
	}
}

void
fault_ctx_free(struct fault_ctx *c)
{
	struct fault *f, *next;

	if (c == NULL)
		return;
	fault_clear_all(c);
	for (f = c->faults; f; f = next) {
		next = f->next;
		fault_free(f);
	}
	free(c->log);
	free(c);
}

void
fault_log(struct fault *f, const char *phase, const char *fmt, ...)
{
	struct fault_ctx *c = f->ctx;
	struct fault_event *e;
	va_list ap;

	if (c->nlog == c->caplog) {
		c->caplog = c->caplog ? 2 * c->caplog : 32;
		if ((c->log = realloc(c->log, c->caplog * sizeof(*c->log))) == NULL)
			abort();
	}
	e = &c->log[c->nlog++];
	memset(e, 0, sizeof(*e));
	e->t = (double)(loop_now() - c->t0) / 1e9;
	e->scheduled = (double)f->planned_ns / 1e9;
	e->seq = f->seq;
	e->address = f->address;
	f->address = 0;
	snprintf(e->kind, sizeof(e->kind), "%s", f->type->name);
	snprintf(e->target, sizeof(e->target), "%s", f->target);
	snprintf(e->phase, sizeof(e->phase), "%s", phase);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	if (strcmp(phase, "failed") == 0)
		c->failures++;
	if (c->hooks.logged)
		c->hooks.logged(c->hooks.arg, e);
}

const struct fault_hooks *
fault_hooks(struct fault *f)
{
	return &f->ctx->hooks;
}

struct node *
fault_node(struct fault *f)
{
	return f->ctx->hooks.node(f->ctx->hooks.arg, f->target);
}

size_t
fault_log_count(const struct fault_ctx *c)
{
	return c->nlog;
}

const struct fault_event *
fault_log_get(const struct fault_ctx *c, size_t i)
{
	return i < c->nlog ? &c->log[i] : NULL;
}

int
fault_log_write(const struct fault_ctx *c, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	int rc = 0;

	if (fp == NULL) {
		free(tmp);
		return -1;
	}
	fprintf(fp, "# umlab fault log: seq planned_s kind target phase detail\n");
	/* Grouped by fault, in each fault's own order: two faults' events
	 * interleave differently from run to run, each fault's do not. */
	for (size_t k = 0; k < c->nlog; k++) {
		const struct fault_event *e = NULL;
		size_t rank = 0;

		for (unsigned seq = 1; seq <= c->nfaults && e == NULL; seq++)
			for (size_t i = 0; i < c->nlog; i++)
				if (c->log[i].seq == seq && rank++ == k) {
					e = &c->log[i];
					break;
				}
		if (e == NULL)
			break;

		fprintf(fp, "%u %.6f %s %s %s %s\n", e->seq, e->scheduled, e->kind, e->target, e->phase,
			e->detail);
	}
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	return rc;
}

size_t
fault_failures(const struct fault_ctx *c)
{
	return c->failures;
}

static int64_t
to_ns(double s)
{
	return (int64_t)(s * 1e9);
}

/* The gap before the next repetition, in ns, or -1 when done. */
static int64_t
next_gap(struct fault *f)
{
	const struct fault_spec *s = &f->spec;

	if (s->count > 0 && f->done >= s->count)
		return -1;
	if (s->every > 0)
		return to_ns(s->every);
	if (s->rate > 0) {
		/* Exponential gaps: a Poisson process of the given rate. */
		double u = (double)(fault_rand(f) >> 11) / 9007199254740992.0;

		return to_ns(-log(1.0 - u) / s->rate);
	}
	return -1;
}

static int64_t on_fire(struct loop_timer *t, void *arg);

static int64_t
on_clear(struct loop_timer *t, void *arg)
{
	struct fault *f = arg;

	f->timer = NULL;
	if (f->active) {
		f->type->clear(f);
		f->active = 0;
	}
	/* The next repetition counts from the end of this one. */
	int64_t gap = next_gap(f);

	if (gap >= 0) {
		f->planned_ns += gap;
		f->timer = loop_timer_add(f->ctx->loop, gap, on_fire, f);
	}
	return LOOP_TIMER_DONE;
}

static int64_t
on_fire(struct loop_timer *t, void *arg)
{
	struct fault *f = arg;
	int64_t gap;

	f->timer = NULL;
	f->done++;
	f->type->inject(f);
	if (f->spec.duration > 0 && f->type->clear) {
		f->active = 1;
		f->planned_ns += to_ns(f->spec.duration);
		f->timer = loop_timer_add(f->ctx->loop, to_ns(f->spec.duration), on_clear, f);
		return LOOP_TIMER_DONE;
	}
	gap = next_gap(f);
	if (gap >= 0) {
		f->planned_ns += gap;
		f->timer = loop_timer_add(f->ctx->loop, gap, on_fire, f);
	}
	return LOOP_TIMER_DONE;
}

int
fault_schedule(struct fault_ctx *c, const struct fault_spec *spec, char *err, size_t errlen)
{
	const struct fault_type *type = NULL;
	struct fault *f;
	int64_t first;

	for (size_t i = 0; types[i]; i++)
		if (strcmp(types[i]->name, spec->kind) == 0)
			type = types[i];
	if (type == NULL) {
		size_t n = (size_t)snprintf(err, errlen, "unknown fault kind '%s' (known:", spec->kind);

		for (size_t i = 0; types[i] && n < errlen; i++)
			n += (size_t)snprintf(err + n, errlen - n, " %s", types[i]->name);
		if (n < errlen)
			snprintf(err + n, errlen - n, ")");
		return -1;
	}
	if (spec->target == NULL || *spec->target == '\0') {
		snprintf(err, errlen, "fault %s: no target", type->name);
		return -1;
	}
	if (type->check_target) {
		if (type->check_target(&c->hooks, spec, err, errlen) < 0)
			return -1;
	} else if (type->needs_node && c->hooks.node(c->hooks.arg, spec->target) == NULL) {
		snprintf(err, errlen, "fault %s: no running node named '%s'", type->name, spec->target);
		return -1;
	} else if (!type->needs_node && (c->hooks.port == NULL ||
				  c->hooks.port(c->hooks.arg, spec->target) == NULL)) {
		snprintf(err, errlen, "fault %s: no open link named '%s'", type->name, spec->target);
		return -1;
	}
	if (!(spec->at >= 0) || !(spec->duration >= 0) || !(spec->every >= 0) || !(spec->rate >= 0) ||
	    spec->count < 0 || !isfinite(spec->at) || !isfinite(spec->duration)) {
		snprintf(err, errlen, "fault %s on %s: times must be finite and >= 0", type->name,
			 spec->target);
		return -1;
	}
	if (spec->every > 0 && spec->rate > 0) {
		snprintf(err, errlen, "fault %s on %s: give every or rate, not both", type->name,
			 spec->target);
		return -1;
	}
	if (spec->duration > 0 && !type->clearable) {
		snprintf(err, errlen, "fault %s on %s: this fault cannot last a duration", type->name,
			 spec->target);
		return -1;
	}
	if (spec->duration > 0 && spec->every > 0 && spec->every <= spec->duration) {
		snprintf(err, errlen, "fault %s on %s: every (%g s) must be longer than duration (%g s)",
			 type->name, spec->target, spec->every, spec->duration);
		return -1;
	}
	if (type->check && type->check(spec, err, errlen) < 0)
		return -1;
	f = xcalloc(1, sizeof(*f));
	f->ctx = c;
	f->type = type;
	f->spec = *spec;
	f->target = xstrdup(spec->target);
	f->spec.target = f->target;
	if (spec->symbol) {
		f->symbol = xstrdup(spec->symbol);
		f->spec.symbol = f->symbol;
	}
	if (spec->region) {
		f->region = xstrdup(spec->region);
		f->spec.region = f->region;
	}
	if (spec->mode) {
		f->mode = xstrdup(spec->mode);
		f->spec.mode = f->mode;
	}
	if (spec->sectors) {
		f->sectors = xstrdup(spec->sectors);
		f->spec.sectors = f->sectors;
	}
	f->spec.kind = type->name;
	f->next = c->faults;
	c->faults = f;
	f->seq = ++c->nfaults;
	f->rng = c->rng ^ ((uint64_t)f->seq * 0x9e3779b97f4a7c15ULL);
	first = to_ns(spec->at);
	if (spec->at == 0 && spec->rate > 0)
		first = next_gap(f);   /* a random process starts at a random time */
	f->planned_ns = first;
	f->timer = loop_timer_add(c->loop, first, on_fire, f);
	return 0;
}
