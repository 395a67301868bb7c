/*
 * fault.h - fault injection: fault types behind one small ops struct each,
 * a schedule on the lab's event loop, and the fault log.
 *
 * Every random choice (when a random fault fires, which bit flips) comes
 * from one generator seeded with the run's seed, and every injection is
 * logged with the values drawn, so that the same seed and scenario give
 * the same schedule and the log says exactly what happened.
 *
 * Faults never call Lua: scenarios/scn_lua_fault.c is the Lua layer.
 */
#ifndef UMLAB_FAULT_H
#define UMLAB_FAULT_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct node;
struct ns_port;
struct fault_ctx;

struct fault_event {
	double t;             /* seconds since the fault context was made */
	double scheduled;     /* seconds from the fault() call to this event as
	                         planned: the same for the same seed, unlike t */
	unsigned seq;         /* which fault: 1 for the first one scheduled */
	unsigned long long address;   /* where a memory fault struck (0: none);
	                                 not in detail, as it moves between runs */
	char kind[16];
	char target[64];
	char phase[12];       /* "inject", "clear", "failed" */
	char detail[256];     /* parameters and the values drawn */
};

/* How faults reach the lab's objects without knowing the runtime. */
struct fault_hooks {
	/* The running node called name, or NULL. */
	struct node *(*node)(void *arg, const char *name);
	void *arg;
	/* The open fabric port of a link, or NULL (network faults). */
	struct ns_port *(*port)(void *arg, const char *link);
	/* The open ports of a node's links; returns how many (at most max). */
	int (*node_ports)(void *arg, const char *node, struct ns_port **out, int max);
	/* Called after every log entry (e.g. to print it); may be NULL. */
	void (*logged)(void *arg, const struct fault_event *e);
};

/* What to inject, where and when.  Times are seconds from now. */
struct fault_spec {
	const char *kind;     /* "crash", "panic", "halt", "memflip", ... */
	const char *target;   /* a node name (or link name for network faults) */
	double at;            /* first injection after this delay (default 0) */
	double duration;      /* > 0: cleared after this long (kinds that can be) */
	double every;         /* > 0: repeat with this period ... */
	double rate;          /* > 0: ... or at random, this many per second (Poisson) */
	int count;            /* repetitions for every/rate (0: until the run ends) */
	/* memflip */
	const char *symbol;   /* guest kernel symbol from /proc/kallsyms (code only:
	                         Debian's UML lists no data symbols), or ... */
	const char *region;   /* ... "ram", "text" or "data": a random byte of it */
	long offset;          /* bytes from the symbol */
	int bit;              /* 0..7, or -1: drawn at random */
	int length;           /* bytes of the region to draw from (random offset) when > 0 */
	double value;         /* loss: the probability; delay: seconds */
	/* partition: target "a b | c d" (node names) */
	int oneway;           /* only frames from the left group to the right one */
	/* disk */
	const char *mode;     /* "read", "write" or "both" (default) */
	const char *sectors;  /* "FIRST-LAST" (512-byte sectors of the data disk), NULL: all */
	int after;            /* the first N I/Os pass, then errors (0: at once) */
};

struct fault_ctx *fault_ctx_new(struct loop *l, uint64_t seed, const struct fault_hooks *h);
/* Cancels what is still scheduled. */
void fault_ctx_free(struct fault_ctx *c);

/* Check spec and schedule it; -1 with err naming the item on bad input
 * (unknown kind or target, impossible timing). */
int fault_schedule(struct fault_ctx *c, const struct fault_spec *spec, char *err, size_t errlen);
/* Cancel every scheduled repetition and clear active faults. */
void fault_clear_all(struct fault_ctx *c);
/* No more injections or timed clears: the lab is stopping.  What is
 * active stays until the stop ends it (fault_ctx_free clears the rest). */
void fault_cancel_pending(struct fault_ctx *c);

size_t fault_log_count(const struct fault_ctx *c);
const struct fault_event *fault_log_get(const struct fault_ctx *c, size_t i);
/* Faults that failed to inject (e.g. ptrace not permitted): the run fails. */
size_t fault_failures(const struct fault_ctx *c);

/* Write the log's reproducible part (no wall-clock times, no addresses):
 * one line per event.  Two runs with the same scenario and seed give the
 * same bytes; `umlab run --replay` compares them.  0 on success. */
int fault_log_write(const struct fault_ctx *c, const char *path);

/* The known kinds, NULL-terminated (for messages and docs). */
const char *const *fault_kinds(void);

/* splitmix64: the generator every random choice comes from. */
uint64_t fault_rand_next(uint64_t *state);

#endif
